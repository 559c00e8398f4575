// Outbound HTTP calls as missing-timeout and missing-circuit-breaker see them: which argument holds the
// options, which option names bound the call, and whether the call sits inside a declared wrapper.
import * as path from 'node:path';
import { CallExpression, Node, Project, SyntaxKind, ts } from 'ts-morph';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { importedBinding, wrapperMatches } from '../../server/src/engine/io-resolver';
import type { WrapperDeclaration } from '../../server/src/engine/config';
import { constInitializerOf, symbolOfName } from '../../server/src/engine/provenance';
import { enclosingFunction, type FunctionLike } from '../../server/src/engine/summaries';
import { wrapCompilerNode } from '../../server/src/engine/rule-kit';
import { byFileName, filesMentioning, identifiersNamed, isProjectTree, rawSymbolOf, TreeIndex } from '../../server/src/engine/project-index';

export type HttpClient = 'fetch' | 'axios' | 'got' | 'undici' | 'node-http';

export interface OutboundCall {
  call: CallExpression;
  client: HttpClient;
  /** How the user would name it in a message: `fetch()`, `axios.post()`, `http.get()`. */
  display: string;
  /** Index of the options argument (it may be missing), or undefined when there is no place for one. */
  optionsIndex: number | undefined;
  /** Option names that bound the call's duration. */
  timeoutKeys: string[];
  /** The receiver whose defaults may carry a timeout (an axios instance, a got instance, an undici Pool). */
  receiver?: Node;
  io: IoCall;
}

const AXIOS_CONFIG_SECOND = new Set(['get', 'delete', 'head', 'options']);
const AXIOS_CONFIG_THIRD = new Set(['post', 'put', 'patch']);

/** The outbound HTTP call this I/O call is, with the place its options go. */
export function outboundCall(call: CallExpression, io: IoCall): OutboundCall | undefined {
  if (io.kind !== 'http') return undefined;
  const args = call.getArguments();
  const callee = call.getExpression();
  const calleeText = Node.isPropertyAccessExpression(callee) ? `${excerptName(callee.getExpression())}.${callee.getName()}` : callee.getText();
  const base = { call, io, display: `${calleeText}()` };
  switch (io.library) {
    case 'fetch':
    case 'node-fetch':
      return { ...base, client: 'fetch', optionsIndex: 1, timeoutKeys: io.library === 'node-fetch' ? ['signal', 'timeout'] : ['signal'] };
    case 'undici':
      if (io.method === 'fetch') return { ...base, client: 'fetch', optionsIndex: 1, timeoutKeys: ['signal'] };
      // Client/Pool.request({ path, method }) takes one options object; request(url, options) two.
      return { ...base, client: 'undici', optionsIndex: Node.isPropertyAccessExpression(callee) && io.receiver ? 0 : 1, timeoutKeys: ['signal', 'headersTimeout', 'bodyTimeout'], receiver: io.receiver };
    case 'axios': {
      const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : undefined;
      const receiver = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : callee;
      const keys = ['timeout', 'signal', 'cancelToken'];
      if (!method) {
        // axios(config) or axios(url, config)
        const first = args[0];
        const index = first && !isUrlLike(first) ? 0 : 1;
        return { ...base, client: 'axios', optionsIndex: index, timeoutKeys: keys, receiver };
      }
      if (method === 'request') return { ...base, client: 'axios', optionsIndex: 0, timeoutKeys: keys, receiver };
      if (AXIOS_CONFIG_SECOND.has(method)) return { ...base, client: 'axios', optionsIndex: 1, timeoutKeys: keys, receiver };
      if (AXIOS_CONFIG_THIRD.has(method)) return { ...base, client: 'axios', optionsIndex: 2, timeoutKeys: keys, receiver };
      return undefined;
    }
    case 'got': {
      const receiver = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : callee;
      const first = args[0];
      const index = first && !isUrlLike(first) && args.length === 1 ? 0 : 1;
      return { ...base, client: 'got', optionsIndex: index, timeoutKeys: ['timeout', 'signal'], receiver };
    }
    case 'node-http': {
      // http.get(url[, options][, callback]) / http.request(options[, callback])
      const objectIndex = args.findIndex((arg) => !isUrlLike(arg) && !isFunctionArgument(arg));
      return { ...base, client: 'node-http', optionsIndex: objectIndex >= 0 ? objectIndex : undefined, timeoutKeys: ['signal'] };
    }
    default:
      return undefined;
  }
}

