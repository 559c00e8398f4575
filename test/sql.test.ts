// The SQL layer of missing-index: the libpg-query wrapper, query shapes, the schema catalog, the
// advisor, and the rule's fixes applied for real to a copy of a fixture project.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RULES } from '../rules';
import { nextMigrationName } from '../rules/missing-index/fixes';
import { Engine } from '../server/src/engine/engine';
import { adviseIndexes } from '../server/src/engine/sql/advisor';
import { Catalog } from '../server/src/engine/sql/catalog';
import { loadSqlParser, parseSql } from '../server/src/engine/sql/parser';
import { statementShapes, type StatementShape } from '../server/src/engine/sql/query-shape';
import { applyTsSchemaFile } from '../server/src/engine/sql/ts-schema';
import { buildCatalog, findSchemaFiles } from '../server/src/engine/sql/schema';
import { applyPrismaSchema } from '../server/src/engine/sql/prisma-schema';
import { applyTextEdits } from '../server/src/engine/text';
import { FIXTURES } from './harness';

// A root hook: the parser is loaded before any test of the run analyses SQL.
before(async function () {
  await loadSqlParser();
});

function shapes(sql: string, catalog = new Catalog()): StatementShape[] {
  const parsed = parseSql(sql);
  assert.ok(parsed, `does not parse: ${sql}`);
  return parsed.statements.flatMap((statement) => statementShapes(statement.stmt, (schema, table) => catalog.table(schema, table)?.columns));
}

function catalogOf(sql: string): Catalog {
  const catalog = new Catalog();
  catalog.applySql(sql, 'schema.sql');
  return catalog;
}

function advice(sql: string, catalog: Catalog): string[] {
  return shapes(sql, catalog).flatMap((shape) => adviseIndexes(shape, catalog)).map((item) => item.statement);
}

describe('sql: libpg-query wrapper', function () {
  it('parses PostgreSQL and maps byte locations to characters', function () {
    const sql = "SELECT 'é' AS x FROM orders WHERE status = $1";
    const parsed = parseSql(sql);
    assert.ok(parsed);
    const [shape] = statementShapes(parsed.statements[0].stmt, () => undefined);
    const location = parsed.charOffset(shape.tables[0].filters[0].location);
    assert.equal(sql.slice(location, location + 'status'.length), 'status');
  });

  it('returns undefined for other dialects and broken SQL, never throws', function () {
    assert.equal(parseSql('SELECT count() FROM t FINAL SETTINGS max_threads = 1'), undefined);
    assert.equal(parseSql('SELEC * FROM'), undefined);
    assert.equal(parseSql(''), undefined);
    assert.equal(parseSql('\u0000\uffff'.repeat(1000)), undefined);
  });
});

describe('sql: query shapes', function () {
  it('collects filters by kind, resolving aliases and schema-qualified names', function () {
    const [shape] = shapes("SELECT * FROM shop.orders o WHERE o.status = $1 AND o.total > 10 AND o.deleted_at IS NULL AND o.code LIKE 'AB%' AND o.id IN (1, 2) AND o.tag = ANY($2)");
    const use = shape.tables[0];
    assert.equal(use.schema, 'shop');
    assert.deepEqual(use.filters.map((filter) => `${filter.column}:${filter.kind}`), ['status:eq', 'total:range', 'deleted_at:null', 'code:prefix', 'id:eq', 'tag:eq']);
  });

  it('ignores OR branches, inequality and infix LIKE; flips reversed comparisons', function () {
    const [shape] = shapes("SELECT * FROM t WHERE (a = 1 OR b = 2) AND c <> 3 AND d LIKE '%x' AND 5 < e");
    assert.deepEqual(shape.tables[0].filters.map((filter) => `${filter.column}${filter.operator}`), ['e>']);
  });

  it('finds joins, sorts under LIMIT, subqueries and CTEs', function () {
    const all = shapes('WITH recent AS (SELECT * FROM orders WHERE created_at > now()) SELECT c.id FROM customers c JOIN recent r ON r.customer_id = c.id JOIN payments p ON p.order_id = r.id WHERE c.id IN (SELECT customer_id FROM flags WHERE kind = $1) ORDER BY c.name LIMIT 10');
    const tables = all.flatMap((shape) => shape.tables.map((use) => use.table)).sort();
    assert.deepEqual(tables, ['customers', 'flags', 'orders', 'payments']);
    const main = all.find((shape) => shape.tables.some((use) => use.table === 'customers'))!;
    assert.equal(main.limit, '10');
    assert.deepEqual(main.tables.find((use) => use.table === 'customers')!.sortsUnderLimit.map((sort) => sort.column), ['name']);
    assert.equal(main.joins.length, 0, 'joins through a CTE have no table on one side');
  });

  it('does not treat an output alias in ORDER BY as a table column', function () {
    const [shape] = shapes('SELECT product_id, sum(quantity) AS sold FROM order_items GROUP BY product_id ORDER BY sold DESC LIMIT 5');
    assert.deepEqual(shape.tables[0].sortsUnderLimit, []);
  });
});

