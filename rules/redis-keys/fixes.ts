// Quick-fixes of redis-keys: iterate with SCAN/SSCAN/HSCAN/ZSCAN instead of one blocking command, and
// UNLINK instead of DEL. Each rewrite returns what the original returned (same type, de-duplicated, since
// SCAN may return an element twice), so it is a safe 'fix' unless the order of the result changes.
import { CallExpression, Node } from 'ts-morph';
import type { IoCall } from '../../server/src/engine/io-resolver';
import type { Fix, RuleContext } from '../../server/src/engine/types';
import { freshName, indentOf, indentUnit, quoteOf } from '../../server/src/engine/rule-kit';

/** What a scan rewrite writes: statements that fill a result, and the expression that is the result. */
interface Collect {
  /** Base name of the accumulator when the result needs one (`keysFound`); the result itself otherwise. */
  accumulator: (declaredName: string | undefined) => string;
  /** Statements, given the accumulator's name and a fresh loop variable for each batch. */
  lines: (acc: string, batch: string, unit: string) => string[];
  /** The result expression from the accumulator; undefined when the accumulator is the result. */
  result: (acc: string) => string | undefined;
}

/** The receiver text of `redis.keys(…)`. */
export function receiverText(call: CallExpression): string {
  const callee = call.getExpression();
  return Node.isPropertyAccessExpression(callee) ? callee.getExpression().getText() : callee.getText();
}

/**
 * Replaces the command: `const x = await redis.cmd(…);` becomes a loop filling `x`; anywhere else the
 * call becomes an async IIFE of the same Promise type.
 */
export function collectFix(context: RuleContext, call: CallExpression, title: string, kind: Fix['kind'], collect: Collect): Fix {
  const unit = indentUnit(context.sourceFile);
  const batch = freshName(context.sourceFile, 'batch');
  const statement = declarationStatement(call);
  if (statement) {
    const { name, node, keyword } = statement;
    const indent = indentOf(node);
    const resultOf = collect.result('');
    const acc = resultOf === undefined ? name : freshName(context.sourceFile, collect.accumulator(name));
    const lines = collect.lines(acc, batch, unit);
    if (resultOf === undefined) lines[0] = lines[0].replace(/^const /, `${keyword} `);
    else lines.push(`${keyword} ${name} = ${collect.result(acc)};`);
    return { title, kind, edits: [{ file: context.filePath, start: node.getStart(), end: node.getEnd(), newText: lines.join(`\n${indent}`) }] };
  }
  const indent = indentOf(call);
  const acc = freshName(context.sourceFile, collect.accumulator(undefined));
  const lines = collect.lines(acc, batch, unit);
  lines.push(`return ${collect.result(acc) ?? acc};`);
  const text = `(async () => {\n${lines.map((line) => `${indent}${unit}${line}`).join('\n')}\n${indent}})()`;
  return { title, kind, edits: [{ file: context.filePath, start: call.getStart(), end: call.getEnd(), newText: text }] };
}

/** KEYS → SCAN. */
export function scanKeys(io: IoCall, receiver: string, pattern: string, count: number, batches: boolean): Collect {
  const nodeRedis = io.library === 'node-redis';
  const source = nodeRedis ? `${receiver}.scanIterator({ MATCH: ${pattern}, COUNT: ${count} })` : `${receiver}.scanStream({ match: ${pattern}, count: ${count} })`;
  const comment = `// SCAN walks the keyspace in batches instead of blocking Redis like KEYS.`;
  return {
    accumulator: (name) => (name ? `${name}Found` : 'found'),
    lines: (acc, batch, unit) => batches
      ? [
          `const ${acc} = new Set<string>();`,
          comment,
          `for await (const ${batch} of ${source}) {`,
          `${unit}for (const key of ${nodeRedis ? batch : `${batch} as string[]`}) ${acc}.add(key);`,
          `}`,
        ]
      : [`const ${acc} = new Set<string>();`, comment, `for await (const key of ${source}) ${acc}.add(key);`],
    result: (acc) => `[...${acc}]`,
  };
}

/** SMEMBERS → SSCAN. `batches` false for node-redis v4, whose iterators yield one member at a time. */
export function scanSet(io: IoCall, receiver: string, key: string, count: number, batches: boolean): Collect {
  const nodeRedis = io.library === 'node-redis';
  const comment = `// SSCAN reads the set in batches instead of blocking Redis like SMEMBERS.`;
  return {
    accumulator: (name) => (name ? `${name}Found` : 'found'),
    lines: (acc, batch, unit) => {
      if (!nodeRedis) {
        return [`const ${acc} = new Set<string>();`, comment, `for await (const ${batch} of ${receiver}.sscanStream(${key}, { count: ${count} })) {`, `${unit}for (const member of ${batch} as string[]) ${acc}.add(member);`, `}`];
      }
      const source = `${receiver}.sScanIterator(${key}, { COUNT: ${count} })`;
      return batches
        ? [`const ${acc} = new Set<string>();`, comment, `for await (const ${batch} of ${source}) {`, `${unit}for (const member of ${batch}) ${acc}.add(member);`, `}`]
        : [`const ${acc} = new Set<string>();`, comment, `for await (const member of ${source}) ${acc}.add(member);`];
    },
    result: (acc) => `[...${acc}]`,
  };
}

