// The real editor: VS Code's own workbench and extension host (code-server, installed by
// scripts/setup/ui.sh) in Debian's chromium, driven by playwright-core. Installs the packaged .vsix,
// opens a copy of fixtures/demo-shop, and checks squiggles, the Problems panel, a quick-fix applied
// through the UI, and the offline guidance page. Screenshots go to test-artifacts/.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RULES } from '../../rules';
import { Engine } from '../../server/src/engine/engine';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const TOOLS = path.join(REPO_ROOT, '.tools');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const CODE_SERVER = path.join(TOOLS, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';

function node24(): string {
  const modules = path.join(TOOLS, 'node24', 'node_modules');
  const platform = fs.existsSync(modules) ? fs.readdirSync(modules).find((name) => name.startsWith('node-linux-')) : undefined;
  if (!platform) throw new Error('Node 24 is missing: run bash scripts/setup/ui.sh');
  return path.join(modules, platform, 'bin', 'node');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('VS Code (code-server) with the packaged extension, on fixtures/demo-shop', function () {
  this.timeout(300_000);
  let temp: string;
  let workspace: string;
  let serverProcess: ChildProcess | undefined;
  let serverLog = '';
  let browser: Browser | undefined;
  let page: Page;
  /** Files of the demo with findings, per the engine itself: the Problems panel must list them all. */
  let expectedFiles: string[];

  before(async function () {
    this.timeout(600_000);
    assert.ok(fs.existsSync(CODE_SERVER), 'code-server is missing: run bash scripts/setup/ui.sh');
    assert.ok(fs.existsSync(CHROMIUM), 'chromium is missing: run bash scripts/setup/ui.sh');
    temp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-ui-')));
    fs.mkdirSync(ARTIFACTS, { recursive: true });

    // The .vsix exactly as `npm run package` builds it (from the bundles of this build).
    const vsix = path.join(temp, 'scalelint.vsix');
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--readme-path', 'client/README.md', '--out', vsix], { cwd: REPO_ROOT, stdio: 'pipe' });

    workspace = path.join(temp, 'demo-shop');
    fs.cpSync(path.join(REPO_ROOT, 'fixtures', 'demo-shop'), workspace, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(workspace, 'node_modules'), 'dir');
    const engine = new Engine({ rules: RULES, root: workspace });
    const { results } = await engine.analyzePaths([workspace]);
    expectedFiles = results.filter((result) => result.findings.length > 0).map((result) => path.basename(result.file));
    assert.ok(expectedFiles.includes('cache.ts'), `the demo's redis-keys finding in src/lib/cache.ts: ${expectedFiles}`);

    const userData = path.join(temp, 'user-data');
    const extensions = path.join(temp, 'extensions');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.ignoreRecommendations': true,
      'security.workspace.trust.enabled': false,
      'git.enabled': false,
      'typescript.tsserver.experimental.enableProjectDiagnostics': false,
    }));
    const node = node24();
    const common = ['--user-data-dir', userData, '--extensions-dir', extensions];
    const installed = execFileSync(node, [CODE_SERVER, ...common, '--install-extension', vsix], { encoding: 'utf8' });
    assert.match(installed, /scalelint.*successfully installed/i);

    const port = await freePort();
    serverProcess = spawn(node, [CODE_SERVER, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
    serverProcess.stdout?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    serverProcess.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/HTTP server listening/.test(serverLog)) {
      if (Date.now() > deadline || serverProcess.exitCode !== null) throw new Error(`code-server did not start:\n${serverLog}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  });

  after(async () => {
    await browser?.close();
    if (serverProcess && serverProcess.exitCode === null) {
      serverProcess.kill('SIGTERM');
      await new Promise((resolve) => serverProcess?.once('exit', resolve));
    }
    // code-server may still be flushing its workspace storage as it exits: retry instead of failing.
    if (temp) fs.rmSync(temp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `code-server-${name}.png`) });
  }

  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  }

  async function openFile(relative: string): Promise<void> {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relative);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`.tab[data-resource-name="${path.basename(relative)}"]`).waitFor();
  }

  it('shows squiggles in the open file and every demo finding in the Problems panel', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
    await openFile('src/lib/cache.ts');
    // redis-keys is an error: a red squiggle under redis.keys(pattern).
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 120_000 });
    await page.locator('.statusbar-item', { hasText: /scalelint: [1-9]/ }).waitFor({ timeout: 60_000 });

    await page.keyboard.press('Control+Shift+M');
    const panel = page.locator('.markers-panel');
    await panel.waitFor();
    // The workspace scan fills in the files that are not open. The panel's list is virtual (rows out of
    // view are not in the page), so each file is looked up through the panel's filter box.
    const filter = page.locator('input[placeholder^="Filter"]').first();
    for (const file of expectedFiles) {
      await filter.fill(file);
      await panel.locator('.monaco-list-row', { hasText: file }).first().waitFor({ timeout: 120_000 });
    }
    await filter.fill('');
    await panel.locator('.monaco-list-row', { hasText: 'redis-keys' }).first().waitFor();
    assert.match(await panel.innerText(), /scalelint/);
    await screenshot('problems');
  });

  it('applies the redis-keys quick-fix through the light bulb menu and saves the new text', async () => {
    const file = path.join(workspace, 'src', 'lib', 'cache.ts');
    const before = fs.readFileSync(file, 'utf8');
    const lines = before.split('\n');
    const line = lines.findIndex((text) => text.includes('redis.keys('));
    const column = lines[line].indexOf('redis.keys(') + 4;
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(`:${line + 1}:${column}`);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Replace KEYS with SCAN iteration' });
    await fix.waitFor({ timeout: 60_000 });
    assert.ok(await page.locator('.action-widget .monaco-list-row', { hasText: 'Show guidance for redis-keys' }).count() > 0);
    await screenshot('quick-fix-menu');
    await fix.click();
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 30_000;
    while (fs.readFileSync(file, 'utf8') === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const after = fs.readFileSync(file, 'utf8');
    assert.notEqual(after, before, 'the file was saved with the fix');
    assert.ok(!after.includes('redis.keys('), after);
    assert.match(after, /for await \(const batch of redis\.scanStream\(\{ match: pattern, count: 1000 \}\)\)/);
    // The server re-analyses the new text: the red squiggle goes.
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'detached', timeout: 60_000 });
    await screenshot('after-fix');
  });

  it('opens the shipped guidance page offline in the Markdown preview', async () => {
    await runCommand('scalelint: Open Rule Guidance');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'redis-keys' }).first().click();
    await page.locator('.tab', { hasText: 'Preview README.md' }).waitFor({ timeout: 60_000 });
    // The preview renders the page shipped inside the extension (no network here) in a webview.
    const preview = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await preview.locator('h1', { hasText: 'redis-keys' }).waitFor({ timeout: 60_000 });
    assert.match(await preview.locator('body').innerText(), /SCAN/);
    await screenshot('guidance');
  });
});
