// Classifies a call as I/O by looking its receiver up in the declarative I/O model.
import * as path from 'node:path';
import { CallExpression, ImportDeclaration, Node, Symbol as MorphSymbol, SyntaxKind, TaggedTemplateExpression, ts } from 'ts-morph';
import { IO_CLIENTS, IO_FUNCTIONS, IO_GLOBALS, IO_NAMES, IoClientSpec, IoKind, IoMethod, IoOp } from './io-model';
import { Origin, moduleSpecifierOf, originOf, normalizeModule, packageOfFile } from './provenance';
import type { ResolvedConfig, WrapperDeclaration } from './config';
import { BudgetExceeded, checkBudget } from './budget';
import { mayUseModules } from './project-index';

export interface IoCall {
  node: CallExpression | TaggedTemplateExpression;
  library: string;
  kind: IoKind;
  op: IoOp;
  /** The method or function name as written. */
  method: string;
  /** Upper-case Redis command or HTTP verb, resolved from the first argument for `call`/`sendCommand`. */
  command?: string;
  batched: boolean;
  /** Queued on a pipeline or MULTI (see `queuedCommand`): sent with the batch by exec(), no round trip of its own. */
  queued?: boolean;
  resolvedBy: 'type' | 'import' | 'config';
  /** The client expression the method was called on, when there is one. */
  receiver?: Node;
}

/** Calls on a thenable query builder that do not execute it. */
const BUILDER_NON_EXECUTING = new Set(['toSQL', 'toQuery', 'toString', 'clone', 'as', 'toSql', 'getSQL', 'prepare']);
/** Steps that turn a client into a command queue (import mode, where types are unknown). */
const QUEUE_STEPS = new Set(['pipeline()', 'multi()', 'batch()']);
/** Modules whose values are I/O when called, when awaited as a query builder, or as a `sql` tag: a program that loads none of them needs no type query for those shapes. */
const CALLABLE_MODULES = [...IO_CLIENTS.filter((spec) => spec.callable).map((spec) => spec.modules), ...IO_FUNCTIONS.map((spec) => spec.modules)];
const BUILDER_MODULES = IO_CLIENTS.filter((spec) => spec.thenableBuilder).map((spec) => spec.modules);
const SQL_TAG_MODULES = IO_CLIENTS.filter((spec) => spec.callable?.kind === 'sql').map((spec) => spec.modules);

export class IoResolver {
  private readonly cache = new WeakMap<ts.Node, IoCall | null>();
  private readonly queuedCache = new WeakMap<ts.Node, IoCall | null>();

  constructor(private readonly config: Pick<ResolvedConfig, 'io' | 'dir'>) {}

  /** The I/O this call performs, or undefined. Cheap name test first; the type checker only for candidates. */
  classify(node: Node): IoCall | undefined {
    if (!Node.isCallExpression(node) && !Node.isTaggedTemplateExpression(node)) return undefined;
    checkBudget(); // before the cache: a rule looping over cached answers must stop too
    const cached = this.cache.get(node.compilerNode);
    if (cached !== undefined) return cached ?? undefined;
    let result: IoCall | undefined;
    try {
      result = Node.isCallExpression(node) ? this.classifyCall(node) : this.classifyTaggedTemplate(node);
    } catch (error) {
      if (error instanceof BudgetExceeded) throw error; // never cache an answer the budget cut short
      result = undefined;
    }
    this.cache.set(node.compilerNode, result ?? null);
    return result;
  }

  /**
   * A Redis command queued on a pipeline or MULTI (`redis.pipeline().keys('*')`, `multi.flushdb()`). It is not I/O
   * where it is written, so `classify` leaves it out: per-item queuing is how batching is done. But exec() makes Redis
   * run it like any other command, so rules about what a command costs on the server ask here too.
   */
  queuedCommand(node: Node): IoCall | undefined {
    if (!Node.isCallExpression(node)) return undefined;
    checkBudget();
    const cached = this.queuedCache.get(node.compilerNode);
    if (cached !== undefined) return cached ?? undefined;
    let result: IoCall | undefined;
    try {
      result = this.classifyQueued(node);
    } catch (error) {
      if (error instanceof BudgetExceeded) throw error;
      result = undefined;
    }
    this.queuedCache.set(node.compilerNode, result ?? null);
    return result;
  }

