// A client made by `new` is typed from its class (constructedClassType) rather than by the checker resolving
// the constructor's overloads: the origin must be the one the checker's type gives, case by case, against
// the real library declarations.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Node, Project, ts } from 'ts-morph';
import { constructedClassType, typeOrigin, type Origin } from '../server/src/engine/provenance';
import { mayNameProjectFunction } from '../server/src/engine/project-index';
import { FIXTURES } from './harness';

const CODE = `import Redis from 'ioredis';
import * as pg from 'pg';
import { Pool } from 'pg';
import DataLoader from 'dataloader';

export const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379', { maxRetriesPerRequest: 2 });
const pool = new Pool({ max: 10 });
const namespaced = new pg.Pool();
const loader = new DataLoader(async (keys: readonly string[]) => keys.map((key) => key.length));
class SessionStore extends Redis {}
const sessions = new SessionStore();
const counts = new Map<string, number>();
const wrapped = (new Redis());
class Holder {
  private readonly client = new Redis();
  use() {
    return this.client;
  }
}
let reassigned = new Redis();
const annotated: Redis = new Redis();
const Factory: new () => { ping(): Promise<string> } = Redis;
const made = new Factory();
export const uses = [redis, pool, namespaced, loader, sessions, counts, wrapped, reassigned, annotated, made, Holder];
`;

function plain(origin: Origin | undefined): unknown {
  return origin && { modules: [...origin.modules].sort(), typeNames: [...origin.typeNames].sort(), via: origin.via };
}

describe('provenance: clients made by new', function () {
  let uses: Map<string, Node>;

  before(function () {
    this.timeout(60_000);
    // Beside the fixtures, so that ioredis, pg and dataloader resolve from the repository's node_modules.
    const project = new Project({ compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true } });
    const file = project.createSourceFile(path.join(FIXTURES, '__provenance-new.ts'), CODE);
    uses = new Map();
    for (const element of file.getVariableDeclarationOrThrow('uses').getInitializerOrThrow().asKindOrThrow(ts.SyntaxKind.ArrayLiteralExpression).getElements()) uses.set(element.getText(), element);
    const access = file.getClassOrThrow('Holder').getMethodOrThrow('use').getDescendantsOfKind(ts.SyntaxKind.PropertyAccessExpression)[0];
    uses.set('this.client', access);
  });

  for (const [name, origin] of [
    ['redis', { modules: ['ioredis'], typeNames: ['Redis'] }],
    ['pool', { modules: ['@types/pg'], typeNames: ['Pool'] }],
    ['namespaced', { modules: ['@types/pg'], typeNames: ['Pool'] }],
    ['loader', { modules: ['dataloader'], typeNames: ['DataLoader'] }],
    ['sessions', { modules: ['ioredis', 'project'], typeNames: ['Redis', 'SessionStore'] }],
    ['wrapped', { modules: ['ioredis'], typeNames: ['Redis'] }],
    ['this.client', { modules: ['ioredis'], typeNames: ['Redis'] }],
  ] as const) {
    it(`${name}: the class's type, with the origin the checker's type gives`, function () {
      const node = uses.get(name)!;
      const fromClass = constructedClassType(node);
      assert.ok(fromClass, 'read from the class');
      assert.deepEqual(plain(typeOrigin(fromClass, 0)), plain(typeOrigin(node.getType(), 0)));
      assert.deepEqual(plain(typeOrigin(fromClass, 0)), { ...origin, modules: [...origin.modules], typeNames: [...origin.typeNames], via: 'type' });
    });
  }

  for (const [name, why] of [
    ['reassigned', 'a let may hold something else by the time it is used'],
    ['annotated', 'an annotation says the type itself'],
    ['made', 'a constructor typed by construct signatures may return anything'],
    ['counts', "lib's Map is such a constructor (`declare var Map: MapConstructor`)"],
  ] as const) {
    it(`${name}: left to the checker (${why})`, function () {
      assert.equal(constructedClassType(uses.get(name)!), undefined);
    });
  }
});

// Which call names may resolve to project code is decided from declarations alone (no type query for the
// rest): a value that can never be called must not make every call of that name a type query.
describe('project-call pre-filter', function () {
  it('counts functions, methods, members typed as functions and values that may be functions, not primitive literals', function () {
    this.timeout(60_000);
    const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
    const file = project.createSourceFile(
      '/app/config.ts',
      `import { helper } from './helper';
export const pool = { max: 10, host: 'db', ssl: false, idle: null, onConnect: () => 1, handlers: [helper], load: require('./load') };
export function start() {}
class Store { get(key: string) { return key; } size = 0; }
const label = \`x\`;
export const fetcher = makeFetcher();
declare function makeFetcher(): () => void;
export interface Notifier { notify: (event: string) => void; channel: string }
export abstract class Sender { abstract deliver: (to: string) => Promise<void>; abstract retries: number }
`,
    );
    const names = (name: string) => mayNameProjectFunction(file, name);
    for (const name of ['helper', 'onConnect', 'handlers', 'load', 'start', 'get', 'Store', 'fetcher', 'notify', 'deliver']) assert.equal(names(name), true, name);
    for (const name of ['max', 'host', 'ssl', 'idle', 'size', 'label', 'trim', 'channel', 'retries']) assert.equal(names(name), false, name);
  });
});
