// Redis GET / HGET per item → one MGET (or HMGET of one hash) before the loop and a Map lookup in it.
import { Node } from 'ts-morph';
import { freshName } from '../../../server/src/engine/rule-kit';
import type { Fix, RuleContext } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { anchorOf, awaitedUse, dependsOnlyOnItem, isLoopInvariant, isPureKey, isStableCollection, isUnconditional, itemBinding, keysExpression, loopOnlyReads, perItemBody, inPlaceOf } from './shape';

export function redisLookupFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const call = site.perItemCall;
  if (!Node.isCallExpression(call) || site.via.length > 0 || call !== site.io.node || site.io.kind !== 'redis') return [];
  const command = site.io.command;
  if (command !== 'GET' && command !== 'HGET') return [];
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return [];
  const nodeRedis = site.io.library === 'node-redis';
  const args = call.getArguments();
  const key = command === 'GET' ? args[0] : args[1];
  const hash = command === 'HGET' ? args[0] : undefined;
  if (args.length !== (command === 'GET' ? 1 : 2) || !key) return [];
  if (hash && !isLoopInvariant(hash, site)) return []; // a different hash per item needs a pipeline of HGETs

  const anchor = anchorOf(site);
  const body = perItemBody(site);
  const binding = itemBinding(site);
  const awaited = awaitedUse(call);
  if (!anchor?.canAwait || !body || !binding || !awaited) return [];
  if (!isPureKey(key) || !dependsOnlyOnItem(key, site, binding.declared)) return [];
  // Map lookups compare strings by value; a Buffer key would be compared by identity.
  if (!key.getType().isString() && !key.getType().isStringLiteral() && !key.getType().isTemplateLiteral()) return [];
  const keys = keysExpression(site, binding.params, key);
  if (!keys) return [];

  const receiver = callee.getExpression().getText();
  const source = context.sourceFile;
  const keysName = freshName(source, command === 'GET' ? 'cacheKeys' : 'hashFields');
  const valuesName = freshName(source, command === 'GET' ? 'cachedValues' : 'hashValues');
  const byKey = freshName(source, command === 'GET' ? 'cachedByKey' : 'hashValuesByField');
  const batched = command === 'GET'
    ? `${receiver}.${nodeRedis ? 'mGet' : 'mget'}(${keysName})`
    : nodeRedis ? `${receiver}.hmGet(${hash!.getText()}, ${keysName})` : `${receiver}.hmget(${hash!.getText()}, ...${keysName})`;
  const { indent } = anchor;
  // MGET/HMGET with no keys is a Redis error; an empty loop must stay an empty loop.
  const before =
    `const ${keysName} = ${keys};\n` +
    `${indent}const ${valuesName} = ${keysName}.length > 0 ? await ${batched} : [];\n` +
    `${indent}const ${byKey} = new Map(${keysName}.map((key, index) => [key, ${valuesName}[index] ?? null]));\n${indent}`;

  // Cluster: keys of one MGET must hash to one slot, which item keys seldom do.
  const cluster = /Cluster/.test(callee.getExpression().getType().getText());
  const safe = !cluster && isStableCollection(site.collection) && isUnconditional(call, body) && loopOnlyReads(site, body, context);
  const file = context.filePath;
  return [{
    title: command === 'GET' ? `Read all keys with one ${nodeRedis ? 'mGet' : 'MGET'} before the loop` : `Read all fields with one ${nodeRedis ? 'hmGet' : 'HMGET'} before the loop`,
    kind: safe ? 'fix' : 'suggestion',
    edits: [
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: before },
      { file, start: awaited.getStart(), end: awaited.getEnd(), newText: inPlaceOf(awaited, `${byKey}.get(${key.getText()}) ?? null`) },
    ],
  }];
}
