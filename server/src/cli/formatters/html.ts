// A self-contained HTML report (one file, no network): totals per rule and per directory as bar charts,
// the hottest files, and every finding with its code frame, evidence chain and guidance link.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileResult, Finding, Range } from '../../engine/types';
import { maskSecrets } from '../../engine/redact';
import { displayPath, type ReportContext } from '../report-context';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Only http(s) links are rendered as links: a config could set any docs base URL. */
function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? escapeHtml(url) : undefined;
}

function count<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function barChart(title: string, rows: [string, number][], id: string): string {
  if (rows.length === 0) return '';
  const max = Math.max(...rows.map(([, n]) => n));
  const rowHeight = 26;
  const labelWidth = 260;
  const barWidth = 380;
  const height = rows.length * rowHeight + 8;
  const bars = rows
    .map(([label, n], index) => {
      const y = index * rowHeight + 4;
      const width = Math.max(2, Math.round((n / max) * barWidth));
      const shown = label.length > 38 ? `…${label.slice(-37)}` : label;
      return (
        `<g><title>${escapeHtml(label)}: ${n}</title>` +
        `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" class="label">${escapeHtml(shown)}</text>` +
        `<rect x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 8}" rx="3" class="bar"/>` +
        `<text x="${labelWidth + width + 6}" y="${y + 17}" class="value">${n}</text></g>`
      );
    })
    .join('');
  return `<section class="chart"><h2 id="${id}">${escapeHtml(title)}</h2><svg role="img" aria-labelledby="${id}" viewBox="0 0 ${labelWidth + barWidth + 50} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${bars}</svg></section>`;
}

function codeFrame(text: string | undefined, range: Range, context = 2): string {
  if (text === undefined) return '';
  const lines = maskSecrets(text).split(/\r?\n/);
  const first = Math.max(1, range.start.line - context);
  const last = Math.min(lines.length, range.end.line + context);
  const width = String(last).length;
  const rows: string[] = [];
  for (let line = first; line <= last; line++) {
    const content = lines[line - 1] ?? '';
    const inRange = line >= range.start.line && line <= range.end.line;
    let rendered = escapeHtml(content);
    if (inRange) {
      const from = line === range.start.line ? range.start.column - 1 : 0;
      const to = line === range.end.line ? range.end.column - 1 : content.length;
      rendered = `${escapeHtml(content.slice(0, from))}<mark>${escapeHtml(content.slice(from, to))}</mark>${escapeHtml(content.slice(to))}`;
    }
    rows.push(`<span class="ln${inRange ? ' hit' : ''}">${String(line).padStart(width)}</span> ${rendered}`);
  }
  return `<pre class="frame"><code>${rows.join('\n')}</code></pre>`;
}

function findingHtml(finding: Finding, context: ReportContext, textOf: (file: string) => string | undefined): string {
  const where = `${displayPath(finding.file, context.cwd)}:${finding.range.start.line}:${finding.range.start.column}`;
  const href = safeHref(finding.docsUrl);
  const evidence = finding.related.length
    ? `<details open class="evidence"><summary>Evidence (${finding.related.length} step${finding.related.length === 1 ? '' : 's'})</summary><ol>${finding.related
        .map((related) => `<li><div class="step"><span class="where">${escapeHtml(displayPath(related.file, context.cwd))}:${related.range.start.line}:${related.range.start.column}</span> ${escapeHtml(related.message)}</div>${codeFrame(textOf(related.file), related.range, 0)}</li>`)
        .join('')}</ol></details>`
    : '';
  const fixes = finding.fixes.length
    ? `<p class="fixes">${finding.fixes.map((fix) => `<span class="pill ${fix.kind}">${fix.kind === 'fix' ? 'fix (safe, --fix applies it)' : 'suggestion'}: ${escapeHtml(fix.title)}</span>`).join(' ')}</p>`
    : '';
  return (
    `<article class="finding ${finding.severity}" data-rule="${escapeHtml(finding.ruleId)}">` +
    `<header><span class="sev ${finding.severity}">${finding.severity}</span> <code class="rule">${escapeHtml(finding.ruleId)}</code> <span class="where">${escapeHtml(where)}</span></header>` +
    `<p class="message">${escapeHtml(finding.message)}</p>${codeFrame(textOf(finding.file), finding.range)}${evidence}${fixes}` +
    `<p class="guide">${href ? `<a href="${href}">Guidance: why it hurts at scale and how to fix it →</a>` : `Guidance: ${escapeHtml(finding.docsUrl)}`}</p></article>`
  );
}

