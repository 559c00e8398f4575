// redis-keys: commands that make Redis walk its whole keyspace (KEYS) or free it on the main thread
// (FLUSHALL/FLUSHDB without ASYNC). Redis runs commands one at a time, so every other client waits.
import { CallExpression, Node } from 'ts-morph';
import type { Fix, Rule, RuleContext } from '../../server/src/engine/types';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { callsIn, excerpt, freshName, indentOf, indentUnit, stringValue } from '../../server/src/engine/rule-kit';

export const meta = {
  id: 'redis-keys',
  description: 'Redis KEYS, or FLUSHALL/FLUSHDB without ASYNC, blocks every client while it walks the whole keyspace.',
  defaultSeverity: 'error',
  fixKind: 'fix',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      scanCount: { type: 'integer', minimum: 1, description: 'COUNT hint for the SCAN that the fix writes (default 1000).' },
    },
  },
  defaultOptions: { scanCount: 1000 },
} as const satisfies Rule['meta'];

const FLUSH_COMMANDS = new Set(['FLUSHALL', 'FLUSHDB']);

const rule: Rule = {
  meta,
  mayApply: (text) => /keys|flush/i.test(text),
  check(context) {
    for (const call of callsIn(context.sourceFile)) {
      if (!Node.isCallExpression(call)) continue;
      const io = context.io.classify(call);
      if (!io || io.kind !== 'redis' || !io.command) continue;
      if (io.command === 'KEYS') reportKeys(context, call, io);
      else if (FLUSH_COMMANDS.has(io.command) && !hasAsyncFlag(call, io)) reportFlush(context, call, io);
    }
  },
};

export default rule;

function reportKeys(context: RuleContext, call: CallExpression, io: IoCall): void {
  const args = commandArguments(call, io);
  const pattern = args[0];
  const literal = stringValue(pattern);
  const patternText = literal !== undefined ? `'${literal}'` : pattern ? `<${excerpt(pattern.getText(), 40)}>` : '';
  context.report({
    node: call,
    message:
      `KEYS ${patternText} walks every key in the database in one blocking command: Redis serves no other client until it has ` +
      `checked them all (about a second per 10 million keys, and it grows with the data). Iterate with SCAN, which returns small batches and lets other commands run between them.`,
    fixes: io.method.toLowerCase() === 'keys' && pattern ? [scanFix(context, call, io, pattern)] : [],
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
    return /\bASYNC\b/.test(arg.getText());
  });
}

/**
 * KEYS → SCAN iteration that returns the same de-duplicated key list (SCAN may repeat a key).
 * `const keys = await redis.keys(p);` becomes a loop; anywhere else the call becomes an async IIFE
 * with the same Promise<string[]> type.
 */
function scanFix(context: RuleContext, call: CallExpression, io: IoCall, pattern: Node): Fix {
  const callee = call.getExpression();
  const receiver = Node.isPropertyAccessExpression(callee) ? callee.getExpression().getText() : callee.getText();
  const count = Number(context.options.scanCount ?? 1000);
  const nodeRedis = io.library === 'node-redis';
  const source = nodeRedis
    ? `${receiver}.scanIterator({ MATCH: ${pattern.getText()}, COUNT: ${count} })`
    : `${receiver}.scanStream({ match: ${pattern.getText()}, count: ${count} })`;
  const batch = nodeRedis ? 'batch' : 'batch as string[]';
  const unit = indentUnit(context.sourceFile);

  const statement = declarationStatement(call);
  if (statement) {
    const { name, node, keyword } = statement;
    const indent = indentOf(node);
    const found = freshName(context.sourceFile, `${name}Found`);
    const text =
      `const ${found} = new Set<string>();\n` +
      `${indent}// SCAN walks the keyspace in batches instead of blocking Redis like KEYS.\n` +
      `${indent}for await (const batch of ${source}) {\n` +
      `${indent}${unit}for (const key of ${batch}) ${found}.add(key);\n` +
      `${indent}}\n` +
      `${indent}${keyword} ${name} = [...${found}];`;
    return { title: 'Replace KEYS with SCAN iteration', kind: 'fix', edits: [{ file: context.filePath, start: node.getStart(), end: node.getEnd(), newText: text }] };
  }

  const indent = indentOf(call);
  const text =
    `(async () => {\n` +
    `${indent}${unit}// SCAN walks the keyspace in batches instead of blocking Redis like KEYS.\n` +
    `${indent}${unit}const found = new Set<string>();\n` +
    `${indent}${unit}for await (const batch of ${source}) {\n` +
    `${indent}${unit}${unit}for (const key of ${batch}) found.add(key);\n` +
    `${indent}${unit}}\n` +
    `${indent}${unit}return [...found];\n` +
    `${indent}})()`;
  return { title: 'Replace KEYS with SCAN iteration', kind: 'fix', edits: [{ file: context.filePath, start: call.getStart(), end: call.getEnd(), newText: text }] };
}

/** `const keys = await redis.keys(p);` inside an async function: the statement and the declared name. */
function declarationStatement(call: CallExpression): { name: string; node: Node; keyword: string } | undefined {
  const awaited = call.getParent();
  if (!awaited || !Node.isAwaitExpression(awaited)) return undefined;
  const declaration = awaited.getParent();
  if (!declaration || !Node.isVariableDeclaration(declaration) || declaration.getInitializer() !== awaited) return undefined;
  const nameNode = declaration.getNameNode();
  if (!Node.isIdentifier(nameNode) || declaration.getTypeNode()) return undefined;
  const list = declaration.getParent();
  const statement = list?.getParent();
  if (!list || !Node.isVariableDeclarationList(list) || list.getDeclarations().length !== 1) return undefined;
  if (!statement || !Node.isVariableStatement(statement) || statement.getModifiers().length > 0) return undefined;
  if (statement.getParent() && Node.isSourceFile(statement.getParent()!)) return undefined; // top-level await: keep it an expression
  return { name: nameNode.getText(), node: statement, keyword: list.getDeclarationKindKeywords()[0]?.getText() ?? 'const' };
}
