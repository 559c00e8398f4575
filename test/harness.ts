// The fixture harness: expectations live as comments beside the code (docs/contributing.md), and
// every fixture runs through the real engine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from 'ts-morph';
import { RULES } from '../rules';
import { Engine } from '../server/src/engine/engine';
import { applyTextEdits } from '../server/src/engine/text';
import type { FileResult, Finding } from '../server/src/engine/types';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'fixtures');
/** Git-ignored scratch space inside the repository, for code that needs the types in node_modules. */
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
export const DEMO = path.join(FIXTURES, 'demo-shop');
export const REGISTERED = new Set(RULES.map((rule) => rule.meta.id));
const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

export interface Expectation {
  file: string;
  line: number;
  ruleId: string;
  messageIncludes?: string;
  /** `rule:info`: the finding's severity under the default config. */
  severity?: string;
}

const EXPECT = /\/\/\s*expect(-next-line)?:\s*(.+)$/;
const ITEM = /([a-z0-9-]+)(?::(error|warning|info))?(?:\s+"([^"]*)")?/g;

export function parseExpectations(file: string, text: string): Expectation[] {
  const expectations: Expectation[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    const match = EXPECT.exec(lineText);
    if (!match) return;
    const line = index + 1 + (match[1] ? 1 : 0);
    ITEM.lastIndex = 0;
    for (let item = ITEM.exec(match[2]); item; item = ITEM.exec(match[2])) {
      expectations.push({ file, line, ruleId: item[1], ...(item[2] !== undefined ? { severity: item[2] } : {}), ...(item[3] !== undefined ? { messageIncludes: item[3] } : {}) });
    }
  });
  return expectations;
}

export function isFixedOutput(file: string): boolean {
  return /\.fixed\.[cm]?[jt]sx?$/.test(file) || file.split(path.sep).some((part) => part.endsWith('.fixed'));
}

/** Fixture source files under a folder, skipping fixed outputs and node_modules. */
export function fixtureFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') && !isFixedOutput(full)) files.push(full);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Engines per config scope: a fixture folder may hold sub-folders with their own scalelint.config.json,
 * which are analysed with that config.
 */
export function groupByConfig(files: string[], root: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    let dir = path.dirname(file);
    while (dir.startsWith(root) && dir !== root && !fs.existsSync(path.join(dir, 'scalelint.config.json'))) dir = path.dirname(dir);
    const scope = dir.startsWith(root) ? dir : root;
    groups.set(scope, [...(groups.get(scope) ?? []), file]);
  }
  return groups;
}

export interface FolderRun {
  results: FileResult[];
  engines: Map<string, Engine>;
  engineFor(file: string): Engine;
}

export async function analyzeFolder(dir: string, files = fixtureFiles(dir)): Promise<FolderRun> {
  const engines = new Map<string, Engine>();
  const owner = new Map<string, Engine>();
  const results: FileResult[] = [];
  for (const [scope, scoped] of groupByConfig(files, dir)) {
    const engine = new Engine({ rules: RULES, root: scope });
    engines.set(scope, engine);
    const { results: scopedResults } = await engine.analyzePaths(scoped);
    results.push(...scopedResults);
    for (const file of scoped) owner.set(file, engine);
  }
  return {
    results,
    engines,
    engineFor: (file) => {
      const engine = owner.get(file);
      if (!engine) throw new Error(`no engine analysed ${file}`);
      return engine;
    },
  };
}

/**
 * Compares findings with expectations. Checked rules per file: `folderRule` (all registered rules when
 * undefined) plus every registered rule the file names. Expectations for rules that are not registered
 * yet are returned as pending instead of failing.
 */
