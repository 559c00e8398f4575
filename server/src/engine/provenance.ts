// Where does a value come from? Asked of the type checker first; when the library's types do not
// resolve (no node_modules, plain JS), the import declarations the value flows from answer instead.
import { ImportDeclaration, Node, Type, Symbol as MorphSymbol, SyntaxKind, ts, VariableDeclarationKind } from 'ts-morph';
import { MODULE_ALIASES } from './io-model';

export interface Origin {
  /** Packages that declare the value's type ('ioredis'), 'lib' for TypeScript's lib, 'project' for own code. */
  modules: Set<string>;
  /** Names of the value's type, or of the import/constructor it was made from. */
  typeNames: Set<string>;
  via: 'type' | 'import';
  /**
   * Import mode only: the member and call steps from the imported value to this expression,
   * e.g. ['user'] for `prisma.user`, ['pipeline()'] for `redis.pipeline()`.
   */
  path: string[];
}

const MAX_DEPTH = 12;

/**
 * A pure string function, answers remembered: asked again at every type and import looked at. Kept up to a
 * bound, since a language server lives long.
 */
function remembered(compute: (key: string) => string): (key: string) => string {
  const answers = new Map<string, string>();
  return (key) => {
    let known = answers.get(key);
    if (known === undefined) {
      if (answers.size >= 50_000) answers.clear();
      answers.set(key, (known = compute(key)));
    }
    return known;
  };
}

/** 'ioredis' for …/node_modules/ioredis/built/Redis.d.ts; '@redis/client' for scoped packages. */
export function packageOfFile(filePath: string): string {
  return packageOfPath(filePath);
}

const packageOfPath = remembered(computePackageOfFile);

function computePackageOfFile(filePath: string): string {
  const normalized = filePath.replace(/\\/g, '/');
  const at = normalized.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const rest = normalized.slice(at + '/node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (name === 'typescript' && /\/lib\/lib\.[^/]*\.d\.ts$/.test(normalized)) return 'lib';
    if (name === '@ts-morph/common' || name === 'ts-morph') return 'lib';
    return name;
  }
  if (/\/lib\.[^/]*\.d\.ts$/.test(normalized) && normalized.startsWith('/node_modules/typescript/lib')) return 'lib';
  return 'project';
}

/** Canonical package name for an import specifier: 'node:http' → 'http', 'mysql2/promise' → 'mysql2'. */
export function normalizeModule(specifier: string): string {
  return moduleOfSpecifier(specifier);
}

const moduleOfSpecifier = remembered(computeNormalizeModule);

function computeNormalizeModule(specifier: string): string {
  if (MODULE_ALIASES[specifier]) return MODULE_ALIASES[specifier];
  if (specifier.startsWith('node:')) return specifier.slice(5);
  if (specifier.startsWith('.') || specifier.startsWith('/')) return specifier;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  // DefinitelyTyped declarations stand for their package: @types/pg → pg, @types/scope__pkg → @scope/pkg.
  if (name.startsWith('@types/')) {
    const bare = name.slice('@types/'.length);
    return bare.includes('__') ? `@${bare.replace('__', '/')}` : MODULE_ALIASES[bare] ?? bare;
  }
  return MODULE_ALIASES[name] ?? name;
}

export function isLibraryModule(module: string): boolean {
  return module !== 'project' && module !== 'lib';
}

/** The origin of an expression's value: type checker first, imports when the type is unresolved. */
export function originOf(expression: Node): Origin | undefined {
  const byType = typeOrigin(safeType(expression), 0);
  if (byType && [...byType.modules].some(isLibraryModule)) return byType;
  const byImport = importOrigin(expression, 0);
  if (byImport) return byImport;
  return byType;
}

function safeType(node: Node): Type | undefined {
  try {
    return constructedClassType(node) ?? node.getType();
  } catch {
    return undefined;
  }
}

