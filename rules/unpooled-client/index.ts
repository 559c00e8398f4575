// unpooled-client: a database or cache client created per call instead of once per process, and a pooled
// connection checked out without being given back on every path. Both exhaust the server's connection
// limit under load, long before CPU or memory run out.
import { CallExpression, Identifier, NewExpression, Node, SourceFile, SyntaxKind, VariableDeclaration } from 'ts-morph';
import { importedBinding } from '../../server/src/engine/io-resolver';
import { moduleSpecifierOf, originOf } from '../../server/src/engine/provenance';
import { RequestPaths, type RequestPath } from '../../server/src/engine/request-path';
import { fileNodesIn, freshName, indentOf, indentUnit, RawKind } from '../../server/src/engine/rule-kit';
import { enclosingFunction, type FunctionLike } from '../../server/src/engine/summaries';
import type { Fix, Rule, RuleContext, TextEdit } from '../../server/src/engine/types';

export const meta = {
  id: 'unpooled-client',
  description: 'A database or cache client created per request or per call, or a pooled connection not released on every path, exhausts connection limits under load.',
  defaultSeverity: 'warning',
  fixKind: 'suggestion',
} as const satisfies Rule['meta'];

interface ClientKind {
  library: string;
  /** What the message calls it: `new pg.Client()`. */
  display: string;
  /** The cost of one, for the message. */
  cost: string;
  /** The server-side limit a client per request runs into, for the message. */
  limit: string;
}

const PG_LIMIT = 'PostgreSQL max_connections is 100 by default, and every service sharing the database gets "too many clients"';
const MYSQL_LIMIT = 'MySQL max_connections is 151 by default, then "Too many connections" for every service sharing the database';
const REDIS_LIMIT = 'Redis maxclients is 10,000 by default and far lower on managed plans, and every connection holds server memory';
const MONGO_LIMIT = 'each client keeps its own pool and monitoring connections per server, and managed clusters cap the total per tier';
const SQL_LIMIT = 'max_connections is 100 on PostgreSQL and 151 on MySQL by default, shared by every service on the database';

const MONGO_COST = 'its own connection pool (maxPoolSize 100) plus a monitoring connection per server';
/** `await MongoClient.connect(url)`: the static shorthand for `new MongoClient(url).connect()`. */
const MONGO_CONNECT: ClientKind = { library: 'mongodb', display: 'MongoClient.connect()', cost: MONGO_COST, limit: MONGO_LIMIT };
const PG_COST = 'a TCP (often TLS) handshake, authentication and a new PostgreSQL backend process: 20–50 ms and several MB of server memory each';
const CLIENTS: { modules: string[]; exports: string[]; construct: 'new' | 'call'; kind: ClientKind }[] = [
  { modules: ['pg'], exports: ['Client'], construct: 'new', kind: { library: 'pg', display: 'new Client()', cost: PG_COST, limit: PG_LIMIT } },
  { modules: ['pg'], exports: ['Pool'], construct: 'new', kind: { library: 'pg', display: 'new Pool()', cost: `a whole pool of connections, each ${PG_COST}`, limit: PG_LIMIT } },
  { modules: ['mysql2', 'mysql'], exports: ['createConnection'], construct: 'call', kind: { library: 'mysql2', display: 'mysql.createConnection()', cost: 'a TCP handshake and MySQL authentication, and a server thread per connection', limit: MYSQL_LIMIT } },
  { modules: ['mysql2', 'mysql'], exports: ['createPool'], construct: 'call', kind: { library: 'mysql2', display: 'mysql.createPool()', cost: 'a whole pool of connections (connectionLimit 10 by default), each a handshake and a server thread', limit: MYSQL_LIMIT } },
  { modules: ['ioredis'], exports: ['default', 'Redis'], construct: 'new', kind: { library: 'ioredis', display: 'new Redis()', cost: 'a TCP handshake, AUTH and SELECT, and a connection slot Redis holds until it is closed', limit: REDIS_LIMIT } },
  { modules: ['ioredis'], exports: ['Cluster'], construct: 'new', kind: { library: 'ioredis', display: 'new Cluster()', cost: 'a connection to every node of the cluster, each a TCP handshake and AUTH, plus the CLUSTER SLOTS discovery', limit: REDIS_LIMIT } },
  { modules: ['redis', '@redis/client'], exports: ['createClient'], construct: 'call', kind: { library: 'node-redis', display: 'createClient()', cost: 'a TCP handshake, HELLO/AUTH, and a connection slot Redis holds until it is closed', limit: REDIS_LIMIT } },
  { modules: ['redis', '@redis/client'], exports: ['createCluster'], construct: 'call', kind: { library: 'node-redis', display: 'createCluster()', cost: 'a connection to every node of the cluster, each a TCP handshake and HELLO/AUTH, plus the slot discovery', limit: REDIS_LIMIT } },
  { modules: ['mongodb'], exports: ['MongoClient'], construct: 'new', kind: { library: 'mongodb', display: 'new MongoClient()', cost: MONGO_COST, limit: MONGO_LIMIT } },
  { modules: ['mongoose'], exports: ['connect'], construct: 'call', kind: { library: 'mongoose', display: 'mongoose.connect()', cost: 'a new connection pool (maxPoolSize 100) and server monitoring', limit: MONGO_LIMIT } },
  { modules: ['mongoose'], exports: ['createConnection'], construct: 'call', kind: { library: 'mongoose', display: 'mongoose.createConnection()', cost: 'a new connection pool (maxPoolSize 100) and server monitoring', limit: MONGO_LIMIT } },
  { modules: ['sequelize', 'sequelize-typescript'], exports: ['Sequelize'], construct: 'new', kind: { library: 'sequelize', display: 'new Sequelize()', cost: 'its own connection pool (max 5 by default)', limit: SQL_LIMIT } },
  { modules: ['knex'], exports: ['default', 'knex'], construct: 'call', kind: { library: 'knex', display: 'knex()', cost: 'its own connection pool (min 2, max 10 by default)', limit: SQL_LIMIT } },
  { modules: ['@prisma/client'], exports: ['PrismaClient'], construct: 'new', kind: { library: 'prisma', display: 'new PrismaClient()', cost: 'a query engine and its own connection pool (num_cpus × 2 + 1 connections)', limit: SQL_LIMIT } },
];

