import { createHash } from 'node:crypto';
import { memorySegmentRuns } from '../adapters/memory/segment-runs.ts';
import type { BaseModel } from '../domain/btyd/model-record.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerRepository, SegmentRunStore, SnapshotStore } from '../ports.ts';
import {
  emptyFlagSummary,
  FLAG_JOB,
  type FlagDormantSummary,
  type FlagPassState,
  flagFullPass,
  flagger,
} from './flag-classifier.ts';
import { type FullPassLauncher, type MergedFullPass, runFullPass, type ScanProgress } from './full-pass.ts';
import { modelInForce } from './model-in-force.ts';

export { FLAG_JOB, type FlagDormantSummary, FlagDormantSummarySchema, mergeFlagSummaries } from './flag-classifier.ts';

export interface FlagDormantDeps {
  customers: CustomerRepository;
  /** full-pass checkpoints; in memory when omitted */
  runs?: SegmentRunStore;
  /**
   * The stored predictive model (SnapshotStore.loadModel), read once per run: customers written are scored with it,
   * and the adaptive policy classifies with it. Omitted (or no model yet): day thresholds, no scores.
   */
  loadModel?: () => Promise<BaseModel | undefined>;
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
 * The full pass, in this process (the daily run delegates it to a state machine in AWS). Primary course:
 *  1. scan customers in parallel segments (the same segment workers the Step Functions fan-out runs, here
 *     `parallelism` at a time in this process), checkpointing each segment's progress;
 *  2. classify each at `asOf` with the pure lifecycle policy;
 *  3. write only customers whose stage changed, with a version condition: if a purchase landed meanwhile the
 *     write fails, the customer is re-read and re-classified, so a stale "dormant" never overwrites it;
 *  4. sum the segment summaries.
 * Running twice for the same date writes nothing the second time.
 */
export async function flagDormantFullPass(deps: FlagDormantDeps, input: FlagDormantInput): Promise<FlagDormantSummary> {
  return summaryOf(await runFlagFullPass(deps, input));
}

function runFlagFullPass(deps: FlagDormantDeps, input: FlagDormantInput): Promise<MergedFullPass<FlagPassState>> {
  const worker = flagFullPass(
    { customers: deps.customers, ...(deps.loadModel ? { loadModel: deps.loadModel } : {}) },
    {
      policy: input.policy,
      ...(input.writeConcurrency ? { writeConcurrency: input.writeConcurrency } : {}),
      ...(input.dryRun ? { dryRun: true } : {}),
    },
  );
  return runFullPass({ customers: deps.customers, runs: deps.runs ?? memorySegmentRuns() }, worker, {
    asOf: input.asOf,
    totalSegments: input.segments,
    ...(input.parallelism ? { parallelism: input.parallelism } : {}),
    ...(input.onPage ? { onPage: input.onPage } : {}),
  });
}

function summaryOf(merged: MergedFullPass<FlagPassState>): FlagDormantSummary {
  const { summary, omitted } = merged.state;
  return omitted > 0 ? { ...summary, omitted } : summary;
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
export async function flagDormant(
  deps: IncrementalFlagDeps & {
    /**
     * Runs a needed full pass elsewhere (in AWS the flag job's state machine, whose merge calls finishFlagFullPass)
     * instead of here; the summary then has mode 'full' and `delegated` names the run.
     */
    launcher?: FullPassLauncher;
  },
  input: FlagDormantInput & { forceFull?: boolean },
): Promise<FlagDormantSummary & { delegated?: { execution: string; alreadyStarted: boolean } }> {
  const settings = policyFingerprint(input.policy);
  const watermark = await deps.watermarks.getWatermark(WATERMARK);
  if (!watermark || watermark.settings !== settings || input.forceFull) {
    const reason = input.forceFull
      ? 'full pass requested'
      : watermark
        ? 'policy changed'
        : 'no watermark (first run or after an import)';
    const empty = { ...emptyFlagSummary(input.asOf, 'full', input.dryRun ?? false), reason };
    if (deps.launcher) {
      if (input.dryRun) return empty;
      return { ...empty, delegated: await deps.launcher.start({ job: FLAG_JOB, asOf: input.asOf, reason }) };
    }
    const { summary } = await finishFlagFullPass(deps.watermarks, await runFlagFullPass(deps, input), input.policy);
    return { ...summary, reason };
  }
  const model = await modelInForce(deps.loadModel)(input.asOf);
  const run = flagger(deps, { ...input, model }, emptyFlagSummary(input.asOf, 'incremental', input.dryRun ?? false));
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
 * The merge step of the flag job's state machine: the merged segments' summary, and the watermark moved when every
 * customer was written. The local path (flagDormant without a launcher) ends the same way.
 */
export async function finishFlagFullPass(
  watermarks: SnapshotStore,
  merged: MergedFullPass<FlagPassState>,
  policy: LifecyclePolicy,
): Promise<{ summary: FlagDormantSummary; watermarkMoved: boolean }> {
  const summary = summaryOf(merged);
  return { summary, watermarkMoved: await completeFullFlagPass(watermarks, summary, policy) };
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
