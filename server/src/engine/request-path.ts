// The request-path model: which functions run once per request or per job (HTTP handlers and middleware,
// NestJS controllers, guards, interceptors and Passport strategies, Next.js route handlers and API routes,
// GraphQL resolvers, queue consumers) and every project function they call, across files. Rules use it to
// tell hot-path code from start-up code and to show the entry point as evidence.
//
// Built lazily per ts-morph Project on the first question: one syntactic pass over the project's files
// for entry points (a cheap text test first, the type checker only for candidates), then a breadth-first
// walk over the calls they make. Shortest chains win, so evidence stays short. After an edit only the
// edited file and its importers are read again (entry points, calls out of their functions); the walk
// over the cached edges is redone.
import * as path from 'node:path';
import { CallExpression, ClassDeclaration, Decorator, NewExpression, Node, Project, SourceFile, SyntaxKind, ts } from 'ts-morph';
import { importedBinding } from './io-resolver';
import { constInitializerOf, importOrigin, normalizeModule, originOf, packageOfFile, symbolOfName, throughAlias, type Origin } from './provenance';
import { IO_CLIENTS, IO_FUNCTIONS } from './io-model';
import { outsideBudget } from './budget';
import { fileNodesIn, RawKind, wrapCompilerNode } from './rule-kit';
import { implementersKey, isProjectTree, mayUseModules, programChange, type ProgramChange } from './project-index';
import { enclosingFunction, isFunctionLike, isInvokedInline, mayBeProjectCall, nodesRunningWith, projectNameFilter, resolveCallees, type FunctionLike } from './summaries';

export type EntryKind =
  | 'route'
  | 'middleware'
  | 'controller'
  | 'guard'
  | 'interceptor'
  | 'pipe'
  | 'filter'
  | 'strategy'
  | 'resolver'
  | 'consumer'
  | 'gateway';

export interface EntryPoint {
  kind: EntryKind;
  /** 'express', 'fastify', 'koa', 'hono', 'nestjs', 'next', 'graphql', 'bullmq', 'bull', 'passport', 'node-http'. */
  framework: string;
  /** The function that runs per request or per job. */
  fn: FunctionLike;
  /** Where it is registered (the route call, the decorator, the export): evidence for findings. */
  node: Node;
  /** Human text: `express route GET /api/orders/:id`, `NestJS guard AuthGuard.canActivate`. */
  label: string;
  /** Runs per job (queue consumer) rather than per HTTP request or resolver call. */
  perJob: boolean;
}

export interface RequestPath {
  entry: EntryPoint;
  /** The function asked about. */
  fn: FunctionLike;
  /** Call sites from the entry function down to `fn`, outermost first; empty when `fn` is the entry. */
  via: (CallExpression | NewExpression)[];
}

/** Upper bound on functions visited per project: the model stays cheaper than a type check. */
const MAX_FUNCTIONS = 20000;

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'any', 'use', 'on', 'addHook', 'route', 'search', 'param']);
const FASTIFY_ROUTE_HOOKS = ['handler', 'preHandler', 'onRequest', 'preValidation', 'preParsing', 'preSerialization', 'onSend', 'onResponse', 'errorHandler'];
/** Fastify hooks that run once per application, not per request. */
const FASTIFY_APPLICATION_HOOKS = new Set(['onReady', 'onListen', 'onClose', 'preClose', 'onRoute', 'onRegister']);
const NEXT_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Packages that declare a router or app type, by framework. `@types/` prefixes are stripped first. */
const FRAMEWORK_MODULES: Record<string, string> = {
  express: 'express',
  'express-serve-static-core': 'express',
  router: 'express',
  fastify: 'fastify',
  koa: 'koa',
  '@koa/router': 'koa',
  'koa-router': 'koa',
  koa__router: 'koa',
  hono: 'hono',
};

const FRAMEWORK_MODULE_NAMES = Object.keys(FRAMEWORK_MODULES);
const CLIENT_MODULES = new Set([...IO_CLIENTS, ...IO_FUNCTIONS].flatMap((spec) => spec.modules).map(normalizeModule));

const NEST_ROUTE_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'All', 'Search', 'Sse', 'MessagePattern', 'EventPattern']);
const NEST_RESOLVER_DECORATORS = new Set(['Query', 'Mutation', 'Subscription', 'ResolveField', 'ResolveProperty', 'ResolveReference']);
const NEST_INTERFACES: Record<string, { method: string; kind: EntryKind; label: string }> = {
  CanActivate: { method: 'canActivate', kind: 'guard', label: 'guard' },
  NestInterceptor: { method: 'intercept', kind: 'interceptor', label: 'interceptor' },
  NestMiddleware: { method: 'use', kind: 'middleware', label: 'middleware' },
  PipeTransform: { method: 'transform', kind: 'pipe', label: 'pipe' },
  ExceptionFilter: { method: 'catch', kind: 'filter', label: 'exception filter' },
};

