// --fix never corrupts and never loses user text: the built CLI killed with SIGKILL while it writes leaves
// every file either exactly as it was or exactly fixed, and a file changed on disk after it was analysed
// is left alone.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RULES } from '../../rules';
import { Engine } from '../../server/src/engine/engine';
import { planFixes, writeFixPlan } from '../../server/src/engine/fixes';
import { REPO_ROOT } from '../harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const FILES = 40;

/** A service module with one safely fixable finding (redis KEYS → SCAN) and enough code to make writes take time. */
function moduleText(i: number): string {
  const padding = Array.from({ length: 600 }, (_, j) => `export const setting${i}_${j} = { name: 'setting-${i}-${j}', enabled: ${j % 2 === 0} };`).join('\n');
  return `import Redis from 'ioredis';\nconst redis = new Redis();\nexport async function sessions${i}(): Promise<string[]> {\n  return redis.keys('session:${i}:*');\n}\n${padding}\n`;
}

function writeWorkspace(dir: string): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dir, 'src', `m${String(i).padStart(3, '0')}.ts`), moduleText(i));
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 'src')).filter((name) => name.endsWith('.ts')).sort();
}

/** Runs `--fix`, SIGKILLs it as soon as the first file on disk changes; resolves when it is dead. */
function killDuringWrites(dir: string, originals: Map<string, string>, extraDelayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--fix', '--no-progress', 'src'], { cwd: dir, stdio: 'ignore' });
    const sizes = new Map([...originals].map(([name, text]) => [name, Buffer.byteLength(text)]));
    let killed = false;
    const poll = setInterval(() => {
      // Size changes are a cheap sign the first rename happened (KEYS → SCAN makes every file longer).
      for (const name of sizes.keys()) {
        let size: number;
        try {
          size = fs.statSync(path.join(dir, 'src', name)).size;
        } catch {
          continue; // between unlink and rename on some systems; the check afterwards decides
        }
        if (size !== sizes.get(name)) {
          clearInterval(poll);
          setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, extraDelayMs);
          return;
        }
      }
    }, 1);
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(poll);
      resolve({ killed });
    });
  });
}

describe('reliability: --fix writes atomically and never loses user text', function () {
  this.timeout(15 * 60 * 1000);
  let template: string;
  const originals = new Map<string, string>();
  const fixed = new Map<string, string>();

  before(function () {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-fixwrite-'));
    writeWorkspace(path.join(template, 'original'));
    for (const name of sourceFiles(path.join(template, 'original'))) originals.set(name, fs.readFileSync(path.join(template, 'original', 'src', name), 'utf8'));
    // The reference: an uninterrupted --fix.
    const reference = path.join(template, 'reference');
    fs.cpSync(path.join(template, 'original'), reference, { recursive: true });
    const run = spawnSync(process.execPath, [CLI, '--fix', '--no-progress', 'src'], { cwd: reference, encoding: 'utf8' });
    assert.ok(run.status === 0 || run.status === 1, run.stderr);
    for (const name of sourceFiles(reference)) fixed.set(name, fs.readFileSync(path.join(reference, 'src', name), 'utf8'));
    for (const [name, text] of fixed) assert.notEqual(text, originals.get(name), `${name} was not fixed by an uninterrupted --fix`);
  });
  after(function () {
    fs.rmSync(template, { recursive: true, force: true });
  });

  it('SIGKILL during --fix leaves every file either the old or the new text', async function () {
    let mixed = 0;
    const outcomes: string[] = [];
    for (const [attempt, delay] of [0, 3, 15].entries()) {
      const dir = path.join(template, `attempt-${attempt}`);
      fs.cpSync(path.join(template, 'original'), dir, { recursive: true });
      const { killed } = await killDuringWrites(dir, originals, delay);
      let old = 0;
      let fresh = 0;
      const corrupt: string[] = [];
      for (const name of originals.keys()) {
        const text = fs.readFileSync(path.join(dir, 'src', name), 'utf8');
        if (text === originals.get(name)) old++;
        else if (text === fixed.get(name)) fresh++;
        else corrupt.push(name);
      }
      assert.deepEqual(corrupt, [], `attempt ${attempt}: files neither old nor new`);
      assert.deepEqual(sourceFiles(dir), [...originals.keys()], `attempt ${attempt}: source files appeared or vanished`);
      const leftovers = fs.readdirSync(path.join(dir, 'src')).filter((name) => name.endsWith('.tmp'));
      outcomes.push(`${killed ? 'killed' : 'finished'} after +${delay} ms: ${fresh} new, ${old} old, ${leftovers.length} temp file(s) left`);
      if (killed && old > 0 && fresh > 0) mixed++;
    }
    console.log(`      kill mid-write: ${outcomes.join('; ')}`);
    assert.ok(mixed > 0, `no attempt was killed in the middle of the writes: ${outcomes.join('; ')}`);
  });

  it('a file changed on disk after it was analysed is left alone, the others are fixed', async function () {
    const dir = path.join(template, 'changed');
    fs.cpSync(path.join(template, 'original'), dir, { recursive: true });
    const [first, second] = [...originals.keys()].slice(0, 2).map((name) => path.join(dir, 'src', name));
    const engine = new Engine({ rules: RULES, root: dir, configFile: null });
    await engine.ready;
    const results = engine.analyzeFiles([first, second]);
    const plan = planFixes(results.flatMap((r) => r.findings), new Map(results.map((r) => [r.file, r.text])));
    assert.equal(plan.changes.length, 2);
    const userEdit = `${fs.readFileSync(first, 'utf8')}// typed by the user while scalelint ran\n`;
    fs.writeFileSync(first, userEdit);
    const outcome = writeFixPlan(plan);
    assert.deepEqual(outcome.skipped.map((s) => [path.basename(s.file), s.reason]), [[path.basename(first), 'it changed on disk since it was analysed']]);
    assert.equal(fs.readFileSync(first, 'utf8'), userEdit, 'the user text was lost');
    assert.equal(fs.readFileSync(second, 'utf8'), fixed.get(path.basename(second)));
  });
});
