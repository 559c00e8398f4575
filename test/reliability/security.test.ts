// Security properties, through the built CLI and language server: nothing from the analysed workspace is
// executed (JS configs, tsconfig language-service plugins, install scripts, project modules with top-level
// side effects, a hostile dependency), nothing touches the network or starts a process, the extension
// declares its workspace-trust behaviour, and secrets found in code are never echoed in full.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redactSecrets, maskSecrets } from '../../server/src/engine/redact';
import { DEMO, REPO_ROOT } from '../harness';
import { LspClient } from '../lsp/lsp-client';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/**
 * Preloaded into the CLI and server with NODE_OPTIONS: records (and refuses) every network connection,
 * DNS lookup, HTTP request, fetch and child process, so a test can assert there were none.
 */
const GUARD = `
const fs = require('fs');
const log = process.env.SCALELINT_GUARD_LOG;
function deny(what) {
  fs.appendFileSync(log, what + ' ' + JSON.stringify(new Error().stack.split('\\n').slice(2, 5)) + '\\n');
  throw new Error('scalelint security test: ' + what + ' is not allowed');
}
const net = require('net');
net.Socket.prototype.connect = function () { deny('net.Socket.connect'); };
for (const name of ['connect', 'createConnection']) net[name] = () => deny('net.' + name);
require('tls').connect = () => deny('tls.connect');
for (const mod of ['http', 'https']) for (const name of ['request', 'get']) require(mod)[name] = () => deny(mod + '.' + name);
const dns = require('dns');
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) { dns[name] = () => deny('dns.' + name); dns.promises[name] = () => deny('dns.promises.' + name); }
require('dgram').createSocket = () => deny('dgram.createSocket');
globalThis.fetch = () => deny('fetch');
const cp = require('child_process');
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) cp[name] = () => deny('child_process.' + name);
try { require('worker_threads'); } catch {}
`;

/** Code that, if it ever runs, leaves a marker file named after what ran. */
function sideEffect(markers: string, name: string, moduleKind: 'cjs' | 'esm' | 'ts' = 'cjs'): string {
  const target = JSON.stringify(path.join(markers, name));
  if (moduleKind === 'esm') return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${target}, 'executed');\n`;
  if (moduleKind === 'ts') return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${target}, 'executed');\n`;
  return `require('fs').writeFileSync(${target}, 'executed');\n`;
}

function hostileWorkspace(root: string, markers: string): void {
  const write = (relative: string, text: string): void => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const shell = (name: string): string => `node -e "require('fs').writeFileSync(${JSON.stringify(path.join(markers, name)).replace(/"/g, '\\"')}, 'x')"`;
  write('package.json', JSON.stringify({ name: 'hostile', version: '1.0.0', scripts: { preinstall: shell('preinstall'), install: shell('install'), postinstall: shell('postinstall'), prepare: shell('prepare'), lint: shell('npm-lint') } }, null, 2));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'commonjs', esModuleInterop: true, allowJs: true, plugins: [{ name: 'evil-ts-plugin' }, { transform: './transformer.js' }] }, include: ['src'] }, null, 2));
  write('transformer.js', sideEffect(markers, 'ts-transformer'));
  for (const config of ['scalelint.config.js', 'scalelint.config.cjs', '.eslintrc.js', 'babel.config.js', 'jest.config.js', 'prettier.config.js']) write(config, sideEffect(markers, config));
  write('scalelint.config.mjs', sideEffect(markers, 'scalelint.config.mjs', 'esm'));
  write('scalelint.config.ts', sideEffect(markers, 'scalelint.config.ts', 'ts'));
  write('vite.config.ts', sideEffect(markers, 'vite.config.ts', 'ts'));
  // A hostile dependency: runs code on require; its types are what the analysis needs.
  write('node_modules/evil-ts-plugin/package.json', JSON.stringify({ name: 'evil-ts-plugin', main: 'index.js' }));
  write('node_modules/evil-ts-plugin/index.js', `${sideEffect(markers, 'ts-plugin')}module.exports = () => ({ create: (info) => info.languageService });\n`);
  write('node_modules/ioredis/package.json', JSON.stringify({ name: 'ioredis', version: '5.0.0', main: 'index.js', types: 'index.d.ts', scripts: { postinstall: shell('dependency-postinstall') } }));
  write('node_modules/ioredis/index.js', `${sideEffect(markers, 'dependency-ioredis')}module.exports = class Redis {};\n`);
  write('node_modules/ioredis/index.d.ts', `declare class Redis {\n  constructor(url?: string);\n  keys(pattern: string): Promise<string[]>;\n  get(key: string): Promise<string | null>;\n}\nexport default Redis;\n`);
  write('node_modules/.bin/tsc', `#!/bin/sh\n${shell('bin-tsc')}\n`);
  // Project modules with top-level side effects, imported every way there is.
  write('src/side-effect.ts', `${sideEffect(markers, 'module-side-effect', 'ts')}export const ready = true;\n`);
  write('src/legacy.cjs', sideEffect(markers, 'module-cjs'));
  write('src/dynamic.mjs', sideEffect(markers, 'module-esm', 'esm'));
  write('src/decorated.ts', `function mark(): ClassDecorator { ${sideEffect(markers, 'decorator').trim()} return () => undefined; }\n@mark()\nexport class Decorated {}\n`);
  write(
    'src/index.ts',
    [
      `import Redis from 'ioredis';`,
      `import { ready } from './side-effect';`,
      `import './decorated';`,
      `// eslint-disable-next-line @typescript-eslint/no-require-imports`,
      `const legacy = require('./legacy.cjs');`,
      `const redis = new Redis('redis://127.0.0.1:6379');`,
      `export async function sessions(): Promise<string[]> {`,
      `  await import('./dynamic.mjs');`,
      `  await fetch('http://127.0.0.1:9/should-never-be-called', { signal: AbortSignal.timeout(1000) });`,
      `  return ready && legacy ? redis.keys('session:*') : [];`,
      `}`,
      ``,
    ].join('\n'),
  );
}

