// Renders docs/rules.md from the rule registry. `npm run docs:rules` writes it; test/docs-rules.test.ts
// fails when the committed file is not what this renders, so the table cannot drift from the code.
import type { FixKind, RuleMeta } from '../engine/types';

export const RULES_DOC_PATH = 'docs/rules.md';

const FIX_KIND: Record<FixKind, string> = {
  fix: 'safe fix',
  suggestion: 'suggestion',
  none: '—',
};

/** Markdown table cells: no pipes or line breaks from the description leak into the table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

export function renderRulesDoc(rules: readonly RuleMeta[]): string {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  const rows = sorted.map(
    (meta) => `| [\`${meta.id}\`](../rules/${meta.id}/README.md) | ${cell(meta.description)} | ${meta.defaultSeverity} | ${FIX_KIND[meta.fixKind]} |`,
  );
  return [
    '# Rules',
    '',
    '<!-- Generated from rules/index.ts by `npm run docs:rules`. Do not edit by hand: test/docs-rules.test.ts compares it with the registry. -->',
    '',
    `scalelint has ${sorted.length} rule${sorted.length === 1 ? '' : 's'}. Each links to its guidance page: what it flags, why it hurts at`,
    'scale, ❌/✅ code, the quick-fix and when to suppress.',
    '',
    '| rule | description | default severity | fix |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '**Fix** — *safe fix*: may be applied unattended (`--fix`, fix-all on save); *suggestion*: offered as a',
    'quick-fix that needs review; *—*: no automatic fix, the page shows the rewrite.',
    '',
    'Change a severity or pass options in `scalelint.config.json`:',
    '',
    '```json',
    '{ "rules": { "<rule-id>": "warning" } }',
    '```',
    '',
    'The engine also reports `unused-suppression` (a suppression comment that hides nothing), explained in',
    '[suppressions](suppressions.md).',
    '',
  ].join('\n');
}
