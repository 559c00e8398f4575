// Bundles the CLI, the language server and the extension so the shipped artefacts need no node_modules.
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const importMetaBanner = "const __scalelintImportMetaUrl = require('url').pathToFileURL(__filename).href;";

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  // jsonc-parser's UMD build hides its requires from the bundler; its ESM build does not.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  // ESM-only dependencies (fdir, under tinyglobby) read import.meta.url; give the CJS bundle one.
  define: { 'import.meta.url': '__scalelintImportMetaUrl' },
};

await Promise.all([
  build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', external: ['pg-native'], banner: { js: `#!/usr/bin/env node\n${importMetaBanner}` } }),
  build({ ...common, entryPoints: ['server/src/lsp/server.ts'], outfile: 'dist/server.js', banner: { js: importMetaBanner } }),
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
chmodSync('dist/cli.js', 0o755);
// libpg-query's loader looks for its WebAssembly next to the script that runs it (__dirname): dist/.
copyFileSync(createRequire(import.meta.url).resolve('libpg-query/wasm/libpg-query.wasm'), 'dist/libpg-query.wasm');
