// The suggestion: cache-aside in front of the read with lru-cache and a TTL, plus in-flight de-duplication
// so that concurrent misses for one key share one load (no stampede when the entry expires under load).
//
//   const { rows } = await pool.query('SELECT key, value FROM settings');
// becomes
//   const { rows } = await cachedSettings('settings', () => pool.query('SELECT key, value FROM settings'));
// with a module-level LRUCache and helper. A suggestion, never a fix: the TTL is a product decision and
// writes elsewhere must invalidate the entry.
import { Node, SourceFile, SyntaxKind, TaggedTemplateExpression, CallExpression } from 'ts-morph';
import { moduleSpecifierOf } from '../../server/src/engine/provenance';
import { freshName, indentUnit, quoteOf } from '../../server/src/engine/rule-kit';
import { enclosingFunction } from '../../server/src/engine/summaries';
import type { Fix, RuleContext, TextEdit } from '../../server/src/engine/types';
import type { HotRead } from './hot-data';

const TTL_MS: Record<HotRead['category'], number> = { shared: 30_000, tenant: 60_000, principal: 10_000 };

export function cacheAsideFix(context: RuleContext, read: CallExpression | TaggedTemplateExpression, hot: HotRead): Fix[] {
  const fn = enclosingFunction(read);
  if (!fn || !isAwaitedOrReturned(read, fn)) return [];
  const sourceFile = context.sourceFile;
  const file = context.filePath;
  const unit = indentUnit(sourceFile);
  const quote = quoteOf(sourceFile);
  const pascal = hot.base[0].toUpperCase() + hot.base.slice(1);
  const cache = freshName(sourceFile, `${hot.base}Cache`);
  const inFlight = freshName(sourceFile, `${hot.base}Loads`);
  const helper = freshName(sourceFile, `cached${pascal}`);
  const { name: lru, importText } = lruImport(sourceFile, quote);
  const ttl = TTL_MS[hot.category];
  const what = hot.noun === 'request' ? `Responses from ${hot.target} change` : `${hot.target} ${hot.category === 'principal' ? 'records' : 'rows'} change`;
  const invalidation =
    hot.category === 'principal'
      ? `// Invalidate on writes: where ${hot.target} changes (role change, deactivation, logout), call ${cache}.delete(key).`
      : `// Invalidate on writes: where ${hot.target} is updated, call ${cache}.delete(key) (or .clear()) after the write commits.`;
  const helperText =
    importText +
    `\n\n/** ${what} rarely: serve them from memory for ${ttl / 1000} s instead of reading them on every request. */\n` +
    `const ${cache} = new ${lru}<string, { value: unknown }>({ max: 1_000, ttl: ${formatMs(ttl)} });\n` +
    `/** Loads in progress: concurrent misses for one key share a single load (stampede prevention). */\n` +
    `const ${inFlight} = new Map<string, Promise<unknown>>();\n` +
    `${invalidation}\n` +
    `// With several instances, each keeps its own copy: publish the invalidation (e.g. Redis pub/sub) or keep the TTL short.\n` +
    `function ${helper}<T>(key: string, load: () => PromiseLike<T>): Promise<T> {\n` +
    `${unit}const hit = ${cache}.get(key);\n` +
    `${unit}if (hit) return Promise.resolve(hit.value as T);\n` +
    `${unit}let pending = ${inFlight}.get(key) as Promise<T> | undefined;\n` +
    `${unit}if (!pending) {\n` +
    `${unit}${unit}pending = Promise.resolve(load())\n` +
    `${unit}${unit}${unit}.then((value) => {\n` +
    `${unit}${unit}${unit}${unit}${cache}.set(key, { value });\n` +
    `${unit}${unit}${unit}${unit}return value;\n` +
    `${unit}${unit}${unit}})\n` +
    `${unit}${unit}${unit}.finally(() => ${inFlight}.delete(key));\n` +
    `${unit}${unit}${inFlight}.set(key, pending);\n` +
    `${unit}}\n` +
    `${unit}return pending;\n` +
    `}`;
  const anchor = insertionPoint(sourceFile);
  const edits: TextEdit[] = [
    { file, start: anchor, end: anchor, newText: anchor === 0 ? `${helperText.replace(/^\n+/, '')}\n\n` : helperText },
    { file, start: read.getStart(), end: read.getEnd(), newText: `${helper}(${cacheKey(read, fn, hot, quote)}, () => ${read.getText()})` },
  ];
  return [{ title: `Cache ${hot.target} with lru-cache (TTL ${ttl / 1000} s, concurrent misses share one load)`, kind: 'suggestion', edits }];
}