/**
 * `redis` where `const redis = new Redis(url, options)` (or a `readonly` property so initialised): the
 * class's own type, read from its declaration. Asking the checker for the variable's type makes it choose
 * among the constructor's overloads (ioredis has a dozen), and in the editor a new checker does that
 * again after every edit, for a client declared once in a file that did not change.
 */
export function constructedClassType(node: Node): Type | undefined {
  if (!Node.isIdentifier(node) && !Node.isPropertyAccessExpression(node)) return undefined;
  const declarations = symbolOfName(node)?.getDeclarations();
  if (declarations?.length !== 1) return undefined;
  const [declaration] = declarations;
  const isConstant =
    (Node.isVariableDeclaration(declaration) && (declaration.getVariableStatement()?.getDeclarationKind() === 'const' || declaration.getParent().getFlags() & ts.NodeFlags.Const)) ||
    (Node.isPropertyDeclaration(declaration) && declaration.isReadonly());
  if (!isConstant || declaration.getTypeNode()) return undefined;
  let initializer = declaration.getInitializer();
  while (initializer && Node.isParenthesizedExpression(initializer)) initializer = initializer.getExpression();
  if (!initializer || !Node.isNewExpression(initializer)) return undefined;
  const constructor = throughAlias(initializer.getExpression().getSymbol());
  const constructorDeclarations = constructor?.getDeclarations() ?? [];
  // A class (merged with an interface or a namespace, as declaration files do): every construct signature
  // makes its instance. A variable with construct signatures (lib's `Map`) may return anything; the checker answers that.
  const classLike = (d: Node) => Node.isClassDeclaration(d) || Node.isInterfaceDeclaration(d) || Node.isModuleDeclaration(d);
  if (!constructorDeclarations.some(Node.isClassDeclaration) || !constructorDeclarations.every(classLike)) return undefined;
  return constructor!.getDeclaredType();
}

/** What a name, or the name of `a.b`, means, through an import: the ts-morph twin of project-index's `rawSymbolOf`. */
export function symbolOfName(node: Node): MorphSymbol | undefined {
  return throughAlias((Node.isPropertyAccessExpression(node) ? node.getNameNode() : node).getSymbol());
}

/** The initializer of the `const` a name refers to, also through an import. */
export function constInitializerOf(name: Node): Node | undefined {
  const declaration = symbolOfName(name)?.getDeclarations().find(Node.isVariableDeclaration);
  return declaration && declaration.getVariableStatement()?.getDeclarationKind() === VariableDeclarationKind.Const ? declaration.getInitializer() : undefined;
}

/** The symbol an import alias stands for; any other symbol as it is. */
export function throughAlias(symbol: MorphSymbol | undefined): MorphSymbol | undefined {
  return symbol?.isAlias() ? symbol.getAliasedSymbol() ?? symbol : symbol;
}

/**
 * Origins of whole types, per compiler type object: a checker makes each type once, and the same client
 * and router types come back at thousands of call sites, each costing a walk over declarations (lib's
 * `Promise` has a dozen). Types belong to one checker, so a new program starts empty. Shared, so read-only.
 */
const originOfType = new WeakMap<ts.Type, Origin | null>();

export function typeOrigin(type: Type | undefined, depth: number): Origin | undefined {
  if (!type || depth > MAX_DEPTH) return undefined;
  // Only top-level answers are kept: deeper ones were cut short by MAX_DEPTH from where they were asked.
  if (depth > 0) return computeTypeOrigin(type, depth);
  const known = originOfType.get(type.compilerType);
  if (known !== undefined) return known ?? undefined;
  const origin = computeTypeOrigin(type, 0);
  originOfType.set(type.compilerType, origin ?? null);
  return origin;
}

