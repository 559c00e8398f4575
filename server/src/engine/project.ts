// Loads the TypeScript projects files belong to: each file is analysed in the project of its nearest
// tsconfig.json (following `references` from solution-style configs), or in a default project for a
// plain folder. Nothing from the workspace is executed: no language-service plugins, no JS config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, SourceFile, ts, type CompilerOptions } from 'ts-morph';
import { glob, isDynamicPattern } from 'tinyglobby';
import ignore, { type Ignore } from 'ignore';
import type { EngineMessage } from './types';

/**
 * Adapts ts-morph where it builds a project's parts, once per process (ts-morph has no option for any of
 * it): our document registry (parse options), and on each compiler host the memo of the trees it handed
 * out (which asks that registry) and a module resolution cache that outlives programs.
 */
function adaptTsMorph(): void {
  // The CommonJS exports object itself: an ES import would be a read-only copy in the bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const common = require('@ts-morph/common') as {
    createHosts: (options: HostOptions) => { compilerHost: ts.CompilerHost };
    DocumentRegistry: unknown;
    __scalelintAdapted?: boolean;
  };
  if (common.__scalelintAdapted) return;
  common.__scalelintAdapted = true;
  common.DocumentRegistry = LeanDocumentRegistry;
  const createHosts = common.createHosts;
  common.createHosts = (options: HostOptions) => {
    const hosts = createHosts(options);
    rememberSourceFiles(hosts.compilerHost, options.transactionalFileSystem);
    keepModuleResolutionAcrossPrograms(hosts.compilerHost, options);
    return hosts;
  };
}

/**
 * ts-morph gives TypeScript no module resolution cache, so every new program (one per editor keystroke)
 * resolves every import again and looks up every library file's package.json to learn its module format:
 * a quarter of an edit's time in a 2,000-file workspace. Each project's compiler host gets one cache that
 * lives across its programs, the way tsserver keeps one; it starts over when files are added or removed,
 * so an import of a file that appears later resolves.
 */
function keepModuleResolutionAcrossPrograms(host: ts.CompilerHost, options: HostOptions): void {
  if (host.resolveModuleNames || host.resolveModuleNameLiterals) return;
  let cache: ts.ModuleResolutionCache | undefined;
  let fileSet = '';
  // TypeScript asks for the cache once at the start of each program.
  host.getModuleResolutionCache = () => {
    let count = 0;
    let length = 0;
    for (const filePath of options.sourceFileContainer.getSourceFilePaths()) {
      count += 1;
      length += filePath.length;
    }
    const current = `${count}:${length}`;
    if (!cache || current !== fileSet) {
      // TypeScript hands the cache normalised absolute paths: ts-morph's canonical-name function would
      // normalise each again, once per ancestor directory of every library file, on every program.
      cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), canonicalFileName, options.compilerOptions.get());
      rememberPackageJsonLookups(cache.getPackageJsonInfoCache());
      fileSet = current;
    }
    return cache;
  };
  host.resolveModuleNameLiterals = (literals, containingFile, redirectedReference, compilerOptions, containingSourceFile) => {
    const shared = cache ?? host.getModuleResolutionCache!()!;
    const modeOptions = redirectedReference?.commandLine.options ?? compilerOptions;
    return literals.map((literal) =>
      ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, shared, redirectedReference, ts.getModeForUsageLocation(containingSourceFile, literal, modeOptions)),
    );
  };
}

/**
 * Under `module: node16/nodenext` every new program asks, for each of its files, which package.json scope
 * it is in, one cache question per ancestor folder; the cache normalises the path of each question again.
 * The answers are remembered by the path as asked: the same strings come back on every program.
 */
