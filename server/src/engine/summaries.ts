// Per-function I/O summaries: what I/O runs when a function runs, directly or through the functions it
// calls, across files. Computed lazily for the functions a rule asks about, cached, cycle-safe.
import { CallExpression, Node, SyntaxKind, TaggedTemplateExpression, ts, type Project } from 'ts-morph';
import type { IoCall, IoResolver } from './io-resolver';
import { checkBudget } from './budget';
import { throughAlias } from './provenance';
import { byFileName, declarationsExtending, isProjectTree, listedNodesOf, mayNameProjectFunction, projectFunctionNameTest, rawSymbolOf, type HeritageDeclaration } from './project-index';
import { RawKind, wrapCompilerNode } from './rule-kit';

export interface IoPath {
  io: IoCall;
  /** Call sites from the summarised function down to the one that performs `io`, outermost first. */
  via: CallExpression[];
}

export type FunctionLike = Node & { getBody(): Node | undefined };

const MAX_CHAIN = 8;
const MAX_PATHS_PER_FUNCTION = 24;

export class FunctionSummaries {
  private readonly cache = new Map<ts.Node, IoPath[]>();
  private readonly inProgress = new Set<ts.Node>();

  constructor(private readonly io: IoResolver) {}

  /** Forget everything: a file changed, and summaries of its callers may be stale. */
  clear(): void {
    this.cache.clear();
  }

  /** The I/O a call performs: itself, or what the project functions it calls perform. */
  ioOfCall(call: CallExpression | TaggedTemplateExpression, depth = 0): IoPath[] {
    const direct = this.io.classify(call);
    if (direct) return [{ io: direct, via: [] }];
    if (!Node.isCallExpression(call) || depth >= MAX_CHAIN) return [];
    const paths: IoPath[] = [];
    for (const callee of resolveCallees(call)) {
      for (const path of this.ioOfFunction(callee, depth + 1)) {
        paths.push({ io: path.io, via: [call, ...path.via] });
        if (paths.length >= MAX_PATHS_PER_FUNCTION) return paths;
      }
    }
    return paths;
  }

  /** All I/O performed when the function's body runs, including callbacks it passes to calls. */
  ioOfFunction(fn: FunctionLike, depth = 0): IoPath[] {
    checkBudget();
    const key = fn.compilerNode;
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (this.inProgress.has(key)) return []; // recursion: the cycle adds nothing new
    this.inProgress.add(key);
    const paths: IoPath[] = [];
    try {
      const body = fn.getBody();
      if (body) {
        for (const call of callsRunBy(body)) {
          for (const path of this.ioOfCall(call, depth)) {
            paths.push(path);
            if (paths.length >= MAX_PATHS_PER_FUNCTION) break;
          }
          if (paths.length >= MAX_PATHS_PER_FUNCTION) break;
        }
      }
    } finally {
      this.inProgress.delete(key);
    }
    this.cache.set(key, paths);
    return paths;
  }
}

/**
 * Calls that run when `body` runs: its own calls and those of callbacks handed to calls or invoked
 * immediately; not those of nested declarations, which run only if something calls them.
 */
export function callsRunBy(body: Node): (CallExpression | TaggedTemplateExpression)[] {
  const sourceFile = body.getSourceFile();
  return nodesRunningWith(body.compilerNode, sourceFile.compilerNode, CALL_KINDS, 'promise-executor').map((node) => wrapCompilerNode(sourceFile, node) as CallExpression | TaggedTemplateExpression);
}

const CALL_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([RawKind.CallExpression, RawKind.TaggedTemplateExpression]);

/**
 * The raw nodes of `kinds` (calls, constructions, tagged templates) that run when `root` runs, in source
 * order: those within it, but not within a class or a nested function, unless that function is invoked on
 * the spot or handed to a call (isInvokedInline with `constructorArguments`). Read from the project
 * index's list of the file, with a climb from each to `root`, rather than a walk of every node below it.
 */
