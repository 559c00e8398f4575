// What a statement asks of each table it reads: the columns it filters on (=, IN, ANY, ranges,
// IS NULL, LIKE 'prefix%', containment), joins on, sorts by under a LIMIT and groups by. Only the
// top-level AND of a WHERE counts as a filter: a column under OR or NOT cannot drive an index alone.
import { expressionKey, nodeKind, stringList, type SqlNode } from './parser';

export type FilterKind = 'eq' | 'null' | 'range' | 'prefix' | 'contains';

export interface ColumnUse {
  column: string;
  /** libpg-query location (UTF-8 byte offset in the SQL text). */
  location: number;
}

export interface FilterUse extends ColumnUse {
  kind: FilterKind;
  operator: string;
}

export interface SortUse extends ColumnUse {
  descending: boolean;
}

/** One appearance of a table in FROM/JOIN/UPDATE/DELETE. */
export interface TableUse {
  schema?: string;
  table: string;
  alias?: string;
  location: number;
  filters: FilterUse[];
  /** Filters on expressions (`lower(email) = $1`), by canonical expression text. */
  expressionFilters: { key: string; location: number }[];
  /** Canonical texts of the top-level conjuncts that involve only this table (partial-index matching). */
  conjuncts: Set<string>;
  /** ORDER BY columns of this table when the statement has a LIMIT; empty otherwise. */
  sortsUnderLimit: SortUse[];
  groups: ColumnUse[];
}

export interface JoinUse {
  left: { use: TableUse; column: string; location: number };
  right: { use: TableUse; column: string; location: number };
}

export interface StatementShape {
  kind: 'select' | 'update' | 'delete';
  tables: TableUse[];
  joins: JoinUse[];
  /** The LIMIT as written (`100`, `$2`), when there is one. */
  limit?: string;
}

/** Column names of a table the catalog knows, to place unqualified columns in multi-table queries. */
export type ColumnLookup = (schema: string | undefined, table: string) => ReadonlySet<string> | undefined;

/** The shapes of every SELECT/UPDATE/DELETE in a statement, subqueries and CTEs included. */
export function statementShapes(stmt: SqlNode, columnsOf: ColumnLookup): StatementShape[] {
  const shapes: StatementShape[] = [];
  visitStatement(stmt, new Set(), columnsOf, shapes);
  return shapes;
}

function visitStatement(node: unknown, ctes: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[]): void {
  const kind = nodeKind(node);
  if (!kind) return;
  const [name, body] = kind;
  switch (name) {
    case 'SelectStmt':
      visitSelect(body, ctes, columnsOf, out);
      return;
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const scope = new Scope(columnsOf);
      const inner = withCtes(body.withClause, ctes, columnsOf, out);
      const target = rangeVar(body.relation, inner);
      if (target) scope.add(target);
      const extra = (name === 'UpdateStmt' ? body.fromClause : body.usingClause) as unknown[] | undefined;
      for (const item of extra ?? []) collectFrom(item, scope, inner, columnsOf, out);
      const shape: StatementShape = { kind: name === 'UpdateStmt' ? 'update' : 'delete', tables: scope.tables, joins: [] };
      applyWhere(body.whereClause, scope, shape, inner, columnsOf, out);
      out.push(shape);
      return;
    }
    case 'InsertStmt':
      visitStatement(body.selectStmt, withCtes(body.withClause, ctes, columnsOf, out), columnsOf, out);
      return;
    case 'ExplainStmt':
      visitStatement(body.query, ctes, columnsOf, out);
      return;
    default:
      return;
  }
}

function withCtes(withClause: unknown, outer: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[]): ReadonlySet<string> {
  const clause = withClause as { ctes?: unknown[] } | undefined;
  if (!clause?.ctes?.length) return outer;
  const names = new Set(outer);
  for (const cte of clause.ctes) {
    const kind = nodeKind(cte);
    if (kind?.[0] === 'CommonTableExpr' && typeof kind[1].ctename === 'string') names.add(kind[1].ctename);
  }
  for (const cte of clause.ctes) {
    const kind = nodeKind(cte);
    if (kind?.[0] === 'CommonTableExpr') visitStatement(kind[1].ctequery, names, columnsOf, out);
  }
  return names;
}

