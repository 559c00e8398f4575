// ORM single-record lookups per item → one set-based call before the loop and a Map lookup in it:
// Prisma findUnique → findMany({ where: { f: { in } } }), TypeORM findOne(By) → find(By) with In(),
// Sequelize findOne/findByPk → findAll with Op.in, Mongoose findOne/findById → find with $in.
import { CallExpression, Node, ObjectLiteralExpression, SourceFile, SyntaxKind } from 'ts-morph';
import { moduleSpecifierOf } from '../../../server/src/engine/provenance';
import { quoteOf } from '../../../server/src/engine/rule-kit';
import type { Fix, RuleContext, TextEdit } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { anchorOf, awaitedUse, freshLocal, camel, capitalize, isLoopInvariant, itemKey, isUnconditional, itemBinding, keysFor, loopOnlyReads, perItemBody, inPlaceOf } from './shape';

export interface Plan {
  /** The set-based call, with `KEYS` where the key list goes. */
  batchCall(keys: string): string;
  field: string;
  key: Node;
  /** Keys compare by value as they are (numbers, strings), or by their string form (ObjectId). */
  stringKeys: boolean;
  /** The rewrite keeps the call's meaning exactly (a unique field, the same options). */
  exact: boolean;
  imports?: (edits: TextEdit[]) => string | undefined;
  /** The set-based method, for the title. */
  batchMethod: string;
}

export function ormLookupFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  if (!Node.isCallExpression(call) || site.via.length > 0 || call !== site.io.node) return [];
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return [];
  const edits: TextEdit[] = [];
  const plan = planFor(site.io.library, site.io.method, call, callee.getExpression().getText(), context.sourceFile, context.filePath);
  if (!plan) return [];

  const anchor = anchorOf(site);
  const body = perItemBody(site);
  const binding = itemBinding(site);
  const awaited = awaitedUse(call);
  if (!anchor?.canAwait || !body || !binding || !awaited) return [];
  const keySource = itemKey(plan.key, site, binding.declared);
  if (!keySource) return [];
  // Everything but the key must be the same for every item, or one call cannot serve them all.
  const others = call.getArguments().flatMap((argument) => argument.getDescendants()).filter((node) => node !== plan.key && !isInside(node, plan.key));
  if (!others.every((node) => !Node.isIdentifier(node) || isLoopInvariant(node, site))) return [];
  const keyList = keysFor(site, binding.params, keySource, anchor);
  if (!keyList) return [];
  const keys = keyList.text;

  let batchText = plan.batchCall(keys);
  if (plan.imports) {
    const local = plan.imports(edits);
    if (!local) return [];
    batchText = batchText.replace(/\bIN_IMPORT\b/g, local);
  }

  const stem = recordStem(awaited, callee.getExpression());
  const plural = stem.endsWith('s') ? `${stem}es` : `${stem}s`;
  const taken = keyList.prelude ? [keyList.edits[0].newText] : [];
  const records = freshLocal(anchor.statement, plural, taken) === plural ? plural : freshLocal(anchor.statement, `loaded${capitalize(plural)}`, taken);
  const byKey = freshLocal(anchor.statement, `${plural}By${capitalize(camel(plan.field))}`, [...taken, records]);
  const row = stem; // only the arrow below sees it
  const property = /^[A-Za-z_$][\w$]*$/.test(plan.field) ? `.${plan.field}` : `[${JSON.stringify(plan.field)}]`;
  const rowKey = plan.stringKeys ? `String(${row}${property})` : `${row}${property}`;
  const lookupKey = plan.stringKeys ? `String(${plan.key.getText()})` : plan.key.getText();
  const { indent } = anchor;
  const before = `const ${records} = await ${batchText};\n${indent}const ${byKey} = new Map(${records}.map((${row}) => [${rowKey}, ${row}]));\n${indent}`;

  const safe = plan.exact && isUnconditional(call, body) && loopOnlyReads(site, body, context);
  const file = context.filePath;
  return [{
    title: `Load all ${plural} with one ${plan.batchMethod}() before the loop`,
    kind: safe ? 'fix' : 'suggestion',
    edits: [
      ...edits,
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: keyList.prelude + before },
      ...keyList.edits.map((edit) => ({ ...edit, file })),
      { file, start: awaited.getStart(), end: awaited.getEnd(), newText: inPlaceOf(awaited, `${byKey}.get(${lookupKey}) ?? null`) },
    ],
  }];
}