export function nodesRunningWith(root: ts.Node, tree: ts.SourceFile, kinds: ReadonlySet<ts.SyntaxKind>, constructorArguments: 'promise-executor' | 'all'): ts.Node[] {
  // `() => class { … }` defines a class; none of it runs yet.
  if (root.kind === RawKind.ClassDeclaration || root.kind === RawKind.ClassExpression) return [];
  const listed = listedNodesOf(tree);
  // The list is in source order, so the nodes within `root` start at the first at or after its position.
  let low = 0;
  let high = listed.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (listed[middle].pos < root.pos) low = middle + 1;
    else high = middle;
  }
  const found: ts.Node[] = [];
  for (let index = low; index < listed.length && listed[index].pos < root.end; index++) {
    const node = listed[index];
    if (kinds.has(node.kind) && runsWith(node, root, constructorArguments)) found.push(node);
  }
  return found;
}

function runsWith(node: ts.Node, root: ts.Node, constructorArguments: 'promise-executor' | 'all'): boolean {
  for (let current = node; current !== root; current = current.parent) {
    // Not within `root` at all: an enclosing node that starts where it does.
    if (current.kind === RawKind.SourceFile) return false;
    const parent = current.parent;
    if (parent === root) continue;
    const kind = parent.kind;
    if (kind === RawKind.ClassDeclaration || kind === RawKind.ClassExpression || (FUNCTION_KINDS.has(kind) && !isInvokedInline(parent, constructorArguments))) return false;
  }
  return true;
}

export function isFunctionLike(node: Node): node is FunctionLike {
  return FUNCTION_KINDS.has(node.getKind());
}

/** The kinds of `FunctionLike`, for tests on raw compiler nodes. */
export const FUNCTION_KINDS: ReadonlySet<SyntaxKind> = new Set([
  SyntaxKind.ArrowFunction,
  SyntaxKind.FunctionExpression,
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
]);

/**
 * A function literal called on the spot (an IIFE) or passed as an argument to a call (a callback). Of those
 * passed to `new`, the executor of `new Promise(executor)` runs before the constructor returns (a query
 * promisified by hand runs when its wrapper is called); with `constructorArguments: 'all'`, any argument of
 * `new` counts, as the request-path model assumes.
 */
export function isInvokedInline(fn: ts.Node, constructorArguments: 'promise-executor' | 'all' = 'promise-executor'): boolean {
  if (fn.kind !== RawKind.ArrowFunction && fn.kind !== RawKind.FunctionExpression) return false;
  let child = fn;
  let parent = fn.parent;
  while (parent && parent.kind === RawKind.ParenthesizedExpression) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  if (parent.kind === RawKind.CallExpression) {
    const call = parent as ts.CallExpression;
    return call.expression === child || call.arguments.includes(child as ts.Expression);
  }
  if (parent.kind === RawKind.NewExpression) {
    const created = parent as ts.NewExpression;
    if (constructorArguments === 'all') return created.arguments?.includes(child as ts.Expression) ?? false;
    return created.arguments?.[0] === child && created.expression.kind === RawKind.Identifier && (created.expression as ts.Identifier).text === 'Promise';
  }
  return false;
}

/**
 * Project functions a call may invoke: declarations with bodies, outside .d.ts and node_modules. `consulted`
 * collects the names of the interfaces and abstract classes whose implementations the answer
 * depends on: a cache of it is stale when a class implementing one of them appears, goes or is renamed.
 */
export function resolveCallees(call: CallExpression, consulted?: Set<string>): FunctionLike[] {
  const callee = call.getExpression();
  const nameNode = Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : callee;
  // Most calls (`res.json`, `arr.map`, `console.log`) bear no project function's name: no type query for them.
  if (!mayBeProjectCall(nameNode)) return [];
  let symbol;
  try {
    symbol = throughAlias(nameNode.getSymbol());
  } catch {
    return [];
  }
  if (!symbol) return [];
  const result: FunctionLike[] = [];
  for (const declaration of symbol.getDeclarations()) {
    const file = declaration.getSourceFile();
    if (file.isDeclarationFile() || file.isInNodeModules()) continue;
    const fn = functionOfDeclaration(declaration);
    if (fn) result.push(fn);
    else if (isInjectedReceiver(callee)) result.push(...implementationsOf(callee, declaration, consulted));
  }
  return result;
}