  private classifyQueued(call: CallExpression): IoCall | undefined {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return undefined;
    const name = callee.getName();
    if (!IO_NAMES.has(name)) return undefined;
    // Each queue with the client whose command table it queues (a pipeline queues what its client sends).
    const queues = IO_CLIENTS.flatMap((queue) => {
      if (!queue.queues || !mayUseModules(call, queue.modules)) return [];
      const client = IO_CLIENTS.find((spec) => spec.library === queue.library && !spec.queues && spec.methods[name]);
      return client ? [{ queue, client }] : [];
    });
    // `arr.map()`, `res.json()`: no queueing client has such a command, so no type query.
    if (queues.length === 0) return undefined;
    const receiver = callee.getExpression();
    const origin = originOf(receiver);
    if (!origin) return undefined;
    const modules = new Set([...origin.modules].map(normalizeModule));
    const found = queues.find(({ queue }) =>
      queue.modules.some((m) => modules.has(normalizeModule(m))) &&
      (origin.via === 'type' ? queue.receiverTypes?.some((t) => origin.typeNames.has(t)) : origin.path.some((step) => QUEUE_STEPS.has(step))),
    );
    // The queue's own methods (`exec`, `discard`) are classify()'s business.
    if (!found || found.queue.methods[name]) return undefined;
    const { client } = found;
    return { ...this.toIoCall(call, client.library, client.methods[name], name, origin.via, receiver), batched: true, queued: true };
  }

  /** True when the call may be I/O judging by names alone (the pre-filter). */
  static isCandidateName(name: string): boolean {
    return IO_NAMES.has(name);
  }

  private classifyCall(call: CallExpression): IoCall | undefined {
    const callee = call.getExpression();
    const declared = this.declaredWrapper(callee);
    if (declared) return declared(call);

    if (Node.isPropertyAccessExpression(callee)) {
      const name = callee.getName();
      if (IO_NAMES.has(name)) {
        const found = this.classifyMethod(call, callee.getExpression(), name) ?? this.classifyNamespaceFunction(call, callee);
        if (found) return found;
      }
      return this.classifyBuilderEnd(call);
    }
    if (Node.isIdentifier(callee)) {
      return this.classifyFunction(call, callee) ?? this.classifyBuilderEnd(call);
    }
    return this.classifyBuilderEnd(call);
  }

  private classifyMethod(call: CallExpression, receiver: Node, name: string): IoCall | undefined {
    // `.get()` on a Map in a program that loads no client with a `get` method: no type query. Prisma's
    // delegates match by type name (Prisma 7 generates the client into the project), not by module.
    if (!IO_CLIENTS.some((spec) => spec.methods[name] && (spec.memberOfTypes || spec.generatedIntoProject || mayUseModules(call, spec.modules)))) return undefined;
    const origin = originOf(receiver);
    if (!origin) return undefined;
    const spec = this.matchClient(origin, receiver, name);
    if (!spec || spec.queues) return undefined;
    if (spec.lazy && !isConsumedAsPromise(call.compilerNode)) return undefined;
    const method = spec.methods[name];
    return this.toIoCall(call, spec.library, method, name, origin.via, receiver);
  }

