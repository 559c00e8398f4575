// pg / mysql2: a single-key SELECT per item becomes one `= ANY($1)` / `IN (?)` query before the loop,
// its rows grouped by the key column, and the loop reads its rows from the group.
import { CallExpression, Node, SyntaxKind } from 'ts-morph';
import type { Fix, RuleContext, TextEdit } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { Anchor, anchorOf, awaitedUse, freshLocal, camel, capitalize, itemKey, isUnconditional, itemBinding, keysFor, loopOnlyReads, outerOf, perItemBody, inPlaceOf } from './shape';

/** `SELECT <columns> FROM <table> WHERE <column> = $1 [ORDER BY …]`: a lookup by one key. */
const LOOKUP = /^\s*select\s+(?<columns>[\s\S]+?)\s+from\s+(?<table>[a-z_][\w.]*|"[^"]+")\s+where\s+(?<column>[a-z_]\w*|"[^"]+")\s*=\s*(?<placeholder>\$1|\?)(?<order>\s+order\s+by\s+[^;$?]*?)?\s*;?\s*$/i;

interface Lookup {
  table: string;
  /** The key column as the driver names it in a row. */
  column: string;
  /** Every row carries the key column (SELECT * or the column is listed as is). */
  selectsKey: boolean;
}

export function parseLookup(sql: string, placeholder: '$1' | '?'): Lookup | undefined {
  const match = LOOKUP.exec(sql);
  if (!match?.groups || match.groups.placeholder !== placeholder) return undefined;
  // `… ORDER BY created_at DESC LIMIT 1` per key is a top-1 per key: under `= ANY($1)` the LIMIT would cut
  // the whole batch to one row.
  if (match.groups.order && /\b(limit|offset|fetch)\b/i.test(match.groups.order)) return undefined;
  const column = unquote(match.groups.column);
  const columns = match.groups.columns.split(',').map((c) => c.trim());
  const selectsKey = columns.some((c) => c === '*' || (/^([a-z_]\w*|"[^"]+")$/i.test(c) && unquote(c) === column));
  return { table: unquote(match.groups.table).replace(/^.*\./, ''), column, selectsKey };
}

/** Unquoted SQL names fold to lower case, and drivers name row properties after the folded name. */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1) : name.toLowerCase();
}

export function sqlLookupFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  if (!Node.isCallExpression(call) || site.via.length > 0 || call !== site.io.node) return [];
  const library = site.io.library;
  if (library !== 'pg' && library !== 'mysql2') return [];
  const [sqlNode, paramsNode, ...rest] = call.getArguments();
  if (!sqlNode || !paramsNode || rest.length > 0) return [];
  if (!Node.isStringLiteral(sqlNode) && !Node.isNoSubstitutionTemplateLiteral(sqlNode)) return [];
  if (!Node.isArrayLiteralExpression(paramsNode) || paramsNode.getElements().length !== 1) return [];
  const key = paramsNode.getElements()[0];
  const lookup = parseLookup(sqlNode.getLiteralValue(), library === 'pg' ? '$1' : '?');
  // Rows without the key column cannot be told apart; adding it would change the rows the loop sees.
  if (!lookup?.selectsKey) return [];

  const anchor = anchorOf(site);
  const body = perItemBody(site);
  const binding = itemBinding(site);
  const awaited = awaitedUse(call);
  if (!anchor?.canAwait || !body || !binding || !awaited) return [];
  const keySource = itemKey(key, site, binding.declared);
  if (!keySource) return [];
  const keyList = keysFor(site, binding.params, keySource, anchor);
  if (!keyList) return [];
  const keys = keyList.text;

  const names = namesFor(anchor.statement, lookup, keyList.prelude ? [keyList.edits[0].newText] : []);
  const lookupText = `${names.groups}.get(String(${key.getText()})) ?? []`;
  const consumer = library === 'pg' ? pgConsumer(awaited, lookupText) : mysqlConsumer(awaited, lookupText);
  if (!consumer) return [];

  const batchedSql = rewriteSql(sqlNode.getText(), library);
  if (!batchedSql) return [];
  const file = context.filePath;
  const before = batchCode(call, sqlNode, paramsNode, batchedSql, keys, lookup, names, anchor, library);
  // MySQL compares strings by collation (case- and trailing-space-insensitive by default); a Map does not.
  const keyType = key.getType();
  const exactKeys = library === 'pg' || keyType.isNumber() || keyType.isNumberLiteral();
  const equivalent = exactKeys && isUnconditional(call, body) && loopOnlyReads(site, body, context) && !(library === 'mysql2' && site.io.method !== 'query');
  const clause = library === 'pg' ? '= ANY($1)' : 'IN (?)';
  return [{
    title: `Fetch the ${lookup.table} rows of all items with one ${clause} query before the loop`,
    kind: equivalent ? 'fix' : 'suggestion',
    edits: [{ file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: keyList.prelude + before },
      ...keyList.edits.map((edit) => ({ ...edit, file })), { ...consumer, file }],
  }];
}

function namesFor(at: Node, lookup: Lookup, taken: string[]): { rows: string; groups: string; keys: string } {
  const stem = camel(lookup.table);
  const singular = stem.endsWith('s') ? stem.slice(0, -1) : stem;
  const rows = freshLocal(at, `${singular}Rows`, taken);
  const groups = freshLocal(at, `${stem}By${capitalize(camel(lookup.column))}`, [...taken, rows]);
  const keys = freshLocal(at, `${singular}${capitalize(camel(lookup.column))}s`, [...taken, rows, groups]);
  return { rows, groups, keys };
}

