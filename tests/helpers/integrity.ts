import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { type CheckSummary, checkInvariants } from '../../shared/jobs/check-invariants.ts';
import type { TestEnv } from './local-aws.ts';

/** `clientele check` on a test environment's tables, as of `at` (repaired customers are classified then too). */
export function checkEnv(env: TestEnv, erasureKey: string, at: string, repair = false): Promise<CheckSummary> {
  return checkInvariants(
    {
      customers: env.stores.customers,
      orders: env.stores.orders,
      ledger: env.stores.ledger,
      policy: DEFAULT_ENGINE_CONFIG.policy,
      erasures: { registry: env.stores.erasures, key: erasureKey },
    },
    { now: at, classifyAt: at, repair },
  );
}
