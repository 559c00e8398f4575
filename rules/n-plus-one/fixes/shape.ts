// What every batching fix needs to know about a site before it writes code: where code can go before
// the loop, which expression names the per-item key, and whether the rewrite keeps the loop's meaning.
import { CallExpression, Node, SyntaxKind, TaggedTemplateExpression, ts, VariableDeclarationKind } from 'ts-morph';
import { callsRunBy, enclosingFunction, isFunctionLike } from '../../../server/src/engine/summaries';
import { indentOf, indentUnit } from '../../../server/src/engine/rule-kit';
import type { RuleContext } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';

/** The statement the loop belongs to: batched or hoisted code is inserted on the line above it. */
export interface Anchor {
  statement: Node;
  indent: string;
  unit: string;
  /** `await` is allowed before the loop (the function around the statement is async). */
  canAwait: boolean;
}

export function anchorOf(site: NPlusOneSite): Anchor | undefined {
  let node: Node = site.loop;
  for (;;) {
    const parent = node.getParent();
    if (!parent) return undefined;
    if ((Node.isBlock(parent) || Node.isSourceFile(parent) || Node.isCaseClause(parent) || Node.isDefaultClause(parent)) && Node.isStatement(node)) break;
    if (isFunctionLike(parent)) return undefined; // `items.map(...)` as an arrow's expression body: no statement to go before
    // `if (orders) for (…) {…}` without braces: code put before the `if` would run when the condition is false.
    if (Node.isStatement(node) && (Node.isIfStatement(parent) || Node.isIterationStatement(parent) || Node.isWithStatement(parent))) return undefined;
    node = parent;
  }
  const fn = enclosingFunction(node);
  const canAwait = Boolean(fn && 'isAsync' in fn && typeof (fn as { isAsync?: unknown }).isAsync === 'function' && (fn as unknown as { isAsync(): boolean }).isAsync());
  return { statement: node, indent: indentOf(node), unit: indentUnit(node.getSourceFile()), canAwait };
}

/**
 * `base`, or `base2`…: a name that neither clashes with nor shadows anything where `at` is, that the
 * function around it does not use, and that this fix has not taken already (`taken`).
 */