export function planFor(library: string, method: string, call: CallExpression, receiver: string, sourceFile: SourceFile, file: string): Plan | undefined {
  const args = call.getArguments();
  const typeArgs = call.getTypeArguments().length ? `<${call.getTypeArguments().map((t) => t.getText()).join(', ')}>` : '';
  if (library === 'prisma' && (method === 'findUnique' || method === 'findFirst')) {
    const options = args[0];
    if (args.length !== 1 || !Node.isObjectLiteralExpression(options)) return undefined;
    const where = singleFieldWhere(options);
    if (!where) return undefined;
    const select = propertyOf(options, 'select');
    if (select && !(Node.isObjectLiteralExpression(select) && propertyOf(select, where.field)?.getText() === 'true')) return undefined;
    return {
      batchMethod: 'findMany',
      batchCall: (keys) => `${receiver}.findMany(${replaceWhere(options, where, `{ ${where.fieldText}: { in: ${keys} } }`)})`,
      field: where.field,
      key: where.key,
      stringKeys: false,
      // findFirst picks one of several matches by order; findMany + Map keeps the last one.
      exact: method === 'findUnique',
    };
  }
  if (library === 'typeorm' && (method === 'findOneBy' || method === 'findOne')) {
    const options = args[0];
    if (args.length !== 1 || !Node.isObjectLiteralExpression(options)) return undefined;
    const whereHolder = method === 'findOne' ? propertyOf(options, 'where') : options;
    if (!whereHolder || !Node.isObjectLiteralExpression(whereHolder)) return undefined;
    const single = singleField(whereHolder);
    if (!single) return undefined;
    const inCall = (keys: string): string => `{ ${single.fieldText}: IN_IMPORT(${keys}) }`;
    return {
      batchMethod: method === 'findOneBy' ? 'findBy' : 'find',
      batchCall: (keys) =>
        method === 'findOneBy'
          ? `${receiver}.findBy${typeArgs}(${inCall(keys)})`
          : `${receiver}.find${typeArgs}(${replaceWhere(options, { node: whereHolder }, inCall(keys))})`,
      field: single.field,
      key: single.key,
      stringKeys: false,
      // findOne on a non-unique column returns one of the matches; only an id lookup is the same.
      exact: single.field === 'id' && !propertyOf(options, 'order') && !propertyOf(options, 'select'),
      imports: (edits) => ensureNamedImport(sourceFile, file, 'typeorm', 'In', edits),
    };
  }
  if (library === 'sequelize' && (method === 'findByPk' || method === 'findOne')) {
    let keyNode: Node | undefined;
    let fieldText = 'id';
    let field = 'id';
    let options: ObjectLiteralExpression | undefined;
    if (method === 'findByPk') {
      keyNode = args[0];
      const second = args[1];
      if (args.length > 2 || (second && !Node.isObjectLiteralExpression(second))) return undefined;
      options = second as ObjectLiteralExpression | undefined;
      if (options && propertyOf(options, 'where')) return undefined;
    } else {
      options = args[0] as ObjectLiteralExpression;
      if (args.length !== 1 || !Node.isObjectLiteralExpression(options)) return undefined;
      const where = singleFieldWhere(options);
      if (!where) return undefined;
      ({ key: keyNode, field, fieldText } = where);
    }
    if (!keyNode) return undefined;
    const rest = options ? options.getProperties().filter((p) => !(Node.isPropertyAssignment(p) && p.getName() === 'where')).map((p) => p.getText()) : [];
    return {
      batchCall: (keys) => `${receiver}.findAll({ ${[`where: { ${fieldText}: { [IN_IMPORT.in]: ${keys} } }`, ...rest].join(', ')} })`,
      batchMethod: 'findAll',
      field,
      key: keyNode,
      stringKeys: false,
      // findByPk's key is the model's primary key, which is `id` only by convention.
      exact: method === 'findOne' && field === 'id' && rest.length === 0,
      imports: (edits) => ensureNamedImport(sourceFile, file, 'sequelize', 'Op', edits),
    };
  }
  if (library === 'mongoose' && (method === 'findById' || method === 'findOne')) {
    if (method === 'findById') {
      if (args.length !== 1) return undefined;
      return { batchMethod: 'find', batchCall: (keys) => `${receiver}.find({ _id: { $in: ${keys} } })`, field: '_id', key: args[0], stringKeys: true, exact: true };
    }
    const filter = args[0];
    if (args.length !== 1 || !Node.isObjectLiteralExpression(filter)) return undefined;
    const single = singleField(filter);
    if (!single) return undefined;
    return {
      batchMethod: 'find',
      batchCall: (keys) => `${receiver}.find({ ${single.fieldText}: { $in: ${keys} } })`,
      field: single.field,
      key: single.key,
      stringKeys: true,
      exact: single.field === '_id',
    };
  }
  return undefined;
}

