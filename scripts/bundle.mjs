// Bundles the CLI, the language server and the extension so the shipped artefacts need no node_modules.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { common, enginePatches, importMetaBanner } from './bundle-config.mjs';
import { createRequire } from 'node:module';

await Promise.all([
  build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli-main.js', external: ['pg-native'], banner: { js: importMetaBanner }, plugins: enginePatches }),
  build({ ...common, entryPoints: ['server/src/lsp/server.ts'], outfile: 'dist/server.js', banner: { js: importMetaBanner }, plugins: enginePatches }),
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
// ASCII only: one character above U+00FF (a `→` in a comment) makes V8 hold a script's whole source as
// two bytes a character, 15 MB more per process. esbuild escapes strings, not comments or every regex;
// an escape means the same character in a string, template, regular expression or name.
for (const bundle of ['dist/cli-main.js', 'dist/server.js', 'dist/extension.js']) {
  const text = readFileSync(bundle, 'utf8');
  // Where an escape would not mean the character: after a backslash, or in a raw template.
  if (/\\[^\x00-\x7f]|String\.raw`[^`]*[^\x00-\x7f]/.test(text)) throw new Error(`${bundle}: a non-ASCII character an escape would change`);
  writeFileSync(bundle, text.replace(/[^\x00-\x7f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
// The command itself is a small launcher that loads cli-main.js through a code cache (launch.ts), keyed by
// the bundle's content.
const bundleHash = createHash('sha256').update(readFileSync('dist/cli-main.js')).digest('hex').slice(0, 16);
await build({ ...common, entryPoints: ['server/src/cli/launch.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, define: { SCALELINT_BUNDLE_HASH: JSON.stringify(bundleHash) } });
chmodSync('dist/cli.js', 0o755);
// libpg-query's loader looks for its WebAssembly next to the script that runs it (__dirname): dist/.
copyFileSync(createRequire(import.meta.url).resolve('libpg-query/wasm/libpg-query.wasm'), 'dist/libpg-query.wasm');