function rememberPackageJsonLookups(packageJsonCache: ts.PackageJsonInfoCache): void {
  const cache = packageJsonCache as ts.PackageJsonInfoCache & {
    getPackageJsonInfo(packageJsonPath: string): unknown;
    setPackageJsonInfo(packageJsonPath: string, info: unknown): void;
  };
  const asked = new Map<string, unknown>();
  const get = cache.getPackageJsonInfo.bind(cache);
  const set = cache.setPackageJsonInfo.bind(cache);
  const clear = cache.clear.bind(cache);
  cache.getPackageJsonInfo = (packageJsonPath) => {
    // Only answers are remembered (never undefined): one look-up answers.
    const known = asked.get(packageJsonPath);
    if (known !== undefined) return known;
    const info = get(packageJsonPath);
    // Unknown yet: TypeScript looks on disk and records the answer through setPackageJsonInfo.
    if (info !== undefined) asked.set(packageJsonPath, info);
    return info;
  };
  cache.setPackageJsonInfo = (packageJsonPath, info) => {
    asked.delete(packageJsonPath);
    set(packageJsonPath, info);
  };
  cache.clear = () => {
    asked.clear();
    clear();
  };
}

const canonicalFileName = ts.sys.useCaseSensitiveFileNames ? (fileName: string) => fileName : (fileName: string) => fileName.toLowerCase();

/**
 * Each new program asks the host for every file again; ts-morph normalises each path twice to answer, 5 ms
 * an edit in a 2,000-file workspace. The tree handed out last for a name is handed out again while the
 * project's document registry still holds it (an edit or a removal replaces it there).
 */
function rememberSourceFiles(host: ts.CompilerHost, fileSystem: object): void {
  const given = new Map<string, ts.SourceFile>();
  const getSourceFile = host.getSourceFile.bind(host);
  let registry: LeanDocumentRegistry | undefined;
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    registry ??= LeanDocumentRegistry.of(fileSystem);
    const known = given.get(fileName);
    if (known && !shouldCreateNewSourceFile && registry?.holds(known)) return adoptModuleFormat(known, languageVersionOrOptions);
    const tree = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    if (tree) given.set(fileName, tree);
    else given.delete(fileName);
    return tree && adoptModuleFormat(tree, languageVersionOrOptions);
  };
}

/**
 * The module format the program worked out for a file (from its extension and nearest package.json), which
 * ts-morph's host drops: without it, under `node16`/`nodenext`, an ES module's imports resolve with the
 * `require` conditions and miss packages that export only to `import`. Set before binding, as a parse would.
 */
