// The schema the project's own repository declares: tables, their columns and indexes, built by
// replaying schema sources in migration order (CREATE, ALTER, DROP, RENAME are applied as they come).
import { expressionKey, nodeKind, parseSql, stringList, type SqlNode } from './parser';

export interface SourceLocation {
  file: string;
  /** 1-based line. */
  line: number;
}

export type IndexKey = { column: string } | { expression: string };

export interface CatalogIndex {
  name: string;
  keys: IndexKey[];
  unique: boolean;
  /** btree, hash, gin, gist, brin, ... */
  method: string;
  /** Canonical texts of the partial index's WHERE conjuncts; empty for a full index. */
  where: string[];
  source: SourceLocation;
}

export interface CatalogTable {
  schema: string;
  name: string;
  /** Known columns (lower case unless quoted); empty when the source does not say. */
  columns: Set<string>;
  indexes: CatalogIndex[];
  source: SourceLocation;
}

/** Where and how the project writes its schema, for fixes written the project's way. */
export interface SchemaWriter {
  kind: 'sql-migrations' | 'prisma' | 'typeorm' | 'knex' | 'sequelize' | 'drizzle';
  /** The migrations folder (sql, knex, sequelize) or schema file (prisma). */
  location: string;
  /** The existing migration file names, in order (to follow their naming). */
  files?: string[];
}

export class Catalog {
  private readonly tables = new Map<string, CatalogTable>();
  /** Index name → table key, for DROP INDEX and ALTER INDEX ... RENAME. */
  private readonly indexOwner = new Map<string, string>();
  readonly writers: SchemaWriter[] = [];
  /** Schema files read, for the evidence in messages and cache signatures. */
  readonly files: string[] = [];

  get size(): number {
    return this.tables.size;
  }

  /** Whether an index of this name exists (index names are unique per schema; checked across all here). */
  hasIndexNamed(name: string): boolean {
    return this.indexOwner.has(name);
  }

  allTables(): CatalogTable[] {
    return [...this.tables.values()];
  }

  /** A table by name; an unqualified name means `public`, or the only schema that has it. */
  table(schema: string | undefined, name: string): CatalogTable | undefined {
    const exact = this.tables.get(tableKey(schema ?? 'public', name));
    if (exact || schema) return exact;
    const matches = [...this.tables.values()].filter((table) => table.name === name);
    return matches.length === 1 ? matches[0] : undefined;
  }

  defineTable(schema: string, name: string, source: SourceLocation, columns: Iterable<string> = []): CatalogTable {
    const key = tableKey(schema, name);
    let table = this.tables.get(key);
    if (!table) {
      table = { schema, name, columns: new Set(), indexes: [], source };
      this.tables.set(key, table);
    }
    for (const column of columns) table.columns.add(column);
    return table;
  }

  addIndex(table: CatalogTable, index: CatalogIndex): void {
    // Re-declaring an index of the same name (IF NOT EXISTS, a model and its migration) keeps one.
    table.indexes = table.indexes.filter((existing) => existing.name !== index.name);
    table.indexes.push(index);
    this.indexOwner.set(index.name, tableKey(table.schema, table.name));
  }

  dropIndex(name: string): void {
    const owner = this.indexOwner.get(name);
    const table = owner ? this.tables.get(owner) : undefined;
    if (table) table.indexes = table.indexes.filter((index) => index.name !== name);
    this.indexOwner.delete(name);
  }

  renameIndex(from: string, to: string): void {
    const owner = this.indexOwner.get(from);
    const table = owner ? this.tables.get(owner) : undefined;
    const index = table?.indexes.find((candidate) => candidate.name === from);
    if (!owner || !index) return;
    index.name = to;
    this.indexOwner.delete(from);
    this.indexOwner.set(to, owner);
  }

