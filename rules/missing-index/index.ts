// missing-index: SQL whose filter, join or sort columns have no usable index in the project's own
// schema (migrations, schema.prisma, entities, Knex/Sequelize migrations, Drizzle tables). The SQL is
// parsed with the real PostgreSQL parser; tables the schema does not know are left alone.
import * as path from 'node:path';
import type { Rule, RuleContext } from '../../server/src/engine/types';
import { adviseIndexes, type IndexAdvice } from '../../server/src/engine/sql/advisor';
import type { Catalog, CatalogIndex } from '../../server/src/engine/sql/catalog';
import { sqlSourcesIn, type SqlSource } from '../../server/src/engine/sql/extract';
import { isSqlParserReady, loadSqlParser, parseSql } from '../../server/src/engine/sql/parser';
import { statementShapes } from '../../server/src/engine/sql/query-shape';
import { SchemaCatalogs, schemaRootOf } from '../../server/src/engine/sql/schema';
import { indexFixes } from './fixes';

export const meta = {
  id: 'missing-index',
  description: 'SQL filters, joins or sorts on columns that no index in the project\'s schema covers, so PostgreSQL scans the whole table.',
  defaultSeverity: 'warning',
  fixKind: 'suggestion',
} as const satisfies Rule['meta'];

// Start loading the parser as soon as the rule is imported: an editor or a test that calls
// analyzeFile without awaiting Engine.ready then almost always finds it loaded already.
void loadSqlParser();

/** One catalog cache per engine (its I/O resolver is per engine), rebuilt when schema files change. */
const catalogsByEngine = new WeakMap<object, SchemaCatalogs>();

export function catalogFor(context: Pick<RuleContext, 'io' | 'filePath' | 'config'>): Catalog {
  let catalogs = catalogsByEngine.get(context.io);
  if (!catalogs) {
    catalogs = new SchemaCatalogs();
    catalogsByEngine.set(context.io, catalogs);
  }
  return catalogs.catalogFor(schemaRootOf(context.filePath, context.config.dir));
}

const rule: Rule = {
  meta,
  prepare: loadSqlParser,
  mayApply: (text) => /\b(select|update|delete)\b/i.test(text),
  check(context) {
    if (!isSqlParserReady()) return;
    const sources = sqlSourcesIn(context.sourceFile, context.io);
    if (sources.length === 0) return;
    const catalog = catalogFor(context);
    if (catalog.size === 0) return;
    for (const source of sources) {
      for (const advice of adviceFor(source, catalog)) report(context, source, advice, catalog);
    }
  },
};

export default rule;

/** Every piece of index advice for one SQL text, one per table access and column set. */
export function adviceFor(source: Pick<SqlSource, 'text'>, catalog: Catalog): IndexAdvice[] {
  const parsed = parseSql(source.text);
  if (!parsed) return [];
  const seen = new Set<string>();
  const found: IndexAdvice[] = [];
  const lookup = (schema: string | undefined, table: string): ReadonlySet<string> | undefined => catalog.table(schema, table)?.columns;
  for (const statement of parsed.statements) {
    for (const shape of statementShapes(statement.stmt, lookup)) {
      for (const advice of adviseIndexes(shape, catalog)) {
        const key = `${advice.table.schema}.${advice.table.name}:${advice.statement}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // Locations are byte offsets; keep character offsets from here on.
        advice.columns = advice.columns.map((column) => ({ ...column, location: parsed.charOffset(column.location) }));
        found.push(advice);
      }
    }
  }
  return found;
}

function report(context: RuleContext, source: SqlSource, advice: IndexAdvice, catalog: Catalog): void {
  const first = advice.columns[0];
  const start = source.sourceOffset(first.location);
  const end = source.sourceOffset(first.location + first.column.length);
  const exact = end - start === first.column.length && context.sourceFile.getFullText().slice(start, end).replace(/"/g, '') === first.column;
  const node = exact ? { start, end } : source.expression;
  const root = schemaRootOf(context.filePath, context.config.dir);
  const where = `${path.relative(root, advice.table.source.file).split(path.sep).join('/')}:${advice.table.source.line}`;
  const existing = advice.table.indexes.length
    ? `its indexes are ${advice.table.indexes.map(describeIndex).join('; ')}`
    : 'it has no index at all';
  const what = advice.reason === 'join'
    ? `joins ${advice.table.name} on ${first.column}`
    : advice.reason === 'sort'
      ? `sorts ${advice.table.name} by ${advice.columns.map((column) => column.column).join(', ')} under a LIMIT`
      : `filters ${advice.table.name} on ${advice.columns.map((column) => `${column.column} (${column.how})`).join(', ')}`;
  const statement = source.dialect === 'mysql' ? advice.statement.replace(' CONCURRENTLY', '') : advice.statement;
  context.report({
    node,
    message: `This query ${what}, and no index of ${advice.table.name} (${where}) serves ${columnsText(advice)}: ${existing}. ${capitalize(advice.scan)}. Add: ${statement}`,
    fixes: indexFixes(context, advice, catalog, statement),
    fingerprintKey: advice.statement,
  });
}

function columnsText(advice: IndexAdvice): string {
  const columns = [...new Set(advice.columns.map((column) => column.column))];
  return columns.length === 1 ? columns[0] : `any of ${columns.join(', ')}`;
}

function describeIndex(index: CatalogIndex): string {
  const keys = index.keys.map((key) => ('column' in key ? key.column : 'an expression')).join(', ');
  const method = index.method === 'btree' ? '' : ` using ${index.method}`;
  const partial = index.where.length ? ', partial (its WHERE is not implied here)' : '';
  return `${index.name} (${keys})${method}${partial}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
