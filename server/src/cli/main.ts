// The headless CLI: findings → formats and exit codes. 0 clean, 1 error findings (or too many
// warnings), 2 usage, config or internal error.
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { RULES } from '../../../rules';
import { ConfigError, Engine } from '../engine/engine';
import { normalizeSeverity } from '../engine/config';
import type { FileResult, SeveritySetting } from '../engine/types';
import { formatJson } from './formatters/json';
import { formatStylish } from './formatters/stylish';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

const FORMATS = ['stylish', 'json'] as const;

interface CliOptions {
  format: (typeof FORMATS)[number];
  config?: string | false;
  rule: Record<string, SeveritySetting>;
  quiet?: boolean;
  maxWarnings?: number;
  color?: boolean;
}

function parseRuleOverride(value: string, previous: Record<string, SeveritySetting>): Record<string, SeveritySetting> {
  const match = /^([a-z0-9-]+):(error|warning|warn|info|off)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected <rule-id>:<error|warning|info|off>, got '${value}'`);
  const known = RULES.some((rule) => rule.meta.id === match[1]) || match[1] === 'unused-suppression';
  if (!known) throw new InvalidArgumentError(`unknown rule '${match[1]}'`);
  return { ...previous, [match[1]]: normalizeSeverity(match[2]) };
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < -1) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return count;
}

export async function main(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const program = new Command()
    .name('scalelint')
    .description('Finds scalability anti-patterns in TypeScript/JavaScript back-end code.')
    .argument('[paths...]', 'files or folders to analyse', ['.'])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('stylish'))
    .option('-c, --config <file>', 'use this scalelint.config.json instead of searching for one')
    .option('--no-config', 'ignore scalelint.config.json files')
    .option('--rule <id:severity>', 'set a rule\'s severity, e.g. redis-keys:warning (repeatable)', parseRuleOverride, {})
    .option('--quiet', 'report errors only')
    .option('--max-warnings <n>', 'exit 1 when there are more warnings than this', parseCount)
    .option('--color', 'force colour output')
    .option('--no-color', 'disable colour output')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showSuggestionAfterError();

  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    throw error;
  }
  const options = program.opts<CliOptions>();
  const paths = program.processedArgs[0] as string[];
  const cwd = process.cwd();

  let engine: Engine;
  try {
    engine = new Engine({
      rules: RULES,
      root: cwd,
      configFile: options.config === false ? null : options.config ? path.resolve(options.config) : undefined,
      ruleOverrides: options.rule,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`scalelint: invalid configuration\n  ${path.relative(cwd, error.file) || error.file}:${error.line}:${error.column}: ${error.problem}\n`);
      return EXIT_ERROR;
    }
    throw error;
  }

  const { results, messages } = await engine.analyzePaths(paths);
  for (const message of messages) {
    if (message.level === 'error' && /no such file or directory/.test(message.message)) {
      io.stderr.write(`scalelint: ${message.message}\n`);
      return EXIT_ERROR;
    }
  }
  for (const message of messages) {
    if (message.level !== 'info' || process.env.SCALELINT_VERBOSE) {
      const where = message.file ? `${path.relative(cwd, message.file) || message.file}: ` : '';
      io.stderr.write(`scalelint: ${where}${message.message}\n`);
    }
  }
  for (const result of results) {
    for (const message of result.messages) {
      if (message.level === 'info' && !process.env.SCALELINT_VERBOSE) continue;
      io.stderr.write(`scalelint: ${path.relative(cwd, result.file)}: ${message.message}\n`);
    }
  }

  const shown: FileResult[] = options.quiet
    ? results.map((result) => ({ ...result, findings: result.findings.filter((finding) => finding.severity === 'error') }))
    : results;

  const color = options.color ?? (Boolean((io.stdout as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR);
  const output = options.format === 'json' ? `${formatJson(shown)}\n` : formatStylish(shown, { color, cwd });
  io.stdout.write(output);

  const errors = shown.reduce((sum, result) => sum + result.findings.filter((f) => f.severity === 'error').length, 0);
  const warnings = shown.reduce((sum, result) => sum + result.findings.filter((f) => f.severity === 'warning').length, 0);
  if (errors > 0) return EXIT_FINDINGS;
  if (options.maxWarnings !== undefined && options.maxWarnings >= 0 && warnings > options.maxWarnings) {
    io.stderr.write(`scalelint: ${warnings} warnings, more than --max-warnings ${options.maxWarnings}\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`scalelint: internal error: ${(error as Error).message}\n`);
      if (process.env.SCALELINT_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