const CLOSE_METHODS = new Set(['end', 'quit', 'disconnect', 'close', '$disconnect', 'destroy']);
const STARTUP_NAME = /^(main|bootstrap|start|run|init|initialize|setup|migrate|seed|cli|boot|connect)/i;

const rule: Rule = {
  meta,
  mayApply: (text) => /Client|Pool|Redis|Cluster|createConnection|createPool|createClient|createCluster|mongoose|Sequelize|knex|\.connect\(|getConnection/.test(text),
  check(context) {
    for (const node of fileNodesIn(context.sourceFile, (raw) => raw.kind === RawKind.NewExpression || raw.kind === RawKind.CallExpression)) {
      if (Node.isNewExpression(node) || Node.isCallExpression(node)) {
        const kind = clientKind(node);
        if (kind) checkConstruction(context, node, kind);
        else if (Node.isCallExpression(node)) checkCheckout(context, node);
      }
    }
  },
};

export default rule;

// ---------------------------------------------------------------------------------------------------
// Clients created per call

function clientKind(node: NewExpression | CallExpression): ClientKind | undefined {
  const callee = node.getExpression();
  if (Node.isCallExpression(node) && Node.isPropertyAccessExpression(callee) && callee.getName() === 'connect') {
    const owner = importedBinding(callee.getExpression());
    if (owner?.module === 'mongodb' && owner.exportName === 'MongoClient') return MONGO_CONNECT;
  }
  const binding = importedBinding(callee) ?? requiredBinding(callee);
  if (!binding) return undefined;
  // Prisma 7 generates the client into the project (`output = "../generated/prisma"`).
  if (binding.exportName === 'PrismaClient' && Node.isNewExpression(node) && (binding.module === '@prisma/client' || /(^|\/)(generated|prisma)(\/|$)/.test(binding.module))) {
    return CLIENTS.find((client) => client.kind.library === 'prisma')!.kind;
  }
  if (binding.file) return undefined;
  for (const client of CLIENTS) {
    if (!client.modules.includes(binding.module) || !client.exports.includes(binding.exportName)) continue;
    if ((client.construct === 'new') !== Node.isNewExpression(node)) continue;
    if (client.kind.library === 'knex') {
      // knex(config) builds an instance; an instance called with a table name is a query.
      const [config] = node.getArguments();
      if (!config || Node.isStringLiteral(config) || Node.isNoSubstitutionTemplateLiteral(config)) return undefined;
    }
    return client.kind;
  }
  return undefined;
}

/** `const { Client } = require('pg')`: the binding a destructured require gives. */
function requiredBinding(callee: Node): { module: string; exportName: string; file?: string } | undefined {
  if (!Node.isIdentifier(callee)) return undefined;
  const declaration = callee.getSymbol()?.getDeclarations()[0];
  if (!declaration || !Node.isBindingElement(declaration)) return undefined;
  const variable = declaration.getParent()?.getParent();
  if (!variable || !Node.isVariableDeclaration(variable)) return undefined;
  const initializer = variable.getInitializer();
  if (!initializer || !Node.isCallExpression(initializer) || initializer.getExpression().getText() !== 'require') return undefined;
  const [specifier] = initializer.getArguments();
  if (!specifier || !Node.isStringLiteral(specifier)) return undefined;
  const module = specifier.getLiteralValue();
  if (module.startsWith('.')) return undefined;
  return { module: module === 'mysql2/promise' ? 'mysql2' : module.replace(/^node:/, ''), exportName: (declaration.getPropertyNameNode() ?? declaration.getNameNode()).getText() };
}

function checkConstruction(context: RuleContext, created: NewExpression | CallExpression, kind: ClientKind): void {
  const fn = enclosingFunction(created);
  if (!fn) return; // module scope: once per process
  if (isSingletonFactory(created)) return;
  const destination = destinationOf(created);
  if (destination.memoized) return;
  if ((kind.library === 'ioredis' || kind.library === 'node-redis') && isDedicatedRedis(created, destination.variable)) return;

  let requestPath = context.requestPaths.requestPathOf(created);
  let factoryCall: CallExpression | undefined;
  if (destination.returned && requestPath) {
    // A factory: per call only if the caller that reaches it does not keep the result.
    const last = requestPath.via[requestPath.via.length - 1];
    if (last && Node.isCallExpression(last)) {
      if (destinationOf(last).memoized) return;
      factoryCall = last;
    }
  }
  const closes = destination.variable ? closeCalls(destination.variable, fn) : [];
  if (!requestPath) {
    // Off the request paths we know of, a function that opens and closes its own client still does so per call,
    // unless it is start-up code.
    if (closes.length === 0 || isStartup(fn)) return;
    requestPath = undefined;
  }
  const perWhat = requestPath ? (requestPath.entry.perJob ? 'job' : 'request') : 'call';
  const where = requestPath ? ` It runs per ${perWhat}: ${RequestPaths.describe(requestPath)}.` : ' The function opens and closes its own client, so every call pays for it.';
  context.report({
    node: created,
    message:
      `${kind.display} inside ${functionLabel(fn)} creates a client per ${perWhat}: ${kind.cost}. Concurrent ${perWhat}s each hold their own ` +
      `connections, so a traffic spike runs into the server's limit (${kind.limit}) while latency grows by the setup cost on every call.${where} ` +
      'Create one pooled client at module scope and reuse it.',
    related: [
      ...(requestPath ? RequestPaths.evidence(requestPath) : []),
      ...(factoryCall ? [{ node: factoryCall, message: 'the client this factory returns is not kept' }] : []),
      ...closes.map((close) => ({ node: close, message: 'closed again at the end of the call' })),
    ],
    fixes: hoistFix(context, created, kind, destination.variable, closes),
  });
}

/** NestJS `useFactory`, a provider factory: Nest calls it once and keeps the instance. */
function isSingletonFactory(created: Node): boolean {
  const fn = enclosingFunction(created);
  const parent = fn?.getParent();
  if (parent && (Node.isPropertyAssignment(parent) || Node.isMethodDeclaration(parent)) && /^(useFactory|factory|provide|onModuleInit|onApplicationBootstrap)$/.test(parent.getName())) return true;
  if (fn && Node.isMethodDeclaration(fn) && /^(useFactory|onModuleInit|onApplicationBootstrap)$/.test(fn.getName())) return true;
  return false;
}

interface Destination {
  memoized: boolean;
  returned: boolean;
  /** The local variable the client is held in. */
  variable?: VariableDeclaration;
}

/** Where the new client goes: a module or instance slot (memoized), a return (a factory), or a local. */
function destinationOf(created: Node): Destination {
  let node: Node = created;
  let parent = node.getParent();
  while (parent && (Node.isAwaitExpression(parent) || Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isNonNullExpression(parent) || Node.isSatisfiesExpression(parent))) {
    node = parent;
    parent = parent.getParent();
  }
  if (!parent) return { memoized: false, returned: false };
  // client ??= new Pool(), cache = new Pool(), this.pool = new Pool(), globalThis.__prisma = new PrismaClient()
  if (Node.isBinaryExpression(parent) && parent.getRight() === node && /^(=|\?\?=|\|\|=)$/.test(parent.getOperatorToken().getText())) {
    if (isOutsideSlot(parent.getLeft(), created)) return { memoized: true, returned: false };
    // `found = new Pool(); tenantPools.set(tenant, found)`: follow the local.
    const left = parent.getLeft();
    const declaration = Node.isIdentifier(left) ? left.getSymbol()?.getDeclarations()[0] : undefined;
    return declaration && Node.isVariableDeclaration(declaration) ? variableDestination(declaration, created) : { memoized: false, returned: false };
  }
  // globalThis.__prisma ?? new PrismaClient(), cached || new Pool()
  if (Node.isBinaryExpression(parent) && parent.getRight() === node && /^(\?\?|\|\|)$/.test(parent.getOperatorToken().getText())) {
    return { memoized: isOutsideSlot(parent.getLeft(), created) || destinationOf(parent).memoized, returned: false };
  }
  // clients.set(tenant, new Pool(...))
  if (Node.isCallExpression(parent) && (parent.getArguments() as Node[]).includes(node)) {
    const callee = parent.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'set' && isOutsideSlot(callee.getExpression(), created)) return { memoized: true, returned: false };
    return { memoized: false, returned: false };
  }
  if (Node.isReturnStatement(parent) || (Node.isArrowFunction(parent) && parent.getBody() === node)) return { memoized: false, returned: true };
  if (Node.isPropertyDeclaration(parent)) return { memoized: true, returned: false };
  if (Node.isVariableDeclaration(parent)) return variableDestination(parent, created);
  return { memoized: false, returned: false };
}