/** Cheap text test: files without any of these words cannot register an entry point. */
const ENTRY_HINT = /\.(get|post|put|patch|delete|del|all|use|on|route|addHook|process|any|deserializeUser|param)\s*\(|@(Controller|Resolver|Processor|Injectable|WebSocketGateway)\b|PassportStrategy|implements|resolvers?\b|GraphQLObjectType|new\s+Worker\b|createServer/;

interface Reached {
  entry: EntryPoint;
  /** The function this one was reached from, and the call site there; undefined for entries. */
  from?: ts.Node;
  call?: CallExpression | NewExpression;
  fn: FunctionLike;
  /** `fn`'s compiler node and file, read once: the walk visits every reachable function at every build. */
  node: ts.Node;
  file: SourceFile;
}

/**
 * Reachability from the entry points, walked breadth-first only as far as a question needs: the first time
 * a walk reaches a function is by a shortest chain, so pausing changes no answer. In the editor the edited
 * file's functions are usually a few calls from a handler, and the rest of the walk is never paid for.
 */
class Graph {
  readonly reached = new Map<ts.Node, Reached>();
  private readonly queue: Reached[] = [];
  private next = 0;

  constructor(
    /** The program the graph was built from. */
    readonly program: ts.Program,
    readonly entries: EntryPoint[],
    private readonly edgesOf: (reached: Reached) => Edge[],
  ) {
    for (const entry of entries) {
      const node = entry.fn.compilerNode;
      if (this.reached.has(node)) continue;
      const item: Reached = { entry, fn: entry.fn, node, file: entry.fn.getSourceFile() };
      this.reached.set(node, item);
      this.queue.push(item);
    }
  }

  /** How a function is first reached, or undefined when no entry point reaches it. */
  find(node: ts.Node): Reached | undefined {
    const found = this.reached.get(node);
    if (found || this.next >= this.queue.length) return found;
    // Work for the whole project, not for the file that asked: outside its analysis budget.
    return outsideBudget(() => {
      while (this.next < this.queue.length && this.reached.size < MAX_FUNCTIONS) {
        const current = this.queue[this.next++];
        for (const edge of this.edgesOf(current)) {
          if (this.reached.has(edge.calleeNode)) continue;
          const item: Reached = { entry: current.entry, from: current.node, call: edge.call, fn: edge.callee, node: edge.calleeNode, file: edge.calleeFile };
          this.reached.set(edge.calleeNode, item);
          this.queue.push(item);
        }
        if (this.reached.has(node)) break;
      }
      if (this.reached.size >= MAX_FUNCTIONS) this.next = this.queue.length;
      return this.reached.get(node);
    });
  }
}

type Edge = { call: CallExpression | NewExpression; callee: FunctionLike; calleeNode: ts.Node; calleeFile: SourceFile };

function edgeTo(call: CallExpression | NewExpression, callee: FunctionLike): Edge {
  return { call, callee, calleeNode: callee.compilerNode, calleeFile: callee.getSourceFile() };
}

/**
 * What the model learnt from one file: its entry points and the calls out of its functions. Valid while
 * the file and the files it imports keep their parsed trees, and the functions it points to theirs.
 */
interface FileFacts {
  /** The compiler trees this was computed from: the file itself, then its direct imports. */
  trees: readonly ts.SourceFile[];
  entries: EntryPoint[];
  edges: Map<ts.Node, Edge[]>;
  /** Every tree the facts point into (imports, entry functions, callees): each must still be current. */
  dependsOn: Set<ts.SourceFile>;
  /** The program generation (see programChange) these facts were last found valid in. */
  checkedIn?: number;
  /**
   * The types (interfaces, abstract bases, the classes between) walked to resolve the edges to
   * implementations, with `implementersKey` at the time: a class extending one can appear in a file these
   * facts do not otherwise depend on.
   */
  implementers?: Map<string, string>;
}

export class RequestPaths {
  private readonly graphs = new WeakMap<Project, Graph>();
  private readonly projects = new Set<Project>();
  /**
   * Entry points per file survive edits elsewhere: finding them asks the type checker about route
   * receivers, the costly part of the model, while the reachability walk is cheap. An edit to a file
   * invalidates its own entries and those of the files importing it.
   */
  private readonly factsByFile = new WeakMap<SourceFile, FileFacts>();
  /** The files the last graph of a project took entries from, and their facts: an edit keeps the list. */
  private readonly entryFiles = new WeakMap<Project, { generation: number; files: SourceFile[]; facts: FileFacts[] }>();

  /** Forget the reachability graphs: a file changed. Entry points are revalidated per file. */
  clear(): void {
    // WeakMap has no clear(); drop the entries we know of by tracking projects.
    for (const project of this.projects) this.graphs.delete(project);
    this.projects.clear();
  }

  /** All entry points of the project the node belongs to. */
  entries(node: Node): readonly EntryPoint[] {
    return this.graphOf(node.getSourceFile()).entries;
  }

  /** The entry point a function is itself (a route handler, a resolver), if any. */
  entryOf(fn: FunctionLike): EntryPoint | undefined {
    // Entries are in the graph from the start: no walk needed.
    const reached = this.graphOf(fn.getSourceFile()).reached.get(fn.compilerNode);
    return reached && !reached.from ? reached.entry : undefined;
  }

  /** How a function is reached from an entry point (shortest chain), or undefined when it is not. */
  pathOfFunction(fn: FunctionLike): RequestPath | undefined {
    const graph = this.graphOf(fn.getSourceFile());
    const reached = graph.find(fn.compilerNode);
    if (!reached) return undefined;
    const via: (CallExpression | NewExpression)[] = [];
    for (let step: Reached | undefined = reached; step?.from && step.call; step = graph.reached.get(step.from)) {
      via.unshift(step.call);
      if (via.length > 64) break;
    }
    return { entry: reached.entry, fn, via };
  }

  /**
   * The request path a node runs on: that of its enclosing function, or of the function around an inline
   * callback (`items.map(async (x) => …)` inside a handler). Undefined at module level (start-up code)
   * and in functions no entry point reaches.
   */
  requestPathOf(node: Node): RequestPath | undefined {
    for (let fn = isFunctionLike(node) ? node : enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
      const found = this.pathOfFunction(fn);
      if (found) return found;
      // A nested callback runs when its enclosing function runs only if it is handed to a call or invoked.
      if (!isInvokedInline(fn.compilerNode, 'all')) return undefined;
    }
    return undefined;
  }

  isOnRequestPath(node: Node): boolean {
    return this.requestPathOf(node) !== undefined;
  }

  /** `express route GET /api/orders → revenueByDay() → openClient()`: for messages. */
  static describe(requestPath: RequestPath): string {
    const steps = requestPath.via.map((call) => `${calleeText(call)}()`);
    return [requestPath.entry.label, ...steps].join(' → ');
  }

  /** Evidence for a finding: the registration, then each call site of the chain. */
  static evidence(requestPath: RequestPath): { node: Node; message: string }[] {
    const related = [{ node: requestPath.entry.node, message: `runs per ${requestPath.entry.perJob ? 'job' : 'request'}: ${requestPath.entry.label}` }];
    for (const call of requestPath.via) related.push({ node: call, message: `calls ${calleeText(call)}()` });
    return related;
  }

  /**
   * The file's facts, recomputed when it or a file it imports (or one its facts point into) changed.
   * `current` holds the project's trees for this graph build. Facts found valid in the build before need
   * only be checked against the trees this program replaced; others against every tree they depend on.
   * Each file's facts are checked once per build, not once per function asked about.
   */
  private factsOf(file: SourceFile, current: CurrentTrees, known?: FileFacts): FileFacts {
    const cached = known ?? this.factsByFile.get(file);
    if (cached && cached.checkedIn === current.generation) return cached;
    if (cached && cached.trees[0] === file.compilerNode && current.keeps(cached) && sameImplementers(file, cached)) {
      cached.checkedIn = current.generation;
      return cached;
    }
    let entries: EntryPoint[] = [];
    try {
      entries = entriesOfFile(file);
    } catch {
      // A file the checker cannot answer about adds no entries; the rest of the model stands.
    }
    const trees = [file.compilerNode, ...importedTrees(file)];
    const dependsOn = new Set(trees);
    for (const entry of entries) dependsOn.add(entry.fn.compilerNode.getSourceFile());
    const facts: FileFacts = { trees, entries, edges: new Map(), dependsOn, checkedIn: current.generation };
    this.factsByFile.set(file, facts);
    return facts;
  }

  /** Project functions that run when `fn` runs, from the cache of its file. */
  private edgesOf(reached: Reached, current: CurrentTrees): Edge[] {
    const facts = this.factsOf(reached.file, current);
    let edges = facts.edges.get(reached.node);
    if (!edges) {
      const body = reached.fn.getBody();
      const consulted = new Set<string>();
      edges = body ? calleesOf(body, consulted) : [];
      facts.edges.set(reached.node, edges);
      for (const edge of edges) facts.dependsOn.add(edge.calleeFile.compilerNode);
      for (const name of consulted) {
        facts.implementers ??= new Map();
        if (!facts.implementers.has(name)) facts.implementers.set(name, implementersKey(reached.file, name));
      }
    }
    return edges;
  }

  private graphOf(sourceFile: SourceFile): Graph {
    const project = sourceFile.getProject();
    // The program object changes when a file is added, removed or edited; listing the project's files to
    // count them, at every question, cost O(files) per question on a large project.
    const program = project.getProgram().compilerObject;
    const cached = this.graphs.get(project);
    if (cached && cached.program === program) return cached;
    const change = programChange(project);
    const last = this.entryFiles.get(project);
    // Listing (and ordering) the project's files costs O(files); an edit that adds or removes none keeps them.
    const kept = last && last.generation === change.generation - 1 && change.sameFiles ? last : undefined;
    const files = kept ? kept.files : project.getSourceFiles().filter((file) => !file.isDeclarationFile() && !file.isInNodeModules());
    const facts: FileFacts[] = new Array(files.length);
    this.entryFiles.set(project, { generation: change.generation, files, facts });
    const current = new CurrentTrees(project, change);
    // Work for every file of the project, not for the one that asked: outside its analysis budget.
    const graph = outsideBudget(() => buildGraph(program, files, (file, index) => (facts[index] = this.factsOf(file, current, kept?.facts[index])).entries, (reached) => this.edgesOf(reached, current)));
    this.graphs.set(project, graph);
    this.projects.add(project);
    return graph;
  }
}

/**
 * Whether the trees some facts depend on are all still the ones the project holds (none replaced by an
 * edit). Facts valid in the program before need only be checked against the trees this one replaced;
 * others against the set of the program's trees, built on first need, or the path for trees outside it.
 */
class CurrentTrees {
  readonly generation: number;
  private trees: Set<ts.SourceFile> | undefined;

  constructor(
    private readonly project: Project,
    private readonly change: ProgramChange,
  ) {
    this.generation = change.generation;
  }

  keeps(facts: FileFacts): boolean {
    if (facts.checkedIn === this.generation - 1) return this.change.removed.every((tree) => !facts.dependsOn.has(tree));
    return every(facts.dependsOn, (tree) => this.has(tree));
  }

  private has(tree: ts.SourceFile): boolean {
    this.trees ??= new Set(this.change.program.getSourceFiles());
    return this.trees.has(tree) || this.project.getSourceFile(tree.fileName)?.compilerNode === tree;
  }
}

function every<T>(items: Iterable<T>, test: (item: T) => boolean): boolean {
  for (const item of items) if (!test(item)) return false;
  return true;
}

/** False when a class or interface naming a type the facts resolved calls through has appeared, gone or been renamed. */
function sameImplementers(file: SourceFile, facts: FileFacts): boolean {
  if (!facts.implementers) return true;
  for (const [name, key] of facts.implementers) if (implementersKey(file, name) !== key) return false;
  return true;
}

/** The trees of the project files a file imports or re-exports from: its entries' types come from them. */
function importedTrees(file: SourceFile): ts.SourceFile[] {
  const trees: ts.SourceFile[] = [];
  const checker = file.getProject().getTypeChecker().compilerObject;
  // The top-level statements of the raw tree, as ts-morph's getModuleSpecifierSourceFile would resolve
  // them (the specifier's symbol is the target file), without a wrapper for every statement.
  for (const statement of file.compilerNode.statements) {
    if (statement.kind !== K.ImportDeclaration && statement.kind !== K.ExportDeclaration) continue;
    const specifier = (statement as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier;
    if (!specifier) continue;
    try {
      const target = checker.getSymbolAtLocation(specifier)?.declarations?.[0];
      if (!target || target.kind !== K.SourceFile || !isProjectTree(target as ts.SourceFile)) continue;
      // Wrapped all the same: that adds a file the program reached outside the tsconfig's list (a `paths`
      // alias into a sibling package) to the project's files, where later look-ups by path find it.
      wrapCompilerNode(file, target);
      trees.push(target as ts.SourceFile);
    } catch {
      // An import that does not resolve contributes nothing to invalidate on.
    }
  }
  return trees;
}

function buildGraph(program: ts.Program, files: readonly SourceFile[], entriesOf: (file: SourceFile, index: number) => EntryPoint[], edgesOf: (reached: Reached) => Edge[]): Graph {
  const entries: EntryPoint[] = [];
  for (let index = 0; index < files.length; index++) for (const entry of entriesOf(files[index], index)) entries.push(entry);
  return new Graph(program, entries, edgesOf);
}

/**
 * Project functions that run when `body` runs: called, constructed, or handed over as callbacks. Reads the
 * calls and constructions from the project index's list of the file, and wraps only those whose names may
 * be a project function's: this runs over every function the entry points reach, and walking every node of
 * them, or wrapping it in ts-morph objects, cost more than the resolution.
 */
function calleesOf(body: Node, consulted: Set<string>): Edge[] {
  const result: Edge[] = [];
  const sourceFile = body.getSourceFile();
  const mayBeProject = projectNameFilter(body);
  // In source order: the edge order decides which shortest chain is shown.
  for (const raw of nodesRunningWith(body.compilerNode, sourceFile.compilerNode, CALL_AND_NEW_KINDS, 'all') as (ts.CallExpression | ts.NewExpression)[]) {
    // The names first, on the raw tree: most calls (`res.json`, `arr.map`) and their arguments name no
    // project function, and then neither the call nor its arguments need ts-morph objects.
    const calleeMayBeProject = mayBeProject(calleeNameOf(raw.expression));
    // `items.map(toDto)`, `app.use(handler)`: functions passed by reference run too. Plain names and
    // `this.method` only: resolving `req.params.id` would type-check the receiver for nothing.
    let passed: ts.Expression[] | undefined;
    if (raw.kind === K.CallExpression) for (const argument of raw.arguments) if (isFunctionReference(argument) && mayBeProject(calleeNameOf(argument))) (passed ??= []).push(argument);
    if (!calleeMayBeProject && !passed) continue;
    try {
      const node = wrapCompilerNode(sourceFile, raw);
      if (Node.isCallExpression(node)) {
        if (calleeMayBeProject) for (const callee of resolveCallees(node, consulted)) result.push(edgeTo(node, callee));
        for (const argument of passed ?? []) for (const callee of functionsOf(wrapCompilerNode(sourceFile, argument))) result.push(edgeTo(node, callee));
      } else if (Node.isNewExpression(node)) {
        for (const ctor of constructorsOf(node)) result.push(edgeTo(node, ctor));
      }
    } catch {
      // Unresolvable symbols simply add no edge.
    }
  }
  return result;
}

const CALL_AND_NEW_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([RawKind.CallExpression, RawKind.NewExpression]);

/** The name a callee or reference resolves by: `b` of `a.b`, or the expression itself. */
function calleeNameOf(expression: ts.Expression): ts.Node {
  return expression.kind === K.PropertyAccessExpression ? (expression as ts.PropertyAccessExpression).name : expression;
}

function isFunctionReference(argument: ts.Expression): boolean {
  return argument.kind === K.Identifier || (argument.kind === K.PropertyAccessExpression && (argument as ts.PropertyAccessExpression).expression.kind === K.ThisKeyword);
}

const K = RawKind;

function constructorsOf(node: NewExpression): FunctionLike[] {
  const symbol = resolvedSymbol(node.getExpression());
  const result: FunctionLike[] = [];
  for (const declaration of symbol?.getDeclarations() ?? []) {
    if (!Node.isClassDeclaration(declaration) || isLibraryFile(declaration.getSourceFile())) continue;
    for (const ctor of declaration.getConstructors()) if (ctor.getBody()) result.push(ctor as FunctionLike);
  }
  return result;
}

function resolvedSymbol(node: Node) {
  const nameNode = Node.isPropertyAccessExpression(node) ? node.getNameNode() : node;
  if (!mayBeProjectCall(nameNode)) return undefined;
  return throughAlias(nameNode.getSymbol());
}

function isLibraryFile(file: SourceFile): boolean {
  return file.isDeclarationFile() || file.isInNodeModules();
}

/** The project functions an expression names: a literal, or a reference to a declared function. */
function functionsOf(expression: Node, depth = 0): FunctionLike[] {
  if (depth > 4) return [];
  let node = expression;
  while (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node)) node = node.getExpression();
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) return [node as FunctionLike];
  if (Node.isArrayLiteralExpression(node)) return node.getElements().flatMap((element) => functionsOf(element, depth + 1));
  // `controller.list.bind(controller)`: the bound method runs.
  if (isBindCall(node)) return functionsOf((node as CallExpression).getExpression().asKindOrThrow(SyntaxKind.PropertyAccessExpression).getExpression(), depth + 1);
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    const symbol = resolvedSymbol(node);
    const result: FunctionLike[] = [];
    for (const declaration of symbol?.getDeclarations() ?? []) {
      if (isLibraryFile(declaration.getSourceFile())) continue;
      if ((Node.isFunctionDeclaration(declaration) || Node.isMethodDeclaration(declaration)) && declaration.getBody()) {
        result.push(declaration as FunctionLike);
      } else if (Node.isVariableDeclaration(declaration) || Node.isPropertyAssignment(declaration) || Node.isPropertyDeclaration(declaration)) {
        const initializer = declaration.getInitializer();
        if (initializer && (Node.isArrowFunction(initializer) || Node.isFunctionExpression(initializer) || Node.isArrayLiteralExpression(initializer))) {
          result.push(...functionsOf(initializer, depth + 1));
        }
      }
    }
    return result;
  }
  return [];
}

