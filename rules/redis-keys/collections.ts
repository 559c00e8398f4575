// Which Redis keys hold collections that grow without bound. Statically we only have the key's text, so the
// judgement is deliberately narrow: a constant key (`online-users`, `leaderboard:global`) or a key whose
// name says it accumulates (`followers:${id}`, `feed:${id}`) counts; a key built from one entity's id
// (`user:${id}:roles`) is a small per-entity collection, and a key we cannot read is left alone.
import { CallExpression, Node, SourceFile, SyntaxKind, ts } from 'ts-morph';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { fileNodesIn, RawKind, stringValue } from '../../server/src/engine/rule-kit';

/** Words in a key that say the collection accumulates for as long as the product runs. */
const GROWING_WORDS = new Set([
  'all', 'global', 'index', 'feed', 'feeds', 'timeline', 'followers', 'following', 'subscribers', 'leaderboard', 'ranking',
  'events', 'log', 'logs', 'audit', 'history', 'queue', 'stream', 'visitors', 'online', 'seen', 'processed', 'members',
]);
/** Words in a constant key that say the collection is small and curated by people, not by traffic. */
const SMALL_WORDS = new Set([
  'config', 'configs', 'setting', 'settings', 'flag', 'flags', 'feature', 'features', 'role', 'roles', 'permission', 'permissions',
  'country', 'countries', 'currency', 'currencies', 'locale', 'locales', 'admin', 'admins', 'region', 'regions',
]);
/** Commands that add to a collection: a key written with them is a collection, whatever its name. */
const COLLECTION_WRITES = new Set(['SADD', 'HSET', 'HMSET', 'HINCRBY', 'ZADD', 'ZINCRBY', 'LPUSH', 'RPUSH', 'XADD']);

export interface KeyShape {
  /** The key's static text: `followers:${…}` for a template. */
  text: string;
  /** Built from an interpolated value (an entity id): one of many small collections. */
  perEntity: boolean;
}

/** The key as far as it can be read: a literal, a template, a `const` holding one. */
export function keyShape(node: Node | undefined, depth = 0): KeyShape | undefined {
  if (!node || depth > 3) return undefined;
  const literal = stringValue(node);
  if (literal !== undefined) return { text: literal, perEntity: false };
  if (Node.isTemplateExpression(node)) {
    const text = [node.getHead().getLiteralText(), ...node.getTemplateSpans().map((span) => `\${…}${span.getLiteral().getLiteralText()}`)].join('');
    return { text, perEntity: true };
  }
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = keyShape(node.getLeft(), depth + 1);
    const right = keyShape(node.getRight(), depth + 1);
    return { text: `${left?.text ?? '${…}'}${right?.text ?? '${…}'}`, perEntity: !left || !right || left.perEntity || right.perEntity };
  }
  if (Node.isIdentifier(node)) {
    for (const declaration of node.getSymbol()?.getDeclarations() ?? []) {
      if (!Node.isVariableDeclaration(declaration)) continue;
      const list = declaration.getParent();
      if (!list || !Node.isVariableDeclarationList(list) || list.getDeclarationKindKeywords()[0]?.getText() !== 'const') continue;
      return keyShape(declaration.getInitializer(), depth + 1);
    }
  }
  return undefined;
}

function wordsOf(text: string): string[] {
  return text
    .replace(/\$\{…\}/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

export interface Growth {
  /** Why the collection is judged to grow without bound, for the message. */
  why: string;
  /** The write that adds per-item members to it, as evidence. */
  write?: CallExpression;
}

/**
 * Why a key likely holds a collection without bound, or undefined when it is bounded or unknown: its name
 * says it accumulates, or it is one shared key that the file adds members to per item (a member or field
 * that is not a constant: `SADD online-users ${player}`). Curated data (`config`, `flags`) never counts.
 */
export function growsWithoutBound(key: KeyShape | undefined, sourceFile: SourceFile, classify: (call: CallExpression) => IoCall | undefined): Growth | undefined {
  if (!key) return undefined;
  // `products:all` written with SET and read with GET is one string, whatever its name says.
  if (usedAsString(sourceFile, key, classify)) return undefined;
  const words = wordsOf(key.text);
  const growing = words.find((word) => GROWING_WORDS.has(word));
  if (growing) return { why: `the key is named for something that accumulates ('${growing}')` };
  if (key.perEntity || words.some((word) => SMALL_WORDS.has(word))) return undefined;
  const write = collectionWrite(sourceFile, key, classify);
  if (!write) return undefined;
  const line = write.getStartLineNumber();
  return { why: `the key is one shared collection that line ${line} adds to per item, so it grows with the product`, write };
}

/** String commands: a key the file uses with one of them holds a single value, not a collection. */
const STRING_COMMANDS = new Set(['GET', 'GETEX', 'GETDEL', 'SET', 'SETEX', 'PSETEX', 'SETNX', 'GETSET', 'SETRANGE', 'APPEND', 'INCR', 'INCRBY', 'INCRBYFLOAT', 'DECR', 'DECRBY']);

/** Method names that can send a string command (ioredis lower case, node-redis camel case, or a raw call). */
const STRING_METHOD_NAMES = new Set([...STRING_COMMANDS].map((command) => command.toLowerCase()).concat(['call', 'sendcommand']));

function usedAsString(sourceFile: SourceFile, key: KeyShape, classify: (call: CallExpression) => IoCall | undefined): boolean {
  // The method's name first, on the raw tree: only those calls are classified.
  const named = (raw: ts.Node): boolean => {
    const callee = (raw as ts.CallExpression).expression;
    return raw.kind === RawKind.CallExpression && callee.kind === RawKind.PropertyAccessExpression && STRING_METHOD_NAMES.has((callee as ts.PropertyAccessExpression).name.text.toLowerCase());
  };
  for (const call of fileNodesIn<CallExpression>(sourceFile, named)) {
    const io = classify(call);
    if (!io || io.kind !== 'redis' || !io.command || !STRING_COMMANDS.has(io.command)) continue;
    const args = io.method === 'call' ? call.getArguments().slice(1) : call.getArguments();
    if (keyShape(args[0])?.text === key.text) return true;
  }
  return false;
}

/** A call in the file that adds a non-constant member or field to this key (SADD, HSET, ZADD, RPUSH, …). */
function collectionWrite(sourceFile: SourceFile, key: KeyShape, classify: (call: CallExpression) => IoCall | undefined): CallExpression | undefined {
  for (const call of fileNodesIn<CallExpression>(sourceFile, (raw) => raw.kind === RawKind.CallExpression)) {
    const io = classify(call);
    if (!io || io.kind !== 'redis' || !io.command || !COLLECTION_WRITES.has(io.command)) continue;
    const args = io.method === 'call' ? call.getArguments().slice(1) : call.getArguments();
    const written = keyShape(args[0]);
    if (!written || written.text !== key.text) continue;
    if (args.slice(1).some((arg) => keyShape(arg) === undefined && !Node.isNumericLiteral(arg))) return call;
  }
  return undefined;
}