describe('sql: schema catalog', function () {
  it("names unnamed indexes as PostgreSQL does, so that later DROP INDEXes find them", function () {
    const catalog = catalogOf(`
      CREATE TABLE orders (id int PRIMARY KEY, status text, created_at timestamptz, email text);
      CREATE INDEX ON orders (status, created_at);
      CREATE INDEX ON orders (lower(email));
      CREATE UNIQUE INDEX ON orders (email);
      CREATE INDEX ON orders (status);
      CREATE INDEX ON orders (status);`);
    assert.deepEqual(catalog.table(undefined, 'orders')!.indexes.map((index) => index.name), ['orders_pkey', 'orders_status_created_at_idx', 'orders_lower_idx', 'orders_email_key', 'orders_status_idx', 'orders_status_idx1']);
    catalog.applySql('DROP INDEX orders_status_created_at_idx; DROP INDEX orders_lower_idx;', 'drop.sql');
    assert.deepEqual(catalog.table(undefined, 'orders')!.indexes.map((index) => index.name), ['orders_pkey', 'orders_email_key', 'orders_status_idx', 'orders_status_idx1']);
  });

  it('replays CREATE, ALTER, DROP and RENAME in order', function () {
    const catalog = catalogOf(`
      CREATE TABLE a (id int PRIMARY KEY, x int UNIQUE, y int, z int, CONSTRAINT a_yz UNIQUE (y, z));
      CREATE INDEX a_y ON a (y);
      CREATE INDEX a_expr ON a (lower(x::text));
      DROP INDEX a_y;
      ALTER TABLE a RENAME COLUMN z TO zz;
      ALTER TABLE a RENAME TO b;
      ALTER TABLE b ADD CONSTRAINT b_zz UNIQUE (zz);
      ALTER TABLE b DROP COLUMN x;
      ALTER INDEX a_yz RENAME TO b_yz;`);
    const table = catalog.table(undefined, 'b');
    assert.ok(table && !catalog.table(undefined, 'a'));
    assert.deepEqual([...table.columns].sort(), ['id', 'y', 'zz']);
    assert.deepEqual(table.indexes.map((index) => `${index.name}(${index.keys.map((key) => ('column' in key ? key.column : 'expr')).join(',')})`).sort(), ['a_expr(expr)', 'a_pkey(id)', 'b_yz(y,zz)', 'b_zz(zz)']);
  });

  it('keeps going past a statement that is not PostgreSQL', function () {
    const catalog = catalogOf('CREATE TABLE a (id int PRIMARY KEY) ENGINE=InnoDB; CREATE TABLE b (id int PRIMARY KEY);');
    assert.ok(catalog.table(undefined, 'b'));
  });

  it('reads Prisma models, TypeORM entities, Knex builders and Drizzle tables', function () {
    const catalog = new Catalog();
    applyPrismaSchema(catalog, 'model User {\n  id Int @id\n  email String @unique @map("email_address")\n  posts Post[]\n  @@index([id, email])\n  @@map("users")\n}\nmodel Post {\n  id Int @id\n  author User @relation(fields: [authorId], references: [id])\n  authorId Int\n}\n', 'schema.prisma');
    assert.deepEqual([...catalog.table(undefined, 'users')!.columns], ['id', 'email_address']);
    assert.ok(catalog.table(undefined, 'users')!.indexes.some((index) => index.name === 'users_email_address_key'));
    assert.deepEqual([...catalog.table(undefined, 'Post')!.columns], ['id', 'authorId']);
    // A block attribute written over several lines is one index.
    applyPrismaSchema(catalog, 'model Invoice {\n  id Int @id\n  tenantId Int\n  status String\n  @@index(\n    [tenantId,\n     status],\n    map: "invoices_tenant_status"\n  )\n}\n', 'schema.prisma');
    assert.deepEqual(catalog.table(undefined, 'Invoice')!.indexes.map((index) => [index.name, index.keys]), [
      ['Invoice_pkey', [{ column: 'id' }]],
      ['invoices_tenant_status', [{ column: 'tenantId' }, { column: 'status' }]],
    ]);

    // Sequelize names an unnamed index by underscoring the table and fields; a later removeIndex uses that name.
    applyTsSchemaFile(catalog, 'migrations/1-users.js', "module.exports = { async up(queryInterface) { await queryInterface.createTable('Users', { id: { type: 'INTEGER', primaryKey: true }, orgId: { type: 'INTEGER' }, status: { type: 'STRING' } }); await queryInterface.addIndex('Users', ['orgId', 'status']); await queryInterface.addIndex('Users', ['status']); } };");
    applyTsSchemaFile(catalog, 'migrations/2-users.js', "module.exports = { async up(queryInterface) { await queryInterface.removeIndex('Users', 'users_org_id_status'); } };");
    assert.deepEqual(catalog.table(undefined, 'Users')!.indexes.map((index) => index.name), ['Users_pkey', 'users_status']);

    applyTsSchemaFile(catalog, 'knex.ts', "export async function up(knex: any) { await knex.schema.createTable('jobs', (t: any) => { t.increments('id'); t.string('queue').index(); t.index(['state', 'run_at']); }); }\nexport async function down(knex: any) { await knex.schema.dropTable('jobs'); }");
    assert.deepEqual(catalog.table(undefined, 'jobs')!.indexes.map((index) => index.name), ['jobs_pkey', 'jobs_queue_index', 'jobs_state_run_at_index']);

    applyTsSchemaFile(catalog, 'schema.ts', "import { pgTable, text, index } from 'drizzle-orm/pg-core';\nexport const tags = pgTable('tags', { label: text('label_text') }, (t) => ({ byLabel: index('tags_label').on(t.label) }));");
    assert.deepEqual(catalog.table(undefined, 'tags')!.indexes.map((index) => index.keys), [[{ column: 'label_text' }]]);
  });
});

