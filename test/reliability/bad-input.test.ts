// Bad input through the built binary (dist/cli.js): every case gets a clear message or a skip with a
// reason, never a stack trace, and exit code 2 only for usage and config errors. Samples are generated in
// a temp dir at test time (nothing big or binary is committed).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, REPO_ROOT } from '../harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const IOREDIS_FIXTURE = path.join(FIXTURES, 'redis-keys', 'ioredis-keys.ts');
/** A file redis-keys flags on line 3: proof that one bad file does not stop the others. */
const GOOD_FILE = `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const all = () => redis.keys('user:*');\n`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

function cli(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 180000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', SCALELINT_DEBUG: '', ...env } });
  assert.equal(result.error, undefined, `the CLI did not finish: ${result.error?.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}\n${result.stderr}` };
}

/** The user-facing contract every bad input must keep. */
function assertCalm(run: Run, what: string): void {
  assert.doesNotMatch(run.output, STACK_LINE, `${what}: stack trace printed\n${run.output.slice(0, 2000)}`);
  assert.doesNotMatch(run.output, /internal error/i, `${what}: internal error\n${run.output.slice(0, 2000)}`);
  assert.ok(run.status === 0 || run.status === 1, `${what}: exit ${run.status} (2 is for usage and config errors only)\n${run.stderr.slice(0, 2000)}`);
}

interface JsonResult {
  filePath: string;
  messages: { ruleId: string; line: number; severity: number; message: string }[];
}

function findings(run: Run): string[] {
  return (JSON.parse(run.stdout) as JsonResult[]).flatMap((result) => result.messages.map((m) => `${path.basename(result.filePath)}:${m.line}:${m.ruleId}`)).sort();
}

