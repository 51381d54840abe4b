import { createHash } from 'node:crypto';
import { runConcurrently } from '../concurrency.ts';
import { type Customer, reclassify } from '../domain/customer.ts';
import { type LifecyclePolicy, STAGES, type Stage } from '../domain/lifecycle.ts';
import type { CustomerRepository, InvalidItem, SnapshotStore } from '../ports.ts';
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
  /** full: every customer read (parallel scan); incremental: only customers with a check due */
  mode: 'full' | 'incremental';
  /** why a full pass ran */
  reason?: string;
  /** incremental: the watermark the run continued from */
  since?: string;
  /** customers read */
  scanned: number;
  /** customers whose stage changed */
  changed: number;
  /** customers whose stage held but whose next check instant was (re)computed */
  refreshed: number;
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
  const { summary, flagPage } = flagger(deps, input, 'full');
  const { scanned, invalid } = await forEachCustomerSegment(deps.customers, input.segments, flagPage, input);
  summary.scanned = scanned;
  summary.invalid = invalid;
  return summary;
}

export interface IncrementalFlagDeps extends FlagDormantDeps {
  watermarks: SnapshotStore;
}

const WATERMARK = 'flag-dormant';

/** A stable fingerprint of the policy: a policy change makes every stored nextCheckAt stale. */
export function policyFingerprint(policy: LifecyclePolicy): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        policy.atRiskAfterDays,
        policy.dormantAfterDays,
        policy.lostAfterDays,
        policy.reactivatedForDays,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

/**
 * The daily run, with work proportional to change. Primary course:
 *  1. read the watermark: the as-of of the last successful run and the policy it used;
 *  2. without one (first run, after a bulk import) or after a policy change: a full pass (parallel scan);
 *  3. otherwise read only customers whose nextCheckAt fell in (watermark, asOf] — the day-sharded `next-check`
 *     index — so a missed day is caught up by the next run, and reads grow with the customers that change;
 *  4. move the watermark to asOf only if every customer was written.
 * `stages` in the summary counts the customers read, not the whole base, on the incremental path.
 */
export async function flagDormantIncremental(
  deps: IncrementalFlagDeps,
  input: FlagDormantInput & { forceFull?: boolean },
): Promise<FlagDormantSummary> {
  const settings = policyFingerprint(input.policy);
  const watermark = await deps.watermarks.getWatermark(WATERMARK);
  let summary: FlagDormantSummary;
  if (!watermark || watermark.settings !== settings || input.forceFull) {
    summary = await flagDormant(deps, input);
    summary.reason = input.forceFull
      ? 'full pass requested'
      : watermark
        ? 'policy changed'
        : 'no watermark (first run or after an import)';
  } else {
    const run = flagger(deps, input, 'incremental');
    summary = run.summary;
    summary.since = watermark.asOf;
    if (input.asOf > watermark.asOf) {
      for await (const page of deps.customers.dueForCheck(watermark.asOf, input.asOf)) {
        summary.scanned += page.items.length + page.invalid.length;
        summary.invalid.push(...page.invalid);
        await run.flagPage(page.items);
        input.onPage?.(page.items.length + page.invalid.length);
      }
    }
  }
  const advances = !watermark || input.asOf > watermark.asOf || watermark.settings !== settings;
  if (!input.dryRun && summary.failed.length === 0 && advances) {
    await deps.watermarks.setWatermark(WATERMARK, { asOf: input.asOf, settings });
  }
  return summary;
}

/** Per-customer classification shared by the full and the incremental path. */
function flagger(deps: FlagDormantDeps, input: FlagDormantInput, mode: 'full' | 'incremental') {
  const stages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const summary: FlagDormantSummary = {
    asOf: input.asOf,
    mode,
    scanned: 0,
    changed: 0,
    refreshed: 0,
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
        if (next.stage === current.stage && next.stageSince === current.stageSince) summary.refreshed += 1;
        else {
          summary.changed += 1;
          const key = `${current.stageSince ? current.stage : 'none'}>${next.stage}`;
          summary.transitions[key] = (summary.transitions[key] ?? 0) + 1;
        }
        countStage(next);
        return;
      }
      summary.conflicts += 1;
      current = await deps.customers.get(customer.customerId);
    }
    summary.failed.push({ customerId: customer.customerId, error: 'too many concurrent-write conflicts' });
  };

  const flagPage = async (page: Customer[]) => {
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
  };
  return { summary, flagPage };
}