function variableDestination(variable: VariableDeclaration, created: Node): Destination {
  {
    const nameNode = variable.getNameNode();
    if (!Node.isIdentifier(nameNode)) return { memoized: false, returned: false };
    const fn = enclosingFunction(created);
    let returned = false;
    for (const reference of references(nameNode)) {
      if (reference === nameNode) continue;
      const use = reference.getParent();
      if (!use) continue;
      if (Node.isBinaryExpression(use) && use.getRight() === reference && /^(=|\?\?=|\|\|=)$/.test(use.getOperatorToken().getText()) && isOutsideSlot(use.getLeft(), created)) return { memoized: true, returned: false, variable };
      if (Node.isCallExpression(use) && (use.getArguments() as Node[]).includes(reference)) {
        const callee = use.getExpression();
        if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'set' && isOutsideSlot(callee.getExpression(), created)) return { memoized: true, returned: false, variable };
      }
      if ((Node.isReturnStatement(use) || (Node.isArrowFunction(use) && use.getBody() === reference)) && enclosingFunction(reference) === fn) returned = true;
      if (Node.isPropertyAssignment(use) || Node.isShorthandPropertyAssignment(use)) returned = true; // handed out in an object
    }
    return { memoized: false, returned, variable };
  }
}

/** A slot that outlives the call: a module variable, `this.x`, `globalThis.x`, a module-level map. */
function isOutsideSlot(target: Node, created: Node): boolean {
  let root: Node = target;
  while (Node.isPropertyAccessExpression(root) || Node.isElementAccessExpression(root) || Node.isNonNullExpression(root) || Node.isParenthesizedExpression(root)) root = root.getExpression();
  if (root.getKind() === SyntaxKind.ThisKeyword) return true;
  if (!Node.isIdentifier(root)) return false;
  if (/^(globalThis|global|window)$/.test(root.getText())) return true;
  const declaration = root.getSymbol()?.getDeclarations()[0];
  if (!declaration) return false;
  const fn = enclosingFunction(created);
  // Declared outside the function that creates the client.
  let inside = false;
  for (let parent: Node | undefined = declaration.getParent(); parent; parent = parent.getParent()) if (parent === fn) inside = true;
  return !inside;
}