  dropTable(schema: string | undefined, name: string): void {
    const table = this.table(schema, name);
    if (!table) return;
    for (const index of table.indexes) this.indexOwner.delete(index.name);
    this.tables.delete(tableKey(table.schema, table.name));
  }

  renameTable(schema: string | undefined, from: string, to: string): void {
    const table = this.table(schema, from);
    if (!table) return;
    this.tables.delete(tableKey(table.schema, table.name));
    table.name = to;
    const key = tableKey(table.schema, to);
    this.tables.set(key, table);
    for (const index of table.indexes) this.indexOwner.set(index.name, key);
  }

  renameColumn(schema: string | undefined, tableName: string, from: string, to: string): void {
    const table = this.table(schema, tableName);
    if (!table) return;
    if (table.columns.delete(from)) table.columns.add(to);
    for (const index of table.indexes) {
      index.keys = index.keys.map((key) => ('column' in key && key.column === from ? { column: to } : key));
    }
  }

  /** PostgreSQL drops every index that contains a dropped column. */
  dropColumn(schema: string | undefined, tableName: string, column: string): void {
    const table = this.table(schema, tableName);
    if (!table) return;
    table.columns.delete(column);
    for (const index of table.indexes.filter((candidate) => candidate.keys.some((key) => 'column' in key && key.column === column))) {
      this.dropIndex(index.name);
    }
  }

  /**
   * Replays every statement of a SQL file (a migration, a schema dump) that the parser understands.
   * `drops: false` for files that are not migrations (a reset script, a test's teardown): their DROPs
   * clear a database for a moment, they do not change the schema the code runs against.
   */
  applySql(sql: string, file: string, firstLine = 1, drops = true): void {
    const parsed = parseSql(sql);
    if (!parsed) {
      // One bad statement must not hide the rest of the file: fall back to statement by statement.
      for (const piece of splitStatements(sql)) {
        const one = parseSql(piece.text);
        if (!one) continue;
        for (const statement of one.statements) this.applyStatement(statement.stmt, { file, line: firstLine + lineOf(sql, piece.start) - 1 }, drops);
      }
      return;
    }
    for (const statement of parsed.statements) {
      this.applyStatement(statement.stmt, { file, line: firstLine + lineOf(sql, statement.start) - 1 }, drops);
    }
  }

  applyStatement(stmt: SqlNode, source: SourceLocation, drops = true): void {
    const kind = nodeKind(stmt);
    if (!kind) return;
    const [name, body] = kind;
    if (!drops && name === 'DropStmt') return;
    switch (name) {
      case 'CreateStmt':
        this.applyCreateTable(body, source);
        return;
      case 'IndexStmt':
        this.applyCreateIndex(body, source);
        return;
      case 'AlterTableStmt':
        this.applyAlterTable(body, source);
        return;
      case 'DropStmt':
        this.applyDrop(body);
        return;
      case 'RenameStmt':
        this.applyRename(body);
        return;
      default:
        return;
    }
  }

  private applyCreateTable(body: SqlNode, source: SourceLocation): void {
    const relation = relationOf(body.relation);
    if (!relation) return;
    const table = this.defineTable(relation.schema, relation.name, source);
    for (const element of (body.tableElts as unknown[] | undefined) ?? []) {
      const kind = nodeKind(element);
      if (kind?.[0] === 'ColumnDef' && typeof kind[1].colname === 'string') {
        const column = kind[1].colname;
        table.columns.add(column);
        for (const constraint of (kind[1].constraints as unknown[] | undefined) ?? []) {
          this.applyConstraint(table, nodeKind(constraint)?.[1], source, [column]);
        }
      } else if (kind?.[0] === 'Constraint') {
        this.applyConstraint(table, kind[1], source);
      }
    }
  }

