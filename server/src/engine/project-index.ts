// Syntactic facts about a whole program, gathered once per program from the raw compiler trees (no node
// wrappers, no type checker), so that rules and models can skip type queries that cannot succeed:
// a call whose name no project function bears cannot resolve to a project function, and a client spec
// whose modules the program never loads cannot match any value's origin.
import { Node, Project, ts } from 'ts-morph';
import { normalizeModule, packageOfFile } from './provenance';
import { RawKind, walkRaw } from './raw-tree';

interface TreeFacts {
  /** Names a call can reach a project function by: declared functions, methods, function-valued variables and properties, classes, and local import names (aliases). */
  callableNames: Set<string>;
  /** Normalised module specifiers the file imports, re-exports, requires or imports dynamically. */
  modules: Set<string>;
  /** The names its identifiers spell, for the project's own code (read in the same walk). */
  identifierNames?: Set<string>;
  /** Its calls, constructions, tagged templates and class declarations in source order (see listedNodesOf). */
  listed?: ts.Node[];
}

/**
 * How a project's program differs from the one before it. An editor keystroke replaces one tree and keeps
 * the order of the others, so a side-by-side walk finds it without a set of every tree; indexes then
 * update by the trees that changed instead of re-reading every file.
 */
export interface ProgramChange {
  program: ts.Program;
  /** Counts the distinct programs seen for the project: a change applies to an index that saw the one before. */
  generation: number;
  removed: readonly ts.SourceFile[];
  added: readonly ts.SourceFile[];
  /** Only trees at the same paths were replaced: the project's file list is as it was. */
  sameFiles: boolean;
}

/** The last change per project. It keeps the old program's file array (not the program) to compare with. */
const lastChanges = new WeakMap<Project, { change: ProgramChange; files: readonly ts.SourceFile[] }>();

export function programChange(project: Project): ProgramChange {
  const program = project.getProgram().compilerObject as ts.Program;
  const last = lastChanges.get(project);
  if (last?.change.program === program) return last.change;
  const files = program.getSourceFiles();
  const change = { program, generation: (last?.change.generation ?? -1) + 1, ...compareTrees(last?.files, files) };
  lastChanges.set(project, { change, files });
  return change;
}

function compareTrees(before: readonly ts.SourceFile[] | undefined, after: readonly ts.SourceFile[]): Pick<ProgramChange, 'removed' | 'added' | 'sameFiles'> {
  if (!before) return { removed: [], added: after, sameFiles: false };
  if (before.length === after.length) {
    const removed: ts.SourceFile[] = [];
    const added: ts.SourceFile[] = [];
    let index = 0;
    for (; index < after.length; index++) {
      if (before[index] === after[index]) continue;
      if (before[index].fileName !== after[index].fileName) break;
      removed.push(before[index]);
      added.push(after[index]);
    }
    if (index === after.length) return { removed, added, sameFiles: true };
  }
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  return { removed: before.filter((tree) => !afterSet.has(tree)), added: after.filter((tree) => !beforeSet.has(tree)), sameFiles: false };
}

/**
 * Per-tree contributions to a project-wide index, kept in step with the project's program: after an edit,
 * only the replaced tree is taken out and its successor put in.
 */
export class TreeIndex {
  /** The program generation the index is in step with (not the program: that would keep its checker alive). */
  private generation = -1;
  private held = new Set<ts.SourceFile>();

  constructor(
    private readonly includes: (tree: ts.SourceFile) => boolean,
    private readonly add: (tree: ts.SourceFile) => void,
    private readonly remove: (tree: ts.SourceFile) => void,
  ) {}

  /** The trees whose contributions the index holds. */
  get trees(): ReadonlySet<ts.SourceFile> {
    return this.held;
  }

  sync(project: Project): void {
    const change = programChange(project);
    if (this.generation === change.generation) return;
    if (this.generation >= 0 && this.generation === change.generation - 1) {
      for (const tree of change.removed) if (this.held.delete(tree)) this.remove(tree);
      for (const tree of change.added) {
        if (!this.includes(tree)) continue;
        this.held.add(tree);
        this.add(tree);
      }
    } else {
      const trees = new Set(change.program.getSourceFiles().filter(this.includes));
      for (const tree of this.held) if (!trees.has(tree)) this.remove(tree);
      for (const tree of trees) if (!this.held.has(tree)) this.add(tree);
      this.held = trees;
    }
    this.generation = change.generation;
  }
}

/** A project's callable names and loaded modules, as counts over its trees. */
interface ProgramFacts {
  index: TreeIndex;
  callableNames: Map<string, number>;
  modules: Map<string, number>;
}