function computeTypeOrigin(type: Type, depth: number): Origin | undefined {
  if (type.isAny() || type.isUnknown()) return undefined;
  const origin: Origin = { modules: new Set(), typeNames: new Set(), via: 'type', path: [] };
  // The alias names the whole type (`RedisClientType`), even when it is an intersection underneath.
  const alias = type.getAliasSymbol();
  if (alias) addSymbol(origin, alias, depth);
  const parts = type.isUnion() ? type.getUnionTypes() : type.isIntersection() ? type.getIntersectionTypes() : [type];
  for (const part of parts) {
    if (part.isAny() || part.isUndefined() || part.isNull()) continue;
    const symbols = [part.getAliasSymbol(), part.getSymbol(), part.getTargetType()?.getSymbol()];
    for (const symbol of symbols) if (symbol) addSymbol(origin, symbol, depth);
    if (part.isIntersection()) {
      for (const inner of part.getIntersectionTypes()) {
        const symbol = inner.getSymbol();
        if (symbol) addSymbol(origin, symbol, depth);
      }
    }
  }
  return origin.modules.size > 0 ? origin : undefined;
}

function addSymbol(origin: Origin, symbol: MorphSymbol, depth: number): void {
  origin.typeNames.add(symbol.getName());
  for (const declaration of symbol.getDeclarations()) {
    const module = packageOfFile(declaration.getSourceFile().getFilePath());
    origin.modules.add(module);
    // A project class that extends a library class (a custom TypeORM repository, a Sequelize model)
    // belongs to that library too.
    if (module === 'project' && Node.isClassDeclaration(declaration)) {
      const base = declaration.getExtends();
      const baseOrigin = base ? typeOrigin(safeType(base.getExpression()), depth + 1) ?? importOrigin(base.getExpression(), depth + 1) : undefined;
      if (baseOrigin) merge(origin, baseOrigin);
    }
  }
}

function merge(into: Origin, from: Origin): void {
  for (const module of from.modules) into.modules.add(module);
  for (const name of from.typeNames) into.typeNames.add(name);
}

function unwrap(node: Node): Node {
  let current = node;
  for (;;) {
    if (Node.isParenthesizedExpression(current) || Node.isNonNullExpression(current) || Node.isAwaitExpression(current) || Node.isSatisfiesExpression(current)) {
      current = current.getExpression();
    } else {
      return current;
    }
  }
}

/** Follows a value back through variables, parameters, properties and calls to the import it came from. */
export function importOrigin(node: Node, depth: number): Origin | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const expression = unwrap(node);

  if (Node.isAsExpression(expression) || Node.isTypeAssertion(expression)) {
    const typeNode = expression.getTypeNode();
    return (typeNode && typeNodeOrigin(typeNode, depth + 1)) ?? importOrigin(expression.getExpression(), depth + 1);
  }
  if (Node.isNewExpression(expression)) {
    // `new pg.Pool()` is a Pool instance: the member step names the type, not a path to walk.
    const ctor = importOrigin(expression.getExpression(), depth + 1);
    if (!ctor) return undefined;
    const last = ctor.path[ctor.path.length - 1];
    return { ...ctor, typeNames: last ? new Set([last]) : ctor.typeNames, path: [] };
  }
  if (Node.isCallExpression(expression)) {
    const callee = unwrap(expression.getExpression());
    if (Node.isIdentifier(callee) && callee.getText() === 'require') {
      const [argument] = expression.getArguments();
      if (argument && Node.isStringLiteral(argument)) return importedModule(argument.getLiteralValue(), 'default');
      return undefined;
    }
    if (Node.isPropertyAccessExpression(callee)) {
      return withStep(importOrigin(callee.getExpression(), depth + 1), `${callee.getName()}()`);
    }
    // `createClient()`, `knex(config)`: the value made by an imported factory.
    return importOrigin(callee, depth + 1);
  }
  if (Node.isPropertyAccessExpression(expression)) {
    const viaSymbol = knownSymbolOrigin(expression, expression.getNameNode().getSymbol(), depth + 1);
    if (viaSymbol) return viaSymbol;
    return withStep(importOrigin(expression.getExpression(), depth + 1), expression.getName());
  }
  if (Node.isIdentifier(expression)) {
    return knownSymbolOrigin(expression, expression.getSymbol(), depth + 1);
  }
  return undefined;
}