function guardedEnv(log: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const guard = path.join(path.dirname(log), 'guard.cjs');
  return { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `--require ${guard}`, SCALELINT_GUARD_LOG: log, ...extra };
}

describe('reliability: security', function () {
  this.timeout(10 * 60 * 1000);
  let base: string;
  let root: string;
  let markers: string;
  let log: string;

  before(function () {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-security-'));
    root = path.join(base, 'workspace');
    markers = path.join(base, 'markers');
    log = path.join(base, 'guard.log');
    fs.mkdirSync(markers);
    fs.writeFileSync(path.join(base, 'guard.cjs'), GUARD);
    hostileWorkspace(root, markers);
  });
  after(function () {
    fs.rmSync(base, { recursive: true, force: true });
  });
  beforeEach(function () {
    fs.rmSync(log, { force: true });
  });

  const markersLeft = (): string[] => fs.readdirSync(markers).sort();
  const guardLog = (): string => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');

  it('the guard and the markers work (canary: they catch what they are meant to catch)', function () {
    const probe = spawnSync(process.execPath, ['-e', `try { require('net').connect(9, '127.0.0.1'); } catch {} try { require('child_process').execSync('true'); } catch {} require(${JSON.stringify(path.join(root, 'src', 'legacy.cjs'))});`], { env: guardedEnv(log), encoding: 'utf8' });
    assert.equal(probe.status, 0, probe.stderr);
    assert.match(guardLog(), /net\.connect/);
    assert.match(guardLog(), /child_process\.execSync/);
    assert.deepEqual(markersLeft(), ['module-cjs']);
    fs.rmSync(path.join(markers, 'module-cjs'));
  });

  it('a CLI run executes nothing from the workspace and makes no network call or child process', function () {
    const runs: string[][] = [
      ['.'],
      ['--format', 'json', '.'],
      ['--format', 'sarif', 'src'],
      ['--format', 'html', '-o', path.join(base, 'report.html'), '.'],
      ['--print-config', 'src/index.ts'],
      ['--list-rules'],
      ['--fix-dry-run', '.'],
      ['--fix', '.'],
    ];
    let sawFinding = false;
    for (const args of runs) {
      const run = spawnSync(process.execPath, [CLI, '--no-progress', ...args], { cwd: root, env: guardedEnv(log), encoding: 'utf8', timeout: 180000 });
      assert.ok(run.status === 0 || run.status === 1, `scalelint ${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
      assert.doesNotMatch(run.stderr, /is not allowed/, `scalelint ${args.join(' ')}`);
      if (args[0] === '--format' && args[1] === 'json') sawFinding = /"ruleId":"redis-keys"/.test(run.stdout);
      assert.deepEqual(markersLeft(), [], `scalelint ${args.join(' ')} executed workspace code`);
      assert.equal(guardLog(), '', `scalelint ${args.join(' ')} used the network or started a process`);
    }
    // The analysis really looked at the code (through the hostile dependency's types), so the test is not vacuous.
    assert.ok(sawFinding, 'no redis-keys finding in src/index.ts: the workspace was not analysed');
  });

  it('the demo service is analysed without any network call or child process', function () {
    const run = spawnSync(process.execPath, [CLI, '--no-progress', '--format', 'json', DEMO], { cwd: REPO_ROOT, env: guardedEnv(log), encoding: 'utf8', timeout: 180000 });
    assert.ok(run.status === 0 || run.status === 1, run.stderr);
    assert.ok(JSON.parse(run.stdout).length > 0);
    assert.equal(guardLog(), '');
  });

  it('the language server executes nothing from the workspace and makes no network call or child process', async function () {
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, SCALELINT_GUARD_LOG: process.env.SCALELINT_GUARD_LOG };
    const env = guardedEnv(log);
    process.env.NODE_OPTIONS = env.NODE_OPTIONS;
    process.env.SCALELINT_GUARD_LOG = env.SCALELINT_GUARD_LOG;
    let client: LspClient | undefined;
    try {
      client = new LspClient({ root, settings: { scanWorkspaceOnStartup: true } });
      await client.initialize();
      const file = path.join(root, 'src', 'index.ts');
      client.open(file);
      // Any finding proves the file was analysed (an earlier --fix run may have fixed the KEYS call).
      const diagnostics = await client.waitForDiagnostics(file, (found) => found.length > 0, 120000);
      assert.ok(diagnostics.length > 0);
    } finally {
      await client?.shutdown();
      process.env.NODE_OPTIONS = saved.NODE_OPTIONS;
      process.env.SCALELINT_GUARD_LOG = saved.SCALELINT_GUARD_LOG;
      if (saved.NODE_OPTIONS === undefined) delete process.env.NODE_OPTIONS;
      if (saved.SCALELINT_GUARD_LOG === undefined) delete process.env.SCALELINT_GUARD_LOG;
    }
    assert.deepEqual(markersLeft(), [], 'the server executed workspace code');
    assert.equal(guardLog(), '', 'the server used the network or started a process');
  });

  it('the extension declares its workspace-trust behaviour', function () {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { capabilities?: { untrustedWorkspaces?: { supported?: unknown; description?: string } } };
    const trust = manifest.capabilities?.untrustedWorkspaces;
    assert.ok(trust, 'package.json has no capabilities.untrustedWorkspaces');
    assert.ok([true, false, 'limited'].includes(trust.supported as never), `untrustedWorkspaces.supported is ${JSON.stringify(trust.supported)}`);
    if (trust.supported !== false) assert.ok(trust.description && trust.description.length > 20, 'a trust level other than false needs a description of what is restricted');
  });

  describe('secrets found in code are never echoed in full', function () {
    const SECRETS = ['Sup3rS3cretPassw0rd', 'sk_live_51HabcdefghijklmnopQRST', 'Hunter2Hunter2', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'AKIAIOSFODNN7EXAMPLE', 'xoxb-1234567890-abcdefghij', 'pg-Pa55word-9876'];
    const code = [
      `import Redis from 'ioredis';`,
      `import axios from 'axios';`,
      `import { Pool } from 'pg';`,
      `const redis = new Redis('redis://admin:Sup3rS3cretPassw0rd@cache.internal:6379');`,
      `export const all = () => redis.keys('*');`,
      `export async function charge(ids: string[]) {`,
      `  const response = await fetch('https://api.example.com/v1/charge?api_key=sk_live_51HabcdefghijklmnopQRST');`,
      `  await axios.get('https://ops:Hunter2Hunter2@api.example.com/x', { headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' } });`,
      `  for (const id of ids) {`,
      `    const pool = new Pool({ connectionString: 'postgres://shop:pg-Pa55word-9876@db.internal:5432/shop' });`,
      `    await pool.query('SELECT * FROM orders WHERE id = $1', [id]);`,
      `    await fetch(\`https://hooks.slack.com/x?token=xoxb-1234567890-abcdefghij&aws=AKIAIOSFODNN7EXAMPLE&id=\${id}\`);`,
      `  }`,
      `  return response;`,
      `}`,
      ``,
    ].join('\n');

    it('the masking keeps what tells values apart and drops the secret', function () {
      const masked = redactSecrets(code);
      for (const secret of SECRETS) assert.ok(!masked.includes(secret), `${secret} survived: ${masked}`);
      assert.match(masked, /redis:\/\/admin:\*+@cache\.internal:6379/);
      assert.match(masked, /api_key=\*+/);
      const sameLength = maskSecrets(code);
      assert.equal(sameLength.length, code.length);
      assert.deepEqual(sameLength.split('\n').map((line) => line.length), code.split('\n').map((line) => line.length));
      assert.equal(redactSecrets('KEYS walks every key; use SCAN. token bucket of 5 per second.'), 'KEYS walks every key; use SCAN. token bucket of 5 per second.');
    });

    it('in every output format of the CLI (fix replacement code aside)', function () {
      const dir = path.join(base, 'secrets');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'billing.ts'), code);
      let findings = 0;
      for (const format of ['stylish', 'json', 'sarif', 'github', 'junit', 'html']) {
        const run = spawnSync(process.execPath, [CLI, '--no-progress', '--format', format, 'billing.ts'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 180000 });
        assert.ok(run.status === 0 || run.status === 1, `${format}: exit ${run.status}\n${run.stderr}`);
        let shown = `${run.stdout}\n${run.stderr}`;
        if (format === 'json' || format === 'sarif') {
          // Fix replacement text is code for a machine to apply; everything people read must be masked.
          shown = JSON.stringify(JSON.parse(run.stdout), (key, value: unknown) => (key === 'fix' || key === 'suggestions' || key === 'fixes' ? undefined : value));
        }
        if (format === 'json') findings = (JSON.parse(run.stdout) as { messages: unknown[] }[])[0].messages.length;
        for (const secret of SECRETS) assert.ok(!shown.includes(secret), `${format} output echoes ${secret}`);
      }
      assert.ok(findings >= 2, `only ${findings} findings on code full of anti-patterns: the test would prove nothing`);
    });
  });
});
