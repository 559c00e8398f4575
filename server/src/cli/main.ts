// The headless CLI: findings → formats and exit codes. 0 clean, 1 error findings (or too many
// warnings), 2 usage, config or internal error. Flags follow ESLint's where ESLint has one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { RULES } from '../../../rules';
import { ConfigError, Engine, UNUSED_SUPPRESSION } from '../engine/engine';
import { effectiveRuleSetting, normalizeSeverity } from '../engine/config';
import { docsUrl } from '../engine/docs';
import { planFixes, writeAtomically, writeFixPlan, type FixPlan } from '../engine/fixes';
import type { EngineMessage, FileResult, Finding, SeveritySetting } from '../engine/types';
import { applyBaseline, BaselineError, createBaseline, DEFAULT_BASELINE_FILE, readBaseline, writeBaseline } from './baseline';
import { changedLinesSince, GitError, touchesChange } from './changed-lines';
import { formatGithub } from './formatters/github';
import { formatHtml } from './formatters/html';
import { formatJson } from './formatters/json';
import { formatJunit } from './formatters/junit';
import { formatSarif } from './formatters/sarif';
import { formatStylish } from './formatters/stylish';
import { displayPath, toolVersion, type ReportContext, type RuleInfo } from './report-context';
import { runIndexCommand } from './index-command';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

export const FORMATS = ['stylish', 'json', 'sarif', 'github', 'junit', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Subcommands: when the first argument names one, it runs instead of the lint, with the remaining
 * arguments. Register one with a single entry here.
 */
export const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  index: runIndexCommand,
};

interface CliOptions {
  format: Format;
  outputFile?: string;
  config?: string | false;
  rule: Record<string, SeveritySetting>;
  quiet?: boolean;
  maxWarnings?: number;
  color?: boolean;
  printConfig?: string;
  listRules?: boolean;
  fix?: boolean;
  fixDryRun?: boolean;
  baseline?: string;
  baselineCreate?: boolean;
  baselinePrune?: boolean;
  changedSince?: string;
  progress?: boolean;
}

/** A problem with how scalelint was called or configured: message on stderr, exit 2, no stack. */
class UsageError extends Error {}

function parseRuleOverride(value: string, previous: Record<string, SeveritySetting>): Record<string, SeveritySetting> {
  const match = /^([a-z0-9-]+):(error|warning|warn|info|off)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected <rule-id>:<error|warning|info|off>, got '${value}'`);
  const known = RULES.some((rule) => rule.meta.id === match[1]) || match[1] === UNUSED_SUPPRESSION;
  if (!known) throw new InvalidArgumentError(`unknown rule '${match[1]}'. Known rules: ${RULES.map((rule) => rule.meta.id).join(', ')}`);
  return { ...previous, [match[1]]: normalizeSeverity(match[2]) };
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < -1) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return count;
}

function buildProgram(io: CliIo): Command {
  return new Command()
    .name('scalelint')
    .description('Finds scalability anti-patterns in TypeScript/JavaScript back-end code.')
    .version(toolVersion(), '-v, --version', 'print the version and exit')
    .argument('[paths...]', 'files or folders to analyse', ['.'])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('stylish'))
    .option('-o, --output-file <file>', 'write the report to this file instead of stdout')
    .option('-c, --config <file>', 'use this scalelint.config.json instead of searching for one')
    .option('--no-config', 'ignore scalelint.config.json files')
    .option('--rule <id:severity>', "set a rule's severity, e.g. redis-keys:warning (repeatable)", parseRuleOverride, {})
    .option('--quiet', 'report errors only')
    .option('--max-warnings <n>', 'exit 1 when there are more warnings than this', parseCount)
    .option('--print-config <file>', 'print the configuration that applies to a file, as JSON, and exit')
    .option('--list-rules', 'list the rules with their severity and fix kind, and exit (with --format json: as JSON)')
    .option('--fix', 'apply safe fixes to the files (atomically; files changed since they were read are skipped)')
    .option('--fix-dry-run', 'print the safe fixes as a unified diff without writing files')
    .option('--baseline <file>', `report only findings not recorded in this baseline (default: ${DEFAULT_BASELINE_FILE} when it exists)`)
    .option('--baseline-create', 'record all current findings in the baseline file and exit 0')
    .option('--baseline-prune', 'drop fixed findings from the baseline file')
    .option('--changed-since <git-ref>', 'report only findings touching lines changed since this git ref')
    .option('--no-progress', 'no progress on stderr, even on a terminal')
    .option('--color', 'force colour output')
    .option('--no-color', 'disable colour output')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showSuggestionAfterError();
}

export async function main(argv: string[], io: CliIo = process): Promise<number> {
  const subcommand = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? SUBCOMMANDS[argv[0]] : undefined;
  if (subcommand) return subcommand(argv.slice(1), io);

  const program = buildProgram(io);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    throw error;
  }
  const options = program.opts<CliOptions>();
  const paths = program.processedArgs[0] as string[];
  try {
    return await lint(paths, options, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof BaselineError || error instanceof GitError) {
      io.stderr.write(`scalelint: ${error.message}\n`);
      return EXIT_ERROR;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`scalelint: invalid configuration\n  ${displayPath(error.file, process.cwd())}:${error.line}:${error.column}: ${error.problem}\n`);
      return EXIT_ERROR;
    }
    throw error;
  }
}

function checkCombinations(options: CliOptions): void {
  if (options.fix && options.fixDryRun) throw new UsageError('--fix and --fix-dry-run cannot be combined');
  // Before the analysis, not after it: the report could not be written there.
  if (options.outputFile && fs.statSync(options.outputFile, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--output-file ${options.outputFile} is a directory: name the report file, e.g. ${path.join(options.outputFile, 'scalelint.sarif')}`);
  if (options.baselineCreate && options.baselinePrune) throw new UsageError('--baseline-create and --baseline-prune cannot be combined');
  if ((options.fix || options.fixDryRun) && options.baselineCreate) throw new UsageError('--baseline-create records findings as they are; run --fix separately');
}