function excerptName(node: Node): string {
  const text = node.getText();
  return text.length > 24 ? '…' : text;
}

function isFunctionArgument(node: Node): boolean {
  return Node.isArrowFunction(node) || Node.isFunctionExpression(node) || (Node.isIdentifier(node) && node.getType().getCallSignatures().length > 0);
}

/** A string, template or URL: the request target rather than an options object. */
export function isUrlLike(node: Node): boolean {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node) || Node.isTemplateExpression(node)) return true;
  if (Node.isNewExpression(node) && node.getExpression().getText() === 'URL') return true;
  if (Node.isObjectLiteralExpression(node)) return false;
  try {
    const type = node.getType();
    if (type.isString() || type.isStringLiteral()) return true;
    const text = type.getText(node);
    return text === 'URL' || text === 'string | URL' || text === 'URL | string';
  } catch {
    return false;
  }
}

/** 'yes' when the expression certainly sets one of `keys`, 'no' when it certainly does not. */
export type Presence = 'yes' | 'no' | 'unknown';

export function setsAnyOf(expression: Node | undefined, keys: readonly string[], depth = 0): Presence {
  if (!expression) return 'no';
  if (depth > 8) return 'unknown';
  let node = expression;
  while (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node) || Node.isNonNullExpression(node)) node = node.getExpression();
  if (Node.isObjectLiteralExpression(node)) {
    let unknown = false;
    for (const property of node.getProperties()) {
      if (Node.isSpreadAssignment(property)) {
        const spread = setsAnyOf(property.getExpression(), keys, depth + 1);
        if (spread === 'yes') return 'yes';
        if (spread === 'unknown') unknown = true;
        continue;
      }
      if (Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property) || Node.isMethodDeclaration(property)) {
        if (!keys.includes(property.getName())) continue;
        const value = Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
        // 0 is "no timeout" to axios, undici, pg and ioredis alike.
        if (value && isUnbounded(value)) continue;
        return 'yes';
      }
    }
    return unknown ? 'unknown' : 'no';
  }
  if (Node.isConditionalExpression(node)) {
    const a = setsAnyOf(node.getWhenTrue(), keys, depth + 1);
    const b = setsAnyOf(node.getWhenFalse(), keys, depth + 1);
    if (a === 'yes' && b === 'yes') return 'yes';
    if (a === 'no' && b === 'no') return 'no';
    return 'unknown';
  }
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    if (node.getText() === 'undefined') return 'no';
    const symbol = symbolOfName(node);
    const declarations = symbol?.getDeclarations() ?? [];
    if (declarations.length !== 1) return 'unknown';
    const [declaration] = declarations;
    if (!Node.isVariableDeclaration(declaration) && !Node.isPropertyAssignment(declaration) && !Node.isPropertyDeclaration(declaration)) return 'unknown';
    const initializer = declaration.getInitializer();
    if (!initializer) return 'unknown';
    const found = setsAnyOf(initializer, keys, depth + 1);
    // `options.signal = controller.signal` after the declaration
    if (found !== 'yes' && Node.isVariableDeclaration(declaration) && assignsMemberLater(declaration.getName(), declaration.getSourceFile().getFullText(), keys)) return 'yes';
    return found;
  }
  return 'unknown';
}

/** `undefined`, `null` or `0`: a timeout option set to its "never" value. */
export function isUnbounded(value: Node): boolean {
  const text = value.getText();
  return text === 'undefined' || text === 'null' || text === '0';
}

