// n-plus-one: I/O issued once per item of a collection — in a loop, an iterating callback, a
// Promise.all over items.map(...), or a GraphQL field resolver (once per parent object) — directly or
// through project functions in any file. Each finding carries the chain from the loop to the I/O call.
//
// Precision first: a loop is only "per item" when it walks a collection. Retry, polling and cursor loops,
// searches that stop at the first hit, small literal lists, `for await` over events (change streams, message
// subscriptions, lines) and calls that already batch stay quiet, and per-item writes are reported only when
// the project asks for it. `for await` over a database cursor is a walk over rows like any other.
import { CallExpression, Node, SourceFile, SyntaxKind, TaggedTemplateExpression, ts, VariableDeclarationKind } from 'ts-morph';
import { checkBudget } from '../../server/src/engine/budget';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { normalizeModule, originOf, symbolOfName } from '../../server/src/engine/provenance';
import { listedNodesOf } from '../../server/src/engine/project-index';
import { decoratorName, excerpt, RawKind, walkRaw, wrapCompilerNode } from '../../server/src/engine/rule-kit';
import { FUNCTION_KINDS, isFunctionLike, mayBeProjectName, type FunctionLike, type IoPath } from '../../server/src/engine/summaries';
import type { Rule, RuleContext } from '../../server/src/engine/types';
import { fixesFor } from './fixes';
import { identifiersIn, isInside, isLoopInvariant, isRead, isSelect, outerOf } from './fixes/shape';
import type { LoopKind, NPlusOneSite } from './site';

export const meta = {
  id: 'n-plus-one',
  description: 'I/O issued once per item of a collection (a loop, map/forEach, Promise.all over map, a GraphQL field resolver): N round trips where one batched call would do.',
  defaultSeverity: 'warning',
  fixKind: 'fix',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      reportWrites: { type: 'boolean', description: 'Also report per-item writes (INSERT/UPDATE/DELETE, create/save/update calls). Off by default: writing distinct rows one by one is often deliberate.' },
      smallCollection: { type: 'integer', minimum: 0, description: 'Loops over literal lists of at most this many elements stay quiet (default 20).' },
    },
  },
  defaultOptions: { reportWrites: false, smallCollection: 20 },
} as const satisfies Rule['meta'];

/** Array methods whose callback runs once per element. */
const ITERATING = new Set(['forEach', 'map', 'flatMap', 'filter', 'reduce']);
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);
/** Loop variables and helpers that mark a retry or polling loop, not a walk over items. */
/** A walk step that decides nothing: go on to the parent. */
const CONTINUE = Symbol('continue');
const RETRY_WORDS = /\b(attempts?|retry|retries|tries|backoff|sleep|delay|wait|poll)\b/i;

interface LoopShape {
  kind: LoopKind;
  loop: Node;
  callback?: Node;
  collection?: Node;
  item?: Node;
}

const rule: Rule = {
  meta,
  check(context) {
    const reportWrites = context.options.reportWrites === true;
    const smallCollection = typeof context.options.smallCollection === 'number' ? context.options.smallCollection : 20;
    const reported = new Set<Node>();
    const loops = new Map<ts.Node, LoopShape | undefined>();
    const resolvers = new Map<ts.Node, LoopShape | undefined>();
    const { sourceFile } = context;
    for (const raw of listedNodesOf(sourceFile.compilerNode)) {
      if (raw.kind !== RawKind.CallExpression && raw.kind !== RawKind.TaggedTemplateExpression) continue;
      if (mayBePointFree(raw, sourceFile) && reportPointFree(context, wrapCompilerNode(sourceFile, raw) as CallExpression, smallCollection, reportWrites)) continue;
      // Syntax first: only calls inside a per-item loop, or in a field resolver, get a ts-morph object and
      // reach the type checker.
      checkBudget();
      const shape = walkUp(raw, sourceFile, loops, LOOP_STEP_KINDS, (child, node) => loopStep(child, node, smallCollection)) ?? walkUp(raw, sourceFile, resolvers, FUNCTION_KINDS, resolverStep);
      if (!shape) continue;
      const call = wrapCompilerNode(sourceFile, raw) as CallExpression | TaggedTemplateExpression;
      if (isQuietLoop(shape, call)) continue;
      const path = perItemIo(call, context, reportWrites);
      if (!path) continue;
      if (batchedByPrisma(shape, call, path) || servesChunk(shape, call, path)) continue;
      if (insideReportedCall(call, reported)) continue;
      reported.add(call);
      const site: NPlusOneSite = {
        ...shape,
        perItemCall: call,
        io: path.io,
        via: path.via,
        invariant: shape.kind !== 'field-resolver' && isInvariant(call, shape, path.io),
      };
      report(context, site);
    }
  },
};

/**
 * What reportPointFree needs first, on the raw call: an iterating method handed a name (or `this.name`)
 * that some project function bears. Most calls fail it, and then need no ts-morph object here.
 */
function mayBePointFree(raw: ts.Node, sourceFile: SourceFile): boolean {
  if (raw.kind !== RawKind.CallExpression) return false;
  const { expression, arguments: args } = raw as ts.CallExpression;
  if (expression.kind !== RawKind.PropertyAccessExpression || !ITERATING.has((expression as ts.PropertyAccessExpression).name.text)) return false;
  const argument = args[0];
  if (!argument) return false;
  if (argument.kind === RawKind.Identifier) return mayBeProjectName(sourceFile, argument);
  return argument.kind === RawKind.PropertyAccessExpression && mayBeProjectName(sourceFile, (argument as ts.PropertyAccessExpression).name);
}

/**
 * `Promise.all(ids.map(getCustomer))`: a project function handed to an iterating method runs once per
 * element. The iterating call is the per-item call; no rewrite is offered (there is no loop body to edit).
 */
