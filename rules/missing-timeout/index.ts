// missing-timeout: outbound calls and clients that can wait on a dependency for as long as it likes.
// A hung dependency then holds the caller's socket, request and memory; under load those pile up until
// the process runs out of sockets, memory or patience, and the outage spreads upstream.
import { CallExpression, NewExpression, Node, ObjectLiteralExpression, SyntaxKind, ts } from 'ts-morph';
import { importedBinding } from '../../server/src/engine/io-resolver';
import { identifiersNamed, isProjectTree } from '../../server/src/engine/project-index';
import { constInitializerOf } from '../../server/src/engine/provenance';
import { RequestPaths } from '../../server/src/engine/request-path';
import { fileNodesIn, indentOf, RawKind, wrapCompilerNode } from '../../server/src/engine/rule-kit';
import type { Fix, Rule, RuleContext } from '../../server/src/engine/types';
import {
  breakerTimesOut,
  creationOf,
  declaredNameOf,
  isCockatielExecute,
  isInsideWrapper,
  isOpossumBreaker,
  isUrlLike,
  outboundCall,
  referencesOf,
  setsAnyOf,
  setsDefaultTimeout,
  type OutboundCall,
} from './outbound';

export const meta = {
  id: 'missing-timeout',
  description: 'An outbound call or client without a timeout lets one slow dependency hold sockets, requests and memory until the service falls over.',
  defaultSeverity: 'warning',
  fixKind: 'fix',
} as const satisfies Rule['meta'];

const WHY: Record<OutboundCall['client'], string> = {
  fetch: "Node's fetch waits up to 300 s for response headers and 300 s between body chunks (undici's defaults), with no limit on the whole request",
  axios: 'axios has no timeout by default (timeout: 0), so it waits forever',
  got: 'got has no timeout by default, so it waits forever',
  undici: 'undici waits up to 300 s for headers and 300 s between body chunks by default',
  'node-http': 'http.request() has no timeout by default, so it waits forever',
};

