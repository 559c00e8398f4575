// Applying fixes to disk safely, for `--fix` and the editor's fix-all: every file is written through a
// temporary file and a rename (a crash never leaves half a file), a file that changed since the engine
// read it is left alone, and a result that no longer parses is never written.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import { applyTextEdits } from './text';
import type { Finding, Fix, TextEdit } from './types';

export interface PlannedFile {
  file: string;
  /** The text the findings refer to (what the engine read). */
  before: string;
  after: string;
}

export interface PlannedCreation {
  file: string;
  content: string;
}

export interface FixPlan {
  changes: PlannedFile[];
  creations: PlannedCreation[];
  /** Fixes applied to the plan, in finding order. */
  applied: { finding: Finding; fix: Fix }[];
  /** Fixes left out, with the reason (overlapping another fix, text unknown, result does not parse…). */
  skipped: { finding: Finding; fix: Fix; reason: string }[];
}

export interface PlanOptions {
  /** Which fixes to take: default only kind 'fix', the first of each finding. */
  kinds?: readonly Fix['kind'][];
}

/**
 * Plans the fixes of `findings` against the texts the engine analysed (`texts`: file → text). Fixes that
 * overlap an earlier fix, touch a file whose analysed text is unknown, would create an existing file, or
 * leave a file that does not parse are skipped whole, so every applied fix is applied completely.
 */
export function planFixes(findings: readonly Finding[], texts: ReadonlyMap<string, string>, options: PlanOptions = {}): FixPlan {
  const kinds = options.kinds ?? ['fix'];
  const edits = new Map<string, TextEdit[]>();
  const creations = new Map<string, PlannedCreation>();
  const plan: FixPlan = { changes: [], creations: [], applied: [], skipped: [] };

  for (const finding of findings) {
    const fix = finding.fixes.find((candidate) => kinds.includes(candidate.kind));
    if (!fix) continue;
    const problem = fixProblem(fix, texts, edits, creations);
    if (problem) {
      plan.skipped.push({ finding, fix, reason: problem });
      continue;
    }
    for (const edit of fix.edits) edits.set(edit.file, [...(edits.get(edit.file) ?? []), edit]);
    for (const creation of fix.creates ?? []) creations.set(path.resolve(creation.file), { file: path.resolve(creation.file), content: creation.content });
    plan.applied.push({ finding, fix });
  }

  for (const [file, fileEdits] of edits) {
    const before = texts.get(file) as string;
    plan.changes.push({ file, before, after: applyTextEdits(before, fileEdits) });
  }
  plan.changes.sort((a, b) => a.file.localeCompare(b.file));
  plan.creations = [...creations.values()].sort((a, b) => a.file.localeCompare(b.file));
  return plan;
}

function fixProblem(fix: Fix, texts: ReadonlyMap<string, string>, planned: ReadonlyMap<string, TextEdit[]>, creations: ReadonlyMap<string, PlannedCreation>): string | undefined {
  const byFile = new Map<string, TextEdit[]>();
  for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  for (const [file, fileEdits] of byFile) {
    const text = texts.get(file);
    if (text === undefined) return `it edits ${file}, which was not analysed`;
    if (fileEdits.some((edit) => edit.start < 0 || edit.end > text.length || edit.start > edit.end)) return 'its edits fall outside the file';
    const all = [...(planned.get(file) ?? []), ...fileEdits];
    if (hasOverlap(all)) return 'it overlaps another fix; run --fix again';
    const after = applyTextEdits(text, all);
    const parseError = syntaxError(file, after);
    if (parseError && !syntaxError(file, text)) return `the result would not parse (${parseError})`;
  }
  for (const creation of fix.creates ?? []) {
    const target = path.resolve(creation.file);
    if (fs.existsSync(target) || creations.has(target)) return `it would create ${creation.file}, which exists`;
  }
  return undefined;
}

function hasOverlap(edits: readonly TextEdit[]): boolean {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    // Two insertions at the same point have no defined order: treat as overlapping.
    if (current.start < previous.end || (current.start === previous.start && current.start === current.end && previous.start === previous.end)) return true;
  }
  return false;
}

/** The first syntax error of a TypeScript/JavaScript text, or undefined when it parses. */
export function syntaxError(file: string, text: string): string | undefined {
  const kind = /\.(tsx|jsx)$/.test(file) ? ts.ScriptKind.TSX : /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  if (!/\.([cm]?[jt]sx?)$/.test(file)) return undefined;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, kind);
  const diagnostics = (source as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (!first) return undefined;
  const { line, character } = source.getLineAndCharacterOfPosition(first.start);
  return `${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
}

export interface WriteOutcome {
  written: string[];
  created: string[];
  /** Files left alone, with the reason (changed on disk since it was read, write failed…). */
  skipped: { file: string; reason: string }[];
}

/**
 * Writes a plan to disk. A file whose disk text is no longer the text the plan was made from is skipped;
 * every write goes to a temporary file in the same folder, then renames over the original (atomic on
 * POSIX file systems), keeping the original's permissions. New files are created exclusively.
 */
export function writeFixPlan(plan: FixPlan): WriteOutcome {
  const outcome: WriteOutcome = { written: [], created: [], skipped: [] };
  for (const change of plan.changes) {
    if (change.after === change.before) continue;
    let current: string;
    let mode: number;
    try {
      current = fs.readFileSync(change.file, 'utf8');
      mode = fs.statSync(change.file).mode;
    } catch (error) {
      outcome.skipped.push({ file: change.file, reason: `cannot read it: ${(error as Error).message}` });
      continue;
    }
    if (current !== change.before) {
      outcome.skipped.push({ file: change.file, reason: 'it changed on disk since it was analysed' });
      continue;
    }
    try {
      writeAtomically(change.file, change.after, mode);
      outcome.written.push(change.file);
    } catch (error) {
      outcome.skipped.push({ file: change.file, reason: `cannot write it: ${(error as Error).message}` });
    }
  }
  for (const creation of plan.creations) {
    try {
      fs.mkdirSync(path.dirname(creation.file), { recursive: true });
      // 'wx' fails when the file exists: a fix never overwrites a file it did not read.
      fs.writeFileSync(creation.file, creation.content, { flag: 'wx' });
      outcome.created.push(creation.file);
    } catch (error) {
      outcome.skipped.push({ file: creation.file, reason: `cannot create it: ${(error as Error).message}` });
    }
  }
  return outcome;
}

export function writeAtomically(file: string, text: string, mode?: number): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.scalelint-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temporary, text, { flag: 'wx', ...(mode !== undefined ? { mode: mode & 0o7777 } : {}) });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
