// The uncached-hot-read quick-fix through the real rule and engine: the cache key it writes is the value
// the read uses, and no fix is offered where no key is safe to guess.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../server/src/engine/engine';
import type { Finding } from '../server/src/engine/types';
import { FIXTURES } from './harness';
import uncachedHotRead from '../rules/uncached-hot-read';

const FILE = path.join(FIXTURES, 'uncached-hot-read', 'fix-keys.ts');

describe('uncached-hot-read quick-fix keys', function () {
  this.timeout(120000);
  let findings: Finding[];
  before(async function () {
    const engine = new Engine({ rules: [uncachedHotRead], root: path.dirname(FILE) });
    const { results } = await engine.analyzePaths([FILE]);
    findings = results.flatMap((result) => result.findings);
  });

  function findingAt(text: string): Finding {
    const line = fs.readFileSync(FILE, 'utf8').split('\n').findIndex((candidate) => candidate.includes(text)) + 1;
    const finding = findings.find((candidate) => candidate.range.start.line === line);
    assert.ok(finding, `no finding on the line with ${text}`);
    return finding;
  }

  /** The key argument the fix passes to the cache helper. */
  function keyOf(finding: Finding): string | undefined {
    const replacement = finding.fixes[0]?.edits.find((edit) => /^cached\w+\(/.test(edit.newText));
    return replacement?.newText.match(/^cached\w+\((.*?), \(\) =>/)?.[1];
  }

  it('keys a getter by its result', function () {
    assert.equal(keyOf(findingAt("[req.get('host')]")), "`tenants:${JSON.stringify([req.get('host')])}`");
  });

  it("keys a nested function's read by the enclosing handler's variable", function () {
    assert.equal(keyOf(findingAt('[host]')), '`tenantBranding:${JSON.stringify([host])}`');
  });

  it('offers no fix when an input is a whole object', function () {
    assert.deepEqual(findingAt('JSON.stringify(req.query)').fixes, []);
  });
});