function isBindCall(node: Node): boolean {
  if (!Node.isCallExpression(node)) return false;
  const callee = node.getExpression();
  return Node.isPropertyAccessExpression(callee) && callee.getName() === 'bind';
}

/**
 * The functions a wrapper in a route registration calls per request: `asyncHandler(handler)`,
 * `catchAsync(async (req, res) => …)`, also through a const (`const loadUser = asyncHandler(…)`). A
 * library wrapper calls what it is handed; a project wrapper only the parameters the function it returns
 * calls (`preloaded(load)` that runs `load()` once at registration hands over nothing per request).
 */
export function wrappedHandlers(registered: Node): FunctionLike[] {
  const call = wrapperCallOf(registered);
  if (!call) return [];
  const args = call.getArguments();
  const factories = resolveCallees(call);
  if (factories.length === 0) return args.flatMap((argument) => functionsOf(argument));
  const result: FunctionLike[] = [];
  const called = calledNamesIn(returnedFunctions(call));
  for (const factory of factories) {
    const parameters = Node.isFunctionLikeDeclaration(factory) ? factory.getParameters() : [];
    parameters.forEach((parameter, index) => {
      if (args[index] && Node.isIdentifier(parameter.getNameNode()) && called.has(parameter.getName())) result.push(...functionsOf(args[index]));
    });
  }
  return result;
}

