// Adoption workflows through the built binary: baselines, --fix / --fix-dry-run and PR mode.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPatch } from 'diff';
import { FIXTURES } from './harness';
import { git, KEYS_SERVICE, messagesOf, onlyRule, run, scratch, write } from './cli-support';

describe('CLI baselines (built binary)', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(function () {
    dir = scratch();
    write(dir, 'src/keys.ts', KEYS_SERVICE);
    write(dir, 'src/other.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const wipe = () => redis.flushdb();\n`);
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const findings = (...extra: string[]): ReturnType<typeof messagesOf> => {
    const result = run(['--format', 'json', ...extra, '.'], dir);
    assert.ok(result.status === 0 || result.status === 1, result.stderr);
    return messagesOf(result.stdout);
  };

  it('round trip: create → nothing new → one new anti-pattern → exactly one → code moved → still one', function () {
    assert.equal(findings().length, 3);
    const created = run(['--baseline-create', '.'], dir);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stderr, /recorded 3 findings in scalelint-baseline\.json/);
    const baseline = JSON.parse(fs.readFileSync(path.join(dir, 'scalelint-baseline.json'), 'utf8')) as Record<string, Record<string, { count: number; fingerprints: string[] }>>;
    assert.deepEqual(Object.keys(baseline), ['src/keys.ts', 'src/other.ts']);
    assert.equal(baseline['src/keys.ts']['redis-keys'].count, 2);
    assert.equal(baseline['src/keys.ts']['redis-keys'].fingerprints.length, 2);
    assert.equal(baseline['src/other.ts']['redis-keys'].count, 1);

    // The default baseline file is picked up without naming it, like eslint-suppressions.json.
    const clean = run(['.'], dir);
    assert.equal(clean.status, 0, clean.stdout);
    assert.equal(clean.stdout, '');

    // One new anti-pattern in a file that already has baselined ones.
    const keysFile = path.join(dir, 'src/keys.ts');
    fs.appendFileSync(keysFile, `\nexport async function purgeCarts(): Promise<number> {\n  const keys = await redis.keys('cart:*');\n  return keys.length;\n}\n`);
    const added = findings('--baseline', 'scalelint-baseline.json');
    assert.deepEqual(added.map((m) => `${m.ruleId}:${m.line}`), ['redis-keys:15']);

    // Move code around: the new function first, blank lines and a comment added, the old ones swapped.
    const text = fs.readFileSync(keysFile, 'utf8');
    const [header, ...functions] = text.split(/\n(?=export async function)/);
    const moved = `${header}\n// Cache maintenance, reordered.\n\n\n${[functions[2], functions[1], functions[0]].map((f) => f.trim()).join('\n\n')}\n`;
    fs.writeFileSync(keysFile, moved);
    const afterMove = findings();
    assert.equal(afterMove.length, 1);
    assert.match(afterMove[0].message, /KEYS 'cart:\*'/);
    assert.notEqual(afterMove[0].line, 15, 'the finding did move');

    // An unrelated edit in the other file resurrects nothing either.
    fs.appendFileSync(path.join(dir, 'src/other.ts'), 'export const version = 2;\n');
    assert.equal(findings().length, 1);
  });

  it('an edited baselined line stays baselined while its file and rule have no more findings than recorded', function () {
    assert.equal(run(['--baseline-create', '.'], dir).status, 0);
    const keysFile = path.join(dir, 'src/keys.ts');
    fs.writeFileSync(keysFile, fs.readFileSync(keysFile, 'utf8').replace("redis.keys('product:*')", "redis.keys('product:v2:*')"));
    assert.deepEqual(findings(), []);
  });

  it('--baseline-prune drops fixed findings; without it the fixed ones are only mentioned', function () {
    assert.equal(run(['--baseline-create', '--baseline', 'ci/baseline.json', '.'], dir).status, 0);
    fs.writeFileSync(path.join(dir, 'src/other.ts'), 'export const wipe = () => undefined;\n');
    const keysFile = path.join(dir, 'src/keys.ts');
    fs.writeFileSync(keysFile, fs.readFileSync(keysFile, 'utf8').replace("(await redis.keys('product:*')).length", '0'));
    const noted = run(['--baseline', 'ci/baseline.json', '.'], dir);
    assert.equal(noted.status, 0);
    assert.match(noted.stderr, /2 baselined findings are fixed; run with --baseline-prune/);
    const pruned = run(['--baseline', 'ci/baseline.json', '--baseline-prune', '.'], dir);
    assert.equal(pruned.status, 0, pruned.stderr);
    const baseline = JSON.parse(fs.readFileSync(path.join(dir, 'ci/baseline.json'), 'utf8')) as Record<string, Record<string, { count: number; fingerprints: string[] }>>;
    assert.deepEqual(Object.keys(baseline), ['src/keys.ts']);
    assert.equal(baseline['src/keys.ts']['redis-keys'].count, 1);
    // The fixed one comes back as new if it is reintroduced.
    fs.writeFileSync(path.join(dir, 'src/other.ts'), `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const wipe = () => redis.flushdb();\n`);
    assert.equal(findings('--baseline', 'ci/baseline.json').length, 1);
  });

  it('a missing or broken baseline is a usage error (exit 2)', function () {
    assert.equal(run(['--baseline', 'none.json', '.'], dir).status, 2);
    write(dir, 'broken.json', '{ "src/keys.ts": { "redis-keys": { "count": "two" } } }');
    const broken = run(['--baseline', 'broken.json', '.'], dir);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /whole-number "count"/);
  });
});

