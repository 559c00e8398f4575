// The request-path model on small in-memory projects that type-check against the real framework
// declarations in node_modules (express, fastify, koa, hono, @nestjs/*, bullmq, bull, graphql, passport);
// one project lives outside the repository, where no declaration resolves, to exercise the import fallback.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { Node, Project, SourceFile } from 'ts-morph';
import { RequestPaths } from '../server/src/engine/request-path';
import { enclosingFunction, isFunctionLike, type FunctionLike } from '../server/src/engine/summaries';
import { FIXTURES } from './harness';

const ROOT = path.join(FIXTURES, '.request-path-virtual');

function project(files: Record<string, string>, root = ROOT): { project: Project; file(name: string): SourceFile } {
  const created = new Project({ tsConfigFilePath: path.join(FIXTURES, 'tsconfig.json'), skipAddingFilesFromTsConfig: true });
  for (const [name, text] of Object.entries(files)) created.createSourceFile(path.join(root, name), text, { overwrite: true });
  return { project: created, file: (name) => created.getSourceFileOrThrow(path.join(root, name)) };
}

/** The function that contains the marker comment `/*here*\/`. */
function functionAt(file: SourceFile, marker = '/*here*/'): FunctionLike {
  const offset = file.getFullText().indexOf(marker);
  assert.ok(offset >= 0, `no ${marker} in ${file.getBaseName()}`);
  const node = file.getDescendantAtPos(offset + marker.length) ?? file.getDescendantAtPos(offset - 1);
  assert.ok(node, 'no node at marker');
  const fn = isFunctionLike(node) ? node : enclosingFunction(node);
  assert.ok(fn, 'marker is not inside a function');
  return fn;
}

function nodeAt(file: SourceFile, marker: string): Node {
  const offset = file.getFullText().indexOf(marker);
  assert.ok(offset >= 0, `no ${marker} in ${file.getBaseName()}`);
  return file.getDescendantAtPos(offset + marker.length)!;
}

