// The real PostgreSQL parser (libpg-query, compiled to WebAssembly). The module is instantiated
// asynchronously once per process; after that every parse is synchronous, so rules stay synchronous.
// The engine awaits `loadSqlParser()` before a batch run (Rule.prepare); an editor session that
// analyses before the load has finished simply gets no SQL findings for that pass.
import type { ParseResult } from 'libpg-query';

type LibPgQuery = typeof import('libpg-query');

let library: LibPgQuery | undefined;
let loading: Promise<void> | undefined;
let loadError: string | undefined;

/** Loads the WebAssembly parser once. Never rejects: a failure is kept for `sqlParserError()`. */
export function loadSqlParser(): Promise<void> {
  loading ??= (async () => {
    try {
      // Required lazily so that commands without SQL never instantiate the module. In the bundles the
      // wasm file sits next to dist/*.js (scripts/bundle.mjs copies it), where the loader looks.
      const candidate: LibPgQuery = require('libpg-query');
      await candidate.loadModule();
      library = candidate;
    } catch (error) {
      loadError = error instanceof Error ? error.message : String(error);
    }
  })();
  return loading;
}

export function isSqlParserReady(): boolean {
  return library !== undefined;
}

/** Why the parser could not be loaded, when it could not. */
export function sqlParserError(): string | undefined {
  return loadError;
}

export type SqlNode = Record<string, unknown>;

export interface ParsedStatement {
  /** `{ SelectStmt: {...} }` and the like, as libpg-query returns it. */
  stmt: SqlNode;
  /** Character offsets of the statement within the parsed text. */
  start: number;
  end: number;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  /** Converts a libpg-query `location` (a UTF-8 byte offset) to a character offset in the text. */
  charOffset(byteOffset: number): number;
}

/**
 * Parses SQL text; undefined when the parser is not loaded yet or the text is not PostgreSQL
 * (a syntax error, another dialect): callers skip such SQL quietly.
 */
export function parseSql(text: string): ParsedSql | undefined {
  if (!library || text.trim() === '') return undefined;
  let result: ParseResult;
  try {
    result = library.parseSync(text);
  } catch {
    return undefined;
  }
  const charOffset = byteToCharOffsets(text);
  const statements: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = charOffset(startByte);
    const end = raw.stmt_len ? charOffset(startByte + raw.stmt_len) : text.length;
    statements.push({ stmt: raw.stmt as unknown as SqlNode, start, end });
  }
  // Only comments or whitespace: nothing to judge.
  if (statements.length === 0) return undefined;
  return { statements, charOffset };
}

function byteToCharOffsets(text: string): (byteOffset: number) => number {
  // ASCII text: bytes and characters coincide.
  if (!/[^\x00-\x7f]/.test(text)) return (byte) => Math.max(0, Math.min(byte, text.length));
  const charAtByte: number[] = [];
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let b = 0; b < size; b++) charAtByte[bytes + b] = i;
    bytes += size;
    if (code >= 0x10000) i++;
  }
  return (byte) => (byte >= bytes ? text.length : byte <= 0 ? 0 : charAtByte[byte]);
}

/** The single key of a libpg-query node (`SelectStmt`, `ColumnRef`, ...) and its body. */
export function nodeKind(node: unknown): [string, SqlNode] | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const body = (node as SqlNode)[keys[0]];
  if (!body || typeof body !== 'object') return undefined;
  return [keys[0], body as SqlNode];
}

/** `String` list items (`[{ String: { sval: 'a' } }]`) as plain strings. */
export function stringList(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  const names: string[] = [];
  for (const item of items) {
    const kind = nodeKind(item);
    if (kind && kind[0] === 'String' && typeof kind[1].sval === 'string') names.push(kind[1].sval);
    else if (kind && kind[0] === 'A_Star') names.push('*');
  }
  return names;
}

/**
 * A canonical text for an expression, to compare an index expression with a query's: locations and
 * table qualifiers are dropped, so `lower(c.email)` and `lower(email)` compare equal.
 */
export function expressionKey(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => {
    if (key === 'location') return undefined;
    if (value && typeof value === 'object' && 'ColumnRef' in value) {
      const fields = stringList((value as { ColumnRef: { fields?: unknown } }).ColumnRef.fields);
      return { ColumnRef: fields[fields.length - 1] ?? '' };
    }
    return value;
  });
}
