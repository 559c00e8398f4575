// End-to-end: the bundled language server (dist/server.js) over stdio, driven by a real JSON-RPC client.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { RULES } from '../../rules';
import { docsUrl } from '../../server/src/engine/docs';
import { MEMORY_USAGE_REQUEST, type MemoryUsage } from '../../server/src/lsp/language-server';
import { LspClient, makeWorkspace, REPO_ROOT, uri } from './lsp-client';

const REDIS_FIXTURES = path.join(REPO_ROOT, 'fixtures', 'redis-keys');
const fixture = (name: string): string => fs.readFileSync(path.join(REDIS_FIXTURES, name), 'utf8');
/** Only redis-keys on: these tests are about the server, not about which other rules fire on the fixture. */
const onlyRedisKeys = { rules: Object.fromEntries(RULES.filter((rule) => rule.meta.id !== 'redis-keys').map((rule) => [rule.meta.id, 'off'])) };
const redisKeys = (diagnostics: Diagnostic[]): Diagnostic[] => diagnostics.filter((diagnostic) => diagnostic.code === 'redis-keys');

describe('language server over stdio', function () {
  let root: string;
  let client: LspClient;
  let file: string;

  beforeEach(async () => {
    root = makeWorkspace({ 'src/cache.ts': fixture('ioredis-keys.ts'), 'src/look-alikes.ts': fixture('look-alikes.ts') });
    file = path.join(root, 'src', 'cache.ts');
  });

  afterEach(async () => {
    await client?.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function start(options: Partial<ConstructorParameters<typeof LspClient>[0]> = {}): Promise<Record<string, unknown>> {
    client = new LspClient({ root, settings: { ...onlyRedisKeys, scanWorkspaceOnStartup: false }, ...options });
    return client.initialize();
  }

  it('initializes with code actions, fix-all, hover and the analyze command', async () => {
    const result = (await start()) as { capabilities: Record<string, any> };
    assert.deepEqual(result.capabilities.codeActionProvider.codeActionKinds, ['quickfix', 'source.fixAll.scalelint']);
    assert.equal(result.capabilities.hoverProvider, true);
    assert.deepEqual(result.capabilities.executeCommandProvider.commands, ['scalelint.analyzeWorkspace']);
    assert.equal(result.capabilities.textDocumentSync.change, 2, 'incremental sync');
    assert.equal(result.capabilities.diagnosticProvider, undefined, 'push mode for a client without pull support');
  });

  it('reports its memory use, after a full collection when started with --expose-gc (the benchmark\'s soak)', async () => {
    await start({ nodeArgs: ['--expose-gc'] });
    client.open(file);
    await client.waitForDiagnostics(file, (diagnostics) => diagnostics.length > 0);
    const usage = await client.connection.sendRequest<MemoryUsage>(MEMORY_USAGE_REQUEST);
    assert.equal(usage.afterFullGc, true);
    assert.ok(usage.heapUsedBytes > 1e6 && usage.heapUsedBytes < usage.rssBytes, JSON.stringify(usage));
    await client.shutdown();
    await start();
    assert.equal((await client.connection.sendRequest<MemoryUsage>(MEMORY_USAGE_REQUEST)).afterFullGc, false);
  });

  it('started as the extension starts it, collects its garbage once the edits stop', async function () {
    this.timeout(60_000);
    const { serverExecArgv } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scalelint as { serverExecArgv: string[] };
    await start({ nodeArgs: serverExecArgv });
    client.open(file);
    await client.waitForDiagnostics(file, (diagnostics) => diagnostics.length > 0);
    const collected = /idle: full garbage collection, heap (\d+) → (\d+) MB/;
    assert.ok(!client.logs.some((line) => collected.test(line)), 'not while the file is being analysed');
    // The TypeScript libraries alone leave more garbage than the collector's threshold.
    await client.waitFor(() => client.logs.some((line) => collected.test(line)), 20_000, () => 'an idle collection in the log');
    const [, before, after] = collected.exec(client.logs.find((line) => collected.test(line))!)!;
    assert.ok(Number(after) < Number(before), `${before} → ${after} MB`);
  });

  it('publishes diagnostics with rule code, guidance link and severity for an open fixture', async () => {
    await start();
    client.open(file);
    const diagnostics = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length > 0));
    assert.equal(diagnostics.length, 4, JSON.stringify(diagnostics.map((d) => d.message)));
    const first = diagnostics[0];
    assert.equal(first.source, 'scalelint');
    assert.equal(first.codeDescription?.href, docsUrl('redis-keys'));
    assert.equal(first.severity, 1, 'redis-keys defaults to error');
    assert.match(String(first.message), /walks every key in the database/);
    // Line 7 of the fixture: `const keys = await redis.keys(...)`, range on the call.
    const line = client.document(file).getText().split('\n')[first.range.start.line];
    assert.equal(line.slice(first.range.start.character, first.range.end.character), 'redis.keys(`session:${userId}:*`)');
  });

  it('offers the fix (preferred), disable line/file and guidance; applying the fix clears the diagnostic', async () => {
    await start();
    client.open(file);
    const [keys] = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4));
    const actions = await client.codeActions(file, keys);
    const titles = actions.map((action) => action.title);
    assert.deepEqual(titles, ['Replace KEYS with SCAN iteration', 'Disable redis-keys for this line', 'Disable redis-keys for this file', 'Show guidance for redis-keys', 'Fix all safe scalelint problems (3)']);
    const [fix, , , guidance] = actions;
    assert.equal(fix.isPreferred, true);
    assert.equal(fix.kind, 'quickfix');
    assert.deepEqual(guidance.command?.command, 'scalelint.openRuleGuidance');
    assert.deepEqual(guidance.command?.arguments, ['redis-keys', docsUrl('redis-keys')]);

    client.applyWorkspaceEdit(fix.edit!);
    const after = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 3));
    assert.ok(!after.some((diagnostic) => diagnostic.range.start.line === keys.range.start.line && /KEYS/.test(String(diagnostic.message))));
    assert.match(client.document(file).getText(), /redis\.scanStream\(\{ match: `session:\$\{userId\}:\*`, count: 1000 \}\)/);
  });

  it('source.fixAll.scalelint applies the safe fixes and yields the fixture\'s .fixed.ts text', async () => {
    await start();
    client.open(file);
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4);
    const [fixAll] = await client.fixAll(file);
    assert.equal(fixAll.kind, 'source.fixAll.scalelint');
    client.applyWorkspaceEdit(fixAll.edit!);
    assert.equal(client.document(file).getText(), fixture('ioredis-keys.fixed.ts'));
    // call('KEYS', …) has no safe fix: the only finding left.
    const left = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 1));
    assert.match(String(left[0].message), /KEYS 'tmp:\*'/);
  });

  it('"disable for this line" inserts a suppression with a reason placeholder that silences the finding', async () => {
    await start();
    client.open(file);
    const [keys] = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4));
    const disable = (await client.codeActions(file, keys)).find((action) => action.title === 'Disable redis-keys for this line') as CodeAction;
    client.applyWorkspaceEdit(disable.edit!);
    const text = client.document(file).getText().split('\n');
    assert.equal(text[keys.range.start.line], '  // scalelint-disable-next-line redis-keys -- <why this is safe here>');
    const after = await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 3);
    assert.ok(!after.some((diagnostic) => diagnostic.code === 'unused-suppression'), 'the new suppression is used');
  });

  it('"disable for this file" silences every finding of the rule in the file', async () => {
    await start();
    client.open(file);
    const [keys] = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4));
    const disable = (await client.codeActions(file, keys)).find((action) => action.title === 'Disable redis-keys for this file') as CodeAction;
    client.applyWorkspaceEdit(disable.edit!);
    assert.ok(client.document(file).getText().startsWith('/* scalelint-disable redis-keys -- <why this is safe here> */\n'));
    const after = await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 0);
    assert.deepEqual(after.filter((diagnostic) => diagnostic.code === 'unused-suppression'), []);
  });

  it('hover on a flagged range shows the rule summary, the cost and the guidance link', async () => {
    await start();
    client.open(file);
    const [keys] = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4));
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(file) }, position: { line: keys.range.start.line, character: keys.range.start.character + 3 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /\*\*scalelint · redis-keys\*\*/);
    assert.ok(value.includes(RULES.find((rule) => rule.meta.id === 'redis-keys')!.meta.description), value);
    assert.match(value, /about a second per 10 million keys/);
    assert.ok(value.includes(`(${docsUrl('redis-keys')})`), value);
    const nothing = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(file) }, position: { line: 0, character: 0 } });
    assert.equal(nothing, null);
  });

  it('hover links open the shipped guidance through the client command when the client has it', async () => {
    await start({ initializationOptions: { guidanceCommand: true } });
    client.open(file);
    const [keys] = redisKeys(await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4));
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(file) }, position: keys.range.start })) as Hover;
    assert.match((hover.contents as MarkupContent).value, /\(command:scalelint\.openRuleGuidance\?%5B%22redis-keys%22/);
  });

  it('pull diagnostics: textDocument/diagnostic answers with the findings of the current text', async () => {
    const result = (await start({ pull: true })) as { capabilities: Record<string, any> };
    assert.equal(result.capabilities.diagnosticProvider.interFileDependencies, true);
    client.open(file);
    const pull = async (): Promise<Diagnostic[]> => ((await client.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: uri(file) } })) as { items: Diagnostic[] }).items;
    assert.equal(redisKeys(await pull()).length, 4);
    const document = client.document(file);
    const line = document.getText().split('\n').findIndex((text) => text.includes('flushdb()'));
    client.edit(file, [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }]);
    assert.equal(redisKeys(await pull()).length, 3);
    assert.equal(client.diagnostics.size, 0, 'nothing pushed in pull mode');
  });

  it('scans the workspace on start-up with percentage progress and publishes closed files', async () => {
    client = new LspClient({ root, settings: onlyRedisKeys });
    await client.initialize();
    await client.waitFor(() => client.progress.some((value) => value.kind === 'end'), 60_000, () => JSON.stringify(client.progress));
    const begin = client.progress.find((value) => value.kind === 'begin');
    assert.equal(begin?.title, 'scalelint');
    const reports = client.progress.filter((value): value is { kind: 'report'; percentage: number; message: string } => value.kind === 'report');
    assert.deepEqual(reports.map((report) => report.percentage), [50, 100]);
    assert.deepEqual(reports.map((report) => report.message).sort(), [path.join('src', 'cache.ts'), path.join('src', 'look-alikes.ts')]);
    assert.equal(redisKeys(client.diagnostics.get(uri(file))?.diagnostics ?? []).length, 4);
    assert.deepEqual(client.diagnostics.get(uri(path.join(root, 'src', 'look-alikes.ts')))?.diagnostics, [], 'look-alikes are negatives');

    // On demand, through the command.
    const summary = await client.connection.sendRequest('workspace/executeCommand', { command: 'scalelint.analyzeWorkspace', arguments: [] });
    assert.deepEqual(summary, { files: 2, findings: 4 });
  });

  it('follows setting changes and scalelint.config.json changes without a restart', async () => {
    await start();
    client.open(file);
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4);
    assert.ok(client.registrations.some((registration) => registration.method === 'workspace/didChangeWatchedFiles'));

    fs.writeFileSync(path.join(root, 'scalelint.config.json'), JSON.stringify({ rules: { 'redis-keys': 'info' } }));
    void client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(path.join(root, 'scalelint.config.json')), type: 1 }] });
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4 && redisKeys(found).every((diagnostic) => diagnostic.severity === 3));

    client.settings = { ...onlyRedisKeys, rules: { ...onlyRedisKeys.rules, 'redis-keys': 'off' }, scanWorkspaceOnStartup: false };
    void client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 0);
  });

  it('shows a broken scalelint.config.json where it is and keeps analysing with defaults', async () => {
    fs.writeFileSync(path.join(root, 'scalelint.config.json'), '{ "rules": { "redis-keys": "loud" } }');
    await start();
    const configFile = path.join(root, 'scalelint.config.json');
    const [problem] = await client.waitForDiagnostics(configFile, (found) => found.length === 1);
    assert.equal(problem.source, 'scalelint');
    client.open(file);
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4);
  });

  it('a cross-file N+1 appears when a helper in another file starts querying, and disappears when it stops', async () => {
    const orders = path.join(root, 'src', 'orders.ts');
    const customers = path.join(root, 'src', 'customers.ts');
    const cachedHelper = [
      "import { Pool } from 'pg';",
      '',
      'export const pool = new Pool({ max: 10 });',
      'const names = new Map<number, string>();',
      '',
      'export async function customerName(id: number): Promise<string | undefined> {',
      '  return names.get(id);',
      '}',
      '',
    ].join('\n');
    fs.writeFileSync(customers, cachedHelper);
    fs.writeFileSync(orders, [
      "import { customerName } from './customers';",
      '',
      'export async function labels(orders: { id: number; customerId: number }[]): Promise<string[]> {',
      '  const result: string[] = [];',
      '  for (const order of orders) {',
      '    result.push(`${order.id}: ${await customerName(order.customerId)}`);',
      '  }',
      '  return result;',
      '}',
      '',
    ].join('\n'));
    const onlyNPlusOne = { rules: Object.fromEntries(RULES.filter((rule) => rule.meta.id !== 'n-plus-one').map((rule) => [rule.meta.id, 'off'])), scanWorkspaceOnStartup: false };
    client = new LspClient({ root, settings: onlyNPlusOne });
    await client.initialize();
    const nPlusOne = (diagnostics: Diagnostic[]): Diagnostic[] => diagnostics.filter((diagnostic) => diagnostic.code === 'n-plus-one');
    client.open(orders);
    client.open(customers);
    await client.waitForDiagnostics(orders, () => true);
    assert.deepEqual(nPlusOne(client.diagnostics.get(uri(orders))?.diagnostics ?? []), [], 'a Map lookup per item is no N+1');

    // The helper, unsaved in the editor, now reads from the database: the loop in the other file is an N+1.
    const body = client.document(customers).getText().split('\n').findIndex((line) => line.includes('names.get(id)'));
    const querying = "  const { rows } = await pool.query<{ name: string }>('SELECT name FROM customers WHERE id = $1', [id]);\n  return rows[0]?.name;\n";
    client.edit(customers, [{ range: { start: { line: body, character: 0 }, end: { line: body + 1, character: 0 } }, newText: querying }]);
    const [found] = nPlusOne(await client.waitForDiagnostics(orders, (diagnostics) => nPlusOne(diagnostics).length === 1));
    assert.match(String(found.message), /1 query per order in the loop over `orders` \(line 5\) through customerName\(\)/);
    assert.ok(found.relatedInformation?.some((related) => related.location.uri === uri(customers) && /SELECT name FROM customers/.test(related.message)), JSON.stringify(found.relatedInformation));

    // Back to the in-memory lookup: the finding goes away without touching orders.ts.
    const start = client.document(customers).getText().split('\n').findIndex((line) => line.includes('pool.query'));
    client.edit(customers, [{ range: { start: { line: start, character: 0 }, end: { line: start + 2, character: 0 } }, newText: '  return names.get(id);\n' }]);
    await client.waitForDiagnostics(orders, (diagnostics) => nPlusOne(diagnostics).length === 0);
  });

  it('survives hostile buffers: syntax errors, binary noise, deep nesting; other files keep working', async () => {
    await start();
    const broken = path.join(root, 'src', 'broken.ts');
    client.open(broken, 'export async function f( {\n  await redis.keys("x"\n');
    client.open(path.join(root, 'src', 'noise.ts'), '\u0000\u0001\uffff'.repeat(2000));
    client.open(path.join(root, 'src', 'deep.ts'), `export const x = ${'['.repeat(20_000)}${']'.repeat(20_000)};`);
    client.open(file);
    await client.waitForDiagnostics(file, (found) => redisKeys(found).length === 4);
    await client.waitForDiagnostics(broken, () => true);
    const actions = await client.fixAll(broken);
    assert.ok(Array.isArray(actions));
    assert.equal(client.process.exitCode, null, 'server still running');
  });
});