function visitSelect(select: SqlNode, outerCtes: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[]): void {
  const ctes = withCtes(select.withClause, outerCtes, columnsOf, out);
  if (select.op && select.op !== 'SETOP_NONE') {
    visitStatement({ SelectStmt: select.larg }, ctes, columnsOf, out);
    visitStatement({ SelectStmt: select.rarg }, ctes, columnsOf, out);
    return;
  }
  if (!Array.isArray(select.fromClause) || select.fromClause.length === 0) return;
  const scope = new Scope(columnsOf);
  const shape: StatementShape = { kind: 'select', tables: scope.tables, joins: [] };
  for (const item of select.fromClause) collectFrom(item, scope, ctes, columnsOf, out, shape);
  applyWhere(select.whereClause, scope, shape, ctes, columnsOf, out);

  const outputNames = new Set<string>();
  for (const target of (select.targetList as unknown[] | undefined) ?? []) {
    const kind = nodeKind(target);
    if (kind?.[0] === 'ResTarget' && typeof kind[1].name === 'string') outputNames.add(kind[1].name);
  }
  const limit = limitText(select.limitCount);
  if (limit !== undefined) {
    shape.limit = limit;
    for (const sortBy of (select.sortClause as unknown[] | undefined) ?? []) {
      const kind = nodeKind(sortBy);
      if (kind?.[0] !== 'SortBy') continue;
      const ref = columnRef(kind[1].node);
      // `ORDER BY sold` may name an output column rather than a table column.
      if (!ref || (ref.qualifier === undefined && outputNames.has(ref.column))) break;
      const owner = scope.resolve(ref);
      // Only a prefix of the sort keys that lives in one table can come from an index.
      if (!owner || (shape.tables.some((use) => use.sortsUnderLimit.length > 0) && owner.sortsUnderLimit.length === 0)) break;
      owner.sortsUnderLimit.push({ column: ref.column, location: ref.location, descending: kind[1].sortby_dir === 'SORTBY_DESC' });
    }
  }
  for (const group of (select.groupClause as unknown[] | undefined) ?? []) {
    const ref = columnRef(group);
    const owner = ref && scope.resolve(ref);
    if (ref && owner) owner.groups.push({ column: ref.column, location: ref.location });
  }
  // Subqueries in the select list and elsewhere are statements of their own.
  visitSubLinks(select.targetList, ctes, columnsOf, out);
  visitSubLinks(select.havingClause, ctes, columnsOf, out);
  out.push(shape);
}

function limitText(limitCount: unknown): string | undefined {
  const kind = nodeKind(limitCount);
  if (!kind) return undefined;
  if (kind[0] === 'A_Const') {
    if (kind[1].isnull) return undefined; // LIMIT ALL / LIMIT NULL
    const ival = (kind[1].ival as { ival?: number } | undefined)?.ival;
    return String(ival ?? 0);
  }
  if (kind[0] === 'ParamRef') return `$${String(kind[1].number)}`;
  return 'an expression';
}

class Scope {
  readonly tables: TableUse[] = [];
  constructor(private readonly columnsOf: ColumnLookup) {}

  add(use: TableUse): void {
    this.tables.push(use);
  }

  resolve(ref: { qualifier?: string; schema?: string; column: string }): TableUse | undefined {
    if (ref.qualifier !== undefined) {
      return this.tables.find((use) => (use.alias ?? use.table) === ref.qualifier && (!ref.schema || use.schema === ref.schema))
        ?? this.tables.find((use) => use.table === ref.qualifier && !use.alias);
    }
    if (this.tables.length === 1) return this.tables[0];
    const owners = this.tables.filter((use) => this.columnsOf(use.schema, use.table)?.has(ref.column));
    return owners.length === 1 ? owners[0] : undefined;
  }
}

function rangeVar(node: unknown, ctes: ReadonlySet<string>): TableUse | undefined {
  const body = (nodeKind(node)?.[0] === 'RangeVar' ? nodeKind(node)![1] : node) as SqlNode | undefined;
  if (!body || typeof body.relname !== 'string') return undefined;
  const schema = typeof body.schemaname === 'string' ? body.schemaname : undefined;
  // A CTE of the same name shadows the table.
  if (!schema && ctes.has(body.relname)) return undefined;
  const alias = (body.alias as { aliasname?: string } | undefined)?.aliasname;
  return {
    schema,
    table: body.relname,
    alias,
    location: typeof body.location === 'number' ? body.location : 0,
    filters: [],
    expressionFilters: [],
    conjuncts: new Set(),
    sortsUnderLimit: [],
    groups: [],
  };
}

