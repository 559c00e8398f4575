// Hover on a flagged range: what the rule is about, why this instance hurts (the finding's own cost
// statement) and a link to the full guidance.
import { MarkupKind, type Hover, type Position as LspPosition } from 'vscode-languageserver/node';
import { LineIndex } from '../engine/text';
import type { RuleMeta } from '../engine/types';
import type { AnalysedDocument } from './code-actions';
import { OPEN_GUIDANCE_COMMAND } from './code-actions';
import { toLspRange, toOffset } from './convert';

export interface HoverOptions {
  rules: ReadonlyMap<string, RuleMeta>;
  /** The client opens shipped guidance pages through OPEN_GUIDANCE_COMMAND (command: links are trusted). */
  guidanceCommand: boolean;
}

export function hoverAt(document: AnalysedDocument, position: LspPosition, options: HoverOptions): Hover | undefined {
  const offset = toOffset(new LineIndex(document.text), position);
  const hits = document.findings.filter((finding) => finding.range.start.offset <= offset && offset <= finding.range.end.offset);
  if (hits.length === 0) return undefined;
  const sections = hits.map((finding) => {
    const meta = options.rules.get(finding.ruleId);
    const link = options.guidanceCommand
      ? `command:${OPEN_GUIDANCE_COMMAND}?${encodeURIComponent(JSON.stringify([finding.ruleId, finding.docsUrl]))}`
      : finding.docsUrl;
    return [
      `**scalelint · ${finding.ruleId}**${meta ? ` — ${escapeMarkdown(meta.description)}` : ''}`,
      '',
      escapeMarkdown(finding.message),
      '',
      `[Read the ${finding.ruleId} guidance](${link})`,
    ].join('\n');
  });
  return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range: toLspRange(hits[0].range) };
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');
}