const treeFacts = new WeakMap<ts.SourceFile, TreeFacts>();
const projectFacts = new WeakMap<Project, ProgramFacts>();

function factsOf(node: Node): ProgramFacts {
  const project = node.getProject();
  let facts = projectFacts.get(project);
  if (!facts) {
    const counts = { callableNames: new Map<string, number>(), modules: new Map<string, number>() };
    const index = new TreeIndex(() => true, (tree) => count(counts, contributionOf(tree), 1), (tree) => count(counts, contributionOf(tree), -1));
    projectFacts.set(project, (facts = { ...counts, index }));
  }
  facts.index.sync(project);
  return facts;
}

function count(facts: Omit<ProgramFacts, 'index'>, contribution: TreeFacts, by: 1 | -1): void {
  for (const name of contribution.callableNames) facts.callableNames.set(name, (facts.callableNames.get(name) ?? 0) + by);
  for (const module of contribution.modules) facts.modules.set(module, (facts.modules.get(module) ?? 0) + by);
}

/** What a tree adds: a library declaration file its package; a project file its names and imports. */
function contributionOf(tree: ts.SourceFile): TreeFacts {
  const fileName = tree.fileName;
  if (fileName.includes('/node_modules/')) {
    let facts = treeFacts.get(tree);
    if (!facts) treeFacts.set(tree, (facts = { callableNames: new Set(), modules: new Set([normalizeModule(packageOfFile(fileName))]) }));
    return facts;
  }
  return factsOfTree(tree);
}

const K = RawKind;
const PRIMITIVE_LITERALS = new Set<ts.SyntaxKind>([K.StringLiteral, K.NumericLiteral, K.BigIntLiteral, K.NoSubstitutionTemplateLiteral, K.TemplateExpression, K.RegularExpressionLiteral, K.TrueKeyword, K.FalseKeyword, K.NullKeyword]);

function factsOfTree(tree: ts.SourceFile): TreeFacts {
  let facts = treeFacts.get(tree);
  if (facts) return facts;
  // A type's origin is the package its declaration file belongs to ('project' for the project's own).
  const found: TreeFacts = { callableNames: new Set(), modules: new Set(tree.isDeclarationFile ? [normalizeModule(packageOfFile(tree.fileName))] : []) };
  const identifierNames = isProjectTree(tree) ? (found.identifierNames = new Set()) : undefined;
  const listed: ts.Node[] = (found.listed = []);
  const addName = (name: ts.Node | undefined): void => {
    if (name && (name.kind === K.Identifier || name.kind === K.PrivateIdentifier || name.kind === K.StringLiteral)) found.callableNames.add((name as ts.Identifier).text);
  };
  const addModule = (specifier: ts.Node | undefined): void => {
    if (specifier && (specifier.kind === K.StringLiteral || specifier.kind === K.NoSubstitutionTemplateLiteral)) found.modules.add(normalizeModule((specifier as ts.StringLiteral).text));
  };
  walkRaw(tree, (node) => {
    switch (node.kind) {
      case K.Identifier:
        identifierNames?.add((node as ts.Identifier).text);
        break;
      case K.ClassDeclaration:
        listed.push(node);
        addName((node as ts.NamedDeclaration).name);
        break;
      case K.FunctionDeclaration:
      case K.MethodDeclaration:
      // An interface method: a call of it on an injected dependency resolves to the classes implementing it.
      case K.MethodSignature:
      case K.ClassExpression:
      case K.ImportClause:
      case K.ImportSpecifier:
      case K.NamespaceImport:
      case K.ImportEqualsDeclaration:
      case K.BindingElement:
        addName((node as ts.NamedDeclaration).name);
        break;
      // An interface member or an abstract property typed as a function (`notify: (event) => void`): like a
      // method signature, a call of it resolves to the implementing classes. Other properties are data.
      case K.PropertySignature:
        if ((node as ts.PropertySignature).type?.kind === K.FunctionType) addName((node as ts.NamedDeclaration).name);
        break;
      case K.VariableDeclaration:
      case K.PropertyAssignment:
      case K.PropertyDeclaration: {
        // Any initializer, not only function literals: `const load = require('./load')` is an alias in JavaScript.
        // But a string, number or boolean is never called: `{ max: 10 }` in a pool's options must not make every
        // `Math.max()` a type query.
        const initializer = (node as ts.VariableDeclaration).initializer;
        if (initializer && !PRIMITIVE_LITERALS.has(initializer.kind)) addName((node as ts.NamedDeclaration).name);
        else if (!initializer && (node as ts.PropertyDeclaration).type?.kind === K.FunctionType) addName((node as ts.NamedDeclaration).name);
        break;
      }
      case K.ImportDeclaration:
      case K.ExportDeclaration:
        addModule((node as ts.ImportDeclaration).moduleSpecifier);
        break;
      case K.ExternalModuleReference:
        addModule((node as ts.ExternalModuleReference).expression);
        break;
      case K.NewExpression:
      case K.TaggedTemplateExpression:
        listed.push(node);
        break;
      case K.CallExpression: {
        listed.push(node);
        const callee = (node as ts.CallExpression).expression;
        if (callee.kind === K.ImportKeyword || (callee.kind === K.Identifier && (callee as ts.Identifier).text === 'require')) addModule((node as ts.CallExpression).arguments[0]);
        break;
      }
      case K.ImportType: {
        const argument = (node as ts.ImportTypeNode).argument;
        if (argument.kind === K.LiteralType) addModule((argument as ts.LiteralTypeNode).literal);
        break;
      }
    }
  });
  treeFacts.set(tree, found);
  return found;
}

