// JUnit XML for CI dashboards: one test suite per file, one failing test case per finding, and one
// passing case for a clean file (as ESLint's junit formatter does).
import type { FileResult } from '../../engine/types';
import { displayPath } from '../report-context';

// XML 1.0 forbids most control characters even when escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function cdata(text: string): string {
  return `<![CDATA[${text.replace(INVALID_XML, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

export function formatJunit(results: readonly FileResult[], cwd: string): string {
  const out = ['<?xml version="1.0" encoding="utf-8"?>'];
  const total = results.reduce((sum, result) => sum + Math.max(1, result.findings.length), 0);
  const failures = results.reduce((sum, result) => sum + result.findings.length, 0);
  out.push(`<testsuites name="scalelint" tests="${total}" failures="${failures}" errors="0">`);
  for (const result of results) {
    const file = escapeXml(displayPath(result.file, cwd));
    const count = result.findings.length;
    out.push(`  <testsuite name="${file}" package="scalelint" tests="${Math.max(1, count)}" failures="${count}" errors="0" time="0">`);
    if (count === 0) out.push(`    <testcase name="scalelint" classname="${file}" time="0" />`);
    for (const finding of result.findings) {
      const where = `${finding.range.start.line}:${finding.range.start.column}`;
      out.push(`    <testcase name="scalelint.${escapeXml(finding.ruleId)} (${where})" classname="${file}" time="0">`);
      const body = `${displayPath(finding.file, cwd)}:${where} ${finding.severity} - ${finding.message} (${finding.ruleId})\n${finding.related.map((r) => `  ↳ ${displayPath(r.file, cwd)}:${r.range.start.line}:${r.range.start.column} ${r.message}\n`).join('')}${finding.docsUrl}`;
      out.push(`      <failure type="${escapeXml(finding.severity)}" message="${escapeXml(finding.message)}">${cdata(body)}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
