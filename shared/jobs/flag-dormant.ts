import { createHash } from 'node:crypto';
import * as z from 'zod';
import { memorySegmentRuns } from '../adapters/memory/segment-runs.ts';
import { runConcurrently } from '../concurrency.ts';
import { type Customer, reclassify } from '../domain/customer.ts';
import { type LifecyclePolicy, STAGES, type Stage, StageSchema } from '../domain/lifecycle.ts';
import type { CustomerRepository, SegmentRunStore, SnapshotStore } from '../ports.ts';
import { runFullPass, type ScanProgress } from './full-pass.ts';

export interface FlagDormantDeps {
  customers: CustomerRepository;
  /** full-pass checkpoints; in memory when omitted */
  runs?: SegmentRunStore;
}

export interface FlagDormantInput extends ScanProgress {
  asOf: string;
  policy: LifecyclePolicy;
  segments: number;
  /** segments run at once in this process (default: all) */
  parallelism?: number;
  /** concurrent conditional writes per segment */
  writeConcurrency?: number;
  /** classify and count, write nothing */
  dryRun?: boolean;
}

const count = z.number().int().nonnegative();

export const FlagDormantSummarySchema = z.object({
  asOf: z.string(),
  /** full: every customer read (parallel scan); incremental: only customers with a check due */
  mode: z.enum(['full', 'incremental']),
  /** why a full pass ran */
  reason: z.string().optional(),
  /** incremental: the watermark the run continued from */
  since: z.string().optional(),
  /** customers read */
  scanned: count,
  /** customers whose stage changed */
  changed: count,
  /** customers whose stage held but whose next check instant was (re)computed */
  refreshed: count,
  unchanged: count,
  /** customers whose data is newer than the as-of date: never reclassified backwards */
  skippedNewer: count,
  /** writes that lost to a concurrent update and were re-read and re-evaluated */
  conflicts: count,
  transitions: z.record(z.string(), count),
  stages: z.record(StageSchema, count),
  invalid: z.array(z.object({ key: z.string(), error: z.string() })),
  failed: z.array(z.object({ customerId: z.string(), error: z.string() })),
  /** full pass: invalid items and failed customers counted but not listed (too many to list) */
  omitted: count.optional(),
  dryRun: z.boolean(),
});
/** What a flag run did; also a full pass's per-segment partial result (summed by `mergeFlagSummaries`). */
export type FlagDormantSummary = z.infer<typeof FlagDormantSummarySchema>;

/** Sums two summaries of the same run (segments of a full pass). */
export function mergeFlagSummaries(a: FlagDormantSummary, b: FlagDormantSummary): FlagDormantSummary {
  const sum = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, n] of Object.entries(y)) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  return {
    ...a,
    scanned: a.scanned + b.scanned,
    changed: a.changed + b.changed,
    refreshed: a.refreshed + b.refreshed,
    unchanged: a.unchanged + b.unchanged,
    skippedNewer: a.skippedNewer + b.skippedNewer,
    conflicts: a.conflicts + b.conflicts,
    transitions: sum(a.transitions, b.transitions),
    stages: sum(a.stages, b.stages) as Record<Stage, number>,
    invalid: [...a.invalid, ...b.invalid],
    failed: [...a.failed, ...b.failed],
  };
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * The full pass. Primary course:
 *  1. scan customers in parallel segments (the same segment workers the Step Functions fan-out runs, here
 *     `parallelism` at a time in this process), checkpointing each segment's progress;
 *  2. classify each at `asOf` with the pure lifecycle policy;
 *  3. write only customers whose stage changed, with a version condition: if a purchase landed meanwhile the
 *     write fails, the customer is re-read and re-classified, so a stale "dormant" never overwrites it;
 *  4. sum the segment summaries.
 * Running twice for the same date writes nothing the second time.
 */