/** Whether a registration argument is `fn` itself or a wrapper around it: `show`, `asyncHandler(show)`, `getProfile` (`= asyncHandler(…)`). */
export function registersFunction(registered: Node, fn: FunctionLike): boolean {
  const isFn = (node: Node): boolean => node === fn || functionsOf(node).includes(fn);
  if (isFn(registered)) return true;
  const call = wrapperCallOf(registered);
  return Boolean(call && call.getArguments().some(isFn));
}

/** The wrapper call a registration argument is: the call itself, or the call a `const` it names is set to. */
function wrapperCallOf(registered: Node): CallExpression | undefined {
  if (Node.isCallExpression(registered)) return registered;
  if (!Node.isIdentifier(registered)) return undefined;
  const initializer = constInitializerOf(registered);
  return initializer && Node.isCallExpression(initializer) && !isLibraryFile(initializer.getSourceFile()) ? initializer : undefined;
}

/** Names called directly in these functions' bodies: `handler(req, res, next)`. */
function calledNamesIn(functions: FunctionLike[]): Set<string> {
  const names = new Set<string>();
  for (const fn of functions) {
    for (const call of fn.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (Node.isIdentifier(callee)) names.add(callee.getText());
    }
  }
  return names;
}

/** `app.use(rateLimit({ … }))`: the functions a project middleware factory returns. */
function returnedFunctions(call: CallExpression): FunctionLike[] {
  const result: FunctionLike[] = [];
  for (const factory of resolveCallees(call)) {
    const body = factory.getBody();
    if (!body) continue;
    if (!Node.isBlock(body)) {
      result.push(...functionsOf(body));
      continue;
    }
    for (const statement of body.getDescendantsOfKind(SyntaxKind.ReturnStatement)) {
      if (enclosingFunction(statement) !== factory) continue;
      const value = statement.getExpression();
      if (value) result.push(...functionsOf(value));
    }
  }
  return result;
}

