// A seeded mutation generator for the fuzzer: each input is a pure function of (fixture text, seed), so a
// failure is reproduced from the seed alone.
import { ts } from 'ts-morph';

/** mulberry32: small, fast, good enough to pick mutations; same seed, same sequence. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Token {
  start: number;
  end: number;
}

/** Token spans of a text (trivia skipped), by TypeScript's own scanner. */
export function tokenize(text: string): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const tokens: Token[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    tokens.push({ start: scanner.getTokenStart(), end: scanner.getTokenEnd() });
    if (tokens.length > 200000) break;
  }
  return tokens;
}

// Junk chosen to hit parser recovery: unbalanced brackets, unterminated strings, templates, comments and
// regexes, stray decorators and JSX, NUL, lone surrogates, BOMs, CRs, non-Latin text and emoji.
const JUNK = [
  '{', '}', '(', ')', '[', ']', '<', '>', '`', '${', "'", '"', '/*', '*/', '//', '/', '\\', '@', '#', '?.', '...', '=>', ';', ',',
  '\u0000', '\ud800', '\udfff', '\ufeff', '\r', '\u2028', '€', 'пример', '🚀', '<div>', '</', 'await', 'async', 'yield', 'for (;;)',
  'new ', 'class ', 'function ', 'import(', 'export default ', 'declare ', 'enum ', '<T,>', 'as any', 'satisfies ', '!', '0x', '1e999',
  '/[/', 'keys(', '.keys', 'redis.', 'pool.query(`SELECT * FROM t WHERE id = ${', '-- scalelint-disable', '// scalelint-disable-line',
  '/* scalelint-disable */', '// expect: redis-keys',
];

// The first group mostly breaks the syntax; the second mostly keeps it, so the rules see odd but valid code.
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const LOOPS: [string, string][] = [
  ['for (const item of [1, 2, 3]) { ', ' }'],
  ['[1, 2].forEach(async (item) => { ', ' });'],
  ['await Promise.all([1, 2].map(async (item) => { ', ' }));'],
  ['while (Math.random() > 2) { ', ' }'],
];

export const MUTATIONS = ['delete', 'duplicate', 'swap', 'truncate', 'junk', 'transplant', 'deleteLine', 'repeat', 'rename', 'duplicateLine', 'wrapInLoop'] as const;
const GENTLE: readonly Mutation[] = ['rename', 'duplicateLine', 'wrapInLoop', 'deleteLine'];
export type Mutation = (typeof MUTATIONS)[number];

export interface MutatedInput {
  text: string;
  applied: Mutation[];
}

/** One to three mutations of `text`, all decided by `seed`. */
export function mutate(text: string, tokens: readonly Token[], seed: number): MutatedInput {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const count = 1 + pick(3);
  const gentle = random() < 0.4;
  const applied: Mutation[] = [];
  let current = text;
  let spans = tokens;
  for (let i = 0; i < count; i++) {
    const mutation = gentle ? GENTLE[pick(GENTLE.length)] : MUTATIONS[pick(MUTATIONS.length)];
    applied.push(mutation);
    // After the first mutation token offsets are stale; re-deriving them keeps mutations on token edges.
    if (i > 0) spans = tokenize(current);
    if (spans.length === 0) {
      current += JUNK[pick(JUNK.length)];
      continue;
    }
    // Nine mutations in ten land after the imports: an edited import list makes TypeScript rebuild the
    // whole program (several times the cost of an edit elsewhere), and rules' logic lives in the code below.
    const bodyFrom = importsEnd(current);
    const inBody = spans.filter((span) => span.start >= bodyFrom);
    const pool = inBody.length > 0 && random() < 0.9 ? inBody : spans;
    const from = pool === inBody ? bodyFrom : 0;
    const token = pool[pick(pool.length)];
    switch (mutation) {
      case 'delete':
        current = current.slice(0, token.start) + current.slice(token.end);
        break;
      case 'duplicate':
        current = current.slice(0, token.end) + current.slice(token.start, token.end) + current.slice(token.end);
        break;
      case 'swap': {
        const other = pool[pick(pool.length)];
        const [a, b] = token.start <= other.start ? [token, other] : [other, token];
        if (a.end > b.start) break;
        current = current.slice(0, a.start) + current.slice(b.start, b.end) + current.slice(a.end, b.start) + current.slice(a.start, a.end) + current.slice(b.end);
        break;
      }
      case 'truncate':
        current = current.slice(0, from + pick(current.length - from + 1));
        break;
      case 'junk': {
        const at = random() < 0.5 ? token.start : from + pick(current.length - from + 1);
        current = current.slice(0, at) + JUNK[pick(JUNK.length)] + current.slice(at);
        break;
      }
      case 'transplant': {
        // A token from elsewhere in the file, dropped where it does not belong.
        const donor = pool[pick(pool.length)];
        current = current.slice(0, token.start) + current.slice(donor.start, donor.end) + ' ' + current.slice(token.start);
        break;
      }
      case 'deleteLine': {
        const lineStart = current.lastIndexOf('\n', token.start - 1) + 1;
        const lineEnd = current.indexOf('\n', token.end);
        current = current.slice(0, lineStart) + (lineEnd < 0 ? '' : current.slice(lineEnd + 1));
        break;
      }
      case 'repeat': {
        // A run of tokens repeated a few times: deeper nesting, longer chains, duplicate declarations.
        const last = spans[Math.min(spans.length - 1, spans.indexOf(token) + pick(12))];
        const run = current.slice(token.start, last.end);
        current = current.slice(0, last.end) + run.repeat(1 + pick(6)) + current.slice(last.end);
        break;
      }
      case 'rename': {
        // One identifier replaced by another of the file: calls land on other receivers, names collide.
        const identifiers = spans.filter((span) => IDENTIFIER.test(current.slice(span.start, span.end)));
        if (identifiers.length < 2) break;
        const target = identifiers[pick(identifiers.length)];
        const donor = identifiers[pick(identifiers.length)];
        current = current.slice(0, target.start) + current.slice(donor.start, donor.end) + current.slice(target.end);
        break;
      }
      case 'duplicateLine': {
        const lineStart = current.lastIndexOf('\n', token.start - 1) + 1;
        const lineEnd = current.indexOf('\n', token.end);
        const line = current.slice(lineStart, lineEnd < 0 ? current.length : lineEnd + 1);
        current = current.slice(0, lineStart) + line + (line.endsWith('\n') ? '' : '\n') + current.slice(lineStart);
        break;
      }
      case 'wrapInLoop': {
        // A line moved into a loop: what was a single call becomes a per-item call.
        const lineStart = current.lastIndexOf('\n', token.start - 1) + 1;
        const lineEnd = current.indexOf('\n', token.end);
        const end = lineEnd < 0 ? current.length : lineEnd;
        const loop = LOOPS[pick(LOOPS.length)];
        current = `${current.slice(0, lineStart)}${loop[0]}${current.slice(lineStart, end)}${loop[1]}${current.slice(end)}`;
        break;
      }
    }
  }
  return { text: current, applied };
}

/** Where the import and re-export statements end (TypeScript's own pre-processor finds them). */
function importsEnd(text: string): number {
  let end = 0;
  for (const reference of ts.preProcessFile(text, true, false).importedFiles) {
    const lineEnd = text.indexOf('\n', reference.end);
    end = Math.max(end, lineEnd < 0 ? text.length : lineEnd + 1);
  }
  return end;
}
