// The project index lists each tree's calls, constructions, tagged templates and classes in the walk that
// reads its names (factsOfTree's switch), and a library tree's in a walk of its own (LISTED_KINDS). Both
// must list exactly the kinds LISTED_KINDS names, in source order.
import * as assert from 'node:assert/strict';
import { ts } from 'ts-morph';
import { LISTED_KINDS, listedNodesOf } from '../server/src/engine/project-index';
import { walkRaw } from '../server/src/engine/raw-tree';

const SOURCE = `
import { Pool } from 'pg';
import type { Redis } from 'ioredis';
const pool = new Pool();
const sql = (parts: TemplateStringsArray) => parts.join('');
export class Orders {
  constructor(private readonly redis: Redis) {}
  async load(ids: string[]) {
    const rows = await Promise.all(ids.map((id) => pool.query(sql\`SELECT * FROM orders WHERE id = \${id}\`)));
    class Local { run = () => new Map<string, number>([['a', 1]]).get('a'); }
    return { rows, local: new Local().run(), keys: await this.redis.keys('order:*'), module: await import('node:fs') };
  }
}
export const later = () => require('./later');
`;

function expectedOf(tree: ts.SourceFile): string[] {
  const nodes: string[] = [];
  walkRaw(tree, (node) => {
    if (LISTED_KINDS.has(node.kind)) nodes.push(kindAt(node));
  });
  return nodes;
}

function kindAt(node: ts.Node): string {
  return `${ts.SyntaxKind[node.kind]}@${node.pos}`;
}

describe('project index: listed nodes', () => {
  for (const fileName of ['/work/app/src/orders.ts', '/work/app/node_modules/orders-lib/index.ts']) {
    it(`lists the kinds LISTED_KINDS names, in source order (${fileName.includes('node_modules') ? 'library' : 'project'} tree)`, () => {
      const tree = ts.createSourceFile(fileName, SOURCE, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const expected = expectedOf(tree);
      // Each kind occurs, so a kind one walk dropped or added shows.
      for (const kind of LISTED_KINDS) assert.ok(expected.some((entry) => entry.startsWith(`${ts.SyntaxKind[kind]}@`)), ts.SyntaxKind[kind]);
      assert.deepEqual(listedNodesOf(tree).map(kindAt), expected);
    });
  }
});
