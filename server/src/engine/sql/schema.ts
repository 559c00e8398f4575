// Finds a project's schema sources and replays them into a Catalog: SQL migrations (Prisma's
// included), schema.prisma, and the TypeScript/JavaScript schema code of TypeORM, Knex, Sequelize
// and Drizzle. One catalog per project folder, rebuilt when a schema file changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Catalog, type SchemaWriter } from './catalog';
import { applyPrismaSchema } from './prisma-schema';
import { applyTsSchemaFile, isCodeMigration, TS_SCHEMA_HINT } from './ts-schema';

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo', '.cache', 'vendor']);
const MAX_DEPTH = 8;
const MAX_FILES = 20_000;
/** How long a catalog is trusted before the folder is walked again for changes (editor sessions). */
const RECHECK_MS = 2_000;
const MAX_SCHEMA_FILE_BYTES = 2 * 1024 * 1024;

interface SchemaFile {
  file: string;
  kind: 'sql' | 'prisma' | 'code';
  mtimeMs: number;
  size: number;
}

interface CachedCatalog {
  catalog: Catalog;
  signature: string;
  checkedAt: number;
}

/**
 * The folder whose schema applies to a file: the nearest one with package.json or
 * scalelint.config.json, never above `boundary` (the engine's root or config folder).
 */
export function schemaRootOf(file: string, boundary: string): string {
  const limit = path.resolve(boundary);
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, 'scalelint.config.json'))) return dir;
    if (dir === limit) return limit;
    const parent = path.dirname(dir);
    if (parent === dir) return limit;
    dir = parent;
  }
}

export class SchemaCatalogs {
  private readonly cache = new Map<string, CachedCatalog>();

  /** The catalog of the project folder `root`; rebuilt when its schema files change. */
  catalogFor(root: string): Catalog {
    const cached = this.cache.get(root);
    const now = Date.now();
    if (cached && now - cached.checkedAt < RECHECK_MS) return cached.catalog;
    const files = findSchemaFiles(root);
    const signature = files.map((file) => `${file.file}:${file.mtimeMs}:${file.size}`).join('\n');
    if (cached && cached.signature === signature) {
      cached.checkedAt = now;
      return cached.catalog;
    }
    const catalog = buildCatalog(root, files);
    this.cache.set(root, { catalog, signature, checkedAt: now });
    return catalog;
  }
}

export function findSchemaFiles(root: string): SchemaFile[] {
  const found: SchemaFile[] = [];
  let seen = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH || seen > MAX_FILES) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > MAX_FILES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        // A nested package is a project of its own, with its own schema.
        if (SKIPPED_DIRS.has(entry.name) || entry.name.startsWith('.')) continue;
        if (depth > 0 && fs.existsSync(path.join(full, 'package.json'))) continue;
        walk(full, depth + 1);
        continue;
      }
      if (!entry.isFile()) continue;
      const kind = /\.sql$/i.test(entry.name) ? 'sql' : /\.prisma$/.test(entry.name) ? 'prisma' : /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name) ? 'code' : undefined;
      if (!kind) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(full);
      } catch {
        continue;
      }
      if (stat.size > MAX_SCHEMA_FILE_BYTES) continue;
      found.push({ file: full, kind, mtimeMs: stat.mtimeMs, size: stat.size });
    }
  };
  walk(root, 0);
  return found;
}

