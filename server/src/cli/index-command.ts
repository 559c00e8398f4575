// `scalelint index --database-url <url> [paths...]`: confirms missing-index advice against a live
// PostgreSQL. For each flagged query it asks the planner for a generic plan (the query's parameters are
// unknown) before and after the suggested index: a HypoPG hypothetical index when the extension is
// available, otherwise a real index built inside a transaction that is rolled back. Nothing persists.
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { Client } from 'pg';
import { RULES } from '../../../rules';
import { adviceFor, catalogFor } from '../../../rules/missing-index';
import { Engine } from '../engine/engine';
import { IoResolver } from '../engine/io-resolver';
import { Workspace } from '../engine/project';
import type { IndexAdvice } from '../engine/sql/advisor';
import { sqlSourcesIn } from '../engine/sql/extract';
import { parseSql } from '../engine/sql/parser';
import { walk } from '../engine/sql/query-shape';
import type { CliIo } from './main';

export interface IndexConfirmation {
  file: string;
  line: number;
  table: string;
  query: string;
  statement: string;
  method: 'hypopg' | 'rolled-back index';
  costBefore?: number;
  costAfter?: number;
  /** The planner chose the suggested index for the query. */
  usesIndex?: boolean;
  planBefore?: string;
  planAfter?: string;
  error?: string;
}

const EXIT_OK = 0;
const EXIT_ERROR = 2;

