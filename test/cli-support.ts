// Shared helpers for the CLI tests: they run the built binary (dist/cli.js) as a child process.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type * as Sarif from 'sarif';
import { RULES } from '../rules';
import { ARTIFACTS, REPO_ROOT } from './harness';

export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(args: string[], cwd = REPO_ROOT, env: Record<string, string> = {}): RunResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A scratch folder; inside the repository (git-ignored) when the code needs node_modules types. */
export function scratch(needsNodeModules = false): string {
  const parent = needsNodeModules ? ARTIFACTS : os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, 'scalelint-cli-'));
}

export function write(dir: string, file: string, text: string): string {
  const target = path.join(dir, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  return target;
}

export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export interface JsonMessage {
  ruleId: string;
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fingerprint: string;
  docsUrl: string;
  fix?: { range: [number, number]; text: string };
  related?: { filePath: string; line: number; message: string }[];
}

export interface JsonResult {
  filePath: string;
  messages: JsonMessage[];
  errorCount: number;
  warningCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
}

export function messagesOf(stdout: string): (JsonMessage & { filePath: string })[] {
  return (JSON.parse(stdout) as JsonResult[]).flatMap((result) => result.messages.map((message) => ({ ...message, filePath: result.filePath })));
}

let validator: ((data: unknown) => boolean) & { errors?: unknown } | undefined;

/** Validates against the SARIF 2.1.0 schema shipped in test/fixtures-cli; returns the errors, or []. */
export function sarifSchemaErrors(log: unknown): unknown[] {
  if (!validator) {
    // One pattern in the schema is not valid in Unicode mode; the schema predates it.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures-cli', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
    validator = ajv.compile(schema);
  }
  return validator(log) ? [] : ((validator.errors as unknown[]) ?? ['invalid']);
}

export type SarifLog = Sarif.Log;

/** A small service with two Redis KEYS calls, used by the baseline and fix tests. */
export const KEYS_SERVICE = `import Redis from 'ioredis';

const redis = new Redis();

export async function invalidateSessions(userId: string): Promise<number> {
  const keys = await redis.keys(\`session:\${userId}:*\`);
  return keys.length ? redis.unlink(...keys) : 0;
}

export async function countProducts(): Promise<number> {
  return (await redis.keys('product:*')).length;
}
`;

/** `--rule <id>:off` for every rule but one: fixture twins (.fixed.ts) hold only their folder's rule's fixes. */
export function onlyRule(ruleId: string): string[] {
  return RULES.filter((rule) => rule.meta.id !== ruleId).flatMap((rule) => ['--rule', `${rule.meta.id}:off`]);
}
