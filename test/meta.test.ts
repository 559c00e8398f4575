// Every registered rule has its room: folder, guidance page, fixtures; every rule folder is registered.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../rules';
import { docsUrl } from '../server/src/engine/docs';
import { FIXTURES, REPO_ROOT, fixtureFiles, parseExpectations } from './harness';

const RULES_DIR = path.join(REPO_ROOT, 'rules');

describe('rule registry', function () {
  it('ids are unique and match their folders', function () {
    const ids = RULES.map((rule) => rule.meta.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(fs.existsSync(path.join(RULES_DIR, id, 'index.ts')), `rules/${id}/index.ts is missing`);
  });

  it('every rule folder is registered', function () {
    const folders = fs.readdirSync(RULES_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const ids = new Set(RULES.map((rule) => rule.meta.id));
    assert.deepEqual(folders.filter((folder) => !ids.has(folder)), []);
  });

  for (const rule of RULES) {
    describe(rule.meta.id, function () {
      it('has complete metadata', function () {
        assert.match(rule.meta.id, /^[a-z][a-z0-9-]*$/);
        assert.ok(rule.meta.description.length > 20 && !rule.meta.description.includes('\n'));
        assert.ok(['error', 'warning', 'info'].includes(rule.meta.defaultSeverity));
        assert.ok(['fix', 'suggestion', 'none'].includes(rule.meta.fixKind));
        assert.equal(docsUrl(rule.meta.id), `https://scalelint.dev/rules/${rule.meta.id}`);
      });

      it('has a guidance page', function () {
        assert.ok(fs.existsSync(path.join(RULES_DIR, rule.meta.id, 'README.md')), `rules/${rule.meta.id}/README.md is missing`);
      });

      it('has positive and negative fixtures', function () {
        const dir = path.join(FIXTURES, rule.meta.id);
        assert.ok(fs.existsSync(dir), `fixtures/${rule.meta.id}/ is missing`);
        const counts = fixtureFiles(dir).map((file) => parseExpectations(file, fs.readFileSync(file, 'utf8')).filter((e) => e.ruleId === rule.meta.id).length);
        assert.ok(counts.some((n) => n > 0) && counts.some((n) => n === 0));
      });
    });
  }
});