function adoptModuleFormat(tree: ts.SourceFile, options: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile {
  if (typeof options !== 'object' || tree.impliedNodeFormat === options.impliedNodeFormat) return tree;
  // A bound tree keeps what it was bound as: binding laid out its scopes by it, and a program reusing the
  // tree could not tell it changed (a package.json `type` edited in a live session takes a restart).
  const internals = tree as ts.SourceFile & { locals?: unknown; externalModuleIndicator?: unknown; transformFlags?: number };
  if (internals.locals !== undefined) return tree;
  tree.impliedNodeFormat = options.impliedNodeFormat;
  // Whether the file is a module depends on the format too (`moduleDetection: auto`: an ES module always is).
  // Not for a script that may hold a top-level `await`: the parser reads `await (x)` differently in a module,
  // so only a new parse could make it one. It stays a script, as it was before its format was known.
  const mayAwaitAtTopLevel = POSSIBLE_TOP_LEVEL_AWAIT === undefined || ((internals.transformFlags ?? 0) & POSSIBLE_TOP_LEVEL_AWAIT) !== 0;
  if (internals.externalModuleIndicator || !mayAwaitAtTopLevel) options.setExternalModuleIndicator?.(tree);
  return tree;
}

/** TypeScript's mark on trees with an `await` that a module would parse as one (internal; unknown: assume one). */
const POSSIBLE_TOP_LEVEL_AWAIT = (ts as unknown as { TransformFlags?: { ContainsPossibleTopLevelAwait?: number } }).TransformFlags?.ContainsPossibleTopLevelAwait;

interface HostOptions {
  transactionalFileSystem: object;
  sourceFileContainer: { getSourceFilePaths(): Iterable<string> };
  compilerOptions: { get(): CompilerOptions };
}

/** TypeScript's own parent pass (JSDoc included), internal; without it, trees are parsed with parents. */
const setParentRecursive = (ts as unknown as { setParentRecursive?: (tree: ts.Node, incremental: boolean) => void }).setParentRecursive;

/**
 * ts-morph parses every file with JSDoc comments turned into syntax trees: in a Node project most of that is
 * library declarations (`lib.dom.d.ts`, `@types/node`), whose comments no rule reads and no type depends on
 * in TypeScript files. tsc skips them (its own hosts parse "for type errors"); so do we, with a document
 * registry that parses with `ParseForTypeInfo`: JSDoc is still parsed in JavaScript files, where it carries
 * types. Same contract as ts-morph's own registry, which fixes the parse options in a private method.
 */
class LeanDocumentRegistry {
  private static readonly byFileSystem = new WeakMap<object, LeanDocumentRegistry>();
  private readonly files = new Map<string, ts.SourceFile>();
  /** Trees parsed without parents since the last bindProject(), by file name: the latest only. */
  private readonly unparented = new Map<string, ts.SourceFile>();
  /** Set by the Workspace, which binds before it hands a tree out; other users of ts-morph get parents at parse. */
  parentsFromBinding = false;

  /** The registry of the ts-morph project that uses this file system wrapper. */
  static of(fileSystem: object): LeanDocumentRegistry | undefined {
    return LeanDocumentRegistry.byFileSystem.get(fileSystem);
  }

  constructor(private readonly fileSystem: { getStandardizedAbsolutePath(fileName: string): string }) {
    LeanDocumentRegistry.byFileSystem.set(fileSystem, this);
  }

  /** Whether the tree is still the project's current one for its path. */
  holds(tree: ts.SourceFile): boolean {
    return this.files.get(tree.fileName) === tree;
  }

  createOrUpdateSourceFile(fileName: string, settings: CompilerOptions, snapshot: ts.IScriptSnapshot, scriptKind?: ts.ScriptKind): ts.SourceFile {
    const existing = this.files.get(fileName);
    const version = existing ? String((parseInt(this.getSourceFileVersion(existing), 10) || 0) + 1) : '0';
    return this.update(fileName, settings, snapshot, version, scriptKind);
  }

  removeSourceFile(fileName: string): void {
    this.files.delete(fileName);
    this.unparented.delete(fileName);
  }

  acquireDocument(fileName: string, settings: CompilerOptions, snapshot: ts.IScriptSnapshot, version: string, scriptKind?: ts.ScriptKind): ts.SourceFile {
    const standardized = this.fileSystem.getStandardizedAbsolutePath(fileName);
    const existing = this.files.get(standardized);
    if (existing && this.getSourceFileVersion(existing) === version) return existing;
    return this.update(standardized, settings, snapshot, version, scriptKind);
  }

  acquireDocumentWithKey(fileName: string, _path: string, settings: CompilerOptions, _key: string, snapshot: ts.IScriptSnapshot, version: string, scriptKind?: ts.ScriptKind): ts.SourceFile {
    return this.acquireDocument(fileName, settings, snapshot, version, scriptKind);
  }

  updateDocument(fileName: string, settings: CompilerOptions, snapshot: ts.IScriptSnapshot, version: string, scriptKind?: ts.ScriptKind): ts.SourceFile {
    return this.acquireDocument(fileName, settings, snapshot, version, scriptKind);
  }

  updateDocumentWithKey(fileName: string, _path: string, settings: CompilerOptions, _key: string, snapshot: ts.IScriptSnapshot, version: string, scriptKind?: ts.ScriptKind): ts.SourceFile {
    return this.acquireDocument(fileName, settings, snapshot, version, scriptKind);
  }

  getKeyForCompilationSettings(): string {
    return 'defaultKey';
  }

  releaseDocument(): void {}

  releaseDocumentWithKey(): void {}

  reportStats(): string {
    return '[]';
  }

  getSourceFileVersion(sourceFile: ts.SourceFile): string {
    return (sourceFile as ts.SourceFile & { version?: string }).version || '0';
  }

  /**
   * Gives parent pointers to the trees parsed without them that binding did not reach: files outside the
   * program (JavaScript without `allowJs`), or every tree when the checker could not be built.
   */
  parentUnboundTrees(): void {
    for (const tree of this.unparented.values()) if (tree.endOfFileToken.parent !== tree) setParentRecursive?.(tree, false);
    this.unparented.clear();
  }

  private update(fileName: string, settings: CompilerOptions, snapshot: ts.IScriptSnapshot, version: string, scriptKind?: ts.ScriptKind): ts.SourceFile {
    const options: ts.CreateSourceFileOptions = { languageVersion: settings.target ?? ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseForTypeInfo };
    // In the Workspace's projects, no parent pointers here: binding sets them on every node of the program's
    // trees, as it does for tsc, and a separate pass over each tree cost a sixth of parsing.
    const deferParents = this.parentsFromBinding && setParentRecursive !== undefined;
    const sourceFile = ts.createLanguageServiceSourceFile(fileName, snapshot, options, version, !deferParents, scriptKind);
    this.files.set(fileName, sourceFile);
    if (deferParents) this.unparented.set(fileName, sourceFile);
    return sourceFile;
  }
}

/**
 * Builds the project's program and binds it, which sets parent pointers on its trees, then gives them to
 * any tree binding did not reach. Call before walking a tree of the project; the first call of a program pays.
 */
export function bindProject(project: Project): void {
  try {
    project.getProgram().compilerObject.getTypeChecker();
  } finally {
    registryOf(project)?.parentUnboundTrees();
  }
}

function registryOf(project: Project): LeanDocumentRegistry | undefined {
  const fileSystem = (project as unknown as { _context?: { fileSystemWrapper?: object } })._context?.fileSystemWrapper;
  return fileSystem && LeanDocumentRegistry.of(fileSystem);
}

/**
 * A project whose trees get their parent pointers from binding: hand its trees out through bindProject().
 * In a one-shot analysis, ts-morph wraps a node's parents only when they are asked for (a patch of the
 * bundles, scripts/bundle-config.mjs): forgetting a replaced tree's wrappers, which the editor relies on,
 * would then miss some, and a one-shot analysis replaces no tree it still reads.
 */
function newProject(options: ConstructorParameters<typeof Project>[0], oneShot: boolean): Project {
  const project = new Project(options);
  const registry = registryOf(project);
  if (registry) registry.parentsFromBinding = true;
  const factory = (project as unknown as { _context?: { compilerFactory?: { scalelintParentsOnDemand?: boolean } } })._context?.compilerFactory;
  if (factory && oneShot) factory.scalelintParentsOnDemand = true;
  return project;
}

adaptTsMorph();

export const SOURCE_EXTENSIONS = ['ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs'];
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const DECLARATION_FILE = /\.d\.[cm]?ts$/;
export const DEFAULT_IGNORES = ['**/node_modules/**', '**/dist/**', '**/build/**', '**/out/**', '**/coverage/**', '**/.git/**', '**/.next/**', '**/*.d.ts', '**/*.d.mts', '**/*.d.cts', '**/*.min.js'];

/** Options for folders without a tsconfig.json: permissive, JavaScript included. */
export const DEFAULT_COMPILER_OPTIONS: CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowJs: true,
  checkJs: false,
  esModuleInterop: true,
  skipLibCheck: true,
  experimentalDecorators: true,
  jsx: ts.JsxEmit.Preserve,
  noEmit: true,
  strict: false,
  resolveJsonModule: true,
};

