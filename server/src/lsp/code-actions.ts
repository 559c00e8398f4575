// Code actions for the findings of one analysed document: each fix (the safe one preferred), disable for
// this line, disable for this file, show guidance; and `source.fixAll.scalelint` with safe fixes only.
import { CodeActionKind, type CodeAction, type Diagnostic, type Range as LspRange, type TextDocumentEdit, type CreateFile, type WorkspaceEdit } from 'vscode-languageserver/node';
import { planFixes } from '../engine/fixes';
import { LineIndex } from '../engine/text';
import type { Finding, Fix, TextEdit } from '../engine/types';
import { rangesOverlap, toDiagnostic, toLspEdits, toLspRange, type DiagnosticData } from './convert';
import { URI } from './uri';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.scalelint`;
/** Client-side command that opens a rule's guidance page (shipped with the extension). */
export const OPEN_GUIDANCE_COMMAND = 'scalelint.openRuleGuidance';
export const REASON_PLACEHOLDER = '<why this is safe here>';

/** An analysed document: the text the findings refer to. */
export interface AnalysedDocument {
  uri: string;
  file: string;
  version: number;
  text: string;
  findings: readonly Finding[];
}

export interface ActionOptions {
  /** Rule ids a suppression comment can name (registered rules). */
  suppressibleRules: ReadonlySet<string>;
  /** Text of another file a fix edits (the open buffer, or the disk text). */
  textOf(file: string): string | undefined;
  /** Version of an open document, for versioned edits. */
  versionOf(uri: string): number | null;
  canCreateFiles: boolean;
  canShowDisabled: boolean;
}

export function codeActions(document: AnalysedDocument, range: LspRange, only: readonly string[] | undefined, contextDiagnostics: readonly Diagnostic[], options: ActionOptions): CodeAction[] {
  const wants = (kind: string): boolean => !only || only.some((requested) => kind === requested || kind.startsWith(`${requested}.`));
  const actions: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    const fingerprints = new Set(contextDiagnostics.map((diagnostic) => (diagnostic.data as DiagnosticData | undefined)?.fingerprint).filter(Boolean));
    for (const finding of document.findings) {
      if (!fingerprints.has(finding.fingerprint) && !rangesOverlap(toLspRange(finding.range), range)) continue;
      actions.push(...findingActions(document, finding, options));
    }
  }
  if (wants(FIX_ALL_KIND)) {
    const fixAll = fixAllAction(document, options);
    if (fixAll) actions.push(fixAll);
  }
  return actions;
}

function findingActions(document: AnalysedDocument, finding: Finding, options: ActionOptions): CodeAction[] {
  const diagnostic = toDiagnostic(finding);
  const actions: CodeAction[] = [];
  finding.fixes.forEach((fix, index) => {
    if (fix.creates?.length && !options.canCreateFiles) return;
    const problem = fixProblem(document, finding, fix, options);
    if (problem && !options.canShowDisabled) return;
    actions.push({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: fix.kind === 'fix' && index === finding.fixes.findIndex((candidate) => candidate.kind === 'fix') && !problem,
      ...(problem ? { disabled: { reason: problem } } : { edit: workspaceEdit(document, fix.edits, fix.creates ?? [], options) }),
    });
  });
  if (options.suppressibleRules.has(finding.ruleId)) {
    actions.push({
      title: `Disable ${finding.ruleId} for this line`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: workspaceEdit(document, [disableLineEdit(document, finding)], [], options),
    });
    actions.push({
      title: `Disable ${finding.ruleId} for this file`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: workspaceEdit(document, [disableFileEdit(document, finding)], [], options),
    });
  }
  actions.push({
    title: `Show guidance for ${finding.ruleId}`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    command: { title: `Show guidance for ${finding.ruleId}`, command: OPEN_GUIDANCE_COMMAND, arguments: [finding.ruleId, finding.docsUrl] },
  });
  return actions;
}

/** Why a fix cannot be applied to the current text (overlap, unknown file, result would not parse). */
function fixProblem(document: AnalysedDocument, finding: Finding, fix: Fix, options: ActionOptions): string | undefined {
  const texts = textsOf(document, fix.edits, options);
  const plan = planFixes([{ ...finding, fixes: [fix] }], texts, { kinds: [fix.kind] });
  return plan.skipped[0]?.reason;
}

function textsOf(document: AnalysedDocument, edits: readonly TextEdit[], options: ActionOptions): Map<string, string> {
  const texts = new Map<string, string>([[document.file, document.text]]);
  for (const edit of edits) {
    if (texts.has(edit.file)) continue;
    const text = options.textOf(edit.file);
    if (text !== undefined) texts.set(edit.file, text);
  }
  return texts;
}

function fixAllAction(document: AnalysedDocument, options: ActionOptions): CodeAction | undefined {
  const candidates = document.findings.filter((finding) => options.canCreateFiles || !finding.fixes.find((fix) => fix.kind === 'fix')?.creates?.length);
  // Only this document's text is offered to the planner: fix-all never edits other files behind the user's back.
  const plan = planFixes(candidates, new Map([[document.file, document.text]]), { kinds: ['fix'] });
  if (plan.applied.length === 0) return undefined;
  return {
    title: `Fix all safe scalelint problems (${plan.applied.length})`,
    kind: FIX_ALL_KIND,
    diagnostics: plan.applied.map(({ finding }) => toDiagnostic(finding)),
    edit: workspaceEdit(document, plan.applied.flatMap(({ fix }) => fix.edits), plan.applied.flatMap(({ fix }) => fix.creates ?? []), options),
  };
}

function workspaceEdit(document: AnalysedDocument, edits: readonly TextEdit[], creates: readonly { file: string; content: string }[], options: ActionOptions): WorkspaceEdit {
  const byFile = new Map<string, TextEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  const textEdits = [...byFile].map(([file, fileEdits]) => {
    const text = file === document.file ? document.text : options.textOf(file) ?? '';
    return { uri: URI.fromPath(file), edits: toLspEdits(fileEdits, text) };
  });
  if (creates.length === 0) return { changes: Object.fromEntries(textEdits.map(({ uri, edits: lspEdits }) => [uri, lspEdits])) };
  // New files need documentChanges: create, then fill.
  const documentChanges: (TextDocumentEdit | CreateFile)[] = textEdits.map(({ uri, edits: lspEdits }) => ({
    textDocument: { uri, version: uri === document.uri ? document.version : options.versionOf(uri) },
    edits: lspEdits,
  }));
  for (const creation of creates) {
    const uri = URI.fromPath(creation.file);
    documentChanges.push({ kind: 'create', uri, options: { overwrite: false, ignoreIfExists: false } });
    documentChanges.push({ textDocument: { uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: creation.content }] });
  }
  return { documentChanges };
}

const NEXT_LINE_DIRECTIVE = /^([ \t]*\/\/[ \t]*scalelint-disable-next-line[ \t]+)([^\s-][^\r\n]*?)([ \t]+--.*)?$/;

/** `// scalelint-disable-next-line <rule> -- <reason>` above the finding, or the rule added to one already there. */
function disableLineEdit(document: AnalysedDocument, finding: Finding): TextEdit {
  const index = new LineIndex(document.text);
  const line = finding.range.start.line;
  if (line > 1) {
    const previous = index.lineText(line - 1).match(NEXT_LINE_DIRECTIVE);
    if (previous) {
      const at = index.lineStart(line - 1) + previous[1].length + previous[2].length;
      return { file: document.file, start: at, end: at, newText: `, ${finding.ruleId}` };
    }
  }
  const lineStart = index.lineStart(line);
  const indent = /^[ \t]*/.exec(index.lineText(line))?.[0] ?? '';
  return { file: document.file, start: lineStart, end: lineStart, newText: `${indent}// scalelint-disable-next-line ${finding.ruleId} -- ${REASON_PLACEHOLDER}${eol(document.text)}` };
}

/** `/* scalelint-disable <rule> -- <reason> *\/` at the top of the file, below a shebang line. */
function disableFileEdit(document: AnalysedDocument, finding: Finding): TextEdit {
  const shebang = /^#![^\n]*\n/.exec(document.text);
  const at = shebang ? shebang[0].length : 0;
  return { file: document.file, start: at, end: at, newText: `/* scalelint-disable ${finding.ruleId} -- ${REASON_PLACEHOLDER} */${eol(document.text)}` };
}

function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}