/**
 * Uses of a name in its own file, by symbol. Not the language service's findReferences: that builds a
 * second program for the whole project, seconds on a large one.
 */
function references(identifier: Identifier): Node[] {
  const symbol = identifier.getSymbol();
  const name = identifier.getText();
  if (!symbol) return [identifier];
  return identifier
    .getSourceFile()
    .getDescendantsOfKind(SyntaxKind.Identifier)
    .filter((candidate) => candidate === identifier || (candidate.getText() === name && candidate.getSymbol() === symbol));
}

/**
 * `client.end()`, `redis.quit()`, `prisma.$disconnect()` on the same variable, in the function's own code. A
 * close in a callback (`app.addHook('onClose', …)`, `process.once('SIGTERM', …)`) runs at shutdown, not
 * at the end of the call.
 */
function closeCalls(variable: VariableDeclaration, fn: FunctionLike): CallExpression[] {
  const name = variable.getName();
  return fn.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => {
    const callee = call.getExpression();
    return Node.isPropertyAccessExpression(callee) && CLOSE_METHODS.has(callee.getName()) && callee.getExpression().getText() === name && enclosingFunction(call) === fn;
  });
}

// Any case: ioredis names commands in lower case (`psubscribe`), node-redis in camel case (`pSubscribe`, `xRead`).
const REDIS_DEDICATED = /\.(subscribe|psubscribe|ssubscribe|blpop|brpop|blmove|brpoplpush|bzpopmin|bzpopmax|xread|xreadgroup|monitor)\s*\(/i;

/** A connection kept apart on purpose: a subscriber, a blocking pop, a queue connection. */
function isDedicatedRedis(created: Node, variable: VariableDeclaration | undefined): boolean {
  if (variable && /sub(scriber)?$|^sub|bclient|blocking|listener/i.test(variable.getName())) return true;
  if (variable) {
    const fn = enclosingFunction(created);
    const name = variable.getName();
    if (fn && new RegExp(`\\b${name}${REDIS_DEDICATED.source}`, 'i').test(fn.getText())) return true;
  }
  return false;
}

function isStartup(fn: FunctionLike): boolean {
  const name = functionName(fn);
  if (name && STARTUP_NAME.test(name)) return true;
  // Called from module scope: `main()`, `void seed()`.
  const nameNode = Node.isFunctionDeclaration(fn) ? fn.getNameNode() : fn.getParent() && Node.isVariableDeclaration(fn.getParent()!) ? (fn.getParent() as VariableDeclaration).getNameNode() : undefined;
  if (nameNode && Node.isIdentifier(nameNode)) {
    for (const reference of references(nameNode)) {
      const call = reference.getParent();
      if (call && Node.isCallExpression(call) && call.getExpression() === reference && !enclosingFunction(call)) return true;
    }
  }
  return false;
}

function functionName(fn: FunctionLike): string | undefined {
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  if (parent && (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent))) return parent.getName();
  return undefined;
}

