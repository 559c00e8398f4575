// The engine's foundations: project loading, provenance without node_modules, config, suppressions,
// fingerprints. Each test builds a small workspace on disk and runs the real engine on it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RULES } from '../rules';
import { ConfigError, Engine } from '../server/src/engine/engine';
import type { FileResult } from '../server/src/engine/types';
import { ts, type SourceFile } from 'ts-morph';
import { ARTIFACTS, FIXTURES } from './harness';

function workspace(files: Record<string, string>, base = os.tmpdir()): string {
  const root = fs.mkdtempSync(path.join(base, 'scalelint-engine-'));
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(root, name);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return root;
}

async function analyze(root: string, options: Partial<ConstructorParameters<typeof Engine>[0]> = {}): Promise<FileResult[]> {
  const engine = new Engine({ rules: RULES, root, ...options });
  return (await engine.analyzePaths([root])).results;
}

/** A file as the engine's workspace hands it to rules: in its project, the program built and bound. */
function sourceFileOf(engine: Engine, file: string): SourceFile {
  return (engine as unknown as { workspace: { sourceFile(file: string): SourceFile } }).workspace.sourceFile(file);
}

function lines(results: FileResult[], ruleId?: string): string[] {
  return results.flatMap((result) =>
    result.findings.filter((f) => !ruleId || f.ruleId === ruleId).map((f) => `${path.basename(result.file)}:${f.range.start.line} ${f.ruleId}`),
  );
}

const KEYS_CODE = `import Redis from 'ioredis';
const redis = new Redis();
export async function purge(): Promise<string[]> {
  const tally = new Map<string, number>();
  for (const key of tally.keys()) console.log(key);
  return redis.keys('user:*');
}
`;

const cleanups: string[] = [];
after(function () {
  for (const dir of cleanups) fs.rmSync(dir, { recursive: true, force: true });
});
function tracked(dir: string): string {
  cleanups.push(dir);
  return dir;
}

describe('engine: provenance without node_modules', function () {
  it('finds redis.keys() on a client from ioredis and not Map.keys()', async function () {
    // os.tmpdir() has no node_modules above it: the 'ioredis' import does not resolve.
    const root = tracked(workspace({ 'purge.ts': KEYS_CODE }));
    assert.deepEqual(lines(await analyze(root)), ['purge.ts:6 redis-keys']);
  });

  it('follows the client through an import of a project module', async function () {
    const root = tracked(
      workspace({
        'lib/redis.js': `const Redis = require('ioredis');\nmodule.exports.redis = new Redis();\n`,
        'lib/client.ts': `import Redis from 'ioredis';\nexport const cache = new Redis();\n`,
        'jobs/sweep.ts': `import { cache } from '../lib/client';\nexport async function sweep() {\n  return cache.keys('tmp:*');\n}\n`,
      }),
    );
    assert.deepEqual(lines(await analyze(root)), ['sweep.ts:3 redis-keys']);
  });

  it('follows a constructor-injected client typed by an ioredis import', async function () {
    const root = tracked(
      workspace({
        'service.ts': `import type { Redis } from 'ioredis';\nexport class Sessions {\n  constructor(private readonly redis: Redis) {}\n  all() {\n    return this.redis.keys('sess:*');\n  }\n}\n`,
      }),
    );
    assert.deepEqual(lines(await analyze(root)), ['service.ts:5 redis-keys']);
  });

  it('does not mistake a LevelDB or a local class keys() for Redis', async function () {
    const root = tracked(
      workspace({
        'store.ts': `import { Level } from 'level';\nconst db = new Level('./db');\nclass Bag { keys() { return []; } }\nexport async function f(bag: Bag) {\n  bag.keys();\n  return db.keys().all();\n}\n`,
      }),
    );
    assert.deepEqual(lines(await analyze(root)), []);
  });
});