function reportPointFree(context: RuleContext, call: CallExpression, smallCollection: number, reportWrites: boolean): boolean {
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || !ITERATING.has(callee.getName())) return false;
  const argument = call.getArguments()[0];
  if (!argument || !(Node.isIdentifier(argument) || Node.isPropertyAccessExpression(argument))) return false;
  if (isSmallLiteral(callee.getExpression(), smallCollection)) return false;
  const functions = namedFunctions(argument);
  if (functions.length === 0) return false;
  const path = functions.flatMap((fn) => context.summaries.ioOfFunction(fn)).find((candidate) => !alreadyBatched(candidate.io) && (reportWrites || !isWrite(candidate.io)));
  if (!path) return false;
  const all = promiseAllAround(call);
  const site: NPlusOneSite = {
    kind: all && (callee.getName() === 'map' || callee.getName() === 'flatMap') ? 'concurrent-map' : (callee.getName() as LoopKind),
    loop: all ?? call,
    collection: callee.getExpression(),
    perItemCall: call,
    io: path.io,
    via: path.via,
    invariant: false,
  };
  report(context, site, argument.getText());
  return true;
}

/** The project functions a name refers to: declarations with bodies, and consts bound to function literals. */
function namedFunctions(reference: Node): FunctionLike[] {
  const symbol = symbolOfName(reference);
  const result: FunctionLike[] = [];
  for (const declaration of symbol?.getDeclarations() ?? []) {
    const file = declaration.getSourceFile();
    if (file.isDeclarationFile() || file.isInNodeModules()) continue;
    if ((Node.isFunctionDeclaration(declaration) || Node.isMethodDeclaration(declaration)) && declaration.getBody()) result.push(declaration as FunctionLike);
    if (Node.isVariableDeclaration(declaration)) {
      const initializer = declaration.getInitializer();
      if (initializer && (Node.isArrowFunction(initializer) || Node.isFunctionExpression(initializer))) result.push(initializer as FunctionLike);
    }
  }
  return result;
}

export default rule;

// ---------------------------------------------------------------------------------------------------
// Where the call runs: the innermost per-item loop around it, within the function that makes the call

/** Row cursors by package: iterating one reads a result set in batches the driver picks. */
const CURSOR_TYPES: Record<string, string[]> = {
  mongoose: ['Cursor', 'QueryCursor', 'AggregationCursor'],
  mongodb: ['FindCursor', 'AggregationCursor'],
};
/** Query builders whose `.stream()` streams the rows of their query. */
const STREAMING_BUILDERS = new Set(['knex', 'typeorm']);

/** `Model.find().cursor()`, `collection.find(filter)`, `db('t').select().stream()`: the rows of one query. */
function isRowCursor(expression: Node, throughName = true): boolean {
  // TypeORM's stream() resolves to the stream (`for await (… of await qb.stream())`), often held in a const first.
  while (Node.isAwaitExpression(expression) || Node.isParenthesizedExpression(expression)) expression = expression.getExpression();
  if (throughName && Node.isIdentifier(expression)) {
    const declaration = expression.getSymbol()?.getDeclarations()[0];
    const initializer = declaration && Node.isVariableDeclaration(declaration) && declaration.getVariableStatement()?.getDeclarationKind() === VariableDeclarationKind.Const ? declaration.getInitializer() : undefined;
    if (initializer && isRowCursor(initializer, false)) return true;
  }
  const origin = originOf(expression);
  if (origin?.via === 'type' && Object.entries(CURSOR_TYPES).some(([module, names]) => origin.modules.has(module) && names.some((name) => origin.typeNames.has(name)))) return true;
  if (!Node.isCallExpression(expression)) return false;
  const callee = expression.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'stream') return false;
  const builder = originOf(callee.getExpression());
  return Boolean(builder && [...builder.modules].some((module) => STREAMING_BUILDERS.has(normalizeModule(module))));
}

/** One step up from `child` to `node`: a decision (a loop, or undefined for none), or CONTINUE. */
function loopStep(child: Node, node: Node, smallCollection: number): LoopShape | undefined | typeof CONTINUE {
  if (Node.isForOfStatement(node) || Node.isForInStatement(node)) {
    if (child !== node.getStatement()) return CONTINUE; // the collection is read once
    const collection = node.getExpression();
    if (Node.isForOfStatement(node) && node.isAwaited()) {
      // Most async iterables are events (a change stream, a subscription, lines of a file): one per arrival,
      // like requests. A database cursor is rows of a finite result, each one a lap of the loop.
      if (!isRowCursor(collection)) return undefined;
      const initializer = node.getInitializer();
      const item = Node.isVariableDeclarationList(initializer) ? initializer.getDeclarations()[0]?.getNameNode() : undefined;
      return { kind: 'for-await', loop: node, collection, item };
    }
    if (isSmallLiteral(collection, smallCollection)) return undefined;
    const initializer = node.getInitializer();
    const item = Node.isVariableDeclarationList(initializer) ? initializer.getDeclarations()[0]?.getNameNode() : undefined;
    return { kind: Node.isForOfStatement(node) ? 'for-of' : 'for-in', loop: node, collection, item };
  }
  if (Node.isForStatement(node)) {
    if (child !== node.getStatement()) return CONTINUE;
    // `for (let i = 0; i < orders.length; i++)`; counted loops (`attempt < 3`, pages) are retries or walks.
    const collection = lengthOwner(node.getCondition());
    if (!collection || RETRY_WORDS.test(node.getInitializer()?.getText() ?? '')) return undefined;
    return { kind: 'for', loop: node, collection };
  }
  if (Node.isWhileStatement(node) || Node.isDoStatement(node)) {
    if (child !== node.getStatement()) return CONTINUE;
    // Only a queue drained item by item (`while (queue.length)`) is per item; other while loops poll,
    // retry or follow a cursor.
    const collection = lengthOwner(node.getExpression());
    if (!collection) return undefined;
    // `do { rows = await page(offset) … } while (rows.length === 500)`: the list is the last page, read
    // again each time round, not a queue of items.
    if (Node.isIdentifier(collection) && reassignsIn(node.getStatement().compilerNode, collection.getText())) return undefined;
    return { kind: Node.isWhileStatement(node) ? 'while' : 'do', loop: node, collection };
  }
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
    const iterating = iteratingCall(node);
    if (iterating) {
      const callee = iterating.getExpression().asKindOrThrow(SyntaxKind.PropertyAccessExpression);
      const collection = callee.getExpression();
      if (isSmallLiteral(collection, smallCollection)) return undefined;
      const itemIndex = callee.getName() === 'reduce' ? 1 : 0;
      const item = node.getParameters()[itemIndex]?.getNameNode();
      const all = promiseAllAround(iterating);
      if (all && (callee.getName() === 'map' || callee.getName() === 'flatMap')) {
        return { kind: 'concurrent-map', loop: all, callback: node, collection, item };
      }
      return { kind: callee.getName() as LoopKind, loop: iterating, callback: node, collection, item };
    }
    // A callback that runs while its caller waits (`await withTransaction(async (tx) => …)`, an IIFE,
    // `new Promise(…)`) belongs to the code around it; any other callback (a route handler, an event
    // listener registered in a loop) runs later, once per event.
    if (runsInline(node)) return CONTINUE;
    return undefined;
  }
  if (isFunctionLike(node) || Node.isClassDeclaration(node) || Node.isClassExpression(node)) return undefined;
  return CONTINUE;
}

