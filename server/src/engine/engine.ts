// The one engine behind the editor and the CLI: loads projects, runs rules, applies config and
// suppressions, and returns findings with ranges, evidence, fixes and stable fingerprints.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node, SourceFile, SyntaxKind, ts } from 'ts-morph';
import { ConfigError, defaultConfig, effectiveRuleSetting, findConfigFile, isSeverity, loadConfigFile, type ResolvedConfig } from './config';
import { docsUrl } from './docs';
import { IoResolver } from './io-resolver';
import { collectFiles, Workspace } from './project';
import { RequestPaths } from './request-path';
import { FunctionSummaries } from './summaries';
import { parseSuppressions, removalRange, suppressedBy, unusedRules } from './suppressions';
import { LineIndex } from './text';
import { BudgetExceeded, timeOutsideBudget, withBudget } from './budget';
import { redactSecrets } from './redact';
import type { EngineMessage, FileResult, Finding, Report, Rule, RuleContext, Severity, SeveritySetting } from './types';

export const UNUSED_SUPPRESSION = 'unused-suppression';
/** The info finding of a file whose analysis ran out of its budget (config `analysisBudgetMs`). */
export const ANALYSIS_BUDGET = 'analysis-budget';

export interface EngineOptions {
  rules: readonly Rule[];
  /** Workspace root: relative paths in fingerprints and config search start here. Default: cwd. */
  root?: string;
  /** An explicit config file; `null` for none; undefined to look for scalelint.config.json from the root up. */
  configFile?: string | null;
  /** Severity overrides on top of the config file (`--rule id:severity`, editor settings). */
  ruleOverrides?: Record<string, SeveritySetting>;
  /** Restrict the run to these rules (ids); others are off. */
  onlyRules?: readonly string[];
  /** Settings on top of the config file (editor settings such as the default timeout for fixes). */
  configOverrides?: Partial<Pick<ResolvedConfig, 'defaultTimeoutMs'>>;
  /**
   * Each file is analysed once and no finding's nodes are read after its file's text is replaced (the CLI):
   * the engine then skips bookkeeping that only an editor session needs. Default false.
   */
  oneShot?: boolean;
}

export interface AnalysisProgress {
  done: number;
  total: number;
  file: string;
}

export class Engine {
  readonly root: string;
  readonly config: ResolvedConfig;
  readonly rules: readonly Rule[];
  private readonly workspace: Workspace;
  private readonly io: IoResolver;
  private readonly summaries: FunctionSummaries;
  private readonly requestPaths = new RequestPaths();
  private readonly knownRules: ReadonlySet<string>;
  /** Editor texts that could not be parsed (too deep to parse, for example), with the reason. */
  private readonly unparseable = new Map<string, string>();
  /** Settles when every rule's asynchronous set-up (Rule.prepare) has finished; never rejects. */
  readonly ready: Promise<void>;

  /** Throws ConfigError when the config file is broken. */
  constructor(private readonly options: EngineOptions) {
    this.root = path.resolve(options.root ?? process.cwd());
    this.rules = options.rules;
    this.knownRules = new Set(options.rules.map((rule) => rule.meta.id));
    const configFile = options.configFile === null ? undefined : options.configFile ?? findConfigFile(this.root);
    const config = configFile ? loadConfigFile(path.resolve(configFile), options.rules.map((rule) => rule.meta)) : defaultConfig(this.root);
    this.config = { ...config, ...options.configOverrides };
    this.workspace = new Workspace(this.root, options.oneShot === true);
    this.io = new IoResolver(this.config);
    this.summaries = new FunctionSummaries(this.io);
    // Started here so an editor session has it done before its first analysis.
    this.ready = Promise.all(options.rules.map((rule) => rule.prepare?.().catch(() => undefined))).then(() => undefined);
  }

  /** Messages about projects (unreadable tsconfig and the like), collected while loading. */
  get projectMessages(): readonly EngineMessage[] {
    return this.workspace.messages;
  }

  /** The files under `paths` that would be analysed. */
  async collect(paths: string[], messages: EngineMessage[] = []): Promise<string[]> {
    return collectFiles(paths, { ignorePatterns: this.config.ignorePatterns, patternsBase: this.config.dir }, messages);
  }

  /** Analyses files or folders; each file in the project of its nearest tsconfig.json. */
  async analyzePaths(paths: string[], onProgress?: (progress: AnalysisProgress) => void): Promise<{ results: FileResult[]; messages: EngineMessage[] }> {
    await this.ready;
    const messages: EngineMessage[] = [];
    const files = await this.collect(paths, messages);
    const results = this.analyzeFiles(files, onProgress);
    messages.push(...this.workspace.messages);
    return { results, messages };
  }

