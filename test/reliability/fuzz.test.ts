// Mutation fuzzing through the real engine: every fixture file (rule folders and the demo service, so rules
// that land later are covered automatically), mutated by a seeded generator, analysed in place through
// engine.setFileText like an editor buffer. Zero exceptions may escape the engine and no rule may fail
// internally; every failure names the seed that reproduces it.
//
// The fuzzer works on a copy of the fixtures where each rule folder is a project of its own: a mutation
// that changes a file's imports makes TypeScript rebuild the whole program, and a program of one rule's
// libraries rebuilds several times faster than one of every library the fixtures use. Failures are
// reported under the original fixture paths.
//
//   SCALELINT_FUZZ_INPUTS=50000 SCALELINT_FUZZ_SEED=7 npx mocha out/test/reliability/fuzz.test.js
//   SCALELINT_FUZZ_REPLAY=fixtures/redis-keys/ioredis-keys.ts@123456 npx mocha out/test/reliability/fuzz.test.js
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../server/src/engine/engine';
import { applyTextEdits } from '../../server/src/engine/text';
import type { FileResult } from '../../server/src/engine/types';
import { FIXTURES, REPO_ROOT, analyzeFolder, fixtureFiles, perFolderCopy, type FolderRun } from '../harness';
import { mutate, tokenize, type Token } from './mutate';

const INPUTS = Number(process.env.SCALELINT_FUZZ_INPUTS ?? 10000);
const BASE_SEED = Number(process.env.SCALELINT_FUZZ_SEED ?? 0x5ca1e);
const REPLAY = process.env.SCALELINT_FUZZ_REPLAY;

