// Quick-fixes for n-plus-one sites: batch the per-item lookup, hoist loop-invariant I/O, or load
// through a per-request DataLoader. Detection (../index.ts) hands each site over; nothing here detects.
import { BudgetExceeded } from '../../../server/src/engine/budget';
import type { Fix } from '../../../server/src/engine/types';
import type { NPlusOneFixer } from '../site';
import { dataLoaderFix } from './dataloader';
import { hoistFix } from './hoist';
import { ormLookupFix } from './orm';
import { redisLookupFix } from './redis';
import { resolverLoaderFix } from './resolver';
import { sqlLookupFix } from './sql';

/** The best rewrite first: the harness, fix-all and --fix take the first fix of a finding. */
export const fixesFor: NPlusOneFixer = (site, context) => {
  try {
    if (site.invariant) return hoistFix(site, context);
    if (site.kind === 'field-resolver') return resolverLoaderFix(site, context);
    // Rows arrive one at a time: a batched rewrite needs chunking the loop, which is the reader's call.
    if (site.kind === 'for-await') return [];
    for (const fixer of [sqlLookupFix, ormLookupFix, redisLookupFix]) {
      const fixes: Fix[] = fixer(site, context);
      if (fixes.length > 0) return fixes;
    }
    return dataLoaderFix(site, context);
  } catch (error) {
    // A rewrite we cannot build is no reason to lose the finding itself.
    if (error instanceof BudgetExceeded) throw error;
    if (process.env.SCALELINT_DEBUG_FIXES) console.error(error);
    return [];
  }
};
