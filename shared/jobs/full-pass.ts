import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { runConcurrently } from '../concurrency.ts';
import { accumulate, type CohortPartial, CohortPartialSchema, emptyPartial, mergePartials } from '../domain/cohort.ts';
import { InstantSchema } from '../domain/common.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerRepository, InvalidItem, SegmentCheckpoint, SegmentRunStore } from '../ports.ts';
import {
  emptyFlagSummary,
  type FlagDormantSummary,
  FlagDormantSummarySchema,
  flagger,
  mergeFlagSummaries,
} from './flag-classifier.ts';

/**
 * A full pass reads every customer: the flag job's full re-classification (first run, after an import or a policy
 * change) and the cohort job. It is split into parallel-scan segments; each segment worker checkpoints its scan
 * cursor and partial result, so it can stop before a time limit and resume, and a crashed or redriven run redoes
 * at most one page. The merge sums the partial results (exactly the single-pass result: every figure is a sum).
 * In AWS a Step Functions Distributed Map runs the workers; locally `runFullPass` runs the same functions.
 */
const count = z.number().int().nonnegative();

export const FullPassJobSchema = z.enum(['flag', 'cohorts']);
export type FullPassJob = z.infer<typeof FullPassJobSchema>;

export const FullPassRunSchema = z.object({
  job: FullPassJobSchema,
  /** names the run's checkpoints: the same id resumes, a new id starts over */
  runId: z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/, 'letters, digits and _ . : - (at most 80)'),
  asOf: InstantSchema,
  totalSegments: z.number().int().min(1).max(10_000),
});
export type FullPassRun = z.infer<typeof FullPassRunSchema>;

export const SegmentTaskSchema = FullPassRunSchema.extend({ segment: z.number().int().nonnegative() }).refine(
  (t) => t.segment < t.totalSegments,
  { message: 'must be below totalSegments', path: ['segment'] },
);
export type SegmentTask = z.infer<typeof SegmentTaskSchema>;

export interface ScanProgress {
  /** called after every page with the number of items on it */
  onPage?: (items: number) => void;
}

export interface FullPassSettings {
  /** flag: the lifecycle policy */
  policy?: LifecyclePolicy;
  /** cohorts: the reporting currency */
  currency?: string;
  /** flag: concurrent conditional writes per segment */
  writeConcurrency?: number;
  /** flag: classify and count, write nothing */
  dryRun?: boolean;
}

export interface FullPassDeps {
  customers: CustomerRepository;
  runs: SegmentRunStore;
}

export interface SegmentResult {
  segment: number;
  done: boolean;
  /** items read by this segment so far (all invocations) */
  scanned: number;
}

export interface SegmentOptions {
  /** asked after every page: true makes the worker checkpoint and return `done: false` (e.g. near a time limit) */
  shouldStop?: () => boolean;
  /** checkpoint every this many pages even when not stopping (a crash then redoes at most that many) */
  checkpointEveryPages?: number;
  onPage?: (items: number) => void;
}

/** Customers per segment a full pass aims at: a few worker calls of ten minutes at most, even on a slow day. */
export const CUSTOMERS_PER_SEGMENT = 150_000;

/**
 * How many segments a full pass needs: at least the configured number, more for a big table, so a segment never
 * grows with the base (at 10M customers: 67 segments).
 */
export function segmentsFor(approximateCustomers: number, configured: number): number {
  return Math.min(10_000, Math.max(configured, Math.ceil(approximateCustomers / CUSTOMERS_PER_SEGMENT)));
}

/** The plan: a run id and the segments to fan out over. */
export function planFullPass(input: {
  job: FullPassJob;
  asOf: string;
  totalSegments: number;
  runId?: string;
}): FullPassRun & { segments: number[] } {
  const run = FullPassRunSchema.parse({
    job: input.job,
    asOf: input.asOf,
    totalSegments: input.totalSegments,
    runId: input.runId ?? `${input.job}-${input.asOf.slice(0, 10)}-${randomUUID().slice(0, 8)}`,
  });
  return { ...run, segments: Array.from({ length: run.totalSegments }, (_, i) => i) };
}

/** The job-specific part of a segment: how pages are folded into the partial result. */
interface SegmentWorker {
  visit(items: Parameters<typeof accumulate>[1][], invalid: InvalidItem[]): Promise<void>;
  state(): unknown;
}

/**
 * Invalid items and failed customers listed per segment at most: a checkpoint must stay far below DynamoDB's 400 KB
 * item limit even over a table full of corrupt items; the rest are counted (`omitted`), never lost silently.
 */
export const MAX_LISTED_PER_SEGMENT = 1_000;

const ListedSchema = z.object({ key: z.string(), error: z.string() });
const CohortStateSchema = z.object({ partial: CohortPartialSchema, invalid: z.array(ListedSchema), omitted: count });
const FlagStateSchema = z.object({ summary: FlagDormantSummarySchema, omitted: count });

