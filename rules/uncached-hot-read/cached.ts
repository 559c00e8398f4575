// What counts as "a cache stands in front of the read": the read itself, or any call on the chain from the
// request's entry point down to it, sits behind a cache. Checked at every step so that a cache-aside in the
// route, in a service or in a helper in another file all count.
import { CallExpression, ClassDeclaration, Decorator, NewExpression, Node, SyntaxKind, TaggedTemplateExpression } from 'ts-morph';
import { decoratorName } from '../../server/src/engine/rule-kit';
import { importedBinding } from '../../server/src/engine/io-resolver';
import type { RequestPath } from '../../server/src/engine/request-path';
import { enclosingFunction, resolveCallees, type FunctionLike } from '../../server/src/engine/summaries';
import type { RuleContext } from '../../server/src/engine/types';
import { filesMentioning } from '../../server/src/engine/project-index';
import { isInsideWrapper, referencesOf } from '../missing-timeout/outbound';

type Site = CallExpression | TaggedTemplateExpression | Node;

/** Methods that load through a cache when given a key and a loader (cache-manager, Keyv wrappers, lru-cache). */
const CACHE_METHODS = new Set(['wrap', 'fetch', 'getOrSet', 'getOrLoad', 'getOrCreate', 'remember', 'rememberForever', 'memoize', 'cached', 'readThrough', 'cacheAside', 'through']);
/** Memoization libraries whose functions cache what the wrapped function returns. */
const MEMO_MODULES = new Set(['p-memoize', 'mem', 'memoizee', 'memoize-one', 'lodash.memoize', 'lodash/memoize', 'lodash', 'lodash-es', 'moize', 'micro-memoize', 'fast-memoize', 'async-cache-dedupe']);
const CACHE_MODULES = new Set(['lru-cache', 'quick-lru', 'lru.min', 'keyv', 'cache-manager', '@nestjs/cache-manager', 'cacheable', '@cacheable/node-cache', 'node-cache', 'ttlcache', '@isaacs/ttlcache', 'toad-cache', 'dataloader']);
const CACHE_NAME = /cache|memo|lru|keyv/i;
const CACHE_CONSTRUCTOR = /\bnew\s+(Map|LRUCache|LRU|QuickLRU|Keyv|TTLCache|NodeCache|Cacheable|CacheableMemory)\b|\bcreateCache\s*\(|\bcaching\s*\(/;
const CACHE_DECORATORS = new Set(['Cacheable', 'Cached', 'Memoize', 'Memoized', 'CacheKey', 'CacheTTL', 'Cache']);
const LOOP_CALLBACK_METHODS = new Set(['map', 'forEach', 'flatMap', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex']);

/** The read, then each call site on the way up to the entry point: the places a cache may stand. */
export function sitesOf(read: Site, requestPath: RequestPath): Site[] {
  return [read, ...[...requestPath.via].reverse()];
}

/** True when a cache stands in front of the read at some step of its request path. */
export function isCached(context: RuleContext, read: Site, requestPath: RequestPath): boolean {
  return sitesOf(read, requestPath).some((site) => isCachedAt(context, site)) || hasCacheDecorator(requestPath.entry.fn);
}

/** A cache around one site: a wrapper call, a memo, a cache-aside or a cache decorator in its function. */
function isCachedAt(context: RuleContext, site: Site): boolean {
  if (isInsideWrapper(site, context.config.cacheWrappers, context.config.dir, isCacheCall)) return true;
  const fn = enclosingFunction(site);
  return Boolean(fn && (isMemoized(site, fn) || hasCacheAside(context, fn, site) || hasCacheDecorator(fn)));
}

/** How far up the callers the search for an uncached chain goes, and how many call sites it looks at. */
const MAX_CALLER_DEPTH = 4;
const MAX_CALL_SITES = 64;

/**
 * A request path on which no cache stands in front of the read, or undefined when every path has one.
 * The model keeps only the shortest chain to a function; when that chain is cached, the callers are
 * searched for another chain that is not: a helper memoized in one route and called bare from another.
 */
export function uncachedPathOf(context: RuleContext, read: Site, requestPath: RequestPath): RequestPath | undefined {
  if (!isCached(context, read, requestPath)) return requestPath;
  if (isCachedAt(context, read)) return undefined; // a cache around the read itself covers every caller
  const budget = { sites: MAX_CALL_SITES };
  return uncachedCaller(context, requestPath.fn, enclosingFunction(read), [], new Set(), budget);
}

/**
 * When the shortest chain to the read is a job's or passes through a loop (not this rule's), another
 * caller may still reach it from a plain request with no cache: that chain, or undefined.
 */
export function uncachedPathBesides(context: RuleContext, read: Site, requestPath: RequestPath): RequestPath | undefined {
  if (siteInLoop(read) || isCachedAt(context, read)) return undefined;
  return uncachedCaller(context, requestPath.fn, enclosingFunction(read), [], new Set(), { sites: MAX_CALL_SITES });
}

function uncachedCaller(
  context: RuleContext,
  target: FunctionLike,
  fn: FunctionLike | undefined,
  below: (CallExpression | NewExpression)[],
  seen: Set<Node>,
  budget: { sites: number },
): RequestPath | undefined {
  if (!fn || seen.has(fn) || below.length >= MAX_CALLER_DEPTH) return undefined;
  seen.add(fn);
  for (const { check, call } of callSitesOf(fn)) {
    if (--budget.sites < 0) return undefined;
    const path = context.requestPaths.requestPathOf(check);
    if (!path || path.entry.perJob || isInLoop(check, path)) continue;
    const via = [call, ...below];
    if (!isCached(context, check, path)) return { entry: path.entry, fn: target, via: [...path.via, ...via] };
    if (isCachedAt(context, check)) continue;
    const found = uncachedCaller(context, target, enclosingFunction(check), via, seen, budget);
    if (found) return found;
  }
  return undefined;
}

/** Where a project function is called (`loadPlans()`, `this.repo.loadPlans()`) or handed over (`remember(k, loadPlans)`). */
function callSitesOf(fn: FunctionLike): { check: Node; call: CallExpression | NewExpression }[] {
  let nameNode: Node | undefined;
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) nameNode = fn.getNameNode();
  else {
    const parent = fn.getParent();
    if (parent && (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent) || Node.isPropertyDeclaration(parent))) nameNode = parent.getNameNode();
  }
  if (!nameNode || !Node.isIdentifier(nameNode)) return [];
  const sites: { check: Node; call: CallExpression | NewExpression }[] = [];
  for (const reference of referencesOf(nameNode, true)) {
    if (reference === nameNode) continue;
    let node: Node = reference;
    let parent = node.getParent();
    while (parent && (Node.isParenthesizedExpression(parent) || (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === node))) {
      node = parent;
      parent = parent.getParent();
    }
    if (!parent || !(Node.isCallExpression(parent) || Node.isNewExpression(parent))) continue;
    if (parent.getExpression() === node) sites.push({ check: parent, call: parent });
    else if ((parent.getArguments() as Node[]).includes(node)) sites.push({ check: node, call: parent });
  }
  return sites;
}

/** A read inside a loop, or on a chain that passes through one: n-plus-one's finding, not this rule's. */
export function isInLoop(read: Site, requestPath: RequestPath): boolean {
  return sitesOf(read, requestPath).some(siteInLoop);
}

function siteInLoop(site: Site): boolean {
  let child: Node = site;
  for (let node = site.getParent(); node; child = node, node = node.getParent()) {
    if (Node.isForStatement(node) || Node.isForOfStatement(node) || Node.isForInStatement(node) || Node.isWhileStatement(node) || Node.isDoStatement(node)) {
      // The initializer of a for-of runs once; only the body repeats.
      if (Node.isForOfStatement(node) || Node.isForInStatement(node)) {
        if (node.getStatement() === child) return true;
      } else return true;
    }
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
      const parent = node.getParent();
      if (parent && Node.isCallExpression(parent) && parent.getArguments().includes(node)) {
        const callee = parent.getExpression();
        if (Node.isPropertyAccessExpression(callee) && LOOP_CALLBACK_METHODS.has(callee.getName())) return true;
        continue; // other callbacks run once with their caller
      }
      return false;
    }
    if (Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node) || Node.isConstructorDeclaration(node)) return false;
  }
  return false;
}