/**
 * The calls, constructions, tagged templates and class declarations of a tree, in source order: rules and
 * models look for these in every file, and the walk that reads a tree's names lists them too. A library's
 * tree gets a walk of its own, since its names are not the project's.
 */
export function listedNodesOf(tree: ts.SourceFile): readonly ts.Node[] {
  if (!tree.fileName.includes('/node_modules/')) return factsOfTree(tree).listed!;
  let listed = libraryListed.get(tree);
  if (!listed) {
    const nodes: ts.Node[] = (listed = []);
    walkRaw(tree, (node) => {
      if (LISTED_KINDS.has(node.kind)) nodes.push(node);
    });
    libraryListed.set(tree, listed);
  }
  return listed;
}

/** What listedNodesOf lists. factsOfTree's switch lists the same kinds in its own cases (a test checks). */
export const LISTED_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([K.CallExpression, K.NewExpression, K.TaggedTemplateExpression, K.ClassDeclaration]);
const libraryListed = new WeakMap<ts.SourceFile, ts.Node[]>();

/**
 * False when no project function, method, class or import binding is called `name`: a call by that name
 * cannot resolve to project code, so there is no need to ask the checker.
 */
export function mayNameProjectFunction(node: Node, name: string): boolean {
  return (factsOf(node).callableNames.get(name) ?? 0) > 0;
}

/** mayNameProjectFunction for the many names of one walk, in one program: the index is brought up to date once. */
export function projectFunctionNameTest(node: Node): (name: string) => boolean {
  const { callableNames } = factsOf(node);
  return (name) => (callableNames.get(name) ?? 0) > 0;
}

/** False when the program neither loads nor imports any of these modules, so no value can come from them. */
export function mayUseModules(node: Node, modules: readonly string[]): boolean {
  const present = factsOf(node).modules;
  return modules.some((module) => (present.get(normalizeModule(module)) ?? 0) > 0);
}

/** Per program, so that a language server keeps none of it across edits: 3-4 KB a file for the files asked about. */
const identifiersByName = new WeakMap<ts.Program, WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>>();

/**
 * The identifiers of a tree that spell `name`, in source order. A tree is walked once for all its names,
 * on the first question in a program: reference searches ask about many names in the same few files.
 */
export function identifiersNamed(program: ts.Program, tree: ts.SourceFile, name: string): readonly ts.Identifier[] {
  let byTree = identifiersByName.get(program);
  if (!byTree) identifiersByName.set(program, (byTree = new WeakMap()));
  let byName = byTree.get(tree);
  if (!byName) {
    const found = new Map<string, ts.Identifier[]>();
    walkRaw(tree, (node) => {
      if (node.kind !== K.Identifier) return true;
      const text = (node as ts.Identifier).text;
      const list = found.get(text);
      if (list) list.push(node as ts.Identifier);
      else found.set(text, [node as ts.Identifier]);
      return false;
    });
    byTree.set(tree, (byName = found));
  }
  return byName.get(name) ?? EMPTY_IDENTIFIERS;
}

const EMPTY_IDENTIFIERS: readonly ts.Identifier[] = [];

/**
 * The names a project file's identifiers spell, once per parsed tree: "which files mention `fetchRates`?" is
 * then a set look-up per file instead of a scan of every file's text for every name asked about.
 */
function identifierNamesOf(tree: ts.SourceFile): ReadonlySet<string> {
  return factsOfTree(tree).identifierNames ?? EMPTY;
}

/**
 * An inverted index over the project's own trees: name → the things (trees, declarations) that spell it,
 * updated by the trees that changed since the last program, so that asking about many names costs one
 * look-up each rather than a pass over every file per name. `entriesOf` must visit the same entries for a
 * tree every time (remove takes out what add put in).
 */