const STYLE = `
:root{--fg:#1f2328;--muted:#656d76;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--err:#cf222e;--warn:#9a6700;--info:#0969da;--bar:#8250df}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--panel:#161b22;--line:#30363d;--err:#ff7b72;--warn:#d29922;--info:#58a6ff;--bar:#a371f7}}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px}h1{margin:0 0 4px;font-size:24px}h2{font-size:16px;margin:0 0 8px}.muted{color:var(--muted)}
.totals{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.total{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.total b{display:block;font-size:26px}.total.error b{color:var(--err)}.total.warning b{color:var(--warn)}.total.info b{color:var(--info)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}.chart,.hot{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin-bottom:16px}
svg .label{fill:var(--fg);font-size:12px}svg .value{fill:var(--muted);font-size:12px}svg .bar{fill:var(--bar)}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line)}td.n{text-align:right;font-variant-numeric:tabular-nums}
.file{margin:24px 0 8px;font-size:15px;font-family:ui-monospace,monospace}.finding{border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;padding:10px 14px;margin:8px 0;background:var(--bg)}
.finding.error{border-left-color:var(--err)}.finding.warning{border-left-color:var(--warn)}.sev{font-weight:600;text-transform:uppercase;font-size:11px}.sev.error{color:var(--err)}.sev.warning{color:var(--warn)}.sev.info{color:var(--info)}
.where{color:var(--muted);font-family:ui-monospace,monospace;font-size:12px}.message{margin:6px 0}
.frame{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;margin:6px 0}
.ln{color:var(--muted);user-select:none}.ln.hit{color:var(--fg);font-weight:600}mark{background:rgba(255,200,0,.35);color:inherit;border-radius:2px}
.evidence ol{margin:4px 0;padding-left:22px}.pill{display:inline-block;border:1px solid var(--line);border-radius:12px;padding:0 8px;font-size:12px;margin-right:6px}
.pill.fix{border-color:#1a7f37}.pill.suggestion{border-style:dashed}.guide a{color:var(--info)}nav.filter{margin:8px 0 0}nav.filter label{margin-right:12px;font-size:13px}
`;

// Inline and optional: the report reads fine without it; it only filters findings by rule.
const SCRIPT = `
document.querySelectorAll('nav.filter input').forEach(function(box){box.addEventListener('change',function(){
  var on={};document.querySelectorAll('nav.filter input').forEach(function(b){on[b.value]=b.checked;});
  document.querySelectorAll('article.finding').forEach(function(a){a.hidden=!on[a.getAttribute('data-rule')];});
  document.querySelectorAll('section.file-group').forEach(function(s){s.hidden=!s.querySelector('article.finding:not([hidden])');});
});});
`;

export function formatHtml(results: readonly FileResult[], context: ReportContext, generatedAt = new Date()): string {
  const findings = results.flatMap((result) => result.findings);
  const texts = new Map(results.map((result) => [result.file, result.text]));
  const textOf = (file: string): string | undefined => {
    if (!texts.has(file)) {
      try {
        texts.set(file, fs.readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    }
    return texts.get(file);
  };
  const bySeverity = (severity: string): number => findings.filter((finding) => finding.severity === severity).length;
  const perRule = count(findings, (finding) => finding.ruleId);
  const perDirectory = count(findings, (finding) => displayPath(path.dirname(finding.file), context.cwd) || '.');
  const hottest = results
    .filter((result) => result.findings.length)
    .map((result) => ({ file: displayPath(result.file, context.cwd), n: result.findings.length, errors: result.findings.filter((f) => f.severity === 'error').length }))
    .sort((a, b) => b.n - a.n || a.file.localeCompare(b.file))
    .slice(0, 10);

  const totals = [
    ['total', findings.length, 'findings'],
    ['error', bySeverity('error'), 'errors'],
    ['warning', bySeverity('warning'), 'warnings'],
    ['info', bySeverity('info'), 'info'],
    ['files', results.length, 'files analysed'],
  ]
    .map(([cls, n, label]) => `<div class="total ${cls}"><b>${n}</b>${label}</div>`)
    .join('');

  const hotTable = hottest.length
    ? `<section class="hot"><h2>Hottest files</h2><table><thead><tr><th>File</th><th>Findings</th><th>Errors</th></tr></thead><tbody>${hottest
        .map((row) => `<tr><td><a href="#${anchor(row.file)}">${escapeHtml(row.file)}</a></td><td class="n">${row.n}</td><td class="n">${row.errors}</td></tr>`)
        .join('')}</tbody></table></section>`
    : '';

  const filter = perRule.length > 1 ? `<nav class="filter">${perRule.map(([rule, n]) => `<label><input type="checkbox" value="${escapeHtml(rule)}" checked> ${escapeHtml(rule)} (${n})</label>`).join('')}</nav>` : '';

  const groups = results
    .filter((result) => result.findings.length)
    .map((result) => {
      const file = displayPath(result.file, context.cwd);
      return `<section class="file-group"><h3 class="file" id="${anchor(file)}">${escapeHtml(file)} <span class="muted">(${result.findings.length})</span></h3>${result.findings.map((finding) => findingHtml(finding, context, textOf)).join('')}</section>`;
    })
    .join('');

  const body = findings.length
    ? `<div class="charts">${barChart('Findings per rule', perRule, 'per-rule')}${barChart('Findings per directory', perDirectory.slice(0, 15), 'per-directory')}</div>${hotTable}<h2>Findings</h2>${filter}${groups}`
    : '<p>No scalability findings. 🎉</p>';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>scalelint report (${findings.length} finding${findings.length === 1 ? '' : 's'})</title><style>${STYLE}</style></head>
<body><main><h1>scalelint report</h1><p class="muted">${escapeHtml(displayPath(context.cwd, context.cwd) || context.cwd)} · scalelint ${escapeHtml(context.toolVersion)} · ${escapeHtml(generatedAt.toISOString())}</p>
<div class="totals">${totals}</div>${body}</main><script>${SCRIPT}</script></body></html>
`;
}

function anchor(file: string): string {
  return `f-${file.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
