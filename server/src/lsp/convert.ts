// Pure translations between the engine's vocabulary (1-based lines, offsets) and LSP's (0-based lines,
// UTF-16 characters). Both count string indices, so a column maps to a character one-for-one.
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic, type Position as LspPosition, type Range as LspRange, type TextEdit as LspTextEdit } from 'vscode-languageserver/node';
import { LineIndex } from '../engine/text';
import type { Finding, Position, Range, Severity, TextEdit } from '../engine/types';
import { URI } from './uri';

export const SOURCE = 'scalelint';

export function toLspPosition(position: Position): LspPosition {
  return { line: position.line - 1, character: position.column - 1 };
}

export function toLspRange(range: Range): LspRange {
  return { start: toLspPosition(range.start), end: toLspPosition(range.end) };
}

export function toLspSeverity(severity: Severity): DiagnosticSeverity {
  return severity === 'error' ? DiagnosticSeverity.Error : severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
}

/** The finding's index in its file's result travels in `data`, so code actions find it again. */
export interface DiagnosticData {
  fingerprint: string;
}

export function toDiagnostic(finding: Finding): Diagnostic {
  const diagnostic: Diagnostic = {
    range: toLspRange(finding.range),
    severity: toLspSeverity(finding.severity),
    source: SOURCE,
    code: finding.ruleId,
    codeDescription: { href: finding.docsUrl },
    message: finding.message,
    data: { fingerprint: finding.fingerprint } satisfies DiagnosticData,
  };
  if (finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((related) => ({
      location: { uri: URI.fromPath(related.file), range: toLspRange(related.range) },
      message: related.message,
    }));
  }
  // An unused suppression is dead text: editors fade it out.
  if (finding.ruleId === 'unused-suppression') diagnostic.tags = [DiagnosticTag.Unnecessary];
  return diagnostic;
}

/** Engine edits (offsets into `text`) as LSP edits. */
export function toLspEdits(edits: readonly TextEdit[], text: string): LspTextEdit[] {
  const index = new LineIndex(text);
  return edits.map((edit) => ({ range: { start: toLspPosition(index.position(edit.start)), end: toLspPosition(index.position(edit.end)) }, newText: edit.newText }));
}

/** 0-based LSP position → offset in `index`'s text. */
export function toOffset(index: LineIndex, position: LspPosition): number {
  return Math.min(index.lineStart(position.line + 1) + position.character, index.text.length);
}

export function rangesOverlap(a: LspRange, b: LspRange): boolean {
  const before = (x: LspPosition, y: LspPosition): boolean => x.line < y.line || (x.line === y.line && x.character < y.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