describe('sql: schema sources that are not the schema', function () {
  /** The index names on a table after replaying a project folder written from `files`. */
  function indexesAfter(files: Record<string, string>, table: string): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-schema-'));
    try {
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      }
      return buildCatalog(dir, findSchemaFiles(dir)).table(undefined, table)?.indexes.map((index) => index.name).sort() ?? [];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const init = 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, status text);\n';

  it('replays only the up half of a migration tool that keeps both in one file', function () {
    const dbmate = `-- migrate:up\n${init}CREATE INDEX idx_users_email ON users (email);\n\n-- migrate:down\nDROP INDEX idx_users_email;\nDROP TABLE users;\n`;
    assert.deepEqual(indexesAfter({ 'db/migrations/20240101000000_init.sql': dbmate }, 'users'), ['idx_users_email', 'users_pkey']);
    const goose = `-- +goose Up\n${init}CREATE INDEX idx_users_status ON users (status);\n-- +goose Down\nDROP TABLE users;\n`;
    assert.deepEqual(indexesAfter({ 'migrations/001_init.sql': goose }, 'users'), ['idx_users_status', 'users_pkey']);
  });

  it('skips the down files of up/down pairs', function () {
    const files = {
      'migrations/000001_init.up.sql': `${init}CREATE INDEX idx_users_email ON users (email);\n`,
      'migrations/000001_init.down.sql': 'DROP INDEX idx_users_email;\nDROP TABLE users;\n',
      'migrations/002.do.status.sql': 'CREATE INDEX idx_users_status ON users (status);\n',
      'migrations/002.undo.status.sql': 'DROP INDEX idx_users_status;\n',
    };
    assert.deepEqual(indexesAfter(files, 'users'), ['idx_users_email', 'idx_users_status', 'users_pkey']);
  });

  it("ignores the DROPs of a reset script or a test's teardown", function () {
    const files = {
      'migrations/001_init.sql': `${init}CREATE INDEX idx_users_email ON users (email);\n`,
      'scripts/reset.sql': 'DROP INDEX idx_users_email;\nDROP TABLE users;\n',
      'test/setup.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function teardown() {\n  await pool.query('DROP TABLE IF EXISTS users CASCADE');\n}\n",
    };
    assert.deepEqual(indexesAfter(files, 'users'), ['idx_users_email', 'users_pkey']);
  });
});