/** `items.map(fn)` / `items.forEach(fn)` with `fn` as the callback. */
function iteratingCall(fn: Node): CallExpression | undefined {
  const parent = fn.getParent();
  if (!parent || !Node.isCallExpression(parent) || parent.getArguments()[0] !== fn) return undefined;
  const callee = parent.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || !ITERATING.has(callee.getName())) return undefined;
  return parent;
}

/** `Promise.all(items.map(…))`, through parentheses. */
function promiseAllAround(iterating: CallExpression): CallExpression | undefined {
  const { node, parent } = outerOf(iterating);
  if (!parent || !Node.isCallExpression(parent) || !parent.getArguments().includes(node)) return undefined;
  return /^Promise\.(all|allSettled)$/.test(parent.getExpression().getText()) ? parent : undefined;
}

function runsInline(fn: Node): boolean {
  const { node: child, parent } = outerOf(fn);
  if (!parent) return false;
  if (Node.isCallExpression(parent) && parent.getExpression() === child) return true; // IIFE
  if (Node.isNewExpression(parent)) return parent.getExpression().getText() === 'Promise';
  if (!Node.isCallExpression(parent) || !parent.getArguments().includes(child)) return false;
  // The callee's promise is awaited or returned: the caller waits for the callback to finish.
  const { node: use, parent: above } = outerOf(parent);
  return Boolean(above && (Node.isAwaitExpression(above) || Node.isReturnStatement(above) || (Node.isArrowFunction(above) && above.getBody() === use)));
}

/**
 * A loop over chunks (`for (const part of chunk(ids, 1000))`) whose call takes the whole chunk: Sequelize's
 * `{ where: { id: part } }` (an array is IN), TypeORM's `IN (:...part)`, `?skus=${part.join(',')}`, or a
 * helper handed the chunk. One call per chunk is how batching is done. A chunk passed as a SQL driver's
 * parameter list (`pool.query(sql, row)`) is one row's values, and still per item.
 */
function servesChunk(shape: LoopShape, call: CallExpression | TaggedTemplateExpression, path: IoPath): boolean {
  const item = shape.item;
  if (!item || !Node.isIdentifier(item) || !Node.isCallExpression(call)) return false;
  // The names first, on the raw tree: most per-item calls read a field (`order.customerId`), not the whole
  // item, and then the item's type (an inference through the loop or callback) is never needed.
  const name = item.getText();
  const rawParameters = path.io.kind === 'sql' && path.via.length === 0;
  const wholeItem = (reference: ts.Node, argument: ts.Node): boolean => {
    if (reference.kind !== RawKind.Identifier || (reference as ts.Identifier).text !== name) return false;
    if (rawParameters && reference === argument) return false;
    const parent = reference.parent;
    // `part.join(',')` is the chunk; `order.id` is one field of an item.
    return !(ts.isPropertyAccessExpression(parent) && parent.expression === reference && parent.name.text !== 'join') && !(ts.isPropertyAccessExpression(parent) && parent.name === reference);
  };
  const candidates: ts.Node[] = [];
  for (const argument of call.compilerNode.arguments) walkRaw(argument, (node) => void (wholeItem(node, argument) && candidates.push(node)));
  if (candidates.length === 0) return false;
  const type = item.getType();
  if (!type.isArray() && !/^readonly .*\[\]$/.test(type.getText())) return false;
  const symbol = item.getSymbol();
  const sourceFile = call.getSourceFile();
  // `{ part }`: the shorthand's own symbol is the property's; its name is the item's in this scope.
  return candidates.some((candidate) => ts.isShorthandPropertyAssignment(candidate.parent) || wrapCompilerNode(sourceFile, candidate).getSymbol() === symbol);
}

/** Whether `name = …` is assigned anywhere in the statement (nested functions aside). */
function reassignsIn(statement: ts.Node, name: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === RawKind.EqualsToken && ts.isIdentifier(node.left) && node.left.text === name) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(statement);
  return found;
}

