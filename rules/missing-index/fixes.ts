// The CREATE INDEX fix, written the way the project writes schema: a new migration file next to the
// existing ones (SQL, Knex), a @@index line in the Prisma model, an @Index decorator on the TypeORM
// entity. Every fix is a suggestion: an index costs writes and disk, a human decides.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { Fix, RuleContext, TextEdit } from '../../server/src/engine/types';
import type { IndexAdvice } from '../../server/src/engine/sql/advisor';
import type { Catalog, SchemaWriter } from '../../server/src/engine/sql/catalog';
import { migrationOrder } from '../../server/src/engine/sql/schema';
import { parsePrismaModels } from '../../server/src/engine/sql/prisma-schema';

export function indexFixes(context: RuleContext, advice: IndexAdvice, catalog: Catalog, statement: string): Fix[] {
  const tableFile = advice.table.source.file;
  const fixes: Fix[] = [];
  const prisma = catalog.writers.find((writer) => writer.kind === 'prisma' && writer.location === tableFile);
  if (prisma) push(fixes, prismaFix(context, advice, prisma));
  const typeorm = catalog.writers.find((writer) => writer.kind === 'typeorm');
  if (typeorm && /\.[cm]?[jt]s$/.test(tableFile)) push(fixes, typeormFix(context, advice));
  const sql = catalog.writers.find((writer) => writer.kind === 'sql-migrations');
  if (sql) fixes.push(sqlMigrationFix(advice, sql, statement));
  const knex = catalog.writers.find((writer) => writer.kind === 'knex');
  if (knex) fixes.push(knexMigrationFix(advice, knex, statement));
  return fixes;
}

function push(fixes: Fix[], fix: Fix | undefined): void {
  if (fix) fixes.push(fix);
}

