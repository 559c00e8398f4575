// A small stand-in for n-plus-one detection, for testing the quick-fixes on their own: every I/O call
// (direct or through project functions) inside a for-of loop or an iterating callback becomes a site.
import { CallExpression, Node, TaggedTemplateExpression } from 'ts-morph';
import { callsIn } from '../server/src/engine/rule-kit';
import type { Rule, RuleContext } from '../server/src/engine/types';
import { fixesFor } from '../rules/n-plus-one/fixes';
import { isLoopInvariant } from '../rules/n-plus-one/fixes/shape';
import type { LoopKind, NPlusOneSite } from '../rules/n-plus-one/site';

const ITERATING = new Set(['forEach', 'map', 'flatMap', 'filter', 'reduce']);

/** The innermost per-item loop around a call, as detection describes it. */
function siteOf(call: CallExpression | TaggedTemplateExpression, context: RuleContext): NPlusOneSite | undefined {
  const [path] = context.summaries.ioOfCall(call);
  if (!path) return undefined;
  for (let node: Node | undefined = call.getParent(); node; node = node.getParent()) {
    if (Node.isForOfStatement(node)) {
      if (call.getPos() < node.getStatement().getPos()) return undefined; // the collection is read once
      const declaration = node.getInitializer();
      const item = Node.isVariableDeclarationList(declaration) ? declaration.getDeclarations()[0]?.getNameNode() : undefined;
      return finish({ kind: 'for-of', loop: node, collection: node.getExpression(), item, perItemCall: call, io: path.io, via: path.via, invariant: false });
    }
    if (isFieldResolver(node)) {
      return finish({ kind: 'field-resolver', loop: node, callback: node, item: (node as unknown as { getParameters(): { getNameNode(): Node }[] }).getParameters()[0]?.getNameNode(), perItemCall: call, io: path.io, via: path.via, invariant: false });
    }
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
      const iterating = node.getParent();
      if (!iterating || !Node.isCallExpression(iterating)) return undefined;
      const callee = iterating.getExpression();
      if (!Node.isPropertyAccessExpression(callee) || !ITERATING.has(callee.getName())) return undefined;
      const all = iterating.getParent();
      const concurrent = all && Node.isCallExpression(all) && /^Promise\.(all|allSettled)$/.test(all.getExpression().getText());
      const kind: LoopKind = concurrent ? 'concurrent-map' : (callee.getName() as LoopKind);
      return finish({ kind, loop: concurrent ? all : iterating, callback: node, collection: callee.getExpression(), item: node.getParameters()[0]?.getNameNode(), perItemCall: call, io: path.io, via: path.via, invariant: false });
    }
    if (Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node)) return undefined;
  }
  return undefined;
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** `{ Post: { author: (post) => … } }`: a resolver of a field of a non-root type in a resolver map. */
function isFieldResolver(node: Node): boolean {
  const fn = Node.isArrowFunction(node) || Node.isFunctionExpression(node) ? node : Node.isMethodDeclaration(node) ? node : undefined;
  if (!fn) return false;
  const holder = Node.isMethodDeclaration(fn) ? fn.getParent() : fn.getParent()?.getParent();
  if (Node.isArrowFunction(fn) || Node.isFunctionExpression(fn)) {
    if (!Node.isPropertyAssignment(fn.getParent())) return false;
  }
  if (!holder || !Node.isObjectLiteralExpression(holder)) return false;
  const typeEntry = holder.getParent();
  if (!typeEntry || !Node.isPropertyAssignment(typeEntry)) return false;
  const typeName = typeEntry.getName();
  return /^[A-Z]/.test(typeName) && !ROOT_TYPES.has(typeName);
}

function finish(site: NPlusOneSite): NPlusOneSite {
  return { ...site, invariant: isLoopInvariant(site.perItemCall, site) };
}

export const siteRule: Rule = {
  meta: { id: 'n-plus-one', description: 'test stand-in for detection', defaultSeverity: 'warning', fixKind: 'fix' },
  check(context) {
    for (const call of callsIn(context.sourceFile)) {
      if (insideIoCall(call, context)) continue; // the outermost I/O call of an expression is the per-item call
      const site = siteOf(call, context);
      if (site) context.report({ node: call, message: `site ${site.kind}${site.invariant ? ' invariant' : ''}`, fixes: fixesFor(site, context) });
    }
  },
};

function insideIoCall(call: Node, context: RuleContext): boolean {
  for (let parent = call.getParent(); parent && !Node.isStatement(parent); parent = parent.getParent()) {
    if (Node.isCallExpression(parent) && context.io.classify(parent)) return true;
  }
  return false;
}

