// Which table accesses of a statement no index in the catalog can serve, and the index that would.
// Rules of thumb a reviewer applies: an index helps when its leading column is filtered on (with an
// operator its access method supports), when a partial index's predicate is implied by the query,
// when a join's inner side is reachable by key, and when ORDER BY ... LIMIT can be read in order.
import type { Catalog, CatalogIndex, CatalogTable } from './catalog';
import type { FilterUse, JoinUse, SortUse, StatementShape, TableUse } from './query-shape';

export type AdviceReason = 'filter' | 'contains' | 'join' | 'sort';

export interface IndexAdvice {
  reason: AdviceReason;
  table: CatalogTable;
  use: TableUse;
  /** Columns of the query that no index serves, with their libpg-query locations. */
  columns: { column: string; location: number; how: string }[];
  /** Proposed index: equality columns first, then range, then sort columns. */
  indexColumns: { column: string; descending?: boolean }[];
  method: 'btree' | 'gin';
  /** Why it hurts: how PostgreSQL will have to read the table. */
  scan: string;
  statement: string;
  indexName: string;
  /** Undoes `statement`, for a migration's down step: the same name, quoted and qualified the same way. */
  dropStatement: string;
}

const BTREE_KINDS = new Set(['eq', 'null', 'range', 'prefix']);

export function adviseIndexes(shape: StatementShape, catalog: Catalog): IndexAdvice[] {
  const advice: IndexAdvice[] = [];
  const known = new Map<TableUse, CatalogTable>();
  for (const use of shape.tables) {
    const table = catalog.table(use.schema, use.table);
    if (table) known.set(use, table);
  }
  const drivenByFilter = new Set<TableUse>();
  for (const [use, table] of known) {
    const filters = use.filters.filter((filter) => isKnownColumn(table, filter.column));
    const btreeFilters = filters.filter((filter) => BTREE_KINDS.has(filter.kind));
    const containment = filters.filter((filter) => filter.kind === 'contains');
    const servedByExpression = use.expressionFilters.some((filter) => usableIndexes(table, use).some((index) => 'expression' in index.keys[0] && index.keys[0].expression === filter.key));
    if (btreeFilters.length || containment.length || use.expressionFilters.length) drivenByFilter.add(use);

    // One served filter narrows the scan enough: a GIN index answering `tags @> …` serves `… AND total_cents > 0`.
    const servedByContainment = containment.some((filter) => servesFilter(table, use, filter));
    if (btreeFilters.length && !servedByExpression && !servedByContainment && !btreeFilters.some((filter) => servesFilter(table, use, filter))) {
      advice.push(filterAdvice(shape, table, use, btreeFilters));
      continue;
    }
    if (containment.length && !btreeFilters.length && !servedByExpression && !servedByContainment) {
      advice.push(containmentAdvice(table, use, containment));
      continue;
    }
    const sorts = use.sortsUnderLimit.filter((sort) => isKnownColumn(table, sort.column));
    if (!filters.length && !use.expressionFilters.length && sorts.length && sorts.length === use.sortsUnderLimit.length && shape.tables.length === 1) {
      const served = usableIndexes(table, use).some((index) => index.method === 'btree' && leadingColumn(index) === sorts[0].column);
      if (!served) advice.push(sortAdvice(shape, table, use, sorts));
    }
  }
  for (const join of shape.joins) {
    const found = joinAdvice(join, known, drivenByFilter);
    if (found && !advice.some((existing) => existing.table === found.table && existing.use === found.use)) advice.push(found);
  }
  // A name the schema already uses (a partial index on the same column, say) would fail the migration.
  return advice.map((one) => {
    if (!catalog.hasIndexNamed(one.indexName)) return one;
    let n = 2;
    while (catalog.hasIndexNamed(suffixed(one.indexName, n))) n++;
    return { ...one, ...statementsFor(one.table, suffixed(one.indexName, n), one.method, one.indexColumns) };
  });
}

function suffixed(name: string, n: number): string {
  const suffix = `_${n}`;
  return identifierFor(name).slice(0, 63 - suffix.length) + suffix;
}

function isKnownColumn(table: CatalogTable, column: string): boolean {
  // A table whose columns the source does not list (an index-only declaration) accepts any column.
  return table.columns.size === 0 || table.columns.has(column);
}

function leadingColumn(index: CatalogIndex): string | undefined {
  const first = index.keys[0];
  return first && 'column' in first ? first.column : undefined;
}

