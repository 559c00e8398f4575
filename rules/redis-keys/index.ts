// redis-keys: commands that make Redis walk a whole keyspace or collection on its single thread — KEYS,
// FLUSHALL/FLUSHDB without ASYNC, SORT, full reads of collections that grow without bound, DEL of a huge
// key. Redis runs commands one at a time, so every other client waits for the slowest one.
import { CallExpression, Node } from 'ts-morph';
import type { Fix, Report, Rule, RuleContext } from '../../server/src/engine/types';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { callsIn, excerpt, stringValue } from '../../server/src/engine/rule-kit';
import { enclosingFunction } from '../../server/src/engine/summaries';
import { growsWithoutBound, keyShape, type Growth, type KeyShape } from './collections';
import { collectFix, iteratorYieldsBatches, receiverText, scanHash, scanKeys, scanSet, scanSortedSet, unlinkFix } from './fixes';

export const meta = {
  id: 'redis-keys',
  description: 'Redis commands that walk a whole keyspace or collection on its single thread (KEYS, FLUSHALL/FLUSHDB without ASYNC, SORT, SMEMBERS/HGETALL/LRANGE 0 -1/ZRANGE 0 -1 on growing collections, DEL of a huge key) block every other client.',
  defaultSeverity: 'error',
  fixKind: 'fix',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      scanCount: { type: 'integer', minimum: 1, description: 'COUNT hint for the SCAN, SSCAN, HSCAN and ZSCAN that the fixes write (default 1000).' },
    },
  },
  defaultOptions: { scanCount: 1000 },
} as const satisfies Rule['meta'];

const FLUSH_COMMANDS = new Set(['FLUSHALL', 'FLUSHDB']);
/** Commands that return a whole collection, and what they return. */
const FULL_READS: Record<string, { what: string; instead: string }> = {
  SMEMBERS: { what: 'the whole set', instead: 'Read it in batches with SSCAN (COUNT 1000), or ask only what you need: SISMEMBER, SCARD, SRANDMEMBER.' },
  HGETALL: { what: 'the whole hash', instead: 'Read the fields you need with HMGET, or the whole hash in batches with HSCAN (COUNT 1000).' },
  LRANGE: { what: 'the whole list', instead: 'Read a bounded page (LRANGE key 0 99), and cap the list on write with LTRIM.' },
  ZRANGE: { what: 'the whole sorted set', instead: 'Read a bounded range of ranks (ZRANGE key 0 99) or page with ZRANGE … BYSCORE LIMIT; ZSCAN if you truly need every member.' },
  ZREVRANGE: { what: 'the whole sorted set', instead: 'Read a bounded range of ranks (ZREVRANGE key 0 99); ZSCAN if you truly need every member.' },
};
/** Range commands whose `start stop` decide whether they read to the end. */
const RANGE_READS = new Set(['LRANGE', 'ZRANGE', 'ZREVRANGE']);
/** Functions that invalidate cache entries: where KEYS-by-pattern usually hides. */
const INVALIDATION_NAME = /invalidat|purge|evict|bust|expire|(clear|flush|drop|reset|delete|remove)\w*cache|cache\w*(clear|flush|reset)/i;

const rule: Rule = {
  meta,
  mayApply: (text) => /keys|flush|members|getall|range|sort|del|call|sendCommand/i.test(text),
  check(context) {
    for (const call of callsIn(context.sourceFile)) {
      if (!Node.isCallExpression(call)) continue;
      // Queued on a pipeline or MULTI, a command saves its round trip, not its cost on the server.
      const io = context.io.classify(call) ?? context.io.queuedCommand(call);
      if (!io || io.kind !== 'redis' || !io.command) continue;
      const command = io.command;
      if (command === 'KEYS') reportKeys(context, call, io);
      else if (FLUSH_COMMANDS.has(command) && !hasAsyncFlag(call, io)) reportFlush(context, call, io);
      else if (Object.hasOwn(FULL_READS, command)) reportFullRead(context, call, io);
      else if (command === 'SORT') reportSort(context, call, io);
      else if (command === 'DEL') reportDel(context, call, io);
    }
  },
};

