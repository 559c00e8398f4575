// The VS Code extension, thin: starts the bundled language server over IPC, opens the shipped guidance
// pages, shows the finding count. Diagnostics, fixes, hovers and the workspace scan are the server's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

const OPEN_GUIDANCE = 'scalelint.openRuleGuidance';
const SHOW_OUTPUT = 'scalelint.showOutput';
const LANGUAGES = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'];

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  // Node flags for the server, from package.json (the benchmark launches it with the same): a larger young
  // generation, because every keystroke's new program and type checker are garbage by the next one.
  const execArgv = (context.extension.packageJSON as { scalelint?: { serverExecArgv?: string[] } }).scalelint?.serverExecArgv ?? [];
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...execArgv, '--nolazy', '--inspect=6009'] } },
  };
  const outputChannel = vscode.window.createOutputChannel('scalelint', { log: true });
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
    outputChannel,
    initializationOptions: { guidanceCommand: true },
    // Hover links open the shipped guidance page through our command, and nothing else.
    markdown: { isTrusted: { enabledCommands: [OPEN_GUIDANCE] } },
  };
  client = new LanguageClient('scalelint', 'scalelint', serverOptions, clientOptions);

  const status = vscode.window.createStatusBarItem('scalelint.findings', vscode.StatusBarAlignment.Left, 0);
  status.name = 'scalelint findings';
  status.command = 'workbench.actions.view.problems';
  const updateStatus = (): void => {
    const count = vscode.languages.getDiagnostics().reduce((sum, [, diagnostics]) => sum + diagnostics.filter((diagnostic) => diagnostic.source === 'scalelint').length, 0);
    status.text = `$(pulse) scalelint: ${count}`;
    status.tooltip = `${count} scalability finding${count === 1 ? '' : 's'} — show the Problems panel`;
    status.show();
  };

  context.subscriptions.push(
    outputChannel,
    status,
    vscode.languages.onDidChangeDiagnostics(updateStatus),
    vscode.commands.registerCommand(SHOW_OUTPUT, () => outputChannel.show(true)),
    vscode.commands.registerCommand(OPEN_GUIDANCE, (ruleId?: string, docsUrl?: string) => openGuidance(context, ruleId, docsUrl)),
  );
  updateStatus();
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/** Opens rules/<id>/README.md, shipped inside the extension, in the Markdown preview: readable offline. */
async function openGuidance(context: vscode.ExtensionContext, ruleId?: string, docsUrl?: string): Promise<void> {
  const rulesDir = context.asAbsolutePath('rules');
  const id = ruleId ?? (await vscode.window.showQuickPick(shippedRules(rulesDir), { placeHolder: 'Which rule’s guidance?' }));
  if (!id) return;
  // Rule pages, then the shipped reference pages for the non-rule ids (configuration, suppressions).
  const page = [path.join(rulesDir, id, 'README.md'), context.asAbsolutePath(path.join('docs', `${id}.md`))].find((candidate) => fs.existsSync(candidate));
  if (page) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(page));
  } else if (docsUrl) {
    // Nothing shipped under that name: the online docs.
    await vscode.env.openExternal(vscode.Uri.parse(docsUrl));
  } else {
    void vscode.window.showWarningMessage(`scalelint: no guidance page for '${id}'.`);
  }
}

function shippedRules(rulesDir: string): string[] {
  try {
    return fs.readdirSync(rulesDir).filter((id) => fs.existsSync(path.join(rulesDir, id, 'README.md'))).sort();
  } catch {
    return [];
  }
}