/** Indexes the planner may use for this table access: full ones, and partial ones the query implies. */
function usableIndexes(table: CatalogTable, use: TableUse): CatalogIndex[] {
  return table.indexes.filter((index) => index.where.every((conjunct) => use.conjuncts.has(conjunct)));
}

function servesFilter(table: CatalogTable, use: TableUse, filter: FilterUse): boolean {
  return usableIndexes(table, use).some((index) => {
    if (leadingColumn(index) !== filter.column) return false;
    switch (index.method) {
      case 'btree':
        return BTREE_KINDS.has(filter.kind);
      case 'hash':
        return filter.kind === 'eq' && filter.operator !== 'IN (subquery)';
      case 'gin':
      case 'gist':
        return filter.kind === 'contains';
      case 'brin':
        return filter.kind === 'range' || filter.kind === 'eq';
      default:
        return true;
    }
  });
}

function filterAdvice(shape: StatementShape, table: CatalogTable, use: TableUse, filters: FilterUse[]): IndexAdvice {
  const equality = unique(filters.filter((filter) => filter.kind === 'eq' || filter.kind === 'null'));
  const range = unique(filters.filter((filter) => filter.kind === 'range' || filter.kind === 'prefix'));
  const indexColumns: { column: string; descending?: boolean }[] = equality.map((filter) => ({ column: filter.column }));
  // After a range column the index is no longer in sort order, so sort columns only follow equality
  // columns (or repeat the range column itself).
  if (range.length) indexColumns.push({ column: range[0].column });
  const sorts = use.sortsUnderLimit;
  if (sorts.length && (!range.length || sorts[0].column === range[0].column)) appendSorts(indexColumns, sorts);
  const rows = shape.kind === 'select' ? 'reads' : shape.kind === 'update' ? 'reads (to update)' : 'reads (to delete)';
  const sortNote = sorts.length && shape.limit ? ` and sorts every match to return ${shape.limit} rows` : '';
  const scan = `PostgreSQL ${rows} every row of ${table.name} (Seq Scan)${sortNote}: the cost grows with the table, not with the result`;
  return build('filter', table, use, filters.map((filter) => ({ column: filter.column, location: filter.location, how: filter.operator })), indexColumns, 'btree', scan);
}

function containmentAdvice(table: CatalogTable, use: TableUse, filters: FilterUse[]): IndexAdvice {
  const first = filters[0];
  const scan = `PostgreSQL tests ${first.operator} on every row of ${table.name} (Seq Scan); a b-tree cannot answer containment, a GIN index can`;
  return build('contains', table, use, filters.map((filter) => ({ column: filter.column, location: filter.location, how: filter.operator })), [{ column: first.column }], 'gin', scan);
}

function sortAdvice(shape: StatementShape, table: CatalogTable, use: TableUse, sorts: SortUse[]): IndexAdvice {
  const indexColumns: { column: string; descending?: boolean }[] = [];
  appendSorts(indexColumns, sorts);
  const scan = `PostgreSQL reads every row of ${table.name} and sorts them all to return ${shape.limit ?? 'the first'} rows (Seq Scan + Sort); an index in ${sorts[0].column} order stops after ${shape.limit ?? 'the limit'}`;
  return build('sort', table, use, sorts.map((sort) => ({ column: sort.column, location: sort.location, how: `ORDER BY … LIMIT` })), indexColumns, 'btree', scan);
}

/**
 * A join needs an index on the inner side's key. The side with a WHERE filter drives the join; the
 * other side is probed per row. When neither side has an index on its join column, advise the probed one.
 */