/** Current text of a file: the editor's text for the file being analysed, the disk text otherwise. */
function textOf(context: RuleContext, file: string): string | undefined {
  if (path.resolve(file) === path.resolve(context.filePath)) return context.sourceFile.getFullText();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function describe(advice: IndexAdvice): string {
  return `${advice.table.name} (${advice.indexColumns.map((column) => column.column).join(', ')})`;
}

/**
 * The next file name in the folder's own scheme: `004_x.sql` after `003_y.sql`, a UTC timestamp of
 * the same width after `20240105093000_y.sql`, a timestamp when the folder is empty.
 */
export function nextMigrationName(existing: readonly string[], slug: string, extension: string, now = new Date()): string {
  const numbered = existing.map((name) => /^(\d+)([_-])/.exec(name)).filter((match): match is RegExpExecArray => match !== null);
  const last = numbered.sort((a, b) => migrationOrder(a[0], b[0]))[numbered.length - 1];
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  let prefix = stamp;
  let separator = '_';
  if (last) {
    separator = last[2];
    const width = last[1].length;
    if (width >= 12) prefix = width === 13 ? String(now.getTime()) : stamp.padEnd(width, '0').slice(0, width);
    else prefix = String(Number(last[1]) + 1).padStart(width, '0');
    // Never sort before the last migration (a clock behind, a hand-made timestamp).
    if (migrationOrder(prefix, last[1]) <= 0) prefix = String(BigInt(last[1]) + 1n).padStart(width, '0');
  }
  let name = `${prefix}${separator}${slug}${extension}`;
  for (let i = 2; existing.includes(name); i++) name = `${prefix}${separator}${slug}_${i}${extension}`;
  return name;
}

/**
 * A new SQL migration in the folder's own convention: golang-migrate's `N_x.up.sql` / `N_x.down.sql`
 * pair, postgrator's `N.do.x.sql` / `N.undo.x.sql`, one file with dbmate's, goose's or node-pg-migrate's
 * up/down markers, or a plain numbered or timestamped file.
 */
function sqlMigrationFix(advice: IndexAdvice, writer: SchemaWriter, statement: string): Fix {
  const files = writer.files ?? [];
  const header =
    `-- Index for queries on ${describe(advice)} (scalelint missing-index).\n` +
    `-- CONCURRENTLY builds it without blocking writes; it cannot run inside a transaction block,\n` +
    `-- so apply this migration outside one.\n`;
  const drop = `${advice.dropStatement}\n`;
  const at = (name: string) => path.join(writer.location, name);
  const fix = (name: string, creates: { file: string; content: string }[]): Fix => ({ title: `Add migration ${name}: ${statement}`, kind: 'suggestion', edits: [], creates });
  if (files.some((file) => /\.up\.sql$/i.test(file))) {
    const up = nextMigrationName(files, advice.indexName, '.up.sql');
    return fix(up, [{ file: at(up), content: `${header}${statement}\n` }, { file: at(up.replace(/\.up\.sql$/, '.down.sql')), content: drop }]);
  }
  const postgrator = files.map((file) => /^(\d+)\.do\./.exec(file)?.[1]).filter((number): number is string => number !== undefined);
  if (postgrator.length) {
    const last = postgrator.sort(migrationOrder)[postgrator.length - 1];
    const next = String(Number(last) + 1).padStart(last.length, '0');
    const name = `${next}.do.${advice.indexName}.sql`;
    return fix(name, [{ file: at(name), content: `${header}${statement}\n` }, { file: at(`${next}.undo.${advice.indexName}.sql`), content: drop }]);
  }
  const name = nextMigrationName(files, advice.indexName, '.sql');
  const sample = files.length ? readIfSmall(at(files[files.length - 1])) : undefined;
  let content = `${header}${statement}\n`;
  if (sample && /^--\s*migrate:up/im.test(sample)) content = `-- migrate:up transaction:false\n${header}${statement}\n\n-- migrate:down transaction:false\n${drop}`;
  else if (sample && /^--\s*\+goose up/im.test(sample)) content = `-- +goose NO TRANSACTION\n-- +goose Up\n${header}${statement}\n\n-- +goose Down\n${drop}`;
  else if (sample && /^--\s*up migration/im.test(sample)) content = `-- Up Migration\n${header}${statement}\n\n-- Down Migration\n${drop}`;
  return fix(name, [{ file: at(name), content }]);
}

function readIfSmall(file: string): string | undefined {
  try {
    return fs.statSync(file).size < 1_000_000 ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function knexMigrationFix(advice: IndexAdvice, writer: SchemaWriter, statement: string): Fix {
  const typescript = (writer.files ?? []).some((file) => /\.[cm]?ts$/.test(file));
  const name = nextMigrationName(writer.files ?? [], `add_${advice.indexName}`, typescript ? '.ts' : '.js');
  const up = JSON.stringify(statement.replace(/;$/, ''));
  const down = JSON.stringify(advice.dropStatement.replace(/;$/, ''));
  const content = typescript
    ? `import type { Knex } from 'knex';\n\n` +
      `// CREATE INDEX CONCURRENTLY builds without blocking writes but cannot run inside a transaction.\n` +
      `export const config = { transaction: false };\n\n` +
      `export async function up(knex: Knex): Promise<void> {\n  await knex.raw(${up});\n}\n\n` +
      `export async function down(knex: Knex): Promise<void> {\n  await knex.raw(${down});\n}\n`
    : `// CREATE INDEX CONCURRENTLY builds without blocking writes but cannot run inside a transaction.\n` +
      `exports.config = { transaction: false };\n\n` +
      `exports.up = async function up(knex) {\n  await knex.raw(${up});\n};\n\n` +
      `exports.down = async function down(knex) {\n  await knex.raw(${down});\n};\n`;
  return { title: `Add Knex migration ${name}: ${statement}`, kind: 'suggestion', edits: [], creates: [{ file: path.join(writer.location, name), content }] };
}

function prismaFix(context: RuleContext, advice: IndexAdvice, writer: SchemaWriter): Fix | undefined {
  const text = textOf(context, writer.location);
  if (text === undefined) return undefined;
  const model = parsePrismaModels(text).find((candidate) => candidate.table === advice.table.name);
  if (!model) return undefined;
  const fieldOf = new Map([...model.columns].map(([field, column]) => [column, field]));
  const fields = advice.indexColumns.map((column) => {
    const field = fieldOf.get(column.column);
    return field && (column.descending ? `${field}(sort: Desc)` : field);
  });
  if (fields.some((field) => !field)) return undefined;
  const lines = text.split('\n');
  const closing = lines.slice(0, model.endLine - 1).join('\n').length + (model.endLine > 1 ? 1 : 0);
  const indent = /^(\s+)\w/.exec(lines[model.line] ?? '')?.[1] ?? '  ';
  const type = advice.method === 'gin' ? ', type: Gin' : '';
  const line = `${indent}@@index([${fields.join(', ')}]${type})\n`;
  const edit: TextEdit = { file: writer.location, start: closing, end: closing, newText: line };
  return { title: `Add @@index([${fields.join(', ')}]) to model ${model.name}`, kind: 'suggestion', edits: [edit] };
}

function typeormFix(context: RuleContext, advice: IndexAdvice): Fix | undefined {
  const file = advice.table.source.file;
  const text = textOf(context, file);
  if (text === undefined) return undefined;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  let entity: ts.ClassDeclaration | undefined;
  const find = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) && source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 === advice.table.source.line) entity = node;
    else ts.forEachChild(node, find);
  };
  find(source);
  if (!entity) return undefined;
  // TypeORM's @Index names properties, not columns.
  const propertyOf = new Map<string, string>();
  for (const member of entity.members) {
    if (!ts.isPropertyDeclaration(member) || !ts.isIdentifier(member.name)) continue;
    const property = member.name.text;
    propertyOf.set(property, property);
    for (const decorator of ts.getDecorators(member) ?? []) {
      const call = decorator.expression;
      if (!ts.isCallExpression(call)) continue;
      for (const arg of call.arguments) {
        if (!ts.isObjectLiteralExpression(arg)) continue;
        for (const option of arg.properties) {
          if (ts.isPropertyAssignment(option) && ts.isIdentifier(option.name) && option.name.text === 'name' && ts.isStringLiteral(option.initializer)) propertyOf.set(option.initializer.text, property);
        }
      }
    }
  }
  const properties = advice.indexColumns.map((column) => propertyOf.get(column.column));
  if (properties.some((property) => !property)) return undefined;
  const decorators = ts.getDecorators(entity) ?? [];
  const anchor = decorators[0] ?? entity;
  const start = anchor.getStart(source);
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start);
  const quote = /from "typeorm"/.test(text) ? '"' : "'";
  const list = properties.map((property) => `${quote}${property}${quote}`).join(', ');
  const edits: TextEdit[] = [{ file, start, end: start, newText: `@Index(${quote}${advice.indexName}${quote}, [${list}])\n${indent}` }];
  const importEdit = ensureNamedImport(source, text, file, 'Index');
  if (importEdit === null) return undefined;
  if (importEdit) edits.unshift(importEdit);
  return { title: `Add @Index([${list}]) to entity ${entity.name?.text ?? advice.table.name}`, kind: 'suggestion', edits };
}

/** An edit adding `name` to the file's `import { … } from 'typeorm'`; undefined when present, null when impossible. */
function ensureNamedImport(source: ts.SourceFile, text: string, file: string, name: string): TextEdit | undefined | null {
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== 'typeorm') continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((element) => element.name.text === name)) return undefined;
    const last = bindings.elements[bindings.elements.length - 1];
    if (!last) continue;
    const at = last.getEnd();
    return { file, start: at, end: at, newText: `, ${name}` };
  }
  void text;
  return null;
}
