// Finds SQL text in TypeScript: string and template literals passed to the SQL drivers and ORMs in the
// I/O model (pg, mysql2, knex.raw, Sequelize/TypeORM query, Prisma $queryRaw), SQL tagged templates
// (postgres.js, slonik, Drizzle `sql`, Prisma.sql), constants and concatenations the checker can fold.
// Interpolations become parameters; every character of the SQL maps back to a source offset.
import { CallExpression, Node, SourceFile, SyntaxKind, TaggedTemplateExpression, VariableDeclarationKind } from 'ts-morph';
import { fileNodesIn, RawKind } from '../rule-kit';
import type { IoResolver } from '../io-resolver';
import { originOf, symbolOfName } from '../provenance';

export type SqlDialect = 'postgres' | 'mysql';

export interface SqlSource {
  /** The call or tagged template that runs (or builds) the SQL. */
  node: CallExpression | TaggedTemplateExpression;
  /** The expression the SQL text came from (a literal, a template, a constant's use). */
  expression: Node;
  text: string;
  library: string;
  dialect: SqlDialect;
  /** Source-file offset of a character offset in `text` (start of its segment when not exact). */
  sourceOffset(offset: number): number;
}

interface Segment {
  /** Start in the SQL text. */
  at: number;
  length: number;
  /** Source-file offset of the segment's first character. */
  source: number;
  /** Characters map one to one (no escapes, not folded from elsewhere). */
  exact: boolean;
}

class SqlBuilder {
  text = '';
  readonly segments: Segment[] = [];
  params = 0;

  add(piece: string, source: number, exact: boolean): void {
    this.segments.push({ at: this.text.length, length: piece.length, source, exact });
    this.text += piece;
  }

  param(source: number): void {
    this.add(`$${++this.params}`, source, false);
  }

  offsetMapper(): (offset: number) => number {
    const segments = this.segments;
    return (offset) => {
      let chosen = segments[0];
      for (const segment of segments) if (segment.at <= offset) chosen = segment;
      if (!chosen) return 0;
      return chosen.exact ? chosen.source + Math.min(offset - chosen.at, chosen.length) : chosen.source;
    };
  }
}

const SQL_TAG_MODULES: Record<string, { library: string; dialect: SqlDialect }> = {
  postgres: { library: 'postgres', dialect: 'postgres' },
  slonik: { library: 'slonik', dialect: 'postgres' },
  // Slonik 33+ declares its tag in a package of its own, and types answer with the declaring package.
  '@slonik/sql-tag': { library: 'slonik', dialect: 'postgres' },
  'drizzle-orm': { library: 'drizzle', dialect: 'postgres' },
  '@prisma/client': { library: 'prisma', dialect: 'postgres' },
};

const MYSQL_LIBRARIES = new Set(['mysql2']);
/** Libraries whose SQL uses `?` placeholders (and `??` identifiers) rather than `$1`. */
const QUESTION_MARK_LIBRARIES = new Set(['mysql2', 'knex', 'sequelize']);

/** Every SQL text in a file that reaches a database, in source order. */
export function sqlSourcesIn(sourceFile: SourceFile, io: IoResolver): SqlSource[] {
  const sources: SqlSource[] = [];
  const handledTemplates = new Set<Node>();
  for (const node of fileNodesIn(sourceFile, (raw) => raw.kind === RawKind.TaggedTemplateExpression || raw.kind === RawKind.CallExpression)) {
    if (Node.isTaggedTemplateExpression(node)) {
      if (handledTemplates.has(node)) continue;
      const tag = sqlTag(node, io);
      if (!tag) continue;
      const built = fromTemplate(node.getTemplate(), tag.library === 'slonik' || tag.library === 'postgres' || tag.library === 'drizzle' || tag.library === 'prisma');
      if (built) sources.push(finish(node, node.getTemplate(), built, tag.library, tag.dialect));
    } else if (Node.isCallExpression(node)) {
      const call = io.classify(node);
      if (!call || call.kind !== 'sql') continue;
      const [first] = node.getArguments();
      if (!first) continue;
      // `db.execute(sql`...`)`: the tagged template is the SQL source.
      if (Node.isTaggedTemplateExpression(first)) continue;
      const textNode = sqlTextArgument(first);
      if (!textNode) continue;
      const built = fold(textNode, 0);
      if (!built) continue;
      if (QUESTION_MARK_LIBRARIES.has(call.library)) replaceQuestionMarks(built);
      sources.push(finish(node, textNode, built, call.library, MYSQL_LIBRARIES.has(call.library) ? 'mysql' : 'postgres'));
    }
  }
  for (const source of sources) if (source.dialect === 'mysql') source.text = mysqlToPostgresQuotes(source.text);
  return sources;
}