export async function flagDormant(deps: FlagDormantDeps, input: FlagDormantInput): Promise<FlagDormantSummary> {
  const result = await runFullPass(
    { customers: deps.customers, runs: deps.runs ?? memorySegmentRuns() },
    {
      job: 'flag',
      asOf: input.asOf,
      totalSegments: input.segments,
      ...(input.parallelism ? { parallelism: input.parallelism } : {}),
      settings: {
        policy: input.policy,
        ...(input.writeConcurrency ? { writeConcurrency: input.writeConcurrency } : {}),
        ...(input.dryRun ? { dryRun: true } : {}),
      },
      ...(input.onPage ? { onPage: input.onPage } : {}),
    },
  );
  const summary = result.flag as FlagDormantSummary;
  return result.omitted > 0 ? { ...summary, omitted: result.omitted } : summary;
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
  input: FlagDormantInput & {
    forceFull?: boolean;
    /**
     * Hands a needed full pass to someone else (the Lambda starts the Step Functions fan-out, whose merge step
     * moves the watermark) instead of running it here; the summary then has mode 'full' and `delegated: true`.
     */
    delegateFullPass?: (reason: string) => Promise<void>;
  },
): Promise<FlagDormantSummary & { delegated?: boolean }> {
  const settings = policyFingerprint(input.policy);
  const watermark = await deps.watermarks.getWatermark(WATERMARK);
  if (!watermark || watermark.settings !== settings || input.forceFull) {
    const reason = input.forceFull
      ? 'full pass requested'
      : watermark
        ? 'policy changed'
        : 'no watermark (first run or after an import)';
    if (input.delegateFullPass) {
      await input.delegateFullPass(reason);
      return { ...emptyFlagSummary(input.asOf, 'full', input.dryRun ?? false), reason, delegated: true };
    }
    const summary = { ...(await flagDormant(deps, input)), reason };
    if (!input.dryRun) await completeFullFlagPass(deps.watermarks, summary, input.policy);
    return summary;
  }
  const run = flagger(deps, input, emptyFlagSummary(input.asOf, 'incremental', input.dryRun ?? false));
  const summary = run.summary;
  summary.since = watermark.asOf;
  if (input.asOf > watermark.asOf) {
    for await (const page of deps.customers.dueForCheck(watermark.asOf, input.asOf)) {
      summary.scanned += page.items.length + page.invalid.length;
      summary.invalid.push(...page.invalid);
      await run.flagPage(page.items);
      input.onPage?.(page.items.length + page.invalid.length);
    }
  }
  if (!input.dryRun && summary.failed.length === 0 && input.asOf > watermark.asOf) {
    await deps.watermarks.setWatermark(WATERMARK, { asOf: input.asOf, settings });
  }
  return summary;
}

/**
 * After a full pass (in this process or merged from the fan-out): every stored nextCheckAt is now current for this
 * policy, so the watermark moves to the pass's as-of, unless a customer could not be written.
 */
export async function completeFullFlagPass(
  watermarks: SnapshotStore,
  summary: FlagDormantSummary,
  policy: LifecyclePolicy,
): Promise<boolean> {
  if (summary.dryRun || summary.failed.length > 0) return false;
  const current = await watermarks.getWatermark(WATERMARK);
  const settings = policyFingerprint(policy);
  if (current && current.settings === settings && current.asOf >= summary.asOf) return false;
  await watermarks.setWatermark(WATERMARK, { asOf: summary.asOf, settings });
  return true;
}

export function emptyFlagSummary(asOf: string, mode: 'full' | 'incremental', dryRun: boolean): FlagDormantSummary {
  return {
    asOf,
    mode,
    scanned: 0,
    changed: 0,
    refreshed: 0,
    unchanged: 0,
    skippedNewer: 0,
    conflicts: 0,
    transitions: {},
    stages: Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>,
    invalid: [],
    failed: [],
    dryRun,
  };
}

/**
 * Per-customer classification shared by the full and the incremental path. `summary` is added to in place (a
 * resumed segment continues its checkpointed summary).
 */
export function flagger(
  deps: Pick<FlagDormantDeps, 'customers'>,
  input: Pick<FlagDormantInput, 'asOf' | 'policy' | 'writeConcurrency' | 'dryRun'>,
  summary: FlagDormantSummary,
) {
  const { stages } = summary;
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