export default rule;

function reportKeys(context: RuleContext, call: CallExpression, io: IoCall): void {
  const args = commandArguments(call, io);
  const pattern = args[0];
  const literal = stringValue(pattern);
  const patternText = literal !== undefined ? `'${literal}'` : pattern ? `<${excerpt(pattern.getText(), 40)}>` : '';
  const invalidation = invalidationHelper(context, call);
  context.report({
    node: call,
    message:
      `KEYS ${patternText} walks every key in the database in one blocking command: Redis serves no other client until it has ` +
      `checked them all (about a second per 10 million keys, and it grows with the data). ` +
      (io.queued ? 'Being queued on a pipeline or MULTI saves only the round trip: exec() still makes Redis run it. ' : '') +
      `Iterate with SCAN, which returns small batches and lets other commands run between them.` +
      (invalidation
        ? ` Invalidating by pattern (${invalidation}) still visits the whole keyspace, even with SCAN: tag the cache instead — when you cache a key, SADD it to a set per tag (tag:user:42); ` +
          `to invalidate, read that set with SSCAN and UNLINK its members and the set, work proportional to the entries of that tag alone.`
        : ''),
    fixes: keysFixes(context, call, io, pattern),
  });
}

function keysFixes(context: RuleContext, call: CallExpression, io: IoCall, pattern: Node | undefined): Fix[] {
  const callee = call.getExpression();
  // A queued KEYS answers through exec()'s results: no SCAN loop can take its place there.
  if (io.queued || io.method.toLowerCase() !== 'keys' || !pattern || !Node.isPropertyAccessExpression(callee)) return [];
  // `redis.keys('session:*', (err, keys) => …)`: the callback's code would go with the call.
  if (call.getArguments().length !== 1) return [];
  // node-redis v4's scanIterator yields one key at a time, v5's a batch: write what the installed declarations say.
  const batches = io.library === 'node-redis' ? iteratorYieldsBatches(callee.getExpression(), 'scanIterator') : true;
  if (batches === undefined) return [];
  // ioredis's Cluster has no scanStream (and one SCAN would see one node's keys): no rewrite to offer there.
  if (io.library === 'ioredis' && lacksMethod(callee.getExpression(), 'scanStream')) return [];
  const count = Number(context.options.scanCount ?? 1000);
  return [collectFix(context, call, 'Replace KEYS with SCAN iteration', 'fix', scanKeys(io, receiverText(call), pattern.getText(), count, batches))];
}

/** The receiver's type is known and has no such method (an unresolved type, `any`, is given the benefit of the doubt). */
function lacksMethod(receiver: Node, method: string): boolean {
  try {
    const type = receiver.getType();
    return !type.isAny() && !type.isUnknown() && !type.getProperty(method);
  } catch {
    return false;
  }
}

/** `invalidateProductCache()`, or a function that deletes the keys it found: a cache-invalidation helper. */
function invalidationHelper(context: RuleContext, call: CallExpression): string | undefined {
  for (let fn = enclosingFunction(call); fn; fn = enclosingFunction(fn)) {
    const name = functionName(fn);
    if (name && INVALIDATION_NAME.test(name)) return `${name}()`;
    for (const inner of fn.getDescendants()) {
      if (!Node.isCallExpression(inner) || inner === call) continue;
      const command = context.io.classify(inner) ?? context.io.queuedCommand(inner);
      if (command?.kind === 'redis' && (command.command === 'DEL' || command.command === 'UNLINK')) return `KEYS then ${command.command}`;
    }
  }
  return undefined;
}

function functionName(fn: Node): string | undefined {
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  return parent && (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent)) ? parent.getName() : undefined;
}

function keyOf(call: CallExpression, io: IoCall): { node: Node | undefined; shape: KeyShape | undefined; text: string } {
  const node = commandArguments(call, io)[0];
  const shape = keyShape(node);
  const text = shape ? `'${excerpt(shape.text, 40)}'` : node ? `<${excerpt(node.getText(), 40)}>` : '';
  return { node, shape, text };
}

