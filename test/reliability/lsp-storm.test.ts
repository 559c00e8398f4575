// The language server under load: 1,000 rapid didChange events on one document, interleaved with code
// action, hover and fix-all requests that are cancelled at random moments. The server must stay alive and
// responsive, keep its memory bounded, and end with the diagnostics of the final text.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError, type Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, makeWorkspace, uri } from '../lsp/lsp-client';
import { prng } from './mutate';

const EDITS = 1000;
const REQUEST_CANCELLED = -32800;
const CONTENT_MODIFIED = -32801;
const SERVER_CANCELLED = -32802;

const START = `import Redis from 'ioredis';\n\nconst redis = new Redis({ commandTimeout: 1000 });\n\nexport async function work(): Promise<number> {\n  let total = 0;\n  return total;\n}\n`;

/** Resident memory of a process in MB (Linux /proc), or undefined elsewhere. */
function rssMb(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

describe('reliability: language server under a didChange storm with random cancellations', function () {
  this.timeout(10 * 60 * 1000);
  let root: string;
  let client: LspClient;

  after(async function () {
    await client?.shutdown();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it(`${EDITS} rapid edits and cancelled requests: alive, responsive, bounded memory, correct final diagnostics`, async function () {
    root = makeWorkspace({ 'src/work.ts': START });
    const file = path.join(root, 'src', 'work.ts');
    client = new LspClient({ root, settings: { scanWorkspaceOnStartup: false } });
    await client.initialize();
    client.open(file);
    await client.waitForDiagnostics(file, () => true, 60000);
    const rssBefore = rssMb(client.process.pid);

    const random = prng(0x570e);
    const outcomes = { answered: 0, cancelled: 0, failed: [] as string[] };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < EDITS; i++) {
      const document = client.document(file);
      const lines = document.getText().split('\n');
      // Insert statements inside work(): plain lines, KEYS calls, or delete one of the inserted lines.
      const bodyLine = 6;
      const choice = random();
      if (choice < 0.55 || lines.length < 12) {
        const text = choice < 0.15 ? `  total += (await redis.keys('k${i}:*')).length;\n` : `  total += ${i};\n`;
        client.edit(file, [{ range: { start: { line: bodyLine, character: 0 }, end: { line: bodyLine, character: 0 } }, newText: text }]);
      } else if (choice < 0.8) {
        const line = bodyLine + Math.floor(random() * (lines.length - 10));
        if (lines[line]?.startsWith('  total +=')) client.edit(file, [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }]);
        else client.edit(file, [{ range: { start: { line: bodyLine, character: 0 }, end: { line: bodyLine, character: 0 } }, newText: ' ' }]);
      } else {
        // Typing half a statement and finishing it in the next event: syntax errors mid-storm.
        client.edit(file, [{ range: { start: { line: bodyLine, character: 0 }, end: { line: bodyLine, character: 0 } }, newText: '  total += (' }]);
        client.edit(file, [{ range: { start: { line: bodyLine, character: 12 }, end: { line: bodyLine, character: 12 } }, newText: `${i});\n` }]);
      }
      if (i % 10 === 0) {
        const source = new CancellationTokenSource();
        const position = { line: 2, character: 18 };
        const requests: [string, unknown][] = [
          ['textDocument/hover', { textDocument: { uri: uri(file) }, position }],
          ['textDocument/codeAction', { textDocument: { uri: uri(file) }, range: { start: { line: bodyLine, character: 0 }, end: { line: bodyLine + 1, character: 0 } }, context: { diagnostics: [] as Diagnostic[] } }],
          ['textDocument/codeAction', { textDocument: { uri: uri(file) }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll'] } }],
        ];
        const [method, params] = requests[Math.floor(random() * requests.length)];
        pending.push(
          client.connection.sendRequest(method, params, source.token).then(
            () => void outcomes.answered++,
            (error: unknown) => {
              if (error instanceof ResponseError && [REQUEST_CANCELLED, CONTENT_MODIFIED, SERVER_CANCELLED].includes(error.code)) outcomes.cancelled++;
              else outcomes.failed.push(`${method}: ${(error as Error).message}`);
            },
          ),
        );
        const delay = Math.floor(random() * 4);
        if (delay === 0) source.cancel();
        else setTimeout(() => source.cancel(), delay);
      }
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    assert.deepEqual(outcomes.failed, [], 'requests failed with something other than a cancellation');
    assert.equal(client.process.exitCode, null, `the server died: ${client.serverStderr.slice(-2000)}`);

    // Correct final diagnostics: one redis-keys per KEYS line of the final text, at that line.
    const finalText = client.document(file).getText();
    const keysLines = finalText.split('\n').flatMap((line, index) => (line.includes('redis.keys(') ? [index] : []));
    const diagnostics = await client.waitForDiagnostics(
      file,
      (found) => JSON.stringify(found.filter((d) => d.code === 'redis-keys').map((d) => d.range.start.line)) === JSON.stringify(keysLines),
      120000,
    );
    assert.ok(keysLines.length > 0, 'the storm should leave some KEYS calls to find');

    // Responsive: a fresh request is answered promptly after the storm.
    const started = Date.now();
    await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(file) }, position: { line: keysLines[0], character: 30 } });
    const hoverMs = Date.now() - started;
    const rssAfter = rssMb(client.process.pid);
    console.log(`      storm: ${EDITS} didChange events, ${pending.length} requests (${outcomes.answered} answered, ${outcomes.cancelled} cancelled), final ${keysLines.length} redis-keys diagnostics correct, hover after the storm ${hoverMs} ms, server memory ${rssBefore?.toFixed(0) ?? '?'} → ${rssAfter?.toFixed(0) ?? '?'} MB`);
    assert.ok(diagnostics.length >= keysLines.length);
    assert.ok(hoverMs < 30000, `hover took ${hoverMs} ms after the storm`);
    if (rssBefore !== undefined && rssAfter !== undefined) assert.ok(rssAfter - rssBefore < 768, `server memory grew by ${(rssAfter - rssBefore).toFixed(0)} MB during the storm`);
  });
});