describe('engine: projects', function () {
  it('analyses each package of a monorepo in the project of its nearest tsconfig, honouring paths', async function () {
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './packages/api' }, { path: './packages/worker' }] }),
          'packages/api/tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, baseUrl: '.', paths: { '@cache/*': ['src/cache/*'] } }, include: ['src'] }),
          'packages/api/src/cache/client.ts': `import Redis from 'ioredis';\nexport const redis = new Redis();\n`,
          'packages/api/src/routes.ts': `import { redis } from '@cache/client';\nexport const list = () => redis.keys('a:*');\n`,
          'packages/worker/tsconfig.json': JSON.stringify({ extends: '../../tsconfig.base.json', include: ['*.ts'] }),
          'tsconfig.base.json': JSON.stringify({ compilerOptions: { strict: true } }),
          'packages/worker/job.ts': `import Redis from 'ioredis';\nconst r = new Redis();\nexport async function job() { await r.flushall(); }\n`,
        },
      ),
    );
    assert.deepEqual(lines(await analyze(root)).sort(), ['job.ts:3 redis-keys', 'routes.ts:2 redis-keys']);
  });

  /** A `type: module` package under `nodenext`, beside the repository's node_modules (ioredis). */
  const esModuleWorkspace = (files: Record<string, string>): string => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const tsconfig = { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true }, include: ['src/*.ts'] };
    return tracked(workspace({ 'package.json': JSON.stringify({ name: 'esm-app', type: 'module' }), 'tsconfig.json': JSON.stringify(tsconfig), ...files }, ARTIFACTS));
  };

  // ts-morph's compiler host drops the module format TypeScript works out for each file; without it an ES
  // module's imports resolve with the `require` conditions.
  it('resolves a package that exports only to import from an ES module (nodenext)', async function () {
    const root = esModuleWorkspace({
      'node_modules/cache-kit/package.json': JSON.stringify({ name: 'cache-kit', type: 'module', exports: { '.': { import: { types: './index.d.ts', default: './index.js' } } } }),
      'node_modules/cache-kit/index.d.ts': `export { Redis } from 'ioredis';\n`,
      'src/sweep.ts': `import { Redis } from 'cache-kit';\nconst redis = new Redis();\nexport async function sweep(): Promise<string[]> {\n  return redis.keys('tmp:*');\n}\n`,
    });
    const results = await analyze(root, { onlyRules: ['redis-keys'] });
    assert.deepEqual(lines(results), ['sweep.ts:4 redis-keys']);
  });

  // A script's `await (x)` is a call of a function named await; in a module, an await. Its module format
  // arrives after the parse: it must not make the file a module without the module's parse.
  it('keeps an ES module without imports that awaits at the top level parsed and classified alike', async function () {
    const root = esModuleWorkspace({
      'src/boot.ts': `const ready = await (Promise.resolve(1));\nconsole.log(ready);\n`,
      'src/plain.ts': `const answer = 42;\nconsole.log(answer);\n`,
    });
    const engine = new Engine({ rules: RULES, root });
    await engine.analyzePaths([root]);
    const boot = sourceFileOf(engine, path.join(root, 'src', 'boot.ts'));
    const initializer = boot.getVariableDeclarationOrThrow('ready').getInitializerOrThrow();
    assert.equal(ts.isExternalModule(boot.compilerNode), initializer.getKind() === ts.SyntaxKind.AwaitExpression);
    // Without such an await, the format makes the file a module, as tsc does.
    assert.equal(ts.isExternalModule(sourceFileOf(engine, path.join(root, 'src', 'plain.ts')).compilerNode), true);
  });

  it('keeps analysing with default options when tsconfig.json is broken, and says so', async function () {
    const root = tracked(workspace({ 'tsconfig.json': '{ "compilerOptions": { "strict": tru', 'a.ts': KEYS_CODE }));
    const engine = new Engine({ rules: RULES, root });
    const { results, messages } = await engine.analyzePaths([root]);
    assert.deepEqual(lines(results), ['a.ts:6 redis-keys']);
    assert.ok(messages.some((m) => m.file?.endsWith('tsconfig.json') && m.level === 'warning'), JSON.stringify(messages));
  });

  it('skips node_modules, build output, declaration files and .gitignored files', async function () {
    const root = tracked(
      workspace({
        '.gitignore': 'generated/\n',
        'src/a.ts': KEYS_CODE,
        'node_modules/x/index.ts': KEYS_CODE,
        'dist/a.ts': KEYS_CODE,
        'src/types.d.ts': 'export declare const x: number;\n',
        'generated/a.ts': KEYS_CODE,
      }),
    );
    fs.mkdirSync(path.join(root, '.git'));
    const engine = new Engine({ rules: RULES, root });
    const files = await engine.collect([root]);
    assert.deepEqual(files.map((file) => path.relative(root, file)), [path.join('src', 'a.ts')]);
  });
});

