// GraphQL field resolvers run once per parent object. The fix loads through a DataLoader that lives as
// long as the request: one per GraphQL context object (a WeakMap keyed by it), so loads from every
// parent in one request batch together. ORM lookups get a set-based batch function; helpers and HTTP
// calls a per-key one. Always a suggestion: the context object must really be one per request.
import { CallExpression, Node } from 'ts-morph';
import type { Fix, RuleContext, TextEdit } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { dataLoaderImport, isNamePath, loaderStem } from './dataloader';
import { planFor } from './orm';
import { camel, capitalize, freshLocal, identifiersIn, isInside, isRead } from './shape';

export function resolverLoaderFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  const resolver = site.callback ?? site.loop;
  if (site.kind !== 'field-resolver' || !Node.isCallExpression(call)) return [];
  if (!Node.isArrowFunction(resolver) && !Node.isFunctionExpression(resolver) && !(Node.isMethodDeclaration(resolver) && Node.isObjectLiteralExpression(resolver.getParent()))) return [];
  if (!context.summaries.ioOfCall(call).every((path) => isRead(path.io))) return [];
  const anchor = statementAround(resolver);
  if (!anchor) return [];
  const params = resolver.getParameters();
  if (params.length === 0 || params.length > 4 || params.some((p) => p.isRestParameter())) return [];
  const contextParam = params[2];
  if (contextParam && !Node.isIdentifier(contextParam.getNameNode())) return [];

  const plan = batchFunction(site, call, context, anchor);
  if (!plan) return [];
  // Everything the batch function uses must be visible where it is declared, before the resolvers.
  if (!plan.uses.every((node) => visibleBefore(node, anchor, resolver))) return [];

  const edits: TextEdit[] = [];
  const loaderClass = dataLoaderImport(context.sourceFile, context.filePath, edits);
  if (!loaderClass) return [];
  const stem = plan.stem;
  const factory = freshLocal(anchor, `make${capitalize(stem)}Loader`, plan.names);
  const perRequest = freshLocal(anchor, `${stem}Loaders`, [...plan.names, factory]);
  const getter = freshLocal(anchor, `${stem}LoaderFor`, [...plan.names, factory, perRequest]);
  const indent = indentOfLine(anchor);
  const unit = /\t/.test(indent) ? '\t' : '  ';
  const lines = [
    `const ${factory} = () =>`,
    `${unit}new ${loaderClass}(${plan.batch.split('\n').join(`\n${indent}${unit}`)});`,
    `// One loader per request: the GraphQL context object lives exactly as long as its request, so`,
    `// loads from every parent object of one response are batched together and cached for it only.`,
    `const ${perRequest} = new WeakMap<object, ReturnType<typeof ${factory}>>();`,
    `function ${getter}(context: object): ReturnType<typeof ${factory}> {`,
    `${unit}let loader = ${perRequest}.get(context);`,
    `${unit}if (!loader) {`,
    `${unit}${unit}loader = ${factory}();`,
    `${unit}${unit}${perRequest}.set(context, loader);`,
    `${unit}}`,
    `${unit}return loader;`,
    `}`,
  ];
  const before = lines.join(`\n${indent}`) + `\n\n${indent}`;

  const file = context.filePath;
  let contextName: string;
  if (contextParam) {
    contextName = contextParam.getName();
  } else {
    // (parent) → (parent, _args: unknown, context: object): wider than any resolver type expects, so it still fits.
    contextName = freshLocal(call, 'context');
    const last = params[params.length - 1];
    const added = params.length === 1 ? `, _args: unknown, ${contextName}: object` : `, ${contextName}: object`;
    edits.push({ file, start: last.getStart(), end: last.getEnd(), newText: `${last.getText()}${added}` });
  }
  return [{
    title: `Load through a DataLoader per request (${getter}(${contextName}).load)`,
    kind: 'suggestion',
    edits: [
      ...edits,
      { file, start: anchor.getStart(), end: anchor.getStart(), newText: before },
      { file, start: call.getStart(), end: call.getEnd(), newText: `${getter}(${contextName}).load(${plan.key.getText()})` },
    ],
  }];
}

interface BatchPlan {
  /** `async (keys: readonly number[]) => …`, lines joined by \n, unindented. */
  batch: string;
  key: Node;
  stem: string;
  /** Nodes of the original call the batch function repeats (they must be visible before the resolvers). */
  uses: Node[];
  names: string[];
}