function withStep(origin: Origin | undefined, step: string | undefined): Origin | undefined {
  if (!origin || !step) return origin;
  return { ...origin, path: [...origin.path, step] };
}

function importedModule(specifier: string | undefined, importedName: string): Origin | undefined {
  if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  return { modules: new Set([normalizeModule(specifier)]), typeNames: new Set([importedName]), via: 'import', path: [] };
}

/**
 * symbolOrigin, remembered per program: every use of a client or router name (`redis.get`, `router.get`)
 * follows the same declarations and imports back. The answer can change only with the program (an edit to
 * the declaring or an imported file), and a symbol of a file the edit did not touch lives on into the next.
 */
function knownSymbolOrigin(at: Node, symbol: MorphSymbol | undefined, depth: number): Origin | undefined {
  if (!symbol || depth > MAX_DEPTH) return undefined;
  const program = at.getProject().getProgram().compilerObject;
  let bySymbol = symbolOrigins.get(program);
  if (!bySymbol) symbolOrigins.set(program, (bySymbol = new WeakMap()));
  let byDepth = bySymbol.get(symbol.compilerSymbol);
  if (!byDepth) bySymbol.set(symbol.compilerSymbol, (byDepth = []));
  // The depth left decides where MAX_DEPTH cuts a long chain short, so it is part of the key.
  const known = byDepth[depth];
  if (known !== undefined) return known ?? undefined;
  const origin = symbolOrigin(symbol, depth);
  byDepth[depth] = origin ?? null;
  return origin;
}

const symbolOrigins = new WeakMap<ts.Program, WeakMap<ts.Symbol, (Origin | null | undefined)[]>>();

function symbolOrigin(symbol: MorphSymbol | undefined, depth: number): Origin | undefined {
  if (!symbol || depth > MAX_DEPTH) return undefined;
  for (const declaration of symbol.getDeclarations()) {
    const origin = declarationOrigin(declaration, symbol, depth);
    if (origin) return origin;
  }
  return undefined;
}

/**
 * The module an import declaration names, or undefined when the specifier is not a string literal
 * (a half-typed or broken import in an editor buffer; ts-morph's getModuleSpecifierValue throws there).
 */
export function moduleSpecifierOf(declaration: ImportDeclaration | undefined): string | undefined {
  // The compiler node, because ts-morph's getModuleSpecifier throws on a non-literal specifier too.
  const specifier = declaration?.compilerNode.moduleSpecifier;
  return specifier && ts.isStringLiteral(specifier) ? specifier.text : undefined;
}

