// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: rules with guidance, results with the
// stable fingerprint, evidence chains as related locations and a code flow, and fixes.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import type { FileResult, Finding, Range, Severity } from '../../engine/types';
import type { EngineMessage } from '../../engine/types';
import { maskSecrets } from '../../engine/redact';
import { ruleGuide, type ReportContext } from '../report-context';

const SRCROOT = '%SRCROOT%';
export const FINGERPRINT_KEY = 'scalelint/v1';

function level(severity: Severity | 'off'): Sarif.ReportingConfiguration.level {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : severity === 'info' ? 'note' : 'none';
}

function artifactLocation(file: string, cwd: string): Sarif.ArtifactLocation {
  const relative = path.relative(cwd, file);
  if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(file).href };
}

function region(range: Range, text?: string): Sarif.Region {
  const result: Sarif.Region = {
    startLine: range.start.line,
    startColumn: range.start.column,
    endLine: range.end.line,
    endColumn: range.end.column,
  };
  if (text !== undefined) result.snippet = { text: maskSecrets(text.slice(range.start.offset, range.end.offset)) };
  return result;
}

function physical(file: string, range: Range, cwd: string, text?: string): Sarif.PhysicalLocation {
  return { artifactLocation: artifactLocation(file, cwd), region: region(range, text) };
}

function helpMarkdown(ruleId: string, description: string, docsUrl: string): string {
  const guide = ruleGuide(ruleId);
  // Relative links point into the repository, which a SARIF viewer cannot follow: keep their text.
  if (guide) return `${guide.trim().replace(/\[([^\]]+)\]\((?!https?:|#)[^)]*\)/g, '$1')}\n\n[Full guidance](${docsUrl})`;
  return `${description}\n\nSee [the guidance page](${docsUrl}) for why it hurts at scale and how to fix it.`;
}

function toFix(fix: Finding['fixes'][number], cwd: string, texts: ReadonlyMap<string, string>): Sarif.Fix | undefined {
  const changes: Sarif.ArtifactChange[] = [];
  const byFile = new Map<string, Finding['fixes'][number]['edits']>();
  for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  for (const [file, edits] of byFile) {
    changes.push({
      artifactLocation: artifactLocation(file, cwd),
      // Character offsets are exact for any edit, even inside a line; SARIF viewers accept them.
      // Also for a file outside the analysed set (schema.prisma, an entity): the offsets are into the text
      // read from disk, as for the others.
      replacements: edits.map((edit) => ({ deletedRegion: { charOffset: edit.start, charLength: edit.end - edit.start }, insertedContent: { text: edit.newText } })),
    });
  }
  for (const creation of fix.creates ?? []) {
    changes.push({
      artifactLocation: artifactLocation(path.resolve(creation.file), cwd),
      replacements: [{ deletedRegion: { charOffset: 0, charLength: 0 }, insertedContent: { text: creation.content } }],
    });
  }
  if (changes.length === 0) return undefined;
  return { description: { text: fix.title }, artifactChanges: changes, properties: { kind: fix.kind, createsFiles: Boolean(fix.creates?.length) } };
}

export function toSarif(results: readonly FileResult[], context: ReportContext, notifications: readonly EngineMessage[] = []): Sarif.Log {
  const ruleIds = [...new Set([...context.rules.map((rule) => rule.meta.id), ...results.flatMap((r) => r.findings.map((f) => f.ruleId))])];
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  const texts = new Map(results.map((result) => [result.file, result.text]));
  const docsOf = new Map<string, string>();
  for (const result of results) for (const finding of result.findings) docsOf.set(finding.ruleId, finding.docsUrl);

  const rules: Sarif.ReportingDescriptor[] = ruleIds.map((id) => {
    const info = context.rules.find((rule) => rule.meta.id === id);
    const description = info?.meta.description ?? (id === 'unused-suppression' ? 'A scalelint-disable comment that suppresses nothing can only hide a future finding.' : id);
    const docsUrl = info?.docsUrl ?? docsOf.get(id) ?? '';
    const descriptor: Sarif.ReportingDescriptor = {
      id,
      name: id.replace(/(^|-)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase()),
      shortDescription: { text: description },
      fullDescription: { text: description },
      help: { text: `${description} See ${docsUrl}`, markdown: helpMarkdown(id, description, docsUrl) },
      defaultConfiguration: { level: level(info?.severity ?? 'warning'), enabled: info?.severity !== 'off' },
      properties: { tags: ['scalability', 'performance'], precision: 'high', ...(info ? { fixKind: info.meta.fixKind } : {}) },
    };
    if (/^https?:/.test(docsUrl)) descriptor.helpUri = docsUrl;
    return descriptor;
  });

  const sarifResults: Sarif.Result[] = [];
  for (const result of results) {
    for (const finding of result.findings) {
      const location: Sarif.Location = { physicalLocation: physical(finding.file, finding.range, context.cwd, result.text) };
      const sarifResult: Sarif.Result = {
        ruleId: finding.ruleId,
        ruleIndex: ruleIndex.get(finding.ruleId),
        level: level(finding.severity),
        message: { text: finding.message },
        locations: [location],
        partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
      };
      if (finding.related.length) {
        const relatedText = (file: string): string | undefined => texts.get(file);
        sarifResult.relatedLocations = finding.related.map((related, index) => ({
          id: index + 1,
          physicalLocation: physical(related.file, related.range, context.cwd, relatedText(related.file)),
          message: { text: related.message },
        }));
        // The evidence in order, ending at the flagged code: SARIF viewers step through it.
        sarifResult.codeFlows = [
          {
            message: { text: 'Evidence chain' },
            threadFlows: [
              {
                locations: [
                  ...finding.related.map((related, index) => ({
                    location: { physicalLocation: physical(related.file, related.range, context.cwd), message: { text: related.message } },
                    nestingLevel: 0,
                    executionOrder: index + 1,
                  })),
                  {
                    location: { physicalLocation: physical(finding.file, finding.range, context.cwd), message: { text: finding.message } },
                    nestingLevel: 0,
                    executionOrder: finding.related.length + 1,
                  },
                ],
              },
            ],
          },
        ];
      }
      const fixes = finding.fixes.map((fix) => toFix(fix, context.cwd, texts)).filter((fix): fix is Sarif.Fix => fix !== undefined);
      if (fixes.length) sarifResult.fixes = fixes;
      sarifResult.properties = { docsUrl: finding.docsUrl, severity: finding.severity };
      sarifResults.push(sarifResult);
    }
  }

  const toolNotifications: Sarif.Notification[] = notifications
    .filter((message) => message.level !== 'info')
    .map((message) => ({
      level: message.level === 'error' ? 'error' : 'warning',
      message: { text: message.message },
      ...(message.file ? { locations: [{ physicalLocation: { artifactLocation: artifactLocation(message.file, context.cwd) } }] } : {}),
    }));

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'scalelint',
            semanticVersion: context.toolVersion,
            version: context.toolVersion,
            informationUri: 'https://scalelint.dev',
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(context.cwd.endsWith(path.sep) ? context.cwd : `${context.cwd}${path.sep}`).href } },
        invocations: [{ executionSuccessful: !notifications.some((message) => message.level === 'error'), toolExecutionNotifications: toolNotifications }],
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
      },
    ],
  };
}

export function formatSarif(results: readonly FileResult[], context: ReportContext, notifications: readonly EngineMessage[] = []): string {
  return `${JSON.stringify(toSarif(results, context, notifications), null, 2)}\n`;
}
