// Small helpers shared by rules: walking calls cheaply, reading literals, formatting fix text.
import { CallExpression, Decorator, Node, SourceFile, TaggedTemplateExpression, ts } from 'ts-morph';
import { listedNodesOf } from './project-index';
import { RawKind, wrapCompilerNode } from './raw-tree';

export { RawKind, walkRaw, wrapCompilerNode } from './raw-tree';

const K = RawKind;

/**
 * `got(url).json()`: a method of the call's own result other than then/catch/finally is used, so a rewrite
 * that hands back a plain promise (a breaker, a loader) would lose it.
 */
export function resultMethodIsUsed(call: Node): boolean {
  const parent = call.getParent();
  return Boolean(parent && Node.isPropertyAccessExpression(parent) && parent.getExpression() === call && !['then', 'catch', 'finally'].includes(parent.getName()));
}

/** Every call and tagged template in a file, in source order. */
export function callsIn(sourceFile: SourceFile): (CallExpression | TaggedTemplateExpression)[] {
  return fileNodesIn(sourceFile, (node) => node.kind === K.CallExpression || node.kind === K.TaggedTemplateExpression);
}

/**
 * The calls, constructions, tagged templates and class declarations of a file that pass a test on the raw
 * node, in source order. Rules and models look for these in every file: the project index lists them in
 * its one walk over each parsed tree, and only what passes gets wrapped, per question (ts-morph may have
 * forgotten wrappers in between, never the compiler nodes; wrapping every node in ts-morph objects would
 * cost more than the test).
 */
export function fileNodesIn<T extends Node>(sourceFile: SourceFile, test: (node: ts.Node) => boolean): T[] {
  const found: T[] = [];
  for (const node of listedNodesOf(sourceFile.compilerNode)) if (test(node)) found.push(wrapCompilerNode(sourceFile, node) as T);
  return found;
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
  // Any whole word of the text, in code, strings or comments alike. The words of a tree are read once:
  // fixes ask for several names per finding.
  if (/^\w+$/.test(name)) return wordsOf(sourceFile.compilerNode).has(name);
  return new RegExp(`\\b${name.replace(/[$]/g, '\\$')}\\b`).test(sourceFile.getFullText());
}

function wordsOf(tree: ts.SourceFile): ReadonlySet<string> {
  let words = wordsOfTree.get(tree);
  if (!words) wordsOfTree.set(tree, (words = new Set(tree.text.split(/\W+/))));
  return words;
}

const wordsOfTree = new WeakMap<ts.SourceFile, Set<string>>();

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
