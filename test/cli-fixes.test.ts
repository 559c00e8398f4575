// The engine's fix writer behind --fix (and the editor's fix-all), on findings from the real engine.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../rules';
import { Engine } from '../server/src/engine/engine';
import { planFixes, writeFixPlan } from '../server/src/engine/fixes';
import type { FileResult, Finding } from '../server/src/engine/types';
import { KEYS_SERVICE, scratch, write } from './cli-support';

describe('fix writer (engine/fixes.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let result: FileResult;

  beforeEach(function () {
    dir = scratch();
    file = write(dir, 'keys.ts', KEYS_SERVICE);
    result = new Engine({ rules: RULES, root: dir, configFile: null }).analyzeFile(file);
    assert.ok(result.findings.filter((finding) => finding.fixes.some((fix) => fix.kind === 'fix')).length >= 2);
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const texts = (): Map<string, string> => new Map([[result.file, result.text]]);

  it('writes every safe fix through a temporary file and leaves nothing behind', function () {
    const plan = planFixes(result.findings, texts());
    assert.equal(plan.applied.length, result.findings.length);
    const outcome = writeFixPlan(plan);
    assert.deepEqual(outcome.written, [result.file]);
    const after = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(after, /redis\.keys\(/);
    assert.deepEqual(fs.readdirSync(dir), ['keys.ts']);
    const again = new Engine({ rules: RULES, root: dir, configFile: null }).analyzeFile(file);
    assert.deepEqual(again.findings.map((finding) => finding.ruleId), []);
  });

  it('skips a file that changed on disk since it was analysed, and keeps the new text', function () {
    const plan = planFixes(result.findings, texts());
    const edited = `${KEYS_SERVICE}// edited in the editor meanwhile\n`;
    fs.writeFileSync(file, edited);
    const outcome = writeFixPlan(plan);
    assert.deepEqual(outcome.written, []);
    assert.match(outcome.skipped[0].reason, /changed on disk since it was analysed/);
    assert.equal(fs.readFileSync(file, 'utf8'), edited);
  });

  it('never plans a fix whose result would not parse, nor overlapping fixes, nor suggestions', function () {
    const [first, second] = result.findings;
    const broken: Finding = { ...first, fixes: [{ title: 'broken', kind: 'fix', edits: [{ file: result.file, start: first.range.start.offset, end: first.range.end.offset, newText: 'redis.scan(' }] }] };
    const overlapping: Finding = { ...second, fixes: [{ ...second.fixes[0] }] };
    const suggestion: Finding = { ...second, fixes: second.fixes.map((fix) => ({ ...fix, kind: 'suggestion' as const })) };
    const plan = planFixes([broken, second, overlapping, suggestion], texts());
    assert.deepEqual(plan.applied.map((entry) => entry.finding), [second]);
    assert.deepEqual(plan.skipped.map((entry) => entry.reason.replace(/ \(.*/, '')), ['the result would not parse', 'it overlaps another fix; run --fix again']);
  });

  it('creates new files exclusively and never overwrites one', function () {
    const migration = path.join(dir, 'migrations', '004_index.sql');
    const withCreation: Finding = { ...result.findings[0], fixes: [{ title: 'add an index', kind: 'fix', edits: [], creates: [{ file: migration, content: 'CREATE INDEX CONCURRENTLY a ON b (c);\n' }] }] };
    const outcome = writeFixPlan(planFixes([withCreation], texts()));
    assert.deepEqual(outcome.created, [migration]);
    assert.equal(fs.readFileSync(migration, 'utf8'), 'CREATE INDEX CONCURRENTLY a ON b (c);\n');
    const second = planFixes([withCreation], texts());
    assert.equal(second.applied.length, 0);
    assert.match(second.skipped[0].reason, /which exists/);
  });
});
