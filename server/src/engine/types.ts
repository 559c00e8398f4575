// The engine's public vocabulary. Front ends (LSP, CLI) translate these; nothing here knows about either.
import type { Node, SourceFile } from 'ts-morph';
import type { IoResolver } from './io-resolver';
import type { FunctionSummaries } from './summaries';
import type { RequestPaths } from './request-path';
import type { ResolvedConfig } from './config';

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';

/** safe fix: may be applied without review (fix-all, --fix); suggestion: needs a human; none. */
export type FixKind = 'fix' | 'suggestion' | 'none';

/** 1-based line and column, ESLint-style; `offset` is the 0-based character offset in the file text. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** Replace [start, end) of `file`'s current text with `newText`. */
export interface TextEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}

/** A file the fix creates (a migration, for example). Never overwrites an existing file. */
export interface FileCreation {
  file: string;
  content: string;
}

export interface Fix {
  title: string;
  /** 'fix' edits are safe to apply unattended; 'suggestion' edits need review. */
  kind: 'fix' | 'suggestion';
  edits: TextEdit[];
  creates?: FileCreation[];
}

export interface RelatedLocation {
  file: string;
  range: Range;
  message: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  /** Evidence: the loop, each call of a chain, the query, in order. */
  related: RelatedLocation[];
  fixes: Fix[];
  /** Stable across unrelated edits and line moves; used by baselines and SARIF. */
  fingerprint: string;
  /** Link to the rule's guidance page. */
  docsUrl: string;
}

/** What a rule reports; the engine adds severity, ranges, fingerprint and docs link. */
export interface Report {
  node: Node | { start: number; end: number };
  message: string;
  related?: { node: Node; message: string }[];
  fixes?: Fix[];
  /** Extra text folded into the fingerprint to tell apart findings on the same node text. */
  fingerprintKey?: string;
  /** An advisory case of the rule (a likely, not certain, problem): the finding never gets a higher severity than this. */
  severity?: Severity;
}

export interface RuleMeta {
  id: string;
  /** One line, shown in rule lists, SARIF shortDescription and hovers. */
  description: string;
  defaultSeverity: Severity;
  fixKind: FixKind;
  /** JSON schema of the rule's options object in scalelint.config.json. */
  optionsSchema?: Record<string, unknown>;
  /** Default values for the options. */
  defaultOptions?: Record<string, unknown>;
}

export interface RuleContext {
  readonly sourceFile: SourceFile;
  readonly filePath: string;
  readonly options: Record<string, unknown>;
  readonly io: IoResolver;
  readonly summaries: FunctionSummaries;
  /** Which functions run per request or per job, and through which chain (built lazily per project). */
  readonly requestPaths: RequestPaths;
  readonly config: ResolvedConfig;
  report(report: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  /** Cheap text test run before the file is parsed for this rule; false skips the file. */
  mayApply?(text: string): boolean;
  /** Asynchronous set-up run once per engine before analysis (loading a WebAssembly parser); `check` stays synchronous. */
  prepare?(): Promise<void>;
  check(context: RuleContext): void;
}

export interface EngineMessage {
  file?: string;
  /** 'error' means the file could not be analysed; 'info' notes a skip. */
  level: 'error' | 'warning' | 'info';
  message: string;
}

export interface FileResult {
  file: string;
  findings: Finding[];
  /** The text the findings refer to (the overlay in the editor, the disk text otherwise). */
  text: string;
  messages: EngineMessage[];
}