function functionLabel(fn: FunctionLike): string {
  const name = functionName(fn);
  return name ? `${name}()` : 'this function';
}

/**
 * The pg shape: `const client = new Client(cfg); await client.connect(); … await client.end();` becomes a
 * checkout from a module-level Pool (`await pool.connect()` … `client.release()`). Other clients: the
 * construction moves to module scope and the per-call connect/close calls go. Only when the config uses
 * nothing local to the function.
 */
function hoistFix(context: RuleContext, created: NewExpression | CallExpression, kind: ClientKind, variable: VariableDeclaration | undefined, closes: CallExpression[]): Fix[] {
  if (!variable) return [];
  // `await MongoClient.connect(url)`, `await mongoose.connect(url)`: at module scope that would need a
  // top-level await. (mysql2's awaited createConnection becomes createPool, which returns the pool itself.)
  if (kind.library !== 'mysql2' && Node.isAwaitExpression(created.getParentOrThrow())) return [];
  const statement = variable.getVariableStatement();
  if (!statement || statement.getDeclarations().length !== 1) return [];
  if (!usesOnlyModuleScope(created)) return [];
  const sourceFile = context.sourceFile;
  const file = context.filePath;
  const anchor = moduleInsertionPoint(sourceFile, created);
  const name = variable.getName();
  const ms = context.config.defaultTimeoutMs;
  const edits: TextEdit[] = [];
  const removeStatementOf = (call: CallExpression) => {
    const stmt = call.getFirstAncestorByKind(SyntaxKind.ExpressionStatement);
    if (stmt && stmt.getExpression().getText().replace(/^await\s+/, '') === call.getText()) edits.push(removal(sourceFile, stmt));
  };

  if (kind.library === 'pg' && Node.isNewExpression(created) && kind.display === 'new Client()') {
    const poolName = freshName(sourceFile, `${name === 'client' ? functionName(enclosingFunction(created)!) ?? 'db' : name}Pool`);
    const poolCtor = ensurePgPoolImport(sourceFile, file, edits);
    if (!poolCtor) return [];
    // A pg Client shared by concurrent calls would serialise them: the rewrite needs the close in a finally.
    if (closes.length === 0 || !closes.every((close) => isInFinally(close, enclosingFunction(created)!))) return [];
    const [config] = created.getArguments();
    const defaults: [string, string][] = [['max', '10'], ['idleTimeoutMillis', '30_000'], ['connectionTimeoutMillis', String(ms)]];
    let options: string;
    if (config && Node.isObjectLiteralExpression(config)) {
      const present = new Set(config.getProperties().map((property) => (Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property) ? property.getName() : '')));
      const added = defaults.filter(([key]) => !present.has(key)).map(([key, value]) => `${key}: ${value}`);
      options = `{ ${[...config.getProperties().map((property) => property.getText()), ...added].join(', ')} }`;
    } else {
      options = `{ ${[...(config ? [`connectionString: ${config.getText()}`] : []), ...defaults.map(([key, value]) => `${key}: ${value}`)].join(', ')} }`;
    }
    edits.push({ file, start: anchor, end: anchor, newText: `\n\n/** One pool for the process: connections are opened once and reused by every call. */\nconst ${poolName} = new ${poolCtor}(${options});` });
    edits.push({ file, start: created.getStart(), end: created.getEnd(), newText: `await ${poolName}.connect()` });
    for (const call of connectCalls(variable)) removeStatementOf(call);
    for (const close of closes) {
      const stmt = close.getFirstAncestorByKind(SyntaxKind.ExpressionStatement);
      if (stmt) edits.push({ file, start: stmt.getStart(), end: stmt.getEnd(), newText: `${name}.release();` });
    }
    return [{ title: `Check out from a module-level pg Pool (${poolName}) and release() in finally`, kind: 'suggestion', edits: dedupe(edits) }];
  }

  // Generic: hoist the construction, drop the per-call connect/close.
  const hoisted = moduleScopeHas(sourceFile, name) ? freshName(sourceFile, name) : name;
  // mysql2: one pool instead of a connection (same query API, and no top-level await needed).
  const construction = kind.library === 'mysql2' ? created.getText().replace(/\bcreateConnection\b/, 'createPool') : created.getText();
  let hoistedText = `\n\n/** Created once for the process and reused by every call. */\nconst ${hoisted} = ${construction};`;
  const connects = connectCalls(variable);
  if (kind.library === 'node-redis' && connects.length) {
    // node-redis must connect once before use: keep the promise and await it per call.
    const ready = freshName(sourceFile, `${hoisted}Ready`);
    hoistedText += `\nconst ${ready} = ${hoisted}.connect();`;
    for (const call of connects) edits.push({ file, start: call.getStart(), end: call.getEnd(), newText: ready });
  } else {
    for (const call of connects) removeStatementOf(call);
  }
  edits.push({ file, start: anchor, end: anchor, newText: hoistedText });
  edits.push(removal(sourceFile, statement));
  if (hoisted !== name) {
    for (const reference of references(variable.getNameNode() as Identifier)) {
      if (reference === variable.getNameNode()) continue;
      edits.push({ file, start: reference.getStart(), end: reference.getEnd(), newText: hoisted });
    }
  }
  for (const close of closes) removeStatementOf(close);
  return [{ title: `Create the ${kind.library} client once at module scope`, kind: 'suggestion', edits: dedupe(edits) }];
}