function batchFunction(site: NPlusOneSite, call: CallExpression, context: RuleContext, anchor: Node): BatchPlan | undefined {
  const callee = call.getExpression();
  const resolver = site.callback ?? site.loop;
  const varying = call.getArguments().filter((argument) => dependsOn(argument, resolver));
  // A known ORM lookup: one set-based query, results in key order, null for a missing key.
  if (site.via.length === 0 && Node.isPropertyAccessExpression(callee)) {
    const plan = planFor(site.io.library, site.io.method, call, callee.getExpression().getText(), context.sourceFile, context.filePath);
    const keyType = plan && primitiveType(plan.key);
    if (plan && keyType && dependsOn(plan.key, resolver) && !plan.imports) {
      const keys = freshLocal(anchor, 'keys');
      const stem = camel(plan.field === 'id' || plan.field === '_id' ? recordStemOf(callee) : plan.field);
      const records = freshLocal(anchor, `${stem}s`, [keys]);
      const byKey = freshLocal(anchor, `${stem}sBy${capitalize(camel(plan.field))}`, [keys, records]);
      const row = stem;
      const rowKey = plan.stringKeys ? `String(${row}.${plan.field})` : `${row}.${plan.field}`;
      const lookup = plan.stringKeys ? 'String(key)' : 'key';
      const others = call.getArguments().flatMap((argument) => identifiersIn(argument)).filter((node) => !isInside(node, plan.key));
      return {
        batch: [
          `async (${keys}: readonly ${keyType}[]) => {`,
          `  const ${records} = await ${plan.batchCall(`[...${keys}]`)};`,
          `  const ${byKey} = new Map(${records}.map((${row}) => [${rowKey}, ${row}]));`,
          `  return ${keys}.map((key) => ${byKey}.get(${lookup}) ?? null);`,
          `}`,
        ].join('\n'),
        key: plan.key,
        stem,
        uses: [callee.getExpression(), ...others],
        names: [keys, records, byKey],
      };
    }
  }
  // Helpers and HTTP: one call per key, deduplicated per request.
  if (varying.length !== 1 || !isNamePath(callee)) return undefined;
  if (site.via.length === 0 && site.io.kind !== 'http') return undefined;
  if (site.via.length === 0 && ['fetch', 'node-fetch', 'undici', 'node-http'].includes(site.io.library)) return undefined;
  const [key] = varying;
  const keyType = primitiveType(key);
  if (!keyType || Node.isSpreadElement(key)) return undefined;
  const keys = freshLocal(anchor, 'keys');
  const keyName = freshLocal(anchor, 'key', [keys]);
  const args = call.getArguments().map((argument) => (argument === key ? keyName : argument.getText())).join(', ');
  const typeArgs = call.getTypeArguments().length > 0 ? `<${call.getTypeArguments().map((t) => t.getText()).join(', ')}>` : '';
  return {
    batch: `async (${keys}: readonly ${keyType}[]) => Promise.all(${keys}.map((${keyName}) => ${callee.getText()}${typeArgs}(${args})))`,
    key,
    stem: loaderStem(callee, site),
    uses: call.getArguments().filter((argument) => argument !== key).concat([callee]),
    names: [keys, keyName],
  };
}

function recordStemOf(callee: Node): string {
  const receiver = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : callee;
  const name = Node.isPropertyAccessExpression(receiver) ? receiver.getName() : receiver.getText();
  return name.replace(/(Model|Repository|Repo)$/, '').replace(/s$/, '') || 'record';
}

function primitiveType(node: Node): string | undefined {
  const type = node.getType();
  if (type.isNumber() || type.isNumberLiteral()) return 'number';
  if (type.isString() || type.isStringLiteral() || type.isTemplateLiteral()) return 'string';
  return undefined;
}

/** Some name in `node` is a parameter or local of the resolver. */
function dependsOn(node: Node, resolver: Node): boolean {
  return identifiersIn(node).some((identifier) => (identifier.getSymbol()?.getDeclarations() ?? []).some((declaration) => isInside(declaration, resolver)));
}

/** Every name in `node` is declared outside the statement the loader code goes before (or is global). */
function visibleBefore(node: Node, anchor: Node, resolver: Node): boolean {
  return identifiersIn(node).every((identifier) => {
    return (identifier.getSymbol()?.getDeclarations() ?? []).every((declaration) => !isInside(declaration, anchor) && !isInside(declaration, resolver));
  });
}

/** The statement (in a block or the file) that holds the resolver map. */
function statementAround(resolver: Node): Node | undefined {
  let node: Node = resolver;
  for (let parent = node.getParent(); parent; node = parent, parent = parent.getParent()) {
    if ((Node.isBlock(parent) || Node.isSourceFile(parent)) && Node.isStatement(node)) return node;
  }
  return undefined;
}

function indentOfLine(node: Node): string {
  const text = node.getSourceFile().getFullText();
  let start = node.getStart();
  while (start > 0 && text[start - 1] !== '\n') start--;
  return /^[ \t]*/.exec(text.slice(start))![0];
}