describe('request-path model', function () {
  this.timeout(60000);

  it('follows Express handlers into services in other files, and leaves start-up code out', function () {
    const { file } = project({
      'express/app.ts': `
import express from 'express';
import { report } from './service';
import { rateLimit } from './limit';
import { warmUp } from './warm';
const app = express();
const router = express.Router();
app.use(rateLimit(10));
router.get('/api/report', async (req, res) => {
  res.json(await report(Number(req.query.days)));
});
app.use(router);
app.get('env');
warmUp();
export default app;
`,
      'express/service.ts': `
export async function report(days: number): Promise<number> {
  return load(days);
}
async function load(days: number): Promise<number> {
  /*here*/ return days * 2;
}
export function unused(): number {
  /*unused*/ return 1;
}
`,
      'express/limit.ts': `
import type { RequestHandler } from 'express';
export function rateLimit(perSecond: number): RequestHandler {
  const budget = perSecond;
  return (req, res, next) => {
    /*middleware*/ if (budget > 0) next(); else res.status(429).end();
  };
}
`,
      'express/warm.ts': `
export function warmUp(): void {
  /*startup*/ console.log('warm');
}
`,
    });
    const paths = new RequestPaths();
    const service = file('express/service.ts');
    const found = paths.pathOfFunction(functionAt(service));
    assert.ok(found, 'load() is reached from the route');
    assert.equal(found.entry.framework, 'express');
    assert.equal(found.entry.label, 'express route GET /api/report');
    assert.deepEqual(found.via.map((call) => call.getExpression().getText()), ['report', 'load']);
    assert.equal(RequestPaths.describe(found), 'express route GET /api/report → report() → load()');
    assert.equal(RequestPaths.evidence(found).length, 3);

    assert.equal(paths.pathOfFunction(functionAt(service, '/*unused*/')), undefined, 'an uncalled export is not on a request path');
    assert.equal(paths.pathOfFunction(functionAt(file('express/warm.ts'), '/*startup*/')), undefined, 'module-level start-up calls are not a request path');
    const middleware = paths.pathOfFunction(functionAt(file('express/limit.ts'), '/*middleware*/'));
    assert.equal(middleware?.entry.kind, 'middleware', 'the function a middleware factory returns runs per request');
    assert.equal(paths.pathOfFunction(functionAt(file('express/limit.ts'), 'const budget')), undefined, 'the factory itself runs once');
    // app.get('env') registers nothing
    assert.equal(paths.entries(service).filter((entry) => entry.framework === 'express').length, 2);
  });

  // Receivers told from their declarations before a type query (`Promise.all`, a lib Map's `get(key, fn)`),
  // and the lib constructor that is no collection: a Proxy is typed as its target, here an express app.
  it('registers no route on lib values, and does on a proxied app', function () {
    const { file } = project({
      'proxy/app.ts': `
import express from 'express';
const app = new Proxy(express(), {});
const loaders = new Map<string, () => Promise<number>>();
export const pending = (key: string) => loaders.get(key);
app.get('/api/proxied', async (req, res) => {
  /*proxied*/ res.json(await Promise.all([1, 2].map(async (n) => n)));
});
export function warm(): void {
  Promise.all([load]).then(() => undefined);
  loaders.set('y', load);
}
async function load(): Promise<number> {
  /*lib*/ return 1;
}
`,
    });
    const paths = new RequestPaths();
    const app = file('proxy/app.ts');
    assert.equal(paths.pathOfFunction(functionAt(app, '/*proxied*/'))?.entry.label, 'express route GET /api/proxied');
    assert.equal(paths.pathOfFunction(functionAt(app, '/*lib*/')), undefined, 'Promise.all and Map#get register nothing');
    assert.deepEqual(paths.entries(app).map((entry) => entry.label), ['express route GET /api/proxied']);
  });

  it('treats inline callbacks as part of their function, nested declarations not', function () {
    const { file } = project({
      'inline/app.ts': `
import { Router } from 'express';
export const router = Router();
router.post('/items', async (req, res) => {
  const ids: number[] = req.body.ids;
  const out = await Promise.all(ids.map(async (id) => { /*callback*/ return id; }));
  function neverCalled() { /*nested*/ return 1; }
  res.json(out);
});
`,
    });
    const paths = new RequestPaths();
    const app = file('inline/app.ts');
    assert.ok(paths.requestPathOf(nodeAt(app, '/*callback*/')));
    assert.equal(paths.requestPathOf(nodeAt(app, '/*nested*/')), undefined);
    assert.equal(paths.requestPathOf(nodeAt(app, 'export const router')), undefined, 'module scope is start-up code');
  });

  it('follows the calls a handler runs, not those in classes or nested functions it only defines', function () {
    const { file } = project({
      'runs/lib.ts': `
export function helper() { /*helper*/ return 1; }
export function inIife() { /*iife*/ return 1; }
export function inCallback() { /*callback*/ return 1; }
export function inClass() { /*class*/ return 1; }
export function inNested() { /*nested*/ return 1; }
export function inMadeClass() { /*made*/ return 1; }
export const make = () => class { value = inMadeClass(); };
`,
      'runs/app.ts': `
import { Router } from 'express';
import { helper, inIife, inCallback, inClass, inNested, make } from './lib';
export const router = Router();
router.get('/x', (req, res) => {
  helper();
  (() => inIife())();
  [1].forEach(() => inCallback());
  class Local { field = inClass(); run() { return inClass(); } }
  function later() { return inNested(); }
  const Made = make();
  res.json(1);
});
`,
    });
    const paths = new RequestPaths();
    const lib = file('runs/lib.ts');
    for (const marker of ['/*helper*/', '/*iife*/', '/*callback*/']) assert.ok(paths.requestPathOf(nodeAt(lib, marker)), `${marker} runs per request`);
    for (const marker of ['/*class*/', '/*nested*/', '/*made*/']) assert.equal(paths.requestPathOf(nodeAt(lib, marker)), undefined, `${marker} is only defined`);
  });

  it('finds Fastify routes, route objects and hooks, inside plugins too', function () {
    const { file } = project({
      'fastify/server.ts': `
import Fastify, { type FastifyInstance } from 'fastify';
const app = Fastify();
app.get('/a', async () => { /*a*/ return 1; });
app.route({ method: 'POST', url: '/b', preHandler: async () => { /*pre*/ }, handler: async () => { /*b*/ return 2; } });
async function plugin(instance: FastifyInstance): Promise<void> {
  /*plugin*/ instance.addHook('onRequest', async () => { /*hook*/ });
}
app.register(plugin);
`,
    });
    const paths = new RequestPaths();
    const server = file('fastify/server.ts');
    assert.equal(paths.requestPathOf(nodeAt(server, '/*a*/'))?.entry.label, 'fastify route GET /a');
    assert.equal(paths.requestPathOf(nodeAt(server, '/*b*/'))?.entry.label, 'fastify route /b');
    assert.equal(paths.requestPathOf(nodeAt(server, '/*pre*/'))?.entry.kind, 'middleware');
    assert.equal(paths.requestPathOf(nodeAt(server, '/*hook*/'))?.entry.kind, 'middleware');
    assert.equal(paths.requestPathOf(nodeAt(server, '/*plugin*/')), undefined, 'a plugin body runs once at start-up');
  });

  it('finds Koa and Hono handlers through their imports when their types are not installed', function () {
    // Outside the repository nothing resolves: no node_modules above the temporary folder.
    const outside = path.join(os.tmpdir(), 'scalelint-request-path-untyped');
    const { project: untyped, file } = project({
      'koa/app.ts': `
// @ts-nocheck
import Koa from 'koa';
import { Hono } from 'hono';
const app = new Koa();
app.use(async (ctx, next) => { /*koa*/ await next(); });
const hono = new Hono();
hono.get('/h', (c) => { /*hono*/ return c.text('ok'); });
const plain = new Map<string, () => void>();
plain.set('x', () => { /*map*/ });
`,
    }, outside);
    const paths = new RequestPaths();
    const app = file('koa/app.ts');
    untyped.getProgram(); // resolve the imports
    assert.equal(app.getImportDeclarationOrThrow('koa').getModuleSpecifierSourceFile(), undefined, 'koa resolved outside the repository: this test would not exercise the fallback');
    assert.equal(paths.requestPathOf(nodeAt(app, '/*koa*/'))?.entry.framework, 'koa');
    assert.equal(paths.requestPathOf(nodeAt(app, '/*hono*/'))?.entry.label, 'hono route GET /h');
    assert.equal(paths.requestPathOf(nodeAt(app, '/*map*/')), undefined);
  });

  it('follows handlers and middleware handed to a wrapper (catchAsync, express-async-handler), and route() chains', function () {
    const { file } = project({
      'wrapped/app.ts': `
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import asyncHandler from 'express-async-handler';
const catchAsync = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) => { /*wrapper*/ fn(req, res).catch(next); };
const requireUser = asyncHandler(async (_req: Request, _res: Response, next: NextFunction) => { /*middleware*/ next(); });
async function show(_req: Request, res: Response): Promise<void> { /*named*/ res.end(); }
const app = express();
app.get('/a', requireUser, catchAsync(async (_req, res) => { /*inline*/ res.end(); }));
app.get('/b', asyncHandler(show));
app.route('/c').get(async (_req, res) => { /*routeGet*/ res.end(); }).post(catchAsync(async (_req, res) => { /*routePost*/ res.end(); }));
const later = catchAsync(async () => { /*unregistered*/ });
async function loadOnce(): Promise<string> { /*loadOnce*/ return 'x'; }
function preloaded(load: () => Promise<string>): RequestHandler { const ready = load(); return (_req, _res, next) => { void ready.then(() => next()); }; }
app.use(preloaded(loadOnce));
async function refresh(): Promise<void> { /*refresh*/ }
const timer = setInterval(() => void refresh(), 1000);
app.post('/stop', (_req, res) => { clearInterval(timer); res.end(); });
export { app, later };
`,
    });
    const paths = new RequestPaths();
    const app = file('wrapped/app.ts');
    const entry = (marker: string) => paths.requestPathOf(nodeAt(app, marker))?.entry;
    assert.equal(entry('/*inline*/')?.label, 'express route GET /a');
    assert.equal(entry('/*middleware*/')?.label, 'express route GET /a');
    assert.equal(entry('/*named*/')?.label, 'express route GET /b');
    assert.equal(entry('/*wrapper*/')?.label, 'express route GET /a', 'the function the project wrapper returns runs per request too');
    assert.equal(entry('/*unregistered*/'), undefined, 'a wrapped function no route receives runs per nothing');
    assert.equal(entry('/*loadOnce*/'), undefined, 'a project factory that calls its argument at registration hands over nothing per request');
    assert.equal(entry('/*refresh*/'), undefined, 'naming a timer in a handler does not run what the timer runs');
    assert.equal(entry('/*routeGet*/')?.label, 'express route GET /c', "the path of route('/c') down the chain");
    assert.equal(entry('/*routePost*/')?.label, 'express route POST /c');
  });

  it('finds Koa, @koa/router, Hono, Bull and Passport entries through their real types', function () {
    const { file } = project({
      'typed/app.ts': `
import Router from '@koa/router';
import Queue from 'bull';
import { Hono } from 'hono';
import Koa from 'koa';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { Strategy as LocalStrategy } from 'passport-local';
import { audit } from './audit';
const koa = new Koa();
const router = new Router();
router.get('/orders/:id', async (ctx) => { /*koaRoute*/ ctx.body = await audit(String(ctx.params.id)); });
koa.use(async (_ctx, next) => { /*koaUse*/ await next(); });
koa.use(router.routes());
const api = new Hono();
api.post('/items', async (c) => { /*hono*/ return c.json({}); });
const root = new Hono().route('/v1', api);
const queue = new Queue<{ id: string }>('mail');
queue.process('welcome', 2, async (job) => { /*bull*/ return job.data.id; });
passport.deserializeUser((id: string, done: (error: unknown, user?: string) => void) => { /*deserialize*/ done(null, id); });
passport.use(new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: 'k' }, (payload: { sub: string }, done) => { /*jwt*/ done(null, payload.sub); }));
passport.use(new LocalStrategy((username, _password, done) => { /*local*/ done(null, username); }));
const names = new Map<string, string>();
names.set('x', 'y');
export { root };
`,
      'typed/audit.ts': `
export async function audit(id: string): Promise<string> {
  /*audit*/ return id;
}
`,
    });
    const paths = new RequestPaths();
    const app = file('typed/app.ts');
    const label = (marker: string, name = app): string | undefined => paths.requestPathOf(nodeAt(name, marker))?.entry.label;
    assert.equal(label('/*koaRoute*/'), 'koa route GET /orders/:id');
    assert.equal(label('/*koaUse*/'), 'koa middleware');
    assert.equal(label('/*hono*/'), 'hono route POST /items');
    assert.equal(label('/*bull*/'), "Bull consumer 'welcome'");
    assert.equal(paths.requestPathOf(nodeAt(app, '/*bull*/'))?.entry.perJob, true);
    assert.equal(label('/*deserialize*/'), 'Passport deserializeUser');
    assert.equal(label('/*jwt*/'), 'Passport strategy JwtStrategy (verify)');
    assert.equal(label('/*local*/'), undefined, 'a login strategy runs per sign-in, not per request');
    assert.equal(label('/*audit*/', file('typed/audit.ts')), 'koa route GET /orders/:id');
  });

  it('finds NestJS controllers, guards, interceptors, Passport strategies and the services they call', function () {
    const { file } = project({
      'nest/orders.controller.ts': `
import { CallHandler, CanActivate, Controller, ExecutionContext, Get, Injectable, NestInterceptor, Param } from '@nestjs/common';
import { Observable } from 'rxjs';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}
  @Get(':id')
  find(@Param('id') id: string): Promise<number> {
    return this.orders.find(Number(id));
  }
  helper(): number { /*helper*/ return 1; }
}

@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean { /*guard*/ return Boolean(context); }
}

@Injectable()
export class TimingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> { /*interceptor*/ return next.handle(); }
}
`,
      'nest/orders.service.ts': `
import { Injectable } from '@nestjs/common';
@Injectable()
export class OrdersService {
  async find(id: number): Promise<number> { /*service*/ return id; }
}
`,
      'nest/jwt.strategy.ts': `
// @ts-nocheck
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
export class JwtStrategy extends PassportStrategy(Strategy) {
  async validate(payload: { sub: string }) { /*validate*/ return payload.sub; }
}
`,
    });
    const paths = new RequestPaths();
    const service = paths.pathOfFunction(functionAt(file('nest/orders.service.ts'), '/*service*/'));
    assert.ok(service);
    assert.equal(service.entry.label, "NestJS controller OrdersController.find (@Get(':id'))");
    assert.equal(RequestPaths.describe(service), "NestJS controller OrdersController.find (@Get(':id')) → find()");
    const controller = file('nest/orders.controller.ts');
    assert.equal(paths.pathOfFunction(functionAt(controller, '/*helper*/')), undefined, 'an undecorated method is no route');
    assert.equal(paths.pathOfFunction(functionAt(controller, '/*guard*/'))?.entry.kind, 'guard');
    assert.equal(paths.pathOfFunction(functionAt(controller, '/*interceptor*/'))?.entry.kind, 'interceptor');
    assert.equal(paths.pathOfFunction(functionAt(file('nest/jwt.strategy.ts'), '/*validate*/'))?.entry.kind, 'strategy');
  });

  it('follows a service injected by an interface into the classes that implement it', function () {
    const { file } = project({
      'nest-di/prices.controller.ts': `
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { PRICE_SOURCE, type PriceSource } from './price-source';

@Controller('prices')
export class PricesController {
  constructor(@Inject(PRICE_SOURCE) private readonly prices: PriceSource) {}
  @Get(':sku')
  price(@Param('sku') sku: string): Promise<number> {
    return this.prices.priceOf(sku);
  }
}
`,
      'nest-di/price-source.ts': `
export const PRICE_SOURCE = Symbol('PRICE_SOURCE');
export interface PriceSource {
  priceOf(sku: string): Promise<number>;
}
export abstract class Catalog {
  abstract entries(): Promise<string[]>;
}
`,
      'nest-di/sql-price-source.ts': `
import { Injectable } from '@nestjs/common';
import { Catalog, type PriceSource } from './price-source';
@Injectable()
export class SqlPriceSource implements PriceSource {
  constructor(private readonly catalog: Catalog) {}
  async priceOf(sku: string): Promise<number> { /*implementation*/ return (await this.catalog.entries()).indexOf(sku); }
  unrelated(): number { /*unrelated*/ return 0; }
}
export class SqlCatalog extends Catalog {
  async entries(): Promise<string[]> { /*abstract*/ return []; }
}
export class Lookalike {
  async priceOf(sku: string): Promise<number> { /*lookalike*/ return sku.length; }
}
`,
    });
    const paths = new RequestPaths();
    const sources = file('nest-di/sql-price-source.ts');
    const implementation = paths.pathOfFunction(functionAt(sources, '/*implementation*/'));
    assert.ok(implementation, 'the implementation of the injected interface is on the request path');
    assert.equal(RequestPaths.describe(implementation), "NestJS controller PricesController.price (@Get(':sku')) → priceOf()");
    assert.ok(paths.pathOfFunction(functionAt(sources, '/*abstract*/')), 'and so is the implementation of an abstract method it calls');
    assert.equal(paths.pathOfFunction(functionAt(sources, '/*unrelated*/')), undefined);
    assert.equal(paths.pathOfFunction(functionAt(sources, '/*lookalike*/')), undefined, 'a class of the same shape that does not implement the interface');
  });

  it('finds Next.js route handlers, API routes and middleware by file convention', function () {
    const { file } = project({
      'next/app/api/orders/route.ts': `
export async function GET(request: Request): Promise<Response> { /*get*/ return Response.json(await list(request.url)); }
async function list(url: string): Promise<string[]> { /*list*/ return [url]; }
export function helper(): number { /*nope*/ return 1; }
`,
      'next/pages/api/health.ts': `
export default async function handler(req: unknown, res: { json(v: unknown): void }) { /*pages*/ res.json({ ok: true }); }
`,
      'next/lib/format.ts': `
export function GET(): number { /*notroute*/ return 1; }
`,
    });
    const paths = new RequestPaths();
    const route = file('next/app/api/orders/route.ts');
    assert.equal(paths.pathOfFunction(functionAt(route, '/*get*/'))?.entry.label, 'Next.js route handler GET (app/api/orders/route.ts)');
    assert.ok(paths.pathOfFunction(functionAt(route, '/*list*/')));
    assert.equal(paths.pathOfFunction(functionAt(route, '/*nope*/')), undefined);
    assert.equal(paths.pathOfFunction(functionAt(file('next/pages/api/health.ts'), '/*pages*/'))?.entry.framework, 'next');
    assert.equal(paths.pathOfFunction(functionAt(file('next/lib/format.ts'), '/*notroute*/')), undefined);
  });

  it('finds GraphQL resolver maps (also across files) and graphql-js resolve functions', function () {
    const { file } = project({
      'gql/resolvers.ts': `
export const userResolvers = {
  Query: {
    user: async (_: unknown, args: { id: string }) => { /*query*/ return args.id; },
  },
  User: {
    orders(parent: { id: string }) { /*field*/ return [parent.id]; },
  },
};
`,
      'gql/server.ts': `
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { userResolvers } from './resolvers';
export const config = { typeDefs: 'type Query { user: String }', resolvers: [userResolvers] };
export const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: { hello: { type: GraphQLString, resolve: () => { /*resolve*/ return 'hi'; } } },
  }),
});
`,
    });
    const paths = new RequestPaths();
    const resolvers = file('gql/resolvers.ts');
    assert.equal(paths.pathOfFunction(functionAt(resolvers, '/*query*/'))?.entry.label, 'GraphQL resolver Query.user');
    assert.equal(paths.pathOfFunction(functionAt(resolvers, '/*field*/'))?.entry.label, 'GraphQL resolver User.orders');
    assert.equal(paths.pathOfFunction(functionAt(file('gql/server.ts'), '/*resolve*/'))?.entry.label, 'GraphQL resolver Query.hello');
  });

  it('finds BullMQ workers and Bull consumers, per job', function () {
    const { file } = project({
      'queue/worker.ts': `
import { Worker } from 'bullmq';
import { sendEmail } from './email';
export const worker = new Worker('emails', async (job) => { await sendEmail(String(job.data.to)); }, { connection: { host: 'localhost' } });
`,
      'queue/email.ts': `
export async function sendEmail(to: string): Promise<void> { /*send*/ console.log(to); }
`,
      'queue/bull.ts': `
// @ts-nocheck
import Queue from 'bull';
const queue = new Queue('thumbs');
queue.process('resize', 5, async (job) => { /*bull*/ return job.id; });
`,
    });
    const paths = new RequestPaths();
    const send = paths.pathOfFunction(functionAt(file('queue/email.ts'), '/*send*/'));
    assert.ok(send);
    assert.equal(send.entry.perJob, true);
    assert.equal(send.entry.label, "BullMQ worker 'emails'");
    assert.equal(paths.requestPathOf(nodeAt(file('queue/bull.ts'), '/*bull*/'))?.entry.framework, 'bull');
  });
});