function dedupe(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  return sorted.filter((edit, index) => index === 0 || edit.start >= sorted[index - 1].end);
}

function moduleScopeHas(sourceFile: SourceFile, name: string): boolean {
  return (
    sourceFile.getVariableDeclaration(name) !== undefined ||
    sourceFile.getFunction(name) !== undefined ||
    sourceFile.getClass(name) !== undefined ||
    sourceFile.getImportDeclarations().some((declaration) => declaration.getNamedImports().some((named) => (named.getAliasNode() ?? named.getNameNode()).getText() === name) || declaration.getDefaultImport()?.getText() === name || declaration.getNamespaceImport()?.getText() === name)
  );
}

function connectCalls(variable: VariableDeclaration): CallExpression[] {
  const fn = enclosingFunction(variable);
  if (!fn) return [];
  const name = variable.getName();
  return fn.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => {
    const callee = call.getExpression();
    return Node.isPropertyAccessExpression(callee) && (callee.getName() === 'connect' || callee.getName() === '$connect') && callee.getExpression().getText() === name;
  });
}

/** The statement, and its whole line when nothing else (a trailing comment, say) is on it. */
function removal(sourceFile: SourceFile, statement: Node): TextEdit {
  const text = sourceFile.getFullText();
  let start = statement.getStart();
  let end = statement.getEnd();
  while (text[end] === ' ' || text[end] === '\t') end++;
  const lineEnd = text.startsWith('\r\n', end) ? end + 2 : text[end] === '\n' ? end + 1 : undefined;
  if (lineEnd !== undefined) {
    while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    end = lineEnd;
  }
  return { file: sourceFile.getFilePath(), start, end, newText: '' };
}