/** HGETALL → HSCAN, filling the same field → value record. */
export function scanHash(io: IoCall, receiver: string, key: string, count: number, batches: boolean): Collect {
  const nodeRedis = io.library === 'node-redis';
  const comment = `// HSCAN reads the hash in batches instead of blocking Redis like HGETALL.`;
  return {
    accumulator: () => 'fields',
    lines: (acc, batch, unit) => {
      if (!nodeRedis) {
        return [
          `const ${acc}: Record<string, string> = {};`,
          comment,
          `for await (const ${batch} of ${receiver}.hscanStream(${key}, { count: ${count} })) {`,
          `${unit}const pairs = ${batch} as string[];`,
          `${unit}for (let index = 0; index < pairs.length; index += 2) ${acc}[pairs[index]] = pairs[index + 1];`,
          `}`,
        ];
      }
      const source = `${receiver}.hScanIterator(${key}, { COUNT: ${count} })`;
      return batches
        ? [`const ${acc}: Record<string, string> = {};`, comment, `for await (const ${batch} of ${source}) {`, `${unit}for (const entry of ${batch}) ${acc}[entry.field] = entry.value;`, `}`]
        : [`const ${acc}: Record<string, string> = {};`, comment, `for await (const entry of ${source}) ${acc}[entry.field] = entry.value;`];
    },
    result: () => undefined,
  };
}

/** ZRANGE key 0 -1 → ZSCAN, sorted here by score then member, since ZSCAN returns members unordered. */
export function scanSortedSet(io: IoCall, receiver: string, key: string, count: number): Collect {
  const nodeRedis = io.library === 'node-redis';
  return {
    accumulator: (name) => (name ? `${name}Scores` : 'scores'),
    lines: (acc, batch, unit) => [
      `const ${acc} = new Map<string, number>();`,
      `// ZSCAN reads the sorted set in batches instead of blocking Redis; it returns members unordered.`,
      ...(nodeRedis
        ? [`for await (const ${batch} of ${receiver}.zScanIterator(${key}, { COUNT: ${count} })) {`, `${unit}for (const entry of ${batch}) ${acc}.set(entry.value, entry.score);`, `}`]
        : [
            `for await (const ${batch} of ${receiver}.zscanStream(${key}, { count: ${count} })) {`,
            `${unit}const pairs = ${batch} as string[];`,
            `${unit}for (let index = 0; index < pairs.length; index += 2) ${acc}.set(pairs[index], Number(pairs[index + 1]));`,
            `}`,
          ]),
    ],
    result: (acc) => `[...${acc}].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([member]) => member)`,
  };
}

/** DEL → UNLINK: same arguments, same reply (the number of keys removed); the memory is freed in the background. */
export function unlinkFix(context: RuleContext, call: CallExpression, io: IoCall): Fix | undefined {
  const callee = call.getExpression();
  if (Node.isPropertyAccessExpression(callee) && /^(del|DEL)$/.test(callee.getName())) {
    const nameNode = callee.getNameNode();
    return {
      title: 'Use UNLINK, which frees the memory in a background thread',
      kind: 'fix',
      edits: [{ file: context.filePath, start: nameNode.getStart(), end: nameNode.getEnd(), newText: callee.getName() === 'DEL' ? 'UNLINK' : 'unlink' }],
    };
  }
  const [first] = call.getArguments();
  if (io.method === 'call' && first && Node.isStringLiteral(first) && first.getLiteralValue().toUpperCase() === 'DEL') {
    const quote = quoteOf(context.sourceFile);
    return {
      title: 'Use UNLINK, which frees the memory in a background thread',
      kind: 'fix',
      edits: [{ file: context.filePath, start: first.getStart(), end: first.getEnd(), newText: `${quote}UNLINK${quote}` }],
    };
  }
  return undefined;
}

/** Whether a node-redis scan iterator yields arrays (v5+) rather than single elements (v4), from its declared type. */
export function iteratorYieldsBatches(receiver: Node, method: string): boolean | undefined {
  try {
    const property = receiver.getType().getProperty(method);
    if (!property) return undefined;
    const signature = property.getTypeAtLocation(receiver).getCallSignatures()[0];
    const yielded = signature?.getReturnType().getTypeArguments()[0];
    return yielded ? yielded.isArray() : undefined;
  } catch {
    return undefined;
  }
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