export interface LoadedProject {
  /** The tsconfig path, or `folder:<dir>` for a default project. */
  key: string;
  tsconfig?: string;
  project: Project;
  references: string[];
}

export function isSourceFile(file: string): boolean {
  return SOURCE_FILE.test(file) && !DECLARATION_FILE.test(file);
}

export class Workspace {
  private readonly projects = new Map<string, LoadedProject>();
  private readonly nearestConfig = new Map<string, string | null>();
  private readonly fileProject = new Map<string, LoadedProject>();
  readonly messages: EngineMessage[] = [];

  /** `oneShot`: each file is analysed once, as by the CLI (see newProject); the editor's workspace is not. */
  constructor(
    private readonly root: string,
    private readonly oneShot = false,
  ) {}

  /** All projects loaded so far. */
  loadedProjects(): LoadedProject[] {
    return [...this.projects.values()];
  }

  /**
   * Builds now the program the next edit would build, where it would differ in its root files. ts-morph
   * makes every file it holds a root, and analysis wraps library files too; the first program after that
   * has a new root list, which TypeScript cannot reuse: it starts over (a sixth of a second in a
   * 2,000-file workspace) instead of reusing all but the edited file.
   */
  buildNextPrograms(): void {
    for (const { project } of this.projects.values()) {
      const internals = project as unknown as { _context?: { compilerFactory?: { getSourceFilePaths?(): Iterable<string> } }; getLanguageService(): { _reset?(): void } };
      const held = internals._context?.compilerFactory?.getSourceFilePaths?.();
      const reset = internals.getLanguageService()._reset;
      if (!held || typeof reset !== 'function') continue;
      try {
        if (project.getProgram().compilerObject.getRootFileNames().length === [...held].length) continue;
        reset.call(internals.getLanguageService());
        bindProject(project);
      } catch {
        // The next analysis meets the same problem and reports it.
      }
    }
  }

