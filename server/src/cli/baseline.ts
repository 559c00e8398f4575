// Baselines: adopt scalelint in a legacy codebase by recording today's findings and reporting only new
// ones. The file is shaped like ESLint's eslint-suppressions.json (file → rule → count) plus the
// findings' fingerprints, so moved code still matches by fingerprint and an edited line still matches
// by the count of its file and rule.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileResult, Finding } from '../engine/types';
import { writeAtomically } from '../engine/fixes';

export const DEFAULT_BASELINE_FILE = 'scalelint-baseline.json';

export interface BaselineEntry {
  count: number;
  fingerprints: string[];
}

/** Relative file path (posix, from the working directory) → rule id → entry. */
export type Baseline = Record<string, Record<string, BaselineEntry>>;

export class BaselineError extends Error {}

export function baselineKey(file: string, cwd: string): string {
  return path.relative(cwd, file).split(path.sep).join('/');
}

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BaselineError(`cannot read the baseline ${file}: ${(error as Error).message}. Create it with --baseline-create.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`the baseline ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(data)) throw new BaselineError(`the baseline ${file} must be an object of files`);
  const baseline: Baseline = {};
  for (const [key, rules] of Object.entries(data)) {
    if (!isRecord(rules)) throw new BaselineError(`the baseline ${file}: '${key}' must map rule ids to entries`);
    baseline[key] = {};
    for (const [ruleId, entry] of Object.entries(rules)) {
      if (!isRecord(entry) || typeof entry.count !== 'number' || !Number.isInteger(entry.count) || entry.count < 0) {
        throw new BaselineError(`the baseline ${file}: '${key}' → '${ruleId}' needs a whole-number "count"`);
      }
      const fingerprints = Array.isArray(entry.fingerprints) ? entry.fingerprints.filter((f): f is string => typeof f === 'string') : [];
      baseline[key][ruleId] = { count: entry.count, fingerprints };
    }
  }
  return baseline;
}

export function writeBaseline(file: string, baseline: Baseline): void {
  const sorted: Baseline = {};
  for (const key of Object.keys(baseline).sort()) {
    const rules = baseline[key];
    const ids = Object.keys(rules).filter((id) => rules[id].count > 0).sort();
    if (ids.length === 0) continue;
    sorted[key] = {};
    for (const id of ids) sorted[key][id] = { count: rules[id].count, fingerprints: [...rules[id].fingerprints].sort() };
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeAtomically(path.resolve(file), `${JSON.stringify(sorted, null, 2)}\n`);
}

export function createBaseline(results: readonly FileResult[], cwd: string): Baseline {
  const baseline: Baseline = {};
  for (const result of results) {
    for (const finding of result.findings) {
      const key = baselineKey(result.file, cwd);
      const entry = ((baseline[key] ??= {})[finding.ruleId] ??= { count: 0, fingerprints: [] });
      entry.count++;
      entry.fingerprints.push(finding.fingerprint);
    }
  }
  return baseline;
}

export interface BaselineMatch {
  /** Findings not covered by the baseline: the ones to report. */
  fresh: FileResult[];
  suppressedCount: number;
  /** The baseline with only what still occurs, for the analysed files (others kept as they are). */
  pruned: Baseline;
  /** How many baselined findings of the analysed files no longer occur. */
  fixedCount: number;
}

/**
 * A finding is baselined when its fingerprint is recorded for its file and rule; findings whose
 * fingerprint changed (the flagged line itself was edited) are still baselined while the file and rule
 * have no more findings than the recorded count.
 */
export function applyBaseline(results: readonly FileResult[], baseline: Baseline, cwd: string): BaselineMatch {
  const pruned: Baseline = structuredClone(baseline);
  let suppressedCount = 0;
  let fixedCount = 0;
  const analysed = new Set<string>();
  const fresh = results.map((result) => {
    const key = baselineKey(result.file, cwd);
    analysed.add(key);
    const recorded = baseline[key] ?? {};
    const byRule = new Map<string, Finding[]>();
    for (const finding of result.findings) byRule.set(finding.ruleId, [...(byRule.get(finding.ruleId) ?? []), finding]);
    const kept: Finding[] = [];
    const stillThere: Record<string, BaselineEntry> = {};
    for (const [ruleId, findings] of byRule) {
      const entry = recorded[ruleId];
      if (!entry) {
        kept.push(...findings);
        continue;
      }
      const known = new Set(entry.fingerprints);
      const matched = findings.filter((finding) => known.has(finding.fingerprint));
      const unmatched = findings.filter((finding) => !known.has(finding.fingerprint));
      const matchedCount = Math.min(matched.length, entry.count);
      const room = entry.count - matchedCount;
      // Findings beyond the recorded count are new; with unknown fingerprints we cannot tell which, so
      // all of them are reported (ESLint does the same) unless they fit the room left.
      const absorbed = unmatched.length <= room ? unmatched : [];
      kept.push(...matched.slice(entry.count), ...unmatched.filter((finding) => !absorbed.includes(finding)));
      const baselined = [...matched.slice(0, entry.count), ...absorbed];
      suppressedCount += baselined.length;
      stillThere[ruleId] = { count: baselined.length, fingerprints: baselined.map((finding) => finding.fingerprint) };
    }
    for (const [ruleId, entry] of Object.entries(recorded)) fixedCount += entry.count - (stillThere[ruleId]?.count ?? 0);
    if (Object.keys(stillThere).length) pruned[key] = stillThere;
    else delete pruned[key];
    kept.sort((a, b) => a.range.start.offset - b.range.start.offset || a.ruleId.localeCompare(b.ruleId));
    return { ...result, findings: kept };
  });
  // Files recorded in the baseline that no longer exist are fixed too.
  for (const key of Object.keys(pruned)) {
    if (analysed.has(key) || fs.existsSync(path.resolve(cwd, key))) continue;
    fixedCount += Object.values(pruned[key]).reduce((sum, entry) => sum + entry.count, 0);
    delete pruned[key];
  }
  return { fresh, suppressedCount, pruned, fixedCount };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