  private matchClient(origin: Origin, receiver: Node, name: string): IoClientSpec | undefined {
    const modules = new Set([...origin.modules].map(normalizeModule));
    const candidates = IO_CLIENTS.filter((spec) => spec.methods[name] && spec.modules.some((m) => modules.has(normalizeModule(m))));
    if (origin.via === 'type') {
      // A client generated into the project: its type name identifies it.
      const generated = modules.has('project') && IO_CLIENTS.find((spec) => spec.generatedIntoProject && spec.methods[name] && spec.receiverTypes?.some((t) => origin.typeNames.has(t)));
      if (generated) return generated;
      for (const spec of candidates) {
        if (spec.memberOfTypes) continue;
        if (!spec.receiverTypes || spec.receiverTypes.some((t) => origin.typeNames.has(t))) return spec;
      }
    } else {
      if (origin.path.some((step) => QUEUE_STEPS.has(step))) return undefined;
      const memberPath = origin.path.length === 1 && !origin.path[0].endsWith('()');
      for (const spec of candidates) {
        if (spec.queues) continue;
        if (spec.memberOfTypes) {
          if (memberPath) return spec;
          continue;
        }
        if (origin.path.every((step) => step.endsWith('()'))) return spec;
      }
    }
    // Prisma model delegates: `prisma.user.findUnique()`, where `prisma` is a PrismaClient.
    if (Node.isPropertyAccessExpression(receiver)) {
      const owner = originOf(receiver.getExpression());
      if (owner) {
        for (const spec of IO_CLIENTS) {
          if (spec.memberOfTypes && spec.methods[name] && spec.memberOfTypes.some((t) => owner.typeNames.has(t))) return spec;
        }
      }
    }
    return undefined;
  }

  /** `https.get(url)`, `undici.request(url)`: an I/O function reached through a namespace or default import. */
  private classifyNamespaceFunction(call: CallExpression, callee: Node): IoCall | undefined {
    const binding = importedBinding(callee);
    if (!binding || binding.file) return undefined;
    const spec = IO_FUNCTIONS.find((candidate) => candidate.exportName === binding.exportName && candidate.modules.map(normalizeModule).includes(binding.module));
    return spec ? this.toIoCall(call, spec.library, spec.method, binding.exportName, 'import') : undefined;
  }

  private classifyFunction(call: CallExpression, callee: Node): IoCall | undefined {
    const name = callee.getText();
    const symbol = callee.getSymbol();
    const declarations = symbol?.getDeclarations() ?? [];
    // Global fetch: no local declaration shadows it.
    for (const global of IO_GLOBALS) {
      if (global.name !== name) continue;
      const isGlobal = declarations.length === 0 || declarations.every((d) => {
        const file = d.getSourceFile();
        return file.isDeclarationFile() && global.declaredIn.includes(packageOfFile(file.getFilePath()));
      });
      if (isGlobal) return this.toIoCall(call, global.library, global.method, name, declarations.length ? 'type' : 'import');
    }
    if (declarations.length === 0) return undefined;
    // Project functions, declared here or imported, are the summaries' business; only values that come from a
    // library are I/O here. (Through the import, `partnerApi(): AxiosInstance` would pass for axios itself.)
    if (isProjectFunction(declarations) || isProjectFunction(aliasedDeclarations(symbol))) return undefined;
    if (!CALLABLE_MODULES.some((modules) => mayUseModules(call, modules))) return undefined;

    const binding = importedBinding(callee);
    if (binding) {
      for (const spec of IO_FUNCTIONS) {
        if (spec.modules.map(normalizeModule).includes(binding.module) && spec.exportName === binding.exportName) {
          return this.toIoCall(call, spec.library, spec.method, name, 'import');
        }
      }
    }
    const origin = originOf(callee);
    if (!origin) return undefined;
    const modules = new Set([...origin.modules].map(normalizeModule));
    for (const spec of IO_CLIENTS) {
      if (spec.callable && spec.modules.some((m) => modules.has(normalizeModule(m)))) {
        return this.toIoCall(call, spec.library, spec.callable, name, origin.via);
      }
    }
    // Imported library functions resolved through types (e.g. `request` from undici re-exported).
    if (origin.via === 'type') {
      for (const spec of IO_FUNCTIONS) {
        if (spec.modules.some((m) => modules.has(normalizeModule(m))) && origin.typeNames.has(spec.exportName)) {
          return this.toIoCall(call, spec.library, spec.method, name, 'type');
        }
      }
    }
    return undefined;
  }