describe('CLI --fix and --fix-dry-run (built binary)', function () {
  this.timeout(120_000);
  let dir: string;
  const source = fs.readFileSync(path.join(FIXTURES, 'redis-keys', 'ioredis-keys.ts'), 'utf8');
  const fixed = fs.readFileSync(path.join(FIXTURES, 'redis-keys', 'ioredis-keys.fixed.ts'), 'utf8');
  const only = onlyRule('redis-keys');

  beforeEach(function () {
    // Inside the repository so the fixture's imports resolve to node_modules like in fixtures/.
    dir = scratch(true);
    fs.copyFileSync(path.join(FIXTURES, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
    write(dir, 'ioredis-keys.ts', source);
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--fix-dry-run prints a diff that produces the fixed file, and writes nothing', function () {
    const before = messagesOf(run(['--format', 'json', ...only, 'ioredis-keys.ts'], dir).stdout);
    const dry = run(['--fix-dry-run', '--format', 'json', '--output-file', 'report.json', ...only, 'ioredis-keys.ts'], dir);
    assert.equal(fs.readFileSync(path.join(dir, 'ioredis-keys.ts'), 'utf8'), source);
    assert.match(dry.stdout, /^--- a\/ioredis-keys\.ts\n\+\+\+ b\/ioredis-keys\.ts\n/m);
    assert.equal(applyPatch(source, dry.stdout), fixed);
    // The report is about what would remain after the fixes.
    const remaining = messagesOf(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    assert.ok(remaining.length < before.length);
    assert.ok(remaining.every((m) => !m.fix), 'only findings without a safe fix remain');
    // Without --output-file the report goes to stderr: stdout stays a clean patch.
    const piped = run(['--fix-dry-run', ...only, 'ioredis-keys.ts'], dir);
    assert.equal(piped.stdout, dry.stdout);
    assert.match(piped.stderr, /redis-keys/);
  });

  it('--fix applies the safe fixes atomically and reports what is left', function () {
    const mode = 0o640;
    fs.chmodSync(path.join(dir, 'ioredis-keys.ts'), mode);
    const result = run(['--fix', '--format', 'json', ...only, 'ioredis-keys.ts'], dir);
    assert.match(result.stderr, /applied \d+ fix(es)? to 1 file/);
    assert.equal(fs.readFileSync(path.join(dir, 'ioredis-keys.ts'), 'utf8'), fixed);
    assert.equal(fs.statSync(path.join(dir, 'ioredis-keys.ts')).mode & 0o777, mode, 'permissions kept');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['ioredis-keys.ts', 'tsconfig.json'], 'no temporary files left');
    const remaining = messagesOf(result.stdout);
    assert.deepEqual(remaining, messagesOf(run(['--format', 'json', ...only, 'ioredis-keys.ts'], dir).stdout));
    assert.equal(result.status, remaining.some((m) => m.severity === 2) ? 1 : 0);
    // Nothing left to fix: a second run changes nothing.
    const again = run(['--fix', ...only, 'ioredis-keys.ts'], dir);
    assert.doesNotMatch(again.stderr, /applied/);
    assert.equal(fs.readFileSync(path.join(dir, 'ioredis-keys.ts'), 'utf8'), fixed);
  });

  it('--fix never touches suggestions, and --quiet limits it to errors', function () {
    const quiet = run(['--fix', '--quiet', ...only, '--rule', 'redis-keys:warning', 'ioredis-keys.ts'], dir);
    assert.equal(quiet.status, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'ioredis-keys.ts'), 'utf8'), source, 'warnings are not fixed under --quiet');
  });
});

