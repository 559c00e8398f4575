// Quick-fixes for n-plus-one sites: batch the per-item lookup, hoist loop-invariant I/O, or load
// through a per-request DataLoader. Detection (../index.ts) hands each site over; nothing here detects.
import type { NPlusOneFixer } from '../site';

export const fixesFor: NPlusOneFixer = () => [];