describe('sql: advisor', function () {
  let catalog: Catalog;
  before(function () {
    catalog = catalogOf(`
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text, total int, created_at timestamptz, deleted_at timestamptz, tags jsonb);
    CREATE INDEX orders_customer ON orders (customer_id, created_at);
    CREATE INDEX orders_live ON orders (total) WHERE deleted_at IS NULL;
    CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint, sku text);`);
  });

  it('orders the index: equality, then range, then sort', function () {
    assert.deepEqual(advice('SELECT * FROM orders WHERE created_at > $1 AND status = $2 ORDER BY created_at LIMIT 5', catalog), ['CREATE INDEX CONCURRENTLY idx_orders_status_created_at ON orders (status, created_at);']);
    assert.deepEqual(advice('SELECT * FROM orders WHERE status = $1 ORDER BY total DESC, created_at ASC LIMIT 5', catalog), ['CREATE INDEX CONCURRENTLY idx_orders_status_total_created_at ON orders (status, total DESC, created_at);']);
  });

  it('uses leading columns, partial predicates and access methods as PostgreSQL would', function () {
    assert.deepEqual(advice('SELECT * FROM orders WHERE customer_id = $1', catalog), []);
    assert.deepEqual(advice('SELECT * FROM orders WHERE total > 5 AND deleted_at IS NULL', catalog), []);
    assert.equal(advice('SELECT * FROM orders WHERE total > 5', catalog).length, 1);
    assert.deepEqual(advice("SELECT * FROM orders WHERE tags @> '{}'", catalog), ['CREATE INDEX CONCURRENTLY idx_orders_tags ON orders USING gin (tags);']);
  });

  it('advises the probed side of an unindexed join and stays silent on unknown tables', function () {
    // orders is filtered and drives the join; items is probed by order_id, which no index serves (the
    // index on orders.id does not help that probe): the classic foreign key without an index.
    assert.deepEqual(advice('SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.status = $1', catalog), [
      'CREATE INDEX CONCURRENTLY idx_orders_status ON orders (status);',
      'CREATE INDEX CONCURRENTLY idx_items_order_id ON items (order_id);',
    ]);
    assert.deepEqual(advice('SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.id = $1', catalog), ['CREATE INDEX CONCURRENTLY idx_items_order_id ON items (order_id);']);
    // Filtered on the probed side's own key instead: the probe is served, nothing to add.
    assert.deepEqual(advice('SELECT * FROM items i JOIN orders o ON o.id = i.order_id WHERE i.sku = $1', catalogOf('CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE items (id int PRIMARY KEY, order_id int, sku text); CREATE INDEX ON items (sku);')), []);
    assert.deepEqual(advice('SELECT * FROM orders o JOIN items i ON i.sku = o.status WHERE o.customer_id = $1', catalog), ['CREATE INDEX CONCURRENTLY idx_items_sku ON items (sku);']);
    assert.deepEqual(advice('SELECT * FROM ledger WHERE account = $1', catalog), []);
    // A cast on the column is an expression: an expression index on the same cast serves it, and a
    // plain index on the column would not (so none is proposed).
    const events = catalogOf('CREATE TABLE events (id int PRIMARY KEY, happened_at timestamp NOT NULL); CREATE INDEX idx_events_day ON events ((happened_at::date));');
    assert.deepEqual(advice('SELECT id FROM events WHERE happened_at::date = $1', events), []);
    assert.deepEqual(advice('SELECT id FROM events WHERE happened_at::time = $1', events), []);
    assert.deepEqual(advice('SELECT * FROM "user" WHERE "order" = 1', catalogOf('CREATE TABLE "user" (id int, "order" int);')), ['CREATE INDEX CONCURRENTLY idx_user_order ON "user" ("order");']);
  });
});

