// ESLint-compatible JSON: what CI scripts and dashboards that read `eslint -f json` already understand.
import type { FileResult, Finding } from '../../engine/types';

export interface EslintMessage {
  ruleId: string;
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fix?: { range: [number, number]; text: string };
  suggestions?: { desc: string; fix: { range: [number, number]; text: string } }[];
  /** scalelint extras: ESLint readers ignore unknown keys. */
  scalelintSeverity: Finding['severity'];
  fingerprint: string;
  docsUrl: string;
  related?: { filePath: string; line: number; column: number; endLine: number; endColumn: number; message: string }[];
}

export interface EslintResult {
  filePath: string;
  messages: EslintMessage[];
  errorCount: number;
  warningCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  /** Files the engine could not analyse (unreadable, a rule crashed): ESLint's fatal errors. */
  fatalErrorCount: number;
  /** Shape-compatible with ESLint 9; scalelint reports suppressed findings nowhere. */
  suppressedMessages: [];
  usedDeprecatedRules: [];
  source?: string;
}

/** ESLint has two levels: info findings count as warnings (severity 1). */
export function eslintSeverity(finding: Finding): 1 | 2 {
  return finding.severity === 'error' ? 2 : 1;
}

/**
 * Fixes as ESLint writes them: one range and its new text. Several edits in the finding's file merge into
 * one range from the first to the last, the text between kept (ESLint's own mergeFixes). A fix that edits
 * another file or creates one has no ESLint form: SARIF carries those.
 */
function singleFileEdit(finding: Finding, kind: 'fix' | 'suggestion', text: string): { title: string; range: [number, number]; text: string }[] {
  const result: { title: string; range: [number, number]; text: string }[] = [];
  for (const fix of finding.fixes) {
    if (fix.kind !== kind || fix.creates?.length || fix.edits.length === 0 || fix.edits.some((edit) => edit.file !== finding.file)) continue;
    const edits = [...fix.edits].sort((a, b) => a.start - b.start);
    if (edits.some((edit, index) => index > 0 && edit.start < edits[index - 1].end)) continue;
    const start = edits[0].start;
    const end = Math.max(...edits.map((edit) => edit.end));
    let merged = '';
    let at = start;
    for (const edit of edits) {
      merged += text.slice(at, edit.start) + edit.newText;
      at = edit.end;
    }
    merged += text.slice(at, end);
    result.push({ title: fix.title, range: [start, end], text: merged });
  }
  return result;
}

export function toEslintResults(results: readonly FileResult[]): EslintResult[] {
  return results.map((result) => {
    const messages = result.findings.map((finding): EslintMessage => {
      const [fix] = singleFileEdit(finding, 'fix', result.text);
      const suggestions = singleFileEdit(finding, 'suggestion', result.text);
      return {
        ruleId: finding.ruleId,
        severity: eslintSeverity(finding),
        message: finding.message,
        line: finding.range.start.line,
        column: finding.range.start.column,
        endLine: finding.range.end.line,
        endColumn: finding.range.end.column,
        ...(fix ? { fix: { range: fix.range, text: fix.text } } : {}),
        ...(suggestions.length ? { suggestions: suggestions.map((s) => ({ desc: s.title, fix: { range: s.range, text: s.text } })) } : {}),
        scalelintSeverity: finding.severity,
        fingerprint: finding.fingerprint,
        docsUrl: finding.docsUrl,
        ...(finding.related.length
          ? { related: finding.related.map((r) => ({ filePath: r.file, line: r.range.start.line, column: r.range.start.column, endLine: r.range.end.line, endColumn: r.range.end.column, message: r.message })) }
          : {}),
      };
    });
    const errors = messages.filter((m) => m.severity === 2);
    const warnings = messages.filter((m) => m.severity === 1);
    return {
      filePath: result.file,
      messages,
      errorCount: errors.length,
      warningCount: warnings.length,
      fixableErrorCount: errors.filter((m) => m.fix).length,
      fixableWarningCount: warnings.filter((m) => m.fix).length,
      fatalErrorCount: result.messages.filter((message) => message.level === 'error').length,
      suppressedMessages: [],
      usedDeprecatedRules: [],
    };
  });
}

export function formatJson(results: readonly FileResult[]): string {
  return JSON.stringify(toEslintResults(results));
}