/**
 * `this.orders.findById()`: a call on a member of `this`, the shape of an injected dependency. Interfaces also
 * type plain data and values passed around (`self.pipe()` in a functional library); fanning those out to
 * every implementation would summarise half the project for a seam that is not there.
 */
function isInjectedReceiver(callee: Node): boolean {
  const compiler = callee.compilerNode;
  if (!ts.isPropertyAccessExpression(compiler)) return false;
  const receiver = compiler.expression;
  return ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword;
}

/**
 * An interface with more implementations than this is a general-purpose abstraction (an `Iterable`, a
 * `Pipeable`), not an injection seam: a call through it is left unresolved rather than fanned out.
 */
const MAX_IMPLEMENTATIONS = 8;
/** Interfaces and classes visited between the injected type and its implementations, at most. */
const MAX_HERITAGE = 32;

interface Implementations {
  functions: FunctionLike[];
  /** Names of the types the walk went through: a class naming any of them in its heritage can change the answer. */
  names: string[];
}

/** Per program: the classes bound to an interface can change in any file, so answers last one program. */
const implementationCache = new WeakMap<ts.Program, Map<ts.Node, Map<string, Implementations>>>();

/**
 * `this.orders.findById(id)` where `orders: OrderRepository` is an interface (bound by an injection token) or
 * an abstract class: the methods that run for it in the project's concrete classes below that type, through
 * interfaces that extend it and abstract bases (`class PgOrders extends SqlRepository implements
 * OrderRepository`), including a method such a class inherits. One of them runs; which one is decided at
 * run time, so each is followed.
 */
function implementationsOf(callee: Node, declaration: Node, consulted?: Set<string>): FunctionLike[] {
  const member = declaration.compilerNode;
  const owner = member.parent;
  const isInterfaceMember = (ts.isMethodSignature(member) || ts.isPropertySignature(member)) && ts.isInterfaceDeclaration(owner);
  const isAbstractMember = (ts.isMethodDeclaration(member) || ts.isPropertyDeclaration(member)) && ts.isClassDeclaration(owner) && isAbstract(member);
  const name = (member as ts.NamedDeclaration).name;
  const memberName = name && ts.isIdentifier(name) ? name.text : undefined;
  if ((!isInterfaceMember && !isAbstractMember) || !memberName) return [];
  const project = declaration.getProject();
  const program = project.getProgram().compilerObject;
  const checker = program.getTypeChecker();
  // From the receiver's own type when the project declares it (`orders: OrderRepository`, whose `findById`
  // comes from `Repository<T>`): the implementations of the other repositories never run here.
  const root = seamOf(checker, (callee.compilerNode as ts.PropertyAccessExpression).expression) ?? (owner as HeritageDeclaration);
  let byMember = implementationCache.get(program);
  if (!byMember) implementationCache.set(program, (byMember = new Map()));
  let byName = byMember.get(root);
  if (!byName) byMember.set(root, (byName = new Map()));
  let found = byName.get(memberName);
  if (!found) byName.set(memberName, (found = walkImplementations(project, checker, declaration, root, memberName)));
  for (const name of found.names) consulted?.add(name);
  return found.functions;
}