function assignsMemberLater(name: string, text: string, keys: readonly string[]): boolean {
  return keys.some((key) => new RegExp(`\\b${escape(name)}\\.${key}\\s*=[^=]`).test(text));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Built-in promise-timeout helpers, on top of the user's `timeoutWrappers`. */
const TIMEOUT_HELPERS: WrapperDeclaration[] = [
  { module: 'p-timeout', export: 'default' },
  { module: 'promise-timeout', export: 'timeout' },
];

/**
 * True when the call runs inside one of `wrappers` (`withTimeout(fetch(url), 2_000)`,
 * `guard(() => fetch(url))`) or inside a function the project hands to one of them.
 */
export function isInsideWrapper(call: Node, wrappers: readonly WrapperDeclaration[], configDir: string, extra?: (outer: CallExpression | Node) => boolean): boolean {
  const matches = (candidate: Node): boolean => {
    if (extra?.(candidate)) return true;
    if (!Node.isCallExpression(candidate)) return false;
    const binding = importedBinding(candidate.getExpression());
    return Boolean(binding && wrappers.some((wrapper) => wrapperMatches(wrapper, binding, configDir)));
  };
  let node: Node | undefined = call.getParent();
  let fn: FunctionLike | undefined;
  for (; node; node = node.getParent()) {
    if (Node.isSourceFile(node)) return false;
    if ((Node.isCallExpression(node) || Node.isNewExpression(node)) && matches(node)) return true;
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node)) {
      fn = node as FunctionLike;
      const parent = node.getParent();
      const isCallback = parent && (Node.isCallExpression(parent) || Node.isNewExpression(parent)) && (parent.getArguments() as Node[]).includes(node);
      if (!isCallback) break;
    }
  }
  // A named function handed to a wrapper elsewhere: `new CircuitBreaker(callPartner)`.
  return fn ? isPassedTo(fn, matches) : false;
}

function isPassedTo(fn: FunctionLike, matches: (candidate: Node) => boolean): boolean {
  let nameNode: Node | undefined;
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) nameNode = fn.getNameNode();
  else {
    const parent = fn.getParent();
    if (parent && Node.isVariableDeclaration(parent)) nameNode = parent.getNameNode();
  }
  if (!nameNode || !Node.isIdentifier(nameNode)) return false;
  for (const reference of referencesOf(nameNode, true).slice(0, 50)) {
    let node: Node = reference;
    let parent = node.getParent();
    // `this.fetchRates.bind(this)` and `(fn)` still hand the function over.
    while (parent && (Node.isPropertyAccessExpression(parent) || Node.isParenthesizedExpression(parent) || (Node.isCallExpression(parent) && /\.bind$/.test(parent.getExpression().getText()) && parent.getExpression() === node))) {
      node = parent;
      parent = parent.getParent();
    }
    if (parent && (Node.isCallExpression(parent) || Node.isNewExpression(parent)) && (parent.getArguments() as Node[]).includes(node) && matches(parent)) return true;
  }
  return false;
}

/**
 * Uses of a declared name by symbol: in its own file, and with `crossFile` in the project files whose text
 * mentions it. Not the language service's findReferences, which builds a second program for the project.
 */
export function referencesOf(identifier: Node, crossFile = false): Node[] {
  const symbol = identifier.getSymbol()?.compilerSymbol;
  if (!symbol) return [];
  const name = (identifier.compilerNode as ts.Identifier).text ?? identifier.getText();
  const own = identifier.getSourceFile();
  const project = identifier.getProject();
  const program = project.getProgram().compilerObject as ts.Program;
  // Rules ask at every call site, and a large project has many functions of the same name: every use of a
  // name is found and resolved once per program, then grouped by the symbol it means.
  let cache = referenceCache.get(program);
  if (!cache) referenceCache.set(program, (cache = new Map()));
  const key = `${crossFile ? '' : own.getFilePath()}\0${name}`;
  let bySymbol = cache.get(key);
  if (!bySymbol) {
    bySymbol = new Map();
    cache.set(key, bySymbol);
    const checker = program.getTypeChecker();
    let trees = [own.compilerNode];
    if (crossFile) {
      // The files that mention the name, in path order (deterministic without a pass over every file).
      const mentioning = new Set(filesMentioning(identifier, name));
      mentioning.add(own.compilerNode);
      trees = [...mentioning].sort(byFileName);
    }
    for (const tree of trees) {
      // The raw tree and the checker: wrapping every identifier of every file in ts-morph nodes costs more than the look-up.
      const matches = identifiersNamed(program, tree, name);
      if (matches.length === 0) continue;
      const file = tree === own.compilerNode ? own : project.getSourceFile(tree.fileName);
      if (!file) continue;
      for (const match of matches) {
        const found = rawSymbolOf(checker, match);
        if (!found) continue;
        let group = bySymbol.get(found);
        if (!group) bySymbol.set(found, (group = []));
        group.push(wrapCompilerNode(file, match));
      }
    }
  }
  return bySymbol.get(symbol) ?? [];
}

