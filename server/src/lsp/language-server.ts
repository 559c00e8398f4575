// The language server's state and handlers: one Engine per workspace folder, open documents analysed as
// you type (debounced per document, stale results dropped), dependents re-analysed when a file they import
// changes, a workspace scan with progress, and everything rebuilt when config, tsconfig or schema files
// change. Translation to LSP shapes lives in convert.ts, code-actions.ts and hover.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticReportKind,
  FileChangeType,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  WatchKind,
  type ClientCapabilities,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ConfigError, Engine } from '../engine/engine';
import { isSourceFile } from '../engine/project';
import type { EngineMessage, Rule } from '../engine/types';
import { codeActions, FIX_ALL_KIND, type AnalysedDocument } from './code-actions';
import { SOURCE, toDiagnostic } from './convert';
import { hoverAt } from './hover';
import { IdleCollector } from './idle-collector';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from './settings';
import { URI } from './uri';

export const ANALYZE_WORKSPACE_COMMAND = 'scalelint.analyzeWorkspace';
/** Custom request: the server's memory use, `MemoryUsage`. */
export const MEMORY_USAGE_REQUEST = 'scalelint/memoryUsage';

export interface MemoryUsage {
  rssBytes: number;
  heapUsedBytes: number;
  /** Whether a full garbage collection ran first (the server was started with `--expose-gc`). */
  afterFullGc: boolean;
}
/**
 * Debounce, leading edge: an edit that finds no analysis waiting for its document is analysed as soon as the
 * messages already queued behind it are handled; edits that arrive while one waits are a burst of typing,
 * and wait for a pause this long. A single edit so gets its diagnostics without an artificial delay.
 */
const DEBOUNCE_MS = 150;
/** Dependents wait a little longer: the edited file's own result comes first. */
const DEPENDENT_DEBOUNCE_MS = 300;
/** Files whose change alters what every analysis sees: rebuild the engines. */
const PROJECT_FILE = /(^|[\\/])(scalelint\.config\.json|tsconfig[^\\/]*\.json|jsconfig\.json|[^\\/]+\.sql|[^\\/]+\.prisma)$/;
const NEVER_ANALYSED = /[\\/](node_modules|\.git)[\\/]/;

interface Analysed extends AnalysedDocument {
  diagnostics: Diagnostic[];
  /** Engine generation the result was computed with; a rebuild makes every result stale. */
  generation: number;
}

interface Folder {
  root: string;
  engine?: Engine;
}

export interface InitializationOptions {
  /** The client implements `scalelint.openRuleGuidance` (offline guidance pages). */
  guidanceCommand?: boolean;
}