  private classifyTaggedTemplate(node: TaggedTemplateExpression): IoCall | undefined {
    if (!SQL_TAG_MODULES.some((modules) => mayUseModules(node, modules))) return undefined;
    const tag = node.getTag();
    const origin = originOf(tag);
    if (!origin) return undefined;
    const modules = new Set([...origin.modules].map(normalizeModule));
    for (const spec of IO_CLIENTS) {
      if (spec.callable && spec.callable.kind === 'sql' && spec.modules.some((m) => modules.has(normalizeModule(m)))) {
        // A postgres.js piece pushed into a list or nested in another query sends nothing of its own.
        if (spec.lazy && !isConsumedAsPromise(node.compilerNode)) return undefined;
        return this.toIoCall(node, spec.library, spec.callable, tag.getText(), origin.via);
      }
    }
    return undefined;
  }

  /**
   * `await db('users').where({ id })` and `await db.select().from(users)`: the chain end of a thenable
   * query builder runs the query when it is awaited, returned or then-ed.
   */
  private classifyBuilderEnd(call: CallExpression): IoCall | undefined {
    // The modules first: most programs load no query builder, and then no call needs its consumers read.
    if (!BUILDER_MODULES.some((modules) => mayUseModules(call, modules))) return undefined;
    if (!isConsumedAsPromise(call.compilerNode)) return undefined;
    const callee = call.getExpression();
    if (Node.isPropertyAccessExpression(callee) && BUILDER_NON_EXECUTING.has(callee.getName())) return undefined;
    const root = chainRoot(call);
    if (root === call) {
      // `knex('users')` alone: the callee is the client. Drizzle's `eq(…)` or `and(…)` builds a condition,
      // no query: what the call returns must be a thenable.
      if (!Node.isIdentifier(callee)) return undefined;
      const type = call.getType();
      if (!type.isAny() && !type.getProperty('then')) return undefined;
    }
    const origin = originOf(root === call ? callee : root);
    if (!origin) return undefined;
    const modules = new Set([...origin.modules].map(normalizeModule));
    for (const spec of IO_CLIENTS) {
      if (spec.thenableBuilder && spec.modules.some((m) => modules.has(normalizeModule(m)))) {
        const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
        return this.toIoCall(call, spec.library, spec.thenableBuilder, name, origin.via, root);
      }
    }
    return undefined;
  }

  private toIoCall(node: CallExpression | TaggedTemplateExpression, library: string, method: IoMethod, name: string, via: 'type' | 'import' | 'config', receiver?: Node): IoCall {
    let command = method.command;
    if (command === 'dynamic') command = Node.isCallExpression(node) ? dynamicCommand(node, method.kind) : undefined;
    return { node, library, kind: method.kind, op: method.op, method: name, command, batched: Boolean(method.batched), resolvedBy: via, receiver };
  }

  /** User-declared I/O functions from scalelint.config.json (`io`). */
  private declaredWrapper(callee: Node): ((call: CallExpression) => IoCall) | undefined {
    if (this.config.io.length === 0) return undefined;
    const binding = importedBinding(callee);
    if (!binding) return undefined;
    const declaration = this.config.io.find((wrapper) => wrapperMatches(wrapper, binding, this.config.dir));
    if (!declaration) return undefined;
    const method: IoMethod = { kind: declaration.kind ?? 'sql', op: declaration.op ?? 'other', batched: declaration.batched };
    return (call) => this.toIoCall(call, 'user', method, binding.exportName, 'config');
  }
}

function isProjectFunction(declarations: Node[]): boolean {
  return declarations.length > 0 && declarations.every((d) => Node.isFunctionDeclaration(d) && !d.getSourceFile().isDeclarationFile());
}

/** The declarations an imported name stands for; none when the symbol is not an import or does not resolve. */
function aliasedDeclarations(symbol: MorphSymbol | undefined): Node[] {
  if (!symbol?.isAlias()) return [];
  try {
    return symbol.getAliasedSymbol()?.getDeclarations() ?? [];
  } catch {
    return [];
  }
}

/** `SCAN` for `redis.call('scan', …)`, the SQL text's verb is left to the SQL layer. */
function dynamicCommand(call: CallExpression, kind: IoKind): string | undefined {
  if (kind !== 'redis') return undefined;
  const [first] = call.getArguments();
  if (!first) return undefined;
  if (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first)) return first.getLiteralValue().toUpperCase();
  if (Node.isArrayLiteralExpression(first)) {
    const [head] = first.getElements();
    if (head && (Node.isStringLiteral(head) || Node.isNoSubstitutionTemplateLiteral(head))) return head.getLiteralValue().toUpperCase();
  }
  return undefined;
}

