// Anything without a set-based twin we can write (a helper, an HTTP call): load through a DataLoader
// made once per call of the function around the loop, i.e. per request. Repeated keys load once, and
// its batch function is the one place left to turn N lookups into one query. Always a suggestion.
import { Node, SourceFile, ts } from 'ts-morph';
import { moduleSpecifierOf } from '../../../server/src/engine/provenance';
import { freshName, quoteOf, resultMethodIsUsed } from '../../../server/src/engine/rule-kit';
import type { Fix, RuleContext, TextEdit } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { anchorOf, camel, freshLocal, isLoopInvariant, isRead } from './shape';

const STREAMED = new Set(['fetch', 'node-fetch', 'undici', 'node-http']);

export function dataLoaderFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  // A field resolver needs its loader in the request context, which the fix cannot see from here.
  if (!Node.isCallExpression(call) || site.kind === 'field-resolver' || insideBatchFunction(site.loop)) return [];
  // A fetch Response body can be read once: a loader sharing it between repeated keys would break.
  if (site.via.length === 0 && STREAMED.has(site.io.library)) return [];
  // A direct query has a set-based form or none; a loader around the driver call itself adds nothing.
  if (site.via.length === 0 && site.io.kind !== 'http') return [];
  // A loader caches and deduplicates: right for reads only.
  if (!context.summaries.ioOfCall(call).every((path) => isRead(path.io))) return [];
  const callee = call.getExpression();
  if (!isNamePath(callee) || !isLoopInvariant(callee, site)) return [];
  if (resultMethodIsUsed(call)) return [];
  const anchor = anchorOf(site);
  if (!anchor) return [];
  // One argument varies with the item (the key); the others are the same for every item.
  const args = call.getArguments();
  const varying = args.filter((argument) => !isLoopInvariant(argument, site));
  if (varying.length !== 1) return [];
  const [key] = varying;
  // The key is evaluated where the call was, in the loop: any expression will do but a spread.
  if (Node.isSpreadElement(key)) return [];
  // Loader keys compare by identity: a fresh array or object per item would never be shared.
  if (Node.isArrayLiteralExpression(key) || Node.isObjectLiteralExpression(key)) return [];

  const edits: TextEdit[] = [];
  const loaderClass = dataLoaderImport(context.sourceFile, context.filePath, edits);
  if (!loaderClass) return [];
  // The import goes after the file's last import; in a half-typed buffer that "import" can run on into the
  // code the loader is declared in (`export import function …`), and the edits would overlap.
  if (edits.some((edit) => edit.end > anchor.statement.getStart())) return [];
  const name = freshLocal(anchor.statement, `${loaderStem(callee, site)}Loader`);
  const position = args.indexOf(key);
  const keyParam = freshLocal(anchor.statement, 'key', [name]);
  const keysParam = freshLocal(anchor.statement, 'keys', [name, keyParam]);
  const typeArgs = call.getTypeArguments().length > 0 ? `<${call.getTypeArguments().map((t) => t.getText()).join(', ')}>` : '';
  const perKey = `${callee.getText()}${typeArgs}(${args.map((argument, i) => (i === position ? keyParam : argument.getText())).join(', ')})`;
  const type = key.getType();
  const keyType = type.isNumber() || type.isNumberLiteral() ? 'number' : type.isString() || type.isStringLiteral() || type.isTemplateLiteral() ? 'string' : `Parameters<typeof ${callee.getText()}>[${position}]`;
  const { indent, unit } = anchor;
  const before =
    `// One loader per request: repeated keys load once. Make its batch function one set-based query\n` +
    `${indent}// (results in key order, one per key, null when missing) to turn N round trips into one.\n` +
    `${indent}const ${name} = new ${loaderClass}(async (${keysParam}: readonly ${keyType}[]) =>\n` +
    `${indent}${unit}Promise.all(${keysParam}.map((${keyParam}) => ${perKey})),\n` +
    `${indent});\n${indent}`;
  const file = context.filePath;
  return [{
    title: `Load through a per-request DataLoader (${name}.load)`,
    kind: 'suggestion',
    edits: [
      ...edits,
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: before },
      { file, start: call.getStart(), end: call.getEnd(), newText: `${name}.load(${key.getText()})` },
    ],
  }];
}