export class ScalelintLanguageServer {
  private readonly documents = new TextDocuments(TextDocument);
  private folders: Folder[] = [];
  private settings: Settings = DEFAULT_SETTINGS;
  private capabilities: ClientCapabilities = {};
  private initializationOptions: InitializationOptions = {};
  private pullDiagnostics = false;
  /** Pull requests per document still waiting to analyse: one more arriving is a burst of typing. */
  private readonly pulling = new Map<string, number>();
  private generation = 0;
  /** Latest result per open document, for diagnostics pulls, code actions and hovers. */
  private readonly results = new Map<string, Analysed>();
  /** Results of closed files from the workspace scan (pushed), kept up to date when their imports change. */
  private readonly closedResults = new Map<string, Analysed>();
  /** Open documents whose result is stale because a file they import changed. */
  private readonly dirty = new Set<string>();
  /** The document version each engine has been given. */
  private readonly flushed = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastMessages = new Map<string, string>();
  private configProblems = new Set<string>();
  private scanRun = 0;
  private scanRequested = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private readonly idle = new IdleCollector({
    collected: (before, after, pauseMs) => this.log('info', `idle: full garbage collection, heap ${megabytes(before)} → ${megabytes(after)} MB in ${Math.round(pauseMs)} ms`),
  });
  /** Settles when the engines' rules have finished their asynchronous set-up (the SQL parser, say). */
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: Connection,
    private readonly rules: readonly Rule[],
  ) {}

  listen(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => void this.guard('initialized', () => this.initialized()));
    connection.onDidChangeConfiguration((change) => void this.guard('configuration', () => this.loadSettings(change.settings)));
    connection.onDidChangeWatchedFiles((params) => this.guard('watched files', () => this.filesChanged(params.changes.map((change) => ({ file: URI.toPath(change.uri), type: change.type })))));
    connection.onCodeAction(async (params) => {
      await this.ready;
      return this.guard('code actions', () => {
        const analysed = this.currentResult(params.textDocument.uri);
        return analysed ? codeActions(analysed, params.range, params.context.only, params.context.diagnostics, this.actionOptions()) : [];
      }) ?? [];
    });
    connection.onHover(async (params) => {
      await this.ready;
      return this.guard('hover', () => {
        const analysed = this.currentResult(params.textDocument.uri);
        return analysed ? hoverAt(analysed, params.position, { rules: new Map(this.rules.map((rule) => [rule.meta.id, rule.meta])), guidanceCommand: !!this.initializationOptions.guidanceCommand }) : undefined;
      }) ?? null;
    });
    // Memory after a full collection when the server runs with `--expose-gc` (the benchmark's soak): RSS
    // alone moves with the collector's sizing, not with what the server keeps.
    connection.onRequest(MEMORY_USAGE_REQUEST, (): MemoryUsage => {
      const afterFullGc = this.idle.collectNow();
      const usage = process.memoryUsage();
      return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, afterFullGc };
    });
    connection.onExecuteCommand((params) => {
      if (params.command === ANALYZE_WORKSPACE_COMMAND) return this.scanWorkspace();
      return undefined;
    });
    connection.languages.diagnostics.on(async (params, token) => {
      const uri = params.textDocument.uri;
      const fresh = (): Analysed | undefined => {
        const cached = this.results.get(uri);
        const document = this.documents.get(uri);
        return cached && document && cached.version === document.version && cached.generation === this.generation && !this.dirty.has(uri) ? cached : undefined;
      };
      let result = fresh();
      if (!result) {
        const burst = (this.pulling.get(uri) ?? 0) > 0;
        this.pulling.set(uri, (this.pulling.get(uri) ?? 0) + 1);
        try {
          await Promise.all([delay(burst ? DEBOUNCE_MS : 0), this.ready]);
        } finally {
          const left = (this.pulling.get(uri) ?? 1) - 1;
          if (left > 0) this.pulling.set(uri, left);
          else this.pulling.delete(uri);
        }
        if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'superseded by a newer edit');
        result = fresh() ?? this.guard('diagnostics', () => this.analyzeOpen(uri));
      }
      return { kind: DocumentDiagnosticReportKind.Full, items: result?.diagnostics ?? [] };
    });
    connection.onShutdown(() => {
      for (const timer of this.timers.values()) clearTimeout(timer);
      clearTimeout(this.refreshTimer);
      clearTimeout(this.rebuildTimer);
      this.idle.dispose();
      this.scanRun++;
    });

    documents.onDidOpen((event) => {
      // In pull mode the client asks for open documents itself; drop what the scan pushed for this file.
      if (this.pullDiagnostics && this.closedResults.delete(event.document.uri)) void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
    });
    documents.onDidChangeContent((change) => {
      if (!this.pullDiagnostics) this.schedule(change.document.uri, this.timers.has(change.document.uri) ? DEBOUNCE_MS : 0);
    });
    documents.onDidClose((event) => this.guard('close', () => this.closed(event.document.uri)));
    documents.listen(connection);
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.capabilities = params.capabilities;
    this.initializationOptions = (params.initializationOptions ?? {}) as InitializationOptions;
    this.pullDiagnostics = !!params.capabilities.textDocument?.diagnostic;
    const roots = params.workspaceFolders?.length
      ? params.workspaceFolders.map((folder) => URI.toPath(folder.uri))
      : [params.rootUri ? URI.toPath(params.rootUri) : params.rootPath ?? process.cwd()];
    this.folders = roots.map((root) => ({ root: path.resolve(root) }));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: ['quickfix', FIX_ALL_KIND], resolveProvider: false },
        hoverProvider: true,
        executeCommandProvider: { commands: [ANALYZE_WORKSPACE_COMMAND] },
        ...(this.pullDiagnostics ? { diagnosticProvider: { identifier: SOURCE, interFileDependencies: true, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'scalelint' },
    };
  }

  private async initialized(): Promise<void> {
    const registration = this.capabilities.workspace;
    if (registration?.didChangeConfiguration?.dynamicRegistration) {
      void this.connection.client.register(DidChangeConfigurationNotification.type, { section: 'scalelint' });
    }
    if (registration?.didChangeWatchedFiles?.dynamicRegistration) {
      const kind = WatchKind.Create | WatchKind.Change | WatchKind.Delete;
      void this.connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: ['**/scalelint.config.json', '**/tsconfig*.json', '**/jsconfig.json', '**/*.sql', '**/*.prisma', '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'].map((globPattern) => ({ globPattern, kind })),
      });
    }
    this.scanRequested = true;
    // Analyses wait for the client's settings (and the engines they build): a pull that arrives first would
    // otherwise be answered by no engine at all.
    const loading = this.loadSettings(undefined);
    const settled: Promise<void> = loading.then(() => (this.ready === settled ? undefined : this.ready));
    this.ready = settled;
    await loading;
  }

  /** Reads `scalelint.*` settings; a change rebuilds the engines. */
  private async loadSettings(pushed: unknown): Promise<void> {
    let raw: unknown = (pushed as { scalelint?: unknown } | undefined)?.scalelint;
    if (this.capabilities.workspace?.configuration) {
      try {
        raw = await this.connection.workspace.getConfiguration({ section: 'scalelint' });
      } catch (error) {
        this.log('error', `cannot read settings, using defaults: ${(error as Error).message}`);
      }
    }
    const next = parseSettings(raw);
    const changed = JSON.stringify(next) !== JSON.stringify(this.settings) || this.folders.some((folder) => !folder.engine);
    this.settings = next;
    if (changed) this.rebuild();
  }

  /** New engines (config, tsconfig, schema or settings changed); every result is recomputed. */
  private rebuild(): void {
    this.generation++;
    this.flushed.clear();
    this.dirty.clear();
    const problems = new Set<string>();
    for (const folder of this.folders) {
      folder.engine = this.createEngine(folder.root, problems);
    }
    for (const file of this.configProblems) {
      if (!problems.has(file)) void this.connection.sendDiagnostics({ uri: URI.fromPath(file), diagnostics: [] });
    }
    this.configProblems = problems;
    const generation = this.generation;
    this.ready = Promise.all(this.folders.map((folder) => folder.engine?.ready)).then(() => undefined);
    void this.ready.then(() => {
      if (generation !== this.generation) return;
      this.refreshAll();
      if (this.scanRequested && this.settings.enable && this.settings.scanWorkspaceOnStartup) void this.scanWorkspace();
    });
  }

  private createEngine(root: string, problems: Set<string>): Engine {
    const options = { rules: this.rules, root, ruleOverrides: this.settings.rules, configOverrides: this.settings.defaultTimeoutMs ? { defaultTimeoutMs: this.settings.defaultTimeoutMs } : {} };
    try {
      return new Engine(options);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // A broken config file is shown where it is; analysis goes on with the defaults meanwhile.
      problems.add(error.file);
      this.log('error', error.message);
      void this.connection.sendDiagnostics({
        uri: URI.fromPath(error.file),
        diagnostics: [{ range: { start: { line: error.line - 1, character: error.column - 1 }, end: { line: error.line - 1, character: error.column } }, severity: 1, source: SOURCE, message: `${error.problem} (using the default configuration until this is fixed)` }],
      });
      return new Engine({ ...options, configFile: null });
    }
  }

  /** Every open document (and scanned closed file) is analysed again. */
  private refreshAll(): void {
    if (this.pullDiagnostics) this.refreshSoon();
    else for (const document of this.documents.all()) this.schedule(document.uri, DEBOUNCE_MS);
    for (const uri of this.closedResults.keys()) this.schedule(uri, DEPENDENT_DEBOUNCE_MS);
  }

  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.connection.languages.diagnostics.refresh().catch(() => undefined), DEBOUNCE_MS);
  }

  private schedule(uri: string, delayMs: number): void {
    clearTimeout(this.timers.get(uri));
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      void this.ready.then(() => this.guard('analysis', () => this.publish(uri)));
    }, delayMs));
  }

  /** Push mode: analyse and send, unless the document moved on meanwhile (a newer run is scheduled). */
  private publish(uri: string): void {
    const document = this.documents.get(uri);
    if (document) {
      if (this.pullDiagnostics) return;
      const result = this.analyzeOpen(uri);
      if (result && this.documents.get(uri)?.version === result.version) void this.connection.sendDiagnostics({ uri, version: result.version, diagnostics: result.diagnostics });
      return;
    }
    if (this.closedResults.has(uri)) {
      const result = this.analyzeClosed(URI.toPath(uri));
      void this.connection.sendDiagnostics({ uri, diagnostics: result?.diagnostics ?? [] });
    }
  }

  private analyzeOpen(uri: string): Analysed | undefined {
    const document = this.documents.get(uri);
    if (!document || !uri.startsWith('file:')) return undefined;
    const file = URI.toPath(uri);
    const engine = this.engineFor(file);
    this.dirty.delete(uri);
    if (!engine || !this.settings.enable) return this.remember(this.results, { uri, file, version: document.version, text: document.getText(), findings: [], diagnostics: [], generation: this.generation });
    this.flushOpenTexts();
    const result = engine.analyzeFile(file);
    this.idle.worked();
    this.logMessages(file, result.messages);
    return this.remember(this.results, { uri, file, version: document.version, text: result.text || document.getText(), findings: result.findings, diagnostics: result.findings.map(toDiagnostic), generation: this.generation });
  }

  private analyzeClosed(file: string): Analysed | undefined {
    const engine = this.engineFor(file);
    const uri = URI.fromPath(file);
    if (!engine || !this.settings.enable) {
      this.closedResults.delete(uri);
      return undefined;
    }
    this.flushOpenTexts();
    const result = engine.analyzeFile(file);
    this.idle.worked();
    this.logMessages(file, result.messages);
    return this.remember(this.closedResults, { uri, file, version: 0, text: result.text, findings: result.findings, diagnostics: result.findings.map(toDiagnostic), generation: this.generation });
  }

  private remember(map: Map<string, Analysed>, analysed: Analysed): Analysed {
    map.set(analysed.uri, analysed);
    return analysed;
  }

  /** Gives the engines the editors' unsaved texts; files importing a changed one are marked for re-analysis. */
  private flushOpenTexts(): void {
    for (const document of this.documents.all()) {
      if (this.flushed.get(document.uri) === document.version || !document.uri.startsWith('file:')) continue;
      const file = URI.toPath(document.uri);
      const engine = this.engineFor(file);
      if (!engine) continue;
      const firstTime = !this.flushed.has(document.uri);
      engine.setFileText(file, document.getText());
      this.flushed.set(document.uri, document.version);
      // Opening a file does not change its text as other files see it (when it matches the disk).
      if (!firstTime) this.dependentsChanged(engine, file);
    }
  }

  private dependentsChanged(engine: Engine, file: string): void {
    let touchedOpen = false;
    for (const dependent of engine.dependentsOf(file)) {
      const uri = URI.fromPath(dependent);
      if (this.documents.get(uri)) {
        this.dirty.add(uri);
        touchedOpen = true;
        if (!this.pullDiagnostics) this.schedule(uri, DEPENDENT_DEBOUNCE_MS);
      } else if (this.closedResults.has(uri)) {
        this.schedule(uri, DEPENDENT_DEBOUNCE_MS);
      }
    }
    if (touchedOpen && this.pullDiagnostics) this.refreshSoon();
  }

  private closed(uri: string): void {
    this.results.delete(uri);
    this.dirty.delete(uri);
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    const file = URI.toPath(uri);
    const engine = uri.startsWith('file:') ? this.engineFor(file) : undefined;
    const hadUnsavedText = this.flushed.delete(uri);
    if (engine && hadUnsavedText) {
      // Back to the disk text: what the file's importers see may change.
      engine.setFileText(file, undefined);
      this.dependentsChanged(engine, file);
    }
    // Keep the file in the Problems panel with its saved text when the workspace was scanned.
    if (engine && this.scanRequested && this.settings.enable && this.settings.scanWorkspaceOnStartup && !NEVER_ANALYSED.test(file)) {
      const result = this.analyzeClosed(file);
      void this.connection.sendDiagnostics({ uri, diagnostics: result?.diagnostics ?? [] });
    } else {
      void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    }
  }

  private filesChanged(changes: { file: string; type: FileChangeType }[]): void {
    if (changes.some((change) => PROJECT_FILE.test(change.file))) {
      clearTimeout(this.rebuildTimer);
      this.rebuildTimer = setTimeout(() => this.guard('rebuild', () => this.rebuild()), DEBOUNCE_MS);
      return;
    }
    for (const change of changes) {
      if (!isSourceFile(change.file) || NEVER_ANALYSED.test(change.file)) continue;
      const uri = URI.fromPath(change.file);
      // An open document's buffer wins over its disk text.
      if (this.documents.get(uri)) continue;
      const engine = this.engineFor(change.file);
      if (!engine) continue;
      engine.setFileText(change.file, undefined);
      this.dependentsChanged(engine, change.file);
      if (change.type === FileChangeType.Deleted) {
        this.closedResults.delete(uri);
        void this.connection.sendDiagnostics({ uri, diagnostics: [] });
      } else if (this.closedResults.has(uri) || (change.type === FileChangeType.Created && this.scanRequested && this.settings.scanWorkspaceOnStartup)) {
        this.closedResults.set(uri, this.closedResults.get(uri) ?? { uri, file: change.file, version: 0, text: '', findings: [], diagnostics: [], generation: this.generation });
        this.schedule(uri, DEPENDENT_DEBOUNCE_MS);
      }
    }
  }

  /**
   * Analyses every file of every workspace folder that is not open, pushing its diagnostics, with
   * work-done progress. A newer scan (or a rebuild) cancels a running one; so does the user.
   */
  async scanWorkspace(): Promise<{ files: number; findings: number }> {
    const run = ++this.scanRun;
    this.scanRequested = true;
    await this.ready;
    const progress = await this.connection.window.createWorkDoneProgress();
    progress.begin('scalelint', 0, 'Analysing workspace…', true);
    let files = 0;
    let findings = 0;
    try {
      const work: { folder: Folder; file: string }[] = [];
      for (const folder of this.folders) {
        if (!folder.engine) continue;
        const messages: EngineMessage[] = [];
        const collected = await folder.engine.collect([folder.root], messages);
        for (const file of collected) work.push({ folder, file });
      }
      for (const [index, { folder, file }] of work.entries()) {
        if (run !== this.scanRun || progress.token.isCancellationRequested) break;
        const uri = URI.fromPath(file);
        if (!this.documents.get(uri) && folder.engine && this.settings.enable) {
          const result = this.guard('workspace scan', () => this.analyzeClosed(file));
          void this.connection.sendDiagnostics({ uri, diagnostics: result?.diagnostics ?? [] });
          findings += result?.findings.length ?? 0;
        }
        files++;
        progress.report(Math.floor(((index + 1) / work.length) * 100), path.relative(folder.root, file));
        // Let edits, hovers and code actions in between.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (run === this.scanRun && !progress.token.isCancellationRequested) {
        // Idle time: the first keystroke after the scan should not pay for a program built from scratch.
        for (const folder of this.folders) this.guard('workspace scan', () => folder.engine?.prepareForEdits());
      }
    } finally {
      progress.done();
    }
    this.log('info', `workspace scan: ${files} files, ${findings} findings in closed files`);
    return { files, findings };
  }

  private currentResult(uri: string): Analysed | undefined {
    const document = this.documents.get(uri);
    if (!document) return this.closedResults.get(uri);
    const cached = this.results.get(uri);
    // Ranges must refer to the text the editor shows now.
    if (cached && cached.version === document.version) return cached;
    return this.analyzeOpen(uri);
  }

  private engineFor(file: string): Engine | undefined {
    let best: Folder | undefined;
    for (const folder of this.folders) {
      const relative = path.relative(folder.root, file);
      if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
      if (!best || folder.root.length > best.root.length) best = folder;
    }
    return (best ?? this.folders[0])?.engine;
  }

  private actionOptions() {
    const workspaceEdit = this.capabilities.workspace?.workspaceEdit;
    return {
      suppressibleRules: new Set(this.rules.map((rule) => rule.meta.id)),
      textOf: (file: string) => {
        const document = this.documents.get(URI.fromPath(file));
        if (document) return document.getText();
        return this.closedResults.get(URI.fromPath(file))?.text || readText(file);
      },
      versionOf: (uri: string) => this.documents.get(uri)?.version ?? null,
      canCreateFiles: !!workspaceEdit?.documentChanges && !!workspaceEdit.resourceOperations?.includes('create'),
      canShowDisabled: !!this.capabilities.textDocument?.codeAction?.disabledSupport,
    };
  }

  private logMessages(file: string, messages: readonly EngineMessage[]): void {
    const summary = messages.map((message) => `${message.level}: ${message.message}`).join('\n');
    if (this.lastMessages.get(file) === summary) return;
    this.lastMessages.set(file, summary);
    for (const message of messages) this.log(message.level, `${file}: ${message.message}`);
  }

  private log(level: 'error' | 'warning' | 'info', message: string): void {
    const text = `scalelint: ${message}`;
    if (level === 'error') this.connection.console.error(text);
    else if (level === 'warning') this.connection.console.warn(text);
    else this.connection.console.info(text);
  }

  /** Runs a handler; an internal error is logged and the server lives on. */
  private guard<T>(what: string, run: () => T): T | undefined {
    try {
      const result = run();
      if (result instanceof Promise) return result.catch((error: unknown) => this.internalError(what, error)) as T;
      return result;
    } catch (error) {
      this.internalError(what, error);
      return undefined;
    }
  }

  private internalError(what: string, error: unknown): undefined {
    this.log('error', `internal error in ${what}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return undefined;
  }
}

function megabytes(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
