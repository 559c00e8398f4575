// Schema declared in TypeScript/JavaScript, read syntactically (nothing is executed or type-checked):
// TypeORM entities (@Entity, @Column, @PrimaryColumn, @Index, @Unique) and migrations (queryRunner),
// Knex migrations (knex.schema.createTable/alterTable, table.index/primary/unique), Sequelize
// migrations (queryInterface.createTable/addIndex/...) and sequelize-typescript models (@Table),
// Drizzle tables (pgTable(..., (t) => [index().on(...)])). Raw SQL inside any of them is replayed too.
import * as path from 'node:path';
import { ts } from 'ts-morph';
import { conjunctKeys, type Catalog, type CatalogTable, type SchemaWriter, type SourceLocation } from './catalog';
import { parseSql } from './parser';

/** Cheap test that a file may declare schema. */
export const TS_SCHEMA_HINT = /@Entity\s*\(|@Table\s*\(|pgTable\s*\(|createTable\s*\(|addIndex\s*\(|createIndex\s*\(|(rename|add|remove|drop)Column\s*\(|(drop|remove)Index\s*\(|(rename|drop)Table\s*\(|alterTable\s*\(|\.query\s*\(\s*[`'"]\s*(CREATE|ALTER|DROP)|\.raw\s*\(\s*[`'"]\s*(CREATE|ALTER|DROP)/i;

interface FileContext {
  catalog: Catalog;
  file: string;
  source: ts.SourceFile;
}

/** Applies one file's schema code; returns how the file writes schema when it declares models. */
export function applyTsSchemaFile(catalog: Catalog, file: string, text: string): SchemaWriter | undefined {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') || file.endsWith('.cjs') || file.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const context: FileContext = { catalog, file, source };
  let writer: SchemaWriter | undefined;
  const visit = (node: ts.Node): void => {
    // A migration's `down` undoes its `up`: replaying it would erase what `up` declared.
    if (isDownMigration(node)) return;
    if (ts.isClassDeclaration(node)) {
      if (decorator(node, 'Entity')) {
        applyTypeormEntity(context, node);
        writer ??= { kind: 'typeorm', location: file };
      } else if (decorator(node, 'Table')) {
        applySequelizeModel(context, node);
        writer ??= { kind: 'sequelize', location: file };
      }
    }
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (name === 'pgTable' || name === 'mysqlTable' || name === 'sqliteTable') {
        applyDrizzleTable(context, node);
        writer ??= { kind: 'drizzle', location: file };
      } else {
        applyMigrationCall(context, node, name);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return writer;
}

/** A file under a `migrations` folder (or named like one) replays in order. */
export function isCodeMigration(file: string): boolean {
  return file.split(path.sep).some((part) => /^migrations?$/i.test(part));
}

// ——— helpers over the syntax tree ———

/** `down(...) {}`, `function down`, `down: async () => {}`, `exports.down = ...`. */
function isDownMigration(node: ts.Node): boolean {
  if ((ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isPropertyAssignment(node)) && node.name && ts.isIdentifier(node.name)) return node.name.text === 'down';
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left)) return node.left.name.text === 'down';
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) return node.name.text === 'down';
  return false;
}

function locationOf(context: FileContext, node: ts.Node): SourceLocation {
  return { file: context.file, line: context.source.getLineAndCharacterOfPosition(node.getStart(context.source)).line + 1 };
}

function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

function stringOf(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  return undefined;
}

function stringsOf(node: ts.Node | undefined): string[] | undefined {
  if (!node) return undefined;
  const single = stringOf(node);
  if (single !== undefined) return [single];
  if (ts.isArrayLiteralExpression(node)) {
    const items: string[] = [];
    for (const element of node.elements) {
      // Sequelize accepts `{ name: 'col', order: 'DESC' }` among index fields.
      const value = stringOf(element) ?? (ts.isObjectLiteralExpression(element) ? stringOf(property(element, 'name')) ?? stringOf(property(element, 'attribute')) : undefined);
      if (value === undefined) return undefined;
      items.push(value);
    }
    return items;
  }
  return undefined;
}

function property(object: ts.ObjectLiteralExpression | undefined, name: string): ts.Expression | undefined {
  if (!object) return undefined;
  for (const member of object.properties) {
    if (ts.isPropertyAssignment(member) && propertyName(member.name) === name) return member.initializer;
    if (ts.isShorthandPropertyAssignment(member) && member.name.text === name) return member.name;
  }
  return undefined;
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

function isTrue(node: ts.Node | undefined): boolean {
  return node !== undefined && node.kind === ts.SyntaxKind.TrueKeyword;
}

function objectArg(call: { arguments: readonly ts.Expression[] } | undefined, index: number): ts.ObjectLiteralExpression | undefined {
  const arg = call?.arguments[index];
  return arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
}

/** A decorator as written: called (`@Column({ … })`) or bare (sequelize-typescript's `@PrimaryKey`, `@Column`). */
interface DecoratorUse {
  name: string | undefined;
  arguments: readonly ts.Expression[];
  node: ts.Node;
}

function decorators(node: ts.Node): DecoratorUse[] {
  const list = ts.canHaveDecorators(node) ? ts.getDecorators(node) ?? [] : [];
  return list.map(({ expression }) => {
    if (ts.isCallExpression(expression)) return { name: calleeName(expression), arguments: expression.arguments, node: expression };
    const name = ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : undefined;
    return { name, arguments: [], node: expression };
  });
}

function decorator(node: ts.Node, name: string): DecoratorUse | undefined {
  return decorators(node).find((use) => use.name === name);
}

/** The text of a `sql\`...\`` or string predicate, as canonical conjuncts; undefined when unknown. */
function predicateKeys(node: ts.Node | undefined): string[] | undefined {
  if (!node) return undefined;
  let text = stringOf(node);
  if (text === undefined && ts.isTaggedTemplateExpression(node) && ts.isNoSubstitutionTemplateLiteral(node.template)) text = node.template.text;
  if (text === undefined) return undefined;
  const parsed = parseSql(`SELECT 1 WHERE ${text}`);
  const select = parsed?.statements[0]?.stmt.SelectStmt as { whereClause?: unknown } | undefined;
  return select?.whereClause ? conjunctKeys(select.whereClause) : undefined;
}

function addIndex(context: FileContext, table: CatalogTable, columns: string[], options: { name?: string; unique?: boolean; method?: string; where?: string[]; suffix?: string }, at: ts.Node): void {
  if (columns.length === 0) return;
  context.catalog.addIndex(table, {
    name: options.name ?? `${table.name}_${columns.join('_')}_${options.suffix ?? (options.unique ? 'key' : 'idx')}`,
    keys: columns.map((column) => ({ column })),
    unique: Boolean(options.unique),
    method: options.method ?? 'btree',
    // An unreadable partial predicate counts as a full index: silence beats a false alarm.
    where: options.where ?? [],
    source: locationOf(context, at),
  });
}

/**
 * A primary key declared column by column (two TypeORM `@PrimaryColumn`s, two Sequelize `primaryKey`s) is
 * one composite key, in declaration order, as both ORMs create it: its leading column is served, the others
 * are not on their own.
 */
class PrimaryKey {
  private readonly columns: string[] = [];
  private first: ts.Node | undefined;

  add(column: string, at: ts.Node): void {
    if (this.columns.includes(column)) return;
    this.columns.push(column);
    this.first ??= at;
  }

  addTo(context: FileContext, table: CatalogTable, tableName: string, implicitId?: ts.Node): void {
    if (this.first) addIndex(context, table, this.columns, { name: `${tableName}_pkey`, unique: true }, this.first);
    else if (implicitId) {
      // Sequelize adds `id` (an auto-increment primary key) to a model that declares no primary key.
      table.columns.add('id');
      addIndex(context, table, ['id'], { name: `${tableName}_pkey`, unique: true }, implicitId);
    }
  }
}

// ——— TypeORM entities ———

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

const TYPEORM_COLUMN_DECORATORS = new Set(['Column', 'PrimaryColumn', 'PrimaryGeneratedColumn', 'CreateDateColumn', 'UpdateDateColumn', 'DeleteDateColumn', 'VersionColumn', 'ObjectIdColumn', 'ViewColumn']);

function applyTypeormEntity(context: FileContext, node: ts.ClassDeclaration): void {
  const entity = decorator(node, 'Entity')!;
  const className = node.name?.text ?? 'entity';
  const first = entity.arguments[0];
  const options = objectArg(entity, first && ts.isObjectLiteralExpression(first) ? 0 : 1);
  const tableName = stringOf(first) ?? stringOf(property(options, 'name')) ?? snakeCase(className);
  const schema = stringOf(property(options, 'schema')) ?? 'public';
  const table = context.catalog.defineTable(schema, tableName, locationOf(context, node));
  // The entity is the table's home (where a fix adds @Index), even when a migration mentioned it first.
  table.source = locationOf(context, node);
  const columnOf = new Map<string, string>();
  const primary = new PrimaryKey();
  for (const member of node.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name) continue;
    const propertyNameText = propertyName(member.name);
    if (!propertyNameText) continue;
    for (const call of decorators(member)) {
      const name = call.name;
      if (name && TYPEORM_COLUMN_DECORATORS.has(name)) {
        const columnOptions = call.arguments.map((arg) => (ts.isObjectLiteralExpression(arg) ? arg : undefined)).find(Boolean);
        const column = stringOf(property(columnOptions, 'name')) ?? propertyNameText;
        columnOf.set(propertyNameText, column);
        table.columns.add(column);
        if (name === 'PrimaryColumn' || name === 'PrimaryGeneratedColumn' || isTrue(property(columnOptions, 'primary'))) primary.add(column, member);
        if (isTrue(property(columnOptions, 'unique'))) addIndex(context, table, [column], { unique: true }, member);
      } else if (name === 'JoinColumn') {
        const joinOptions = objectArg(call, 0);
        const column = stringOf(property(joinOptions, 'name')) ?? `${propertyNameText}Id`;
        columnOf.set(propertyNameText, column);
        table.columns.add(column);
      } else if (name === 'ManyToOne' || name === 'OneToOne') {
        if (!decorator(member, 'JoinColumn') && name === 'ManyToOne') {
          columnOf.set(propertyNameText, `${propertyNameText}Id`);
          table.columns.add(`${propertyNameText}Id`);
        }
      }
    }
  }
  primary.addTo(context, table, tableName);
  // Property-level @Index() / @Unique(), after every column is known.
  for (const member of node.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name) continue;
    const column = columnOf.get(propertyName(member.name) ?? '');
    if (!column) continue;
    const index = decorator(member, 'Index');
    if (index) {
      const name = stringOf(index.arguments[0]);
      const options = index.arguments.map((arg) => (ts.isObjectLiteralExpression(arg) ? arg : undefined)).find(Boolean);
      addIndex(context, table, [column], { name, unique: isTrue(property(options, 'unique')), where: predicateKeys(property(options, 'where')) }, member);
    }
  }
  // Class-level @Index(['a', 'b']) / @Index('name', ['a', 'b'], { unique }) / @Unique(['a']).
  for (const call of decorators(node)) {
    const kind = call.name;
    if (kind !== 'Index' && kind !== 'Unique') continue;
    const named = stringOf(call.arguments[0]) !== undefined && call.arguments.length > 1;
    const fields = stringsOf(call.arguments[named ? 1 : 0]);
    if (!fields) continue;
    const options = objectArg(call, named ? 2 : 1);
    const columns = fields.map((field) => columnOf.get(field) ?? field);
    addIndex(context, table, columns, {
      name: named ? stringOf(call.arguments[0]) : undefined,
      unique: kind === 'Unique' || isTrue(property(options, 'unique')),
      where: predicateKeys(property(options, 'where')),
    }, call.node);
  }
}

// ——— sequelize-typescript models ———

function pluralize(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

function applySequelizeModel(context: FileContext, node: ts.ClassDeclaration): void {
  const tableDecorator = decorator(node, 'Table')!;
  const options = objectArg(tableDecorator, 0);
  const className = node.name?.text ?? 'Model';
  const underscored = isTrue(property(options, 'underscored'));
  // Sequelize's default: the model name pluralised, and snake_cased too when the model is underscored.
  const tableName = stringOf(property(options, 'tableName')) ?? (isTrue(property(options, 'freezeTableName')) ? className : underscored ? snakeCase(pluralize(className)) : pluralize(className));
  const table = context.catalog.defineTable(stringOf(property(options, 'schema')) ?? 'public', tableName, locationOf(context, node));
  const columnOf = new Map<string, string>();
  const primary = new PrimaryKey();
  // `@Index('name')` on several attributes is one composite index, in declaration order.
  const namedIndexes = new Map<string, { columns: string[]; unique: boolean; at: ts.Node }>();
  for (const member of node.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name) continue;
    const field = propertyName(member.name);
    const columnDecorator = decorator(member, 'Column') ?? decorator(member, 'ForeignKey') ?? decorator(member, 'PrimaryKey');
    if (!field || !columnDecorator) continue;
    const columnOptions = objectArg(decorator(member, 'Column'), 0);
    const column = stringOf(property(columnOptions, 'field')) ?? (underscored ? snakeCase(field) : field);
    columnOf.set(field, column);
    table.columns.add(column);
    if (decorator(member, 'PrimaryKey') || isTrue(property(columnOptions, 'primaryKey'))) primary.add(column, member);
    if (decorator(member, 'Unique') || isTrue(property(columnOptions, 'unique'))) addIndex(context, table, [column], { unique: true }, member);
    const index = decorator(member, 'Index');
    if (index) {
      const name = stringOf(index.arguments[0]) ?? stringOf(property(objectArg(index, 0), 'name'));
      const unique = isTrue(property(objectArg(index, 0), 'unique'));
      const named = name === undefined ? undefined : namedIndexes.get(name);
      if (named) {
        named.columns.push(column);
        named.unique ||= unique;
      } else if (name !== undefined) namedIndexes.set(name, { columns: [column], unique, at: member });
      else addIndex(context, table, [column], { unique }, member);
    }
  }
  primary.addTo(context, table, tableName, node);
  for (const [name, index] of namedIndexes) addIndex(context, table, index.columns, { name, unique: index.unique }, index.at);
  const indexes = property(options, 'indexes');
  if (indexes && ts.isArrayLiteralExpression(indexes)) {
    for (const element of indexes.elements) {
      if (!ts.isObjectLiteralExpression(element)) continue;
      const fields = stringsOf(property(element, 'fields'));
      if (!fields) continue;
      addIndex(context, table, fields.map((field) => columnOf.get(field) ?? field), {
        name: stringOf(property(element, 'name')),
        unique: isTrue(property(element, 'unique')),
        method: stringOf(property(element, 'using'))?.toLowerCase(),
      }, element);
    }
  }
}

// ——— Drizzle tables ———

function applyDrizzleTable(context: FileContext, call: ts.CallExpression): void {
  const tableName = stringOf(call.arguments[0]);
  const columns = objectArg(call, 1);
  if (!tableName || !columns) return;
  const table = context.catalog.defineTable('public', tableName, locationOf(context, call));
  const columnOf = new Map<string, string>();
  for (const member of columns.properties) {
    if (!ts.isPropertyAssignment(member)) continue;
    const key = propertyName(member.name);
    if (!key) continue;
    // text('status').notNull().unique(): the builder call at the root names the column.
    let root: ts.Expression = member.initializer;
    const chain: string[] = [];
    while (ts.isCallExpression(root) && ts.isPropertyAccessExpression(root.expression)) {
      chain.push(root.expression.name.text);
      root = root.expression.expression;
    }
    const column = ts.isCallExpression(root) ? stringOf(root.arguments[0]) ?? key : key;
    columnOf.set(key, column);
    table.columns.add(column);
    if (chain.includes('primaryKey')) addIndex(context, table, [column], { name: `${tableName}_pkey`, unique: true }, member);
    if (chain.includes('unique')) addIndex(context, table, [column], { name: `${tableName}_${column}_unique`, unique: true }, member);
  }
  const extra = call.arguments[2];
  if (!extra || !(ts.isArrowFunction(extra) || ts.isFunctionExpression(extra))) return;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'on') {
      // index('name').on(t.a, t.b)[.where(sql`...`)] / uniqueIndex(...) / unique().on(...)
      let builder: ts.Expression = node.expression.expression;
      const using = ts.isCallExpression(builder) && ts.isPropertyAccessExpression(builder.expression) && builder.expression.name.text === 'using' ? builder : undefined;
      if (using) builder = (using.expression as ts.PropertyAccessExpression).expression;
      const kind = ts.isCallExpression(builder) ? calleeName(builder) : undefined;
      if (kind === 'index' || kind === 'uniqueIndex' || kind === 'unique') {
        const columnsUsed = node.arguments.map((arg) => (ts.isPropertyAccessExpression(arg) ? columnOf.get(arg.name.text) ?? arg.name.text : undefined));
        if (columnsUsed.every((column): column is string => column !== undefined)) {
          const parent = node.parent;
          const where = ts.isPropertyAccessExpression(parent) && parent.name.text === 'where' && ts.isCallExpression(parent.parent) ? predicateKeys(parent.parent.arguments[0]) : undefined;
          addIndex(context, table, columnsUsed, {
            name: ts.isCallExpression(builder) ? stringOf(builder.arguments[0]) : undefined,
            unique: kind !== 'index',
            method: using ? stringOf(using.arguments[0]) : undefined,
            where,
          }, node);
        }
      }
    }
    if (ts.isCallExpression(node) && calleeName(node) === 'primaryKey') {
      const columnsNode = property(objectArg(node, 0), 'columns');
      const columnsUsed = columnsNode && ts.isArrayLiteralExpression(columnsNode) ? columnsNode.elements.map((arg) => (ts.isPropertyAccessExpression(arg) ? columnOf.get(arg.name.text) : undefined)) : [];
      if (columnsUsed.length && columnsUsed.every((column): column is string => column !== undefined)) addIndex(context, table, columnsUsed, { name: `${tableName}_pkey`, unique: true }, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(extra.body);
}

// ——— migrations: Knex, Sequelize, TypeORM, and raw SQL in any of them ———

function applyMigrationCall(context: FileContext, call: ts.CallExpression, name: string | undefined): void {
  const { catalog } = context;
  const args = call.arguments;
  // Raw SQL: knex.raw / knex.schema.raw / queryRunner.query / queryInterface.sequelize.query
  if (name === 'raw' || name === 'query') {
    const sql = stringOf(args[0]);
    if (sql && /^\s*(CREATE|ALTER|DROP)\b/i.test(sql)) catalog.applySql(sql, context.file, locationOf(context, args[0]).line, isCodeMigration(context.file));
    return;
  }
  const receiver = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression.getText(context.source) : '';
  const knexSchema = /\bschema$/.test(receiver) || /\.schema\b/.test(receiver);
  switch (name) {
    case 'createTable':
    case 'createTableIfNotExists':
    case 'alterTable':
    case 'table': {
      const tableName = stringOf(args[0]);
      if (!tableName) return;
      const second = args[1];
      if (second && (ts.isArrowFunction(second) || ts.isFunctionExpression(second))) {
        if (name === 'table' && !knexSchema) return;
        applyKnexTableBuilder(context, tableName, second, name.startsWith('create'));
      } else if (second && ts.isObjectLiteralExpression(second) && name === 'createTable') {
        applySequelizeCreateTable(context, tableName, second, call);
      } else if (!second && name === 'createTable') {
        // TypeORM: queryRunner.createTable(new Table({ name, columns, indices }))
      }
      return;
    }
    case 'renameTable': {
      const from = stringOf(args[0]);
      const to = stringOf(args[1]);
      if (from && to) catalog.renameTable(undefined, from, to);
      return;
    }
    case 'dropTable':
    case 'dropTableIfExists': {
      const tableName = stringOf(args[0]);
      if (tableName) catalog.dropTable(undefined, tableName);
      return;
    }
    case 'renameColumn': {
      // Sequelize: renameColumn(table, from, to); TypeORM: renameColumn(table, from, to)
      const [tableName, from, to] = [stringOf(args[0]), stringOf(args[1]), stringOf(args[2])];
      if (tableName && from && to) catalog.renameColumn(undefined, tableName, from, to);
      return;
    }
    case 'addColumn': {
      const [tableName, column] = [stringOf(args[0]), stringOf(args[1])];
      const table = tableName ? catalog.table(undefined, tableName) : undefined;
      if (table && column) {
        table.columns.add(column);
        const options = objectArg(call, 2);
        if (isTrue(property(options, 'unique'))) addIndex(context, table, [column], { unique: true, suffix: 'key' }, call);
      }
      return;
    }
    case 'removeColumn':
    case 'dropColumn': {
      const [tableName, column] = [stringOf(args[0]), stringOf(args[1])];
      if (tableName && column) catalog.dropColumn(undefined, tableName, column);
      return;
    }
    case 'addIndex': {
      // Sequelize: addIndex(table, ['a', 'b'], { name, unique }) or addIndex(table, { fields, name, unique })
      const tableName = stringOf(args[0]);
      if (!tableName) return;
      const options = objectArg(call, 2) ?? objectArg(call, 1);
      const fields = stringsOf(args[1]) ?? stringsOf(property(options, 'fields'));
      if (!fields) return;
      const table = catalog.table(undefined, tableName) ?? catalog.defineTable('public', tableName, locationOf(context, call));
      addIndex(context, table, fields, {
        // Sequelize's own name: underscored (`Users`, ['orgId', 'status'] → users_org_id_status).
        name: stringOf(property(options, 'name')) ?? snakeCase(`${tableName}_${fields.join('_')}`),
        unique: isTrue(property(options, 'unique')),
        method: stringOf(property(options, 'using'))?.toLowerCase(),
      }, call);
      return;
    }
    case 'removeIndex': {
      const tableName = stringOf(args[0]);
      const name = stringOf(args[1]);
      const fields = stringsOf(args[1]);
      if (name) catalog.dropIndex(name);
      else if (tableName && fields) catalog.dropIndex(snakeCase(`${tableName}_${fields.join('_')}`));
      return;
    }
    case 'createIndex': {
      // TypeORM: queryRunner.createIndex('table', new TableIndex({ name, columnNames, isUnique, where }))
      const tableName = stringOf(args[0]);
      const definition = args[1] && ts.isNewExpression(args[1]) ? args[1].arguments?.[0] : undefined;
      if (!tableName || !definition || !ts.isObjectLiteralExpression(definition)) return;
      const fields = stringsOf(property(definition, 'columnNames'));
      if (!fields) return;
      const table = catalog.table(undefined, tableName) ?? catalog.defineTable('public', tableName, locationOf(context, call));
      addIndex(context, table, fields, { name: stringOf(property(definition, 'name')), unique: isTrue(property(definition, 'isUnique')), where: predicateKeys(property(definition, 'where')) }, call);
      return;
    }
    case 'dropIndex': {
      // TypeORM: queryRunner.dropIndex('table', 'name'); Knex's table.dropIndex is handled in the builder.
      const name = stringOf(args[1]);
      if (name && !knexSchema) catalog.dropIndex(name);
      return;
    }
    default:
      return;
  }
}

const KNEX_NON_COLUMN = new Set(['index', 'unique', 'primary', 'foreign', 'dropIndex', 'dropUnique', 'dropPrimary', 'dropColumn', 'dropColumns', 'renameColumn', 'dropForeign', 'timestamps', 'comment', 'engine', 'charset', 'collate', 'inherits', 'setNullable', 'dropNullable', 'check', 'dropTimestamps', 'specificType', 'queryContext']);

function applyKnexTableBuilder(context: FileContext, tableName: string, builder: ts.ArrowFunction | ts.FunctionExpression, creates: boolean): void {
  const { catalog } = context;
  const parameter = builder.parameters[0]?.name;
  if (!parameter || !ts.isIdentifier(parameter)) return;
  const t = parameter.text;
  const table = creates ? catalog.defineTable('public', tableName, locationOf(context, builder)) : catalog.table(undefined, tableName) ?? catalog.defineTable('public', tableName, locationOf(context, builder));
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === t) {
      const method = node.expression.name.text;
      const args = node.arguments;
      if (method === 'index' || method === 'unique' || method === 'primary') {
        const columns = stringsOf(args[0]);
        const options = objectArg(node, 1);
        const named = stringOf(args[1]) ?? stringOf(property(options, 'indexName'));
        if (columns) {
          addIndex(context, table, columns, {
            name: method === 'primary' ? named ?? `${tableName}_pkey` : named ?? `${tableName}_${columns.join('_')}_${method === 'unique' ? 'unique' : 'index'}`,
            unique: method !== 'index',
            method: (stringOf(args[2]) ?? stringOf(property(options, 'indexType')))?.toLowerCase(),
            where: undefined,
          }, node);
        }
      } else if (method === 'dropIndex' || method === 'dropUnique' || method === 'dropPrimary') {
        const columns = stringsOf(args[0]);
        const named = stringOf(args[1]) ?? (method === 'dropPrimary' ? stringOf(args[0]) ?? `${tableName}_pkey` : undefined);
        catalog.dropIndex(named ?? `${tableName}_${(columns ?? []).join('_')}_${method === 'dropUnique' ? 'unique' : 'index'}`);
      } else if (method === 'renameColumn') {
        const [from, to] = [stringOf(args[0]), stringOf(args[1])];
        if (from && to) catalog.renameColumn(undefined, tableName, from, to);
      } else if (method === 'dropColumn' || method === 'dropColumns') {
        for (const arg of args) {
          const column = stringOf(arg);
          if (column) catalog.dropColumn(undefined, tableName, column);
        }
      } else if (method === 'timestamps') {
        table.columns.add('created_at');
        table.columns.add('updated_at');
      } else if (!KNEX_NON_COLUMN.has(method) || method === 'specificType') {
        const column = stringOf(args[0]);
        if (column) {
          table.columns.add(column);
          // t.string('email').unique(), t.bigInteger('x').index(), t.increments('id') (a primary key)
          let chained: ts.Node = node;
          const modifiers: string[] = [];
          while (ts.isPropertyAccessExpression(chained.parent) && ts.isCallExpression(chained.parent.parent)) {
            modifiers.push(chained.parent.name.text);
            chained = chained.parent.parent;
          }
          if (method === 'increments' || method === 'bigIncrements' || modifiers.includes('primary')) addIndex(context, table, [column], { name: `${tableName}_pkey`, unique: true }, node);
          if (modifiers.includes('unique')) addIndex(context, table, [column], { name: `${tableName}_${column}_unique`, unique: true }, node);
          if (modifiers.includes('index')) addIndex(context, table, [column], { name: `${tableName}_${column}_index` }, node);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(builder.body);
}

function applySequelizeCreateTable(context: FileContext, tableName: string, columns: ts.ObjectLiteralExpression, call: ts.CallExpression): void {
  const table = context.catalog.defineTable('public', tableName, locationOf(context, call));
  const primary = new PrimaryKey();
  for (const member of columns.properties) {
    if (!ts.isPropertyAssignment(member)) continue;
    const column = propertyName(member.name);
    if (!column) continue;
    table.columns.add(column);
    const options = ts.isObjectLiteralExpression(member.initializer) ? member.initializer : undefined;
    if (isTrue(property(options, 'primaryKey'))) primary.add(column, member);
    if (isTrue(property(options, 'unique'))) addIndex(context, table, [column], { name: `${tableName}_${column}_key`, unique: true }, member);
  }
  primary.addTo(context, table, tableName);
}