  /**
   * The source file in the project it belongs to, added to that project if its config does not list it,
   * with the project's program built and bound: the trees of a Workspace have parent pointers from then on.
   */
  sourceFile(file: string): SourceFile {
    const sourceFile = this.addFile(file);
    try {
      bindProject(sourceFile.getProject());
    } catch {
      // Every tree has its parents all the same; rules meet the problem and report it per file.
    }
    return sourceFile;
  }

  /**
   * The file in its project, added if need be, without building a program: to load many files before
   * analysing any. Its tree may have no parent pointers yet; sourceFile() is the one to walk.
   */
  addFile(file: string): SourceFile {
    const absolute = path.resolve(file);
    const loaded = this.projectFor(absolute);
    return loaded.project.getSourceFile(absolute) ?? loaded.project.addSourceFileAtPath(absolute);
  }

  /** Replaces a file's text with unsaved editor text (or re-reads it from disk when `text` is undefined). */
  setText(file: string, text: string | undefined): SourceFile | undefined {
    const absolute = path.resolve(file);
    const loaded = this.projectFor(absolute);
    const existing = loaded.project.getSourceFile(absolute);
    if (text === undefined) {
      if (!fs.existsSync(absolute)) {
        if (existing) loaded.project.removeSourceFile(existing);
        return undefined;
      }
      text = fs.readFileSync(absolute, 'utf8');
    }
    if (existing && existing.getFullText() === text) return existing;
    return loaded.project.createSourceFile(absolute, text, { overwrite: true });
  }

  projectFor(file: string): LoadedProject {
    const absolute = path.resolve(file);
    const known = this.fileProject.get(absolute);
    if (known) return known;
    const tsconfig = this.findTsconfig(path.dirname(absolute));
    let result: LoadedProject;
    if (!tsconfig) {
      result = this.folderProject(this.root);
    } else {
      const loaded = this.load(tsconfig);
      result = (loaded.project.getSourceFile(absolute) ? loaded : this.findInReferences(loaded, absolute, new Set())) ?? loaded;
    }
    this.fileProject.set(absolute, result);
    return result;
  }

  private findInReferences(loaded: LoadedProject, file: string, seen: Set<string>): LoadedProject | undefined {
    for (const reference of loaded.references) {
      if (seen.has(reference)) continue;
      seen.add(reference);
      const child = this.load(reference);
      if (child.project.getSourceFile(file)) return child;
      const deeper = this.findInReferences(child, file, seen);
      if (deeper) return deeper;
    }
    return undefined;
  }

