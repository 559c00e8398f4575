// The n-plus-one quick-fixes through the real rule, engine, I/O resolver and summaries: the first fix of
// every finding, which fixes are safe and which only suggestions, and the demo service fixed end to end.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project } from 'ts-morph';
import { Engine } from '../server/src/engine/engine';
import type { FileResult } from '../server/src/engine/types';
import { DEMO, FIXTURES, applyFirstFixes, typeErrors } from './harness';
import nPlusOne from '../rules/n-plus-one';

const DIR = path.join(FIXTURES, 'n-plus-one', 'fixes');

let results: FileResult[];

function resultFor(name: string): FileResult {
  const result = results.find((r) => path.basename(r.file) === name);
  assert.ok(result, `${name} was not analysed`);
  return result;
}

/** Fix kinds by line, first fix of each finding. */
function kinds(name: string): Record<number, string> {
  return Object.fromEntries(resultFor(name).findings.map((f) => [f.range.start.line, f.fixes[0]?.kind ?? 'none']));
}

function lineOf(name: string, text: string): number {
  const lines = fs.readFileSync(path.join(DIR, name), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `no line with ${text} in ${name}`);
  return index + 1;
}

describe('n-plus-one quick-fixes', function () {
  this.timeout(120000);
  before(async function () {
    const engine = new Engine({ rules: [nPlusOne], root: DIR });
    ({ results } = await engine.analyzePaths([DIR]));
  });

  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.fixed.ts')).sort()) {
    const source = file.replace(/\.fixed\.ts$/, '.ts');
    it(`${source}: the first fix of every site gives ${file}`, function () {
      const result = resultFor(source);
      const { text, applied } = applyFirstFixes(result.text, result.file, result.findings, 'n-plus-one');
      assert.equal(applied.length, result.findings.filter((finding) => finding.fixes.length > 0).length, 'a fix overlapped another');
      assert.ok(applied.length > 0, 'no fix offered');
      assert.equal(text, fs.readFileSync(path.join(DIR, file), 'utf8'));
    });
  }

  it('offers a safe fix only where the rewrite is equivalent', function () {
    const expected: [string, string, string, string?][] = [
      ['pg-lookup.ts', 'name, email FROM customers WHERE id = $1', 'fix'],
      ['pg-lookup.ts', 'SELECT * FROM customers WHERE id = $1', 'fix'],
      ['pg-lookup.ts', 'SELECT email FROM customers', 'none', 'rows without the key column cannot be grouped'],
      ['pg-lookup.ts', 'exchange_rates', 'fix', 'a loop-invariant read is hoisted'],
      ['mysql-lookup.ts', 'WHERE sku = ?', 'suggestion', 'MySQL compares strings by collation, a Map does not'],
      ['mysql-lookup.ts', 'WHERE product_id = ?', 'fix'],
      ['redis-lookup.ts', 'redis.get(', 'fix'],
      ['redis-lookup.ts', 'redis.hget(', 'fix'],
      ['node-redis-lookup.ts', 'client.get(', 'fix'],
      ['hoist-variants.ts', 'tier_discounts', 'fix', 'an invariant read inside an expression is named above the loop'],
      ['hoist-variants.ts', "redis.get('stamp:latest')", 'suggestion', 'the loop writes before it reads'],
      ['prisma-lookup.ts', 'const author = await prisma.user.findUnique', 'fix'],
      ['prisma-lookup.ts', 'select: { id: true, email: true }', 'fix'],
      ['typeorm-lookup.ts', 'findOneBy', 'fix'],
      ['typeorm-find-one.ts', 'findOne(', 'fix'],
      ['sequelize-lookup.ts', 'findOne(', 'fix'],
      ['sequelize-find-by-pk.ts', 'findByPk(', 'suggestion', 'the primary key is `id` only by convention'],
      ['mongoose-lookup.ts', 'findById(', 'fix'],
      ['mongoose-lookup.ts', 'findOne({ handle', 'suggestion', 'handle may not be unique'],
      ['helpers.ts', 'getProduct(line.productId)', 'suggestion', 'a helper: DataLoader'],
      ['http-per-item.ts', 'axios.get<Quote>', 'suggestion', 'HTTP: DataLoader keyed by URL'],
      ['http-per-item.ts', 'await fetch(', 'none', 'a Response body cannot be shared between repeated keys'],
      ['graphql-resolvers.ts', 'prisma.user.findFirst', 'suggestion', 'a per-request loader with a set-based batch function'],
      ['graphql-http-resolvers.ts', 'axios.get', 'suggestion', 'a per-request loader; the resolver gains a context parameter'],
      ['unsafe-rewrites.ts', "WHERE id = $1', [order.customerId]", 'suggestion', 'behind an if: batching reads keys the loop skips'],
      ['unsafe-rewrites.ts', 'redis.get(', 'suggestion', 'the loop writes what it reads'],
      ['unsafe-rewrites.ts', '[customerId]', 'fix', 'the key alias is followed and the collection named once'],
      ['unsafe-rewrites.ts', 'LIMIT 1', 'none', 'a LIMIT per key would cut the whole batch'],
      ['unsafe-rewrites.ts', 'SELECT name, id FROM customers', 'none', 'no statement to go before inside an if without braces'],
    ];
    for (const [file, text, kind, why] of expected) {
      assert.equal(kinds(file)[lineOf(file, text)], kind, `${file}: ${text}${why ? ` (${why})` : ''}`);
    }
  });

  it('fixed outputs type-check against the real library declarations', function () {
    const fixed = fs.readdirSync(DIR).filter((f) => f.endsWith('.fixed.ts')).map((f) => path.join(DIR, f));
    assert.deepEqual(typeErrors(path.join(FIXTURES, 'tsconfig.json'), fixed), []);
  });

  it('on the demo service, the fixes leave a project that still type-checks', async function () {
    const engine = new Engine({ rules: [nPlusOne], root: DEMO });
    const { results: first } = await engine.analyzePaths([DEMO]);
    // Each finding shows its evidence: the loop, the helper call, and the query in the repository file.
    const demoFindings = first.flatMap((result) => result.findings);
    assert.ok(demoFindings.length >= 2, `only ${demoFindings.length} N+1s found in the demo`);
    for (const finding of demoFindings) {
      const files = finding.related.map((related) => path.relative(DEMO, related.file));
      assert.ok(finding.related.length >= 3 && files.some((file) => file.startsWith(path.join('src', 'repositories'))), `${finding.message}: evidence ${files.join(', ')}`);
    }
    const project = new Project({ tsConfigFilePath: path.join(DEMO, 'tsconfig.json') });
    let fixed = 0;
    // Fixes that add the same import overlap; like `--fix`, apply what fits and run again.
    for (let round = 0, results = first; round < 5; round++, results = engine.analyzeFiles(results.map((r) => r.file))) {
      let appliedThisRound = 0;
      for (const result of results) {
        const { text, applied } = applyFirstFixes(result.text, result.file, result.findings, 'n-plus-one');
        if (applied.length === 0) continue;
        appliedThisRound += applied.length;
        engine.setFileText(result.file, text);
        project.getSourceFileOrThrow(result.file).replaceWithText(text);
      }
      fixed += appliedThisRound;
      if (appliedThisRound === 0) break;
    }
    // The demo's N+1s (a product per order item, the items of each order) reach pg through helpers.
    assert.ok(fixed >= 2, `only ${fixed} fixes applied`);
    const errors = project.getPreEmitDiagnostics().map((d) => `${d.getSourceFile()?.getBaseName()}:${d.getLineNumber()}: ${d.getMessageText().toString()}`);
    assert.deepEqual(errors, []);
  });
});
