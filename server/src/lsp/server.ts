// Language server: engine findings → LSP diagnostics. Thin; the engine does the work.
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from './uri';
import { RULES } from '../../../rules';
import { Engine } from '../engine/engine';
import type { Finding } from '../engine/types';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let engine: Engine | undefined;

connection.onInitialize((params) => {
  const root = params.workspaceFolders?.[0] ? URI.toPath(params.workspaceFolders[0].uri) : params.rootUri ? URI.toPath(params.rootUri) : process.cwd();
  try {
    engine = new Engine({ rules: RULES, root });
  } catch (error) {
    connection.console.error(`scalelint: ${(error as Error).message}`);
  }
  return { capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } };
});

function toDiagnostic(finding: Finding): Diagnostic {
  return {
    range: {
      start: { line: finding.range.start.line - 1, character: finding.range.start.column - 1 },
      end: { line: finding.range.end.line - 1, character: finding.range.end.column - 1 },
    },
    severity: finding.severity === 'error' ? DiagnosticSeverity.Error : finding.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    source: 'scalelint',
    code: finding.ruleId,
    codeDescription: { href: finding.docsUrl },
    message: finding.message,
  };
}

function validate(document: TextDocument): void {
  if (!engine) return;
  const file = URI.toPath(document.uri);
  try {
    engine.setFileText(file, document.getText());
    const result = engine.analyzeFile(file);
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: result.findings.map(toDiagnostic) });
  } catch (error) {
    connection.console.error(`scalelint: ${file}: ${(error as Error).message}`);
  }
}

documents.onDidChangeContent((change) => validate(change.document));
documents.onDidClose((event) => {
  engine?.setFileText(URI.toPath(event.document.uri), undefined);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
