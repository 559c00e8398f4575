// `npm run test:vscode`: the extension-host suite in a VS Code build downloaded by @vscode/test-electron
// (for machines that can reach the VS Code CDN; these CI machines cannot, and run test/ui/code-server.test.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
  const workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-host-')), 'demo-shop');
  fs.cpSync(path.join(repoRoot, 'fixtures', 'demo-shop'), workspace, { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(workspace, 'node_modules'), 'dir');
  await runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(__dirname, 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