/** `= $1` → `= ANY($1)`, `= ?` → `IN (?)` in the literal as written (quotes and escapes kept). */
function rewriteSql(literal: string, library: string): string | undefined {
  const pattern = library === 'pg' ? /=\s*\$1(?!\d)/g : /=\s*\?/g;
  const hits = literal.match(pattern);
  if (!hits || hits.length !== 1) return undefined;
  return literal.replace(pattern, library === 'pg' ? '= ANY($1)' : 'IN (?)');
}

function batchCode(call: CallExpression, sqlNode: Node, paramsNode: Node, batchedSql: string, keys: string, lookup: Lookup, names: { rows: string; groups: string; keys: string }, anchor: Anchor, library: string): string {
  const { indent, unit } = anchor;
  const callText = call.getText();
  const offset = call.getStart();
  // mysql2's execute() sends one prepared-statement value per `?`; only query() expands a list for IN (?).
  const callee = call.getExpression();
  const head = library === 'mysql2' && Node.isPropertyAccessExpression(callee) && callee.getName() === 'execute'
    ? `${callee.getExpression().getText()}.query${callText.slice(callee.getEnd() - offset, sqlNode.getStart() - offset)}`
    : callText.slice(0, sqlNode.getStart() - offset);
  const splice = (keysText: string): string =>
    head + batchedSql + callText.slice(sqlNode.getEnd() - offset, paramsNode.getStart() - offset) + `[${keysText}]` + callText.slice(paramsNode.getEnd() - offset);
  const property = /^[A-Za-z_$][\w$]*$/.test(lookup.column) ? `.${lookup.column}` : `[${JSON.stringify(lookup.column)}]`;
  const lines: string[] = [];
  if (library === 'pg') {
    lines.push(`const { rows: ${names.rows} } = await ${splice(keys)};`);
  } else {
    // mysql2 writes `IN ()` for an empty list, which MySQL rejects.
    lines.push(`const ${names.keys} = ${keys};`);
    lines.push(`const [${names.rows}] = ${names.keys}.length > 0 ? await ${splice(names.keys)} : [[]];`);
  }
  lines.push(`const ${names.groups} = new Map<string, typeof ${names.rows}>();`);
  lines.push(`for (const row of ${names.rows}) {`);
  lines.push(`${unit}const key = String(row${property});`);
  lines.push(`${unit}${names.groups}.set(key, [...(${names.groups}.get(key) ?? []), row]);`);
  lines.push(`}`);
  return lines.map((line, i) => (i === 0 ? line : `${indent}${line}`)).join('\n') + `\n${indent}`;
}

/**
 * How the loop reads pg's result, rewritten to read the group instead: `(await q).rows`,
 * `const { rows } = await q`, or `const result = await q` used only as `result.rows`.
 */
function pgConsumer(awaited: Node, lookupText: string): Omit<TextEdit, 'file'> | undefined {
  const { node, parent } = outerOf(awaited);
  if (parent && Node.isPropertyAccessExpression(parent) && parent.getName() === 'rows') {
    return { start: parent.getStart(), end: parent.getEnd(), newText: inPlaceOf(parent, lookupText) };
  }
  if (parent && Node.isVariableDeclaration(parent) && parent.getInitializer() === node && !parent.getTypeNode()) {
    const name = parent.getNameNode();
    if (Node.isObjectBindingPattern(name)) {
      const elements = name.getElements();
      if (elements.length !== 1 || elements[0].getDotDotDotToken() || elements[0].getInitializer()) return undefined;
      const element = elements[0];
      const property = element.getPropertyNameNode()?.getText() ?? element.getName();
      if (property !== 'rows') return undefined;
      const target = element.getNameNode();
      if (!Node.isIdentifier(target) && !Node.isArrayBindingPattern(target)) return undefined;
      return { start: parent.getStart(), end: parent.getEnd(), newText: `${target.getText()} = ${lookupText}` };
    }
    if (Node.isIdentifier(name) && onlyRowsRead(name)) {
      return { start: node.getStart(), end: node.getEnd(), newText: `{ rows: ${lookupText} }` };
    }
  }
  return undefined;
}

/** mysql2 resolves to `[rows, fields]`: `const [rows] = await q` or `(await q)[0]`. */
function mysqlConsumer(awaited: Node, lookupText: string): Omit<TextEdit, 'file'> | undefined {
  const { node, parent } = outerOf(awaited);
  if (parent && Node.isElementAccessExpression(parent) && parent.getArgumentExpression()?.getText() === '0') {
    return { start: parent.getStart(), end: parent.getEnd(), newText: inPlaceOf(parent, lookupText) };
  }
  if (parent && Node.isVariableDeclaration(parent) && parent.getInitializer() === node && !parent.getTypeNode()) {
    const name = parent.getNameNode();
    if (Node.isArrayBindingPattern(name)) {
      const elements = name.getElements();
      const first = elements[0];
      if (elements.length !== 1 || !first || !Node.isBindingElement(first) || first.getDotDotDotToken() || first.getInitializer()) return undefined;
      return { start: parent.getStart(), end: parent.getEnd(), newText: `${first.getNameNode().getText()} = ${lookupText}` };
    }
  }
  return undefined;
}

function onlyRowsRead(name: Node): boolean {
  if (!Node.isIdentifier(name)) return false;
  const references = name.findReferencesAsNodes().filter((reference) => reference !== name && reference.getSourceFile() === name.getSourceFile());
  return references.every((reference) => {
    const parent = reference.getParent();
    return parent !== undefined && Node.isPropertyAccessExpression(parent) && parent.getExpression() === reference && parent.getName() === 'rows' && !isAssigned(parent);
  });
}

function isAssigned(node: Node): boolean {
  const parent = node.getParent();
  return Boolean(parent && Node.isBinaryExpression(parent) && parent.getLeft() === node && parent.getOperatorToken().getKind() === SyntaxKind.EqualsToken);
}