function collectFrom(item: unknown, scope: Scope, ctes: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[], shape?: StatementShape): TableUse[] {
  const kind = nodeKind(item);
  if (!kind) return [];
  const [name, body] = kind;
  if (name === 'RangeVar') {
    const use = rangeVar(body, ctes);
    if (!use) return [];
    scope.add(use);
    return [use];
  }
  if (name === 'JoinExpr') {
    const left = collectFrom(body.larg, scope, ctes, columnsOf, out, shape);
    const right = collectFrom(body.rarg, scope, ctes, columnsOf, out, shape);
    if (shape) {
      for (const conjunct of conjunctsOf(body.quals)) {
        const pair = joinPair(conjunct, scope);
        if (pair) shape.joins.push(pair);
      }
      const leftLast = left[left.length - 1];
      const rightFirst = right[0];
      for (const column of stringList(body.usingClause)) {
        if (leftLast && rightFirst) {
          shape.joins.push({ left: { use: leftLast, column, location: leftLast.location }, right: { use: rightFirst, column, location: rightFirst.location } });
        }
      }
    }
    visitSubLinks(body.quals, ctes, columnsOf, out);
    return [...left, ...right];
  }
  if (name === 'RangeSubselect') {
    visitStatement(body.subquery, ctes, columnsOf, out);
    return [];
  }
  return [];
}

function applyWhere(where: unknown, scope: Scope, shape: StatementShape, ctes: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[]): void {
  if (!where) return;
  for (const conjunct of conjunctsOf(where)) {
    const pair = joinPair(conjunct, scope);
    if (pair) {
      shape.joins.push(pair);
      continue;
    }
    classifyFilter(conjunct, scope);
  }
  visitSubLinks(where, ctes, columnsOf, out);
}

/** The operands of a top-level AND, or the expression itself. */
function conjunctsOf(expression: unknown): unknown[] {
  const kind = nodeKind(expression);
  if (!kind) return [];
  if (kind[0] === 'BoolExpr' && kind[1].boolop === 'AND_EXPR') return ((kind[1].args as unknown[]) ?? []).flatMap(conjunctsOf);
  return [expression];
}

interface Ref {
  qualifier?: string;
  schema?: string;
  column: string;
  location: number;
}

function columnRef(node: unknown): Ref | undefined {
  let current = node;
  // `col::text` still reads the column's index for most casts we see; a cast to another type does not.
  for (let kind = nodeKind(current); kind?.[0] === 'TypeCast'; kind = nodeKind(current)) current = kind[1].arg;
  const kind = nodeKind(current);
  if (kind?.[0] !== 'ColumnRef') return undefined;
  const fields = stringList(kind[1].fields);
  if (fields.length === 0 || fields.includes('*')) return undefined;
  const location = typeof kind[1].location === 'number' ? kind[1].location : 0;
  if (fields.length === 1) return { column: fields[0], location };
  if (fields.length === 2) return { qualifier: fields[0], column: fields[1], location };
  return { schema: fields[fields.length - 3], qualifier: fields[fields.length - 2], column: fields[fields.length - 1], location };
}

/** True when the expression reads no column of the scope (a parameter, a constant, now(), an outer column). */
function isValueFor(node: unknown, scope: Scope): boolean {
  let independent = true;
  walk(node, (child) => {
    const ref = columnRef(child);
    if (ref && scope.resolve(ref)) independent = false;
    const kind = nodeKind(child);
    return kind?.[0] !== 'SubLink';
  });
  return independent;
}

function joinPair(conjunct: unknown, scope: Scope): JoinUse | undefined {
  const kind = nodeKind(conjunct);
  if (kind?.[0] !== 'A_Expr' || kind[1].kind !== 'AEXPR_OP' || stringList(kind[1].name)[0] !== '=') return undefined;
  const left = columnRef(kind[1].lexpr);
  const right = columnRef(kind[1].rexpr);
  if (!left || !right) return undefined;
  const leftUse = scope.resolve(left);
  const rightUse = scope.resolve(right);
  if (!leftUse || !rightUse || leftUse === rightUse) return undefined;
  return { left: { use: leftUse, column: left.column, location: left.location }, right: { use: rightUse, column: right.column, location: right.location } };
}

const RANGE_OPERATORS = new Set(['<', '>', '<=', '>=']);
const CONTAINMENT_OPERATORS = new Set(['@>', '<@', '?', '?|', '?&', '@@', '&&']);