function declarationOrigin(declaration: Node, symbol: MorphSymbol, depth: number): Origin | undefined {
  const file = declaration.getSourceFile();
  if (file.isDeclarationFile() || file.isInNodeModules()) {
    const module = packageOfFile(file.getFilePath());
    return isLibraryModule(module)
      ? { modules: new Set([module]), typeNames: new Set([symbol.getName()]), via: 'import', path: [] }
      : undefined;
  }
  // Imports: follow into the module when it resolves (a project file, `paths` aliases included, or a
  // library's declarations); otherwise the specifier itself names the library.
  if (Node.isImportSpecifier(declaration)) {
    const specifier = moduleSpecifierOf(declaration.getImportDeclaration());
    return aliasedOrigin(symbol, depth) ?? importedModule(specifier, declaration.getName());
  }
  if (Node.isImportClause(declaration)) {
    const specifier = moduleSpecifierOf(declaration.getParentIfKind(SyntaxKind.ImportDeclaration));
    return aliasedOrigin(symbol, depth) ?? importedModule(specifier, 'default');
  }
  if (Node.isNamespaceImport(declaration)) {
    const specifier = moduleSpecifierOf(declaration.getFirstAncestorByKind(SyntaxKind.ImportDeclaration));
    return aliasedOrigin(symbol, depth) ?? importedModule(specifier, '*');
  }
  if (Node.isImportEqualsDeclaration(declaration)) {
    const reference = declaration.getModuleReference();
    if (Node.isExternalModuleReference(reference)) {
      const argument = reference.getExpression();
      if (argument && Node.isStringLiteral(argument)) return importedModule(argument.getLiteralValue(), '*') ?? aliasedOrigin(symbol, depth);
    }
    return undefined;
  }
  if (Node.isBindingElement(declaration)) {
    // const { Pool } = require('pg')  /  const { Pool } = pg
    const pattern = declaration.getParent();
    const variable = pattern?.getParent();
    if (variable && Node.isVariableDeclaration(variable)) {
      const initializer = variable.getInitializer();
      const name = (declaration.getPropertyNameNode() ?? declaration.getNameNode()).getText();
      const origin = initializer ? importOrigin(initializer, depth + 1) : undefined;
      if (origin) return { ...origin, typeNames: new Set([name]), path: origin.path };
    }
    return undefined;
  }
  if (Node.isVariableDeclaration(declaration) || Node.isPropertyDeclaration(declaration) || Node.isParameterDeclaration(declaration) || Node.isPropertySignature(declaration)) {
    const typeNode = declaration.getTypeNode();
    const fromType = typeNode ? typeNodeOrigin(typeNode, depth + 1) : undefined;
    if (fromType) return fromType;
    const initializer = Node.isPropertySignature(declaration) ? undefined : declaration.getInitializer();
    if (initializer) return importOrigin(initializer, depth + 1);
    return undefined;
  }
  if (Node.isPropertyAssignment(declaration)) {
    const initializer = declaration.getInitializer();
    return initializer ? importOrigin(initializer, depth + 1) : undefined;
  }
  if (Node.isShorthandPropertyAssignment(declaration)) {
    return importOrigin(declaration.getNameNode(), depth + 1);
  }
  if (Node.isClassDeclaration(declaration)) {
    const base = declaration.getExtends();
    return base ? importOrigin(base.getExpression(), depth + 1) : undefined;
  }
  if (Node.isFunctionDeclaration(declaration) || Node.isMethodDeclaration(declaration)) {
    const returnType = declaration.getReturnTypeNode();
    return returnType ? typeNodeOrigin(returnType, depth + 1) : undefined;
  }
  return undefined;
}

/** Follows `import { redis } from './cache'` into the exporting file. */
function aliasedOrigin(symbol: MorphSymbol, depth: number): Origin | undefined {
  let target: MorphSymbol | undefined;
  try {
    target = symbol.getAliasedSymbol();
  } catch {
    return undefined;
  }
  if (!target || target === symbol || target.getDeclarations().length === 0) return undefined;
  return symbolOrigin(target, depth + 1);
}

function typeNodeOrigin(typeNode: Node, depth: number): Origin | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (Node.isTypeReference(typeNode)) {
    const name = typeNode.getTypeName();
    const rightmost = Node.isQualifiedName(name) ? name.getRight() : name;
    const origin = Node.isQualifiedName(name) ? importOrigin(leftmostOfQualified(name), depth + 1) : symbolOrigin(name.getSymbol(), depth + 1);
    if (origin) return { ...origin, typeNames: new Set([rightmost.getText()]), path: [] };
    return undefined;
  }
  if (Node.isUnionTypeNode(typeNode)) {
    for (const member of typeNode.getTypeNodes()) {
      const origin = typeNodeOrigin(member, depth + 1);
      if (origin) return origin;
    }
  }
  return undefined;
}

function leftmostOfQualified(name: Node): Node {
  let current = name;
  while (Node.isQualifiedName(current)) current = current.getLeft();
  return current;
}