export async function runIndexCommand(argv: string[], io: CliIo): Promise<number> {
  const program = new Command()
    .name('scalelint index')
    .description('Confirms missing-index findings against a live PostgreSQL: EXPLAIN before and after a hypothetical index.')
    .argument('[paths...]', 'files or folders to analyse', ['.'])
    .requiredOption('--database-url <url>', 'PostgreSQL connection string (a copy with production-like data)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    throw error;
  }
  const options = program.opts<{ databaseUrl: string; format: 'text' | 'json' }>();
  const paths = program.processedArgs[0] as string[];

  let targets: FlaggedQuery[];
  try {
    targets = await flaggedQueries(paths);
  } catch (error) {
    io.stderr.write(`scalelint index: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
  // Loaded when used: loading pg (which probes for undici) cost every other command about 25 ms of start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  try {
    await client.connect();
  } catch (error) {
    io.stderr.write(`scalelint index: cannot connect to the database: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
  const results: IndexConfirmation[] = [];
  try {
    const hypopg = await enableHypopg(client);
    for (const target of targets) results.push(await confirm(client, target, hypopg));
  } finally {
    await client.end().catch(() => undefined);
  }
  io.stdout.write(options.format === 'json' ? `${JSON.stringify(results, null, 2)}\n` : formatText(results));
  return EXIT_OK;
}

interface FlaggedQuery {
  file: string;
  line: number;
  sql: string;
  advice: IndexAdvice;
}

/** The missing-index findings under `paths` (config and suppressions applied), with their SQL and advice. */
async function flaggedQueries(paths: string[]): Promise<FlaggedQuery[]> {
  const root = process.cwd();
  const engine = new Engine({ rules: RULES, root, onlyRules: ['missing-index'] });
  const { results } = await engine.analyzePaths(paths);
  const workspace = new Workspace(root);
  const io = new IoResolver(engine.config);
  const found: FlaggedQuery[] = [];
  for (const result of results) {
    const findings = result.findings.filter((finding) => finding.ruleId === 'missing-index');
    if (findings.length === 0) continue;
    const sourceFile = workspace.sourceFile(result.file);
    const catalog = catalogFor({ io, filePath: result.file, config: engine.config });
    for (const source of sqlSourcesIn(sourceFile, io)) {
      const start = source.expression.getStart();
      const end = source.expression.getEnd();
      for (const advice of adviceFor(source, catalog)) {
        const offset = source.sourceOffset(advice.columns[0].location);
        const finding = findings.find((candidate) => {
          const at = candidate.range.start.offset;
          return at === offset || (at >= start && at < end && candidate.message.includes(advice.statement.replace(/;$/, '')));
        });
        if (finding) found.push({ file: result.file, line: finding.range.start.line, sql: source.text, advice });
      }
    }
  }
  return found;
}

async function enableHypopg(client: Client): Promise<boolean> {
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS hypopg');
    return true;
  } catch {
    return false;
  }
}

async function confirm(client: Client, target: FlaggedQuery, hypopg: boolean): Promise<IndexConfirmation> {
  const statement = target.advice.statement.replace(' CONCURRENTLY', '').replace(/;$/, '');
  const base: IndexConfirmation = {
    file: target.file,
    line: target.line,
    table: target.advice.table.name,
    query: target.sql,
    statement: target.advice.statement,
    method: hypopg ? 'hypopg' : 'rolled-back index',
  };
  await client.query('BEGIN');
  try {
    // Parameters are unknown statically: ask for the generic plan, which does not depend on their values.
    await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
    const before = await explain(client, target.sql);
    let indexName = target.advice.indexName;
    if (hypopg) {
      const { rows } = await client.query<{ indexname: string }>('SELECT indexname FROM hypopg_create_index($1)', [statement]);
      indexName = rows[0]?.indexname ?? indexName;
    } else {
      await client.query(statement);
    }
    const after = await explain(client, target.sql);
    if (hypopg) await client.query('SELECT hypopg_reset()');
    return {
      ...base,
      costBefore: before.cost,
      costAfter: after.cost,
      usesIndex: after.text.includes(indexName),
      planBefore: before.text,
      planAfter: after.text,
    };
  } catch (error) {
    return { ...base, error: (error as Error).message };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** EXPLAIN of a parameterised query through PREPARE/EXECUTE with NULL arguments (the plan is generic). */
async function explain(client: Client, sql: string): Promise<{ cost: number; text: string }> {
  const name = `scalelint_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const params = parameterCount(sql);
  await client.query(`PREPARE ${name} AS ${sql}`);
  try {
    const args = params ? `(${Array.from({ length: params }, () => 'NULL').join(', ')})` : '';
    const json = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`);
    const plan = json.rows[0]['QUERY PLAN'][0].Plan;
    return { cost: plan['Total Cost'], text: describePlan(plan) };
  } finally {
    await client.query(`DEALLOCATE ${name}`).catch(() => undefined);
  }
}

interface PlanNode {
  'Node Type': string;
  'Total Cost': number;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function describePlan(plan: PlanNode, depth = 0): string {
  const target = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
  const on = plan['Relation Name'] ? ` on ${plan['Relation Name']}` : '';
  const line = `${'  '.repeat(depth)}${plan['Node Type']}${target}${on} (cost ${plan['Total Cost']})`;
  return [line, ...(plan.Plans ?? []).map((child) => describePlan(child, depth + 1))].join('\n');
}

function parameterCount(sql: string): number {
  const parsed = parseSql(sql);
  let max = 0;
  walk(parsed?.statements.map((statement) => statement.stmt), (node) => {
    const ref = (node as { ParamRef?: { number?: number } }).ParamRef;
    if (ref?.number && ref.number > max) max = ref.number;
    return true;
  });
  return max;
}

function formatText(results: IndexConfirmation[]): string {
  if (results.length === 0) return 'scalelint index: no missing-index findings to confirm.\n';
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${path.relative(process.cwd(), result.file)}:${result.line}  ${result.table}`);
    lines.push(`  ${result.statement}`);
    if (result.error) {
      lines.push(`  could not confirm: ${result.error}`);
    } else {
      const ratio = result.costBefore && result.costAfter ? ` (${(result.costBefore / Math.max(result.costAfter, 0.01)).toFixed(1)}× cheaper)` : '';
      lines.push(`  planner cost ${result.costBefore} → ${result.costAfter}${result.usesIndex ? ratio : ''}; ${result.usesIndex ? 'the planner uses the index' : 'the planner would NOT use the index on this data'} [${result.method}]`);
    }
  }
  return `${lines.join('\n')}\n`;
}