  analyzeFiles(files: readonly string[], onProgress?: (progress: AnalysisProgress) => void): FileResult[] {
    // Load every file before analysing any: a project without a tsconfig would otherwise grow (and build a
    // new program and request-path graph) once per file, and early files would be analysed without the
    // entry points and callers that later files hold.
    // The skip test reads each file's head: once per file, here.
    const skipped = files.map((file) => {
      const absolute = path.resolve(file);
      const reason = this.unparseable.get(absolute) ?? this.skipReason(absolute);
      if (!reason) {
        try {
          this.workspace.addFile(absolute);
        } catch {
          // analyzeAt reports why the file cannot be loaded.
        }
      }
      return reason;
    });
    const results: FileResult[] = [];
    files.forEach((file, index) => {
      results.push(this.analyzeAt(path.resolve(file), skipped[index]));
      onProgress?.({ done: index + 1, total: files.length, file });
    });
    return results;
  }

  /** Editor support: analyse with unsaved text (or back to disk text with undefined). */
  setFileText(file: string, text: string | undefined): void {
    const absolute = path.resolve(file);
    this.unparseable.delete(absolute);
    try {
      this.workspace.setText(absolute, text);
    } catch (error) {
      // Never let one hostile buffer take the editor session down; analyzeFile reports the reason.
      this.unparseable.set(absolute, loadFailure(error));
    }
    // Summaries of other files may depend on this one.
    this.summaries.clear();
    this.requestPaths.clear();
  }

  /** Editor support, for idle time after a workspace scan: see Workspace.buildNextPrograms. */
  prepareForEdits(): void {
    this.workspace.buildNextPrograms();
  }

  /**
   * The loaded project files that import `file`, directly or through other files: their findings may
   * change when it does (cross-file summaries). Editor support, for re-analysing dependents.
   */
  dependentsOf(file: string): string[] {
    const absolute = path.resolve(file);
    let start: SourceFile | undefined;
    try {
      start = this.workspace.projectFor(absolute).project.getSourceFile(absolute);
    } catch {
      return [];
    }
    const found = new Set<string>();
    const queue = start ? [start] : [];
    while (queue.length > 0) {
      for (const referencing of (queue.pop() as SourceFile).getReferencingSourceFiles()) {
        const referencingPath = path.resolve(referencing.getFilePath());
        if (referencingPath === absolute || found.has(referencingPath)) continue;
        found.add(referencingPath);
        queue.push(referencing);
      }
    }
    return [...found];
  }

  analyzeFile(file: string): FileResult {
    const absolute = path.resolve(file);
    return this.analyzeAt(absolute, this.unparseable.get(absolute) ?? this.skipReason(absolute));
  }

  /** `skipped`: why the file is not analysed (too large, binary, unparseable), if it is not. */
  private analyzeAt(absolute: string, skipped: string | undefined): FileResult {
    const messages: EngineMessage[] = [];
    if (skipped) {
      messages.push({ file: absolute, level: 'info', message: skipped });
      return { file: absolute, findings: [], text: '', messages };
    }
    let sourceFile: SourceFile;
    try {
      // Also builds and binds the project's program: paid once per program, before this file's budget starts.
      sourceFile = this.workspace.sourceFile(absolute);
    } catch (error) {
      messages.push({ file: absolute, level: error instanceof RangeError ? 'warning' : 'error', message: loadFailure(error) });
      return { file: absolute, findings: [], text: '', messages };
    }
    const text = sourceFile.getFullText();
    const index = new LineIndex(text);
    const findings: Finding[] = [];
    const rulesThatRan = new Set<string>();
    const started = Date.now();
    const outsideAtStart = timeOutsideBudget();
    /** This file's own analysis time: project-wide work it triggered is not its cost. */
    const elapsed = (): number => Date.now() - started - (timeOutsideBudget() - outsideAtStart);
    const syntaxError = firstSyntaxError(sourceFile, index);
    if (syntaxError) messages.push({ file: absolute, level: 'warning', message: `syntax error, findings may be incomplete: ${syntaxError}` });
    let budgetUsedUpAt: string | undefined;

    for (const rule of this.rules) {
      const setting = this.settingFor(rule);
      if (!isSeverity(setting.severity)) continue;
      if (rule.mayApply && !rule.mayApply(text)) {
        rulesThatRan.add(rule.meta.id);
        continue;
      }
      if (elapsed() > this.config.analysisBudgetMs) {
        budgetUsedUpAt = rule.meta.id;
        break;
      }
      const severity = setting.severity;
      const context: RuleContext = {
        sourceFile,
        filePath: absolute,
        options: setting.options,
        io: this.io,
        summaries: this.summaries,
        requestPaths: this.requestPaths,
        config: this.config,
        report: (report) => findings.push(this.toFinding(rule.meta.id, severity, report, absolute, index)),
      };
      try {
        withBudget(Math.max(0, this.config.analysisBudgetMs - elapsed()), () => rule.check(context));
        rulesThatRan.add(rule.meta.id);
      } catch (error) {
        if (error instanceof BudgetExceeded) {
          budgetUsedUpAt = rule.meta.id;
          break;
        }
        // An internal error, not the user's: say which rule, keep the run going, no stack trace in output.
        messages.push({ file: absolute, level: 'error', message: `internal error in rule '${rule.meta.id}', skipped on this file: ${redactSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}` });
      }
    }
    if (budgetUsedUpAt) findings.push(this.budgetFinding(budgetUsedUpAt, absolute, index));

    const kept = this.applySuppressions(findings, sourceFile, text, index, rulesThatRan, absolute);
    assignFingerprints(kept, text, path.relative(this.root, absolute));
    kept.sort((a, b) => a.range.start.offset - b.range.start.offset || a.ruleId.localeCompare(b.ruleId));
    return { file: absolute, findings: kept, text, messages };
  }