describe('engine: whole-program facts', function () {
  it('sees entry points in files analysed after the one that needs them (a folder without tsconfig)', async function () {
    // Files are analysed in name order: the helper comes before the routes that put it on a request path.
    const root = tracked(
      workspace({
        'a-rates.ts': `export async function rates(): Promise<unknown> {\n  const response = await fetch('https://rates.example.com/v1/latest', { signal: AbortSignal.timeout(2_000) });\n  return response.json();\n}\n`,
        'z-routes.ts': `import express from 'express';\nimport { rates } from './a-rates';\nconst app = express();\napp.get('/rates', async (_req, res) => {\n  res.json(await rates());\n});\n`,
      }),
    );
    assert.deepEqual(lines(await analyze(root), 'missing-circuit-breaker'), ['a-rates.ts:2 missing-circuit-breaker']);
  });

  it('follows edits to the file that hands a function to a circuit breaker (the cross-file name index)', async function () {
    const root = tracked(
      workspace({
        'rates.ts': `export async function fetchRates(): Promise<unknown> {\n  const response = await fetch('https://rates.example.com/v1/latest', { signal: AbortSignal.timeout(2_000) });\n  return response.json();\n}\n`,
        'routes.ts': `import express from 'express';\nimport { fetchRates } from './rates';\nconst app = express();\napp.get('/rates', async (_req, res) => {\n  res.json(await fetchRates());\n});\n`,
        'breaker.ts': `export const breakerTimeoutMs = 3_000;\n`,
      }),
    );
    const engine = new Engine({ rules: RULES, root, onlyRules: ['missing-circuit-breaker'] });
    await engine.analyzePaths([root]);
    const rates = path.join(root, 'rates.ts');
    const breaker = path.join(root, 'breaker.ts');
    assert.deepEqual(lines([engine.analyzeFile(rates)]), ['rates.ts:2 missing-circuit-breaker']);
    engine.setFileText(breaker, `import CircuitBreaker from 'opossum';\nimport { fetchRates } from './rates';\nexport const ratesBreaker = new CircuitBreaker(fetchRates, { timeout: 3_000 });\n`);
    assert.deepEqual(lines([engine.analyzeFile(rates)]), [], 'handed to a breaker in another file');
    engine.setFileText(breaker, `export const breakerTimeoutMs = 3_000;\n`);
    assert.deepEqual(lines([engine.analyzeFile(rates)]), ['rates.ts:2 missing-circuit-breaker'], 'no longer handed to one');
  });

  it('resolves an import of a file that is created after the importer was analysed', async function () {
    const root = tracked(
      workspace({
        'orders.ts': `import { loadUser } from './users';\nexport async function owners(ids: number[]): Promise<unknown[]> {\n  const found: unknown[] = [];\n  for (const id of ids) found.push(await loadUser(id));\n  return found;\n}\n`,
      }),
    );
    const engine = new Engine({ rules: RULES, root });
    await engine.ready;
    const orders = path.join(root, 'orders.ts');
    assert.deepEqual(lines([engine.analyzeFile(orders)], 'n-plus-one'), []);
    const users = path.join(root, 'users.ts');
    fs.writeFileSync(users, `import { Pool } from 'pg';\nconst pool = new Pool({ max: 10 });\nexport async function loadUser(id: number): Promise<unknown> {\n  return (await pool.query('select * from users where id = $1', [id])).rows[0];\n}\n`);
    engine.setFileText(users, undefined);
    assert.deepEqual(lines([engine.analyzeFile(orders)], 'n-plus-one'), ['orders.ts:4 n-plus-one']);
  });
});

