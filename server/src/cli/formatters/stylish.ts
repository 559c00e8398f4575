// Human output in the shape of ESLint's stylish: a file header, then line:col severity message rule.
import * as path from 'node:path';
import type { FileResult } from '../../engine/types';

export interface StylishOptions {
  color: boolean;
  cwd: string;
}

export function formatStylish(results: readonly FileResult[], options: StylishOptions): string {
  const paint = (code: string, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  let fixable = 0;
  for (const result of results) {
    if (result.findings.length === 0) continue;
    lines.push(paint('4', path.relative(options.cwd, result.file) || result.file));
    const rows = result.findings.map((finding) => {
      if (finding.severity === 'error') errors++;
      else if (finding.severity === 'warning') warnings++;
      else infos++;
      if (finding.fixes.some((fix) => fix.kind === 'fix')) fixable++;
      const severity = finding.severity === 'error' ? paint('31', 'error') : finding.severity === 'warning' ? paint('33', 'warning') : paint('36', 'info');
      return { where: `${finding.range.start.line}:${finding.range.start.column}`, severity, plainSeverity: finding.severity, message: finding.message, rule: finding.ruleId, related: finding.related };
    });
    const whereWidth = Math.max(...rows.map((row) => row.where.length));
    const severityWidth = Math.max(...rows.map((row) => row.plainSeverity.length));
    for (const row of rows) {
      const padding = ' '.repeat(severityWidth - row.plainSeverity.length);
      lines.push(`  ${paint('2', row.where.padEnd(whereWidth))}  ${row.severity}${padding}  ${row.message}  ${paint('2', row.rule)}`);
      for (const related of row.related) {
        lines.push(`  ${' '.repeat(whereWidth)}  ${' '.repeat(severityWidth)}    ${paint('2', `↳ ${path.relative(options.cwd, related.file)}:${related.range.start.line}:${related.range.start.column}`)} ${related.message}`);
      }
    }
    lines.push('');
  }
  const total = errors + warnings + infos;
  if (total === 0) return '';
  const summary = `✖ ${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${infos} info)`;
  lines.push(paint(errors ? '31;1' : '33;1', summary));
  if (fixable) lines.push(paint(errors ? '31;1' : '33;1', `  ${fixable} of them can be fixed with the --fix option.`));
  return `${lines.join('\n')}\n`;
}