/** `orders` in `i < orders.length` / `queue.length > 0` / `pending.size`. */
function lengthOwner(condition: Node | undefined): Node | undefined {
  if (!condition) return undefined;
  const access = [condition, ...condition.getDescendants()].find(
    (node): node is Node & { getExpression(): Node } => Node.isPropertyAccessExpression(node) && (node.getName() === 'length' || node.getName() === 'size'),
  );
  return access?.getExpression();
}

/** A literal list (or a const bound to one) short enough that per-item I/O is bounded. */
function isSmallLiteral(collection: Node, limit: number): boolean {
  let node = collection;
  while (Node.isAsExpression(node) || Node.isParenthesizedExpression(node) || Node.isSatisfiesExpression(node)) node = node.getExpression();
  if (Node.isIdentifier(node)) {
    // Also a const imported from a constants module.
    const declaration = symbolOfName(node)?.getDeclarations()[0];
    if (!declaration || !Node.isVariableDeclaration(declaration) || declaration.getVariableStatement()?.getDeclarationKind() !== 'const') return false;
    const initializer = declaration.getInitializer();
    if (!initializer) return false;
    node = initializer;
    while (Node.isAsExpression(node) || Node.isParenthesizedExpression(node) || Node.isSatisfiesExpression(node)) node = node.getExpression();
  }
  if (Node.isArrayLiteralExpression(node)) return !node.getElements().some((element) => Node.isSpreadElement(element)) && node.getElements().length <= limit;
  // Object.keys/values/entries of an object literal: its keys are written out too.
  if (Node.isCallExpression(node) && /^Object\.(keys|values|entries)$/.test(node.getExpression().getText())) {
    const [argument] = node.getArguments();
    if (argument && Node.isIdentifier(argument)) {
      const declaration = symbolOfName(argument)?.getDeclarations()[0];
      // An enum's members are written out too (`Object.values(OrderStatus)`).
      if (declaration && Node.isEnumDeclaration(declaration)) return declaration.getMembers().length <= limit;
      const initializer = declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
      let object: Node | undefined = initializer;
      while (object && (Node.isAsExpression(object) || Node.isSatisfiesExpression(object))) object = object.getExpression();
      return Boolean(object && Node.isObjectLiteralExpression(object) && object.getProperties().length <= limit);
    }
    return Boolean(argument && Node.isObjectLiteralExpression(argument) && argument.getProperties().length <= limit);
  }
  return false;
}

/** A GraphQL resolver of a field of a non-root type: it runs once per parent object of a list. */
function resolverStep(_child: Node, node: Node): LoopShape | undefined | typeof CONTINUE {
  if (!isFunctionLike(node)) return CONTINUE;
  if (isFieldResolver(node)) {
    const params = (node as Node & { getParameters?(): { getNameNode(): Node }[] }).getParameters?.() ?? [];
    return { kind: 'field-resolver', loop: node, callback: node, item: params[0]?.getNameNode() };
  }
  if ((Node.isArrowFunction(node) || Node.isFunctionExpression(node)) && runsInline(node)) return CONTINUE;
  return undefined;
}

/**
 * Walks from `start` up its ancestors until `step` decides, and remembers the answer for every node
 * passed: code at any of them gets the same answer. Keeps a file with thousands of nested calls linear.
 * `step` is asked only at ancestors of the `asks` kinds (it continues past any other), so the walk
 * wraps no other node in a ts-morph object.
 */
function walkUp<T>(start: ts.Node, sourceFile: SourceFile, cache: Map<ts.Node, T | undefined>, asks: ReadonlySet<ts.SyntaxKind>, step: (child: Node, node: Node) => T | undefined | typeof CONTINUE): T | undefined {
  const passed: ts.Node[] = [];
  let result: T | undefined;
  for (let child = start; ; ) {
    if (cache.has(child)) {
      result = cache.get(child);
      break;
    }
    passed.push(child);
    const node = child.parent;
    if (!node) break;
    if (asks.has(node.kind)) {
      const decided = step(wrapCompilerNode(sourceFile, child), wrapCompilerNode(sourceFile, node));
      if (decided !== CONTINUE) {
        result = decided;
        break;
      }
    }
    child = node;
  }
  for (const node of passed) cache.set(node, result);
  return result;
}

/** Where loopStep decides: loops, functions and classes; it continues past anything else. */
const LOOP_STEP_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([
  ...FUNCTION_KINDS,
  SyntaxKind.ForOfStatement,
  SyntaxKind.ForInStatement,
  SyntaxKind.ForStatement,
  SyntaxKind.WhileStatement,
  SyntaxKind.DoStatement,
  SyntaxKind.ClassDeclaration,
  SyntaxKind.ClassExpression,
]);

function isFieldResolver(fn: Node): boolean {
  // NestJS: @ResolveField() in a @Resolver class.
  if (Node.isMethodDeclaration(fn)) {
    if (fn.getDecorators().some((decorator) => ['ResolveField', 'ResolveProperty'].includes(decoratorName(decorator) ?? ''))) return true;
  }
  // A resolver typed as one: `const rating: GraphQLFieldResolver<Post, Context> = (post) => …`.
  const declaration = fn.getParent();
  if (declaration && Node.isVariableDeclaration(declaration)) {
    const typeNode = declaration.getTypeNode();
    const [parentType] = typeNode && Node.isTypeReference(typeNode) && /^(GraphQLFieldResolver|IFieldResolver)$/.test(typeNode.getTypeName().getText()) ? typeNode.getTypeArguments() : [];
    return Boolean(parentType && !ROOT_TYPES.has(parentType.getText()) && !/^(unknown|any|undefined|void)$/.test(parentType.getText()));
  }
  // Resolver maps: `{ Post: { author: (post) => … } }` or `{ Post: { author(post) { … } } }`.
  const holder = Node.isMethodDeclaration(fn) ? fn.getParent() : Node.isPropertyAssignment(fn.getParent()) ? fn.getParent()?.getParent() : undefined;
  if (!holder || !Node.isObjectLiteralExpression(holder)) return false;
  const typeEntry = holder.getParent();
  if (!typeEntry || !Node.isPropertyAssignment(typeEntry)) return false;
  const typeName = typeEntry.getName();
  if (!/^[A-Z]/.test(typeName) || ROOT_TYPES.has(typeName)) return false;
  // The map itself: an object whose entries are type names (a `resolvers` object, often typed Resolvers).
  const map = typeEntry.getParent();
  return Boolean(map && Node.isObjectLiteralExpression(map) && map.getProperties().some((property) => Node.isPropertyAssignment(property) && ROOT_TYPES.has(property.getName())) || /resolvers?/i.test(mapName(map)));
}

