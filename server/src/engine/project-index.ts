// Syntactic facts about a whole program, gathered once per program from the raw compiler trees (no node
// wrappers, no type checker), so that rules and models can skip type queries that cannot succeed:
// a call whose name no project function bears cannot resolve to a project function, and a client spec
// whose modules the program never loads cannot match any value's origin.
import { Node, Project, ts } from 'ts-morph';
import { normalizeModule, packageOfFile } from './provenance';
import { RawKind, walkRaw } from './rule-kit';

interface TreeFacts {
  /** Names a call can reach a project function by: declared functions, methods, function-valued variables and properties, classes, and local import names (aliases). */
  callableNames: Set<string>;
  /** Normalised module specifiers the file imports, re-exports, requires or imports dynamically. */
  modules: Set<string>;
}

/**
 * A project's facts for its current program, kept as counts so that an editor keystroke (a new program
 * with one new tree) updates them by that tree instead of re-uniting every file's facts.
 */
interface ProgramFacts {
  program: ts.Program;
  trees: Set<ts.SourceFile>;
  callableNames: Map<string, number>;
  modules: Map<string, number>;
}

const treeFacts = new WeakMap<ts.SourceFile, TreeFacts>();
const projectFacts = new WeakMap<Project, ProgramFacts>();

function factsOf(node: Node): ProgramFacts {
  const project = node.getProject();
  const program = project.getProgram().compilerObject as ts.Program;
  let facts = projectFacts.get(project);
  if (facts?.program === program) return facts;
  if (!facts) projectFacts.set(project, (facts = { program, trees: new Set(), callableNames: new Map(), modules: new Map() }));
  const trees = new Set(program.getSourceFiles());
  for (const tree of facts.trees) if (!trees.has(tree)) count(facts, contributionOf(tree), -1);
  for (const tree of trees) if (!facts.trees.has(tree)) count(facts, contributionOf(tree), 1);
  facts.trees = trees;
  facts.program = program;
  return facts;
}

function count(facts: ProgramFacts, contribution: TreeFacts, by: 1 | -1): void {
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

function factsOfTree(tree: ts.SourceFile): TreeFacts {
  let facts = treeFacts.get(tree);
  if (facts) return facts;
  // A type's origin is the package its declaration file belongs to ('project' for the project's own).
  const found: TreeFacts = { callableNames: new Set(), modules: new Set(tree.isDeclarationFile ? [normalizeModule(packageOfFile(tree.fileName))] : []) };
  const addName = (name: ts.Node | undefined): void => {
    if (name && (name.kind === K.Identifier || name.kind === K.PrivateIdentifier || name.kind === K.StringLiteral)) found.callableNames.add((name as ts.Identifier).text);
  };
  const addModule = (specifier: ts.Node | undefined): void => {
    if (specifier && (specifier.kind === K.StringLiteral || specifier.kind === K.NoSubstitutionTemplateLiteral)) found.modules.add(normalizeModule((specifier as ts.StringLiteral).text));
  };
  walkRaw(tree, (node) => {
    switch (node.kind) {
      case K.FunctionDeclaration:
      case K.MethodDeclaration:
      case K.ClassDeclaration:
      case K.ClassExpression:
      case K.ImportClause:
      case K.ImportSpecifier:
      case K.NamespaceImport:
      case K.ImportEqualsDeclaration:
      case K.BindingElement:
        addName((node as ts.NamedDeclaration).name);
        break;
      case K.VariableDeclaration:
      case K.PropertyAssignment:
      case K.PropertyDeclaration:
        // Any initializer, not only function literals: `const load = require('./load')` is an alias in JavaScript.
        if ((node as ts.VariableDeclaration).initializer) addName((node as ts.NamedDeclaration).name);
        break;
      case K.ImportDeclaration:
      case K.ExportDeclaration:
        addModule((node as ts.ImportDeclaration).moduleSpecifier);
        break;
      case K.ExternalModuleReference:
        addModule((node as ts.ExternalModuleReference).expression);
        break;
      case K.CallExpression: {
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
 * False when no project function, method, class or import binding is called `name`: a call by that name
 * cannot resolve to project code, so there is no need to ask the checker.
 */
export function mayNameProjectFunction(node: Node, name: string): boolean {
  return (factsOf(node).callableNames.get(name) ?? 0) > 0;
}

/** False when the program neither loads nor imports any of these modules, so no value can come from them. */
export function mayUseModules(node: Node, modules: readonly string[]): boolean {
  const present = factsOf(node).modules;
  return modules.some((module) => (present.get(normalizeModule(module)) ?? 0) > 0);
}

const identifierNames = new WeakMap<ts.SourceFile, Set<string>>();

/**
 * The names a file's identifiers spell, once per parsed tree: "which files mention `fetchRates`?" is then a
 * set look-up per file instead of a scan of every file's text for every name asked about.
 */
export function identifierNamesOf(tree: ts.SourceFile): ReadonlySet<string> {
  let names = identifierNames.get(tree);
  if (names) return names;
  const found = new Set<string>();
  walkRaw(tree, (node) => {
    if (node.kind !== K.Identifier) return true;
    found.add((node as ts.Identifier).text);
    return false;
  });
  identifierNames.set(tree, (names = found));
  return names;
}

/** Per project: which of its own files mention each identifier name, kept in step with its program. */
interface MentionIndex {
  program: ts.Program;
  trees: Set<ts.SourceFile>;
  byName: Map<string, Set<ts.SourceFile>>;
}

const mentionIndexes = new WeakMap<Project, MentionIndex>();

/**
 * The project's own files (not declaration files, not node_modules) whose identifiers spell `name`. An
 * inverted index, updated by the trees that changed since the last program, so that asking about many
 * names costs one look-up each rather than a pass over every file per name.
 */
export function filesMentioning(node: Node, name: string): ReadonlySet<ts.SourceFile> {
  const project = node.getProject();
  const program = project.getProgram().compilerObject as ts.Program;
  let index = mentionIndexes.get(project);
  if (!index) mentionIndexes.set(project, (index = { program, trees: new Set(), byName: new Map() }));
  if (index.program !== program || index.trees.size === 0) {
    const trees = new Set(program.getSourceFiles().filter((tree) => !tree.isDeclarationFile && !tree.fileName.includes('/node_modules/')));
    for (const tree of index.trees) {
      if (trees.has(tree)) continue;
      for (const mentioned of identifierNamesOf(tree)) index.byName.get(mentioned)?.delete(tree);
    }
    for (const tree of trees) {
      if (index.trees.has(tree)) continue;
      for (const mentioned of identifierNamesOf(tree)) {
        let files = index.byName.get(mentioned);
        if (!files) index.byName.set(mentioned, (files = new Set()));
        files.add(tree);
      }
    }
    index.trees = trees;
    index.program = program;
  }
  return index.byName.get(name) ?? EMPTY;
}

const EMPTY: ReadonlySet<ts.SourceFile> = new Set();