describe('engine: parsing and program reuse', function () {
  const withNodeModules = (): string => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    return ARTIFACTS;
  };

  it('still reads types from JSDoc in JavaScript files, where it carries them', async function () {
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ compilerOptions: { allowJs: true, checkJs: false, module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true }, include: ['*.js'] }),
          'sweep.js': `/** @param {import('ioredis').Redis} redis */\nexport async function sweep(redis) {\n  return redis.keys('tmp:*');\n}\n/** @param {Map<string, number>} seen */\nexport function names(seen) {\n  return seen.keys();\n}\n`,
        },
        withNodeModules(),
      ),
    );
    const [result] = await analyze(root, { onlyRules: ['redis-keys'] });
    assert.deepEqual(lines([result]), ['sweep.js:3 redis-keys']);
    assert.equal(result.findings[0].message.includes('KEYS'), true, result.findings[0].message);
  });

  // Trees are parsed without parent pointers, which binding sets, as tsc's are. Rules walk up from any node.
  it('hands out trees with a parent on every node: bound ones, a JavaScript file outside the program, edited ones', async function () {
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true }, include: ['*.ts', '*.js'] }),
          'sweep.ts': KEYS_CODE,
          // Not in the program: no allowJs. Binding never sees it, and every rule still walks it.
          'legacy.js': `const { Pool } = require('pg');\nconst pool = new Pool();\nasync function load(ids) {\n  for (const id of ids) await pool.query('select 1 where $1', [id]);\n}\nmodule.exports = { load };\n`,
        },
        withNodeModules(),
      ),
    );
    const engine = new Engine({ rules: RULES, root });
    const results = (await engine.analyzePaths([root])).results;
    assert.deepEqual(results.flatMap((result) => result.messages.map((message) => message.message)), []);
    assert.deepEqual(lines(results), ['sweep.ts:6 redis-keys']);
    const orphans = (file: string): number => {
      let count = 0;
      const visit = (node: ts.Node): void => {
        ts.forEachChild(node, (child) => {
          if (child.parent !== node) count++;
          visit(child);
        });
      };
      visit(sourceFileOf(engine, path.join(root, file)).compilerNode);
      return count;
    };
    assert.equal(orphans('sweep.ts'), 0);
    assert.equal(orphans('legacy.js'), 0);
    engine.setFileText(path.join(root, 'sweep.ts'), `// edited\n${KEYS_CODE}`);
    engine.setFileText(path.join(root, 'legacy.js'), `// edited\nmodule.exports = {};\n`);
    assert.equal(orphans('sweep.ts'), 0, 'an edited file in the program');
    assert.equal(orphans('legacy.js'), 0, 'an edited file outside it');
  });

  it('sees the new text of an edited dependency when the importer is analysed again', async function () {
    const ioLoad = `import { Pool } from 'pg';\nconst pool = new Pool({ max: 10 });\nexport async function loadUser(id: number): Promise<unknown> {\n  return (await pool.query('select * from users where id = $1', [id])).rows[0];\n}\n`;
    const memoryLoad = `const users = new Map<number, unknown>();\nexport async function loadUser(id: number): Promise<unknown> {\n  return users.get(id);\n}\n`;
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true }, include: ['*.ts'] }),
          'users.ts': ioLoad,
          'orders.ts': `import { loadUser } from './users.js';\nexport async function owners(ids: number[]): Promise<unknown[]> {\n  const found: unknown[] = [];\n  for (const id of ids) found.push(await loadUser(id));\n  return found;\n}\n`,
        },
        withNodeModules(),
      ),
    );
    const engine = new Engine({ rules: RULES, root, onlyRules: ['n-plus-one'] });
    await engine.analyzePaths([root]);
    const orders = path.join(root, 'orders.ts');
    const users = path.join(root, 'users.ts');
    assert.deepEqual(lines([engine.analyzeFile(orders)]), ['orders.ts:4 n-plus-one']);
    // Each edit builds a new program from the previous one: the edited file must not be handed out stale.
    engine.setFileText(users, memoryLoad);
    assert.deepEqual(lines([engine.analyzeFile(orders)]), [], 'loadUser reads a Map now');
    engine.setFileText(users, ioLoad);
    assert.deepEqual(lines([engine.analyzeFile(orders)]), ['orders.ts:4 n-plus-one'], 'loadUser queries again');
    engine.setFileText(users, undefined);
    assert.deepEqual(lines([engine.analyzeFile(orders)]), ['orders.ts:4 n-plus-one'], 'back to the text on disk');
  });

  it('prepares, after a scan, a program the first edit can reuse all but the edited file of', async function () {
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true }, include: ['*.ts'] }),
          'sweep.ts': KEYS_CODE,
          'other.ts': `export const other = 1;\n`,
        },
        withNodeModules(),
      ),
    );
    const engine = new Engine({ rules: RULES, root });
    await engine.analyzePaths([root]);
    const sweep = path.join(root, 'sweep.ts');
    // TypeScript's own record of how much of the previous program it kept (2: all but the changed files).
    const reuseAfterEdit = (): number => {
      engine.setFileText(sweep, `// edited\n${KEYS_CODE}`);
      return (sourceFileOf(engine, sweep).getProject().getProgram().compilerObject as unknown as { structureIsReused: number }).structureIsReused;
    };
    engine.prepareForEdits();
    assert.equal(reuseAfterEdit(), 2);
    assert.deepEqual(lines([engine.analyzeFile(sweep)]), ['sweep.ts:7 redis-keys']);
  });

  // After an edit, the request-path model and the cross-file indexes update by the tree that changed.
  it('keeps the request path in step with edits to the route file, the callee and unrelated files', async function () {
    const routes = `import express from 'express';\nimport { rates } from './rates';\nconst app = express();\napp.get('/rates', async (_req, res) => {\n  res.json(await rates());\n});\n`;
    const noRoute = `import express from 'express';\nimport { rates } from './rates';\nexport const app = express();\nexport const warm = rates;\n`;
    const rates = `export async function rates(): Promise<unknown> {\n  const response = await fetch('https://rates.example.com/v1/latest', { signal: AbortSignal.timeout(2_000) });\n  return response.json();\n}\n`;
    const root = tracked(workspace({ 'rates.ts': rates, 'routes.ts': routes, 'other.ts': `export const other = 1;\n` }));
    const engine = new Engine({ rules: RULES, root, onlyRules: ['missing-circuit-breaker'] });
    await engine.analyzePaths([root]);
    const [ratesFile, routesFile, otherFile] = ['rates.ts', 'routes.ts', 'other.ts'].map((name) => path.join(root, name));
    const flagged = (): string[] => lines([engine.analyzeFile(ratesFile)]);
    assert.deepEqual(flagged(), ['rates.ts:2 missing-circuit-breaker']);
    engine.setFileText(routesFile, noRoute);
    assert.deepEqual(flagged(), [], 'the route is gone');
    engine.setFileText(otherFile, `export const other = 2;\n`);
    assert.deepEqual(flagged(), [], 'still no route after an unrelated edit');
    engine.setFileText(routesFile, routes);
    assert.deepEqual(flagged(), ['rates.ts:2 missing-circuit-breaker'], 'the route is back');
    engine.setFileText(otherFile, `export const other = 3;\n`);
    assert.deepEqual(flagged(), ['rates.ts:2 missing-circuit-breaker'], 'still on the route after an unrelated edit');
    engine.setFileText(ratesFile, `// moved\n${rates}`);
    assert.deepEqual(flagged(), ['rates.ts:3 missing-circuit-breaker'], 'the edited callee is still reached');
  });

  it('follows an injected interface into a class that implements it once one is written', async function () {
    const routes = [
      `import express from 'express';`,
      `import type { RateSource } from './source';`,
      `export class RatesHandler {`,
      `  constructor(private readonly source: RateSource) {}`,
      `  async handle(): Promise<unknown> {`,
      `    return this.source.latest();`,
      `  }`,
      `}`,
      `export function mount(handler: RatesHandler): express.Express {`,
      `  const app = express();`,
      `  app.get('/rates', async (_req, res) => {`,
      `    res.json(await handler.handle());`,
      `  });`,
      `  return app;`,
      `}`,
      ``,
    ].join('\n');
    const implementation = [
      `import type { RateSource } from './source';`,
      `export class HttpRateSource implements RateSource {`,
      `  async latest(): Promise<unknown> {`,
      `    const response = await fetch('https://rates.example.com/v1/latest', { signal: AbortSignal.timeout(2_000) });`,
      `    return response.json();`,
      `  }`,
      `}`,
      ``,
    ].join('\n');
    // A remote call no route reaches: asking about it walks the whole graph, RatesHandler.handle included.
    const unreached = `export async function ping(): Promise<number> {\n  return (await fetch('https://status.example.com', { signal: AbortSignal.timeout(2_000) })).status;\n}\n`;
    const root = tracked(
      workspace({
        'source.ts': `export interface RateSource {\n  latest(): Promise<unknown>;\n}\n`,
        'routes.ts': routes,
        'http-source.ts': `export const pending = true;\n`,
        'unreached.ts': unreached,
      }),
    );
    const engine = new Engine({ rules: RULES, root, onlyRules: ['missing-circuit-breaker'] });
    await engine.analyzePaths([root]);
    const [sourceFile, unreachedFile] = ['http-source.ts', 'unreached.ts'].map((name) => path.join(root, name));
    assert.deepEqual(lines([engine.analyzeFile(unreachedFile)]), []);
    engine.setFileText(sourceFile, implementation);
    assert.deepEqual(lines([engine.analyzeFile(sourceFile)]), ['http-source.ts:4 missing-circuit-breaker'], 'the new implementation is on the route');
    engine.setFileText(sourceFile, implementation.replace('implements RateSource ', ''));
    assert.deepEqual(lines([engine.analyzeFile(sourceFile)]), [], 'a class that no longer implements it is not');
    // Through an abstract base written in the same edit: the base implements the interface, the class extends the base.
    const throughBase = implementation
      .replace('implements RateSource ', 'extends BaseRateSource ')
      .replace('export class', 'export abstract class BaseRateSource implements RateSource {\n  abstract latest(): Promise<unknown>;\n}\nexport class');
    engine.setFileText(sourceFile, throughBase);
    assert.deepEqual(lines([engine.analyzeFile(sourceFile)]), ['http-source.ts:7 missing-circuit-breaker'], 'a class below an abstract base that implements it is on the route');
    engine.setFileText(sourceFile, throughBase.replace('extends BaseRateSource ', ''));
    assert.deepEqual(lines([engine.analyzeFile(sourceFile)]), [], 'and is not once it leaves the hierarchy');
  });

  it('follows a default timeout set in another file through consecutive edits', async function () {
    const root = tracked(
      workspace(
        {
          'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, esModuleInterop: true, skipLibCheck: true }, include: ['*.ts'] }),
          'client.ts': `import axios from 'axios';\nexport async function quote(): Promise<unknown> {\n  return (await axios.get('https://quotes.example.com/v1/latest')).data;\n}\n`,
          'setup.ts': `import axios from 'axios';\naxios.defaults.timeout = 3_000;\n`,
          'other.ts': `export const other = 1;\n`,
        },
        withNodeModules(),
      ),
    );
    const engine = new Engine({ rules: RULES, root, onlyRules: ['missing-timeout'] });
    await engine.analyzePaths([root]);
    const [client, setup, other] = ['client.ts', 'setup.ts', 'other.ts'].map((name) => path.join(root, name));
    const flagged = (): string[] => lines([engine.analyzeFile(client)]);
    assert.deepEqual(flagged(), []);
    engine.setFileText(setup, `import axios from 'axios';\naxios.defaults.headers.common.accept = 'application/json';\n`);
    assert.deepEqual(flagged(), ['client.ts:3 missing-timeout'], 'the default timeout is gone');
    engine.setFileText(other, `export const other = 2;\n`);
    assert.deepEqual(flagged(), ['client.ts:3 missing-timeout'], 'still gone after an unrelated edit');
    engine.setFileText(other, `import axios from 'axios';\naxios.defaults.timeout = 5_000;\n`);
    assert.deepEqual(flagged(), [], 'set again, in another file');
  });
});