function mapName(map: Node | undefined): string {
  const parent = map?.getParent();
  if (parent && Node.isVariableDeclaration(parent)) return parent.getName();
  if (parent && Node.isPropertyAssignment(parent)) return parent.getName();
  if (parent && Node.isExportAssignment(parent)) return 'resolvers';
  return '';
}

// ---------------------------------------------------------------------------------------------------
// Loops that legitimately do I/O per iteration

function isQuietLoop(shape: LoopShape, call: Node): boolean {
  if (shape.kind === 'field-resolver') return false;
  const body = bodyOf(shape);
  if (!body) return true;
  if (shape.callback === undefined && stopsAtFirstHit(shape.loop, body)) return true;
  if (feedsNextIteration(call, shape.loop)) return true;
  return false;
}

function bodyOf(shape: LoopShape): Node | undefined {
  if (shape.callback && isFunctionLike(shape.callback)) return shape.callback.getBody();
  const loop = shape.loop;
  if (Node.isForOfStatement(loop) || Node.isForInStatement(loop) || Node.isForStatement(loop) || Node.isWhileStatement(loop) || Node.isDoStatement(loop)) return loop.getStatement();
  return undefined;
}

/**
 * A search or fail-over: the loop stops at a hit (`if (row) return row`, `if (res.ok) break`, a `return`
 * in a `try` that moves on to the next host when it throws). A `return`/`break` after a negative test
 * (`if (!row) throw …`) is an error exit, not a search: the loop still reads every item.
 */
function stopsAtFirstHit(loop: Node, body: Node): boolean {
  const exits: Node[] = [];
  const visit = (node: Node): void => {
    if (isFunctionLike(node) || Node.isClassDeclaration(node)) return;
    if (Node.isReturnStatement(node)) exits.push(node);
    if (Node.isBreakStatement(node) && !node.getLabel() && nearestBreakTarget(node) === loop) exits.push(node);
    node.forEachChild(visit);
  };
  visit(body);
  return exits.some((exit) => {
    for (let node = exit.getParent(); node && node !== body; node = node.getParent()) {
      if (Node.isIfStatement(node) && isInside(exit, node.getThenStatement())) {
        const condition = node.getExpression();
        // A positive test (`if (row) return row`) is a search; a negative one (`if (!row) return`) an error exit.
        return !(Node.isPrefixUnaryExpression(condition) && condition.getOperatorToken() === SyntaxKind.ExclamationToken) && !/===?\s*(null|undefined)\b|\b(null|undefined)\s*===?/.test(condition.getText());
      }
      if (Node.isCatchClause(node)) return false; // giving up inside catch: the loop still walks every item
    }
    return true; // unconditional: the loop body runs once, or a `try { return await … } catch {}` fail-over
  });
}

function nearestBreakTarget(node: Node): Node | undefined {
  for (let parent = node.getParent(); parent; parent = parent.getParent()) {
    if (Node.isIterationStatement(parent) || Node.isSwitchStatement(parent)) return parent;
    if (isFunctionLike(parent)) return undefined;
  }
  return undefined;
}

/**
 * A cursor or chain walk: a name the call reads is declared before the loop and assigned inside it
 * (`cursor = next`, `lastId = rows.at(-1).id`, `node = parent`), so each iteration depends on the last.
 */
function feedsNextIteration(call: Node, loop: Node): boolean {
  // The assignments first, on the raw tree: most loops assign nothing, and then no name the call reads
  // needs its declarations looked up.
  const assigned = namesAssignedIn(loop.compilerNode, loop.getSourceFile().compilerNode);
  if (assigned.size === 0) return false;
  // The receiver: `for (…) { node = await node.parent() }`.
  if (Node.isCallExpression(call)) {
    const callee = call.getExpression();
    if (Node.isPropertyAccessExpression(callee) && Node.isIdentifier(callee.getExpression()) && assigned.has(callee.getExpression().getText())) return true;
  }
  const args = Node.isCallExpression(call) ? call.getArguments() : Node.isTaggedTemplateExpression(call) ? [call.getTemplate()] : [];
  for (const argument of args) {
    for (const identifier of identifiersIn(argument)) {
      if (!assigned.has(identifier.getText())) continue;
      const declarations = identifier.getSymbol()?.getDeclarations() ?? [];
      if (declarations.length > 0 && declarations.every((declaration) => !isInside(declaration, loop))) return true;
    }
  }
  return false;
}