export function compare(results: FileResult[], folderRule: string | undefined): { problems: string[]; pending: Expectation[] } {
  const problems: string[] = [];
  const pending: Expectation[] = [];
  for (const result of results) {
    const rel = path.relative(REPO_ROOT, result.file);
    const text = fs.readFileSync(result.file, 'utf8');
    const expectations = parseExpectations(result.file, text);
    for (const message of result.messages) {
      if (message.level === 'error') problems.push(`${rel}: engine error: ${message.message}`);
    }
    const checked = new Set(folderRule ? [folderRule] : [...REGISTERED]);
    for (const expectation of expectations) if (REGISTERED.has(expectation.ruleId)) checked.add(expectation.ruleId);
    const open = expectations.filter((expectation) => {
      if (REGISTERED.has(expectation.ruleId) || expectation.ruleId === 'unused-suppression') return true;
      pending.push(expectation);
      return false;
    });
    if (expectations.some((e) => e.ruleId === 'unused-suppression')) checked.add('unused-suppression');
    const findings = result.findings.filter((finding) => checked.has(finding.ruleId));
    const unmatched = [...findings];
    for (const expectation of open) {
      const index = unmatched.findIndex(
        (finding) =>
          finding.ruleId === expectation.ruleId &&
          finding.range.start.line === expectation.line &&
          (!expectation.messageIncludes || finding.message.includes(expectation.messageIncludes)) &&
          (!expectation.severity || finding.severity === expectation.severity),
      );
      if (index >= 0) {
        unmatched.splice(index, 1);
      } else {
        const near = findings.filter((finding) => finding.ruleId === expectation.ruleId && finding.range.start.line === expectation.line);
        problems.push(
          `${rel}:${expectation.line}: expected ${expectation.ruleId}${expectation.severity ? `:${expectation.severity}` : ''}${expectation.messageIncludes ? ` with "${expectation.messageIncludes}"` : ''}, ` +
            (near.length ? `got ${near[0].severity}: ${near[0].message}` : 'got nothing'),
        );
      }
    }
    for (const finding of unmatched) {
      problems.push(`${rel}:${finding.range.start.line}:${finding.range.start.column}: unexpected ${finding.ruleId}: ${finding.message}`);
    }
  }
  return { problems, pending };
}

/** The text after applying the first fix of each finding of `ruleId` (edits to this file only). */
export function applyFirstFixes(text: string, file: string, findings: readonly Finding[], ruleId: string): { text: string; applied: Finding[] } {
  const applied: Finding[] = [];
  const edits: { start: number; end: number; newText: string }[] = [];
  for (const finding of findings) {
    if (finding.ruleId !== ruleId || finding.fixes.length === 0) continue;
    const fileEdits = finding.fixes[0].edits.filter((edit) => edit.file === file);
    const overlaps = fileEdits.some((edit) => edits.some((other) => edit.start < other.end && other.start < edit.end));
    if (overlaps) continue;
    edits.push(...fileEdits);
    applied.push(finding);
  }
  return { text: applyTextEdits(text, edits), applied };
}

/** TypeScript's own diagnostics for the given files, in the project of `tsconfig`. */
export function typeErrors(tsconfig: string, files?: string[]): string[] {
  const project = new Project({ tsConfigFilePath: tsconfig });
  const sourceFiles = files ? files.map((file) => project.getSourceFile(file) ?? project.addSourceFileAtPath(file)) : project.getSourceFiles();
  const diagnostics = project.getPreEmitDiagnostics().filter((diagnostic) => {
    const file = diagnostic.getSourceFile();
    return !file || sourceFiles.includes(file);
  });
  return diagnostics.map((diagnostic) => {
    const file = diagnostic.getSourceFile();
    const where = file ? `${path.relative(REPO_ROOT, file.getFilePath())}:${diagnostic.getLineNumber()}` : '(global)';
    const message = diagnostic.getMessageText();
    return `${where}: ${typeof message === 'string' ? message : message.getMessageText()}`;
  });
}

/** Rule folders under fixtures/ (each named after a rule id). */
export function ruleFixtureFolders(): string[] {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'demo-shop' && entry.name !== 'node_modules')
    .map((entry) => entry.name)
    .sort();
}

/**
 * A copy of the fixtures in a temporary folder where every rule folder is a project of its own (a
 * tsconfig.json extending the fixtures' one). Suites that edit and re-check fixtures thousands of times use
 * it: an edit that changes a file's imports rebuilds the whole program, and a program of one rule's
 * libraries rebuilds several times faster than one of every library the fixtures use (2,300 files).
 * Returns the copied fixtures folder; remove its parent when done.
 */
export function perFolderCopy(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-fixtures-'));
  const copy = path.join(root, 'fixtures');
  fs.cpSync(FIXTURES, copy, { recursive: true, filter: (source) => path.basename(source) !== 'node_modules' });
  // Libraries resolve from the copy as they do from the repository.
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  for (const entry of fs.readdirSync(copy, { withFileTypes: true })) {
    const config = path.join(copy, entry.name, 'tsconfig.json');
    if (!entry.isDirectory() || fs.existsSync(config)) continue;
    fs.writeFileSync(config, JSON.stringify({ extends: '../tsconfig.json', include: ['**/*.ts', '**/*.tsx', '**/*.js'] }));
  }
  return copy;
}