function nested(depth: number, open: string, inner: string, close: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe('reliability: bad input through the built CLI', function () {
  this.timeout(300000);
  let dir: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-bad-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };

  it('syntax errors and truncated files: a warning naming the line, the rest of the file still analysed', function () {
    write('broken.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nconst half = ;\nexport const all = () => redis.keys('a:*');\nexport function f( {\n`);
    const fixture = fs.readFileSync(IOREDIS_FIXTURE, 'utf8');
    write('truncated.ts', fixture.slice(0, Math.floor(fixture.length * 0.6)));
    write('unterminated.ts', 'export const s = `never closed ${ "x\n/* and a comment that never ends');
    write('good.ts', GOOD_FILE);
    const run = cli(['--format', 'json', '.'], dir);
    assertCalm(run, 'syntax errors');
    assert.match(run.stderr, /broken\.ts: syntax error, findings may be incomplete: line \d+/);
    assert.match(run.stderr, /truncated\.ts: syntax error/);
    assert.match(run.stderr, /unterminated\.ts: syntax error/);
    assert.ok(findings(run).includes('good.ts:3:redis-keys'), findings(run).join(', '));
    assert.ok(findings(run).includes('broken.ts:4:redis-keys'), 'code after the syntax error is still analysed');
  });

  it('binary, non-UTF-8, empty, BOM-only and control-character files: skipped with a reason or analysed, never a crash', function () {
    const random = Buffer.alloc(64 * 1024);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    write('blob.ts', random);
    write('image.js', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), random.subarray(0, 1000)]));
    write('latin1.ts', Buffer.from('export const caf\xe9 = "na\xefve \xff\xfe";\n', 'latin1'));
    write('utf16.ts', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('export const x = 1;\n', 'utf16le')]));
    write('empty.ts', '');
    write('bom.ts', '\ufeff');
    write('controls.ts', 'export const a = 1;\u0001\u0002\u001b[31m\u2028\u2029\r\r\n\ud800;\n');
    write('good.ts', GOOD_FILE);
    const run = cli(['--format', 'json', '.'], dir, { SCALELINT_VERBOSE: '1' });
    assertCalm(run, 'binary and encodings');
    assert.match(run.stderr, /blob\.ts: skipped: binary file/);
    assert.match(run.stderr, /image\.js: skipped: binary file/);
    assert.match(run.stderr, /utf16\.ts: skipped: binary file/);
    assert.deepEqual(findings(run), ['good.ts:3:redis-keys']);
  });

  it('a 10 MB generated file: skipped with the size limit, or stopped by the analysis budget with an info finding', function () {
    const line = (i: number): string => `export async function load${i}(id: string) { return redis.get(\`item:${i}:\${id}\`); }\n`;
    const chunks = [`import Redis from 'ioredis';\nconst redis = new Redis();\nexport const all = () => redis.keys('*');\n`];
    let size = chunks[0].length;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      chunks.push(line(i));
      size += chunks[chunks.length - 1].length;
    }
    write('generated.ts', chunks.join(''));
    write('good.ts', GOOD_FILE);

    const skipped = cli(['--format', 'json', '.'], dir, { SCALELINT_VERBOSE: '1' });
    assertCalm(skipped, '10 MB file');
    assert.match(skipped.stderr, /generated\.ts: skipped: \d+ KB is over the \d+ KB limit \(maxFileSizeKb\)/);
    assert.deepEqual(findings(skipped), ['good.ts:3:redis-keys']);

    // Raise the size limit and give it a tiny budget: the file is parsed, then stopped with an info finding.
    write('scalelint.config.json', JSON.stringify({ maxFileSizeKb: 20000, analysisBudgetMs: 1 }));
    const budgeted = cli(['--format', 'json', 'generated.ts'], dir);
    assertCalm(budgeted, '10 MB file with a budget');
    const results = JSON.parse(budgeted.stdout) as JsonResult[];
    const budget = results.flatMap((r) => r.messages).filter((m) => m.ruleId === 'analysis-budget');
    assert.equal(budget.length, 1, budgeted.stdout.slice(0, 2000));
    assert.equal(budget[0].severity, 1, 'info findings show as ESLint warnings');
    assert.match(budget[0].message, /budget of 1 ms \(analysisBudgetMs\)/);
  });

  it('5,000-deep nesting: skipped with a reason, the other files analysed', function () {
    write('deep-arrays.ts', `export const x = ${nested(5000, '[', '1', ']')};\n`);
    write('deep-parens.ts', `export const y = ${nested(5000, '(', '1', ')')};\n`);
    write('deep-blocks.ts', `export function f(x: boolean) {\n${nested(5000, 'if (x) {', 'return 1;', '}')}\n}\n`);
    write('deep-objects.js', `module.exports = ${nested(5000, '{a:', '1', '}')};\n`);
    write('deep-calls.ts', `declare const f: any;\nexport const z = ${nested(5000, 'f(', '1', ')')};\n`);
    write('long-chain.ts', `declare const a: any;\nexport const c = a${'.b(1)'.repeat(5000)};\n`);
    write('good.ts', GOOD_FILE);
    const run = cli(['--format', 'json', '.'], dir);
    assertCalm(run, 'deep nesting');
    assert.match(run.stderr, /deep-arrays\.ts: skipped: the code is nested too deeply to parse/);
    assert.ok(findings(run).includes('good.ts:3:redis-keys'), findings(run).join(', '));
  });

  it('a minified bundle: analysed without a crash', function () {
    // A real minified bundle of a real library, built by esbuild at test time.
    const esbuild = require('esbuild') as typeof import('esbuild');
    esbuild.buildSync({ entryPoints: [require.resolve('ioredis')], bundle: true, minify: true, platform: 'node', outfile: path.join(dir, 'vendor', 'bundle.js'), logLevel: 'silent' });
    write('vendor/one-line.ts', `import Redis from 'ioredis';const r=new Redis();${Array.from({ length: 3000 }, (_, i) => `export const f${i}=async(k:string)=>r.get(k+${i});`).join('')}export const all=()=>r.keys('*');`);
    const run = cli(['--format', 'json', 'vendor/bundle.js', 'vendor/one-line.ts'], dir);
    assertCalm(run, 'minified bundle');
    assert.ok(fs.statSync(path.join(dir, 'vendor', 'bundle.js')).size > 50000);
    assert.deepEqual(findings(run), ['one-line.ts:1:redis-keys']);
  });

  it('circular symbolic links: not followed, no hang', function () {
    write('src/good.ts', GOOD_FILE);
    fs.symlinkSync('..', path.join(dir, 'src', 'parent'));
    fs.symlinkSync('.', path.join(dir, 'src', 'self'));
    fs.symlinkSync(path.join(dir, 'b'), path.join(dir, 'a'));
    fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    fs.symlinkSync(path.join(dir, 'loop.ts'), path.join(dir, 'loop2.ts'));
    fs.symlinkSync(path.join(dir, 'loop2.ts'), path.join(dir, 'loop.ts'));
    const run = cli(['--format', 'json', '.'], dir);
    assertCalm(run, 'symlink loops');
    assert.deepEqual(findings(run), ['good.ts:3:redis-keys']);
  });

  it('missing, broken and odd tsconfig.json: analysed with defaults and a warning, not a usage error', function () {
    write('none/good.ts', GOOD_FILE);
    write('broken/tsconfig.json', '{ "compilerOptions": { "strict": tru');
    write('broken/good.ts', GOOD_FILE);
    write('extends/tsconfig.json', JSON.stringify({ extends: './does-not-exist.json', compilerOptions: { target: 'ES1999', plugins: [{ name: 'x' }] }, include: ['**/*.ts'] }));
    write('extends/good.ts', GOOD_FILE);
    write('cycle/tsconfig.json', JSON.stringify({ extends: './other.json' }));
    write('cycle/other.json', JSON.stringify({ extends: './tsconfig.json' }));
    write('cycle/good.ts', GOOD_FILE);
    write('refs/tsconfig.json', JSON.stringify({ files: [], references: [{ path: './missing' }, { path: '.' }] }));
    write('refs/good.ts', GOOD_FILE);
    const run = cli(['--format', 'json', '.'], dir);
    assertCalm(run, 'tsconfig problems');
    assert.match(run.stderr, /broken[/\\]tsconfig\.json: /);
    assert.match(run.stderr, /extends[/\\]tsconfig\.json: /);
    const results = JSON.parse(run.stdout) as JsonResult[];
    assert.deepEqual(
      results.map((r) => `${path.basename(path.dirname(r.filePath))}:${r.messages.map((m) => `${m.line}:${m.ruleId}`).join(',')}`).sort(),
      ['broken:3:redis-keys', 'cycle:3:redis-keys', 'extends:3:redis-keys', 'none:3:redis-keys', 'refs:3:redis-keys'],
    );
  });

  it('invalid scalelint.config.json: exit 2 with the file, line and problem, no stack trace', function () {
    write('good.ts', GOOD_FILE);
    const cases: [string, RegExp][] = [
      ['{ "rules": { "redis-keys": "error" ', /scalelint\.config\.json:1:\d+: invalid JSON/],
      ['', /scalelint\.config\.json:1:1: invalid JSON/],
      ['[1, 2]', /scalelint\.config\.json:1:1:/],
      ['{\n  "rules": {\n    "no-such-rule": "error"\n  }\n}', /scalelint\.config\.json:3:\d+: unknown rule 'no-such-rule'/],
      ['{\n  "maxFileSizeKb": "big"\n}', /scalelint\.config\.json:2:\d+: 'maxFileSizeKb'/],
      ['\u0000\u0001\u0002', /scalelint\.config\.json:1:\d+: invalid JSON/],
    ];
    for (const [content, expected] of cases) {
      write('scalelint.config.json', content);
      const run = cli(['.'], dir);
      assert.equal(run.status, 2, `config ${JSON.stringify(content)}: exit ${run.status}\n${run.output}`);
      assert.match(run.stderr, expected, `config ${JSON.stringify(content)}`);
      assert.doesNotMatch(run.output, STACK_LINE, `config ${JSON.stringify(content)}: stack trace`);
    }
    fs.rmSync(path.join(dir, 'scalelint.config.json'));
    const missing = cli(['--config', 'nope.json', '.'], dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.json/);
    assert.doesNotMatch(missing.output, STACK_LINE);
  });

  it('unparseable and non-Postgres SQL: no crash, the rest still analysed', function () {
    write('migrations/001_init.sql', 'CREATE TABLE orders (id serial primary key, customer_id int);\n');
    write('migrations/002_garbage.sql', 'CREAT TABEL ((( ;;; \u0000 DROP\n');
    write('migrations/003_mysql.sql', 'CREATE TABLE `users` (`id` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n');
    write(
      'queries.ts',
      [
        `import { Pool } from 'pg';`,
        `import Redis from 'ioredis';`,
        `const pool = new Pool();`,
        `const redis = new Redis();`,
        `export async function run(ids: number[], name: string) {`,
        `  for (const id of ids) await pool.query('SELEC * FORM orders WHER id = $1', [id]);`,
        `  await pool.query('SELECT \`id\` FROM \`users\` WHERE \`name\` = ? LIMIT 1, 2', [name]);`,
        `  await pool.query(\`SELECT * FROM orders WHERE customer_id = \${ids[0]} AND (((\`);`,
        `  await pool.query('');`,
        `  await pool.query('\\u0000');`,
        `  return redis.keys('x:*');`,
        `}`,
        ``,
      ].join('\n'),
    );
    const run = cli(['--format', 'json', '.'], dir);
    assertCalm(run, 'bad SQL');
    assert.ok(findings(run).includes('queries.ts:11:redis-keys'), findings(run).join(', '));
  });

  it('usage errors exit 2 with a message and no stack trace', function () {
    for (const args of [['--format', 'yaml', '.'], ['--rule', 'nope:error', '.'], ['--max-warnings', 'lots', '.'], ['--no-such-flag'], [path.join(dir, 'missing-folder')]]) {
      const run = cli(args, dir);
      assert.equal(run.status, 2, `${args.join(' ')}: exit ${run.status}`);
      assert.ok(run.stderr.trim().length > 0, `${args.join(' ')}: no message`);
      assert.doesNotMatch(run.output, STACK_LINE, `${args.join(' ')}: stack trace`);
    }
  });
});