/** The names a loop assigns with `=` or `+=`, but not as a counter stepping through a list (`i += 1`, `i = i + 1`). */
function namesAssignedIn(loop: ts.Node, tree: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  walkRaw(loop, (node) => {
    if (node.kind !== RawKind.BinaryExpression) return;
    const { left, operatorToken, right } = node as ts.BinaryExpression;
    if (operatorToken.kind !== RawKind.EqualsToken && operatorToken.kind !== RawKind.PlusEqualsToken) return;
    if (/^(\d+|\w+\s*[+-]\s*\d+)$/.test(right.getText(tree).trim())) return;
    if (left.kind === RawKind.Identifier) names.add((left as ts.Identifier).text);
    else walkRaw(left, (inner) => void (inner.kind === RawKind.Identifier && names.add((inner as ts.Identifier).text)));
  });
  return names;
}

// ---------------------------------------------------------------------------------------------------
// What the call does

/** The first I/O path of the call that is a per-item round trip worth reporting. */
function perItemIo(call: CallExpression | TaggedTemplateExpression, context: RuleContext, reportWrites: boolean): IoPath | undefined {
  const paths = context.summaries.ioOfCall(call);
  return paths.find((path) => !alreadyBatched(path.io) && (reportWrites || !isWrite(path.io)));
}

