import * as z from 'zod';
import { runConcurrently } from '../concurrency.ts';
import type { BaseModel, ScoringModel } from '../domain/btyd/model-record.ts';
import { customerScorer } from '../domain/btyd/model-scoring.ts';
import { InvalidItemSchema } from '../domain/common.ts';
import { type Customer, reclassify } from '../domain/customer.ts';
import { type LifecyclePolicy, STAGES, StageSchema, zeroPerStage } from '../domain/lifecycle.ts';
import type { CustomerRepository } from '../ports.ts';
import { capListed, type FullPassWorker } from './full-pass.ts';
import { modelInForce } from './model-in-force.ts';

/**
 * Classifying customers page by page and counting what changed: shared by the incremental daily run and the full
 * pass's segment workers (which checkpoint the summary as their partial result).
 */

const MAX_CONFLICT_RETRIES = 5;

const count = z.number().int().nonnegative();

/** The flag job's name in full-pass runs (run ids, checkpoints, the launcher's execution names). */
export const FLAG_JOB = 'flag';

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
  invalid: z.array(InvalidItemSchema),
  failed: z.array(z.object({ customerId: z.string(), error: z.string() })),
  /** full pass: invalid items and failed customers counted but not listed (too many to list) */
  omitted: count.optional(),
  /** customers written with a fresh predictive score (0 without a model) */
  scored: count.default(0),
  /** the predictive model the run scored with (its fit's as-of), absent without one */
  model: z.string().optional(),
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
  // Both count every stage: the schema's record is exhaustive over StageSchema.
  const stages = { ...a.stages };
  for (const stage of STAGES) stages[stage] += b.stages[stage];
  return {
    ...a,
    scanned: a.scanned + b.scanned,
    changed: a.changed + b.changed,
    refreshed: a.refreshed + b.refreshed,
    unchanged: a.unchanged + b.unchanged,
    skippedNewer: a.skippedNewer + b.skippedNewer,
    conflicts: a.conflicts + b.conflicts,
    scored: a.scored + b.scored,
    transitions: sum(a.transitions, b.transitions),
    stages,
    invalid: [...a.invalid, ...b.invalid],
    failed: [...a.failed, ...b.failed],
  };
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
    stages: zeroPerStage(),
    invalid: [],
    failed: [],
    dryRun,
    scored: 0,
  };
}

/**
 * Per-customer classification shared by the full and the incremental path. `summary` is added to in place (a
 * resumed segment continues its checkpointed summary).
 */
export function flagger(
  deps: { customers: CustomerRepository },
  input: {
    asOf: string;
    policy: LifecyclePolicy;
    /** the predictive model in force: scores and (adaptive policy) classifies; absent: day thresholds */
    model?: ScoringModel | undefined;
    writeConcurrency?: number;
    dryRun?: boolean;
  },
  summary: FlagDormantSummary,
) {
  if (input.model) summary.model = input.model.fittedAsOf;
  const scorer = input.model ? customerScorer(input.model) : undefined;
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
      const next = reclassify(current, input.asOf, input.policy, scorer);
      if (next === current) {
        summary.unchanged += 1;
        countStage(current);
        return;
      }
      if (input.dryRun || (await deps.customers.saveIfVersion(next, current.version))) {
        if (next.score && next.score !== current.score) summary.scored += 1;
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

const FlagPassStateSchema = z.object({ summary: FlagDormantSummarySchema, omitted: count });
/** A flag full pass's partial result: the summary so far and how many listed items were dropped. */
export type FlagPassState = z.infer<typeof FlagPassStateSchema>;

/** The flag job's full-pass worker: classifies each page and writes what changed (conditionally). */
export function flagFullPass(
  deps: {
    customers: CustomerRepository;
    /** the stored predictive model (SnapshotStore.loadModel), read once per process and run */
    loadModel?: () => Promise<BaseModel | undefined>;
  },
  settings: { policy: LifecyclePolicy; writeConcurrency?: number; dryRun?: boolean },
): FullPassWorker<FlagPassState> {
  const model = modelInForce(deps.loadModel);
  return {
    job: FLAG_JOB,
    schema: FlagPassStateSchema,
    initial: (run) => ({ summary: emptyFlagSummary(run.asOf, 'full', settings.dryRun ?? false), omitted: 0 }),
    async visit(state, page) {
      const { summary } = state;
      summary.scanned += page.items.length + page.invalid.length;
      summary.invalid.push(...page.invalid);
      const inForce = await model(summary.asOf);
      await flagger(deps, { ...settings, asOf: summary.asOf, model: inForce }, summary).flagPage(page.items);
      state.omitted += capListed(summary.invalid) + capListed(summary.failed);
    },
    merge: (a, b) => ({ summary: mergeFlagSummaries(a.summary, b.summary), omitted: a.omitted + b.omitted }),
  };
}
