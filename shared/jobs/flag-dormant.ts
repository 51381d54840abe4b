import { runConcurrently } from '../concurrency.ts';
import { type Customer, reclassify } from '../domain/customer.ts';
import { type LifecyclePolicy, STAGES, type Stage } from '../domain/lifecycle.ts';
import type { CustomerRepository, InvalidItem } from '../ports.ts';
import { forEachCustomerSegment, type ScanProgress } from './scan-all.ts';

export interface FlagDormantDeps {
  customers: CustomerRepository;
}

export interface FlagDormantInput extends ScanProgress {
  asOf: string;
  policy: LifecyclePolicy;
  segments: number;
  /** concurrent conditional writes per segment */
  writeConcurrency?: number;
  /** classify and count, write nothing */
  dryRun?: boolean;
}

export interface FlagDormantSummary {
  asOf: string;
  scanned: number;
  changed: number;
  unchanged: number;
  /** customers whose data is newer than the as-of date: never reclassified backwards */
  skippedNewer: number;
  /** writes that lost to a concurrent update and were re-read and re-evaluated */
  conflicts: number;
  transitions: Record<string, number>;
  stages: Record<Stage, number>;
  invalid: InvalidItem[];
  failed: { customerId: string; error: string }[];
  dryRun: boolean;
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * Primary course:
 *  1. scan customers in parallel segments;
 *  2. classify each at `asOf` with the pure lifecycle policy;
 *  3. write only customers whose stage changed, with a version condition: if a purchase landed meanwhile the
 *     write fails, the customer is re-read and re-classified, so a stale "dormant" never overwrites it.
 * Running twice for the same date writes nothing the second time.
 */
export async function flagDormant(deps: FlagDormantDeps, input: FlagDormantInput): Promise<FlagDormantSummary> {
  const stages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const summary: FlagDormantSummary = {
    asOf: input.asOf,
    scanned: 0,
    changed: 0,
    unchanged: 0,
    skippedNewer: 0,
    conflicts: 0,
    transitions: {},
    stages,
    invalid: [],
    failed: [],
    dryRun: input.dryRun ?? false,
  };
  const countStage = (c: Customer) => {
    stages[c.stage] += 1;
  };

  const flagOne = async (customer: Customer): Promise<void> => {
    let current: Customer | undefined = customer;
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      if (!current) return; // deleted meanwhile
      if ((current.stageSince ?? '') > input.asOf || (current.lastPurchaseAt ?? '') > input.asOf) {
        summary.skippedNewer += 1;
        countStage(current);
        return;
      }
      const next = reclassify(current, input.asOf, input.policy);
      if (next === current) {
        summary.unchanged += 1;
        countStage(current);
        return;
      }
      if (input.dryRun || (await deps.customers.saveIfVersion(next, current.version))) {
        summary.changed += 1;
        const key = `${current.stageSince ? current.stage : 'none'}>${next.stage}`;
        summary.transitions[key] = (summary.transitions[key] ?? 0) + 1;
        countStage(next);
        return;
      }
      summary.conflicts += 1;
      current = await deps.customers.get(customer.customerId);
    }
    summary.failed.push({ customerId: customer.customerId, error: 'too many concurrent-write conflicts' });
  };

  const { scanned, invalid } = await forEachCustomerSegment(
    deps.customers,
    input.segments,
    async (page) => {
      await runConcurrently(page, input.writeConcurrency ?? 8, async (customer) => {
        try {
          await flagOne(customer);
        } catch (error) {
          summary.failed.push({
            customerId: customer.customerId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      });
    },
    input,
  );
  summary.scanned = scanned;
  summary.invalid = invalid;
  return summary;
}