/** The seed of input `i`: spread out so neighbouring inputs share nothing. */
function inputSeed(i: number): number {
  return (Math.imul(BASE_SEED ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

interface Failure {
  file: string;
  seed: number;
  mutations: string[];
  problem: string;
}

/** What is wrong with one analysis result, judged against the text it was given. */
function invariantProblems(result: FileResult, file: string, text: string): string[] {
  const problems: string[] = [];
  if (result.file !== file) problems.push(`result for ${result.file}, asked for ${file}`);
  for (const message of result.messages) {
    if (message.level === 'error') problems.push(`engine error: ${message.message}`);
  }
  if (result.text !== '' && result.text !== text) problems.push('the engine analysed a different text than the buffer it was given');
  for (const finding of result.findings) {
    const { start, end } = finding.range;
    if (!(start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length)) problems.push(`${finding.ruleId}: range ${start.offset}-${end.offset} outside the ${text.length}-character text`);
    if (start.line < 1 || start.column < 1) problems.push(`${finding.ruleId}: position ${start.line}:${start.column} is not 1-based`);
    if (!finding.message.trim()) problems.push(`${finding.ruleId}: empty message`);
    for (const fix of finding.fixes) {
      const edits = fix.edits.filter((edit) => edit.file === file);
      for (const edit of edits) {
        if (!(edit.start >= 0 && edit.start <= edit.end && edit.end <= text.length)) problems.push(`${finding.ruleId}: fix '${fix.title}' edits ${edit.start}-${edit.end} outside the text`);
      }
      try {
        applyTextEdits(text, edits);
      } catch (error) {
        problems.push(`${finding.ruleId}: fix '${fix.title}' has unusable edits: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

function saveFailure(failure: Failure, text: string): string {
  const dir = path.join(os.tmpdir(), 'scalelint-fuzz-failures');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${path.basename(failure.file).replace(/\W/g, '_')}-${failure.seed}${path.extname(failure.file)}`);
  fs.writeFileSync(out, text);
  return out;
}

describe('reliability: mutation fuzzing of every fixture through the engine', function () {
  this.timeout(45 * 60 * 1000);
  let run: FolderRun;
  let files: string[];
  const tokens = new Map<string, Token[]>();
  const originals = new Map<string, string>();
  const baseline = new Map<string, string>();

  /** A comparable summary of a file's findings. */
  const summary = (result: FileResult): string => result.findings.map((f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.column} ${f.message}`).join('\n');

  let copy: string;
  /** The fixture a copied file came from, relative to the repository: what failures and replays name. */
  const original = (file: string): string => path.relative(REPO_ROOT, path.join(FIXTURES, path.relative(copy, file)));

  before(async function () {
    copy = perFolderCopy();
    files = fixtureFiles(copy);
    run = await analyzeFolder(copy, files);
    for (const result of run.results) baseline.set(result.file, summary(result));
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      originals.set(file, text);
      tokens.set(file, tokenize(text));
    }
  });

  after(function () {
    if (copy) fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  function analyseOne(engine: Engine, file: string, seed: number, failures: Failure[]): { result?: FileResult; ms: number; text: string } {
    const { text, applied } = mutate(originals.get(file)!, tokens.get(file)!, seed);
    const started = Date.now();
    try {
      engine.setFileText(file, text);
      const result = engine.analyzeFile(file);
      const ms = Date.now() - started;
      for (const problem of invariantProblems(result, file, text)) failures.push({ file, seed, mutations: applied, problem });
      return { result, ms, text };
    } catch (error) {
      failures.push({ file, seed, mutations: applied, problem: `uncaught: ${(error as Error).stack ?? error}` });
      return { ms: Date.now() - started, text };
    }
  }

  if (REPLAY) {
    it(`replays ${REPLAY}`, function () {
      const at = REPLAY.lastIndexOf('@');
      const file = path.join(copy, path.relative(FIXTURES, path.resolve(REPO_ROOT, REPLAY.slice(0, at))));
      const seed = Number(REPLAY.slice(at + 1));
      const failures: Failure[] = [];
      const { text, result } = analyseOne(run.engineFor(file), file, seed, failures);
      console.log(`      input (${text.length} chars) saved to ${saveFailure({ file, seed, mutations: [], problem: '' }, text)}`);
      console.log(`      findings: ${result ? summary(result) || '(none)' : '(no result)'}`);
      assert.deepEqual(failures.map((f) => f.problem), []);
    });
    return;
  }

  it(`analyses ${INPUTS} mutated inputs (seed ${BASE_SEED}) without an exception, internal error or broken invariant`, function () {
    const failures: Failure[] = [];
    let withFindings = 0;
    let withSyntaxErrors = 0;
    let budgetStops = 0;
    let slowest = { ms: 0, label: '' };
    const started = Date.now();
    for (let i = 0; i < INPUTS; i++) {
      const file = files[i % files.length];
      const seed = inputSeed(i);
      const { result, ms } = analyseOne(run.engineFor(file), file, seed, failures);
      if (result?.findings.some((f) => f.ruleId !== 'analysis-budget')) withFindings++;
      if (result?.messages.some((m) => m.message.startsWith('syntax error'))) withSyntaxErrors++;
      if (result?.findings.some((f) => f.ruleId === 'analysis-budget')) budgetStops++;
      if (ms > slowest.ms) slowest = { ms, label: `${original(file)}@${seed}` };
    }
    for (const file of files) run.engineFor(file).setFileText(file, undefined);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const crashes = failures.filter((f) => f.problem.startsWith('uncaught')).length;
    console.log(`      fuzz: ${INPUTS} inputs tried from ${files.length} fixture files in ${seconds} s, seed ${BASE_SEED}`);
    console.log(`      fuzz: crashes = ${crashes}, other failures = ${failures.length - crashes}, inputs with syntax errors = ${withSyntaxErrors}, with findings = ${withFindings}, budget stops = ${budgetStops}, slowest ${slowest.ms} ms (${slowest.label})`);

    const reported = failures.slice(0, 10).map((failure) => {
      const { text } = mutate(originals.get(failure.file)!, tokens.get(failure.file)!, failure.seed);
      const saved = saveFailure(failure, text);
      return `${failure.problem.split('\n').slice(0, 6).join('\n')}\n    after ${failure.mutations.join(', ')}; input saved to ${saved}\n    reproduce: SCALELINT_FUZZ_REPLAY=${original(failure.file)}@${failure.seed} npx mocha out/test/reliability/fuzz.test.js`;
    });
    assert.deepEqual(reported, [], `${failures.length} failures`);
    // The fuzzer must really exercise the parser's recovery and the rules, or it proves nothing.
    assert.ok(withSyntaxErrors > INPUTS / 10, `only ${withSyntaxErrors} inputs had syntax errors`);
    assert.ok(withFindings > INPUTS / 20, `only ${withFindings} inputs produced findings`);
  });

  it('leaves the engine in a sound state: the original fixtures give the same findings as before fuzzing', function () {
    const changed: string[] = [];
    for (const file of files) {
      const after = summary(run.engineFor(file).analyzeFile(file));
      if (after !== baseline.get(file)) changed.push(`${original(file)}:\n--- before\n${baseline.get(file)}\n--- after\n${after}`);
    }
    assert.deepEqual(changed, []);
  });
});
