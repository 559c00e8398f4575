// docs/rules.md is generated from the registry; this keeps the committed file in step with the code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../rules';
import { renderRulesDoc, RULES_DOC_PATH } from '../server/src/docs/rules-doc';
import { REPO_ROOT } from './harness';

describe('docs/rules.md', function () {
  it('is what `npm run docs:rules` generates from the registry', function () {
    const committed = fs.readFileSync(path.join(REPO_ROOT, RULES_DOC_PATH), 'utf8');
    assert.equal(committed, renderRulesDoc(RULES.map((rule) => rule.meta)), `${RULES_DOC_PATH} is out of date: run \`npm run docs:rules\` and commit it`);
  });

  it('lists every registered rule once, with its description, severity and fix kind', function () {
    const doc = renderRulesDoc(RULES.map((rule) => rule.meta));
    for (const { id, description, defaultSeverity } of RULES.map((rule) => rule.meta)) {
      const rows = doc.split('\n').filter((line) => line.startsWith(`| [\`${id}\`](../rules/${id}/README.md) |`));
      assert.equal(rows.length, 1, `one row for ${id}`);
      assert.ok(rows[0].includes(description.replace(/\|/g, '\\|')) && rows[0].includes(`| ${defaultSeverity} |`), rows[0]);
    }
  });
});
