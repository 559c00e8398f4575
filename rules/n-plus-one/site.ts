// The contract between n-plus-one's detection (index.ts) and its quick-fixes (fixes/): what was found
// where, so a fix can rewrite the loop without re-running detection.
import type { CallExpression, Node, TaggedTemplateExpression } from 'ts-morph';
import type { IoCall } from '../../server/src/engine/io-resolver';
import type { Fix, RuleContext } from '../../server/src/engine/types';

export type LoopKind =
  | 'for' | 'for-of' | 'for-in' | 'while' | 'do'
  | 'forEach' | 'map' | 'flatMap' | 'filter' | 'reduce'
  /** `Promise.all` / `allSettled` over `items.map(async ...)`: N queries at once. */
  | 'concurrent-map'
  /** `for await` over a database cursor or row stream: the driver batches the reads, not the body's I/O. */
  | 'for-await'
  /** A GraphQL field resolver of a non-root type: runs once per parent object. */
  | 'field-resolver';

export interface NPlusOneSite {
  kind: LoopKind;
  /** The loop statement, the iterating call (`items.map(...)`, `Promise.all(...)`), or the resolver. */
  loop: Node;
  /** The per-item function for callback loops (the arrow passed to map/forEach) or the resolver. */
  callback?: Node;
  /** The iterated collection expression (`orders`), when there is one. */
  collection?: Node;
  /** The per-item binding (`order` in `for (const order of orders)`), when there is one. */
  item?: Node;
  /** The call written inside the loop body: the I/O call itself, or the helper that leads to it. */
  perItemCall: CallExpression | TaggedTemplateExpression;
  /** The I/O call that actually runs, possibly in another function or file. */
  io: IoCall;
  /** Calls from `perItemCall` down to `io.node`, outermost first (empty when `perItemCall` is the I/O). */
  via: CallExpression[];
  /** Same arguments on every iteration: hoisting, not batching, is the fix. */
  invariant: boolean;
}

/** Quick-fixes for a site; implemented in fixes/. Returns [] when no rewrite is safe or known. */
export type NPlusOneFixer = (site: NPlusOneSite, context: RuleContext) => Fix[];