  /** PRIMARY KEY and UNIQUE constraints create unique b-tree indexes under PostgreSQL's names. */
  private applyConstraint(table: CatalogTable, constraint: SqlNode | undefined, source: SourceLocation, columnDefault?: string[]): void {
    if (!constraint) return;
    const type = constraint.contype;
    if (type !== 'CONSTR_PRIMARY' && type !== 'CONSTR_UNIQUE' && type !== 'CONSTR_EXCLUSION') return;
    const columns = stringList(constraint.keys).length ? stringList(constraint.keys) : columnDefault ?? [];
    if (columns.length === 0) return;
    const name = typeof constraint.conname === 'string'
      ? constraint.conname
      : type === 'CONSTR_PRIMARY' ? `${table.name}_pkey` : `${table.name}_${columns.join('_')}_key`;
    const method = type === 'CONSTR_EXCLUSION' ? String(constraint.access_method ?? 'gist') : 'btree';
    this.addIndex(table, { name, keys: columns.map((column) => ({ column })), unique: type !== 'CONSTR_EXCLUSION', method, where: [], source });
  }

  private defaultIndexName(table: string, keyNames: string[], suffix: string): string {
    const base = `${table}_${keyNames.join('_')}`.slice(0, 63 - suffix.length - 1);
    let name = `${base}_${suffix}`;
    for (let n = 1; this.indexOwner.has(name); n++) name = `${base}_${suffix}${n}`;
    return name;
  }

  private applyCreateIndex(body: SqlNode, source: SourceLocation): void {
    const relation = relationOf(body.relation);
    if (!relation) return;
    const table = this.table(relation.schema === 'public' && !(body.relation as SqlNode).schemaname ? undefined : relation.schema, relation.name)
      ?? this.defineTable(relation.schema, relation.name, source);
    const keys: IndexKey[] = [];
    // PostgreSQL's own name for an unnamed index: table, each key's name (a column, a function's name,
    // or `expr`), then `idx` or `key`, with a number when taken (ChooseIndexName).
    const keyNames: string[] = [];
    for (const param of (body.indexParams as unknown[] | undefined) ?? []) {
      const element = nodeKind(param)?.[1];
      if (!element) continue;
      if (typeof element.name === 'string') {
        keys.push({ column: element.name });
        keyNames.push(element.name);
      } else if (element.expr) {
        keys.push(expressionKeyOf(element.expr));
        const call = nodeKind(element.expr);
        keyNames.push(call?.[0] === 'FuncCall' ? stringList(call[1].funcname).pop() ?? 'expr' : 'expr');
      }
    }
    if (keys.length === 0) return;
    const name = typeof body.idxname === 'string' ? body.idxname : this.defaultIndexName(table.name, keyNames, body.unique ? 'key' : 'idx');
    if (body.if_not_exists && table.indexes.some((index) => index.name === name)) return;
    this.addIndex(table, {
      name,
      keys,
      unique: Boolean(body.unique),
      method: typeof body.accessMethod === 'string' ? body.accessMethod : 'btree',
      where: body.whereClause ? conjunctKeys(body.whereClause) : [],
      source,
    });
  }