export function freshLocal(at: Node, base: string, taken: string[] = []): string {
  const scope: Node = enclosingFunction(at) ?? at.getSourceFile();
  const used = new Set<string>(taken);
  for (const identifier of scope.getDescendantsOfKind(SyntaxKind.Identifier)) used.add(identifier.getText());
  for (const symbol of at.getProject().getTypeChecker().getSymbolsInScope(at, ts.SymbolFlags.Value)) used.add(symbol.getName());
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

/** The body the per-item code runs in: the loop statement's body or the callback's body. */
export function perItemBody(site: NPlusOneSite): Node | undefined {
  if (site.callback && isFunctionLike(site.callback)) return site.callback.getBody();
  const loop = site.loop;
  if (Node.isForOfStatement(loop) || Node.isForInStatement(loop) || Node.isForStatement(loop) || Node.isWhileStatement(loop) || Node.isDoStatement(loop)) return loop.getStatement();
  return undefined;
}

/** The per-item parameter list to reuse in `items.map((<params>) => key)`, with the item binding. */
export function itemBinding(site: NPlusOneSite): { params: string; declared: Node } | undefined {
  const loop = site.loop;
  if (site.kind === 'for-of' && Node.isForOfStatement(loop) && !loop.isAwaited()) {
    const initializer = loop.getInitializer();
    if (!Node.isVariableDeclarationList(initializer) || initializer.getDeclarations().length !== 1) return undefined;
    const declaration = initializer.getDeclarations()[0];
    if (declaration.getTypeNode()) return undefined;
    return { params: declaration.getNameNode().getText(), declared: initializer };
  }
  // reduce's callback gets (accumulator, item): the item is not the first parameter.
  if (site.kind !== 'reduce' && site.callback && (Node.isArrowFunction(site.callback) || Node.isFunctionExpression(site.callback))) {
    const params = site.callback.getParameters();
    if (params.length === 0 || params.some((p) => p.isRestParameter())) return undefined;
    // value and index mean the same in Array#map as in forEach/map/flatMap/filter
    return { params: params.slice(0, 2).map((p) => p.getText()).join(', '), declared: site.callback };
  }
  return undefined;
}

/** Expressions that read values only: safe to evaluate once per item in a `.map` before the loop. */
export function isPureKey(node: Node): boolean {
  if (Node.isIdentifier(node) || Node.isStringLiteral(node) || Node.isNumericLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return true;
  if (node.getKind() === SyntaxKind.ThisKeyword) return true;
  if (Node.isPropertyAccessExpression(node)) return isPureKey(node.getExpression());
  if (Node.isElementAccessExpression(node)) {
    const argument = node.getArgumentExpression();
    return Boolean(argument && (Node.isStringLiteral(argument) || Node.isNumericLiteral(argument))) && isPureKey(node.getExpression());
  }
  if (Node.isNonNullExpression(node) || Node.isParenthesizedExpression(node) || Node.isAsExpression(node)) return isPureKey(node.getExpression());
  if (Node.isTemplateExpression(node)) return node.getTemplateSpans().every((span) => isPureKey(span.getExpression()));
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) return isPureKey(node.getLeft()) && isPureKey(node.getRight());
  return false;
}

/** Every name in `node` is declared by the item binding or outside the loop (so a `.map` before it sees the same value). */
export function dependsOnlyOnItem(node: Node, site: NPlusOneSite, binding: Node): boolean {
  return identifiersIn(node).every((identifier) => {
    const declarations = identifier.getSymbol()?.getDeclarations() ?? [];
    return declarations.every((declaration) => isInside(declaration, binding) || !isInside(declaration, site.loop));
  });
}

/**
 * The expression that computes an item's key from the item alone, for a `.map` before the loop: the key
 * itself, or the initializer of the loop-local `const` it names (`const id = order.customerId`).
 */
export function itemKey(key: Node, site: NPlusOneSite, binding: Node): Node | undefined {
  if (isPureKey(key) && dependsOnlyOnItem(key, site, binding)) return key;
  if (!Node.isIdentifier(key)) return undefined;
  const declarations = key.getSymbol()?.getDeclarations() ?? [];
  const [declaration] = declarations;
  if (declarations.length !== 1 || !Node.isVariableDeclaration(declaration) || !isInside(declaration, site.loop) || isInside(declaration, binding)) return undefined;
  const list = declaration.getParent();
  if (!Node.isVariableDeclarationList(list) || list.getDeclarationKind() !== VariableDeclarationKind.Const || !Node.isIdentifier(declaration.getNameNode())) return undefined;
  const initializer = declaration.getInitializer();
  return initializer && isPureKey(initializer) && dependsOnlyOnItem(initializer, site, binding) ? initializer : undefined;
}

/** Every name in `node` is declared outside the loop: the expression has the same value before it. */
export function isLoopInvariant(node: Node, site: NPlusOneSite): boolean {
  return identifiersIn(node).every((identifier) => (identifier.getSymbol()?.getDeclarations() ?? []).every((declaration) => !isInside(declaration, site.loop)));
}

/** Identifiers in `node` that name values: not property names, not types. */
export function identifiersIn(node: Node): Node[] {
  const identifiers = Node.isIdentifier(node) ? [node] : node.getDescendantsOfKind(SyntaxKind.Identifier);
  return identifiers.filter((identifier) => {
    if (inTypePosition(identifier, node)) return false; // `query<{ rate: number }>`: types name no runtime values
    const parent = identifier.getParent();
    if (parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === identifier) return false;
    if (parent && Node.isPropertyAssignment(parent) && parent.getNameNode() === identifier) return false;
    return true;
  });
}

function inTypePosition(identifier: Node, root: Node): boolean {
  for (let node: Node | undefined = identifier; node && node !== root; node = node.getParent()) if (Node.isTypeNode(node)) return true;
  return false;
}

export function isInside(node: Node, container: Node): boolean {
  return node.getPos() >= container.getPos() && node.getEnd() <= container.getEnd() && node.getSourceFile() === container.getSourceFile();
}

/** A collection that can be read twice with the same result: a name or a property path. */
export function isStableCollection(node: Node | undefined): boolean {
  if (!node) return false;
  if (Node.isIdentifier(node) || node.getKind() === SyntaxKind.ThisKeyword) return true;
  if (Node.isPropertyAccessExpression(node)) return isStableCollection(node.getExpression());
  if (Node.isNonNullExpression(node) || Node.isParenthesizedExpression(node)) return isStableCollection(node.getExpression());
  return false;
}

export interface Keys {
  /** `orders.map((order) => order.customerId)`. */
  text: string;
  /** Code to put first before the loop: the collection read once into a name, when it is not a name already. */
  prelude: string;
  /** Edits in the loop header that read the named collection instead. */
  edits: { start: number; end: number; newText: string }[];
}

/**
 * The list of every item's key, built before the loop: `orders.map((order) => key)` for arrays,
 * `Array.from(orders, (order) => key)` for other iterables. A collection that is not a plain name
 * (`await latestOrders()`) is read once into a const that both the keys and the loop use.
 */
export function keysFor(site: NPlusOneSite, params: string, key: Node, anchor: Anchor): Keys | undefined {
  const collection = site.collection;
  if (!collection) return undefined;
  let isArray = isArrayLike(collection);
  if (!isArray && site.kind !== 'for-of') return undefined; // callbacks of Map/Set forEach get (value, key): not what Array.from passes
  let text = collection.getText();
  let prelude = '';
  const edits: Keys['edits'] = [];
  // An iterator (`cart.entries()`, a generator) is read once: reading its keys first would leave the loop
  // nothing to walk, so it is collected into an array the keys and the loop both read.
  const isIterator = !isArray && collection.getType().getProperty('next') !== undefined;
  if (!isStableCollection(collection) || isIterator) {
    const item = site.item && Node.isIdentifier(site.item) ? site.item.getText() : undefined;
    const name = freshLocal(anchor.statement, item && !item.endsWith('s') ? `${item}s` : 'items');
    prelude = `const ${name} = ${isIterator ? `Array.from(${text})` : text};\n${anchor.indent}`;
    edits.push({ start: collection.getStart(), end: collection.getEnd(), newText: name });
    text = name;
    if (isIterator) isArray = true;
  }
  // The key is the item itself: the collection is already the key list.
  if (isArray && params === key.getText() && Node.isIdentifier(key)) return { text, prelude, edits };
  const arrow = `(${params}) => ${key.getText()}`;
  return { text: isArray ? `${text}.map(${arrow})` : `Array.from(${text}, ${arrow})`, prelude, edits };
}

function isArrayLike(node: Node): boolean {
  const type = node.getType();
  return type.isArray() || type.isTuple() || /^readonly .*\[\]$/.test(type.getText());
}

/**
 * The per-item call runs on every iteration, not behind an `if`, `&&`, `?:`, `try` or nested loop:
 * reading every item's key before the loop then evaluates nothing the loop would not.
 */
export function isUnconditional(call: Node, body: Node): boolean {
  for (let node = call.getParent(); node && node !== body; node = node.getParent()) {
    if (Node.isIfStatement(node) || Node.isConditionalExpression(node) || Node.isCaseClause(node) || Node.isDefaultClause(node) || Node.isTryStatement(node) || Node.isCatchClause(node)) return false;
    if (Node.isIterationStatement(node) || isFunctionLike(node)) return false;
    if (Node.isBinaryExpression(node) && [SyntaxKind.AmpersandAmpersandToken, SyntaxKind.BarBarToken, SyntaxKind.QuestionQuestionToken].includes(node.getOperatorToken().getKind())) return false;
    if (Node.isPropertyAccessExpression(node) && node.hasQuestionDotToken()) return false;
    if (Node.isCallExpression(node) && node.hasQuestionDotToken()) return false;
  }
  return true;
}

/**
 * Nothing else in the loop writes (or runs statements we cannot tell from writes): reading all rows
 * before the loop then sees the same data each iteration would have seen.
 */
export function loopOnlyReads(site: NPlusOneSite, body: Node, context: RuleContext): boolean {
  for (const call of callsRunBy(body)) {
    if (call === site.perItemCall) continue;
    for (const path of context.summaries.ioOfCall(call)) {
      if (path.io.op === 'write') return false;
      if (path.io.op === 'other' && !isSelect(path.io.node)) return false;
    }
  }
  return true;
}

export function isSelect(node: CallExpression | TaggedTemplateExpression): boolean {
  if (!Node.isCallExpression(node)) return false;
  const first = node.getArguments()[0];
  const text = first && (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first)) ? first.getLiteralValue() : undefined;
  return text !== undefined && /^\s*select\b/i.test(text) && !/\bfor\s+(update|share)\b/i.test(text);
}