function growthOf(context: RuleContext, key: KeyShape | undefined): Growth | undefined {
  // A member added through a pipeline grows the collection as much as one added directly.
  return growsWithoutBound(key, context.sourceFile, (inner) => context.io.classify(inner) ?? context.io.queuedCommand(inner));
}

function evidence(growth: Growth): { node: Node; message: string }[] {
  return growth.write ? [{ node: growth.write, message: 'adds a member per item to the same key' }] : [];
}

/** SMEMBERS, HGETALL, LRANGE/ZRANGE to the end, on a collection that grows without bound. */
function reportFullRead(context: RuleContext, call: CallExpression, io: IoCall): void {
  const command = io.command as string;
  if (RANGE_READS.has(command) && !readsToEnd(call, io)) return;
  const key = keyOf(call, io);
  const growth = growthOf(context, key.shape);
  if (!growth) return;
  const { what, instead } = FULL_READS[command];
  const shown = RANGE_READS.has(command) ? `${command} ${key.text} 0 -1` : `${command} ${key.text}`;
  const report: Report = {
    node: call,
    severity: 'info',
    message:
      `${shown} returns ${what} in one command, and ${growth.why}: Redis is single-threaded, so while it builds a reply of a million elements ` +
      `(tens to hundreds of milliseconds, and megabytes of output buffer) every other client waits, and the wait grows with the data. ${instead}`,
    related: evidence(growth),
    fixes: fullReadFixes(context, call, io, key.node),
  };
  context.report(report);
}

function fullReadFixes(context: RuleContext, call: CallExpression, io: IoCall, keyNode: Node | undefined): Fix[] {
  const callee = call.getExpression();
  // The SCAN loops replace a value the call returns; a queued read returns its reply through exec().
  if (io.queued || !keyNode || !Node.isPropertyAccessExpression(callee) || io.method === 'call' || io.method === 'sendCommand') return [];
  // `smembersBuffer`: the scan would yield strings where the code reads Buffers.
  if (io.method.endsWith('Buffer')) return [];
  const command = io.command as string;
  const args = commandArguments(call, io);
  const receiver = receiverText(call);
  const count = Number(context.options.scanCount ?? 1000);
  const nodeRedis = io.library === 'node-redis';
  // ioredis' scan streams take a string key; a Buffer key keeps its command.
  if (!nodeRedis && !isStringTyped(keyNode)) return [];
  const iteratorMethod = { SMEMBERS: 'sScanIterator', HGETALL: 'hScanIterator', ZRANGE: 'zScanIterator' }[command as 'SMEMBERS'];
  const batches = nodeRedis && iteratorMethod ? iteratorYieldsBatches(callee.getExpression(), iteratorMethod) : true;
  if (batches === undefined) return [];
  const key = keyNode.getText();
  if (command === 'SMEMBERS' && args.length === 1) {
    return [collectFix(context, call, 'Read the set in batches with SSCAN', 'fix', scanSet(io, receiver, key, count, batches))];
  }
  if (command === 'HGETALL' && args.length === 1) {
    return [collectFix(context, call, 'Read the hash in batches with HSCAN', 'fix', scanHash(io, receiver, key, count, batches))];
  }
  if (command === 'ZRANGE' && args.length === 3 && batches) {
    // ZSCAN is unordered and ties between equal scores are ordered by bytes in Redis, by UTF-16 here: a suggestion.
    return [collectFix(context, call, 'Read the sorted set in batches with ZSCAN and sort by score here', 'suggestion', scanSortedSet(io, receiver, key, count))];
  }
  return [];
}

function isStringTyped(node: Node): boolean {
  if (stringValue(node) !== undefined || Node.isTemplateExpression(node)) return true;
  try {
    const type = node.getType();
    return type.isString() || type.isStringLiteral() || type.isTemplateLiteral() || (type.isUnion() && type.getUnionTypes().every((part) => part.isStringLiteral()));
  } catch {
    return false;
  }
}

