// The engine's failure boundaries: a rule that throws, overflows the stack or runs too long is stopped
// and reported without taking the run (or the editor session) down, and hostile editor buffers never
// make setFileText or analyzeFile throw.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RULES } from '../../rules';
import { ANALYSIS_BUDGET, Engine } from '../../server/src/engine/engine';
import { callsIn } from '../../server/src/engine/rule-kit';
import { DEFAULT_DOCS_BASE_URL, guidePath } from '../../server/src/engine/docs';
import { REPO_ROOT } from '../harness';
import type { Rule } from '../../server/src/engine/types';

const FLAGGED = `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const all = () => redis.keys('user:*');\n`;

function testRule(id: string, check: Rule['check']): Rule {
  return { meta: { id, description: `test rule ${id}`, defaultSeverity: 'warning', fixKind: 'none' }, check };
}

describe('reliability: engine failure boundaries', function () {
  this.timeout(120000);
  let dir: string;
  let file: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-boundaries-'));
    file = path.join(dir, 'cache.ts');
    fs.writeFileSync(file, FLAGGED);
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a rule that throws is skipped with an internal-error message without a stack trace; the other rules still report', async function () {
    const throwing = testRule('throws', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'getText')");
    });
    const overflowing = testRule('overflows', () => {
      const recurse = (n: number): number => recurse(n + 1) + 1;
      recurse(0);
    });
    const engine = new Engine({ rules: [throwing, ...RULES, overflowing], root: dir, configFile: null });
    await engine.ready;
    const result = engine.analyzeFile(file);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'redis-keys').map((f) => f.range.start.line), [3]);
    const errors = result.messages.filter((m) => m.level === 'error').map((m) => m.message);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0], /internal error in rule 'throws', skipped on this file: TypeError: Cannot read properties/);
    assert.match(errors[1], /internal error in rule 'overflows', skipped on this file: RangeError/);
    for (const message of errors) assert.doesNotMatch(message, /\n\s+at /);
    // The engine is still sound afterwards.
    assert.equal(engine.analyzeFile(file).findings.filter((f) => f.ruleId === 'redis-keys').length, 1);
  });

  it('a rule that runs past the per-file budget is stopped inside its loop with an info finding, and later rules are named', async function () {
    const slow = testRule('slow', (context) => {
      // Asks the engine about every call forever: the budget check inside classification stops it.
      for (;;) for (const call of callsIn(context.sourceFile)) context.io.classify(call);
    });
    const after = testRule('after', (context) => context.report({ node: context.sourceFile, message: 'ran' }));
    fs.writeFileSync(path.join(dir, 'scalelint.config.json'), JSON.stringify({ analysisBudgetMs: 200 }));
    const engine = new Engine({ rules: [...RULES, slow, after], root: dir });
    await engine.ready;
    const started = Date.now();
    const result = engine.analyzeFile(file);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 20000, `the budget did not stop the rule (${elapsed} ms)`);
    const budget = result.findings.filter((f) => f.ruleId === ANALYSIS_BUDGET);
    assert.equal(budget.length, 1, JSON.stringify(result.findings.map((f) => f.ruleId)));
    assert.equal(budget[0].severity, 'info');
    assert.match(budget[0].message, /budget of 200 ms \(analysisBudgetMs\), so slow, after did not check it/);
    // Its link leads to the page that explains analysisBudgetMs, shipped offline.
    const page = guidePath(decodeURIComponent(budget[0].docsUrl.slice(DEFAULT_DOCS_BASE_URL.length)));
    assert.equal(page, 'docs/configuration.md');
    assert.match(fs.readFileSync(path.join(REPO_ROOT, page), 'utf8'), /analysisBudgetMs/);
    assert.ok(!result.findings.some((f) => f.ruleId === 'after'), 'rules after the budget ran out must not run');
    assert.ok(result.findings.some((f) => f.ruleId === 'redis-keys'), 'findings from before the budget ran out are kept');
    assert.deepEqual(result.messages.filter((m) => m.level === 'error'), []);
  });

  it('hostile editor buffers never make setFileText or analyzeFile throw, and the file recovers', async function () {
    const engine = new Engine({ rules: RULES, root: dir, configFile: null });
    await engine.ready;
    const hostile = [
      `export const x = ${'['.repeat(6000)}1${']'.repeat(6000)};`,
      `export function f() {${'{'.repeat(6000)}`,
      '\u0000\u0001\ud800\udfff'.repeat(1000),
      '`${'.repeat(3000),
      '/*'.repeat(5000),
      '',
      // Mid-edit, a destructured name is its own initializer: following it must not recurse forever.
      "import pg from 'pg';\nconst { Client: PgClient, Pool } = PgClient\npg;\nexport const connect = () => new PgClient();\nexport const pool = new Pool();\n",
    ];
    for (const text of hostile) {
      engine.setFileText(file, text);
      const result = engine.analyzeFile(file);
      assert.ok(result.messages.every((m) => m.level !== 'error'), `${text.slice(0, 20)}…: ${JSON.stringify(result.messages)}`);
    }
    engine.setFileText(file, `export const x = ${'['.repeat(6000)}1${']'.repeat(6000)};`);
    assert.match(engine.analyzeFile(file).messages.map((m) => m.message).join('\n'), /nested too deeply to parse/);
    const keys = (): number[] => engine.analyzeFile(file).findings.filter((f) => f.ruleId === 'redis-keys').map((f) => f.range.start.line);
    engine.setFileText(file, FLAGGED);
    assert.deepEqual(keys(), [3]);
    engine.setFileText(file, undefined);
    assert.deepEqual(keys(), [3]);
  });
});