describe('engine: config', function () {
  function configError(text: string): ConfigError {
    const root = tracked(workspace({ 'scalelint.config.json': text, 'a.ts': KEYS_CODE }));
    try {
      new Engine({ rules: RULES, root });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error;
    }
    assert.fail('expected a ConfigError');
  }

  it('reports invalid JSON with its line and column, in words', function () {
    const error = configError('{\n  "rules": {\n    "redis-keys": "error"\n    "n-plus-one": "off"\n  }\n}\n');
    assert.equal(error.line, 4);
    assert.equal(error.problem, "invalid JSON: a ',' is missing between two entries");
  });

  it('accepts comments and trailing commas, as the configuration page says', async function () {
    const root = tracked(workspace({ 'scalelint.config.json': '{\n  // strict in CI\n  "rules": {\n    "redis-keys": "off",\n  },\n}\n', 'a.ts': KEYS_CODE }));
    assert.deepEqual(lines(await analyze(root)), []);
  });

  it('reports an unknown property and a bad severity where they are', function () {
    assert.deepEqual(
      (({ line, problem }) => ({ line, problem }))(configError('{\n  "rules": {},\n  "ignorPatterns": []\n}\n')),
      { line: 3, problem: "has an unknown property 'ignorPatterns'" },
    );
    const error = configError('{\n  "rules": {\n    "redis-keys": "loud"\n  }\n}\n');
    assert.equal(error.line, 3);
  });

  it('reports an unknown rule and invalid rule options', function () {
    assert.match(configError('{ "rules": { "redis-key": "error" } }').problem, /unknown rule 'redis-key'/);
    assert.match(configError('{ "rules": { "redis-keys": ["error", { "scanCount": "many" }] } }').problem, /invalid options for rule 'redis-keys'/);
    // A rule that takes no options rejects any, rather than ignoring a typo silently.
    assert.match(configError('{ "rules": { "missing-index": { "severity": "error", "options": { "bogus": 1 } } } }').problem, /invalid options for rule 'missing-index'.*bogus/);
  });

  it('turns rules off and changes severities', async function () {
    const off = tracked(workspace({ 'scalelint.config.json': '{ "rules": { "redis-keys": "off" } }', 'a.ts': KEYS_CODE }));
    assert.deepEqual(lines(await analyze(off)), []);
    const warn = tracked(workspace({ 'scalelint.config.json': '// editors add comments\n{ "rules": { "redis-keys": "warn" } }', 'a.ts': KEYS_CODE }));
    const [finding] = (await analyze(warn)).flatMap((r) => r.findings);
    assert.equal(finding.severity, 'warning');
  });

  it('honours ignorePatterns relative to the config file', async function () {
    const root = tracked(workspace({ 'scalelint.config.json': '{ "ignorePatterns": ["scripts/**"] }', 'scripts/a.ts': KEYS_CODE, 'src/b.ts': KEYS_CODE }));
    assert.deepEqual(lines(await analyze(root)), ['b.ts:6 redis-keys']);
  });
});

