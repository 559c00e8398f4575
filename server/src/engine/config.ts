// scalelint.config.json: JSON only (nothing from the workspace is ever executed), validated against the
// schema shipped in the package; errors name the file, line and problem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { findNodeAtLocation, getNodePath, parse as parseJsonc, parseTree, type Node as JsonNode, type ParseError, printParseErrorCode } from 'jsonc-parser';
import schema from '../../schema/scalelint.config.schema.json';
import type { IoKind, IoOp } from './io-model';
import type { RuleMeta, Severity, SeveritySetting } from './types';

export const CONFIG_FILE_NAME = 'scalelint.config.json';

export interface WrapperDeclaration {
  module: string;
  export: string;
  kind?: IoKind;
  op?: IoOp;
  batched?: boolean;
}

export interface RuleSetting {
  severity: SeveritySetting;
  options: Record<string, unknown>;
}

export interface ResolvedConfig {
  /** The config file, when there is one. */
  file?: string;
  /** Paths in the config (ignores, relative wrapper modules) are relative to this folder. */
  dir: string;
  /** Only the rules the file mentions; the rest use their metadata defaults. */
  rules: Record<string, RuleSetting>;
  ignorePatterns: string[];
  io: WrapperDeclaration[];
  cacheWrappers: WrapperDeclaration[];
  breakerWrappers: WrapperDeclaration[];
  timeoutWrappers: WrapperDeclaration[];
  docsBaseUrl?: string;
  reportUnusedSuppressions: SeveritySetting;
  defaultTimeoutMs: number;
  maxFileSizeKb: number;
  analysisBudgetMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export function defaultConfig(dir: string): ResolvedConfig {
  return {
    dir,
    rules: {},
    ignorePatterns: [],
    io: [],
    cacheWrappers: [],
    breakerWrappers: [],
    timeoutWrappers: [],
    reportUnusedSuppressions: 'warning',
    defaultTimeoutMs: 5000,
    maxFileSizeKb: 2048,
    analysisBudgetMs: 10000,
  };
}

/** The nearest scalelint.config.json in `startDir` or above it. */
export function findConfigFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let validateSchema: ValidateFunction | undefined;
const ajv = new Ajv({ allErrors: true, strict: false });
const optionValidators = new Map<string, ValidateFunction>();

export function normalizeSeverity(value: string): SeveritySetting {
  return value === 'warn' ? 'warning' : (value as SeveritySetting);
}

/** Reads and validates a config file. Throws ConfigError with a line and column on any problem. */
export function loadConfigFile(file: string, rules: readonly RuleMeta[]): ResolvedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, 1, 1, `cannot read the config file: ${(error as Error).message}`);
  }
  return parseConfig(text, file, rules);
}

/** jsonc-parser's error codes, in words. */
const JSON_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name in double quotes was expected here',
  ValueExpected: 'a value was expected here',
  ColonExpected: "a ':' was expected after the property name",
  CommaExpected: "a ',' is missing between two entries",
  CloseBraceExpected: "a closing '}' is missing",
  CloseBracketExpected: "a closing ']' is missing",
  EndOfFileExpected: 'unexpected text after the end of the configuration',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