/** Natural order of migration paths: `2_x` before `10_x`, timestamps in time order. */
export function migrationOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function buildCatalog(root: string, files: SchemaFile[]): Catalog {
  const catalog = new Catalog();
  const codeFiles: { file: string; text: string }[] = [];
  for (const file of files.filter((candidate) => candidate.kind === 'code')) {
    const text = readText(file.file);
    if (text !== undefined && TS_SCHEMA_HINT.test(text)) codeFiles.push({ file: file.file, text });
  }
  // Migrations replay in order (SQL and code migrations interleaved by file name); declarative
  // schemas (schema.prisma, entities, Drizzle tables) describe the present and come last.
  const migrations = [
    ...files.filter((file) => file.kind === 'sql' && !isDownMigrationFile(file.file)).map((file) => ({ file: file.file, code: undefined as string | undefined })),
    ...codeFiles.filter((code) => isCodeMigration(code.file)).map((code) => ({ file: code.file, code: code.text })),
  ].sort((a, b) => migrationOrder(path.basename(a.file), path.basename(b.file)) || migrationOrder(a.file, b.file));
  for (const migration of migrations) {
    if (migration.code !== undefined) {
      applyTsSchemaFile(catalog, migration.file, migration.code);
    } else {
      const text = readText(migration.file);
      if (text !== undefined) catalog.applySql(upSections(text), migration.file, 1, isMigrationSql(migration.file));
    }
    catalog.files.push(migration.file);
  }
  for (const file of files.filter((candidate) => candidate.kind === 'prisma')) {
    const text = readText(file.file);
    if (text === undefined || !/^\s*model\s+\w+\s*\{/m.test(text)) continue;
    applyPrismaSchema(catalog, text, file.file);
    catalog.files.push(file.file);
    catalog.writers.push({ kind: 'prisma', location: file.file });
  }
  for (const code of codeFiles.filter((candidate) => !isCodeMigration(candidate.file))) {
    const writer = applyTsSchemaFile(catalog, code.file, code.text);
    if (writer) {
      catalog.files.push(code.file);
      if (!catalog.writers.some((existing) => existing.kind === writer.kind)) catalog.writers.push(writer);
    }
  }
  const sqlWriter = migrationsWriter(root, files.filter((file) => file.kind === 'sql').map((file) => file.file), 'sql-migrations');
  if (sqlWriter) catalog.writers.push(sqlWriter);
  const codeMigrations = codeFiles.filter((code) => isCodeMigration(code.file));
  for (const kind of ['knex', 'sequelize', 'typeorm'] as const) {
    const own = codeMigrations.filter((code) => migrationKind(code.text) === kind).map((code) => code.file);
    const writer = migrationsWriter(root, own, kind);
    if (writer) catalog.writers.push(writer);
  }
  return catalog;
}

function readText(file: string): string | undefined {
  try {
    const buffer = fs.readFileSync(file);
    if (buffer.includes(0)) return undefined;
    return buffer.toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The undo half of a migration pair, never replayed: golang-migrate's `1_x.down.sql`, postgrator's
 * `001.undo.x.sql`, diesel's `down.sql`, `…_rollback.sql`.
 */
export function isDownMigrationFile(file: string): boolean {
  const name = path.basename(file).toLowerCase();
  return name === 'down.sql' || /[._-](down|undo|rollback|revert)\.sql$/.test(name) || /\.(down|undo)\./.test(name);
}

/** A SQL file that changes the schema for good: under a migrations folder, or numbered like a migration. */
function isMigrationSql(file: string): boolean {
  return isCodeMigration(file) || /^\d{3,}[._-]/.test(path.basename(file)) || /^V\d+__/.test(path.basename(file));
}

/** Section markers of SQL migration tools that keep up and down in one file. */
const DOWN_MARKER = /^--\s*(migrate:down|down migration|\+migrate down|\+goose down)\b.*$/gim;
const UP_MARKER = /^--\s*(migrate:up|up migration|\+migrate up|\+goose up)\b.*$/gim;

/**
 * The file with its down sections blanked (dbmate `-- migrate:down`, node-pg-migrate `-- Down Migration`,
 * sql-migrate `-- +migrate Down`, goose `-- +goose Down`), newlines kept so lines still match.
 */
export function upSections(text: string): string {
  // matchAll starts where the pattern's lastIndex is: the global patterns are only used through it.
  const marks: { at: number; down: boolean }[] = [];
  for (const match of text.matchAll(DOWN_MARKER)) marks.push({ at: match.index ?? 0, down: true });
  for (const match of text.matchAll(UP_MARKER)) marks.push({ at: match.index ?? 0, down: false });
  if (!marks.some((mark) => mark.down)) return text;
  marks.sort((a, b) => a.at - b.at);
  let result = '';
  let from = 0;
  let down = false;
  for (const mark of [...marks, { at: text.length, down: false }]) {
    const piece = text.slice(from, mark.at);
    result += down ? piece.replace(/[^\n]/g, ' ') : piece;
    from = mark.at;
    down = mark.down;
  }
  return result;
}

export function migrationKind(text: string): 'knex' | 'sequelize' | 'typeorm' | undefined {
  if (/MigrationInterface|queryRunner/.test(text)) return 'typeorm';
  if (/queryInterface|QueryInterface/.test(text)) return 'sequelize';
  if (/knex\.schema|Knex\b/.test(text)) return 'knex';
  return undefined;
}

/**
 * The folder most of a kind's migrations live in: where a new migration goes, named like the others.
 * Prisma's per-migration folders are Prisma's business (`prisma migrate`), so they are not a writer.
 */
function migrationsWriter(root: string, files: string[], kind: SchemaWriter['kind']): SchemaWriter | undefined {
  const candidates = files.filter((file) => isCodeMigration(file) && !file.split(path.sep).includes('prisma'));
  if (candidates.length === 0) return undefined;
  const byDir = new Map<string, string[]>();
  for (const file of candidates) byDir.set(path.dirname(file), [...(byDir.get(path.dirname(file)) ?? []), path.basename(file)]);
  const [dir, names] = [...byDir.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
  if (!dir.startsWith(root)) return undefined;
  return { kind, location: dir, files: names.sort(migrationOrder) };
}