const referenceCache = new WeakMap<ts.Program, Map<string, Map<ts.Symbol, Node[]>>>();

/** `new CircuitBreaker(action, options)` from opossum. */
export function isOpossumBreaker(node: Node): boolean {
  if (!Node.isNewExpression(node)) return false;
  const binding = importedBinding(node.getExpression());
  return Boolean(binding && binding.module === 'opossum');
}

/** An opossum breaker's timer runs: its options do not set `timeout: false` (opossum's default is 10 s). */
export function breakerTimesOut(node: Node): boolean {
  if (!Node.isNewExpression(node)) return false;
  return breakerTimer(node.getArguments()[1], 0) !== 'off';
}

/**
 * What opossum options say of the timer, read through `const` variables and spreads, the last `timeout`
 * winning: 'off' for `timeout: false`, 'silent' when they do not mention it, 'unknown' when part of them
 * cannot be read (a spread of run-time options, a computed value), which keeps the breaker counted.
 */
function breakerTimer(options: Node | undefined, depth: number): 'off' | 'on' | 'silent' | 'unknown' {
  while (options && (Node.isParenthesizedExpression(options) || Node.isAsExpression(options) || Node.isSatisfiesExpression(options))) options = options.getExpression();
  if (!options) return 'silent';
  if (depth > 4) return 'unknown';
  if (Node.isIdentifier(options)) {
    const initializer = constInitializerOf(options);
    return initializer ? breakerTimer(initializer, depth + 1) : 'unknown';
  }
  if (!Node.isObjectLiteralExpression(options)) return 'unknown';
  let timer: 'off' | 'on' | 'silent' | 'unknown' = 'silent';
  for (const property of options.getProperties()) {
    if (Node.isSpreadAssignment(property)) {
      const spread = breakerTimer(property.getExpression(), depth + 1);
      if (spread !== 'silent') timer = spread;
    } else if (Node.isPropertyAssignment(property) && property.getName() === 'timeout') {
      const kind = property.getInitializer()?.getKind();
      timer = kind === SyntaxKind.FalseKeyword ? 'off' : kind === SyntaxKind.NumericLiteral ? 'on' : 'unknown';
    } else if (!Node.isPropertyAssignment(property) && (property as { getName?(): string }).getName?.() === 'timeout') {
      timer = 'unknown'; // shorthand `{ timeout }`, an accessor
    }
  }
  return timer;
}

/** `policy.execute(() => …)` where the policy comes from cockatiel. */
export function isCockatielExecute(node: Node, wanted: 'circuitBreaker' | 'timeout'): boolean {
  if (!Node.isCallExpression(node)) return false;
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'execute') return false;
  const policy = callee.getExpression();
  return policyUses(policy, wanted, 0);
}

function policyUses(node: Node, wanted: string, depth: number): boolean {
  if (depth > 6) return false;
  if (Node.isCallExpression(node)) {
    const binding = importedBinding(node.getExpression());
    if (binding?.module === 'cockatiel' && (binding.exportName === wanted || (binding.exportName === 'wrap' && node.getArguments().some((arg) => policyUses(arg, wanted, depth + 1))))) return true;
    if (binding?.module === 'cockatiel' && binding.exportName === wanted) return true;
    return false;
  }
  // A policy in a const (also imported from another module), a class field (`this.policy`) or an object's property.
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    const declarations = symbolOfName(node)?.getDeclarations() ?? [];
    return declarations.some((declaration) => {
      if (!Node.isVariableDeclaration(declaration) && !Node.isPropertyDeclaration(declaration) && !Node.isPropertyAssignment(declaration)) return false;
      const initializer = declaration.getInitializer();
      return Boolean(initializer && policyUses(initializer, wanted, depth + 1));
    });
  }
  return false;
}

/** Where the value of an identifier was created: `const api = axios.create({ … })` → that call. */
export function creationOf(node: Node | undefined, depth = 0): Node | undefined {
  if (!node || depth > 6) return undefined;
  let current = node;
  while (Node.isParenthesizedExpression(current) || Node.isAwaitExpression(current) || Node.isNonNullExpression(current)) current = current.getExpression();
  if (Node.isCallExpression(current) || Node.isNewExpression(current)) return current;
  if (Node.isIdentifier(current) || Node.isPropertyAccessExpression(current)) {
    const symbol = symbolOfName(current);
    for (const declaration of symbol?.getDeclarations() ?? []) {
      if (Node.isVariableDeclaration(declaration) || Node.isPropertyDeclaration(declaration) || Node.isPropertyAssignment(declaration)) {
        const initializer = declaration.getInitializer();
        if (initializer) return creationOf(initializer, depth + 1);
      }
      // `export default axios.create({ … })`, imported under any name.
      if (Node.isExportAssignment(declaration)) return creationOf(declaration.getExpression(), depth + 1);
    }
  }
  return undefined;
}