const rule: Rule = {
  meta,
  mayApply: (text) => /fetch|axios|got|undici|request|\bget\(|Pool|Client|Redis/.test(text),
  check(context) {
    for (const call of fileNodesIn<CallExpression>(context.sourceFile, (raw) => raw.kind === RawKind.CallExpression)) {
      const io = context.io.classify(call);
      if (!io || io.kind !== 'http') continue;
      const outbound = outboundCall(call, io);
      if (outbound) checkOutbound(context, outbound);
    }
    for (const created of fileNodesIn<NewExpression>(context.sourceFile, (raw) => raw.kind === RawKind.NewExpression)) checkClient(context, created);
  },
};

export default rule;

// ---------------------------------------------------------------------------------------------------
// Outbound HTTP calls

function checkOutbound(context: RuleContext, outbound: OutboundCall): void {
  const { call, client } = outbound;
  const args = call.getArguments();
  if (args.length === 0) return;
  // fetch(new Request(url, { signal })) or fetch(request) built elsewhere.
  if (client === 'fetch' && !isUrlLike(args[0])) {
    const first = args[0];
    if (!(Node.isNewExpression(first) && first.getExpression().getText() === 'Request' && setsAnyOf(first.getArguments()[1], outbound.timeoutKeys) === 'no')) return;
  }
  const options = outbound.optionsIndex === undefined ? undefined : args[outbound.optionsIndex];
  const presence = setsAnyOf(options, outbound.timeoutKeys);
  let callers: CallExpression[] = [];
  let passedThrough: Node | undefined;
  if (presence === 'unknown') {
    // `api(path, init)` passing its caller's options through, as they are or spread into its own
    // (`{ ...init, method: 'POST' }`): the callers decide, so ask them.
    passedThrough = passedThroughOptions(options, outbound.timeoutKeys);
    callers = callersWithoutTimeout(passedThrough, outbound.timeoutKeys);
    if (callers.length === 0) return;
  } else if (presence !== 'no') {
    return;
  }
  if (receiverHasTimeout(outbound) !== 'no') return;
  if (dispatcherHasTimeout(outbound, options)) return;
  if (isGuarded(context, call)) return;
  if (client === 'node-http' && handlesSocketTimeout(call)) return;

  const ms = context.config.defaultTimeoutMs;
  const requestPath = context.requestPaths.requestPathOf(call);
  const where = requestPath
    ? ` It runs per ${requestPath.entry.perJob ? 'job' : 'request'} (${RequestPaths.describe(requestPath)}), so every stuck call keeps a ${requestPath.entry.perJob ? 'worker slot' : 'client request'} waiting with it.`
    : '';
  const remedy = client === 'axios' ? `Set timeout (per call, or once on axios.create).` : client === 'got' ? `Set timeout: { request: ms }.` : `Pass signal: AbortSignal.timeout(ms).`;
  const through = callers.length
    ? ` Its options come from the caller, and ${callers.length === 1 ? 'a call' : `${callers.length} calls`} (${callers.map((caller) => `${caller.getSourceFile().getBaseName()}:${caller.getStartLineNumber()}`).join(', ')}) ${callers.length === 1 ? 'passes' : 'pass'} none that bound it.`
    : '';
  context.report({
    node: call,
    message:
      `${outbound.display} has no timeout: ${WHY[client]}.${through} A slow or hung dependency keeps the socket, this call and everything waiting on it open; ` +
      `under load they pile up until the service runs out of sockets or memory, and the outage spreads to its callers.${where} ${remedy}`,
    related: [...callers.map((caller) => ({ node: caller, message: 'called here without a timeout' })), ...(requestPath ? RequestPaths.evidence(requestPath) : [])],
    fixes: callers.length ? defaultTimeoutFix(context, outbound, options!, passedThrough!, ms) : timeoutFix(context, outbound, ms),
  });
}

/**
 * undici's timeouts set on the dispatcher a fetch or request goes through: `{ dispatcher: agent }` with
 * `new Agent({ headersTimeout, bodyTimeout })`, or such an agent made global with setGlobalDispatcher(),
 * which Node's own fetch uses too.
 */
function dispatcherHasTimeout(outbound: OutboundCall, options: Node | undefined): boolean {
  if (outbound.io.library !== 'fetch' && outbound.io.library !== 'undici') return false;
  const dispatcher = optionValue(options, 'dispatcher', 0);
  if (dispatcher) return agentSetsTimeout(creationOf(dispatcher));
  return globalDispatcherSetsTimeout(outbound.call);
}

function optionValue(options: Node | undefined, key: string, depth: number): Node | undefined {
  if (!options || depth > 4) return undefined;
  if (Node.isIdentifier(options)) return optionValue(constInitializerOf(options), key, depth + 1);
  if (!Node.isObjectLiteralExpression(options)) return undefined;
  const property = options.getProperty(key);
  if (property && Node.isPropertyAssignment(property)) return property.getInitializer();
  if (property && Node.isShorthandPropertyAssignment(property)) return property.getNameNode();
  return undefined;
}

const UNDICI_DISPATCHERS = new Set(['Agent', 'Pool', 'Client', 'ProxyAgent', 'EnvHttpProxyAgent', 'BalancedPool']);

function agentSetsTimeout(creation: Node | undefined): boolean {
  if (!creation || !Node.isNewExpression(creation)) return false;
  const binding = importedBinding(creation.getExpression());
  if (binding?.module !== 'undici' || !UNDICI_DISPATCHERS.has(binding.exportName)) return false;
  const args = creation.getArguments();
  return setsAnyOf(args[args.length - 1], ['headersTimeout', 'bodyTimeout']) === 'yes';
}

/** Per program: whether a project file installs a global undici dispatcher with timeouts. */
const globalDispatchers = new WeakMap<ts.Program, boolean>();

function globalDispatcherSetsTimeout(anyNode: Node): boolean {
  const program = anyNode.getProject().getProgram().compilerObject;
  let found = globalDispatchers.get(program);
  if (found === undefined) {
    found = false;
    // A text search, not the project's identifier index: most projects never name it, and building the
    // index for one name costs a walk of every file.
    for (const tree of program.getSourceFiles()) {
      if (!isProjectTree(tree) || !tree.text.includes('setGlobalDispatcher')) continue;
      for (const identifier of identifiersNamed(program, tree, 'setGlobalDispatcher')) {
        const call = identifier.parent;
        if (!call || !ts.isCallExpression(call) || call.expression !== identifier || call.arguments.length === 0) continue;
        const file = anyNode.getProject().getSourceFile(tree.fileName);
        if (!file) continue;
        const wrapped = wrapCompilerNode(file, call) as CallExpression;
        if (importedBinding(wrapped.getExpression())?.module === 'undici' && agentSetsTimeout(creationOf(wrapped.getArguments()[0]))) found = true;
      }
    }
    globalDispatchers.set(program, found);
  }
  return found;
}

/** Timeouts set where the client was made: `axios.create({ timeout })`, `got.extend({ timeout })`, `new Pool(url, { headersTimeout })`. */
function receiverHasTimeout(outbound: OutboundCall): 'yes' | 'no' | 'unknown' {
  const { receiver, client } = outbound;
  if (!receiver || client === 'fetch' || client === 'node-http') return 'no';
  const binding = importedBinding(receiver);
  if (binding && (binding.module === 'axios' || binding.module === 'got') && binding.exportName === 'default') {
    // The library's own default instance: only `axios.defaults.timeout = …` changes it.
    return client === 'axios' && setsDefaultTimeout(receiver, receiver.getText()) ? 'yes' : 'no';
  }
  if (binding && !binding.file) return 'unknown';
  const creation = creationOf(receiver);
  if (!creation) return 'unknown';
  const declared = declaredNameOf(receiver);
  if (client === 'axios' && declared && setsDefaultTimeout(receiver, declared.name, declared.file)) return 'yes';
  if (Node.isCallExpression(creation)) {
    const callee = creation.getExpression();
    const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : '';
    if (client === 'axios' && name === 'create') {
      const found = setsAnyOf(creation.getArguments()[0], ['timeout', 'signal']);
      if (found !== 'no') return found;
      // Instances start from axios.defaults.
      return setsDefaultTimeout(receiver, Node.isPropertyAccessExpression(callee) ? callee.getExpression().getText() : 'axios') ? 'yes' : 'no';
    }
    if (client === 'got' && name === 'extend') {
      const results = creation.getArguments().map((arg) => setsAnyOf(arg, ['timeout', 'signal']));
      return results.includes('yes') ? 'yes' : results.includes('unknown') ? 'unknown' : 'no';
    }
    return 'unknown';
  }
  if (Node.isNewExpression(creation) && client === 'undici') {
    const results = (creation.getArguments() as Node[]).filter((arg) => !isUrlLike(arg)).map((arg) => setsAnyOf(arg, ['headersTimeout', 'bodyTimeout']));
    return results.includes('yes') ? 'yes' : results.includes('unknown') ? 'unknown' : 'no';
  }
  return 'unknown';
}

/** Inside a declared timeout wrapper, `Promise.race`, p-timeout, an opossum breaker (it times out) or a cockatiel timeout policy. */
function isGuarded(context: RuleContext, call: CallExpression): boolean {
  const wrappers = [...context.config.timeoutWrappers, { module: 'p-timeout', export: 'default' }, { module: 'promise-timeout', export: 'timeout' }];
  return isInsideWrapper(call, wrappers, context.config.dir, (outer) => {
    if (Node.isCallExpression(outer) && /^Promise\.race$/.test(outer.getExpression().getText())) return true;
    if (isOpossumBreaker(outer)) return breakerTimesOut(outer);
    return isCockatielExecute(outer, 'timeout');
  });
}

/** `req.setTimeout(ms, …)` or `req.on('timeout', …)` in the same function turns a socket timeout into an abort. */
function handlesSocketTimeout(call: CallExpression): boolean {
  const fn = call.getFirstAncestor((node) => Node.isFunctionDeclaration(node) || Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isMethodDeclaration(node));
  const text = (fn ?? call.getSourceFile()).getText();
  return /\.setTimeout\s*\(|\.on\(\s*['"]timeout['"]/.test(text);
}

function timeoutFix(context: RuleContext, outbound: OutboundCall, ms: number): Fix[] {
  const { call, client } = outbound;
  const property = client === 'axios' ? `timeout: ${ms}` : client === 'got' ? `timeout: { request: ${ms} }` : `signal: AbortSignal.timeout(${ms})`;
  const title = client === 'axios' || client === 'got' ? `Add a ${ms} ms timeout` : `Abort after ${ms} ms with AbortSignal.timeout`;
  // Aborting a node http request emits 'error' on it; without a listener that crashes the process.
  const kind: Fix['kind'] = client === 'node-http' ? 'suggestion' : 'fix';
  const args = call.getArguments();
  const file = context.filePath;
  if (outbound.optionsIndex === undefined) {
    // http.get(url, callback): options go between the target and the callback.
    return [{ title, kind, edits: [{ file, start: args[0].getEnd(), end: args[0].getEnd(), newText: `, { ${property} }` }] }];
  }
  const options = args[outbound.optionsIndex];
  if (!options) {
    const last = args[args.length - 1];
    const padding = Array.from({ length: outbound.optionsIndex - args.length }, () => 'undefined, ').join('');
    return [{ title, kind, edits: [{ file, start: last.getEnd(), end: last.getEnd(), newText: `, ${padding}{ ${property} }` }] }];
  }
  if (Node.isObjectLiteralExpression(options)) {
    // `timeout: 0` is a deliberate "never": overriding it is the reader's call.
    const explicit = options.getProperties().some((candidate) => Node.isPropertyAssignment(candidate) && outbound.timeoutKeys.includes(candidate.getName()) && candidate.getInitializer()?.getText() === '0');
    return [{ title, kind: explicit ? 'suggestion' : kind, edits: [insertProperty(file, options, property)] }];
  }
  // Options built elsewhere: spread them, so the shared object stays as it is (needs a look: it may be reused).
  return [{ title, kind: 'suggestion', edits: [{ file, start: options.getStart(), end: options.getEnd(), newText: `{ ...${options.getText()}, ${property} }` }] }];
}

/**
 * When the options are a parameter of the enclosing function, the calls of that function (across files)
 * that pass nothing, or options without a timeout. Empty when any answer is unknown.
 */
function callersWithoutTimeout(options: Node | undefined, keys: readonly string[]): CallExpression[] {
  if (!options || !Node.isIdentifier(options)) return [];
  const parameter = options.getSymbol()?.getDeclarations()[0];
  if (!parameter || !Node.isParameterDeclaration(parameter)) return [];
  const fn = parameter.getParent();
  if (!fn || !(Node.isFunctionDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn) || Node.isMethodDeclaration(fn))) return [];
  const index = fn.getParameters().indexOf(parameter);
  const owner = fn.getParent();
  const nameNode = Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn) ? fn.getNameNode() : owner && Node.isVariableDeclaration(owner) ? owner.getNameNode() : undefined;
  if (!nameNode || !Node.isIdentifier(nameNode)) return [];
  const missing: CallExpression[] = [];
  let calls = 0;
  for (const reference of referencesOf(nameNode, true)) {
    const parent = reference.getParent();
    const callee = parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === reference ? parent : reference;
    const call = callee.getParent();
    if (!call || !Node.isCallExpression(call) || call.getExpression() !== callee) continue;
    calls++;
    const found = setsAnyOf(call.getArguments()[index], keys);
    if (found === 'unknown') return [];
    if (found === 'no') missing.push(call);
  }
  return calls > 0 ? missing : [];
}

/**
 * The caller's options when the call passes them through: `init` itself, or an object literal whose only
 * part that may carry a timeout is one spread of it (`{ ...init, method: 'POST' }`).
 */
function passedThroughOptions(options: Node | undefined, keys: readonly string[]): Node | undefined {
  if (!options || Node.isIdentifier(options)) return options;
  if (!Node.isObjectLiteralExpression(options)) return undefined;
  const spreads = options.getProperties().filter(Node.isSpreadAssignment);
  if (spreads.length !== 1 || !Node.isIdentifier(spreads[0].getExpression())) return undefined;
  // `{ ...init, signal: undefined }` would override the caller's: not a pass-through.
  const ownKey = options.getProperties().some((property) => (Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)) && keys.includes(property.getName()));
  return ownKey ? undefined : spreads[0].getExpression();
}

/** Keep the caller's own deadline when it passes one: `{ ...init, signal: init?.signal ?? AbortSignal.timeout(ms) }`. */
function defaultTimeoutFix(context: RuleContext, outbound: OutboundCall, options: Node, passedThrough: Node, ms: number): Fix[] {
  const name = passedThrough.getText();
  const value = outbound.client === 'axios' ? `timeout: ${name}?.timeout ?? ${ms}` : outbound.client === 'got' ? '' : `signal: ${name}?.signal ?? AbortSignal.timeout(${ms})`;
  if (!value) return [];
  const title = `Default to a ${ms} ms timeout when the caller passes none`;
  if (Node.isObjectLiteralExpression(options)) {
    // Last, so that the spread cannot put an undefined signal back over it.
    const properties = options.getProperties();
    const last = properties[properties.length - 1];
    return [{ title, kind: 'suggestion', edits: [{ file: context.filePath, start: last.getEnd(), end: last.getEnd(), newText: `, ${value}` }] }];
  }
  return [{ title, kind: 'suggestion', edits: [{ file: context.filePath, start: options.getStart(), end: options.getEnd(), newText: `{ ...${name}, ${value} }` }] }];
}

function insertProperty(file: string, object: ObjectLiteralExpression, property: string) {
  const properties = object.getProperties();
  // `{ timeout: undefined }` or `{ timeout: 0 }`: replaced, since a second key of the same name would be
  // a type error, and the later one would win.
  const key = property.slice(0, property.indexOf(':'));
  const existing = properties.find((candidate) => Node.isPropertyAssignment(candidate) && candidate.getName() === key);
  if (existing) return { file, start: existing.getStart(), end: existing.getEnd(), newText: property };
  if (properties.length === 0) return { file, start: object.getStart(), end: object.getEnd(), newText: `{ ${property} }` };
  const first = properties[0];
  const multiline = object.getText().includes('\n');
  return { file, start: first.getStart(), end: first.getStart(), newText: multiline ? `${property},\n${indentOf(first)}` : `${property}, ` };
}

// ---------------------------------------------------------------------------------------------------
// Database and cache clients

const REDIS_BLOCKING = /\.(subscribe|psubscribe|ssubscribe|blpop|brpop|blmove|brpoplpush|bzpopmin|bzpopmax|blmpop|bzmpop|xread|xreadgroup|monitor)\s*\(/;

function checkClient(context: RuleContext, created: NewExpression): void {
  const expression = created.getExpression();
  const binding = importedBinding(expression);
  if (!binding) return;
  if (binding.module === 'pg' && (binding.exportName === 'Pool' || binding.exportName === 'Client')) checkPg(context, created, binding.exportName);
  else if (binding.module === 'ioredis' && (binding.exportName === 'default' || binding.exportName === 'Redis')) checkIoredis(context, created);
}

function checkPg(context: RuleContext, created: NewExpression, kind: string): void {
  const [argument] = created.getArguments();
  // A config held in a const (`const dbConfig: PoolConfig = { … }`, also imported) is read where it is written.
  let config: Node | undefined = argument && Node.isIdentifier(argument) ? constInitializerOf(argument) : argument;
  while (config && (Node.isAsExpression(config) || Node.isSatisfiesExpression(config) || Node.isParenthesizedExpression(config))) config = config.getExpression();
  // No config: pg reads PG* environment variables, which we cannot see.
  if (!config || !Node.isObjectLiteralExpression(config)) return;
  if (setsAnyOf(config, ['connectionTimeoutMillis']) !== 'no') return;
  const connectionString = config.getProperty('connectionString');
  if (connectionString && /connect_timeout=/.test(connectionString.getText())) return;
  const statement = setsAnyOf(config, ['statement_timeout', 'query_timeout']) === 'no';
  const ms = context.config.defaultTimeoutMs;
  context.report({
    node: created,
    message:
      `This pg ${kind} has no connectionTimeoutMillis: ${kind === 'Pool' ? 'checking out a connection' : 'connecting'} waits forever when the database is ` +
      `unreachable${kind === 'Pool' ? ' or every connection is busy' : ''}, so requests queue up behind it instead of failing fast` +
      `${statement ? ', and without statement_timeout or query_timeout one slow query holds its connection for as long as it runs' : ''}. ` +
      `Set connectionTimeoutMillis${statement ? ' and statement_timeout' : ''}.`,
    fixes: [{ title: `Add connectionTimeoutMillis: ${ms}`, kind: 'suggestion', edits: [insertProperty(config.getSourceFile().getFilePath(), config, `connectionTimeoutMillis: ${ms}`)] }],
  });
}

function checkIoredis(context: RuleContext, created: NewExpression): void {
  const args = created.getArguments() as Node[];
  // `new Redis()`: a localhost default, the shape of tests and scripts rather than a deployed client.
  if (args.length === 0) return;
  const options = args.find((arg) => Node.isObjectLiteralExpression(arg));
  if (options && setsAnyOf(options, ['commandTimeout']) !== 'no') return;
  if (args.some((arg) => !isUrlLike(arg) && !Node.isObjectLiteralExpression(arg) && !Node.isNumericLiteral(arg))) return; // options built elsewhere
  if (isDedicatedConnection(created, options)) return;
  const ms = context.config.defaultTimeoutMs;
  const last = args[args.length - 1];
  const fix: Fix = options && Node.isObjectLiteralExpression(options)
    ? { title: `Add commandTimeout: ${ms}`, kind: 'suggestion', edits: [insertProperty(context.filePath, options, `commandTimeout: ${ms}`)] }
    : { title: `Add commandTimeout: ${ms}`, kind: 'suggestion', edits: [{ file: context.filePath, start: last.getEnd(), end: last.getEnd(), newText: `, { commandTimeout: ${ms} }` }] };
  context.report({
    node: created,
    message:
      'This ioredis client has no commandTimeout: when Redis is slow or a failover stalls, every command waits (and queues while reconnecting) instead of failing, ' +
      'so each request that touches the cache hangs with it and a cache meant to save milliseconds takes the service down. Set commandTimeout (milliseconds).',
    fixes: [fix],
  });
}

/** Blocking, subscriber and queue connections must not time out their commands. */
function isDedicatedConnection(created: NewExpression, options: Node | undefined): boolean {
  if (options && Node.isObjectLiteralExpression(options)) {
    const retries = options.getProperty('maxRetriesPerRequest');
    if (retries && Node.isPropertyAssignment(retries) && retries.getInitializer()?.getText() === 'null') return true; // BullMQ's requirement
  }
  let parent = created.getParent();
  while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent))) parent = parent.getParent();
  if (parent && Node.isPropertyAssignment(parent) && ['connection', 'createClient', 'subscriber', 'bclient'].includes(parent.getName())) return true;
  if (parent && Node.isReturnStatement(parent)) {
    const factory = parent.getFirstAncestor((node) => Node.isPropertyAssignment(node) || Node.isMethodDeclaration(node));
    if (factory && (factory as Node & { getName?(): string }).getName?.() === 'createClient') return true;
  }
  if (parent && Node.isVariableDeclaration(parent)) {
    const name = parent.getName();
    if (/sub(scriber)?\b|subscriber|^sub|bclient|blocking|listener|queue|bull|worker/i.test(name)) return true;
    const nameNode = parent.getNameNode();
    if (Node.isIdentifier(nameNode)) {
      for (const reference of referencesOf(nameNode, true).slice(0, 100)) {
        const use = reference.getParent();
        if (use && Node.isPropertyAccessExpression(use) && REDIS_BLOCKING.test(`.${use.getName()}(`)) return true;
        if (use && (Node.isPropertyAssignment(use) || Node.isShorthandPropertyAssignment(use)) && use.getName() === 'connection') return true;
      }
    }
  }
  return false;
}