function joinAdvice(join: JoinUse, known: Map<TableUse, CatalogTable>, driven: Set<TableUse>): IndexAdvice | undefined {
  const leftTable = known.get(join.left.use);
  const rightTable = known.get(join.right.use);
  // Stay silent unless both sides are known: an unknown table may well have the index.
  if (!leftTable || !rightTable) return undefined;
  if (!isKnownColumn(leftTable, join.left.column) || !isKnownColumn(rightTable, join.right.column)) return undefined;
  const indexed = (table: CatalogTable, use: TableUse, column: string): boolean =>
    usableIndexes(table, use).some((index) => (index.method === 'btree' || index.method === 'hash') && leadingColumn(index) === column);
  // One side filtered, the other not: the filtered side's rows drive the join and the other side is
  // probed by its join key, the classic foreign key with no index (`users u JOIN orders o ON o.user_id =
  // u.id WHERE u.id = $1`). The driving side's index does not help the probe.
  const leftDriven = driven.has(join.left.use);
  if (leftDriven !== driven.has(join.right.use)) {
    const [probed, other, table] = leftDriven ? [join.right, join.left, rightTable] : [join.left, join.right, leftTable];
    if (indexed(table, probed.use, probed.column)) return undefined;
    const scan = `${other.use.table} is filtered first, then ${table.name} is searched by ${probed.column} for its rows; with no index on ${probed.column}, PostgreSQL scans ${table.name} in full for them (Seq Scan + Hash Join, or a scan per outer row in a Nested Loop)`;
    return build('join', table, probed.use, [{ column: probed.column, location: probed.location, how: 'JOIN … ON' }], [{ column: probed.column }], 'btree', scan);
  }
  if (indexed(leftTable, join.left.use, join.left.column) || indexed(rightTable, join.right.use, join.right.column)) return undefined;
  // Both sides filtered, or neither: advise the right-hand side's key.
  const [probed, other, table] = [join.right, join.left, rightTable];
  const scan = `neither ${other.use.table}.${other.column} nor ${table.name}.${probed.column} is indexed, so PostgreSQL must scan ${table.name} in full for the join (Seq Scan + Hash Join, or a scan per outer row in a Nested Loop)`;
  return build('join', table, probed.use, [{ column: probed.column, location: probed.location, how: 'JOIN … ON' }], [{ column: probed.column }], 'btree', scan);
}

function appendSorts(columns: { column: string; descending?: boolean }[], sorts: SortUse[]): void {
  // A b-tree reads backwards as cheaply as forwards: write DESC only when directions are mixed.
  const mixed = new Set(sorts.map((sort) => sort.descending)).size > 1;
  for (const sort of sorts) {
    if (columns.some((existing) => existing.column === sort.column)) continue;
    columns.push(mixed && sort.descending ? { column: sort.column, descending: true } : { column: sort.column });
  }
}

function unique<T extends { column: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.column) && seen.add(item.column));
}

function build(
  reason: AdviceReason,
  table: CatalogTable,
  use: TableUse,
  columns: IndexAdvice['columns'],
  indexColumns: IndexAdvice['indexColumns'],
  method: 'btree' | 'gin',
  scan: string,
): IndexAdvice {
  const indexName = identifierFor(`idx_${table.name}_${indexColumns.map((column) => column.column).join('_')}`);
  return { reason, table, use, columns, indexColumns, method, scan, ...statementsFor(table, indexName, method, indexColumns) };
}

function statementsFor(table: CatalogTable, indexName: string, method: 'btree' | 'gin', indexColumns: IndexAdvice['indexColumns']): Pick<IndexAdvice, 'statement' | 'indexName' | 'dropStatement'> {
  const schema = table.schema === 'public' ? '' : `${quoteIdent(table.schema)}.`;
  const columnList = indexColumns.map((column) => `${quoteIdent(column.column)}${column.descending ? ' DESC' : ''}`).join(', ');
  const statement = `CREATE INDEX CONCURRENTLY ${quoteIdent(indexName)} ON ${schema}${quoteIdent(table.name)}${method === 'gin' ? ' USING gin' : ''} (${columnList});`;
  // The index lives in its table's schema.
  const dropStatement = `DROP INDEX CONCURRENTLY IF EXISTS ${schema}${quoteIdent(indexName)};`;
  return { statement, indexName, dropStatement };
}

/** PostgreSQL truncates identifiers at 63 bytes. */
function identifierFor(name: string): string {
  return name.length <= 63 ? name : name.slice(0, 63);
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const RESERVED = new Set(['user', 'order', 'group', 'table', 'select', 'where', 'from', 'limit', 'offset', 'desc', 'asc', 'default', 'check', 'column', 'primary', 'references', 'unique', 'end', 'to', 'using', 'all', 'and', 'or', 'not', 'on', 'as', 'case', 'when', 'then', 'else', 'in', 'is', 'null', 'true', 'false', 'having', 'analyse', 'analyze', 'array', 'both', 'cast', 'collate', 'constraint', 'create', 'current_date', 'current_time', 'current_timestamp', 'current_user', 'distinct', 'do', 'except', 'fetch', 'for', 'foreign', 'grant', 'initially', 'intersect', 'into', 'lateral', 'leading', 'localtime', 'only', 'placing', 'returning', 'session_user', 'some', 'symmetric', 'trailing', 'union', 'variadic', 'window', 'with']);