interface Where {
  node: ObjectLiteralExpression;
  field: string;
  fieldText: string;
  key: Node;
}

/** `{ where: { field: key }, ... }`. */
function singleFieldWhere(options: ObjectLiteralExpression): Where | undefined {
  const where = propertyOf(options, 'where');
  if (!where || !Node.isObjectLiteralExpression(where)) return undefined;
  const single = singleField(where);
  return single ? { node: where, ...single } : undefined;
}

/** `{ field: key }` or `{ key }` with one property. */
function singleField(object: ObjectLiteralExpression): { field: string; fieldText: string; key: Node } | undefined {
  const properties = object.getProperties();
  if (properties.length !== 1) return undefined;
  const [property] = properties;
  if (Node.isShorthandPropertyAssignment(property)) return { field: property.getName(), fieldText: property.getName(), key: property.getNameNode() };
  if (!Node.isPropertyAssignment(property)) return undefined;
  const nameNode = property.getNameNode();
  if (!Node.isIdentifier(nameNode) && !Node.isStringLiteral(nameNode)) return undefined;
  const key = property.getInitializer();
  if (!key || Node.isObjectLiteralExpression(key)) return undefined;
  return { field: Node.isStringLiteral(nameNode) ? nameNode.getLiteralValue() : nameNode.getText(), fieldText: nameNode.getText(), key };
}

function propertyOf(object: ObjectLiteralExpression, name: string): Node | undefined {
  const property = object.getProperty(name);
  if (property && Node.isPropertyAssignment(property)) return property.getInitializer();
  if (property && Node.isShorthandPropertyAssignment(property)) return property.getNameNode();
  return undefined;
}

/** The options object's text with its `where` value replaced, everything else as written. */
function replaceWhere(options: ObjectLiteralExpression, where: { node: Node }, newWhere: string): string {
  const text = options.getText();
  const offset = options.getStart();
  return text.slice(0, where.node.getStart() - offset) + newWhere + text.slice(where.node.getEnd() - offset);
}

/** A singular, lower-camel name for one record, from the type the lookup resolves to. */
function recordStem(awaited: Node, receiver: Node): string {
  const type = awaited.getType();
  const parts = type.isUnion() ? type.getUnionTypes().filter((t) => !t.isNull() && !t.isUndefined()) : [type];
  const symbol = parts[0]?.getAliasSymbol() ?? parts[0]?.getSymbol();
  const name = symbol?.getName();
  if (name && !name.startsWith('__') && !/^(Document|HydratedDocument|Model|Object)$/.test(name)) return camel(name);
  // `AuthorModel.findById`, `prisma.author.findUnique`: the model's name, without the suffix.
  const receiverName = Node.isPropertyAccessExpression(receiver) ? receiver.getName() : Node.isIdentifier(receiver) ? receiver.getText() : '';
  const model = receiverName.replace(/(Model|Repository|Repo)$/, '');
  return model && /^[A-Za-z]/.test(model) ? camel(model) : 'record';
}

function isInside(node: Node, container: Node): boolean {
  return node.getPos() >= container.getPos() && node.getEnd() <= container.getEnd();
}

/**
 * The local name of `name` from `module`, adding it to an existing named import or as a new import
 * after the last one. Undefined when the name is taken by something else.
 */
export function ensureNamedImport(sourceFile: SourceFile, file: string, module: string, name: string, edits: TextEdit[]): string | undefined {
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== module) continue;
    const existing = declaration.getNamedImports().find((named) => named.getName() === name && !named.isTypeOnly());
    if (existing && !declaration.isTypeOnly()) return existing.getAliasNode()?.getText() ?? name;
  }
  const taken = sourceFile.getDescendantsOfKind(SyntaxKind.Identifier).some((identifier) => identifier.getText() === name);
  if (taken) return undefined;
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== module || declaration.isTypeOnly()) continue;
    const named = declaration.getNamedImports();
    if (named.length > 0) {
      const last = named[named.length - 1];
      // Replacing the last specifier (not inserting after it) makes two fixes adding the name overlap,
      // so fix-all applies one and the next run sees the import.
      edits.push({ file, start: last.getStart(), end: last.getEnd(), newText: `${last.getText()}, ${name}` });
      return name;
    }
  }
  const imports = sourceFile.getImportDeclarations();
  const quote = quoteOf(sourceFile);
  const statement = `import { ${name} } from ${quote}${module}${quote};`;
  if (imports.length > 0) edits.push({ file, start: imports[imports.length - 1].getEnd(), end: imports[imports.length - 1].getEnd(), newText: `\n${statement}` });
  else edits.push({ file, start: 0, end: 0, newText: `${statement}\n` });
  return name;
}
