// GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff.
import type { FileResult } from '../../engine/types';
import { displayPath } from '../report-context';

/** Data escaping per the workflow-command grammar; properties also escape ':' and ','. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(results: readonly FileResult[], cwd: string): string {
  const lines: string[] = [];
  for (const result of results) {
    for (const finding of result.findings) {
      const command = finding.severity === 'error' ? 'error' : finding.severity === 'warning' ? 'warning' : 'notice';
      const properties = [
        `file=${escapeProperty(displayPath(finding.file, cwd))}`,
        `line=${finding.range.start.line}`,
        `endLine=${finding.range.end.line}`,
        `col=${finding.range.start.column}`,
        // endColumn is only meaningful on a single line
        ...(finding.range.start.line === finding.range.end.line ? [`endColumn=${finding.range.end.column}`] : []),
        `title=${escapeProperty(`scalelint(${finding.ruleId})`)}`,
      ];
      lines.push(`::${command} ${properties.join(',')}::${escapeData(`${finding.message}\n${finding.docsUrl}`)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