function finish(node: CallExpression | TaggedTemplateExpression, expression: Node, built: SqlBuilder, library: string, dialect: SqlDialect): SqlSource {
  return { node, expression, text: built.text, library, dialect, sourceOffset: built.offsetMapper() };
}

/** `{ text: '...' }` (pg QueryConfig) and `{ sql: '...' }` (mysql2 options) carry the SQL in a property. */
function sqlTextArgument(argument: Node): Node | undefined {
  if (Node.isObjectLiteralExpression(argument)) {
    for (const name of ['text', 'sql']) {
      const property = argument.getProperty(name);
      if (property && Node.isPropertyAssignment(property)) return property.getInitializer();
    }
    return undefined;
  }
  return argument;
}

function sqlTag(node: TaggedTemplateExpression, io: IoResolver): { library: string; dialect: SqlDialect } | undefined {
  const classified = io.classify(node);
  if (classified?.kind === 'sql') return { library: classified.library, dialect: MYSQL_LIBRARIES.has(classified.library) ? 'mysql' : 'postgres' };
  // `sql`, `sql.unsafe`, `sql.type(schema)`, `Prisma.sql`, `prisma.$queryRaw`: walk to the root identifier.
  let root: Node = node.getTag();
  for (;;) {
    if (Node.isPropertyAccessExpression(root)) root = root.getExpression();
    else if (Node.isCallExpression(root)) root = root.getExpression();
    else break;
  }
  const tagText = node.getTag().getText();
  if (!/(^|\.)(sql|unsafe|type|typeAlias|fragment|\$queryRaw|\$executeRaw)\b/.test(tagText) && !/^sql\b/.test(tagText)) return undefined;
  const origin = originOf(root);
  if (!origin) return undefined;
  for (const module of origin.modules) {
    const found = SQL_TAG_MODULES[module];
    if (found) return found;
  }
  // Prisma 7 generates its client (`PrismaClient`, the `Prisma` namespace) into the project.
  if (origin.via === 'type' && origin.modules.has('project') && (origin.typeNames.has('PrismaClient') || origin.typeNames.has('Prisma'))) return SQL_TAG_MODULES['@prisma/client'];
  return undefined;
}

/** A template's text with `${...}` as $1, $2, ... (tagged templates send them as parameters). */
function fromTemplate(template: Node, asParameters: boolean): SqlBuilder | undefined {
  const builder = new SqlBuilder();
  if (Node.isNoSubstitutionTemplateLiteral(template)) {
    addLiteral(builder, template);
    return builder;
  }
  if (!Node.isTemplateExpression(template)) return undefined;
  addLiteral(builder, template.getHead());
  for (const span of template.getTemplateSpans()) {
    const expression = span.getExpression();
    const folded = asParameters ? undefined : constantValue(expression);
    if (folded !== undefined) builder.add(folded, expression.getStart(), false);
    else builder.param(expression.getStart());
    addLiteral(builder, span.getLiteral());
  }
  return builder;
}

/** Adds a literal piece; exact mapping when its raw text equals its value (no escapes). */
function addLiteral(builder: SqlBuilder, literal: Node): void {
  const raw = literal.getText();
  const kind = literal.getKind();
  // Delimiters: '…' "…" `…` `…${ }…${ }…`
  const open = 1;
  const close = kind === SyntaxKind.TemplateHead || kind === SyntaxKind.TemplateMiddle ? 2 : 1;
  const inner = raw.slice(open, raw.length - close);
  const value = literalValue(literal) ?? inner;
  builder.add(value, literal.getStart() + open, value === inner);
}

function literalValue(literal: Node): string | undefined {
  const compiler = literal.compilerNode as { text?: string };
  return typeof compiler.text === 'string' ? compiler.text : undefined;
}