function classifyFilter(conjunct: unknown, scope: Scope): void {
  const kind = nodeKind(conjunct);
  if (!kind) return;
  const [name, body] = kind;
  const record = (operand: unknown, value: unknown, filterKind: FilterKind, operator: string): void => {
    if (!isValueFor(value, scope)) return;
    // `happened_at::date = $1`: the cast makes it an expression, which only an expression index on the
    // same cast serves (a plain index on happened_at does not).
    const ref = nodeKind(operand)?.[0] === 'TypeCast' ? undefined : columnRef(operand);
    if (ref) {
      const use = scope.resolve(ref);
      if (!use) return;
      use.filters.push({ column: ref.column, location: ref.location, kind: filterKind, operator });
      use.conjuncts.add(expressionKey(conjunct));
      return;
    }
    // An expression over exactly one table's columns: only an expression index can serve it.
    const owners = new Set<TableUse>();
    let location = 0;
    walk(operand, (child) => {
      const childRef = columnRef(child);
      const owner = childRef && scope.resolve(childRef);
      if (owner) {
        owners.add(owner);
        location ||= childRef.location;
      }
      return true;
    });
    if (owners.size === 1) {
      const owner = [...owners][0];
      owner.expressionFilters.push({ key: expressionKey(operand), location });
      owner.conjuncts.add(expressionKey(conjunct));
    }
  };

  if (name === 'A_Expr') {
    const operator = stringList(body.name)[0] ?? '';
    switch (body.kind) {
      case 'AEXPR_OP':
        if (operator === '=' || RANGE_OPERATORS.has(operator) || CONTAINMENT_OPERATORS.has(operator)) {
          const filterKind: FilterKind = operator === '=' ? 'eq' : RANGE_OPERATORS.has(operator) ? 'range' : 'contains';
          const flipped = filterKind === 'range' ? flipOperator(operator) : operator;
          if (columnRef(body.lexpr) || !columnRef(body.rexpr)) record(body.lexpr, body.rexpr, filterKind, operator);
          else record(body.rexpr, body.lexpr, filterKind, flipped);
        }
        return;
      case 'AEXPR_IN':
        if (operator === '=') record(body.lexpr, body.rexpr, 'eq', 'IN');
        return;
      case 'AEXPR_OP_ANY':
        if (operator === '=') record(body.lexpr, body.rexpr, 'eq', '= ANY');
        return;
      case 'AEXPR_BETWEEN':
        record(body.lexpr, body.rexpr, 'range', 'BETWEEN');
        return;
      case 'AEXPR_LIKE':
        // Only a pattern with a fixed prefix can use a b-tree: 'abc%' yes, '%abc' no.
        if (operator === '~~' && hasFixedPrefix(body.rexpr)) record(body.lexpr, body.rexpr, 'prefix', 'LIKE');
        return;
      default:
        return;
    }
  }
  if (name === 'NullTest' && body.nulltesttype === 'IS_NULL') {
    record(body.arg, undefined, 'null', 'IS NULL');
    return;
  }
  if (name === 'SubLink' && body.subLinkType === 'ANY_SUBLINK' && body.testexpr) {
    const ref = columnRef(body.testexpr);
    const use = ref && scope.resolve(ref);
    if (ref && use) use.filters.push({ column: ref.column, location: ref.location, kind: 'eq', operator: 'IN (subquery)' });
  }
}

function flipOperator(operator: string): string {
  return ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[operator] ?? operator;
}

function hasFixedPrefix(pattern: unknown): boolean {
  const kind = nodeKind(pattern);
  if (kind?.[0] === 'ParamRef') return false; // unknown pattern: do not assume a prefix
  if (kind?.[0] !== 'A_Const') return false;
  const text = (kind[1].sval as { sval?: string } | undefined)?.sval;
  return typeof text === 'string' && text.length > 0 && text[0] !== '%' && text[0] !== '_';
}

/** Statements nested in expressions (`IN (SELECT ...)`, `EXISTS (...)`, scalar subqueries). */
function visitSubLinks(expression: unknown, ctes: ReadonlySet<string>, columnsOf: ColumnLookup, out: StatementShape[]): void {
  walk(expression, (child) => {
    const kind = nodeKind(child);
    if (kind?.[0] === 'SubLink') {
      visitStatement(kind[1].subselect, ctes, columnsOf, out);
      return false;
    }
    return true;
  });
}

/** Depth-first walk over a libpg-query tree; `visit` returns false to skip a node's children. */
export function walk(node: unknown, visit: (node: unknown) => boolean): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!visit(node)) return;
  for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value, visit);
}