function walkImplementations(project: Project, checker: ts.TypeChecker, anchor: Node, root: HeritageDeclaration, memberName: string): Implementations {
  const names: string[] = [];
  const seams: HeritageDeclaration[] = [root];
  const concrete: ts.ClassDeclaration[] = [];
  for (let index = 0; index < seams.length && seams.length <= MAX_HERITAGE; index++) {
    const seam = seams[index];
    if (!seam.name) continue;
    names.push(seam.name.text);
    const symbol = rawSymbolOf(checker, seam.name);
    for (const candidate of declarationsExtending(anchor, seam.name.text)) {
      if (seams.includes(candidate)) continue;
      if (!candidate.heritageClauses?.some((clause) => clause.types.some((type) => rawSymbolOf(checker, type.expression) === symbol))) continue;
      seams.push(candidate);
      if (ts.isClassDeclaration(candidate) && !isAbstract(candidate)) concrete.push(candidate);
    }
  }
  const functions: FunctionLike[] = [];
  if (concrete.length > MAX_IMPLEMENTATIONS || seams.length > MAX_HERITAGE) return { functions, names };
  // In path and source order: the first implementation shown in a chain does not depend on the index's order.
  concrete.sort((a, b) => byFileName(a.getSourceFile(), b.getSourceFile()) || a.pos - b.pos);
  for (const implementation of concrete) {
    const classSymbol = implementation.name && checker.getSymbolAtLocation(implementation.name);
    // The member as the class has it: its own, or the one it inherits from a base class.
    const property = classSymbol && checker.getPropertyOfType(checker.getDeclaredTypeOfSymbol(classSymbol), memberName);
    for (const method of property?.declarations ?? []) {
      const file = isProjectTree(method.getSourceFile()) ? project.getSourceFile(method.getSourceFile().fileName) : undefined;
      const fn = file && functionOfDeclaration(wrapCompilerNode(file, method));
      if (fn && !functions.includes(fn)) functions.push(fn);
    }
  }
  return { functions, names };
}

/** The project's interface or abstract class a receiver is declared as, if that is what it is. */
function seamOf(checker: ts.TypeChecker, receiver: ts.Expression): HeritageDeclaration | undefined {
  const type = checker.getTypeAtLocation(receiver);
  const symbol = type.aliasSymbol ?? type.getSymbol();
  for (const declaration of symbol?.declarations ?? []) {
    if (!isProjectTree(declaration.getSourceFile())) continue;
    if (ts.isInterfaceDeclaration(declaration) || (ts.isClassDeclaration(declaration) && isAbstract(declaration))) return declaration;
  }
  return undefined;
}

function isAbstract(node: ts.Declaration): boolean {
  return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Abstract) !== 0;
}

/** False when `nameNode` is a name that no project function, method, class or import binding bears. */
export function mayBeProjectCall(nameNode: Node): boolean {
  return mayBeProjectName(nameNode, nameNode.compilerNode);
}

/** mayBeProjectCall for a raw name node, `anchor` any node of its project: no ts-morph object for the name. */
export function mayBeProjectName(anchor: Node, name: ts.Node): boolean {
  if (!ts.isIdentifier(name) && !ts.isPrivateIdentifier(name)) return true;
  return mayNameProjectFunction(anchor, name.text);
}

/** mayBeProjectName for the many names of one walk, in one program (`anchor` any node of the project). */
export function projectNameFilter(anchor: Node): (name: ts.Node) => boolean {
  const isProjectName = projectFunctionNameTest(anchor);
  return (name) => (name.kind !== RawKind.Identifier && name.kind !== RawKind.PrivateIdentifier) || isProjectName((name as ts.Identifier).text);
}

function functionOfDeclaration(declaration: Node): FunctionLike | undefined {
  if (Node.isFunctionDeclaration(declaration) || Node.isMethodDeclaration(declaration)) {
    return declaration.getBody() ? (declaration as FunctionLike) : undefined;
  }
  if (Node.isVariableDeclaration(declaration) || Node.isPropertyAssignment(declaration) || Node.isPropertyDeclaration(declaration)) {
    const initializer = declaration.getInitializer();
    if (initializer && (Node.isArrowFunction(initializer) || Node.isFunctionExpression(initializer))) return initializer as FunctionLike;
  }
  return undefined;
}

/** The innermost function around a node, or undefined at module level. */
export function enclosingFunction(node: Node): FunctionLike | undefined {
  for (let parent = node.getParent(); parent; parent = parent.getParent()) {
    if (isFunctionLike(parent)) return parent;
  }
  return undefined;
}