/** The name a variable or property was declared with, to look for `name.defaults.timeout = …`. */
export function declaredNameOf(node: Node): { name: string; file: string } | undefined {
  const declaration = symbolOfName(node)?.getDeclarations()[0];
  if (!declaration || declaration.getSourceFile().isInNodeModules()) return undefined;
  if (Node.isVariableDeclaration(declaration) || Node.isPropertyDeclaration(declaration)) return { name: declaration.getName(), file: declaration.getSourceFile().getFilePath() };
  return undefined;
}

/** `name.defaults.timeout = 5_000` anywhere in the project's files. */
export function setsDefaultTimeout(anyNode: Node, name: string, onlyFile?: string): boolean {
  if (onlyFile) {
    const file = anyNode.getProject().getSourceFile(onlyFile);
    return Boolean(file && treeSetsDefaultTimeout(file.compilerNode, name));
  }
  // Every project file's text, asked at each axios call: counted once per name, then kept in step with the
  // program, so that an edit rescans one file.
  const project = anyNode.getProject();
  let settings = defaultTimeoutSettings.get(project);
  if (!settings) {
    const counts = new Map<string, number>();
    const recount = (tree: ts.SourceFile, by: 1 | -1): void => {
      for (const [known, count] of counts) if (treeSetsDefaultTimeout(tree, known)) counts.set(known, count + by);
    };
    settings = { index: new TreeIndex(isProjectTree, (tree) => recount(tree, 1), (tree) => recount(tree, -1)), counts };
    defaultTimeoutSettings.set(project, settings);
  }
  settings.index.sync(project);
  let count = settings.counts.get(name);
  if (count === undefined) {
    count = 0;
    for (const tree of settings.index.trees) if (treeSetsDefaultTimeout(tree, name)) count++;
    settings.counts.set(name, count);
  }
  return count > 0;
}

/** Per project, for each client name asked about: how many of its own files set `name.defaults.timeout`. */
const defaultTimeoutSettings = new WeakMap<Project, { index: TreeIndex; counts: Map<string, number> }>();
const defaultTimeoutByTree = new WeakMap<ts.SourceFile, Map<string, boolean>>();
/** One pattern per client name: a new name is looked for in every file of the project. */
const defaultTimeoutPatterns = new Map<string, RegExp>();

function treeSetsDefaultTimeout(tree: ts.SourceFile, name: string): boolean {
  let answers = defaultTimeoutByTree.get(tree);
  if (!answers) defaultTimeoutByTree.set(tree, (answers = new Map()));
  let answer = answers.get(name);
  if (answer === undefined) {
    let pattern = defaultTimeoutPatterns.get(name);
    if (!pattern) defaultTimeoutPatterns.set(name, (pattern = new RegExp(`\\b${escape(name)}\\.defaults\\.timeout\\s*=[^=]`)));
    // The text first, then the tree: a commented-out assignment, or `= 0`, sets no timeout.
    answers.set(name, (answer = pattern.test(tree.text) && assignsDefaultTimeout(tree, name)));
  }
  return answer;
}

function assignsDefaultTimeout(tree: ts.SourceFile, name: string): boolean {
  const target = `${name}.defaults.timeout`;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && node.left.getText(tree).replace(/\s+/g, '') === target) {
      const value = node.right.getText(tree);
      if (value !== '0' && value !== 'undefined' && value !== 'null') found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

/** The innermost function around a call, for messages. */
export function functionNameOf(node: Node): string | undefined {
  const fn = enclosingFunction(node);
  if (!fn) return undefined;
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  if (parent && Node.isVariableDeclaration(parent)) return parent.getName();
  return undefined;
}

export function relativeFile(node: Node, from: string): string {
  return path.relative(path.dirname(from), node.getSourceFile().getFilePath()) || path.basename(from);
}

