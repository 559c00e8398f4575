// Redis GET / HGET per item → one MGET (or HMGET of one hash) before the loop and a Map lookup in it.
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
  const key = command === 'GET' ? args[0] : args[1];
  const hash = command === 'HGET' ? args[0] : undefined;
  if (args.length !== (command === 'GET' ? 1 : 2) || !key) return [];
  if (hash && !isLoopInvariant(hash, site)) return []; // a different hash per item needs a pipeline of HGETs

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
  const keysName = freshLocal(anchor.statement, command === 'GET' ? 'cacheKeys' : 'hashFields', taken);
  const valuesName = freshLocal(anchor.statement, command === 'GET' ? 'cachedValues' : 'hashValues', [...taken, keysName]);
  const byKey = freshLocal(anchor.statement, command === 'GET' ? 'cachedByKey' : 'hashValuesByField', [...taken, keysName, valuesName]);
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
  const safe = !cluster && isUnconditional(call, body) && loopOnlyReads(site, body, context);
  const file = context.filePath;
  return [{
    title: command === 'GET' ? `Read all keys with one ${nodeRedis ? 'mGet' : 'MGET'} before the loop` : `Read all fields with one ${nodeRedis ? 'hmGet' : 'HMGET'} before the loop`,
    kind: safe ? 'fix' : 'suggestion',
    edits: [
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: keyList.prelude + before },
      ...keyList.edits.map((edit) => ({ ...edit, file })),
      { file, start: awaited.getStart(), end: awaited.getEnd(), newText: inPlaceOf(awaited, `${byKey}.get(${key.getText()}) ?? null`) },
    ],
  }];
}