describe('missing-index fixes', function () {
  it('names migrations the way the folder does', function () {
    const now = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    assert.equal(nextMigrationName(['001_a.sql', '002_b.sql', '010_c.sql'], 'idx_x', '.sql', now), '011_idx_x.sql');
    assert.equal(nextMigrationName(['20240101000000_a.ts'], 'add_idx', '.ts', now), '20250102030405_add_idx.ts');
    assert.equal(nextMigrationName(['1700000000000-a.ts'], 'idx', '.ts', now), `${now.getTime()}-idx.ts`);
    assert.equal(nextMigrationName([], 'idx', '.sql', now), '20250102030405_idx.sql');
    assert.equal(nextMigrationName(['99999999999999_future.sql'], 'idx', '.sql', now), '100000000000000_idx.sql');
  });

  /** The files the first fix would create in a project of `migrations` plus one query on users.status. */
  async function createdBy(migrations: Record<string, string>): Promise<{ name: string; content: string }[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-convention-'));
    try {
      for (const [name, text] of Object.entries(migrations)) {
        fs.mkdirSync(path.dirname(path.join(dir, 'migrations', name)), { recursive: true });
        fs.writeFileSync(path.join(dir, 'migrations', name), text);
      }
      fs.copyFileSync(path.join(FIXTURES, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "convention", "private": true }');
      const query = path.join(dir, 'q.ts');
      fs.writeFileSync(query, "import { Pool } from 'pg';\nconst pool = new Pool({ connectionTimeoutMillis: 2_000 });\nexport const byStatus = (s: string) => pool.query('SELECT id FROM users WHERE status = $1', [s]);\n");
      const [finding] = (await new Engine({ rules: RULES, root: dir, onlyRules: ['missing-index'] }).analyzePaths([query])).results[0].findings;
      assert.ok(finding, 'no finding');
      return (finding.fixes[0].creates ?? []).map((creation) => ({ name: path.relative(path.join(dir, 'migrations'), creation.file), content: creation.content }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const users = 'CREATE TABLE users (id bigserial PRIMARY KEY, email text, status text);\n';

  it('writes the migration in the folder\'s convention: up/down pairs, do/undo pairs, in-file markers', async function () {
    this.timeout(60_000);
    const pair = await createdBy({ '000001_init.up.sql': users, '000001_init.down.sql': 'DROP TABLE users;\n' });
    assert.deepEqual(pair.map((file) => file.name), ['000002_idx_users_status.up.sql', '000002_idx_users_status.down.sql']);
    assert.equal(pair[1].content, 'DROP INDEX CONCURRENTLY IF EXISTS idx_users_status;\n');
    const postgrator = await createdBy({ '001.do.init.sql': users, '001.undo.init.sql': 'DROP TABLE users;\n' });
    assert.deepEqual(postgrator.map((file) => file.name), ['002.do.idx_users_status.sql', '002.undo.idx_users_status.sql']);
    const [dbmate] = await createdBy({ '20240101000000_init.sql': `-- migrate:up\n${users}\n-- migrate:down\nDROP TABLE users;\n` });
    assert.match(dbmate.content, /^-- migrate:up transaction:false\n[\s\S]*CREATE INDEX CONCURRENTLY idx_users_status ON users \(status\);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS idx_users_status;\n$/);
  });

  it('names the index so that it does not collide with one the schema has', async function () {
    this.timeout(60_000);
    const [created] = await createdBy({ '001_init.sql': `${users}CREATE INDEX idx_users_status ON users (status) WHERE email IS NULL;\n` });
    assert.match(created.content, /CREATE INDEX CONCURRENTLY idx_users_status_2 ON users \(status\);/);
  });

  // Copies a fixture project, applies the first fix of each finding for real, analyses again.
  for (const [folder, file, expectedFile, expected] of [
    ['typeorm', 'src/order-queries.ts', 'src/order.entity.ts', "@Index('idx_orders_created_at', ['createdAt'])"],
    ['prisma', 'reports.ts', 'prisma/schema.prisma', '@@index([region])'],
    // The tables come first from prisma/migrations, yet the model is where the index belongs.
    ['prisma-migrate', 'dunning.ts', 'prisma/schema.prisma', '@@index([dueAt])'],
    ['knex', 'invoices.ts', undefined, "knex.raw(\"CREATE INDEX CONCURRENTLY idx_invoices_state_due_at ON invoices (state, due_at)\")"],
    ['sql-migrations', 'pg-queries.ts', undefined, 'CREATE INDEX CONCURRENTLY idx_customers_region ON customers (region);'],
  ] as const) {
    it(`${folder}: the fix writes schema the project's way and the finding goes away`, async function () {
      this.timeout(60_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `scalelint-fix-${folder}-`));
      try {
        fs.cpSync(path.join(FIXTURES, 'missing-index', folder), dir, { recursive: true });
        fs.copyFileSync(path.join(FIXTURES, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
        const target = path.join(dir, file);
        const before = (await new Engine({ rules: RULES, root: dir, onlyRules: ['missing-index'] }).analyzePaths([target])).results[0].findings;
        assert.ok(before.length > 0, 'no finding before the fix');
        const fix = before[0].fixes[0];
        assert.ok(fix, 'no fix offered');
        assert.equal(fix.kind, 'suggestion');
        const byFile = new Map<string, typeof fix.edits>();
        for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
        for (const [edited, edits] of byFile) fs.writeFileSync(edited, applyTextEdits(fs.readFileSync(edited, 'utf8'), edits));
        for (const creation of fix.creates ?? []) {
          assert.ok(!fs.existsSync(creation.file));
          fs.writeFileSync(creation.file, creation.content);
        }
        const written = expectedFile ? fs.readFileSync(path.join(dir, expectedFile), 'utf8') : fix.creates!.map((creation) => creation.content).join('\n');
        assert.ok(written.includes(expected), written);
        const after = (await new Engine({ rules: RULES, root: dir, onlyRules: ['missing-index'] }).analyzePaths([target])).results[0].findings;
        // The new index may serve more than the query it was made for (a join on the same column).
        assert.ok(after.length < before.length, after.map((finding) => finding.message).join('\n'));
        const fixedStatement = /CREATE INDEX CONCURRENTLY \S+ ON [^;]+;/.exec(before[0].message)![0];
        assert.ok(!after.some((finding) => finding.message.includes(fixedStatement)), `still advised: ${fixedStatement}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