/**
 * After the last import, and after every module-level statement declaring a name the construction reads:
 * `new Redis(redisOptions)` placed above `const redisOptions` would read it before its declaration.
 */
function moduleInsertionPoint(sourceFile: SourceFile, created: Node): number {
  const imports = sourceFile.getImportDeclarations();
  let anchor = imports.length ? imports[imports.length - 1].getEnd() : 0;
  const fn = enclosingFunction(created) ?? created;
  for (const identifier of created.getDescendantsOfKind(SyntaxKind.Identifier)) {
    for (const declaration of identifier.getSymbol()?.getDeclarations() ?? []) {
      // Property names and the function's own code: not module-level declarations.
      if (declaration.getSourceFile() !== sourceFile || (declaration.getPos() >= fn.getPos() && declaration.getEnd() <= fn.getEnd())) continue;
      let statement: Node = declaration;
      while (statement.getParent() && !Node.isSourceFile(statement.getParent())) statement = statement.getParentOrThrow();
      // Imports and function declarations are bound before any code runs.
      if (Node.isImportDeclaration(statement) || Node.isFunctionDeclaration(statement)) continue;
      anchor = Math.max(anchor, statement.getEnd());
    }
  }
  return anchor;
}

/** The local name of pg's Pool, adding it to the `import { Client } from 'pg'` when needed. */
function ensurePgPoolImport(sourceFile: SourceFile, file: string, edits: TextEdit[]): string | undefined {
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== 'pg') continue;
    const existing = declaration.getNamedImports().find((named) => named.getName() === 'Pool');
    if (existing) return existing.getAliasNode()?.getText() ?? 'Pool';
    const named = declaration.getNamedImports();
    if (named.length > 0 && !declaration.isTypeOnly()) {
      const last = named[named.length - 1];
      edits.push({ file, start: last.getEnd(), end: last.getEnd(), newText: ', Pool' });
      return 'Pool';
    }
    const namespace = declaration.getNamespaceImport() ?? declaration.getDefaultImport();
    if (namespace) return `${namespace.getText()}.Pool`;
  }
  return undefined;
}