/** Folds strings, templates, `+` concatenations and constants into SQL text; other values become parameters. */
function fold(node: Node, depth: number): SqlBuilder | undefined {
  if (depth > 8) return undefined;
  const expression = unwrapExpression(node);
  if (Node.isStringLiteral(expression) || Node.isNoSubstitutionTemplateLiteral(expression)) {
    const builder = new SqlBuilder();
    addLiteral(builder, expression);
    return builder;
  }
  if (Node.isTemplateExpression(expression)) return fromTemplate(expression, false);
  if (Node.isBinaryExpression(expression) && expression.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = fold(expression.getLeft(), depth + 1) ?? parameter(expression.getLeft());
    const right = fold(expression.getRight(), depth + 1) ?? parameter(expression.getRight());
    if (!left.text && !right.text) return undefined;
    return concat(left, right);
  }
  if (Node.isIdentifier(expression) || Node.isPropertyAccessExpression(expression)) {
    const initializer = constInitializer(expression);
    if (initializer) {
      const inner = fold(initializer, depth + 1);
      if (inner) {
        // Folded from elsewhere: every position maps to the use, not into the other declaration.
        const builder = new SqlBuilder();
        builder.add(inner.text, expression.getStart(), false);
        builder.params = inner.params;
        return builder;
      }
    }
    const value = constantValue(expression);
    if (value !== undefined) {
      const builder = new SqlBuilder();
      builder.add(value, expression.getStart(), false);
      return builder;
    }
  }
  return undefined;
}

function parameter(node: Node): SqlBuilder {
  const builder = new SqlBuilder();
  builder.param(node.getStart());
  return builder;
}

function concat(left: SqlBuilder, right: SqlBuilder): SqlBuilder {
  const builder = new SqlBuilder();
  for (const part of [left, right]) {
    for (const segment of part.segments) {
      let piece = part.text.slice(segment.at, segment.at + segment.length);
      // Renumber the right side's parameters after the left side's.
      if (/^\$\d+$/.test(piece) && !segment.exact) piece = `$${++builder.params}`;
      builder.add(piece, segment.source, segment.exact);
    }
  }
  return builder;
}

function unwrapExpression(node: Node): Node {
  let current = node;
  while (Node.isParenthesizedExpression(current) || Node.isAsExpression(current) || Node.isSatisfiesExpression(current) || Node.isNonNullExpression(current)) {
    current = current.getExpression();
  }
  return current;
}

/** `const QUERY = '...'` (here or imported): the initializer, when the binding is a const. */
function constInitializer(expression: Node): Node | undefined {
  const symbol = symbolOfName(expression);
  for (const declaration of symbol?.getDeclarations() ?? []) {
    if (Node.isVariableDeclaration(declaration)) {
      const list = declaration.getParent();
      if (Node.isVariableDeclarationList(list) && list.getDeclarationKind() === VariableDeclarationKind.Const) return declaration.getInitializer();
    }
    if (Node.isPropertyAssignment(declaration)) {
      // `const Q = { byStatus: '...' } as const`
      return declaration.getInitializer();
    }
  }
  return undefined;
}

/** A string-literal type the checker computed for the expression. */
function constantValue(expression: Node): string | undefined {
  try {
    const type = expression.getType();
    if (type.isStringLiteral()) return String(type.getLiteralValue());
  } catch {
    return undefined;
  }
  return undefined;
}

/** `?` placeholders (outside quotes) → $n, so the PostgreSQL parser accepts driver-style SQL. */
function replaceQuestionMarks(builder: SqlBuilder): void {
  const text = builder.text;
  if (!text.includes('?')) return;
  let out = '';
  let quote: string | undefined;
  let param = builder.params;
  const shifts: { at: number; delta: number }[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === quote) quote = undefined;
      out += char;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
      out += char;
    } else if (char === '?' && text[i + 1] === '?') {
      // `??` is an identifier placeholder: the SQL's shape is unknown.
      out += '"?"';
      shifts.push({ at: i, delta: 1 });
      i++;
    } else if (char === '?' && !/[|&]/.test(text[i + 1] ?? '')) {
      const placeholder = `$${++param}`;
      out += placeholder;
      shifts.push({ at: i, delta: placeholder.length - 1 });
    } else {
      out += char;
    }
  }
  if (!shifts.length) return;
  // Rebuild the segments so offsets still map: shift every segment start after each replacement.
  for (const segment of builder.segments) {
    const before = shifts.filter((shift) => shift.at < segment.at).reduce((sum, shift) => sum + shift.delta, 0);
    const inside = shifts.filter((shift) => shift.at >= segment.at && shift.at < segment.at + segment.length).reduce((sum, shift) => sum + shift.delta, 0);
    segment.at += before;
    segment.length += inside;
    if (inside) segment.exact = false;
  }
  builder.text = out;
  builder.params = param;
}

/** MySQL quotes identifiers with backticks; the PostgreSQL parser wants double quotes. */
function mysqlToPostgresQuotes(text: string): string {
  return text.replace(/`([^`]*)`/g, (_match, name: string) => `"${name}"`);
}