export function parseConfig(text: string, file: string, rules: readonly RuleMeta[]): ResolvedConfig {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const first = errors[0];
    const { line, column } = lineColumn(text, first?.offset ?? 0);
    throw new ConfigError(file, line, column, first ? `invalid JSON: ${JSON_ERRORS[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error)}` : 'invalid JSON: empty file');
  }
  const data = parseJsonc(text, undefined, { allowTrailingComma: true }) as Record<string, unknown>;
  validateSchema ??= ajv.compile(schema);
  if (!validateSchema(data)) {
    throw schemaError(validateSchema.errors ?? [], tree, text, file);
  }
  const config = defaultConfig(path.dirname(file));
  config.file = file;
  const known = new Map(rules.map((meta) => [meta.id, meta]));
  const rulesNode = findNodeAtLocation(tree, ['rules']);
  for (const [id, raw] of Object.entries((data.rules ?? {}) as Record<string, unknown>)) {
    const at = (rulesNode && findNodeAtLocation(rulesNode, [id])?.parent) ?? tree;
    const meta = known.get(id);
    if (!meta && id !== 'unused-suppression') {
      const { line, column } = lineColumn(text, at.offset);
      throw new ConfigError(file, line, column, `unknown rule '${id}'. Known rules: ${[...known.keys()].sort().join(', ')}`);
    }
    const setting = toRuleSetting(raw);
    if (meta) {
      const validate = optionValidator(meta);
      if (validate && !validate(setting.options)) {
        const { line, column } = lineColumn(text, at.offset);
        const detail = (validate.errors ?? []).map(describeError).join('; ');
        throw new ConfigError(file, line, column, `invalid options for rule '${id}': ${detail}`);
      }
    }
    config.rules[id] = setting;
  }
  config.ignorePatterns = (data.ignorePatterns as string[] | undefined) ?? [];
  config.io = (data.io as WrapperDeclaration[] | undefined) ?? [];
  config.cacheWrappers = (data.cacheWrappers as WrapperDeclaration[] | undefined) ?? [];
  config.breakerWrappers = (data.breakerWrappers as WrapperDeclaration[] | undefined) ?? [];
  config.timeoutWrappers = (data.timeoutWrappers as WrapperDeclaration[] | undefined) ?? [];
  if (typeof data.docsBaseUrl === 'string') config.docsBaseUrl = data.docsBaseUrl;
  if (typeof data.reportUnusedSuppressions === 'string') config.reportUnusedSuppressions = normalizeSeverity(data.reportUnusedSuppressions);
  if (typeof data.defaultTimeoutMs === 'number') config.defaultTimeoutMs = data.defaultTimeoutMs;
  if (typeof data.maxFileSizeKb === 'number') config.maxFileSizeKb = data.maxFileSizeKb;
  if (typeof data.analysisBudgetMs === 'number') config.analysisBudgetMs = data.analysisBudgetMs;
  return config;
}

function toRuleSetting(raw: unknown): RuleSetting {
  if (typeof raw === 'string') return { severity: normalizeSeverity(raw), options: {} };
  if (Array.isArray(raw)) return { severity: normalizeSeverity(raw[0] as string), options: (raw[1] as Record<string, unknown>) ?? {} };
  const object = raw as { severity?: string; options?: Record<string, unknown> };
  return { severity: object.severity ? normalizeSeverity(object.severity) : 'default' as SeveritySetting, options: object.options ?? {} };
}

/** A rule that takes no options: any option given is a mistake worth saying (a typo, another rule's). */
const NO_OPTIONS = { type: 'object', additionalProperties: false, properties: {} };

function optionValidator(meta: RuleMeta): ValidateFunction | undefined {
  let validate = optionValidators.get(meta.id);
  if (!validate) {
    validate = ajv.compile(meta.optionsSchema ?? NO_OPTIONS);
    optionValidators.set(meta.id, validate);
  }
  return validate;
}

/** The effective severity and options of a rule under a config: file settings over metadata defaults. */
export function effectiveRuleSetting(config: ResolvedConfig, meta: RuleMeta): { severity: SeveritySetting; options: Record<string, unknown> } {
  const setting = config.rules[meta.id];
  const severity = !setting || (setting.severity as string) === 'default' ? meta.defaultSeverity : setting.severity;
  return { severity, options: { ...(meta.defaultOptions ?? {}), ...(setting?.options ?? {}) } };
}

export function isSeverity(value: SeveritySetting): value is Severity {
  return value !== 'off';
}

function schemaError(errors: ErrorObject[], tree: JsonNode, text: string, file: string): ConfigError {
  // The deepest error is the most specific one; oneOf alternatives add noise.
  const relevant = errors.filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'if');
  const error = [...relevant].sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0];
  const segments = error.instancePath.split('/').slice(1).map((segment) => {
    const unescaped = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
  });
  let node = segments.length ? findNodeAtLocation(tree, segments) : tree;
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    node = findNodeAtLocation(node ?? tree, [extra])?.parent ?? node;
  }
  const { line, column } = lineColumn(text, (node ?? tree).offset);
  const where = segments.length ? `'${getNodePath(node ?? tree).join('.') || segments.join('.')}' ` : '';
  return new ConfigError(file, line, column, `${where}${describeError(error)}`);
}

function describeError(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return `has an unknown property '${(error.params as { additionalProperty: string }).additionalProperty}'`;
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