/** `base`, or `base2`…, whichever no identifier in the file uses (comments may mention it). */
function freshIdentifier(sourceFile: SourceFile, base: string): string {
  const used = new Set(sourceFile.getDescendantsOfKind(ts.SyntaxKind.Identifier).map((identifier) => identifier.getText()));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

/** `getProduct`, `this.products.get`, `api.users.fetch`: a callee that can be named in `typeof`. */
export function isNamePath(node: Node): boolean {
  if (Node.isIdentifier(node)) return true;
  if (Node.isPropertyAccessExpression(node) && !node.hasQuestionDotToken()) {
    const object = node.getExpression();
    return object.getKind() === ts.SyntaxKind.ThisKeyword || isNamePath(object);
  }
  return false;
}

/** `getProduct` → `product`, `this.users.findOne` → `user`. */
export function loaderStem(callee: Node, site: NPlusOneSite): string {
  if (site.via.length === 0 && site.io.kind === 'http') return 'response';
  const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
  const stripped = name.replace(/^(get|fetch|load|find|list|read|lookup|query|select)(One|By\w*)?/, '').replace(/(ById|ByKey)$/, '');
  if (stripped) return camel(stripped);
  if (Node.isPropertyAccessExpression(callee)) {
    const owner = callee.getExpression();
    const ownerName = Node.isPropertyAccessExpression(owner) ? owner.getName() : owner.getText();
    const singular = ownerName.replace(/(Service|Repository|Repo|Client|Api)$/, '').replace(/s$/, '');
    if (/^[A-Za-z]/.test(singular)) return camel(singular);
  }
  return 'item';
}

/** The loop is the batch function of a DataLoader already (a loader the fix wrote): nothing more to offer. */
function insideBatchFunction(node: Node): boolean {
  for (let parent = node.getParent(); parent; parent = parent.getParent()) {
    if (Node.isNewExpression(parent) && /(^|\.)DataLoader$/.test(parent.getExpression().getText())) return true;
  }
  return false;
}

/** The local name of the DataLoader class, importing it the way the project's module settings allow. */
export function dataLoaderImport(sourceFile: SourceFile, file: string, edits: TextEdit[]): string | undefined {
  for (const declaration of sourceFile.getImportDeclarations()) {
    if (moduleSpecifierOf(declaration) !== 'dataloader' || declaration.isTypeOnly()) continue;
    const local = declaration.getDefaultImport() ?? declaration.getNamespaceImport();
    if (local) return local.getText();
  }
  for (const declaration of sourceFile.getDescendantsOfKind(ts.SyntaxKind.ImportEqualsDeclaration)) {
    if (/require\(\s*['"]dataloader['"]\s*\)/.test(declaration.getModuleReference().getText())) return declaration.getName();
  }
  const name = freshIdentifier(sourceFile, 'DataLoader');
  const options = sourceFile.getProject().getCompilerOptions();
  const quote = quoteOf(sourceFile);
  // dataloader is `export =`: a default import needs esModuleInterop/allowSyntheticDefaultImports.
  const syntheticDefaults = options.esModuleInterop || options.allowSyntheticDefaultImports || options.module === ts.ModuleKind.Preserve || options.moduleResolution === ts.ModuleResolutionKind.Bundler;
  const statement = syntheticDefaults
    ? `import ${name} from ${quote}dataloader${quote};`
    : `import ${name} = require(${quote}dataloader${quote});`;
  const imports = sourceFile.getImportDeclarations();
  if (imports.length > 0) {
    const last = imports[imports.length - 1];
    edits.push({ file, start: last.getStart(), end: last.getEnd(), newText: `${last.getText()}\n${statement}` });
  } else {
    edits.push({ file, start: 0, end: 0, newText: `${statement}\n` });
  }
  return name;
}
