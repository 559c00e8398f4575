// Inline suppressions:
//   // scalelint-disable-next-line <rule>[, <rule>] -- <reason>
//   foo(); // scalelint-disable-line <rule> -- <reason>
//   /* scalelint-disable <rule> */            (whole file)
// No rule list means every rule. A suppression that suppresses nothing is reported, so it cannot
// silently hide a future finding.
import { LineIndex } from './text';

export type SuppressionKind = 'next-line' | 'line' | 'file';

export interface Suppression {
  kind: SuppressionKind;
  /** Empty: all rules. */
  rules: string[];
  reason?: string;
  /** The whole comment, for the "remove unused suppression" fix. */
  start: number;
  end: number;
  /** 1-based line of the comment. */
  line: number;
  /** The rules it actually suppressed in this run. */
  used: Set<string>;
}

const DIRECTIVE = /\/\/[ \t]*scalelint-(disable-next-line|disable-line|disable)\b([^\r\n]*)|\/\*\s*scalelint-(disable-next-line|disable-line|disable)\b([\s\S]*?)\*\//g;

/**
 * Finds suppression comments. `isComment(offset)` tells a real comment from the same text inside a
 * string or template literal.
 */
export function parseSuppressions(text: string, index: LineIndex, isComment: (offset: number) => boolean): Suppression[] {
  if (!text.includes('scalelint-disable')) return [];
  const found: Suppression[] = [];
  DIRECTIVE.lastIndex = 0;
  for (let match = DIRECTIVE.exec(text); match; match = DIRECTIVE.exec(text)) {
    if (!isComment(match.index)) continue;
    const directive = (match[1] ?? match[3]) as 'disable-next-line' | 'disable-line' | 'disable';
    const body = match[2] ?? match[4] ?? '';
    const [rulePart, ...reasonParts] = body.split(/\s--\s?/);
    const rules = rulePart
      .split(/[\s,]+/)
      .map((rule) => rule.trim())
      .filter(Boolean);
    const reason = reasonParts.join(' -- ').trim() || undefined;
    const kind: SuppressionKind = directive === 'disable-next-line' ? 'next-line' : directive === 'disable-line' ? 'line' : 'file';
    found.push({ kind, rules, reason, start: match.index, end: match.index + match[0].length, line: index.position(match.index).line, used: new Set() });
  }
  return found;
}

/**
 * The suppression that silences a finding of `ruleId` starting on `line`, if any; marks it used. A finding
 * deep inside a statement that spans lines (a query's multi-line SQL) is also covered on `statementLine`,
 * where that statement starts: where a reader puts the comment.
 */
export function suppressedBy(suppressions: readonly Suppression[], ruleId: string, line: number, statementLine = line): Suppression | undefined {
  const on = (target: number): boolean => target === line || target === statementLine;
  for (const suppression of suppressions) {
    const covers =
      suppression.kind === 'file' ||
      (suppression.kind === 'line' && on(suppression.line)) ||
      (suppression.kind === 'next-line' && on(suppression.line + 1));
    if (covers && (suppression.rules.length === 0 || suppression.rules.includes(ruleId))) {
      suppression.used.add(ruleId);
      return suppression;
    }
  }
  return undefined;
}

/**
 * The rules a suppression names but did not use. Only rules that ran on the file count (a suppression
 * for a rule switched off in config is not known to be unused), and names of no rule at all (typos).
 */
export function unusedRules(suppression: Suppression, rulesThatRan: ReadonlySet<string>, knownRules: ReadonlySet<string>): string[] {
  if (suppression.rules.length === 0) return suppression.used.size === 0 ? ['*'] : [];
  return suppression.rules.filter((rule) => !suppression.used.has(rule) && (rulesThatRan.has(rule) || !knownRules.has(rule)));
}

/** The text range that removing the suppression should delete: the whole line when it is alone on it. */
export function removalRange(text: string, suppression: Suppression): { start: number; end: number } {
  let start = suppression.start;
  let end = suppression.end;
  let lineStart = start;
  while (lineStart > 0 && text[lineStart - 1] !== '\n') lineStart--;
  let lineEnd = end;
  while (lineEnd < text.length && text[lineEnd] !== '\n') lineEnd++;
  const before = text.slice(lineStart, start);
  const after = text.slice(end, lineEnd);
  if (before.trim() === '' && after.trim() === '') {
    return { start: lineStart, end: Math.min(lineEnd + 1, text.length) };
  }
  // Trailing comment: also drop the whitespace before it.
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  if (after.trim() === '') end = lineEnd;
  return { start, end };
}
