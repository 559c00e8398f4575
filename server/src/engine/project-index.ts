// Syntactic facts about a whole program, gathered once per program from the raw compiler trees (no node
// wrappers, no type checker), so that rules and models can skip type queries that cannot succeed:
// a call whose name no project function bears cannot resolve to a project function, and a client spec
// whose modules the program never loads cannot match any value's origin.
import { Node, Project, ts } from 'ts-morph';
import { normalizeModule, packageOfFile } from './provenance';

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

// Read once: each `ts.x` through the bundle's module object is a getter call, too slow for a walk of every node.
const K = ts.SyntaxKind;
const forEachChild = ts.forEachChild;

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
  // An explicit stack: generated files nest deeper than the call stack allows.
  const stack: ts.Node[] = [tree];
  const push = (child: ts.Node): void => {
    stack.push(child);
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
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
    forEachChild(node, push);
  }
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
