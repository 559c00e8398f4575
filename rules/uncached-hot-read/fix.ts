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
  const key = cacheKey(read, hot, quote);
  if (key === undefined) return [];
  const anchor = insertionPoint(sourceFile);
  const edits: TextEdit[] = [
    { file, start: anchor, end: anchor, newText: anchor === 0 ? `${helperText.replace(/^\n+/, '')}\n\n` : helperText },
    { file, start: read.getStart(), end: read.getEnd(), newText: `${helper}(${key}, () => ${read.getText()})` },
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
/**
 * The cache key: the read's inputs that are not module-level constants, each as the value the read uses
 * (`req.params.slug`, `req.get('host')`, `request.headers['x-user-id']`, a closure's `host`). Undefined when
 * an input is an object (`req`, `c.req`, `request.headers`): stringified, it would throw on a circular
 * request, give every tenant the same key, or never hit; the reader must pick the key then.
 */
function cacheKey(read: Node, hot: HotRead, quote: string): string | undefined {
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const identifier of read.getDescendantsOfKind(SyntaxKind.Identifier)) {
    const parent = identifier.getParent();
    if (parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === identifier) continue;
    if (parent && Node.isPropertyAssignment(parent) && parent.getNameNode() === identifier) continue;
    const declaration = identifier.getSymbol()?.getDeclarations()[0];
    // Module-level values (the pool, a table, an import) and the read's own parameters are not inputs.
    if (!declaration || declaration.getSourceFile() !== read.getSourceFile() || !enclosingFunction(declaration)) continue;
    // Declared inside the read itself (a callback's parameters): not an input.
    if (declaration.getPos() >= read.getPos() && declaration.getEnd() <= read.getEnd()) continue;
    const expression = valuePath(identifier);
    if (!isPrimitive(expression)) return undefined;
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

/**
 * The longest path from a name to the value read: `req.params.slug`, `request.headers['x-user-id']`,
 * `req.get('host')` (a getter with literal arguments); not `rows.map`, the method itself.
 */
function valuePath(identifier: Node): Node {
  let expression: Node = identifier;
  for (;;) {
    const next = expression.getParent();
    if (!next) return expression;
    if (Node.isPropertyAccessExpression(next) && next.getExpression() === expression) {
      const above = next.getParent();
      if (above && Node.isCallExpression(above) && above.getExpression() === next) {
        // `req.get('host')`, `c.req.header('host')`: a getter whose arguments are all literals.
        if (above.getArguments().length > 0 && above.getArguments().every((argument) => Node.isStringLiteral(argument) || Node.isNoSubstitutionTemplateLiteral(argument))) {
          expression = above;
          continue;
        }
        return expression;
      }
      expression = next;
      continue;
    }
    if (Node.isElementAccessExpression(next) && next.getExpression() === expression) {
      const argument = next.getArgumentExpression();
      if (argument && (Node.isStringLiteral(argument) || Node.isNumericLiteral(argument) || Node.isNoSubstitutionTemplateLiteral(argument))) {
        expression = next;
        continue;
      }
    }
    return expression;
  }
}

/** A string, number, boolean or bigint (possibly undefined or null), or an array of them: stable under JSON.stringify. */
function isPrimitive(expression: Node): boolean {
  const type = expression.getType();
  const parts = type.isUnion() ? type.getUnionTypes() : [type];
  return parts.every((part) => {
    if (part.isString() || part.isNumber() || part.isBoolean() || part.isBooleanLiteral() || part.isStringLiteral() || part.isNumberLiteral() || part.isUndefined() || part.isNull() || part.isEnumLiteral()) return true;
    if (part.getText() === 'bigint') return true;
    if (part.isArray()) {
      const element = part.getArrayElementType();
      return Boolean(element && (element.isString() || element.isNumber() || element.isStringLiteral() || element.isNumberLiteral()));
    }
    return false;
  });
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
