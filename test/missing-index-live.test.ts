// Live confirmation against the real PostgreSQL server scripts/setup/postgres.sh starts: the demo
// schema from its migrations, production-like data, then (1) `scalelint index` through the built CLI
// and (2) the quick-fix's migration applied for real, after which the planner uses the index.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { DEMO, REPO_ROOT, analyzeFolder } from './harness';
import type { IndexConfirmation } from '../server/src/cli/index-command';

const ADMIN_URL = process.env.SCALELINT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:54329/postgres';
const DATABASE = `scalelint_demo_${process.pid}`;
const DEMO_URL = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
})();
const FLAGGED_QUERY = 'SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE status = $1 ORDER BY created_at DESC LIMIT 100';

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The generic plan of a parameterised query, as the index command asks for it. */
async function genericPlan(client: Client, sql: string, params: number): Promise<string> {
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE probe AS ${sql}`);
    const { rows } = await client.query(`EXPLAIN EXECUTE probe(${Array.from({ length: params }, () => 'NULL').join(', ')})`);
    await client.query('DEALLOCATE probe');
    return rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('missing-index live confirmation (real PostgreSQL)', function () {
  this.timeout(120_000);

  before(async function () {
    await withClient(ADMIN_URL, async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    });
    await withClient(DEMO_URL, async (client) => {
      const migrations = fs.readdirSync(path.join(DEMO, 'migrations')).filter((name) => name.endsWith('.sql')).sort();
      for (const migration of migrations) await client.query(fs.readFileSync(path.join(DEMO, 'migrations', migration), 'utf8'));
      // Production-like shape: 2,000 customers, 200,000 orders over two years in ten statuses.
      await client.query(`INSERT INTO customers (email, name, tenant_id) SELECT 'c' || i || '@shop.test', 'Customer ' || i, i % 20 FROM generate_series(1, 2000) AS i`);
      await client.query(`
        INSERT INTO orders (customer_id, status, total_cents, created_at)
        SELECT 1 + (i % 2000), (ARRAY['pending','paid','packed','shipped','delivered','returned','refunded','cancelled','on_hold','disputed'])[1 + (i % 10)],
               100 + (i % 50000), now() - (i % 730) * interval '1 day' - (i % 86400) * interval '1 second'
        FROM generate_series(1, 200000) AS i`);
      await client.query('ANALYZE');
    });
  });

  after(async function () {
    await withClient(ADMIN_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)).catch(() => undefined);
  });

  it('scalelint index (the built CLI) shows the planner would use the suggested index, and cheaper', function () {
    const output = execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'index', '--database-url', DEMO_URL, '--format', 'json', '.'], { cwd: DEMO, encoding: 'utf8' });
    const results = JSON.parse(output) as IndexConfirmation[];
    const byStatus = results.find((result) => result.file.endsWith(path.join('repositories', 'orders.ts')));
    assert.ok(byStatus, `no confirmation for the demo's listOrdersByStatus query:\n${output}`);
    assert.equal(byStatus.error, undefined);
    assert.equal(byStatus.statement, 'CREATE INDEX CONCURRENTLY idx_orders_status_created_at ON orders (status, created_at);');
    assert.equal(byStatus.usesIndex, true, `plan after:\n${byStatus.planAfter}`);
    assert.ok(byStatus.costAfter! < byStatus.costBefore! / 10, `cost ${byStatus.costBefore} → ${byStatus.costAfter}`);
    assert.match(byStatus.planBefore!, /Seq Scan on orders/);
    // Nothing persisted: the hypothetical or rolled-back index is gone.
    const indexes = execFileSync('psql', [DEMO_URL, '-tAc', "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_orders_status_created_at'"], { encoding: 'utf8' }).trim();
    assert.equal(indexes, '0');
  });

  it("the quick-fix's migration, applied to the demo schema, makes the planner use the index", async function () {
    const run = await analyzeFolder(DEMO);
    const finding = run.results.flatMap((result) => result.findings).find((candidate) => candidate.ruleId === 'missing-index' && candidate.file.endsWith(path.join('repositories', 'orders.ts')));
    assert.ok(finding, 'the demo query on orders.status is not flagged');
    const migration = finding.fixes[0]?.creates?.[0];
    assert.ok(migration, 'the first fix does not create a migration');
    assert.equal(path.dirname(migration.file), path.join(DEMO, 'migrations'));
    assert.match(path.basename(migration.file), /^004_idx_orders_status_created_at\.sql$/);
    assert.ok(!fs.existsSync(migration.file), 'the fix must create a new file');

    await withClient(DEMO_URL, async (client) => {
      const before = await genericPlan(client, FLAGGED_QUERY, 1);
      assert.match(before, /Seq Scan on orders/, before);
      // As a migration runner would: the file alone, outside a transaction (CONCURRENTLY needs that).
      await client.query(migration.content);
      await client.query('ANALYZE orders');
      const after = await genericPlan(client, FLAGGED_QUERY, 1);
      assert.match(after, /Index Scan( Backward)? using idx_orders_status_created_at on orders/, after);
      assert.doesNotMatch(after, /Seq Scan|Sort/, after);
    });
  });
});
