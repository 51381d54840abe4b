import { createHash } from 'node:crypto';
import { memorySegmentRuns } from '../adapters/memory/segment-runs.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerRepository, SegmentRunStore, SnapshotStore } from '../ports.ts';
import { emptyFlagSummary, type FlagDormantSummary, flagFullPass, flagger } from './flag-classifier.ts';
import { runFullPass, type ScanProgress } from './full-pass.ts';

export { type FlagDormantSummary, FlagDormantSummarySchema, mergeFlagSummaries } from './flag-classifier.ts';

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
  const worker = flagFullPass(deps, {
    policy: input.policy,
    ...(input.writeConcurrency ? { writeConcurrency: input.writeConcurrency } : {}),
    ...(input.dryRun ? { dryRun: true } : {}),
  });
  const { state } = await runFullPass({ customers: deps.customers, runs: deps.runs ?? memorySegmentRuns() }, worker, {
    asOf: input.asOf,
    totalSegments: input.segments,
    ...(input.parallelism ? { parallelism: input.parallelism } : {}),
    ...(input.onPage ? { onPage: input.onPage } : {}),
  });
  return state.omitted > 0 ? { ...state.summary, omitted: state.omitted } : state.summary;
}

export interface IncrementalFlagDeps extends FlagDormantDeps {
  watermarks: SnapshotStore;
}

const WATERMARK = 'flag-dormant';

/**
 * A stable fingerprint of the policy: a policy change makes every stored nextCheckAt stale. Every field counts, in
 * key order, so a field added to the policy later changes the fingerprint without anyone listing it here.
 */
export function policyFingerprint(policy: LifecyclePolicy): string {
  const canonical = Object.entries(policy).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
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