describe('engine: suppressions', function () {
  it('honours next-line, same-line and file suppressions, and reports unused ones', async function () {
    const root = tracked(
      workspace({
        'next.ts': `import Redis from 'ioredis';\nconst r = new Redis();\n// scalelint-disable-next-line redis-keys -- admin tool\nexport const a = () => r.keys('*');\n`,
        'same.ts': `import Redis from 'ioredis';\nconst r = new Redis();\nexport const a = () => r.keys('*'); // scalelint-disable-line redis-keys\n`,
        'file.ts': `/* scalelint-disable redis-keys */\nimport Redis from 'ioredis';\nconst r = new Redis();\nexport const a = () => r.keys('*');\nexport const b = () => r.flushall();\n`,
        'unused.ts': `import Redis from 'ioredis';\nconst r = new Redis();\n// scalelint-disable-next-line redis-keys -- stale\nexport const a = () => r.get('x');\nexport const b = () => 1; // scalelint-disable-line redis-kyes\n`,
        'string.ts': `import Redis from 'ioredis';\nconst r = new Redis();\nexport const s = '// scalelint-disable-next-line redis-keys';\nexport const a = () => r.keys('*');\n`,
      }),
    );
    const results = await analyze(root);
    assert.deepEqual(lines(results).sort(), ['string.ts:4 redis-keys', 'unused.ts:3 unused-suppression', 'unused.ts:5 unused-suppression']);
    const unused = results.find((r) => r.file.endsWith('unused.ts'))!;
    assert.match(unused.findings[1].message, /'redis-kyes', which is not a scalelint rule/);
    // The fix removes the whole comment line.
    const [edit] = unused.findings[0].fixes[0].edits;
    assert.equal(unused.text.slice(0, edit.start) + unused.text.slice(edit.end), `import Redis from 'ioredis';\nconst r = new Redis();\nexport const a = () => r.get('x');\nexport const b = () => 1; // scalelint-disable-line redis-kyes\n`);
  });
});

