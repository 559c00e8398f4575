// Edit latency of the real language server over stdio: time from didChange to fresh diagnostics for
// the changed file (pull diagnostics when the server offers them, push otherwise), and memory growth
// over a soak of further edits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const rpc = require('vscode-jsonrpc/node');
const SERVER_EXEC_ARGV = require('../package.json').scalelint?.serverExecArgv ?? [];

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function measureEditLatency({ server, workspace, file, edits, soak }) {
  // Launched as the extension launches it (package.json `scalelint.serverExecArgv`): with `--expose-gc`, so
  // the server collects once idle, and fully before it reports its heap (`scalelint/memoryUsage`).
  const child = spawn(process.execPath, [...SERVER_EXEC_ARGV, server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  const uri = pathToFileURL(file).href;
  const waiting = new Map();
  connection.onNotification('textDocument/publishDiagnostics', (params) => {
    if (params.uri !== uri) return;
    const resolve = waiting.get(params.version ?? -1) ?? (params.version === undefined ? [...waiting.values()][0] : undefined);
    if (resolve) {
      waiting.delete(params.version);
      resolve();
    }
  });
  connection.onRequest('workspace/configuration', (params) => params.items.map(() => null));
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  // The server scans the whole workspace once after start-up (work-done progress). Edits timed during
  // that scan would wait behind it: time the scan on its own and the edits once it is over.
  let scanEnded;
  const scanned = new Promise((resolve) => (scanEnded = resolve));
  connection.onUnhandledProgress((params) => {
    if (params.value?.kind === 'end') scanEnded(process.hrtime.bigint());
  });
  connection.onNotification(() => undefined);
  connection.listen();
  const started = process.hrtime.bigint();

  const init = await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(workspace).href,
    workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'bench' }],
    capabilities: { textDocument: { diagnostic: { dynamicRegistration: false }, publishDiagnostics: { versionSupport: true } }, workspace: { configuration: true }, window: { workDoneProgress: true } },
  });
  const pull = Boolean(init.capabilities?.diagnosticProvider);
  await connection.sendNotification('initialized', {});

  let text = readFileSync(file, 'utf8');
  let version = 1;
  const fresh = async (v) => {
    if (pull) {
      await connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
      return;
    }
    await new Promise((resolve) => waiting.set(v, resolve));
  };
  const opened = fresh(version);
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
  await opened;

  const edit = async () => {
    version += 1;
    const line = `// edit ${version}\n`;
    text = line + text;
    const done = fresh(version);
    const started = process.hrtime.bigint();
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: line }],
    });
    await done;
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  const scanTimeoutMs = Number(process.env.BENCH_SCAN_TIMEOUT_MS ?? 900_000);
  let scanTimer;
  const scanEnd = await Promise.race([scanned, new Promise((resolve) => (scanTimer = setTimeout(() => resolve(undefined), scanTimeoutMs)))]);
  // A pending timer would keep `npm run bench` alive for the rest of the timeout after printing the table.
  clearTimeout(scanTimer);
  const scanSeconds = scanEnd === undefined ? NaN : Number(scanEnd - started) / 1e9;

  // Warm up, then time.
  for (let i = 0; i < 10; i++) await edit();
  const samples = [];
  for (let i = 0; i < edits; i++) samples.push(await edit());
  // Memory. The live heap after a full collection is what the server keeps. RSS also moves with how far
  // V8 lets the heap grow between full collections while edits keep coming (a sawtooth), and V8 gives
  // memory back once the process is idle: so RSS is compared after the same idle pause before and after
  // the soak, and its peak while editing is reported beside it.
  const heapMb = async () => (await connection.sendRequest('scalelint/memoryUsage')).heapUsedBytes / 2 ** 20;
  const idleMs = Number(process.env.BENCH_IDLE_MS ?? 15_000);
  await sleep(idleMs);
  const rssBeforeMb = rssMb(child.pid);
  const heapBeforeMb = await heapMb();
  let rssPeakMb = 0;
  for (let i = 0; i < soak; i++) {
    await edit();
    rssPeakMb = Math.max(rssPeakMb, rssMb(child.pid));
  }
  await sleep(idleMs);
  const rssAfterMb = rssMb(child.pid);
  const heapAfterMb = await heapMb();

  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  connection.dispose();
  child.kill();

  samples.sort((a, b) => a - b);
  return {
    edits,
    soak,
    mode: pull ? 'pull' : 'push',
    scanSeconds,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    max: samples[samples.length - 1],
    idleSeconds: idleMs / 1000,
    rssBeforeMb,
    rssAfterMb,
    rssPeakMb,
    growthPercent: ((rssAfterMb - rssBeforeMb) / rssBeforeMb) * 100,
    heapBeforeMb,
    heapAfterMb,
    heapGrowthPercent: ((heapAfterMb - heapBeforeMb) / heapBeforeMb) * 100,
  };
}