function calleeText(call: CallExpression | NewExpression): string {
  const callee = call.getExpression();
  const text = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
  return Node.isNewExpression(call) ? `new ${text}` : text;
}

// ---------------------------------------------------------------------------------------------------
// Entry points

function entriesOfFile(file: SourceFile): EntryPoint[] {
  const entries: EntryPoint[] = [...nextEntries(file)];
  const text = file.getFullText();
  if (!ENTRY_HINT.test(text)) return entries;
  // Only the shapes that can register an entry get wrapped and examined.
  const candidates = fileNodesIn(file, (node) =>
    (ts.isCallExpression(node) && isEntryCallName(node.expression)) ||
    (ts.isNewExpression(node) && ENTRY_CONSTRUCTORS.has(nameOfExpression(node.expression) ?? '')) ||
    ts.isClassDeclaration(node));
  // Calls, then constructions, then classes: the order entries are found in decides which entry a shared
  // function is attributed to.
  for (const node of candidates) if (Node.isCallExpression(node)) entries.push(...callEntries(node));
  for (const node of candidates) if (Node.isNewExpression(node)) entries.push(...newEntries(node));
  for (const node of candidates) if (Node.isClassDeclaration(node)) entries.push(...classEntries(node));
  if (/resolvers?\b/i.test(text)) entries.push(...resolverMapEntries(file));
  return entries;
}

const ENTRY_CONSTRUCTORS = new Set(['Worker', 'GraphQLObjectType']);

function nameOfExpression(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return undefined;
}

/** `createServer(…)`, `x.createServer(…)`, `queue.process(…)` and route-method calls such as `app.get(…)`. */
function isEntryCallName(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'createServer';
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const name = callee.name.text;
  return name === 'createServer' || name === 'process' || name === 'deserializeUser' || ROUTE_METHODS.has(name);
}

