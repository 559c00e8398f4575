// A real JSON-RPC client for the bundled language server (dist/server.js over stdio): what an editor
// does, minus the editor. Keeps documents, collects pushed diagnostics and progress, answers the
// server's requests (configuration, registrations, progress tokens).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type CodeAction,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextEdit,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SERVER = path.join(REPO_ROOT, 'dist', 'server.js');

export interface ClientOptions {
  root: string;
  /** Declare pull-diagnostics support (textDocument/diagnostic). */
  pull?: boolean;
  /** Answer to workspace/configuration for the `scalelint` section. */
  settings?: Record<string, unknown>;
  initializationOptions?: Record<string, unknown>;
  /** Node flags for the server process (`--expose-gc`). */
  nodeArgs?: string[];
}

type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  readonly documents = new Map<string, TextDocument>();
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly progress: ProgressValue[] = [];
  readonly logs: string[] = [];
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  settings: Record<string, unknown>;
  private waiters: (() => void)[] = [];
  private stderr = '';

  constructor(private readonly options: ClientOptions) {
    this.settings = options.settings ?? {};
    this.process = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER, '--stdio'], { cwd: options.root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, params);
      this.notify();
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => {
      this.logs.push(params.message);
      this.notify();
    });
    this.connection.onNotification('$/progress', (params: { value: ProgressValue }) => {
      this.progress.push(params.value);
      this.notify();
    });
    this.connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => params.items.map(() => this.settings));
    this.connection.onRequest('client/registerCapability', (params: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      this.registrations.push(...params.registrations);
      return null;
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('workspace/diagnostic/refresh', () => {
      this.refreshes++;
      this.notify();
      return null;
    });
    this.connection.listen();
  }

  refreshes = 0;

  async initialize(): Promise<Record<string, unknown>> {
    const capabilities: ClientCapabilities = {
      workspace: {
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true },
        workspaceEdit: { documentChanges: true, resourceOperations: ['create'] },
      },
      window: { workDoneProgress: true },
      textDocument: {
        synchronization: { dynamicRegistration: false },
        codeAction: { disabledSupport: true, codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } } },
        hover: { contentFormat: ['markdown'] },
        publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, versionSupport: true },
        ...(this.options.pull ? { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } } : {}),
      },
    };
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri(this.options.root),
      workspaceFolders: [{ uri: uri(this.options.root), name: path.basename(this.options.root) }],
      capabilities,
      initializationOptions: this.options.initializationOptions,
    });
    await this.connection.sendNotification('initialized', {});
    return result as Record<string, unknown>;
  }

  open(file: string, text = fs.readFileSync(file, 'utf8')): TextDocument {
    const document = TextDocument.create(uri(file), languageOf(file), 1, text);
    this.documents.set(document.uri, document);
    void this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: document.uri, languageId: document.languageId, version: 1, text } });
    return document;
  }

  /** Applies LSP edits to an open document and sends them as incremental changes, as an editor does. */
  edit(file: string, edits: TextEdit[]): TextDocument {
    const current = this.document(file);
    const text = TextDocument.applyEdits(current, edits);
    // Later edits first, so each range still refers to the text it was computed on.
    const sorted = [...edits].sort((a, b) => current.offsetAt(b.range.start) - current.offsetAt(a.range.start));
    const updated = TextDocument.update(current, sorted.map((edit) => ({ range: edit.range, text: edit.newText })), current.version + 1);
    if (updated.getText() !== text) throw new Error('edit application mismatch');
    this.documents.set(updated.uri, updated);
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: updated.uri, version: updated.version },
      contentChanges: sorted.map((edit) => ({ range: edit.range, text: edit.newText })),
    });
    return updated;
  }

  /** Applies a code action's workspace edit to the open documents it touches. */
  applyWorkspaceEdit(edit: WorkspaceEdit): void {
    for (const [documentUri, edits] of Object.entries(edit.changes ?? {})) this.edit(fileOf(documentUri), edits);
    for (const change of edit.documentChanges ?? []) {
      if ('textDocument' in change) this.edit(fileOf(change.textDocument.uri), change.edits as TextEdit[]);
    }
  }

  close(file: string): void {
    const document = this.document(file);
    this.documents.delete(document.uri);
    void this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: document.uri } });
  }

  document(file: string): TextDocument {
    const document = this.documents.get(uri(file));
    if (!document) throw new Error(`not open: ${file}`);
    return document;
  }

  async codeActions(file: string, diagnostic: Diagnostic, only?: string[]): Promise<CodeAction[]> {
    return this.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uri(file) },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], ...(only ? { only } : {}) },
    }) as Promise<CodeAction[]>;
  }

  async fixAll(file: string): Promise<CodeAction[]> {
    const document = this.document(file);
    return this.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: document.uri },
      range: { start: { line: 0, character: 0 }, end: document.positionAt(document.getText().length) },
      context: { diagnostics: [], only: ['source.fixAll.scalelint'] },
    }) as Promise<CodeAction[]>;
  }

  /**
   * Waits until `test` returns a value for the pushed diagnostics of `file` (checked on every message
   * from the server), or fails after `timeoutMs` with what was last seen.
   */
  async waitForDiagnostics(file: string, test: (diagnostics: Diagnostic[], params: PublishDiagnosticsParams) => boolean, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const key = uri(file);
    await this.waitFor(() => {
      const params = this.diagnostics.get(key);
      return params !== undefined && (params.version === undefined || !this.documents.has(key) || params.version === this.documents.get(key)?.version) && test(params.diagnostics, params);
    }, timeoutMs, () => `diagnostics of ${file}: ${JSON.stringify(this.diagnostics.get(key)?.diagnostics.map((d) => `${d.code}@${d.range.start.line}`))}`);
    return this.diagnostics.get(key)!.diagnostics;
  }

  async waitFor(condition: () => boolean, timeoutMs = 30_000, describe: () => string = () => ''): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting; ${describe()}\nserver log:\n${this.logs.slice(-20).join('\n')}\n${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((resolve) => setTimeout(resolve, 5000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // The process may already be gone.
    }
    await new Promise<void>((resolve) => {
      if (this.process.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        this.process.kill();
        resolve();
      }, 5000);
      this.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connection.dispose();
  }

  get serverStderr(): string {
    return this.stderr;
  }
}

export function uri(file: string): string {
  return pathToFileURL(file).href;
}

export function fileOf(documentUri: string): string {
  return new URL(documentUri).pathname;
}

function languageOf(file: string): string {
  if (/\.tsx$/.test(file)) return 'typescriptreact';
  if (/\.[cm]?ts$/.test(file)) return 'typescript';
  if (/\.jsx$/.test(file)) return 'javascriptreact';
  return 'javascript';
}

/**
 * A throw-away workspace under the OS temp folder: the given files, a tsconfig, and the repository's
 * node_modules linked in so the real library declarations resolve.
 */
export function makeWorkspace(files: Record<string, string>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-lsp-')));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const withTsconfig = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2023'], module: 'preserve', moduleResolution: 'bundler', strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] }, include: ['src/**/*.ts'] }, null, 2),
    ...files,
  };
  for (const [relative, text] of Object.entries(withTsconfig)) {
    const target = path.join(root, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return root;
}