export function wrapperMatches(wrapper: WrapperDeclaration, binding: { module: string; exportName: string; file?: string }, configDir: string): boolean {
  if (wrapper.export !== binding.exportName) return false;
  if (wrapper.module.startsWith('.') || wrapper.module.startsWith('/')) {
    if (!binding.file) return false;
    const want = stripExtension(path.resolve(configDir, wrapper.module));
    return stripExtension(binding.file) === want;
  }
  return normalizeModule(wrapper.module) === binding.module;
}

function stripExtension(file: string): string {
  return file.replace(/\\/g, '/').replace(/(\/index)?\.(d\.)?[cm]?[jt]sx?$/, '');
}

/** `require('x')` → 'x'. */
function requiredModule(node: Node | undefined): string | undefined {
  if (!node || !Node.isCallExpression(node) || node.getExpression().getText() !== 'require') return undefined;
  const [argument] = node.getArguments();
  return argument && Node.isStringLiteral(argument) ? argument.getLiteralValue() : undefined;
}

/** What a declaration binds from a module: a named export, 'default', or '*' for the whole module. */
function declaredImport(declaration: Node): { specifier: string; exportName: string } | undefined {
  let specifier: string | undefined;
  let exportName: string | undefined;
  if (Node.isImportSpecifier(declaration)) {
    specifier = moduleSpecifierOf(declaration.getImportDeclaration());
    exportName = declaration.getName();
  } else if (Node.isImportClause(declaration)) {
    specifier = moduleSpecifierOf(declaration.getParentIfKind(SyntaxKind.ImportDeclaration));
    exportName = 'default';
  } else if (Node.isNamespaceImport(declaration)) {
    specifier = moduleSpecifierOf(declaration.getFirstAncestorByKind(SyntaxKind.ImportDeclaration));
    exportName = '*';
  } else if (Node.isVariableDeclaration(declaration)) {
    // const http = require('node:http')
    specifier = requiredModule(declaration.getInitializer());
    exportName = '*';
  } else if (Node.isBindingElement(declaration) && !declaration.getDotDotDotToken()) {
    // `const { Client } = pg` after `import pg from 'pg'` (usual in ES modules over CommonJS packages), or
    // `const { Pool } = require('pg')`: the package's export of that name.
    const pattern = declaration.getParent();
    const variable = pattern.getParent();
    const propertyName = declaration.getPropertyNameNode()?.getText() ?? declaration.getName();
    if (Node.isObjectBindingPattern(pattern) && Node.isVariableDeclaration(variable) && /^[A-Za-z_$][\w$]*$/.test(propertyName)) {
      specifier = packageObjectOf(variable.getInitializer());
      exportName = propertyName;
    }
  }
  return specifier && exportName ? { specifier, exportName } : undefined;
}

/** The package whose whole module a value is: `require('pg')`, or a name bound to its default or namespace import. */
function packageObjectOf(node: Node | undefined): string | undefined {
  let specifier = requiredModule(node);
  if (!specifier && node && Node.isIdentifier(node)) {
    for (const declaration of node.getSymbol()?.getDeclarations() ?? []) {
      // A destructured name is one export, never the whole module; reading it would recurse
      // (`const { Client } = Client`, mid-edit).
      if (Node.isBindingElement(declaration)) continue;
      const bound = declaredImport(declaration);
      if (bound && (bound.exportName === 'default' || bound.exportName === '*')) {
        specifier = bound.specifier;
        break;
      }
    }
  }
  // A project module's default export is a value of its own, not its module: only packages.
  return specifier && !specifier.startsWith('.') && !specifier.startsWith('/') ? specifier : undefined;
}

/**
 * The import a callee refers to: `{ module: 'undici', exportName: 'request' }`, or for a relative import
 * the absolute path of the module it names (`file`).
 */