const TRANSACTION_HANDLE = /^(trx|tx|transaction|queryRunner)$/i;
/** `db.transaction(…)`, Prisma `$transaction`, Mongoose `session.withTransaction(…)`, postgres.js `sql.begin(…)`. */
const TRANSACTION_CALL = /(^|\.)(\$?transaction|withTransaction|begin)$/;

/** Inside a transaction callback or on a transaction handle: the read must see the transaction's snapshot. */
export function isInTransaction(read: Site): boolean {
  const callee = Node.isCallExpression(read) ? read.getExpression() : undefined;
  if (callee && Node.isPropertyAccessExpression(callee) && TRANSACTION_HANDLE.test(callee.getExpression().getText().replace(/^this\./, ''))) return true;
  // postgres.js runs a transaction's statements through the handle as a tag: tx`SELECT …`.
  if (Node.isTaggedTemplateExpression(read) && TRANSACTION_HANDLE.test(read.getTag().getText())) return true;
  for (let node = read.getParent(); node; node = node.getParent()) {
    if (Node.isCallExpression(node) && TRANSACTION_CALL.test(node.getExpression().getText())) return true;
    if (Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node)) return false;
  }
  return false;
}

/** `cache.wrap(key, () => read)`, `lru.fetch`, `memoize(fn)`, `new DataLoader(batch)`, a project cache-aside helper. */
function isCacheCall(outer: Node): boolean {
  if (Node.isNewExpression(outer)) {
    const binding = importedBinding(outer.getExpression());
    return Boolean(binding && CACHE_MODULES.has(binding.module)) || /^DataLoader$/.test(outer.getExpression().getText());
  }
  if (!Node.isCallExpression(outer)) return false;
  const callee = outer.getExpression();
  const binding = importedBinding(callee);
  if (binding && (MEMO_MODULES.has(binding.module) || CACHE_MODULES.has(binding.module)) && (!binding.module.startsWith('lodash') || /memoize/i.test(binding.exportName + callee.getText()))) return true;
  if (Node.isPropertyAccessExpression(callee) && CACHE_METHODS.has(callee.getName()) && CACHE_NAME.test(callee.getExpression().getText())) return true;
  if (outer.getArguments().length === 0) return false;
  return resolveCallees(outer).some(isCacheHelper);
}

