// uncached-hot-read: a read on a request path of data that is the same for many requests — configuration,
// flags, lookup tables, the tenant, the authenticated user re-loaded by a guard — with no cache in front.
// Every request pays a round trip and a pooled connection for an answer that changed minutes ago, if at all.
import { CallExpression, Node, TaggedTemplateExpression } from 'ts-morph';
import { registersFunction, RequestPaths, type EntryPoint, type RequestPath } from '../../server/src/engine/request-path';
import { callsIn } from '../../server/src/engine/rule-kit';
import type { Rule, RuleContext } from '../../server/src/engine/types';
import { isInLoop, isInTransaction, uncachedPathBesides, uncachedPathOf } from './cached';
import { cacheAsideFix } from './fix';
import { hotReadOf, type HotRead } from './hot-data';

export const meta = {
  id: 'uncached-hot-read',
  description: 'A read on a request path of data that is the same for many requests (configuration, flags, lookup tables, the tenant, the authenticated user) with no cache in front repeats the same query on every request.',
  defaultSeverity: 'warning',
  fixKind: 'suggestion',
} as const satisfies Rule['meta'];

/** Entry points that run before the handler on every authenticated request. */
const AUTH_ENTRY_KINDS = new Set<EntryPoint['kind']>(['guard', 'strategy', 'middleware']);

const rule: Rule = {
  meta,
  mayApply: (text) => /select|find|get|fetch|query|first|axios|got|request/i.test(text),
  check(context) {
    for (const read of callsIn(context.sourceFile)) {
      const io = context.io.classify(read);
      if (!io || io.op === 'write' || io.kind === 'redis') continue;
      const hot = hotReadOf(io);
      if (!hot) continue;
      const shortest = context.requestPaths.requestPathOf(read);
      if (!shortest || isInTransaction(read)) continue;
      // The shortest chain may be a job's or run through a loop (n-plus-one's finding), while another
      // caller reaches the read from a plain request: the order files are read in must not decide.
      const requestPath = shortest.entry.perJob || isInLoop(read, shortest) ? uncachedPathBesides(context, read, shortest) : uncachedPathOf(context, read, shortest);
      if (!requestPath) continue;
      if (hot.category === 'principal' && !runsBeforeHandler(requestPath)) continue;
      report(context, read, hot, requestPath);
    }
  },
};

export default rule;

function report(context: RuleContext, read: CallExpression | TaggedTemplateExpression, hot: HotRead, requestPath: RequestPath): void {
  const chain = RequestPaths.describe(requestPath);
  const plural = hot.noun === 'query' ? 'queries' : 'requests';
  const what = `${hot.noun === 'query' ? 'Reading' : 'Fetching'} ${hot.target}`;
  let message: string;
  if (hot.category === 'principal') {
    const step = authStep(requestPath);
    // The chain says more than the step only when the read sits below it (a guard → a service).
    const via = chain === step ? '' : ` (${chain})`;
    message =
      `Re-loading ${hot.target} in ${step} runs on every authenticated request with no cache in front${via}: ` +
      `2,000 req/s ⇒ 2,000 ${plural}/s for the same few records, since a user's requests come in bursts and the record rarely changes between them. ` +
      `A short-TTL cache keyed by the user id (10 s), invalidated on role change or deactivation, removes most of them.`;
  } else if (hot.category === 'tenant') {
    message =
      `${what} runs on every request with no cache in front (${chain}): 2,000 req/s ⇒ 2,000 ${plural}/s for a handful of tenant, plan or environment records ` +
      `that change rarely, each paying a round trip (≈0.5–1 ms in one data centre) and a pooled connection. A cache keyed by the tenant with a 60 s TTL serves nearly all of them from memory.`;
  } else {
    message =
      `${what} runs on every request with no cache in front (${chain}): 2,000 req/s ⇒ 2,000 identical ${plural}/s for data that changes rarely, ` +
      `each paying a round trip (≈0.5–1 ms in one data centre) and a pooled connection. A 30 s cache turns that into about one ${hot.noun} per 30 s per instance.`;
  }
  context.report({
    node: read,
    message,
    related: [...RequestPaths.evidence(requestPath), { node: read, message: `reads ${hot.target} with no cache in front` }],
    fixes: cacheAsideFix(context, read, hot),
  });
}

/** Guards, strategies and middleware, including route-level middleware before the handler (`get(path, auth, handler)`). */
function runsBeforeHandler(requestPath: RequestPath): boolean {
  const { entry } = requestPath;
  if (AUTH_ENTRY_KINDS.has(entry.kind)) return true;
  if (entry.kind !== 'route' || !Node.isCallExpression(entry.node)) return false;
  const args = entry.node.getArguments();
  const fnArgs = args.filter((arg) => !Node.isStringLiteral(arg) && !Node.isNoSubstitutionTemplateLiteral(arg));
  if (fnArgs.length < 2) return false;
  // The handler may be wrapped: `get(path, auth, catchAsync(async (req, res) => …))`, `get(path, auth, getProfile)`.
  return !registersFunction(fnArgs[fnArgs.length - 1], entry.fn);
}

/** `NestJS guard AuthGuard.canActivate`, or `middleware requireUser` for a route-level middleware. */
function authStep(requestPath: RequestPath): string {
  const { entry } = requestPath;
  if (entry.kind !== 'route') return entry.label;
  const name = functionName(entry.fn);
  return `middleware ${name ? `${name}()` : '(inline)'}`;
}

function functionName(fn: Node): string | undefined {
  if (Node.isFunctionDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  return parent && Node.isVariableDeclaration(parent) ? parent.getName() : undefined;
}