/** Next.js: app/**\/route.ts exports GET/POST/…; pages/api/** default export; middleware.ts. */
function nextEntries(file: SourceFile): EntryPoint[] {
  const filePath = file.getFilePath().replace(/\\/g, '/');
  const base = path.posix.basename(filePath).replace(/\.[cm]?[jt]sx?$/, '');
  const inApp = /\/app\//.test(filePath) && base === 'route';
  const inPagesApi = /\/pages\/api\//.test(filePath);
  const isMiddleware = (base === 'middleware' || base === 'proxy') && /\/(src\/)?(middleware|proxy)\.[cm]?[jt]sx?$/.test(filePath);
  if (!inApp && !inPagesApi && !isMiddleware) return [];
  const entries: EntryPoint[] = [];
  const shortPath = filePath.slice(filePath.search(/\/(app|pages|src)\//) + 1);
  for (const [name, declarations] of file.getExportedDeclarations()) {
    const wanted = inApp ? NEXT_METHODS.has(name) : inPagesApi ? name === 'default' : name === 'default' || name === 'middleware' || name === 'proxy';
    if (!wanted) continue;
    for (const declaration of declarations) {
      const fns = Node.isFunctionDeclaration(declaration) ? [declaration as FunctionLike] : Node.isVariableDeclaration(declaration) ? functionsOf(declaration.getNameNode()) : Node.isExpression(declaration) ? functionsOf(declaration) : [];
      for (const fn of fns) {
        entries.push({
          kind: isMiddleware ? 'middleware' : 'route',
          framework: 'next',
          fn,
          node: declaration,
          label: inApp ? `Next.js route handler ${name} (${shortPath})` : inPagesApi ? `Next.js API route ${shortPath}` : `Next.js middleware (${shortPath})`,
          perJob: false,
        });
      }
    }
  }
  return entries;
}

function frameworkOf(receiver: Node): string | undefined {
  // Imports first: following declarations is far cheaper than asking for the receiver's type, which
  // type-checks the file. Types answer when the receiver is a parameter (`fastify` in a plugin).
  const imported = importOrigin(receiver, 0);
  const framework = frameworkOfOrigin(imported);
  if (framework) return framework;
  // A receiver traced to a database, cache or HTTP client (`redis.get(key)`) is no router; nor is anything
  // in a program that loads no framework.
  if (imported && [...imported.modules].every((module) => CLIENT_MODULES.has(module))) return undefined;
  if (!mayUseModules(receiver, FRAMEWORK_MODULE_NAMES)) return undefined;
  if (!imported && isLibValue(receiver)) return undefined;
  return frameworkOfOrigin(originOf(receiver));
}

/**
 * `Promise.all(…)`, or `cache.get(key, …)` where `const cache = new Map()`: a global of TypeScript's own lib,
 * or one of its collections, which no framework declares. Answered from declarations, before a type query.
 */
function isLibValue(receiver: Node): boolean {
  if (!Node.isIdentifier(receiver)) return false;
  const declarations = symbolOfName(receiver)?.getDeclarations() ?? [];
  if (declarations.length > 0 && declarations.every(isLibDeclaration)) return true;
  if (declarations.length !== 1) return false;
  const [declaration] = declarations;
  // A JSDoc `@type` says the type as an annotation does.
  if (!Node.isVariableDeclaration(declaration) || declaration.getTypeNode() || ts.getJSDocType(declaration.compilerNode)) return false;
  let initializer = declaration.getInitializer();
  while (initializer && Node.isParenthesizedExpression(initializer)) initializer = initializer.getExpression();
  if (!initializer || !Node.isNewExpression(initializer)) return false;
  const constructor = initializer.getExpression();
  // Collections only: lib's `new Proxy(target, handler)` is typed as its target, an express app among them.
  if (!Node.isIdentifier(constructor) || !LIB_COLLECTIONS.has(constructor.getText())) return false;
  const constructors = symbolOfName(constructor)?.getDeclarations() ?? [];
  return constructors.length > 0 && constructors.every(isLibDeclaration);
}

const LIB_COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array']);

function isLibDeclaration(declaration: Node): boolean {
  return packageOfFile(declaration.getSourceFile().getFilePath()) === 'lib';
}

function frameworkOfOrigin(origin: Origin | undefined): string | undefined {
  if (!origin) return undefined;
  for (const module of origin.modules) {
    const name = module.startsWith('@types/') ? module.slice('@types/'.length) : module;
    const framework = FRAMEWORK_MODULES[name];
    if (framework) return framework;
  }
  return undefined;
}

function callEntries(call: CallExpression): EntryPoint[] {
  const callee = call.getExpression();
  if (Node.isIdentifier(callee)) {
    // http.createServer((req, res) => …) / createServer(handler)
    if (callee.getText() !== 'createServer') return [];
    const binding = importedBinding(callee);
    if (!binding || !['http', 'https', 'http2'].includes(binding.module)) return [];
    return call.getArguments().flatMap((argument) => functionsOf(argument)).map((fn) => ({ kind: 'route' as const, framework: 'node-http', fn, node: call, label: 'node http server handler', perJob: false }));
  }
  if (!Node.isPropertyAccessExpression(callee)) return [];
  const method = callee.getName();
  if (method === 'createServer') {
    const binding = importedBinding(callee);
    if (!binding || !['http', 'https', 'http2'].includes(binding.module)) return [];
    return call.getArguments().flatMap((argument) => functionsOf(argument)).map((fn) => ({ kind: 'route' as const, framework: 'node-http', fn, node: call, label: 'node http server handler', perJob: false }));
  }
  if (method === 'process') return bullEntries(call, callee.getExpression());
  if (method === 'deserializeUser' || method === 'use') {
    const passport = passportEntries(call, callee.getExpression(), method);
    if (passport) return passport;
  }
  if (!ROUTE_METHODS.has(method)) return [];
  const args = call.getArguments();
  if (args.length === 0) return [];
  // Only calls that hand over a function can register one; skip `app.get('env')` before any type query.
  if (!args.some((arg) => !Node.isStringLiteral(arg) && !Node.isNoSubstitutionTemplateLiteral(arg) && !Node.isNumericLiteral(arg))) return [];
  // Fastify's application hooks run at start-up or shutdown; an emitter's `on('mount')` is no route (Hono's
  // `app.on('PURGE', path, h)` names a verb).
  const first = Node.isStringLiteral(args[0]) ? args[0].getLiteralText() : undefined;
  if (method === 'addHook' && first && FASTIFY_APPLICATION_HOOKS.has(first)) return [];
  if (method === 'on' && first && !/^[A-Z]+$/.test(first)) return [];
  const framework = frameworkOf(callee.getExpression());
  if (!framework) return [];

  const routePath = args.find((arg) => Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ?? chainedRoutePath(callee.getExpression());
  const pathText = routePath ? (routePath as Node & { getLiteralText(): string }).getLiteralText() : undefined;
  // `router.param('tenant', load)`: runs before the handler of every route with that parameter.
  const isMiddleware = method === 'use' || method === 'addHook' || method === 'param';
  const verb = method === 'on' && pathText ? pathText : method.toUpperCase();
  const label = isMiddleware
    ? `${framework} ${method === 'param' ? `param handler for :${pathText ?? '?'}` : `middleware${pathText && method === 'use' ? ` on ${pathText}` : ''}`}`
    : `${framework} route ${verb}${pathText && method !== 'on' ? ` ${pathText}` : ''}`;
  const entries: EntryPoint[] = [];
  const add = (fn: FunctionLike, kind: EntryKind, text = label) => entries.push({ kind, framework, fn, node: call, label: text, perJob: false });

  for (const arg of args) {
    if (Node.isObjectLiteralExpression(arg) && framework === 'fastify') {
      // fastify.route({ method, url, handler, preHandler }) and per-route hooks in options objects
      const url = arg.getProperty('url');
      const urlText = url && Node.isPropertyAssignment(url) ? url.getInitializer()?.getText().replace(/^['"`]|['"`]$/g, '') : pathText;
      for (const hook of FASTIFY_ROUTE_HOOKS) {
        const property = arg.getProperty(hook);
        const value = property && Node.isPropertyAssignment(property) ? property.getInitializer() : property && Node.isMethodDeclaration(property) ? property : property && Node.isShorthandPropertyAssignment(property) ? property.getNameNode() : undefined;
        if (!value) continue;
        for (const fn of functionsOf(value)) add(fn, hook === 'handler' ? 'route' : 'middleware', `fastify ${hook === 'handler' ? 'route' : `${hook} hook`}${urlText ? ` ${urlText}` : ''}`);
      }
      continue;
    }
    if (isBindCall(arg)) {
      for (const fn of functionsOf(arg)) add(fn, isMiddleware ? 'middleware' : 'route');
      continue;
    }
    if (Node.isCallExpression(arg)) {
      for (const fn of returnedFunctions(arg)) add(fn, isMiddleware ? 'middleware' : 'route');
      // `catchAsync(async (req, res) => …)`, express-async-handler: a function handed to a wrapper in a route
      // registration is what the wrapper calls per request.
      for (const fn of wrappedHandlers(arg)) add(fn, isMiddleware ? 'middleware' : 'route');
      continue;
    }
    // All function arguments before the last are middleware; the last is the handler.
    for (const fn of functionsOf(arg)) add(fn, isMiddleware ? 'middleware' : 'route');
    if (Node.isIdentifier(arg)) for (const fn of wrappedHandlers(arg)) add(fn, isMiddleware ? 'middleware' : 'route');
  }
  return entries;
}

/** Passport strategies whose verify callback authenticates every request (not only a login). */
const PER_REQUEST_STRATEGIES = new Set(['passport-jwt', 'passport-http-bearer', 'passport-headerapikey', 'passport-http']);

/**
 * Passport outside NestJS: `passport.deserializeUser(fn)` restores the session's user on every request, and
 * `passport.use(new JwtStrategy(options, verify))` runs `verify` on every request it guards. A login
 * strategy (passport-local) runs only on sign-in. Undefined when the receiver is not Passport.
 */
function passportEntries(call: CallExpression, receiver: Node, method: string): EntryPoint[] | undefined {
  const origin = originOf(receiver);
  if (!origin || ![...origin.modules].some((module) => normalizeModule(module).replace(/^@types\//, '') === 'passport')) return undefined;
  const args = call.getArguments();
  if (method === 'deserializeUser') {
    return args.flatMap((arg) => functionsOf(arg)).map((fn) => ({ kind: 'strategy' as const, framework: 'passport', fn, node: call, label: 'Passport deserializeUser', perJob: false }));
  }
  const entries: EntryPoint[] = [];
  for (const argument of args) {
    // Inline, or held in a const: `const jwt = new JwtStrategy(options, verify); passport.use(jwt)`.
    let arg: Node = argument;
    if (Node.isIdentifier(arg)) {
      const declaration = symbolOfName(arg)?.getDeclarations()[0];
      const initializer = declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
      if (initializer) arg = initializer;
    }
    if (!Node.isNewExpression(arg)) continue;
    const strategy = importedBinding(arg.getExpression());
    if (!strategy || !PER_REQUEST_STRATEGIES.has(strategy.module)) continue;
    const verify = arg.getArguments()[arg.getArguments().length - 1];
    const name = arg.getExpression().getText();
    for (const fn of verify ? functionsOf(verify) : []) entries.push({ kind: 'strategy', framework: 'passport', fn, node: call, label: `Passport strategy ${name} (verify)`, perJob: false });
  }
  return entries;
}

/** The path of `router.route('/flags').get(…).post(…)`: the `route()` call down the chain. */
function chainedRoutePath(receiver: Node): Node | undefined {
  for (let node = receiver; Node.isCallExpression(node); ) {
    const callee = node.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return undefined;
    const [first] = node.getArguments();
    if (callee.getName() === 'route') return first && (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first)) ? first : undefined;
    if (!ROUTE_METHODS.has(callee.getName())) return undefined;
    node = callee.getExpression();
  }
  return undefined;
}

/** Bull: `queue.process(fn)`, `queue.process('name', 5, fn)`. */
function bullEntries(call: CallExpression, receiver: Node): EntryPoint[] {
  const origin = originOf(receiver);
  if (!origin || ![...origin.modules].some((module) => module === 'bull' || module === 'bee-queue')) return [];
  const args = call.getArguments();
  const last = args[args.length - 1];
  if (!last) return [];
  const name = args.find((arg) => Node.isStringLiteral(arg));
  return functionsOf(last).map((fn) => ({ kind: 'consumer' as const, framework: 'bull', fn, node: call, label: `Bull consumer${name ? ` ${name.getText()}` : ''}`, perJob: true }));
}

/** BullMQ `new Worker(name, processor)` and graphql-js `new GraphQLObjectType({ fields: { x: { resolve } } })`. */
function newEntries(created: NewExpression): EntryPoint[] {
  const expression = created.getExpression();
  const name = Node.isPropertyAccessExpression(expression) ? expression.getName() : expression.getText();
  const args = created.getArguments();
  if (name === 'Worker' && args.length >= 2) {
    const origin = originOf(expression);
    if (!origin || !origin.modules.has('bullmq')) return [];
    const queueName = args[0];
    return functionsOf(args[1]).map((fn) => ({
      kind: 'consumer' as const,
      framework: 'bullmq',
      fn,
      node: created,
      label: `BullMQ worker ${Node.isStringLiteral(queueName) ? queueName.getText() : excerptOf(queueName)}`,
      perJob: true,
    }));
  }
  if (name === 'GraphQLObjectType' && args[0] && Node.isObjectLiteralExpression(args[0])) {
    const origin = originOf(expression);
    if (!origin || !origin.modules.has('graphql')) return [];
    const typeName = args[0].getProperty('name');
    const typeText = typeName && Node.isPropertyAssignment(typeName) ? typeName.getInitializer()?.getText().replace(/^['"`]|['"`]$/g, '') : undefined;
    const entries: EntryPoint[] = [];
    for (const property of args[0].getDescendants()) {
      if (!(Node.isPropertyAssignment(property) || Node.isMethodDeclaration(property))) continue;
      const propertyName = property.getName();
      if (propertyName !== 'resolve' && propertyName !== 'subscribe') continue;
      // Nested type definitions name their own fields.
      if (property.getFirstAncestorByKind(SyntaxKind.NewExpression) !== created) continue;
      const value = Node.isPropertyAssignment(property) ? property.getInitializer() : property;
      if (!value) continue;
      const field = property.getParent()?.getParent();
      const fieldName = field && Node.isPropertyAssignment(field) ? field.getName() : undefined;
      for (const fn of functionsOf(value).concat(Node.isMethodDeclaration(value) ? [value as FunctionLike] : [])) {
        entries.push({ kind: 'resolver', framework: 'graphql', fn, node: property, label: `GraphQL resolver ${typeText ?? '?'}.${fieldName ?? '?'}`, perJob: false });
      }
    }
    return entries;
  }
  return [];
}

function excerptOf(node: Node): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** A decorator from `@nestjs/*` (or one whose import cannot be resolved: name only). */
function nestDecorator(decorator: Decorator): string | undefined {
  const expression = decorator.getExpression();
  const callee = Node.isCallExpression(expression) ? expression.getExpression() : expression;
  const identifier = Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : callee;
  if (!Node.isIdentifier(identifier)) return undefined;
  const binding = importedBinding(callee);
  if (binding && !binding.module.startsWith('@nestjs/') && !binding.module.startsWith('.')) return undefined;
  return binding?.exportName && binding.exportName !== 'default' && binding.exportName !== '*' ? binding.exportName : identifier.getText();
}

function classEntries(cls: ClassDeclaration): EntryPoint[] {
  const entries: EntryPoint[] = [];
  const className = cls.getName() ?? '(anonymous class)';
  const classDecorators = new Set(cls.getDecorators().map(nestDecorator).filter((name): name is string => Boolean(name)));
  const add = (fn: FunctionLike, kind: EntryKind, framework: string, label: string, node: Node, perJob = false) => entries.push({ kind, framework, fn, node, label, perJob });

  for (const method of cls.getMethods()) {
    if (!method.getBody()) continue;
    const decorators = method.getDecorators().map((decorator) => ({ decorator, name: nestDecorator(decorator) }));
    for (const { decorator, name } of decorators) {
      if (!name) continue;
      if (NEST_ROUTE_DECORATORS.has(name) && (classDecorators.has('Controller') || name.endsWith('Pattern'))) {
        const argument = (decorator.getArguments()[0] as Node | undefined)?.getText();
        add(method as FunctionLike, 'controller', 'nestjs', `NestJS controller ${className}.${method.getName()} (@${name}${argument ? `(${argument})` : ''})`, decorator);
      } else if (NEST_RESOLVER_DECORATORS.has(name) && classDecorators.has('Resolver')) {
        add(method as FunctionLike, 'resolver', 'nestjs', `NestJS GraphQL resolver ${className}.${method.getName()} (@${name})`, decorator);
      } else if ((name === 'Process' && classDecorators.has('Processor')) || name === 'SubscribeMessage') {
        const consumer = name === 'Process';
        add(method as FunctionLike, consumer ? 'consumer' : 'gateway', 'nestjs', `NestJS ${consumer ? 'queue processor' : 'gateway handler'} ${className}.${method.getName()}`, decorator, consumer);
      }
    }
  }

  // Guards, interceptors, middleware, pipes, filters: by the Nest interface they implement.
  const implemented = new Set<string>();
  for (const clause of cls.getImplements()) {
    const name = clause.getExpression().getText().replace(/^.*\./, '');
    const known = NEST_INTERFACES[name];
    const method = known && cls.getMethod(known.method);
    if (known && method?.getBody()) {
      implemented.add(name);
      add(method as FunctionLike, known.kind, 'nestjs', `NestJS ${known.label} ${className}.${known.method}`, clause);
    }
  }
  const base = cls.getExtends();
  const baseText = base?.getExpression().getText() ?? '';
  // `class AdminGuard extends BaseGuard` overriding canActivate, where BaseGuard implements CanActivate, or
  // `extends AuthGuard('jwt')` (@nestjs/passport's guard): the override runs per request all the same.
  if (base) {
    for (const [name, known] of Object.entries(NEST_INTERFACES)) {
      const method = cls.getMethod(known.method);
      if (implemented.has(name) || !method?.getBody()) continue;
      if ((name === 'CanActivate' && /^AuthGuard\s*\(/.test(baseText)) || inheritsImplements(cls, name)) add(method as FunctionLike, known.kind, 'nestjs', `NestJS ${known.label} ${className}.${known.method}`, base);
    }
  }
  // Passport strategies validate credentials on every authenticated request: JWT, bearer, API-key and HTTP
  // strategies do; passport-local and OAuth strategies validate once, at sign-in.
  const strategyModule = base && /^PassportStrategy\s*\(/.test(baseText) ? passportStrategyModule(base.getExpression()) : undefined;
  if (/^PassportStrategy\s*\(/.test(baseText) && (strategyModule === undefined || PER_REQUEST_STRATEGIES.has(strategyModule))) {
    const validate = cls.getMethod('validate');
    if (validate?.getBody()) add(validate as FunctionLike, 'strategy', 'nestjs', `NestJS Passport strategy ${className}.validate`, base!);
  }
  // @nestjs/bullmq: @Processor('queue') class X extends WorkerHost { process(job) }
  if (classDecorators.has('Processor') && /(^|\.)WorkerHost$/.test(baseText)) {
    const process = cls.getMethod('process');
    if (process?.getBody()) add(process as FunctionLike, 'consumer', 'nestjs', `NestJS BullMQ processor ${className}.process`, base!, true);
  }
  return entries;
}

/** Whether a project base class (up to three levels up) declares `implements <name>`. */
function inheritsImplements(cls: ClassDeclaration, name: string): boolean {
  let current: ClassDeclaration | undefined = cls;
  for (let depth = 0; depth < 3 && current; depth++) {
    try {
      current = current.getBaseClass();
    } catch {
      return false;
    }
    if (!current || isLibraryFile(current.getSourceFile())) return false;
    if (current.getImplements().some((clause) => clause.getExpression().getText().replace(/^.*\./, '') === name)) return true;
  }
  return false;
}

/** The package of the strategy class handed to `PassportStrategy(Strategy)`, when it is imported from one. */
function passportStrategyModule(mixin: Node): string | undefined {
  if (!Node.isCallExpression(mixin)) return undefined;
  const [strategy] = mixin.getArguments();
  const binding = strategy && (Node.isIdentifier(strategy) || Node.isPropertyAccessExpression(strategy)) ? importedBinding(strategy) : undefined;
  return binding && !binding.file ? binding.module : undefined;
}

/**
 * GraphQL resolver maps: an object literal named `resolvers` (or typed `…Resolvers`) or passed as
 * `resolvers:` (Apollo Server, graphql-yoga, makeExecutableSchema). Every function two levels down
 * (`Query.user`, `User.orders`, `Subscription.x.subscribe`) runs per field resolution.
 */
function resolverMapEntries(file: SourceFile): EntryPoint[] {
  const maps = new Set<Node>();
  for (const declaration of file.getDescendantsOfKind(SyntaxKind.VariableDeclaration)) {
    const typeText = declaration.getTypeNode()?.getText() ?? '';
    if (!/^resolvers$/i.test(declaration.getName()) && !/Resolvers\b/.test(typeText) && !/Resolvers?$/.test(declaration.getName())) continue;
    const initializer = declaration.getInitializer();
    if (initializer) for (const map of objectLiterals(initializer)) maps.add(map);
  }
  for (const property of file.getDescendantsOfKind(SyntaxKind.PropertyAssignment)) {
    if (property.getName() !== 'resolvers') continue;
    const initializer = property.getInitializer();
    if (initializer) for (const map of objectLiterals(initializer)) maps.add(map);
  }
  for (const property of file.getDescendantsOfKind(SyntaxKind.ShorthandPropertyAssignment)) {
    if (property.getName() === 'resolvers') for (const map of objectLiterals(property.getNameNode())) maps.add(map);
  }
  const entries: EntryPoint[] = [];
  for (const map of maps) {
    if (!Node.isObjectLiteralExpression(map)) continue;
    for (const typeProperty of map.getProperties()) {
      if (!Node.isPropertyAssignment(typeProperty)) continue;
      const typeName = typeProperty.getName();
      const fields = typeProperty.getInitializer();
      if (!fields || !Node.isObjectLiteralExpression(fields)) continue;
      for (const field of fields.getProperties()) {
        const fieldName = Node.isPropertyAssignment(field) || Node.isMethodDeclaration(field) || Node.isShorthandPropertyAssignment(field) ? field.getName() : '?';
        const fns: FunctionLike[] = [];
        if (Node.isMethodDeclaration(field) && field.getBody()) fns.push(field as FunctionLike);
        else if (Node.isShorthandPropertyAssignment(field)) fns.push(...functionsOf(field.getNameNode()));
        else if (Node.isPropertyAssignment(field)) {
          const value = field.getInitializer();
          if (value && Node.isObjectLiteralExpression(value)) {
            // { subscribe, resolve }
            for (const inner of value.getProperties()) {
              if (Node.isMethodDeclaration(inner) && inner.getBody()) fns.push(inner as FunctionLike);
              else if (Node.isPropertyAssignment(inner)) fns.push(...functionsOf(inner.getInitializer()!));
            }
          } else if (value) fns.push(...functionsOf(value));
        }
        for (const fn of fns) entries.push({ kind: 'resolver', framework: 'graphql', fn, node: field, label: `GraphQL resolver ${typeName}.${fieldName}`, perJob: false });
      }
    }
  }
  return entries;
}

function objectLiterals(expression: Node, depth = 0): Node[] {
  if (depth > 4) return [];
  let node = expression;
  while (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node)) node = node.getExpression();
  if (Node.isObjectLiteralExpression(node)) return [node];
  if (Node.isArrayLiteralExpression(node)) return node.getElements().flatMap((element) => objectLiterals(element, depth + 1));
  if (Node.isIdentifier(node)) {
    const symbol = resolvedSymbol(node);
    return (symbol?.getDeclarations() ?? []).flatMap((declaration) => {
      if (!Node.isVariableDeclaration(declaration) || isLibraryFile(declaration.getSourceFile())) return [];
      const initializer = declaration.getInitializer();
      return initializer ? objectLiterals(initializer, depth + 1) : [];
    });
  }
  return [];
}