/** One call that serves many keys: the loop is over chunks or the call is a set-based lookup. */
function alreadyBatched(io: IoCall): boolean {
  if (io.kind === 'redis' || io.resolvedBy === 'config') return io.batched;
  const text = io.node.getText();
  if (io.kind === 'sql') {
    return /=\s*any\s*\(|\bin\s*\(\s*(\$\d|\?|:(\.\.\.)?\w|\$\{|@)|\bunnest\s*\(|\bin\s+\$\{|\bvalues\s*\$\{/i.test(text) || /\.(whereIn|whereInArray|orWhereIn)\s*\(|\binArray\s*\(/.test(text);
  }
  // ORMs and document stores: an `in` filter over a list of keys.
  return /\bin\s*:|\b[iI][nN]\s*\(\s*:(\.\.\.)?\w|\$in\b|\bIn\s*\(|\bOp\.in\b|\[Op\.in\]|\.(whereIn|whereInIds|orWhereIn)\s*\(|\binArray\s*\(|\bids\s*:/.test(text);
}

function isWrite(io: IoCall): boolean {
  if (io.op === 'write') return true;
  if (io.kind === 'http') return /^(POST|PUT|PATCH|DELETE)$/.test(io.command ?? '');
  if (io.op !== 'other') return false;
  const sql = sqlTextOf(io.node);
  return sql !== undefined && /^\s*(insert|update|delete|merge|upsert|replace|call)\b/i.test(sql);
}

function sqlTextOf(node: CallExpression | TaggedTemplateExpression): string | undefined {
  if (Node.isTaggedTemplateExpression(node)) return node.getTemplate().getText().slice(1, -1);
  const first = node.getArguments()[0];
  if (!first) return undefined;
  if (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first)) return first.getLiteralValue();
  if (Node.isTemplateExpression(first)) return first.getText().slice(1, -1);
  if (Node.isObjectLiteralExpression(first)) {
    const text = first.getProperty('text');
    const value = text && Node.isPropertyAssignment(text) ? text.getInitializer() : undefined;
    if (value && (Node.isStringLiteral(value) || Node.isNoSubstitutionTemplateLiteral(value))) return value.getLiteralValue();
  }
  return undefined;
}

/** Same arguments every iteration, a read, and no call in the arguments that could differ each time. */
function isInvariant(call: CallExpression | TaggedTemplateExpression, shape: LoopShape, io: IoCall): boolean {
  if (!isRead(io) && !(io.op === 'other' && isSelect(io.node))) return false;
  const args = Node.isCallExpression(call) ? call.getArguments() : [call.getTemplate()];
  if (args.some((argument) => [argument, ...argument.getDescendants()].some((node) => Node.isCallExpression(node) || Node.isAwaitExpression(node) || Node.isPostfixUnaryExpression(node) || Node.isPrefixUnaryExpression(node) && /\+\+|--/.test(node.getText())))) return false;
  // A receiver that changes per iteration (`order.customer()`) is per item too.
  const site = { ...shape, perItemCall: call, io, via: [], invariant: false } as NPlusOneSite;
  if (!isLoopInvariant(call, site)) return false;
  // `orderIds[i]` with `i` declared before a while loop and stepped inside it changes every iteration.
  const changed = namesChangedIn(shape.loop);
  return !args.some((argument) => identifiersIn(argument).some((identifier) => changed.has(identifier.getText())));
}

/** Names assigned, incremented or decremented anywhere in a loop (header included). */
function namesChangedIn(loop: Node): Set<string> {
  const names = new Set<string>();
  for (const node of loop.getDescendants()) {
    if (Node.isBinaryExpression(node) && /^(=|\+=|-=|\*=|\|\|=|\?\?=)$/.test(node.getOperatorToken().getText())) {
      const left = node.getLeft();
      for (const identifier of Node.isIdentifier(left) ? [left] : left.getDescendantsOfKind(SyntaxKind.Identifier)) names.add(identifier.getText());
    }
    if ((Node.isPostfixUnaryExpression(node) || Node.isPrefixUnaryExpression(node)) && /\+\+|--/.test(node.getText())) {
      const operand = node.getOperand();
      if (Node.isIdentifier(operand)) names.add(operand.getText());
    }
  }
  return names;
}

/** The outermost call of an expression is the per-item call: `await db.query(sql(id))` is one finding. */
function insideReportedCall(call: Node, reported: Set<Node>): boolean {
  for (let parent = call.getParent(); parent && !Node.isStatement(parent); parent = parent.getParent()) {
    if (reported.has(parent)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// The finding

/** `pointFree`: the function handed to map/forEach by name, which runs the I/O per element. */
function report(context: RuleContext, site: NPlusOneSite, pointFree?: string): void {
  const what = noun(site.io);
  const item = itemName(site);
  const line = site.loop.getStartLineNumber();
  const steps = [...(pointFree ? [`${pointFree}()`] : []), ...site.via.map((call) => `${calleeText(call)}()`)];
  const chain = steps.length > 0 ? ` through ${steps.join(' → ')}` : '';
  // A resolver typed by its declaration (`GraphQLFieldResolver<Post, Ctx>`) cannot take the context
  // parameter the loader rewrite adds without breaking that type: report without a fix.
  const typedResolver = site.kind === 'field-resolver' && Node.isVariableDeclaration(site.loop.getParent()) && (site.loop.getParent() as Node & { getTypeNode(): Node | undefined }).getTypeNode() !== undefined;
  const fixes = typedResolver || pointFree ? [] : fixesFor(site, context);
  // A safe fix is "Fix:"; a suggestion is what the editor offers for review.
  const fixHint = fixes[0] ? ` ${fixes[0].kind === 'fix' ? 'Fix' : 'Suggested'}: ${lowerFirst(fixes[0].title)}.` : ` Batch it: one ${what} for all ${plural(item)} (= ANY($1), IN, findMany with in, mget) or a DataLoader.`;
  let message: string;
  const batchFunction = dataLoaderBatchFunction(site.loop);
  if (batchFunction && !site.invariant) {
    // The loader already de-duplicates keys per request; what is left is the batch function itself.
    message = `This DataLoader's batch function still runs 1 ${what} per key${chain}: the loader de-duplicates keys within a request, but 100 distinct keys still cost 100 round trips. Make it one set-based ${what} (= ANY($1), IN, findMany with in, mget) that returns results in key order, null for missing keys.`;
    context.report({ node: site.perItemCall, message, related: evidence(site, what, 'key'), fixes: [], severity: 'info' });
    return;
  }
  if (site.invariant) {
    message = `The same ${what} runs on every iteration of the loop over ${collectionText(site)} (line ${line})${chain}: its arguments do not depend on the ${item}, so 1,000 ${plural(item)} ⇒ 1,000 identical round trips. Hoist it out of the loop and reuse the result.`;
  } else if (site.kind === 'for-await') {
    message = `1 ${what} per ${item} of the cursor ${collectionText(site)} (line ${line})${chain}: the cursor reads rows in batches, but this ${what} runs once per row of the cursor — a job over 1,000,000 rows makes 1,000,000 sequential round trips (over 8 minutes at 0.5 ms each). Collect the rows into chunks (say 500) and look each chunk up with one batched ${what} ($in, = ANY($1), whereIn), or join it into the cursor's own query.`;
  } else if (site.kind === 'field-resolver') {
    message = `Field resolver ${resolverName(site)} runs 1 ${what} per ${item}${chain}: a list of 100 ${plural(item)} ⇒ 100 ${plural(what)} for one GraphQL request, one round trip each. Load it through a DataLoader created per request, so one batched ${what} serves the whole list.${fixes[0] ? ` ${fixes[0].kind === 'fix' ? 'Fix' : 'Suggested'}: ${lowerFirst(fixes[0].title)}.` : ''}`;
  } else if (site.kind === 'concurrent-map' || isAsyncCallback(site)) {
    const how = site.kind === 'concurrent-map' ? `${(site.loop as CallExpression).getExpression().getText()} over ${collectionText(site)}` : `the async ${site.kind} callback over ${collectionText(site)}`;
    message = `1 ${what} per ${item}, all at once: ${how} (line ${line})${chain} starts them concurrently — 1,000 ${plural(item)} ⇒ 1,000 round trips queued on a pool of ~10 connections, starving every other request.${fixHint}`;
  } else {
    message = `1 ${what} per ${item} in the ${loopWord(site)} over ${collectionText(site)} (line ${line})${chain}: 1,000 ${plural(item)} ⇒ 1,000 sequential round trips (~0.5 s at 0.5 ms each inside a data centre, seconds across regions).${fixHint}`;
  }
  context.report({ node: site.perItemCall, message, related: evidence(site, what, item, pointFree !== undefined), fixes });
}

/** The loop, each call of the chain, and the I/O call at its end. */
function evidence(site: NPlusOneSite, what: string, item: string, pointFree = false): { node: Node; message: string }[] {
  const related: { node: Node; message: string }[] = [];
  if (site.kind === 'field-resolver') related.push({ node: site.loop, message: `resolves ${resolverName(site)} once per parent ${item}` });
  else related.push({ node: loopHead(site), message: `${site.kind === 'concurrent-map' || isAsyncCallback(site) ? 'runs concurrently' : 'repeats'} once per ${item} of ${collectionText(site)}` });
  for (const call of site.via) related.push({ node: call, message: `calls ${calleeText(call)}()` });
  if (site.via.length > 0 || pointFree) related.push({ node: site.io.node, message: `the ${what} that runs per ${item}: ${excerpt(site.io.node.getText(), 60)}` });
  return related;
}

/** The `new DataLoader(batchFn)` the loop sits in, if any. */
function dataLoaderBatchFunction(loop: Node): Node | undefined {
  for (let parent = loop.getParent(); parent; parent = parent.getParent()) {
    if (Node.isNewExpression(parent) && /(^|\.)DataLoader$/.test(parent.getExpression().getText())) return parent;
    if (Node.isFunctionDeclaration(parent) || Node.isMethodDeclaration(parent) || Node.isClassDeclaration(parent)) return undefined;
  }
  return undefined;
}

/**
 * Prisma's client merges `findUnique` calls issued in the same tick, with the same where shape of scalar
 * equalities, into one `IN` query. Issued at once (a `Promise.all` map, async callbacks, a GraphQL field
 * resolver) before the callback awaits anything, they are one round trip, not N. Sequential loops are not
 * merged, nor `findFirst`, nor a compound unique key.
 */
function batchedByPrisma(shape: LoopShape, call: CallExpression | TaggedTemplateExpression, path: IoPath): boolean {
  if (path.io.library !== 'prisma' || path.io.method !== 'findUnique' || path.via.length > 0 || !Node.isCallExpression(call)) return false;
  const callback = shape.callback;
  if (!callback || !(shape.kind === 'concurrent-map' || shape.kind === 'field-resolver' || isAsyncCallback(shape as NPlusOneSite))) return false;
  if (awaitsBefore(call, callback)) return false;
  const [options] = call.getArguments();
  const where = options && Node.isObjectLiteralExpression(options) ? options.getProperty('where') : undefined;
  const filter = where && Node.isPropertyAssignment(where) ? where.getInitializer() : undefined;
  if (!filter || !Node.isObjectLiteralExpression(filter) || filter.getProperties().length === 0) return false;
  return filter.getProperties().every((property) => Node.isShorthandPropertyAssignment(property) || (Node.isPropertyAssignment(property) && isScalarEquality(property.getInitializer())));
}

/** `id: x` or `id: { equals: x }`; not a nested filter (`{ in }`, `{ gt }`) or a compound key's object. */
function isScalarEquality(value: Node | undefined): boolean {
  if (!value || Node.isArrayLiteralExpression(value)) return false;
  if (!Node.isObjectLiteralExpression(value)) return true;
  const [only, ...rest] = value.getProperties();
  return rest.length === 0 && Boolean(only) && Node.isPropertyAssignment(only) && only.getName() === 'equals';
}

/** Whether the callback awaits something before the call is issued (its own code, not nested functions). */
function awaitsBefore(call: Node, callback: Node): boolean {
  const start = call.getStart();
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || node.pos >= start) return;
    if (node !== callback.compilerNode && ts.isFunctionLike(node)) return;
    if ((node.kind === RawKind.AwaitExpression || node.kind === RawKind.ForOfStatement && (node as ts.ForOfStatement).awaitModifier) && node.end <= start) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(callback.compilerNode);
  return found;
}

/** `items.forEach(async (item) => …)`: nothing awaits the callbacks, so every call starts at once. */
function isAsyncCallback(site: NPlusOneSite): boolean {
  const callback = site.callback;
  return Boolean(callback && (Node.isArrowFunction(callback) || Node.isFunctionExpression(callback)) && callback.isAsync() && ['forEach', 'map', 'flatMap', 'filter'].includes(site.kind));
}

function noun(io: IoCall): string {
  if (io.kind === 'redis') return 'Redis command';
  if (io.kind === 'http') return 'HTTP request';
  return 'query';
}

function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

function itemName(site: NPlusOneSite): string {
  // `for (const c of customers)`: "1 query per customer", not "per c … 1,000 cs".
  if (site.item && Node.isIdentifier(site.item) && site.item.getText().length > 2) return site.item.getText();
  if (site.kind === 'field-resolver') {
    const typeName = resolverType(site);
    if (typeName) return typeName.charAt(0).toLowerCase() + typeName.slice(1);
  }
  const collection = site.collection && Node.isIdentifier(site.collection) ? site.collection.getText() : undefined;
  if (collection && /[^s]s$/.test(collection)) return collection.replace(/ies$/, 'y').replace(/s$/, '');
  return 'item';
}

function collectionText(site: NPlusOneSite): string {
  return site.collection ? `\`${excerpt(site.collection.getText(), 40)}\`` : 'the items';
}

function loopWord(site: NPlusOneSite): string {
  if (site.callback) return `${site.kind} callback`;
  return 'loop';
}

function loopHead(site: NPlusOneSite): Node {
  const loop = site.loop;
  if (Node.isForOfStatement(loop) || Node.isForInStatement(loop)) return loop.getExpression();
  if (Node.isForStatement(loop)) return loop.getCondition() ?? loop;
  if (Node.isWhileStatement(loop) || Node.isDoStatement(loop)) return loop.getExpression();
  if (Node.isCallExpression(loop)) return loop.getExpression();
  return loop;
}

function resolverType(site: NPlusOneSite): string | undefined {
  const fn = site.loop;
  if (Node.isMethodDeclaration(fn) && fn.getDecorators().length > 0) {
    const cls = fn.getParent();
    const resolver = Node.isClassDeclaration(cls) ? cls.getDecorators().find((decorator) => decoratorName(decorator) === 'Resolver') : undefined;
    const argument = resolver?.getArguments()[0];
    if (argument && Node.isArrowFunction(argument)) return argument.getBody().getText();
    return undefined;
  }
  const declaration = fn.getParent();
  if (declaration && Node.isVariableDeclaration(declaration)) {
    const typeNode = declaration.getTypeNode();
    return typeNode && Node.isTypeReference(typeNode) ? typeNode.getTypeArguments()[0]?.getText() : undefined;
  }
  const holder = Node.isMethodDeclaration(fn) ? fn.getParent() : fn.getParent()?.getParent();
  const typeEntry = holder?.getParent();
  return typeEntry && Node.isPropertyAssignment(typeEntry) ? typeEntry.getName() : undefined;
}

function resolverName(site: NPlusOneSite): string {
  const fn = site.loop;
  const parent = fn.getParent();
  const field = Node.isMethodDeclaration(fn) ? fn.getName() : parent && (Node.isPropertyAssignment(parent) || Node.isVariableDeclaration(parent)) ? parent.getName() : 'field';
  const typeName = resolverType(site);
  return `\`${typeName ? `${typeName}.` : ''}${field}\``;
}

function calleeText(call: CallExpression): string {
  const callee = call.getExpression();
  return Node.isPropertyAccessExpression(callee) ? `${excerpt(callee.getExpression().getText(), 30)}.${callee.getName()}` : excerpt(callee.getText(), 40);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