describe('engine: suppressions of statements that span lines', function () {
  it('cover a finding deep in the statement from the line it starts on, but not a whole class', async function () {
    const root = tracked(
      workspace({
        'multi.ts': `import Redis from 'ioredis';\nconst r = new Redis();\nexport async function a() {\n  // scalelint-disable-next-line redis-keys -- admin tool\n  const [one, all] = await Promise.all([\n    r.get('x'),\n    r.keys('*'),\n  ]);\n  return { one, all };\n}\n`,
        'trailing.ts': `import Redis from 'ioredis';\nconst r = new Redis();\nexport async function a() {\n  const [one, all] = await Promise.all([ // scalelint-disable-line redis-keys\n    r.get('x'),\n    r.keys('*'),\n  ]);\n  return { one, all };\n}\n`,
        'class.ts': `import Redis from 'ioredis';\nconst r = new Redis();\n// scalelint-disable-next-line redis-keys\nexport class Admin {\n  all = () => r.keys('*');\n}\n`,
      }),
    );
    const results = await analyze(root);
    assert.deepEqual(lines(results).sort(), ['class.ts:3 unused-suppression', 'class.ts:5 redis-keys']);
  });
});

describe('engine: fingerprints', function () {
  it('survive line moves and unrelated edits, and tell identical findings apart', async function () {
    const before = `import Redis from 'ioredis';\nconst r = new Redis();\nexport const a = () => r.keys('*');\nexport const b = () => r.keys('*');\n`;
    const after = `import Redis from 'ioredis';\n\n// a comment\nconst r = new Redis();\n\nexport function unrelated() { return 42; }\nexport const a = () =>\n  r.keys('*');\nexport const b = () => r.keys('*');\n`;
    const root = tracked(workspace({ 'a.ts': before }));
    const first = (await analyze(root)).flatMap((r) => r.findings.map((f) => f.fingerprint));
    fs.writeFileSync(path.join(root, 'a.ts'), after);
    const second = (await analyze(root)).flatMap((r) => r.findings.map((f) => f.fingerprint));
    assert.equal(first.length, 2);
    assert.notEqual(first[0], first[1]);
    assert.deepEqual(second, first);
  });
});