function formatMs(ms: number): string {
  return String(ms).replace(/(\d)(?=(\d{3})+$)/g, '$1_');
}

/** Only rewrite reads whose promise is awaited or returned from an async function: the wrapper returns a Promise. */
function isAwaitedOrReturned(read: Node, fn: Node): boolean {
  let node = read;
  let parent = node.getParent();
  while (parent && Node.isParenthesizedExpression(parent)) {
    node = parent;
    parent = parent.getParent();
  }
  if (!parent) return false;
  if (Node.isAwaitExpression(parent)) return true;
  const isAsync = (Node.isArrowFunction(fn) || Node.isFunctionDeclaration(fn) || Node.isFunctionExpression(fn) || Node.isMethodDeclaration(fn)) && fn.isAsync();
  return isAsync && (Node.isReturnStatement(parent) || (Node.isArrowFunction(parent) && parent.getBody() === node));
}

/**
 * The cache key: the target's name, plus every value from the surrounding function the read depends on
 * (`tenantId`, `req.params.slug`), so different inputs never share an entry.
 */
function cacheKey(read: Node, fn: Node, hot: HotRead, quote: string): string {
  const locals = new Set<string>();
  for (const declaration of fn.getDescendantsOfKind(SyntaxKind.VariableDeclaration)) collectNames(declaration.getNameNode(), locals);
  if (Node.isArrowFunction(fn) || Node.isFunctionDeclaration(fn) || Node.isFunctionExpression(fn) || Node.isMethodDeclaration(fn)) {
    for (const parameter of fn.getParameters()) collectNames(parameter.getNameNode(), locals);
  }
  // Names declared inside the read itself (callback parameters) are not inputs.
  const inner = new Set<string>();
  for (const declaration of read.getDescendantsOfKind(SyntaxKind.Parameter)) collectNames(declaration.getNameNode(), inner);
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const identifier of read.getDescendantsOfKind(SyntaxKind.Identifier)) {
    const name = identifier.getText();
    if (!locals.has(name) || inner.has(name)) continue;
    const parent = identifier.getParent();
    if (parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === identifier) continue;
    if (parent && Node.isPropertyAssignment(parent) && parent.getNameNode() === identifier) continue;
    // The longest property path: `req.params.slug`, not `req`.
    let expression: Node = identifier;
    while (expression.getParent() && Node.isPropertyAccessExpression(expression.getParent()!) && (expression.getParent() as Node & { getExpression(): Node }).getExpression() === expression) {
      const next = expression.getParent()!;
      const above = next.getParent();
      if (above && Node.isCallExpression(above) && above.getExpression() === next) break; // `rows.map(...)`: keep the value, not the method
      expression = next;
    }
    const text = expression.getText();
    if (!seen.has(text)) {
      seen.add(text);
      parts.push(text);
    }
  }
  const prefix = `${quote}${hot.base}${quote}`;
  if (parts.length === 0) return prefix;
  return `\`${hot.base}:\${JSON.stringify([${parts.join(', ')}])}\``;
}

function collectNames(nameNode: Node, into: Set<string>): void {
  if (Node.isIdentifier(nameNode)) {
    into.add(nameNode.getText());
    return;
  }
  for (const element of nameNode.getDescendantsOfKind(SyntaxKind.BindingElement)) {
    const name = element.getNameNode();
    if (Node.isIdentifier(name)) into.add(name.getText());
  }
}

/** After the last import: module-level code that later functions can use. */
function insertionPoint(sourceFile: SourceFile): number {
  const imports = sourceFile.getImportDeclarations();
  return imports.length ? imports[imports.length - 1].getEnd() : 0;
}

/** The local name of lru-cache's LRUCache, and the import to add when the file has none. */
function lruImport(sourceFile: SourceFile, quote: string): { name: string; importText: string } {
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== 'lru-cache') continue;
    const named = declaration.getNamedImports().find((specifier) => specifier.getName() === 'LRUCache');
    if (named) return { name: named.getAliasNode()?.getText() ?? 'LRUCache', importText: '' };
  }
  const taken = /\bLRUCache\b/.test(sourceFile.getFullText());
  const name = taken ? freshName(sourceFile, 'LRUCacheStore') : 'LRUCache';
  return { name, importText: `\nimport { ${taken ? `LRUCache as ${name}` : 'LRUCache'} } from ${quote}lru-cache${quote};` };
}
