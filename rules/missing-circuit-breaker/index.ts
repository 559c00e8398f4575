// missing-circuit-breaker: a remote HTTP call on a request path with nothing to stop calling a dependency
// that is down. Every request keeps paying the full timeout, holding sockets and workers, and the
// dependency's outage becomes this service's outage.
import { CallExpression, Node, SourceFile, SyntaxKind } from 'ts-morph';
import { moduleSpecifierOf } from '../../server/src/engine/provenance';
import { RequestPaths } from '../../server/src/engine/request-path';
import { fileNodesIn, freshName, indentUnit, quoteOf, RawKind, resultMethodIsUsed } from '../../server/src/engine/rule-kit';
import { enclosingFunction, resolveCallees } from '../../server/src/engine/summaries';
import type { Fix, Rule, RuleContext, TextEdit } from '../../server/src/engine/types';
import { creationOf, isCockatielExecute, isInsideWrapper, isOpossumBreaker, outboundCall, type OutboundCall } from '../missing-timeout/outbound';

export const meta = {
  id: 'missing-circuit-breaker',
  description: 'A remote HTTP call on a request path without a circuit breaker keeps calling a failing dependency, so its outage cascades into this service.',
  defaultSeverity: 'info',
  fixKind: 'suggestion',
} as const satisfies Rule['meta'];

