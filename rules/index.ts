// The rule registry: adding a rule is one line here, its folder, and its fixtures.
import type { Rule } from '../server/src/engine/types';
import redisKeys from './redis-keys';
import missingTimeout from './missing-timeout';
import unpooledClient from './unpooled-client';
import missingCircuitBreaker from './missing-circuit-breaker';
import missingIndex from './missing-index';
import uncachedHotRead from './uncached-hot-read';
import nPlusOne from './n-plus-one';

export const RULES: readonly Rule[] = [
  redisKeys,
  missingTimeout,
  unpooledClient,
  missingCircuitBreaker,
  missingIndex,
  uncachedHotRead,
  nPlusOne,
];