async function lint(paths: string[], options: CliOptions, io: CliIo): Promise<number> {
  checkCombinations(options);
  const cwd = process.cwd();
  const engine = createEngine(options, cwd);
  const rules = ruleInfos(engine, options);

  if (options.printConfig !== undefined) return printConfig(engine, rules, options.printConfig, io);
  if (options.listRules) return listRules(rules, options.format, io);

  // Resolve the ref before the (long) analysis: a typo should fail fast.
  const changed = options.changedSince !== undefined ? changedLinesSince(options.changedSince, cwd) : undefined;
  const baselineFile = options.baseline ?? (options.baselineCreate || options.baselinePrune || fs.existsSync(path.resolve(DEFAULT_BASELINE_FILE)) ? DEFAULT_BASELINE_FILE : undefined);
  const baseline = baselineFile && !options.baselineCreate ? readBaseline(path.resolve(baselineFile)) : undefined;

  const progress = options.progress !== false && Boolean((io.stderr as NodeJS.WriteStream).isTTY) ? new Progress(io.stderr) : undefined;
  const messages: EngineMessage[] = [];
  const files = await engine.collect(paths, messages);
  await engine.ready;
  const analysed = engine.analyzeFiles(files, progress?.update);
  filesAnalysed += analysed.length;
  messages.push(...engine.projectMessages);
  progress?.done();
  if (!reportMessages(messages, analysed, cwd, io)) return EXIT_ERROR;

  const inScope = (finding: Finding): boolean => (!changed || touchesChange(finding, changed)) && (!options.quiet || finding.severity === 'error');
  let results = analysed;

  if (options.fix || options.fixDryRun) {
    const fixable = results.flatMap((result) => result.findings.filter(inScope));
    const plan = planFixes(fixable, new Map(results.map((result) => [result.file, result.text])));
    for (const skipped of plan.skipped) {
      io.stderr.write(`scalelint: ${displayPath(skipped.finding.file, cwd)}:${skipped.finding.range.start.line}: fix '${skipped.fix.title}' not applied: ${skipped.reason}\n`);
    }
    if (options.fixDryRun) {
      io.stdout.write(fixDiff(plan, cwd));
      for (const change of plan.changes) engine.setFileText(change.file, change.after);
      results = engine.analyzeFiles(files);
    } else {
      const outcome = writeFixPlan(plan);
      for (const skipped of outcome.skipped) io.stderr.write(`scalelint: ${displayPath(skipped.file, cwd)}: not fixed: ${skipped.reason}\n`);
      const touched = outcome.written.length + outcome.created.length;
      if (touched) {
        io.stderr.write(`scalelint: applied ${plan.applied.length} fix${plan.applied.length === 1 ? '' : 'es'} to ${outcome.written.length} file${outcome.written.length === 1 ? '' : 's'}${outcome.created.length ? `, created ${outcome.created.map((file) => displayPath(file, cwd)).join(', ')}` : ''}\n`);
        // Report what is left, from the files as they are now on disk.
        const fresh = createEngine(options, cwd);
        await fresh.ready;
        results = fresh.analyzeFiles(files);
      }
    }
  }

  results = results.map((result) => ({ ...result, findings: result.findings.filter((finding) => !changed || touchesChange(finding, changed)) }));

  if (options.baselineCreate && baselineFile) {
    const created = createBaseline(results, cwd);
    writeBaseline(baselineFile, created);
    const total = results.reduce((sum, result) => sum + result.findings.length, 0);
    io.stderr.write(`scalelint: recorded ${total} finding${total === 1 ? '' : 's'} in ${baselineFile}; later runs report only new ones\n`);
    results = results.map((result) => ({ ...result, findings: [] }));
  } else if (baseline && baselineFile) {
    const match = applyBaseline(results, baseline, cwd);
    results = match.fresh;
    if (options.baselinePrune) {
      writeBaseline(baselineFile, match.pruned);
      if (match.fixedCount) io.stderr.write(`scalelint: pruned ${match.fixedCount} fixed finding${match.fixedCount === 1 ? '' : 's'} from ${baselineFile}\n`);
    } else if (match.fixedCount) {
      io.stderr.write(`scalelint: ${match.fixedCount} baselined finding${match.fixedCount === 1 ? ' is' : 's are'} fixed; run with --baseline-prune to drop ${match.fixedCount === 1 ? 'it' : 'them'} from ${baselineFile}\n`);
    }
  }

  const shown: FileResult[] = options.quiet ? results.map((result) => ({ ...result, findings: result.findings.filter((finding) => finding.severity === 'error') })) : results;

  const context: ReportContext = {
    cwd,
    rules,
    toolVersion: toolVersion(),
    color: !options.outputFile && (options.color ?? (Boolean((io.stdout as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR)),
  };
  const report = format(options.format, shown, context, messages);
  if (options.outputFile) {
    const target = path.resolve(options.outputFile);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeAtomically(target, report);
  } else if (options.fixDryRun) {
    // stdout carries only the patch, so `scalelint --fix-dry-run > fixes.diff` can be applied as is.
    io.stderr.write(report);
  } else {
    io.stdout.write(report);
  }

  const errors = shown.reduce((sum, result) => sum + result.findings.filter((f) => f.severity === 'error').length, 0);
  const warnings = shown.reduce((sum, result) => sum + result.findings.filter((f) => f.severity === 'warning').length, 0);
  if (errors > 0) return EXIT_FINDINGS;
  if (options.maxWarnings !== undefined && options.maxWarnings >= 0 && warnings > options.maxWarnings) {
    io.stderr.write(`scalelint: ${warnings} warnings, more than --max-warnings ${options.maxWarnings}\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

function createEngine(options: CliOptions, cwd: string): Engine {
  return new Engine({
    rules: RULES,
    root: cwd,
    configFile: options.config === false ? null : options.config ? path.resolve(options.config) : undefined,
    ruleOverrides: options.rule,
    oneShot: true,
  });
}

function ruleInfos(engine: Engine, options: CliOptions): RuleInfo[] {
  return engine.rules.map((rule) => {
    const setting = effectiveRuleSetting(engine.config, rule.meta);
    const severity = options.rule[rule.meta.id] ?? setting.severity;
    return { meta: rule.meta, severity, docsUrl: docsUrl(rule.meta.id, engine.config.docsBaseUrl) };
  });
}

export function format(name: Format, results: readonly FileResult[], context: ReportContext, messages: readonly EngineMessage[] = []): string {
  switch (name) {
    case 'json':
      return `${formatJson(results)}\n`;
    case 'sarif':
      return formatSarif(results, context, messages);
    case 'github':
      return formatGithub(results, context.cwd);
    case 'junit':
      return formatJunit(results, context.cwd);
    case 'html':
      return formatHtml(results, context);
    default:
      return formatStylish(results, { color: context.color, cwd: context.cwd });
  }
}

/** Engine messages on stderr; false when a named path does not exist (a usage error). */
function reportMessages(messages: readonly EngineMessage[], results: readonly FileResult[], cwd: string, io: CliIo): boolean {
  for (const message of messages) {
    if (message.level === 'error' && /no such file or directory/.test(message.message)) {
      io.stderr.write(`scalelint: ${message.message}\n`);
      return false;
    }
  }
  for (const message of messages) {
    if (message.level !== 'info' || process.env.SCALELINT_VERBOSE) {
      const where = message.file ? `${displayPath(message.file, cwd)}: ` : '';
      io.stderr.write(`scalelint: ${where}${message.message}\n`);
    }
  }
  for (const result of results) {
    for (const message of result.messages) {
      if (message.level === 'info' && !process.env.SCALELINT_VERBOSE) continue;
      io.stderr.write(`scalelint: ${displayPath(result.file, cwd)}: ${message.message}\n`);
    }
  }
  return true;
}

function fixDiff(plan: FixPlan, cwd: string): string {
  const patches = plan.changes
    .filter((change) => change.before !== change.after)
    .map((change) => {
      const name = displayPath(change.file, cwd);
      return createTwoFilesPatch(`a/${name}`, `b/${name}`, change.before, change.after, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
    });
  for (const creation of plan.creations) {
    const name = displayPath(creation.file, cwd);
    patches.push(createTwoFilesPatch('/dev/null', `b/${name}`, '', creation.content, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''));
  }
  return patches.join('');
}

async function printConfig(engine: Engine, rules: readonly RuleInfo[], file: string, io: CliIo): Promise<number> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new UsageError(`no such file: ${file}`);
  // A run over the working folder (or the file's own folder, outside it) is the run users mean; a
  // folder named explicitly would be analysed even when .gitignore lists it.
  const inside = !path.relative(process.cwd(), absolute).startsWith('..');
  const inFolder = await engine.collect([inside ? process.cwd() : path.dirname(absolute)], []);
  const config = engine.config;
  const printed = {
    file: absolute,
    configFile: config.file ?? null,
    // Whether `scalelint .` would analyse it (.gitignore, ignorePatterns, default ignores).
    analysed: inFolder.includes(absolute),
    rules: Object.fromEntries(
      rules.map((rule) => [rule.meta.id, { severity: rule.severity, fixKind: rule.meta.fixKind, options: effectiveRuleSetting(config, rule.meta).options }]),
    ),
    reportUnusedSuppressions: engine.config.reportUnusedSuppressions,
    ignorePatterns: config.ignorePatterns,
    io: config.io,
    cacheWrappers: config.cacheWrappers,
    breakerWrappers: config.breakerWrappers,
    timeoutWrappers: config.timeoutWrappers,
    docsBaseUrl: config.docsBaseUrl ?? null,
    defaultTimeoutMs: config.defaultTimeoutMs,
    maxFileSizeKb: config.maxFileSizeKb,
    analysisBudgetMs: config.analysisBudgetMs,
  };
  io.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
  return EXIT_OK;
}

function listRules(rules: readonly RuleInfo[], formatName: Format, io: CliIo): number {
  if (formatName === 'json') {
    const listed = rules.map((rule) => ({
      id: rule.meta.id,
      description: rule.meta.description,
      defaultSeverity: rule.meta.defaultSeverity,
      severity: rule.severity,
      fixKind: rule.meta.fixKind,
      docsUrl: rule.docsUrl,
      ...(rule.meta.defaultOptions ? { defaultOptions: rule.meta.defaultOptions } : {}),
    }));
    io.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return EXIT_OK;
  }
  if (formatName !== 'stylish') throw new UsageError(`--list-rules prints stylish or json, not ${formatName}`);
  const idWidth = Math.max(...rules.map((rule) => rule.meta.id.length), 4);
  const lines = [`${'rule'.padEnd(idWidth)}  severity  fix         description`];
  for (const rule of rules) {
    lines.push(`${rule.meta.id.padEnd(idWidth)}  ${rule.severity.padEnd(8)}  ${rule.meta.fixKind.padEnd(10)}  ${rule.meta.description}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** "analysing 12/40 files" on one refreshed stderr line, only when stderr is a terminal. */
class Progress {
  private last = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  readonly update = (progress: { done: number; total: number; file: string }): void => {
    const now = Date.now();
    if (now - this.last < 80 && progress.done !== progress.total) return;
    this.last = now;
    const name = path.basename(progress.file);
    this.stream.write(`\r\u001b[2Kscalelint: analysing ${progress.done}/${progress.total} files ${name.length > 40 ? `…${name.slice(-39)}` : name}`);
  };

  done(): void {
    if (this.last) this.stream.write('\r\u001b[2K');
  }
}

/** Files analysed by this process: the launcher caches compiled code only after a run that analysed some. */
let filesAnalysed = 0;

/** Runs the CLI on this process's arguments and sets its exit code; resolves with whether it analysed any file. */
export function run(): Promise<boolean> {
  return main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      return filesAnalysed > 0;
    },
    (error: unknown) => {
      process.stderr.write(`scalelint: internal error: ${(error as Error).message}\n`);
      if (process.env.SCALELINT_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
      process.exitCode = EXIT_ERROR;
      return false;
    },
  );
}

// Run directly (out/…/main.js); the shipped command starts through launch.ts.
if (require.main === module) void run();