  private applyAlterTable(body: SqlNode, source: SourceLocation): void {
    const relation = relationOf(body.relation);
    if (!relation) return;
    const schema = (body.relation as SqlNode).schemaname ? relation.schema : undefined;
    for (const command of (body.cmds as unknown[] | undefined) ?? []) {
      const cmd = nodeKind(command)?.[1];
      if (!cmd) continue;
      const table = this.table(schema, relation.name);
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const def = nodeKind(cmd.def);
          if (table && def?.[0] === 'ColumnDef' && typeof def[1].colname === 'string') {
            table.columns.add(def[1].colname);
            for (const constraint of (def[1].constraints as unknown[] | undefined) ?? []) {
              this.applyConstraint(table, nodeKind(constraint)?.[1], source, [def[1].colname]);
            }
          }
          break;
        }
        case 'AT_DropColumn':
          if (typeof cmd.name === 'string') this.dropColumn(schema, relation.name, cmd.name);
          break;
        case 'AT_AddConstraint':
          if (table) this.applyConstraint(table, nodeKind(cmd.def)?.[1], source);
          break;
        case 'AT_DropConstraint':
          if (typeof cmd.name === 'string') this.dropIndex(cmd.name);
          break;
        default:
          break;
      }
    }
  }

  private applyDrop(body: SqlNode): void {
    for (const object of (body.objects as unknown[] | undefined) ?? []) {
      const names = stringList(nodeKind(object)?.[0] === 'List' ? (nodeKind(object)![1].items as unknown[]) : []);
      if (names.length === 0) continue;
      const name = names[names.length - 1];
      const schema = names.length > 1 ? names[names.length - 2] : undefined;
      if (body.removeType === 'OBJECT_INDEX') this.dropIndex(name);
      else if (body.removeType === 'OBJECT_TABLE') this.dropTable(schema, name);
    }
  }

  private applyRename(body: SqlNode): void {
    const relation = relationOf(body.relation);
    const schema = relation && (body.relation as SqlNode).schemaname ? relation.schema : undefined;
    if (typeof body.newname !== 'string') return;
    switch (body.renameType) {
      case 'OBJECT_TABLE':
        if (relation) this.renameTable(schema, relation.name, body.newname);
        return;
      case 'OBJECT_COLUMN':
        if (relation && typeof body.subname === 'string') this.renameColumn(schema, relation.name, body.subname, body.newname);
        return;
      case 'OBJECT_INDEX':
        if (relation) this.renameIndex(relation.name, body.newname);
        return;
      case 'OBJECT_TABCONSTRAINT':
        if (typeof body.subname === 'string') this.renameIndex(body.subname, body.newname);
        return;
      default:
        return;
    }
  }
}

function tableKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

function relationOf(node: unknown): { schema: string; name: string } | undefined {
  const body = (nodeKind(node)?.[0] === 'RangeVar' ? nodeKind(node)![1] : node) as SqlNode | undefined;
  if (!body || typeof body.relname !== 'string') return undefined;
  return { schema: typeof body.schemaname === 'string' ? body.schemaname : 'public', name: body.relname };
}

/** `(email)` in an index is a column; `lower(email)` an expression. */
function expressionKeyOf(expression: unknown): IndexKey {
  const kind = nodeKind(expression);
  if (kind?.[0] === 'ColumnRef') {
    const fields = stringList(kind[1].fields);
    if (fields.length) return { column: fields[fields.length - 1] };
  }
  return { expression: expressionKey(expression) };
}

/** Canonical texts of the top-level AND conjuncts of a predicate. */
export function conjunctKeys(expression: unknown): string[] {
  const kind = nodeKind(expression);
  if (!kind) return [];
  if (kind[0] === 'BoolExpr' && kind[1].boolop === 'AND_EXPR') return ((kind[1].args as unknown[]) ?? []).flatMap(conjunctKeys);
  return [expressionKey(expression)];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Splits SQL on top-level semicolons (outside quotes, comments and dollar quotes), for files where one
 * statement is not PostgreSQL (a MySQL-only option, a psql meta-command).
 */
export function splitStatements(sql: string): { text: string; start: number }[] {
  const pieces: { text: string; start: number }[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    if (char === "'" || char === '"') {
      const close = sql.indexOf(char, i + 1);
      i = close < 0 ? sql.length : close + 1;
    } else if (char === '-' && sql[i + 1] === '-') {
      const close = sql.indexOf('\n', i);
      i = close < 0 ? sql.length : close + 1;
    } else if (char === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (char === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? sql.length : close + tag[0].length;
      } else {
        i++;
      }
    } else if (char === ';') {
      pieces.push({ text: sql.slice(start, i), start });
      start = ++i;
    } else {
      i++;
    }
  }
  if (sql.slice(start).trim()) pieces.push({ text: sql.slice(start), start });
  return pieces;
}