  private findTsconfig(dir: string): string | undefined {
    const chain: string[] = [];
    let current = dir;
    let found: string | null | undefined;
    for (;;) {
      const cached = this.nearestConfig.get(current);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      chain.push(current);
      const candidate = path.join(current, 'tsconfig.json');
      if (fs.existsSync(candidate)) {
        found = candidate;
        break;
      }
      const candidateJs = path.join(current, 'jsconfig.json');
      if (fs.existsSync(candidateJs)) {
        found = candidateJs;
        break;
      }
      const parent = path.dirname(current);
      if (parent === current) {
        found = null;
        break;
      }
      current = parent;
    }
    for (const dirInChain of chain) this.nearestConfig.set(dirInChain, found ?? null);
    return found ?? undefined;
  }

  private load(tsconfig: string): LoadedProject {
    const existing = this.projects.get(tsconfig);
    if (existing) return existing;
    let loaded: LoadedProject;
    try {
      const parsed = readTsconfig(tsconfig);
      if (parsed.errors.length > 0) {
        this.messages.push({ file: tsconfig, level: 'warning', message: `tsconfig problems, analysing with what could be read: ${parsed.errors.join('; ')}` });
      }
      const options: CompilerOptions = { ...parsed.options, noEmit: true, plugins: undefined };
      const project = newProject({ compilerOptions: options, skipAddingFilesFromTsConfig: true }, this.oneShot);
      for (const file of parsed.fileNames) {
        if (isSourceFile(file) || /\.d\.[cm]?ts$/.test(file)) project.addSourceFileAtPathIfExists(file);
      }
      loaded = { key: tsconfig, tsconfig, project, references: parsed.references };
    } catch (error) {
      this.messages.push({ file: tsconfig, level: 'warning', message: `cannot read tsconfig, using default options: ${(error as Error).message}` });
      loaded = { key: tsconfig, tsconfig, project: newProject({ compilerOptions: DEFAULT_COMPILER_OPTIONS }, this.oneShot), references: [] };
    }
    this.projects.set(tsconfig, loaded);
    return loaded;
  }

  private folderProject(dir: string): LoadedProject {
    const key = `folder:${dir}`;
    const existing = this.projects.get(key);
    if (existing) return existing;
    const loaded: LoadedProject = { key, project: newProject({ compilerOptions: DEFAULT_COMPILER_OPTIONS }, this.oneShot), references: [] };
    this.projects.set(key, loaded);
    return loaded;
  }
}

interface ParsedTsconfig {
  options: CompilerOptions;
  fileNames: string[];
  references: string[];
  errors: string[];
}

/** Reads a tsconfig with TypeScript's own parser, so `extends`, `paths` and `references` mean what tsc means. */
export function readTsconfig(tsconfig: string): ParsedTsconfig {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (read.error) throw new Error(flatten(read.error));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig), undefined, tsconfig);
  const errors = parsed.errors
    // A solution-style config lists no files of its own; that is not a problem.
    .filter((diagnostic) => diagnostic.code !== 18003)
    .map(flatten);
  const references = (parsed.projectReferences ?? []).map((reference) => {
    const target = reference.path;
    return fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'tsconfig.json') : target;
  });
  return { options: parsed.options, fileNames: parsed.fileNames, references, errors };
}

function flatten(diagnostic: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
}

export interface CollectOptions {
  /** Extra gitignore-syntax patterns, relative to `patternsBase`. */
  ignorePatterns: string[];
  patternsBase: string;
}

/**
 * The files to analyse under the given paths: source files only, `node_modules`, build output and
 * `.d.ts` skipped, `.gitignore` and `ignorePatterns` honoured, symbolic links not followed.
 */