  private settingFor(rule: Rule): { severity: SeveritySetting; options: Record<string, unknown> } {
    const setting = effectiveRuleSetting(this.config, rule.meta);
    if (this.options.onlyRules && !this.options.onlyRules.includes(rule.meta.id)) return { ...setting, severity: 'off' };
    const override = this.options.ruleOverrides?.[rule.meta.id];
    return override ? { ...setting, severity: override } : setting;
  }

  private skipReason(file: string): string | undefined {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      // An unsaved editor buffer may have no file on disk; the workspace knows its text.
      return undefined;
    }
    if (stat.size > this.config.maxFileSizeKb * 1024) {
      return `skipped: ${Math.round(stat.size / 1024)} KB is over the ${this.config.maxFileSizeKb} KB limit (maxFileSizeKb)`;
    }
    const head = Buffer.alloc(Math.min(stat.size, 8192));
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (head.includes(0)) return 'skipped: binary file';
    return undefined;
  }

  private budgetFinding(ruleId: string, file: string, index: LineIndex): Finding {
    const skipped = this.rules.slice(this.rules.findIndex((rule) => rule.meta.id === ruleId)).filter((rule) => isSeverity(this.settingFor(rule).severity)).map((rule) => rule.meta.id);
    return {
      ruleId: ANALYSIS_BUDGET,
      severity: 'info',
      message: `Analysis stopped: this file used up its budget of ${this.config.analysisBudgetMs} ms (analysisBudgetMs), so ${skipped.join(', ')} did not check it. Split the file or raise analysisBudgetMs.`,
      file,
      range: index.range(0, 0),
      related: [],
      fixes: [],
      fingerprint: '',
      docsUrl: docsUrl('configuration', this.config.docsBaseUrl),
    };
  }

  private toFinding(ruleId: string, severity: Severity, report: Report, file: string, index: LineIndex): Finding {
    const [start, end] = report.node instanceof Node ? [report.node.getStart(), report.node.getEnd()] : [report.node.start, report.node.end];
    return {
      ruleId,
      severity: report.severity && SEVERITY_RANK[report.severity] < SEVERITY_RANK[severity] ? report.severity : severity,
      message: redactSecrets(report.message),
      file,
      range: index.range(start, end),
      related: (report.related ?? []).map((related) => {
        const relatedFile = related.node.getSourceFile();
        const relatedIndex = relatedFile.getFilePath() === file ? index : new LineIndex(relatedFile.getFullText());
        return { file: relatedFile.getFilePath(), range: relatedIndex.range(related.node.getStart(), related.node.getEnd()), message: redactSecrets(related.message) };
      }),
      fixes: (report.fixes ?? []).map((fix) => ({ ...fix, title: redactSecrets(fix.title) })),
      fingerprint: report.fingerprintKey ?? '',
      docsUrl: docsUrl(ruleId, this.config.docsBaseUrl),
    };
  }

  private applySuppressions(findings: Finding[], sourceFile: SourceFile, text: string, index: LineIndex, rulesThatRan: Set<string>, file: string): Finding[] {
    const suppressions = parseSuppressions(text, index, (offset) => isCommentAt(sourceFile, offset));
    if (suppressions.length === 0) return findings;
    // A finding inside a statement that spans lines (a multi-line SQL template) is also covered by a
    // suppression for the line the statement starts on.
    const kept = findings.filter((finding) => !suppressedBy(suppressions, finding.ruleId, finding.range.start.line, statementLineAt(sourceFile, finding.range.start.offset, index)));
    const unusedSeverity = this.options.ruleOverrides?.[UNUSED_SUPPRESSION] ?? this.config.rules[UNUSED_SUPPRESSION]?.severity ?? this.config.reportUnusedSuppressions;
    if (!isSeverity(unusedSeverity) || this.options.onlyRules) return kept;
    for (const suppression of suppressions) {
      const unused = unusedRules(suppression, rulesThatRan, this.knownRules);
      if (unused.length === 0) continue;
      const directive = `scalelint-${suppression.kind === 'file' ? 'disable' : suppression.kind === 'line' ? 'disable-line' : 'disable-next-line'}`;
      const unknown = unused.filter((rule) => rule !== '*' && !this.knownRules.has(rule));
      const message = unknown.length
        ? `${directive} names ${unknown.map((rule) => `'${rule}'`).join(', ')}, which is not a scalelint rule.`
        : `Unused ${directive}${unused[0] === '*' ? '' : ` for ${unused.join(', ')}`}: nothing is reported here, so it can only hide a future finding. Remove it.`;
      const removal = removalRange(text, suppression);
      kept.push({
        ruleId: UNUSED_SUPPRESSION,
        severity: unusedSeverity,
        message,
        file,
        range: index.range(suppression.start, suppression.end),
        related: [],
        fixes: unknown.length ? [] : [{ title: 'Remove the unused suppression', kind: 'fix', edits: [{ file, start: removal.start, end: removal.end, newText: '' }] }],
        fingerprint: '',
        docsUrl: docsUrl('suppressions', this.config.docsBaseUrl),
      });
    }
    return kept;
  }
}