function workerFor(deps: FullPassDeps, settings: FullPassSettings, task: SegmentTask, saved: unknown): SegmentWorker {
  const cap = (list: unknown[]) => {
    const over = Math.max(0, list.length - MAX_LISTED_PER_SEGMENT);
    list.length -= over;
    return over;
  };
  if (task.job === 'cohorts') {
    if (!settings.currency) throw new Error('the cohort job needs the reporting currency');
    const state = saved
      ? CohortStateSchema.parse(saved)
      : { partial: emptyPartial(task.asOf, settings.currency), invalid: [] as InvalidItem[], omitted: 0 };
    return {
      async visit(items, invalid) {
        for (const customer of items) accumulate(state.partial, customer);
        state.invalid.push(...invalid);
        state.omitted += cap(state.invalid);
      },
      state: () => state,
    };
  }
  if (!settings.policy) throw new Error('the flag job needs the lifecycle policy');
  const state = saved
    ? FlagStateSchema.parse(saved)
    : { summary: emptyFlagSummary(task.asOf, 'full', settings.dryRun ?? false), omitted: 0 };
  const { summary } = state;
  const run = flagger(
    deps,
    {
      asOf: task.asOf,
      policy: settings.policy,
      ...(settings.writeConcurrency ? { writeConcurrency: settings.writeConcurrency } : {}),
      ...(settings.dryRun ? { dryRun: true } : {}),
    },
    summary,
  );
  return {
    async visit(items, invalid) {
      summary.scanned += items.length + invalid.length;
      summary.invalid.push(...invalid);
      await run.flagPage(items);
      state.omitted += cap(summary.invalid) + cap(summary.failed);
    },
    state: () => state,
  };
}

/**
 * One segment worker. Primary course:
 *  1. load the segment's checkpoint: done already → nothing to do; else resume its scan after the cursor with
 *     its partial result;
 *  2. fold each page into the partial result (flag: classify and write; cohorts: accumulate);
 *  3. checkpoint every few pages, and when `shouldStop` says so, return `done: false` (call again to resume);
 *  4. at the end of the segment, store the final partial result as done.
 */
export async function runSegment(
  deps: FullPassDeps,
  settings: FullPassSettings,
  task: SegmentTask,
  options: SegmentOptions = {},
): Promise<SegmentResult> {
  const saved = await deps.runs.loadSegment(task.runId, task.segment);
  if (saved?.done) return { segment: task.segment, done: true, scanned: saved.scanned };
  const worker = workerFor(deps, settings, task, saved?.state);
  let scanned = saved?.scanned ?? 0;
  let pages = 0;
  const checkpoint = (c: Omit<SegmentCheckpoint, 'segment' | 'scanned' | 'state'>) =>
    deps.runs.saveSegment(task.runId, { segment: task.segment, scanned, state: worker.state(), ...c });
  for await (const page of deps.customers.scan(
    { segment: task.segment, totalSegments: task.totalSegments },
    saved?.cursor,
  )) {
    await worker.visit(page.items, page.invalid);
    scanned += page.items.length + page.invalid.length;
    pages += 1;
    options.onPage?.(page.items.length + page.invalid.length);
    if (!page.next) break;
    if (options.shouldStop?.()) {
      await checkpoint({ done: false, cursor: page.next });
      return { segment: task.segment, done: false, scanned };
    }
    if (pages % (options.checkpointEveryPages ?? 20) === 0) await checkpoint({ done: false, cursor: page.next });
  }
  await checkpoint({ done: true });
  return { segment: task.segment, done: true, scanned };
}

export interface MergedFullPass {
  run: FullPassRun;
  scanned: number;
  /** invalid items and failed customers counted but not listed (over MAX_LISTED_PER_SEGMENT in a segment) */
  omitted: number;
  flag?: FlagDormantSummary;
  cohorts?: { partial: CohortPartial; invalid: InvalidItem[] };
}

/**
 * Merges the segments of a run. Every segment must be done: a missing or unfinished one is an error naming it
 * (the state machine then fails and can be redriven; the workers resume from their checkpoints).
 */
export async function mergeFullPass(runs: SegmentRunStore, run: FullPassRun): Promise<MergedFullPass> {
  const checkpoints = new Map((await runs.loadSegments(run.runId)).map((c) => [c.segment, c]));
  const missing = Array.from({ length: run.totalSegments }, (_, i) => i).filter((i) => !checkpoints.get(i)?.done);
  if (missing.length > 0) {
    throw new Error(
      `run ${run.runId}: segments not finished: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
    );
  }
  const done = [...checkpoints.values()].filter((c) => c.segment < run.totalSegments);
  const scanned = done.reduce((n, c) => n + c.scanned, 0);
  if (run.job === 'flag') {
    const states = done.map((c) => FlagStateSchema.parse(c.state));
    const flag = states.map((st) => st.summary).reduce((a, b) => mergeFlagSummaries(a, b));
    return { run, scanned, omitted: states.reduce((n, st) => n + st.omitted, 0), flag };
  }
  const states = done.map((c) => CohortStateSchema.parse(c.state));
  const first = states[0] as z.infer<typeof CohortStateSchema>;
  return {
    run,
    scanned,
    omitted: states.reduce((n, st) => n + st.omitted, 0),
    cohorts: {
      partial: states.slice(1).reduce((a, b) => mergePartials(a, b.partial), first.partial),
      invalid: states.flatMap((s) => s.invalid),
    },
  };
}

/**
 * A whole full pass in this process: plan, the segment workers (`parallelism` at a time), merge. The code the
 * Step Functions fan-out runs, so what the tests and the CLI run is what runs in AWS.
 */
export async function runFullPass(
  deps: FullPassDeps,
  input: {
    job: FullPassJob;
    asOf: string;
    totalSegments: number;
    runId?: string;
    parallelism?: number;
    settings: FullPassSettings;
    onPage?: (items: number) => void;
  },
): Promise<MergedFullPass> {
  const plan = planFullPass(input);
  await runConcurrently(plan.segments, input.parallelism ?? plan.totalSegments, async (segment) => {
    await runSegment(deps, input.settings, { ...plan, segment }, input.onPage ? { onPage: input.onPage } : {});
  });
  return mergeFullPass(deps.runs, plan);
}