class NameIndex<T> {
  private readonly byName = new Map<string, Set<T>>();
  private readonly index: TreeIndex;

  constructor(entriesOf: (tree: ts.SourceFile, visit: (name: string, value: T) => void) => void) {
    this.index = new TreeIndex(
      isProjectTree,
      (tree) =>
        entriesOf(tree, (name, value) => {
          let values = this.byName.get(name);
          if (!values) this.byName.set(name, (values = new Set()));
          values.add(value);
        }),
      (tree) => entriesOf(tree, (name, value) => this.byName.get(name)?.delete(value)),
    );
  }

  lookUp(project: Project, name: string): ReadonlySet<T> {
    this.index.sync(project);
    return this.byName.get(name) ?? (EMPTY as ReadonlySet<T>);
  }
}

/** Per project: which of its own files mention each identifier name. */
const mentionIndexes = new WeakMap<Project, NameIndex<ts.SourceFile>>();

/** The project's own files (not declaration files, not node_modules) whose identifiers spell `name`. */
export function filesMentioning(node: Node, name: string): ReadonlySet<ts.SourceFile> {
  const project = node.getProject();
  let mentions = mentionIndexes.get(project);
  if (!mentions) mentionIndexes.set(project, (mentions = new NameIndex(mentionsOf)));
  return mentions.lookUp(project, name);
}

/** A class or interface with `extends` or `implements` clauses: a place an injected type's implementations hang. */
export type HeritageDeclaration = ts.ClassDeclaration | ts.InterfaceDeclaration;

const heritageOfTree = new WeakMap<ts.SourceFile, [string, HeritageDeclaration][]>();
/** Per project: its classes and interfaces by the names their `implements` and `extends` clauses spell. */
const heritageIndexes = new WeakMap<Project, NameIndex<HeritageDeclaration>>();

/**
 * The project's classes and interfaces whose `implements` or `extends` clause spells `name` (`implements
 * OrderRepository`, `extends repo.Catalog`, `interface OrderRepository extends Repository<Order>`), by name
 * only: the caller resolves which of them mean its declaration.
 */
export function declarationsExtending(node: Node, name: string): ReadonlySet<HeritageDeclaration> {
  const project = node.getProject();
  let heritage = heritageIndexes.get(project);
  if (!heritage) heritageIndexes.set(project, (heritage = new NameIndex(heritageOf)));
  return heritage.lookUp(project, name);
}

/**
 * Which classes and interfaces spell `name` in a heritage clause, as text that survives edits (`file#Name`
 * in order): two programs with the same answer have the same implementations of a type of that name.
 */
export function implementersKey(node: Node, name: string): string {
  const keys: string[] = [];
  for (const declaration of declarationsExtending(node, name)) keys.push(`${declaration.getSourceFile().fileName}#${declaration.name?.text ?? ''}`);
  return keys.sort().join('\n');
}

function mentionsOf(tree: ts.SourceFile, visit: (name: string, tree: ts.SourceFile) => void): void {
  for (const mentioned of identifierNamesOf(tree)) visit(mentioned, tree);
}

function heritageOf(tree: ts.SourceFile, visit: (name: string, declaration: HeritageDeclaration) => void): void {
  for (const [named, declaration] of heritageNamesOf(tree)) visit(named, declaration);
}

/** Classes and interfaces at the top level and in namespaces (not in function bodies), with each name in their heritage clauses. */
function heritageNamesOf(tree: ts.SourceFile): [string, HeritageDeclaration][] {
  let found = heritageOfTree.get(tree);
  if (found) return found;
  found = [];
  const visit = (statements: readonly ts.Statement[]): void => {
    for (const statement of statements) {
      if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) visit(statement.body.statements);
      if (!(ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) || !statement.heritageClauses) continue;
      for (const clause of statement.heritageClauses) {
        for (const type of clause.types) {
          const expression = type.expression;
          const named = ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : undefined;
          if (named) found!.push([named, statement]);
        }
      }
    }
  };
  visit(tree.statements);
  heritageOfTree.set(tree, found);
  return found;
}

/** Files in path order: what lists them does not then depend on the order an index yields them in. */
export function byFileName(a: ts.SourceFile, b: ts.SourceFile): number {
  return a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0;
}

/** What a raw identifier or name expression means, through an import: for passes over raw trees. */
export function rawSymbolOf(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  const symbol = checker.getSymbolAtLocation(node);
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The project's own code: neither a declaration file nor a library's. */
export function isProjectTree(tree: ts.SourceFile): boolean {
  return !tree.isDeclarationFile && !tree.fileName.includes('/node_modules/');
}

const EMPTY: ReadonlySet<never> = new Set();
