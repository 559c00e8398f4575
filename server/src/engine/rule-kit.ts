// Small helpers shared by rules: walking calls cheaply, reading literals, formatting fix text.
import { CallExpression, Decorator, Node, SourceFile, SyntaxKind, TaggedTemplateExpression, ts } from 'ts-morph';

/** Every call and tagged template in a file, in source order. */
export function callsIn(sourceFile: SourceFile): (CallExpression | TaggedTemplateExpression)[] {
  return fileNodesIn(sourceFile, (node) => node.kind === K.CallExpression || node.kind === K.TaggedTemplateExpression);
}

/**
 * The calls, constructions, tagged templates and class declarations of a file that pass a test on the raw
 * node, in source order. Rules and models look for these in every file: it is walked once per parsed tree
 * for all of them, and only what passes gets wrapped, per question (ts-morph may have forgotten wrappers in
 * between, never the compiler nodes; wrapping every node in ts-morph objects would cost more than the test).
 * The walk keeps its own stack: ts-morph's recursive descendant walk overflows on a 5,000-link call chain.
 */
export function fileNodesIn<T extends Node>(sourceFile: SourceFile, test: (node: ts.Node) => boolean): T[] {
  const tree = sourceFile.compilerNode;
  let listed = listedOfTree.get(tree);
  if (!listed) listedOfTree.set(tree, (listed = rawNodesIn(tree, (node) => LISTED_KINDS.has(node.kind))));
  const found: T[] = [];
  for (const node of listed) if (test(node)) found.push(wrapCompilerNode(sourceFile, node) as T);
  return found;
}

const listedOfTree = new WeakMap<ts.SourceFile, ts.Node[]>();

// Read once: each `ts.x` through the bundle's module object is a getter call, too slow for a walk of every node.
/** `ts.SyntaxKind`, for tests on raw compiler nodes in hot walks. */
export const RawKind = ts.SyntaxKind;
const K = RawKind;
const forEachChild = ts.forEachChild;
/** What fileNodesIn lists of each file. */
const LISTED_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([K.CallExpression, K.NewExpression, K.TaggedTemplateExpression, K.ClassDeclaration]);

/** The raw descendants of a compiler node that pass a test, in source order. */
function rawNodesIn(root: ts.Node, test: (node: ts.Node) => boolean): ts.Node[] {
  const found: ts.Node[] = [];
  walkRaw(root, (node) => {
    // The root itself is not one of its descendants.
    if (node !== root && test(node)) found.push(node);
  });
  return found;
}

/**
 * Visits a raw compiler node and its descendants, parents before children and in source order; `visit`
 * returns false to skip a node's children. An explicit stack: generated files nest deeper than the call
 * stack allows.
 */
export function walkRaw(root: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  const stack: ts.Node[] = [root];
  const children: ts.Node[] = [];
  const collect = (child: ts.Node): void => {
    children.push(child);
  };
  while (stack.length > 0) {
    const node = stack.pop() as ts.Node;
    if (visit(node) === false) continue;
    children.length = 0;
    forEachChild(node, collect);
    for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
  }
}

/** The ts-morph node for a compiler node of this file (created once, then cached by ts-morph). */
export function wrapCompilerNode(sourceFile: SourceFile, node: ts.Node): Node {
  return (sourceFile as unknown as { _getNodeFromCompilerNode(node: ts.Node): Node })._getNodeFromCompilerNode(node);
}

/** The property name of `a.b(...)` or the identifier of `b(...)`. */
export function calleeName(call: CallExpression): string | undefined {
  const callee = call.getExpression();
  if (Node.isPropertyAccessExpression(callee)) return callee.getName();
  if (Node.isIdentifier(callee)) return callee.getText();
  return undefined;
}

/** The value of a string literal or substitution-free template; undefined otherwise. */
export function stringValue(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  return undefined;
}

/** Leading whitespace of the line a node starts on. */
export function indentOf(node: Node): string {
  const text = node.getSourceFile().getFullText();
  let lineStart = node.getStart();
  while (lineStart > 0 && text[lineStart - 1] !== '\n') lineStart--;
  const match = /^[ \t]*/.exec(text.slice(lineStart));
  return match ? match[0] : '';
}

/** The indentation unit the file uses (two spaces when unsure). */
export function indentUnit(sourceFile: SourceFile): string {
  const match = /\n(\t+|[ ]{2,8})\S/.exec(sourceFile.getFullText());
  if (!match) return '  ';
  return match[1].startsWith('\t') ? '\t' : match[1].length >= 4 && match[1].length % 4 === 0 ? '    ' : '  ';
}

/** Quote style of the file's imports, to write fix text the way the file is written. */
export function quoteOf(sourceFile: SourceFile): string {
  const text = sourceFile.getFullText();
  const single = (text.match(/from '/g) ?? []).length + (text.match(/require\('/g) ?? []).length;
  const double = (text.match(/from "/g) ?? []).length + (text.match(/require\("/g) ?? []).length;
  return double > single ? '"' : "'";
}

/** True when `name` is declared anywhere in the file (a fix must not shadow or collide with it). */
export function isNameTaken(sourceFile: SourceFile, name: string): boolean {
  return new RegExp(`\\b${name.replace(/[$]/g, '\\$')}\\b`).test(sourceFile.getFullText());
}

/** A fresh identifier based on `base` that the file does not use yet. */
export function freshName(sourceFile: SourceFile, base: string): string {
  if (!isNameTaken(sourceFile, base)) return base;
  for (let i = 2; ; i++) if (!isNameTaken(sourceFile, `${base}${i}`)) return `${base}${i}`;
}

/** Shortens code for messages: whitespace folded, long text elided. */
export function excerpt(text: string, max = 60): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}

/**
 * `Get` for `@Get('x')` or `@common.Get()`, undefined for anything else: ts-morph's getName (and
 * getDecorator, which uses it) throws on a decorator that is not a name, as in a half-typed buffer.
 */
export function decoratorName(decorator: Decorator): string | undefined {
  let expression = decorator.compilerNode.expression;
  if (ts.isCallExpression(expression)) expression = expression.expression;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return ts.isIdentifier(expression) ? expression.text : undefined;
}