/** `start stop` with stop -1 and a non-negative start: everything from start to the end. */
function readsToEnd(call: CallExpression, io: IoCall): boolean {
  const args = commandArguments(call, io);
  const start = numberValue(args[1]);
  const stop = numberValue(args[2]);
  if (start === undefined || stop !== -1 || start < 0) return false;
  // node-redis `zRange(key, 0, -1, { BY: 'SCORE', LIMIT })`: a score range or a limit is not a rank walk.
  return !args.slice(3).some((arg) => /\b(BY|LIMIT|BYSCORE|BYLEX)\b/i.test(arg.getText()));
}

function numberValue(node: Node | undefined): number | undefined {
  if (!node) return undefined;
  if (Node.isNumericLiteral(node)) return Number(node.getLiteralValue());
  if (Node.isPrefixUnaryExpression(node) && node.getText().startsWith('-')) {
    const operand = node.getOperand();
    return Node.isNumericLiteral(operand) ? -Number(operand.getLiteralValue()) : undefined;
  }
  const text = stringValue(node);
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** SORT loads and sorts every element, even with LIMIT. */
function reportSort(context: RuleContext, call: CallExpression, io: IoCall): void {
  const key = keyOf(call, io);
  const growth = growthOf(context, key.shape);
  if (!growth) return;
  context.report({
    node: call,
    severity: 'warning',
    related: evidence(growth),
    message:
      `SORT ${key.text} reads and sorts every element (O(N + M·log M)) on Redis's only thread, even with LIMIT, and ${growth.why}: at a million elements that is ` +
      `about a second in which no other client is served. Keep the order on write with a sorted set (ZADD) and read bounded ranges, or sort in the application.`,
  });
}

/** DEL of a key that holds a big collection frees it on the main thread. */
function reportDel(context: RuleContext, call: CallExpression, io: IoCall): void {
  const args = commandArguments(call, io);
  if (args.length !== 1 || Node.isSpreadElement(args[0]) || Node.isArrayLiteralExpression(args[0])) return;
  const key = keyOf(call, io);
  const growth = growthOf(context, key.shape);
  if (!growth) return;
  const fix = unlinkFix(context, call, io);
  context.report({
    node: call,
    severity: 'warning',
    related: evidence(growth),
    message:
      `DEL ${key.text} frees a collection that grows without bound (${growth.why}) on Redis's main thread: deleting millions of elements blocks every client ` +
      `while the memory is released (hundreds of milliseconds to seconds). UNLINK removes the key at once and frees the memory in a background thread.`,
    fixes: fix ? [fix] : [],
  });
}

function reportFlush(context: RuleContext, call: CallExpression, io: IoCall): void {
  const command = io.command as string;
  const methodCall = io.method.toUpperCase() === command;
  context.report({
    node: call,
    message:
      `${command} without ASYNC frees every key on Redis's main thread: all clients wait until the memory is released, ` +
      `seconds for millions of keys. Add the ASYNC flag so Redis frees memory in a background thread.`,
    fixes: methodCall && call.getArguments().length === 0
      ? [{
          title: `Use ${command} ASYNC`,
          kind: 'fix',
          edits: [{ file: context.filePath, start: call.getEnd() - 1, end: call.getEnd() - 1, newText: `'ASYNC'` }],
        }]
      : [],
  });
}

/** Arguments after the command name for `call('KEYS', p)` / `sendCommand(['KEYS', p])`. */
function commandArguments(call: CallExpression, io: IoCall): Node[] {
  const args = call.getArguments();
  if (io.method === 'call') return args.slice(1);
  if (io.method === 'sendCommand') {
    const [array] = args;
    return array && Node.isArrayLiteralExpression(array) ? array.getElements().slice(1) : [];
  }
  return args;
}

function hasAsyncFlag(call: CallExpression, io: IoCall): boolean {
  return commandArguments(call, io).some((arg) => {
    const value = stringValue(arg);
    if (value !== undefined) return value.toUpperCase() === 'ASYNC';
    // RedisFlushModes.ASYNC and the like
    if (/\bASYNC\b/.test(arg.getText())) return true;
    // A constant of the project's own holding it (`const MODE = 'ASYNC'`): its literal type says so.
    try {
      const type = arg.getType();
      return type.isStringLiteral() && String(type.getLiteralValue()).toUpperCase() === 'ASYNC';
    } catch {
      return false;
    }
  });
}