/**
 * A project function that reads a cache and fills it: `getOrLoad(key, ttl, load)` on Redis, a memo over a
 * module-level Map, the helper the quick-fix writes.
 */
function isCacheHelper(fn: FunctionLike): boolean {
  const body = fn.getBody();
  if (!body) return false;
  const text = body.getText();
  const lookup = /\b([\w$.]*)\.(get|peek|has|getBuffer|hget|hGet)\s*\(/g;
  for (const match of text.matchAll(lookup)) {
    const receiver = match[1];
    if (!receiver || !(CACHE_NAME.test(receiver) || /redis/i.test(receiver))) continue;
    const escaped = receiver.replace(/[.$]/g, '\\$&');
    if (new RegExp(`(^|[^\\w$.])${escaped}\\.(set|setex|setEx|hset|hSet)\\s*\\(`).test(text)) return true;
  }
  return false;
}

/**
 * Cache-aside in the function around a site: it looks a key up and stores into the same cache
 * (`cache.get(k)` … `cache.set(k, v)`), on an LRU, a module-level or instance Map, Keyv, cache-manager or
 * Redis, or through the project's own `cacheGet(k)` / `cacheSet(k, v)` helpers. The store must keep what
 * the site returns: a user cache in a middleware does not stand in front of the flags read beside it.
 */
function hasCacheAside(context: RuleContext, fn: FunctionLike, site: Site): boolean {
  const body = fn.getBody();
  if (!body) return false;
  const kept = keptNames(site);
  const lookups = new Map<string, CallExpression>();
  const stores = new Set<string>();
  const helperLookups = new Set<string>();
  const helperStores = new Set<string>();
  for (const call of body.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (Node.isIdentifier(callee)) {
      // `cacheGet('flags')` … `cacheSet('flags', rows)`: helpers named for a cache, on either side.
      const name = callee.getText();
      if (!CACHE_NAME.test(name)) continue;
      const prefix = name.replace(CACHE_NAME, '');
      if (/^(get|read|lookup|peek|has|fetch|load)/i.test(name) || /^(get|read|lookup|peek|has)$/i.test(prefix)) helperLookups.add(name);
      else if (/^(set|put|write|save|store)/i.test(name) || /^(set|put|write|save|store)$/i.test(prefix)) {
        if (storesSite(call, site, kept)) helperStores.add(name);
      }
      continue;
    }
    if (!Node.isPropertyAccessExpression(callee)) continue;
    const receiver = callee.getExpression().getText();
    const name = callee.getName();
    if (['get', 'peek', 'has', 'hget', 'hGet', 'getBuffer'].includes(name)) lookups.set(receiver, call);
    else if (['set', 'setex', 'setEx', 'hset', 'hSet'].includes(name) && storesSite(call, site, kept)) stores.add(receiver);
  }
  if (helperLookups.size > 0 && helperStores.size > 0) return true;
  for (const [receiver, lookup] of lookups) {
    if (!stores.has(receiver)) continue;
    if (CACHE_NAME.test(receiver)) return true;
    const callee = lookup.getExpression() as Node;
    const target = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : undefined;
    if (target && isCacheObject(target)) return true;
    if (context.io.classify(lookup)?.kind === 'redis') return true;
  }
  return false;
}

/** The names the site's result is kept in: `const { rows } = await q`, `user = (await q).rows[0]`. */
function keptNames(site: Site): Set<string> {
  const names = new Set<string>();
  let node: Node = site;
  let parent = node.getParent();
  while (parent && (Node.isAwaitExpression(parent) || Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isNonNullExpression(parent) || (Node.isPropertyAccessExpression(parent) && parent.getExpression() === node) || (Node.isElementAccessExpression(parent) && parent.getExpression() === node))) {
    node = parent;
    parent = parent.getParent();
  }
  if (parent && Node.isVariableDeclaration(parent)) {
    const name = parent.getNameNode();
    if (Node.isIdentifier(name)) names.add(name.getText());
    else for (const element of name.getDescendantsOfKind(SyntaxKind.BindingElement)) names.add(element.getNameNode().getText());
  } else if (parent && Node.isBinaryExpression(parent) && parent.getRight() === node) {
    names.add(parent.getLeft().getText());
  }
  return names;
}

/** The store keeps the site's result: the site is inside its arguments, or they name where it was kept. */
function storesSite(store: CallExpression, site: Site, kept: Set<string>): boolean {
  if (site.getPos() >= store.getPos() && site.getEnd() <= store.getEnd()) return true;
  if (kept.size === 0) return false;
  return store.getArguments().some((argument) => [argument, ...argument.getDescendantsOfKind(SyntaxKind.Identifier)].some((node) => kept.has(node.getText())));
}

/** A variable or property initialised with a Map, an LRU, Keyv or a cache manager. */
function isCacheObject(expression: Node): boolean {
  const nameNode = Node.isPropertyAccessExpression(expression) ? expression.getNameNode() : expression;
  for (const declaration of nameNode.getSymbol()?.getDeclarations() ?? []) {
    if (Node.isVariableDeclaration(declaration) || Node.isPropertyDeclaration(declaration)) {
      const initializer = declaration.getInitializer();
      if (initializer && CACHE_CONSTRUCTOR.test(initializer.getText())) return true;
      const type = declaration.getTypeNode()?.getText() ?? '';
      if (/^(Map|LRUCache|Keyv|Cache)\b/.test(type)) return true;
    }
    if (Node.isParameterDeclaration(declaration)) {
      // Nest: `@Inject(CACHE_MANAGER) private cache: Cache`
      if (declaration.getDecorators().some((decorator) => /CACHE_MANAGER/.test(decorator.getText()))) return true;
    }
  }
  return false;
}

/**
 * A memo: the site's result is kept in a module-level variable or an instance property the function checks
 * first (`settings ??= load()`, `if (!cached || expired) cached = { value: await load(), at: Date.now() }`).
 */
function isMemoized(site: Site, fn: FunctionLike): boolean {
  let node: Node = site;
  let parent = node.getParent();
  for (;;) {
    if (parent && (Node.isAwaitExpression(parent) || Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent))) {
      node = parent;
      parent = parent.getParent();
      continue;
    }
    // `promise ??= pool.query(…).then((r) => r.rows)`: the memo holds the chain's end.
    const call = parent?.getParent();
    if (parent && Node.isPropertyAccessExpression(parent) && parent.getExpression() === node && ['then', 'catch', 'finally'].includes(parent.getName()) && call && Node.isCallExpression(call) && call.getExpression() === parent) {
      node = call;
      parent = call.getParent();
      continue;
    }
    break;
  }
  if (parent && Node.isBinaryExpression(parent) && parent.getRight() === node) {
    const operator = parent.getOperatorToken().getKind();
    if (operator === SyntaxKind.QuestionQuestionEqualsToken || operator === SyntaxKind.BarBarEqualsToken) return isLongLived(parent.getLeft());
  }
  const body = fn.getBody();
  if (!body) return false;
  // Any long-lived slot the function both fills and tests.
  for (const assignment of body.getDescendantsOfKind(SyntaxKind.BinaryExpression)) {
    if (assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
    const left = assignment.getLeft();
    if (!isLongLived(left)) continue;
    const slot = left.getText();
    const tested = body.getDescendants().some((candidate) => {
      if (Node.isIfStatement(candidate) || Node.isConditionalExpression(candidate)) {
        const condition = Node.isIfStatement(candidate) ? candidate.getExpression() : candidate.getCondition();
        return mentions(condition, slot);
      }
      if (Node.isBinaryExpression(candidate)) {
        const kind = candidate.getOperatorToken().getKind();
        return (kind === SyntaxKind.QuestionQuestionToken || kind === SyntaxKind.BarBarToken) && mentions(candidate.getLeft(), slot);
      }
      return false;
    });
    if (tested) return true;
  }
  return false;
}

function mentions(node: Node, slot: string): boolean {
  const text = node.getText();
  return new RegExp(`(^|[^\\w$.])${slot.replace(/[.$]/g, '\\$&')}([^\\w$]|$)`).test(text);
}

/**
 * A module-level `let`, a property of `this` (a singleton service's field), a class's static field
 * (`Plans.cached`), or a property of a module-level object (`memo.settings`).
 */
function isLongLived(target: Node): boolean {
  if (Node.isPropertyAccessExpression(target)) {
    const owner = target.getExpression();
    if (Node.isThisExpression(owner)) return true;
    if (!Node.isIdentifier(owner)) return false;
    return (owner.getSymbol()?.getDeclarations() ?? []).some((declaration) => Node.isClassDeclaration(declaration) || isModuleLevelVariable(declaration));
  }
  if (!Node.isIdentifier(target)) return false;
  return (target.getSymbol()?.getDeclarations() ?? []).some(isModuleLevelVariable);
}

function isModuleLevelVariable(declaration: Node): boolean {
  return Node.isVariableDeclaration(declaration) && Node.isSourceFile(declaration.getVariableStatement()?.getParent() ?? declaration);
}

/**
 * NestJS's CacheInterceptor installed for the whole app (`{ provide: APP_INTERCEPTOR, useClass: CacheInterceptor }`,
 * `app.useGlobalInterceptors(new CacheInterceptor(…))`): it caches every controller's GET responses.
 */
function hasGlobalCacheInterceptor(fn: FunctionLike): boolean {
  if (!Node.isMethodDeclaration(fn) || !fn.getDecorators().some((decorator) => decoratorName(decorator) === 'Get')) return false;
  for (const tree of filesMentioning(fn, 'CacheInterceptor')) {
    if (/provide\s*:\s*APP_INTERCEPTOR\s*,\s*useClass\s*:\s*CacheInterceptor\b|useClass\s*:\s*CacheInterceptor\s*,\s*provide\s*:\s*APP_INTERCEPTOR\b|useGlobalInterceptors\s*\([^)]*\bCacheInterceptor\b/.test(tree.text)) return true;
  }
  return false;
}

/** `@Cacheable()`, `@CacheTTL()`, `@UseInterceptors(CacheInterceptor)` on the method or its class. */
function hasCacheDecorator(fn: FunctionLike): boolean {
  if (!Node.isMethodDeclaration(fn)) return false;
  if (hasGlobalCacheInterceptor(fn)) return true;
  const cls = fn.getParent();
  const decorators: Decorator[] = [...fn.getDecorators(), ...(cls && Node.isClassDeclaration(cls) ? (cls as ClassDeclaration).getDecorators() : [])];
  return decorators.some((decorator) => {
    const name = decoratorName(decorator);
    if (name !== undefined && CACHE_DECORATORS.has(name)) return true;
    return name === 'UseInterceptors' && decorator.getArguments().some((arg) => /CacheInterceptor\b/.test(arg.getText()));
  });
}
