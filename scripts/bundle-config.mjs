// How the bundles are built: scripts/bundle.mjs for dist/, and the test that bundles the engine to check
// the TypeScript patch below.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const importMetaBanner = "const __scalelintImportMetaUrl = require('url').pathToFileURL(__filename).href;";

export const common = {
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

/**
 * TypeScript builds a new program after every edit in the editor and, reusing each of the old program's
 * 2,200 files, first works out the file's parse options again: under `module: node16/nodenext` that is a
 * package.json scope walk per file, 6 of an edit's 13-17 ms in the benchmark's workspace, for answers
 * that cannot change while the module resolution cache they come from lives (the engine starts a new one
 * when files are added or removed, a new project when a tsconfig changes). The options are remembered on
 * that cache, per file and per setting they depend on. A closure inside createProgram, so no host or
 * cache can answer in its place: the bundled TypeScript is patched, and the build fails if the function
 * is no longer there as written.
 */
const CREATE_OPTIONS = `  function getCreateSourceFileOptions(fileName, moduleResolutionCache2, host2, options2) {
    const result = getImpliedNodeFormatForFileWorker(`;
const CREATE_OPTIONS_REMEMBERED = `  function getCreateSourceFileOptions(fileName, moduleResolutionCache2, host2, options2) {
    const settings = [host2, currentDirectory, getEmitScriptTarget(options2), getEmitModuleResolutionKind(options2), options2.module, options2.moduleDetection, options2.jsx, host2.jsDocParsingMode];
    let remembered = moduleResolutionCache2 && moduleResolutionCache2.scalelintCreateOptions;
    if (!remembered || remembered.settings.some((setting, index) => setting !== settings[index])) {
      remembered = { settings, byFile: new Map() };
      if (moduleResolutionCache2) moduleResolutionCache2.scalelintCreateOptions = remembered;
    }
    const known = remembered.byFile.get(fileName);
    if (known) return known;
    const created = getCreateSourceFileOptionsAnew(fileName, moduleResolutionCache2, host2, options2);
    remembered.byFile.set(fileName, created);
    return created;
  }
  function getCreateSourceFileOptionsAnew(fileName, moduleResolutionCache2, host2, options2) {
    const result = getImpliedNodeFormatForFileWorker(`;
const rememberCreateOptions = { what: 'getCreateSourceFileOptions', original: CREATE_OPTIONS, patched: CREATE_OPTIONS_REMEMBERED };

/**
 * The rules ask the checker for the symbol at a node about 31,000 times on a 1,000-file project, half of
 * them for a node asked about before (the callee of a call is resolved by the I/O model, the summaries
 * and the request-path model alike), and TypeScript resolves the name again each time: a walk up the
 * scopes and a look-up in each. The answer cannot change while the checker lives, so each checker
 * remembers it per node (a new program, after an edit, makes a new checker). Same guard as above.
 */
const SYMBOL_AT_LOCATION = `    getSymbolAtLocation: (nodeIn) => {
      const node = getParseTreeNode(nodeIn);
      return node ? getSymbolAtLocation(
        node,
        /*ignoreErrors*/
        true
      ) : void 0;
    },`;
const SYMBOL_AT_LOCATION_REMEMBERED = `    getSymbolAtLocation: ((symbolsAt) => (nodeIn) => {
      const node = getParseTreeNode(nodeIn);
      if (!node) return void 0;
      let known = symbolsAt.get(node);
      if (known === void 0) symbolsAt.set(node, known = getSymbolAtLocation(node, /*ignoreErrors*/ true) ?? null);
      return known ?? void 0;
    })(new WeakMap()),`;
const rememberSymbolsAtLocation = { what: 'getSymbolAtLocation', original: SYMBOL_AT_LOCATION, patched: SYMBOL_AT_LOCATION_REMEMBERED };

/**
 * ts-morph hands out its wrapper for a compiler node through a cache lookup that first allocates a
 * closure to create one; an analysis asks about 800,000 times, nearly always for a node already wrapped
 * (every getParent, getExpression and getDeclarations of the rules goes through it). The patch looks in
 * the cache first, and tests for a source file with the kind's number, read here from the bundled
 * TypeScript, not through a getter per call. Same guard as above.
 */
const WRAPPER_LOOKUP = `    getNodeFromCompilerNode(compilerNode, sourceFile) {
        if (compilerNode.kind === common.SyntaxKind.SourceFile)
            return this.getSourceFile(compilerNode, { markInProject: false });
        return this.#nodeCache.getOrCreate(compilerNode, () => {`;
const WRAPPER_LOOKUP_CACHED_FIRST = `    getNodeFromCompilerNode(compilerNode, sourceFile) {
        if (compilerNode.kind === ${require('@ts-morph/common').ts.SyntaxKind.SourceFile} /* SyntaxKind.SourceFile */)
            return this.getSourceFile(compilerNode, { markInProject: false });
        const wrapped = this.#nodeCache.get(compilerNode);
        if (wrapped !== undefined)
            return wrapped;
        return this.#nodeCache.getOrCreate(compilerNode, () => {`;
const wrapperLookupCachedFirst = { what: 'getNodeFromCompilerNode', original: WRAPPER_LOOKUP, patched: WRAPPER_LOOKUP_CACHED_FIRST };

/**
 * ts-morph wraps every ancestor of a node it wraps, so that forgetting a subtree (when a file's text is
 * replaced) can reach each wrapper through wrapped parents. A one-shot analysis (the CLI) replaces no tree it
 * still reads, and wrapping a deep call's parents up to the file was 35,600 of the 99,000 wrappers of a
 * run on a 1,000-file project; 21,000 of them are asked for later anyway. With
 * `scalelintParentsOnDemand` set on a project's compiler factory (see project.ts), a parent is wrapped when
 * asked for; the count of wrapped children is kept on parents already wrapped. Parents with parsed tokens
 * (ts-morph's syntax lists) keep the original path. Same guard as above.
 */
const PARENT_WRAP = `        function initializeNode(node) {
            if (compilerNode.parent != null) {
                const parentNode = this.getNodeFromCompilerNode(compilerNode.parent, sourceFile);`;
const PARENT_WRAP_ON_DEMAND = `        function initializeNode(node) {
            if (compilerNode.parent != null && this.scalelintParentsOnDemand && !ExtendedParser.hasParsedTokens(compilerNode.parent)) {
                const wrappedParent = compilerNode.parent.kind === ${require('@ts-morph/common').ts.SyntaxKind.SourceFile} /* SyntaxKind.SourceFile */ ? this.getNodeFromCompilerNode(compilerNode.parent, sourceFile) : this.#nodeCache.get(compilerNode.parent);
                if (wrappedParent !== undefined)
                    wrappedParent._wrappedChildCount++;
                return;
            }
            if (compilerNode.parent != null) {
                const parentNode = this.getNodeFromCompilerNode(compilerNode.parent, sourceFile);`;
const parentWrapOnDemand = { what: 'initializeNode', original: PARENT_WRAP, patched: PARENT_WRAP_ON_DEMAND };

/**
 * Our code reads ts-morph's exports a few million times an analysis (`Node.isCallExpression`, `ts.isIdentifier`),
 * and a CommonJS package's exports reach a bundle as getters: esbuild's interop object, ts-morph's own
 * `ts` getter, its namespace object for TypeScript, then TypeScript's export getter, three or four calls
 * for one function. Our imports of ts-morph go through a module of plain constants instead, read once at
 * start-up; `ts` becomes a plain copy of TypeScript's functions and enums. ts-morph's code is unchanged.
 */
const tsMorphConstants = {
  name: 'ts-morph-constants',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^ts-morph$/ }, (args) => (/[\\/]node_modules[\\/]/.test(args.importer) ? undefined : { path: 'ts-morph', namespace: 'scalelint-ts-morph' }));
    pluginBuild.onLoad({ filter: /^ts-morph$/, namespace: 'scalelint-ts-morph' }, () => {
      const names = Object.keys(require('ts-morph')).filter((name) => name !== 'ts' && name !== 'default');
      const contents = [
        `import * as morph from ${JSON.stringify(require.resolve('ts-morph'))};`,
        'const flat = {};',
        'for (const key of Object.keys(morph.ts)) flat[key] = morph.ts[key];',
        'export const ts = flat;',
        `export const { ${names.join(', ')} } = morph;`,
      ].join('\n');
      return { contents, loader: 'js', resolveDir: process.cwd() };
    });
  },
};

/** The patches the CLI's and the language server's bundles are built with (the test bundles the engine so too). */
export const enginePatches = [
  patchFile('typescript-patches', /[\\/]@ts-morph[\\/]common[\\/]dist[\\/]typescript\.js$/, [rememberCreateOptions, rememberSymbolsAtLocation]),
  patchFile('ts-morph-patches', /[\\/]ts-morph[\\/]dist[\\/]ts-morph\.js$/, [wrapperLookupCachedFirst, parentWrapOnDemand]),
  tsMorphConstants,
];

/**
 * An esbuild plugin replacing each patch's `original` once in the file `filter` matches (one plugin per
 * file: esbuild loads a file through the first plugin that answers); the build fails if one is not there
 * exactly once.
 */
function patchFile(name, filter, patches) {
  return {
    name,
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter }, async (args) => {
        let text = await readFile(args.path, 'utf8');
        for (const { what, original, patched } of patches) {
          if (text.split(original).length !== 2) throw new Error(`${args.path}: ${what} is not as scripts/bundle.mjs expects; update the patch`);
          text = text.replace(original, patched);
        }
        return { contents: text, loader: 'js' };
      });
    },
  };
}