/** The construction's arguments reference only module-level names and globals (process.env), so it can move. */
function usesOnlyModuleScope(created: Node): boolean {
  const fn = enclosingFunction(created);
  for (const identifier of created.getDescendantsOfKind(SyntaxKind.Identifier)) {
    const parent = identifier.getParent();
    if (parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === identifier) continue;
    if (parent && Node.isPropertyAssignment(parent) && parent.getNameNode() === identifier) continue;
    const declaration = identifier.getSymbol()?.getDeclarations()[0];
    if (!declaration) continue;
    for (let p: Node | undefined = declaration; p; p = p.getParent()) if (p === fn) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Checked-out connections: pool.connect() / pool.getConnection() without release() on every path

function checkCheckout(context: RuleContext, call: CallExpression): void {
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return;
  const method = callee.getName();
  if (method !== 'connect' && method !== 'getConnection') return;
  if (call.getArguments().length > 0) return; // callback style hands the release function to the callback
  const pool = poolLibrary(callee.getExpression(), method);
  if (!pool) return;
  const destination = destinationOf(call);
  const variable = destination.variable;
  if (!variable || destination.returned || destination.memoized) return;
  const fn = enclosingFunction(call);
  if (!fn) return;
  const name = variable.getName();
  const releases = fn.getDescendantsOfKind(SyntaxKind.CallExpression).filter((candidate) => {
    const target = candidate.getExpression();
    if (Node.isPropertyAccessExpression(target) && target.getExpression().getText() === name && /^(release|end|destroy)$/.test(target.getName())) return true;
    // release(client) helpers
    return (candidate.getArguments() as Node[]).some((arg) => arg.getText() === name) && /release/i.test(target.getText());
  });
  if (releases.some((release) => isInFinally(release, fn))) return;
  // Handed to another function that may own it: not ours to judge.
  if (escapes(variable, fn, releases)) return;
  const requestPath = context.requestPaths.requestPathOf(call);
  context.report({
    node: call,
    message:
      `${excerpt(call)} checks a connection out of the pool, but ${releases.length ? 'release() is not in a finally block, so an error between checkout and release' : 'nothing releases it, so every call'} ` +
      `leaks one connection. ${pool === 'pg' ? "pg's pool holds 10 by default" : "mysql2's pool holds 10 by default"}: after that many leaks every ` +
      `later checkout waits ${pool === 'pg' ? 'forever (or until connectionTimeoutMillis)' : 'forever (waitForConnections, no queue limit)'} and the service stops answering, with the database idle.` +
      `${requestPath ? ` It runs per ${requestPath.entry.perJob ? 'job' : 'request'}: ${RequestPaths.describe(requestPath)}.` : ''} Release it in a finally block.`,
    related: [...releases.map((release) => ({ node: release, message: 'released here, but not on every path' })), ...(requestPath ? RequestPaths.evidence(requestPath) : [])],
    fixes: releaseFix(context, call, variable, releases),
  });
}

function excerpt(call: CallExpression): string {
  const text = call.getText().replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function poolLibrary(receiver: Node, method: string): 'pg' | 'mysql2' | undefined {
  const origin = originOf(receiver);
  if (!origin) return undefined;
  const modules = [...origin.modules].map((module) => module.replace(/^@types\//, ''));
  if (method === 'connect' && modules.some((m) => m === 'pg' || m === 'pg-pool') && (origin.typeNames.has('Pool') || origin.typeNames.has('PoolType'))) return 'pg';
  if (method === 'getConnection' && modules.some((m) => m === 'mysql2' || m === 'mysql')) return 'mysql2';
  return undefined;
}

function isInFinally(node: Node, fn: Node): boolean {
  for (let current: Node | undefined = node; current && current !== fn; current = current.getParent()) {
    const parent = current.getParent();
    if (parent && Node.isTryStatement(parent) && parent.getFinallyBlock() === current) return true;
  }
  return false;
}

function escapes(variable: VariableDeclaration, fn: Node, releases: CallExpression[]): boolean {
  const nameNode = variable.getNameNode();
  if (!Node.isIdentifier(nameNode)) return true;
  for (const reference of references(nameNode)) {
    if (reference === nameNode) continue;
    const use = reference.getParent();
    if (!use) continue;
    if (Node.isCallExpression(use) && (use.getArguments() as Node[]).includes(reference) && !releases.includes(use)) return true;
    if (Node.isReturnStatement(use) || Node.isPropertyAssignment(use) || Node.isShorthandPropertyAssignment(use)) return true;
    if (Node.isBinaryExpression(use) && use.getRight() === reference) return true;
  }
  void fn;
  return false;
}

/** Wrap the rest of the block in try/finally with release(): safe when nothing releases it yet. */
function releaseFix(context: RuleContext, call: CallExpression, variable: VariableDeclaration, releases: CallExpression[]): Fix[] {
  const statement = variable.getVariableStatement();
  const block = statement?.getParent();
  if (!statement || !block || !Node.isBlock(block)) return [];
  const statements = block.getStatements();
  const index = statements.indexOf(statement);
  const rest = statements.slice(index + 1);
  if (rest.length === 0) return [];
  const sourceFile = context.sourceFile;
  const text = sourceFile.getFullText();
  const indent = indentOf(statement);
  const unit = indentUnit(sourceFile);
  const start = rest[0].getStart();
  const end = rest[rest.length - 1].getEnd();
  const body = text.slice(start, end).split('\n').map((line, i) => (i === 0 || line.trim() === '' ? line : `${unit}${line}`)).join('\n');
  const name = variable.getName();
  const released = releases.length > 0;
  const edits: TextEdit[] = [
    { file: context.filePath, start, end, newText: `try {\n${indent}${unit}${body}\n${indent}} finally {\n${indent}${unit}${name}.release();\n${indent}}` },
  ];
  if (released) {
    // The existing release() calls would release twice: they go.
    for (const release of releases) {
      const stmt = release.getFirstAncestorByKind(SyntaxKind.ExpressionStatement);
      if (!stmt || stmt.getStart() < start || stmt.getEnd() > end) return [];
    }
  }
  void call;
  return [{ title: `Release the connection in a finally block`, kind: released ? 'suggestion' : 'fix', edits: released ? [] : edits }].filter((fix) => fix.edits.length > 0) as Fix[];
}