const rule: Rule = {
  meta,
  mayApply: (text) => /fetch|axios|got|undici|request|\.get\(|\.post\(/.test(text),
  check(context) {
    for (const call of fileNodesIn<CallExpression>(context.sourceFile, (raw) => raw.kind === RawKind.CallExpression)) {
      const io = context.io.classify(call);
      if (!io || io.kind !== 'http') continue;
      const outbound = outboundCall(call, io);
      if (!outbound || isLocalTarget(outbound)) continue;
      const requestPath = context.requestPaths.requestPathOf(call);
      if (!requestPath) continue;
      if (isGuarded(context, call)) continue;
      const per = requestPath.entry.perJob ? 'job' : 'request';
      const fresh = breakerBuiltPerCallAround(call);
      context.report({
        node: call,
        message:
          (fresh
            ? `${outbound.display} calls a remote service on every ${per} (${RequestPaths.describe(requestPath)}) through a circuit breaker built for that ${per} alone: a new breaker starts closed with no failure history, so it never opens. `
            : `${outbound.display} calls a remote service on every ${per} (${RequestPaths.describe(requestPath)}) with no circuit breaker. `) +
          `When that service is down or slow, each ${per} still waits for it — up to the full timeout — holding a socket and a ${per === 'job' ? 'worker slot' : 'request'} ` +
          `while retries pile more load onto the failing service; the outage spreads to this service and its callers. ` +
          `A breaker fails fast after repeated errors and lets a probe through after a reset timeout.`,
        related: [...(fresh ? [{ node: fresh, message: 'a new breaker per call: create it once, at module scope' }] : []), ...RequestPaths.evidence(requestPath)],
        fixes: fresh ? [] : breakerFix(context, outbound),
      });
    }
  },
};

export default rule;

/**
 * Calls to the service itself or a sidecar on localhost are not remote dependencies: a loopback URL or host
 * written at the call (`fetch('http://127.0.0.1:9464/…')`, `http.request({ host: '127.0.0.1' })`), or where
 * its client was made (`new Client('http://[::1]:15000')`, `axios.create({ baseURL: 'http://localhost:8500' })`).
 */
function isLocalTarget(outbound: OutboundCall): boolean {
  const [target] = outbound.call.getArguments();
  if (target && isLocalAddress(target)) return true;
  const creation = outbound.receiver && creationOf(outbound.receiver);
  if (!creation || !(Node.isCallExpression(creation) || Node.isNewExpression(creation))) return false;
  const [base] = creation.getArguments();
  return Boolean(base && isLocalAddress(base));
}

const LOOPBACK_URL = /^['"`]https?:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/'"`]/;
const LOOPBACK_HOST = /^['"`](localhost|127\.0\.0\.1|::1|\[::1\])['"`]$/;
const URL_OPTIONS = new Set(['url', 'baseURL', 'prefixUrl', 'origin']);
const HOST_OPTIONS = new Set(['host', 'hostname']);

/** A loopback URL literal, or an options object naming a loopback URL or host. */
function isLocalAddress(node: Node): boolean {
  if (LOOPBACK_URL.test(node.getText())) return true;
  if (!Node.isObjectLiteralExpression(node)) return false;
  return node.getProperties().some((property) => {
    if (!Node.isPropertyAssignment(property)) return false;
    const value = property.getInitializer()?.getText() ?? '';
    const name = property.getName().replace(/^['"]|['"]$/g, '');
    return (URL_OPTIONS.has(name) && LOOPBACK_URL.test(value)) || (HOST_OPTIONS.has(name) && LOOPBACK_HOST.test(value));
  });
}

/** Inside an opossum breaker, a cockatiel circuit-breaker policy, or a user-declared breaker wrapper. */
function isGuarded(context: RuleContext, call: CallExpression): boolean {
  return isInsideWrapper(call, context.config.breakerWrappers, context.config.dir, (outer) => (isOpossumBreaker(outer) && !isBuiltPerCall(outer)) || isCockatielExecute(outer, 'circuitBreaker') || isBreakerHelper(outer));
}

/** The opossum breaker whose action holds the call, when that breaker is built anew by each call. */
function breakerBuiltPerCallAround(call: Node): Node | undefined {
  for (let node = call.getParent(); node; node = node.getParent()) if (isOpossumBreaker(node)) return isBuiltPerCall(node) ? node : undefined;
  return undefined;
}

/**
 * `const breaker = new CircuitBreaker(action)` inside a function, or `new CircuitBreaker(action).fire()`:
 * each call gets a breaker of its own. One kept in a module variable, a field or a cache, or returned by
 * a factory, is not judged here.
 */
function isBuiltPerCall(breaker: Node): boolean {
  const fn = enclosingFunction(breaker);
  if (!fn || Node.isConstructorDeclaration(fn)) return false;
  let node = breaker;
  let parent = node.getParent();
  while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent))) {
    node = parent;
    parent = parent.getParent();
  }
  if (parent && Node.isPropertyAccessExpression(parent) && parent.getExpression() === node) return parent.getName() === 'fire';
  if (!parent || !Node.isVariableDeclaration(parent) || enclosingFunction(parent) !== fn) return false;
  // Only used where it is made (`breaker.fire()`, `breaker.fallback()`): not cached, returned or handed on.
  const name = parent.getName();
  return fn
    .getDescendantsOfKind(SyntaxKind.Identifier)
    .filter((identifier) => identifier.getText() === name && identifier !== parent.getNameNode())
    .every((identifier) => {
      const use = identifier.getParent();
      return Boolean(use && Node.isPropertyAccessExpression(use) && use.getExpression() === identifier);
    });
}

/** A project function that fires an opossum breaker with what it is given (`viaPartnerBreaker(() => …)`). */
function isBreakerHelper(outer: Node): boolean {
  if (!Node.isCallExpression(outer) || outer.getArguments().length === 0) return false;
  return resolveCallees(outer).some((fn) => {
    const body = fn.getBody();
    if (!body || !/\.fire\(/.test(body.getText())) return false;
    return fn.getSourceFile().getImportDeclarations().some((declaration) => moduleSpecifierOf(declaration) === 'opossum');
  });
}

/**
 * Wrap the call in a module-level opossum breaker through a typed helper, so the call keeps its type:
 *   const partnerBreaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), { … });
 *   function viaPartnerBreaker<T>(call: () => Promise<T>): Promise<T> { return partnerBreaker.fire(call) as Promise<T>; }
 *   await viaPartnerBreaker(() => axios.post(url, event));
 */
function breakerFix(context: RuleContext, outbound: OutboundCall): Fix[] {
  const { call } = outbound;
  if (resultMethodIsUsed(call)) return [];
  if (!enclosingFunction(call)) return [];
  // http(s).request and .get answer through a callback and return a ClientRequest, not a promise to wrap.
  if (outbound.client === 'node-http') return [];
  const sourceFile = context.sourceFile;
  const file = context.filePath;
  const edits: TextEdit[] = [];
  const { name: ctor, importText } = opossumImport(sourceFile);
  const base = breakerBaseName(call);
  const breaker = freshName(sourceFile, `${base}Breaker`);
  const helper = freshName(sourceFile, `via${base[0].toUpperCase()}${base.slice(1)}Breaker`);
  const ms = context.config.defaultTimeoutMs;
  const unit = indentUnit(sourceFile);
  const { anchor, beforeCode } = insertionPoint(sourceFile);
  const block =
      importText +
      `\n\n/** Fails fast while the dependency is failing, and lets one call through after resetTimeout to probe it. */\n` +
      `const ${breaker} = new ${ctor}((call: () => Promise<unknown>) => call(), {\n` +
      `${unit}timeout: ${ms},\n${unit}errorThresholdPercentage: 50,\n${unit}resetTimeout: 30_000,\n});\n` +
      `// While the circuit is open: serve a cached or default value here instead, if callers can use one.\n` +
      `${breaker}.fallback(() => {\n${unit}throw new Error('${base}: dependency unavailable (circuit open)');\n});\n\n` +
      `function ${helper}<T>(call: () => Promise<T>): Promise<T> {\n${unit}return ${breaker}.fire(call) as Promise<T>;\n}`;
  // Before the first statement of a file with no imports: no blank line before, one after.
  edits.push({ file, start: anchor, end: anchor, newText: beforeCode ? `${block.replace(/^\n+/, '')}\n\n` : block });
  edits.push({ file, start: call.getStart(), end: call.getEnd(), newText: `${helper}(() => ${call.getText()})` });
  return [{ title: `Wrap the call in an opossum circuit breaker (${breaker})`, kind: 'suggestion', edits }];
}

/** Named after the host when the URL is a literal (`partners.example.com` → `partners`), else the function. */
function breakerBaseName(call: CallExpression): string {
  const [target] = call.getArguments();
  const host = target && /^['"`]https?:\/\/([a-z0-9-]+)/i.exec(target.getText())?.[1];
  if (host && !/^(www|api)$/i.test(host)) return camel(host);
  const fn = enclosingFunction(call);
  const parent = fn?.getParent();
  const name = fn && (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) ? fn.getName() : parent && Node.isVariableDeclaration(parent) ? parent.getName() : undefined;
  return name ? camel(name) : 'remote';
}

function camel(text: string): string {
  const parts = text.split(/[^a-zA-Z0-9]+/).filter(Boolean);
  const joined = parts.map((part, i) => (i === 0 ? part[0].toLowerCase() + part.slice(1) : part[0].toUpperCase() + part.slice(1))).join('');
  return /^[a-z]/.test(joined) ? joined : `remote${joined}`;
}

/**
 * After the last import. Without imports: after a `'use server'`-style directive prologue, or else before
 * the first statement (below a header comment, above the statement's own doc comment).
 */
function insertionPoint(sourceFile: SourceFile): { anchor: number; beforeCode: boolean } {
  const imports = sourceFile.getImportDeclarations();
  if (imports.length) return { anchor: imports[imports.length - 1].getEnd(), beforeCode: false };
  const statements = sourceFile.getStatements();
  let directives = 0;
  const isDirective = (statement: Node): boolean => Node.isExpressionStatement(statement) && Node.isStringLiteral(statement.getExpression());
  while (directives < statements.length && isDirective(statements[directives])) directives++;
  if (directives > 0) return { anchor: statements[directives - 1].getEnd(), beforeCode: false };
  if (statements.length === 0) return { anchor: 0, beforeCode: true };
  // Above the first statement's own doc comment (JSDoc is not parsed into the tree here: read the trivia).
  const doc = statements[0].getLeadingCommentRanges().filter((range) => range.getText().startsWith('/**')).pop();
  return { anchor: doc ? doc.getPos() : statements[0].getStart(), beforeCode: true };
}

/** The local name of opossum's default export, and the import to add when the file has none. */
function opossumImport(sourceFile: SourceFile): { name: string; importText: string } {
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== 'opossum') continue;
    const name = declaration.getDefaultImport()?.getText();
    if (name) return { name, importText: '' };
  }
  const name = freshName(sourceFile, 'CircuitBreaker');
  const quote = quoteOf(sourceFile);
  return { name, importText: `\nimport ${name} from ${quote}opossum${quote};` };
}