export function importedBinding(callee: Node): { module: string; exportName: string; file?: string } | undefined {
  let identifier: Node = callee;
  let member: string | undefined;
  if (Node.isPropertyAccessExpression(callee)) {
    // `http.request`, `db.runQuery` on a namespace import
    identifier = callee.getExpression();
    member = callee.getName();
  }
  if (!Node.isIdentifier(identifier)) return undefined;
  const symbol = identifier.getSymbol();
  for (const declaration of symbol?.getDeclarations() ?? []) {
    const bound = declaredImport(declaration);
    if (!bound) continue;
    const { specifier } = bound;
    let { exportName } = bound;
    if (member) {
      if (exportName !== '*' && exportName !== 'default') return undefined;
      exportName = member;
    } else if (exportName === '*') {
      return undefined;
    }
    if (specifier.startsWith('.')) {
      const file = path.resolve(path.dirname(callee.getSourceFile().getFilePath()), specifier);
      return { module: specifier, exportName, file };
    }
    return { module: normalizeModule(specifier), exportName };
  }
  return undefined;
}

function chainRoot(call: CallExpression): Node {
  let current: Node = call;
  for (;;) {
    if (Node.isCallExpression(current)) {
      const callee = current.getExpression();
      if (Node.isPropertyAccessExpression(callee)) current = callee.getExpression();
      else return current;
    } else if (Node.isPropertyAccessExpression(current)) {
      current = current.getExpression();
    } else {
      return current;
    }
  }
}

/**
 * The call's promise is awaited, returned, yielded, then-ed or handed to Promise.all. Read on the raw tree:
 * it is asked about every call no client claims, and ts-morph would wrap each one's parent to answer.
 */
export function isConsumedAsPromise(call: ts.Node): boolean {
  let node = call;
  let parent = node.parent as ts.Node | undefined;
  while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent))) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  if (ts.isAwaitExpression(parent) || ts.isReturnStatement(parent) || ts.isYieldExpression(parent)) return true;
  if (ts.isArrowFunction(parent) && parent.body === node) return arrowResultIsConsumed(parent);
  if (ts.isPropertyAccessExpression(parent) && ['then', 'catch', 'finally'].includes(parent.name.text)) return true;
  if (ts.isArrayLiteralExpression(parent)) return isInPromiseCombinator(parent);
  if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression)) return isPromiseCombinator(parent);
  return false;
}

/**
 * What an arrow returns is awaited by whoever calls it (`.then(() => q)`, `retry(() => q)`), but not by
 * `forEach`, and `items.map((i) => q)` only when the mapped list goes to `Promise.all` (directly or
 * through a `const`): `or(...names.map((n) => eq(users.name, n)))` builds conditions, no queries.
 */
function arrowResultIsConsumed(arrow: ts.ArrowFunction): boolean {
  const call = arrow.parent;
  if (!call || !ts.isCallExpression(call) || !call.arguments.includes(arrow) || !ts.isPropertyAccessExpression(call.expression)) return true;
  const method = call.expression.name.text;
  if (method === 'forEach') return false;
  if (method !== 'map' && method !== 'flatMap') return true;
  if (isConsumedAsPromise(call)) return true;
  const declaration = call.parent;
  if (!declaration || !ts.isVariableDeclaration(declaration) || declaration.initializer !== call || !ts.isIdentifier(declaration.name)) return false;
  const name = declaration.name.text;
  const scope = enclosingScope(declaration);
  let collected = false;
  const visit = (node: ts.Node): void => {
    if (collected) return;
    if (ts.isCallExpression(node) && isPromiseCombinator(node) && node.arguments.some((argument) => ts.isIdentifier(argument) && argument.text === name)) collected = true;
    else ts.forEachChild(node, visit);
  };
  visit(scope);
  return collected;
}

function enclosingScope(node: ts.Node): ts.Node {
  for (let current = node.parent; current; current = current.parent) if (ts.isFunctionLike(current) || ts.isSourceFile(current)) return current;
  return node.getSourceFile();
}

function isPromiseCombinator(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Promise' && ['all', 'allSettled', 'race', 'any'].includes(callee.name.text);
}

function isInPromiseCombinator(node: ts.Node): boolean {
  const call = node.parent;
  return Boolean(call && ts.isCallExpression(call) && isPromiseCombinator(call));
}
