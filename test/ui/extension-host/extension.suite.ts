// Runs inside VS Code's extension host with the extension under development and a copy of demo-shop.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

async function until<T>(probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('scalelint extension in the extension host', () => {
  const root = (): string => vscode.workspace.workspaceFolders![0].uri.fsPath;

  it('activates, contributes its commands and reports the demo findings', async () => {
    const document = await vscode.workspace.openTextDocument(path.join(root(), 'src', 'lib', 'cache.ts'));
    await vscode.window.showTextDocument(document);
    const extension = vscode.extensions.getExtension('scalelint.scalelint');
    assert.ok(extension, 'extension present');
    await extension.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['scalelint.analyzeWorkspace', 'scalelint.showOutput', 'scalelint.openRuleGuidance']) assert.ok(commands.includes(command), command);
    const diagnostic = await until(() => vscode.languages.getDiagnostics(document.uri).find((candidate) => candidate.source === 'scalelint' && (candidate.code as { value: string }).value === 'redis-keys'));
    assert.match(String((diagnostic.code as { target: vscode.Uri }).target), /redis-keys$/);
  });

  it('applies the redis-keys quick-fix and the finding goes away', async () => {
    const uri = vscode.Uri.file(path.join(root(), 'src', 'lib', 'cache.ts'));
    const diagnostic = await until(() => vscode.languages.getDiagnostics(uri).find((candidate) => candidate.source === 'scalelint'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((action) => action.title === 'Replace KEYS with SCAN iteration');
    assert.ok(fix?.edit && fix.isPreferred);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const document = await vscode.workspace.openTextDocument(uri);
    assert.match(document.getText(), /redis\.scanStream\(/);
    await until(() => (vscode.languages.getDiagnostics(uri).some((candidate) => candidate.source === 'scalelint' && (candidate.code as { value: string }).value === 'redis-keys') ? undefined : true));
  });
});