describe('engine: fixes only where they compile', function () {
  this.timeout(120_000);
  // ioredis's Cluster has no scanStream, and one SCAN sees one node: KEYS there is reported with no rewrite,
  // while KEYS on a single Redis gets the SCAN loop.
  it('offers no SCAN rewrite of KEYS on an ioredis Cluster, and offers it on a single client', async function () {
    const engine = new Engine({ rules: RULES, root: FIXTURES });
    await engine.ready;
    const keysFindings = (file: string) => engine.analyzeFile(path.join(FIXTURES, 'redis-keys', file)).findings.filter((finding) => finding.ruleId === 'redis-keys' && /KEYS/.test(finding.message));
    const onCluster = keysFindings('ioredis-cluster.ts');
    assert.ok(onCluster.length > 0, 'KEYS on the cluster is reported');
    assert.deepEqual(onCluster.map((finding) => finding.fixes.map((fix) => fix.title)), onCluster.map(() => []));
    const single = keysFindings('ioredis-keys.ts');
    assert.ok(single.some((finding) => finding.fixes.some((fix) => fix.title === 'Replace KEYS with SCAN iteration')));
    // Callback style: the rewrite would drop the callback and its code.
    const callback = keysFindings('callback-keys.ts');
    assert.equal(callback.length, 1);
    assert.deepEqual(callback[0].fixes, []);
  });
});
