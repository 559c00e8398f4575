// Runs every fixtures/<rule-id>/ folder and the demo project through the real engine.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO, FIXTURES, REGISTERED, REPO_ROOT, analyzeFolder, applyFirstFixes, compare, fixtureFiles, parseExpectations, ruleFixtureFolders, typeErrors, type FolderRun } from './harness';

function fixedTwinOf(file: string): string | undefined {
  const twin = file.replace(/(\.[cm]?[jt]sx?)$/, '.fixed$1');
  return fs.existsSync(twin) ? twin : undefined;
}

describe('rule fixtures', function () {
  for (const folder of ruleFixtureFolders()) {
    describe(folder, function () {
      const dir = path.join(FIXTURES, folder);
      let run: FolderRun;
      before(async function () {
        run = await analyzeFolder(dir);
      });

      it('reports exactly the expected findings', function () {
        const { problems } = compare(run.results, folder);
        assert.deepEqual(problems, []);
      });

      it('has positives and a negatives file', function () {
        const files = fixtureFiles(dir);
        const perFile = files.map((file) => parseExpectations(file, fs.readFileSync(file, 'utf8')).filter((e) => e.ruleId === folder).length);
        assert.ok(perFile.some((count) => count > 0), `no expectation of ${folder} in ${folder}/`);
        assert.ok(perFile.some((count) => count === 0), `${folder}/ needs a file of negatives (tricky code that must not be flagged)`);
      });

      for (const file of fixtureFiles(dir)) {
        const twin = fixedTwinOf(file);
        if (!twin) continue;
        it(`quick-fixes ${path.basename(file)} into ${path.basename(twin)} and the findings go away`, function () {
          // Like expectations of a rule not registered yet, its fixed outputs are pending until it is.
          if (!REGISTERED.has(folder)) this.skip();
          const result = run.results.find((r) => r.file === file);
          assert.ok(result, `${file} was not analysed`);
          const { text, applied } = applyFirstFixes(result.text, file, result.findings, folder);
          assert.ok(applied.length > 0, 'no fix was applied');
          assert.equal(text, fs.readFileSync(twin, 'utf8'));
          const engine = run.engineFor(file);
          try {
            engine.setFileText(file, text);
            const after = engine.analyzeFile(file).findings.filter((f) => f.ruleId === folder && f.fixes.length > 0);
            assert.deepEqual(after.map((f) => `${f.range.start.line}: ${f.message}`), [], 'fixable findings remain after the fix');
          } finally {
            engine.setFileText(file, undefined);
          }
        });
      }
    });
  }

  it('type-check against the real library declarations (fixed outputs included)', function () {
    this.timeout(300000);
    assert.deepEqual(typeErrors(path.join(FIXTURES, 'tsconfig.json')), []);
    // A fixture that is a project of its own: what it sets up at start-up applies to all its files.
    assert.deepEqual(typeErrors(path.join(FIXTURES, 'missing-timeout', 'global-dispatcher', 'tsconfig.json')), []);
    assert.deepEqual(typeErrors(path.join(FIXTURES, 'uncached-hot-read', 'nest-global-cache', 'tsconfig.json')), []);
  });
});

describe('demo-shop', function () {
  let run: FolderRun;
  before(async function () {
    run = await analyzeFolder(DEMO);
  });

  it('reports exactly the expected findings of every registered rule', function () {
    const { problems, pending } = compare(run.results, undefined);
    if (pending.length) console.log(`      (${pending.length} demo expectations name rules not registered yet: ${[...new Set(pending.map((p) => p.ruleId))].join(', ')})`);
    assert.deepEqual(problems, []);
  });

  it('type-checks', function () {
    this.timeout(300000);
    assert.deepEqual(typeErrors(path.join(DEMO, 'tsconfig.json')), []);
  });

  it('shows every anti-pattern of the mission at least once', function () {
    const expected = fixtureFiles(DEMO).flatMap((file) => parseExpectations(file, fs.readFileSync(file, 'utf8')).map((e) => e.ruleId));
    for (const rule of ['n-plus-one', 'unpooled-client', 'uncached-hot-read', 'redis-keys', 'missing-timeout', 'missing-circuit-breaker', 'missing-index']) {
      assert.ok(expected.includes(rule), `the demo has no ${rule}`);
    }
    assert.ok(path.relative(REPO_ROOT, DEMO));
  });
});