export async function collectFiles(paths: string[], options: CollectOptions, messages: EngineMessage[]): Promise<string[]> {
  const result = new Set<string>();
  const patterns = ignore().add(options.ignorePatterns);
  for (const input of paths) {
    const absolute = path.resolve(input);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      if (isDynamicPattern(input)) {
        // A glob ('src/**/*.ts'), as ESLint takes: its matches still honour every ignore.
        const gitignore = gitignoreFor(process.cwd());
        const matches = (await glob([toPosix(input)], { cwd: process.cwd(), ignore: DEFAULT_IGNORES, absolute: true, followSymbolicLinks: false, dot: false })).filter((file) => {
          const relativeToGit = path.relative(gitignore.base, file);
          if (gitignore.rules && relativeToGit && !relativeToGit.startsWith('..') && gitignore.rules.ignores(toPosix(relativeToGit))) return false;
          const relativeToConfig = path.relative(options.patternsBase, file);
          return !(options.ignorePatterns.length && relativeToConfig && !relativeToConfig.startsWith('..') && patterns.ignores(toPosix(relativeToConfig))) && isSourceFile(file);
        });
        if (matches.length) {
          for (const file of matches) result.add(path.normalize(file));
          continue;
        }
        messages.push({ file: absolute, level: 'error', message: `no such file or directory: no files match the pattern ${input}` });
        continue;
      }
      messages.push({ file: absolute, level: 'error', message: `no such file or directory: ${input}` });
      continue;
    }
    if (stat.isFile()) {
      if (isSourceFile(absolute)) result.add(absolute);
      else messages.push({ file: absolute, level: 'info', message: 'skipped: not a JavaScript or TypeScript source file' });
      continue;
    }
    // A folder the user names explicitly is analysed even when the repository ignores it.
    const found0 = gitignoreFor(absolute);
    const relativeDir = toPosix(path.relative(found0.base, absolute));
    const gitignore = relativeDir && found0.rules?.ignores(`${relativeDir}/`) ? { base: found0.base, rules: undefined } : found0;
    const found = await glob(SOURCE_EXTENSIONS.map((ext) => `**/*.${ext}`), {
      cwd: absolute,
      ignore: DEFAULT_IGNORES,
      absolute: true,
      followSymbolicLinks: false,
      dot: false,
    });
    for (const file of found) {
      const relativeToGit = path.relative(gitignore.base, file);
      if (gitignore.rules && relativeToGit && !relativeToGit.startsWith('..') && gitignore.rules.ignores(toPosix(relativeToGit))) continue;
      const relativeToConfig = path.relative(options.patternsBase, file);
      if (options.ignorePatterns.length && relativeToConfig && !relativeToConfig.startsWith('..') && patterns.ignores(toPosix(relativeToConfig))) continue;
      if (isSourceFile(file)) result.add(path.normalize(file));
    }
  }
  return [...result].sort();
}

/** The .gitignore rules of the repository a folder lives in (root .gitignore plus the folder's own). */
function gitignoreFor(dir: string): { base: string; rules?: Ignore } {
  let current = dir;
  let base: string | undefined;
  for (;;) {
    if (fs.existsSync(path.join(current, '.git'))) {
      base = current;
      break;
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  base ??= dir;
  const rules = ignore();
  let any = false;
  for (const candidate of new Set([path.join(base, '.gitignore'), path.join(dir, '.gitignore')])) {
    try {
      const text = fs.readFileSync(candidate, 'utf8');
      if (candidate === path.join(dir, '.gitignore') && dir !== base) {
        // Patterns of a nested .gitignore are relative to its folder.
        const prefix = toPosix(path.relative(base, dir));
        rules.add(text.split(/\r?\n/).filter((line) => line.trim() && !line.startsWith('#')).map((line) => (line.startsWith('/') ? `${prefix}${line}` : `${prefix}/**/${line}`)));
      } else {
        rules.add(text);
      }
      any = true;
    } catch {
      // no .gitignore there
    }
  }
  return { base, rules: any ? rules : undefined };
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}