/** Why a file could not be parsed, in words for the user. */
/** A report may lower its finding's severity below the rule's, never raise it. */
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function loadFailure(error: unknown): string {
  if (error instanceof RangeError) return 'skipped: the code is nested too deeply to parse (stack limit reached)';
  return `cannot load the file: ${error instanceof Error ? error.message : String(error)}`;
}

/** The first parse error of a file as `line N: message`, or undefined when it parses. */
function firstSyntaxError(sourceFile: SourceFile, index: LineIndex): string | undefined {
  const diagnostics = (sourceFile.compilerNode as ts.SourceFile & { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics;
  const first = diagnostics?.[0];
  if (!first) return undefined;
  return `line ${index.position(first.start ?? 0).line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
}

const LITERAL_KINDS = new Set<SyntaxKind>([
  SyntaxKind.StringLiteral,
  SyntaxKind.NoSubstitutionTemplateLiteral,
  SyntaxKind.TemplateHead,
  SyntaxKind.TemplateMiddle,
  SyntaxKind.TemplateTail,
  SyntaxKind.RegularExpressionLiteral,
  SyntaxKind.JsxText,
]);

/** The 1-based line the innermost statement around an offset starts on. */
function statementLineAt(sourceFile: SourceFile, offset: number, index: LineIndex): number | undefined {
  const root = sourceFile.compilerNode;
  let statement: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (node.pos <= offset && offset < node.end) {
      // Not a class or function: a comment above a class must not cover every field in it.
      if (ts.isStatement(node) && !ts.isBlock(node) && !ts.isClassDeclaration(node) && !ts.isFunctionDeclaration(node) && !ts.isModuleDeclaration(node)) statement = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(root, visit);
  return statement ? index.position(statement.getStart(root)).line : undefined;
}

/**
 * True when `//` or `/*` at the offset opens a comment: outside string, template, regex and JSX text.
 * Outside those, the two characters can only start a comment.
 */
function isCommentAt(sourceFile: SourceFile, offset: number): boolean {
  const root = sourceFile.compilerNode;
  let deepest: ts.Node = root;
  const visit = (node: ts.Node): void => {
    if (node.pos <= offset && offset < node.end) {
      deepest = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(root, visit);
  if (deepest === root || offset < deepest.getStart(root)) return true;
  return !LITERAL_KINDS.has(deepest.kind);
}

/**
 * Fingerprints survive line moves and unrelated edits: they hash the rule, the file, the flagged code
 * (whitespace folded), the rule's own key and the occurrence number among identical hashes in the file.
 */
function assignFingerprints(findings: Finding[], text: string, relativePath: string): void {
  const seen = new Map<string, number>();
  for (const finding of [...findings].sort((a, b) => a.range.start.offset - b.range.start.offset)) {
    const snippet = text.slice(finding.range.start.offset, finding.range.end.offset).replace(/\s+/g, ' ').trim();
    const base = crypto.createHash('sha256').update([finding.ruleId, relativePath.split(path.sep).join('/'), snippet, finding.fingerprint].join('\0')).digest('hex').slice(0, 24);
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    finding.fingerprint = `${base}:${occurrence}`;
  }
}

export { ConfigError };