describe('CLI --changed-since (built binary)', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(function () {
    dir = scratch();
    git(dir, 'init', '-q', '-b', 'main');
    write(dir, 'src/keys.ts', KEYS_SERVICE);
    write(dir, 'src/other.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const wipe = () => redis.flushdb();\n`);
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports only findings on lines changed since the ref: committed, unstaged and untracked', function () {
    assert.deepEqual(messagesOf(run(['--format', 'json', '--changed-since', 'main', '.'], dir).stdout), []);
    assert.equal(run(['--changed-since', 'main', '.'], dir).status, 0);

    git(dir, 'checkout', '-q', '-b', 'feature');
    const keysFile = path.join(dir, 'src/keys.ts');
    fs.writeFileSync(keysFile, fs.readFileSync(keysFile, 'utf8').replace("redis.keys('product:*')", "redis.keys('product:v2:*')"));
    git(dir, 'commit', '-qam', 'edit');
    write(dir, 'src/new.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const all = () => redis.keys('*');\n`);
    fs.appendFileSync(path.join(dir, 'src/other.ts'), `export const wipeAll = () => redis.flushall();\n`);

    const result = run(['--format', 'json', '--changed-since', 'main', '.'], dir);
    assert.equal(result.status, 1, result.stderr);
    const reported = messagesOf(result.stdout).map((m) => `${path.basename(m.filePath)}:${m.line}`).sort();
    assert.deepEqual(reported, ['keys.ts:11', 'new.ts:3', 'other.ts:4']);
    // Everything is still analysed: without the flag all five are there.
    assert.equal(messagesOf(run(['--format', 'json', '.'], dir).stdout).length, 5);
  });

  it('reports a finding in an unchanged file when its evidence runs through the change', function () {
    // Inside the repository so express's types resolve: the request path is found through them.
    const repo = scratch(true);
    try {
      fs.copyFileSync(path.join(FIXTURES, 'tsconfig.json'), path.join(repo, 'tsconfig.json'));
      write(repo, 'client.ts', 'export async function getRates(currency: string): Promise<unknown> {\n  const response = await fetch(`https://rates.example.com/v1/${currency}`);\n  return response.json();\n}\n');
      write(repo, 'audit.ts', "export async function audit(): Promise<void> {\n  await fetch('https://audit.example.com/events', { method: 'POST' });\n}\n");
      write(repo, 'routes.ts', "import express from 'express';\nimport { getRates } from './client';\n\nexport const app = express();\n\napp.get('/health', (_req, res) => {\n  res.send('ok');\n});\n");
      git(repo, 'init', '-q');
      git(repo, 'add', '.');
      git(repo, 'commit', '-qm', 'base');
      assert.deepEqual(messagesOf(run(['--format', 'json', '--changed-since', 'HEAD', '.'], repo).stdout), []);
      // The change is a new route in routes.ts; the finding is at the fetch in client.ts it now reaches.
      fs.appendFileSync(path.join(repo, 'routes.ts'), "\napp.get('/api/rates/:currency', async (req, res) => {\n  res.json(await getRates(req.params.currency));\n});\n");
      const reported = messagesOf(run(['--format', 'json', '--changed-since', 'HEAD', '.'], repo).stdout);
      // Every rule whose evidence follows the request path reports at the fetch; audit.ts stays out.
      assert.ok(reported.some((m) => m.ruleId === 'missing-timeout'));
      for (const message of reported) {
        assert.equal(`${path.basename(message.filePath)}:${message.line}`, 'client.ts:2');
        assert.ok(message.related?.some((related) => path.basename(related.filePath) === 'routes.ts' && related.line >= 10), message.ruleId);
      }
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it('an unknown ref or a folder outside git is a usage error (exit 2)', function () {
    const unknown = run(['--changed-since', 'no-such-branch', '.'], dir);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /scalelint: /);
    const outside = scratch();
    try {
      write(outside, 'a.ts', 'export const a = 1;\n');
      assert.equal(run(['--changed-since', 'HEAD', '.'], outside).status, 2);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