/** The I/O only reads: a read method, or SQL that is a plain SELECT. */
export function isRead(io: { op: string; node: CallExpression | TaggedTemplateExpression }): boolean {
  return io.op === 'read' || (io.op === 'other' && isSelect(io.node));
}

/** The per-item call as the loop consumes it: `await call`, or the call an async arrow returns. */
export function awaitedUse(call: Node): Node | undefined {
  let node = call;
  let parent = node.getParent();
  while (parent && Node.isParenthesizedExpression(parent)) {
    node = parent;
    parent = parent.getParent();
  }
  if (parent && Node.isAwaitExpression(parent)) return parent;
  return undefined;
}

/** `await x` as written; unwraps parentheses around the await expression for the consumer. */
export function outerOf(node: Node): { node: Node; parent: Node | undefined } {
  let current = node;
  let parent = current.getParent();
  while (parent && Node.isParenthesizedExpression(parent)) {
    current = parent;
    parent = parent.getParent();
  }
  return { node: current, parent };
}

/** A plural, camel-case stem for names: `customers` → `customers`, `order_items` → `orderItems`. */
export function camel(text: string): string {
  const cleaned = text.replace(/^.*\./, '').replace(/["`]/g, '');
  const camelCased = cleaned.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  const safe = camelCased.replace(/[^A-Za-z0-9_$]/g, '');
  if (!safe || /^[0-9]/.test(safe)) return 'rows';
  return safe[0].toLowerCase() + safe.slice(1);
}

export function capitalize(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** `text` as a replacement for `node`: parenthesised unless its place already delimits it. */
export function inPlaceOf(node: Node, text: string): string {
  const parent = node.getParent();
  if (!parent) return text;
  if (Node.isParenthesizedExpression(parent) || Node.isExpressionStatement(parent) || Node.isReturnStatement(parent) || Node.isArrayLiteralExpression(parent)) return text;
  if (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent)) return text;
  if ((Node.isCallExpression(parent) || Node.isNewExpression(parent)) && parent.getArguments().includes(node)) return text;
  if (Node.isTemplateSpan(parent) && parent.getExpression() === node) return text;
  if (Node.isArrowFunction(parent) && parent.getBody() === node) return text;
  return `(${text})`;
}
