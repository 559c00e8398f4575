// Redis GET / HGET per item → one MGET (HMGET for fields of one hash, a pipeline of HGETs for one field
// of many hashes) before the loop, and a Map lookup in it.
import { Node } from 'ts-morph';
import type { Fix, RuleContext } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { anchorOf, awaitedUse, freshLocal, isLoopInvariant, itemKey, isUnconditional, itemBinding, keysFor, loopOnlyReads, perItemBody, inPlaceOf } from './shape';

export function redisLookupFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  if (!Node.isCallExpression(call) || site.via.length > 0 || call !== site.io.node || site.io.kind !== 'redis') return [];
  const command = site.io.command;
  if (command !== 'GET' && command !== 'HGET') return [];
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return [];
  const nodeRedis = site.io.library === 'node-redis';
  const args = call.getArguments();
  if (args.length !== (command === 'GET' ? 1 : 2)) return [];
  // HGET of one hash per item (the field fixed) is a pipeline of HGETs; one hash, many fields is HMGET.
  const pipelined = command === 'HGET' && !isLoopInvariant(args[0], site) && isLoopInvariant(args[1], site);
  if (pipelined && nodeRedis) return [];
  const key = command === 'GET' || pipelined ? args[0] : args[1];
  const hash = command === 'HGET' && !pipelined ? args[0] : undefined;
  const field = pipelined ? args[1] : undefined;
  if (!key || (hash && !isLoopInvariant(hash, site))) return [];

  const anchor = anchorOf(site);
  const body = perItemBody(site);
  const binding = itemBinding(site);
  const awaited = awaitedUse(call);
  if (!anchor?.canAwait || !body || !binding || !awaited) return [];
  const keySource = itemKey(key, site, binding.declared);
  if (!keySource) return [];
  // Map lookups compare strings by value; a Buffer key would be compared by identity.
  if (!key.getType().isString() && !key.getType().isStringLiteral() && !key.getType().isTemplateLiteral()) return [];
  const keyList = keysFor(site, binding.params, keySource, anchor);
  if (!keyList) return [];
  const keys = keyList.text;

  const receiver = callee.getExpression().getText();
  const source = context.sourceFile;
  const taken = keyList.prelude ? [keyList.edits[0].newText] : [];
  const [keysBase, valuesBase, byKeyBase] = command === 'GET' ? ['cacheKeys', 'cachedValues', 'cachedByKey'] : pipelined ? ['hashKeys', 'hashReplies', 'hashValuesByKey'] : ['hashFields', 'hashValues', 'hashValuesByField'];
  const keysName = freshLocal(anchor.statement, keysBase, taken);
  const valuesName = freshLocal(anchor.statement, valuesBase, [...taken, keysName]);
  const byKey = freshLocal(anchor.statement, byKeyBase, [...taken, keysName, valuesName]);
  const batched = command === 'GET'
    ? `${receiver}.${nodeRedis ? 'mGet' : 'mget'}(${keysName})`
    : nodeRedis ? `${receiver}.hmGet(${hash!.getText()}, ${keysName})` : `${receiver}.hmget(${hash!.getText()}, ...${keysName})`;
  const { indent, unit } = anchor;
  // MGET/HMGET with no keys is a Redis error; an empty loop must stay an empty loop.
  const before = pipelined
    ? `const ${keysName} = ${keys};\n` +
      `${indent}// One round trip for every HGET; a failed command still throws, as the single HGET would have.\n` +
      `${indent}const ${valuesName} = ${keysName}.length > 0 ? ((await ${keysName}.reduce((pipeline, key) => pipeline.hget(key, ${field!.getText()}), ${receiver}.pipeline()).exec()) ?? []) : [];\n` +
      `${indent}const ${byKey} = new Map(\n` +
      `${indent}${unit}${keysName}.map((key, index) => {\n` +
      `${indent}${unit}${unit}const [error, value] = ${valuesName}[index] ?? [null, null];\n` +
      `${indent}${unit}${unit}if (error) throw error;\n` +
      `${indent}${unit}${unit}return [key, value as string | null] as const;\n` +
      `${indent}${unit}}),\n` +
      `${indent});\n${indent}`
    : `const ${keysName} = ${keys};\n` +
    `${indent}const ${valuesName} = ${keysName}.length > 0 ? await ${batched} : [];\n` +
    `${indent}const ${byKey} = new Map(${keysName}.map((key, index) => [key, ${valuesName}[index] ?? null]));\n${indent}`;

  // Cluster: the keys of one MGET or pipeline must hash to one slot, which item keys seldom do.
  // The type's text names ioredis's Cluster only as `import("…/cluster/index").default`: read its symbol too.
  const receiverType = callee.getExpression().getType();
  if ([receiverType.getText(), receiverType.getSymbol()?.getName(), receiverType.getAliasSymbol()?.getName()].some((name) => name !== undefined && /Cluster/.test(name))) return [];
  const safe = isUnconditional(call, body) && loopOnlyReads(site, body, context);
  const file = context.filePath;
  return [{
    title: command === 'GET' ? `Read all keys with one ${nodeRedis ? 'mGet' : 'MGET'} before the loop` : pipelined ? 'Read all hashes with one pipeline of HGETs before the loop' : `Read all fields with one ${nodeRedis ? 'hmGet' : 'HMGET'} before the loop`,
    kind: safe ? 'fix' : 'suggestion',
    edits: [
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: keyList.prelude + before },
      ...keyList.edits.map((edit) => ({ ...edit, file })),
      { file, start: awaited.getStart(), end: awaited.getEnd(), newText: inPlaceOf(awaited, `${byKey}.get(${key.getText()}) ?? null`) },
    ],
  }];
}
