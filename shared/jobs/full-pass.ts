import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { runConcurrently } from '../concurrency.ts';
import { InstantSchema } from '../domain/common.ts';
import type { Customer } from '../domain/customer.ts';
import type { CustomerRepository, Page, SegmentCheckpoint, SegmentRunStore } from '../ports.ts';

/**
 * The full-pass engine. A full pass reads every customer (the flag job's full re-classification, the cohort job):
 * it is split into parallel-scan segments; each segment worker checkpoints its scan cursor and partial result, so it
 * can stop before a time limit and resume, and a crashed or redriven run redoes at most one page. The merge combines
 * the partial results (every figure is a sum, so exactly the single-pass result). In AWS a Step Functions Distributed
 * Map runs the workers; locally `runFullPass` runs the same functions. The engine knows no job: a job plugs in a
 * `FullPassWorker` (its partial state, how a page folds into it, how two merge).
 */

/** What a job plugs into the engine. `S` is its partial result, checkpointed as JSON after pages. */
export interface FullPassWorker<S> {
  /** the job's name: in run ids, task payloads and logs */
  readonly job: string;
  /** validates a checkpointed state before it is trusted (a checkpoint is stored data) */
  readonly schema: z.ZodType<S>;
  initial(run: FullPassRun): S;
  /** folds one page of customers (and the items that failed their schema) into the state; may write */
  visit(state: S, page: Page<Customer>): Promise<void>;
  merge(a: S, b: S): S;
}

export const FullPassRunSchema = z.object({
  job: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a job name: lowercase letters, digits and -'),
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

/**
 * Starts a job's full pass somewhere else (in AWS: an execution of the job's full-pass state machine, named from
 * the job, the day and the reason, so a retried start finds the one already running).
 */
export interface FullPassLauncher {
  start(request: {
    job: string;
    asOf: string;
    reason: string;
  }): Promise<{ execution: string; alreadyStarted: boolean }>;
}

export interface ScanProgress {
  /** called after every page with the number of items on it */
  onPage?: (items: number) => void;
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
  job: string;
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

/** The plan step of a job's full pass: sized from the customers table (DescribeTable's item count). */
export async function planFullPassRun(
  deps: Pick<FullPassDeps, 'customers'>,
  worker: Pick<FullPassWorker<unknown>, 'job'>,
  input: { asOf: string; configuredSegments: number; runId?: string | undefined },
): Promise<FullPassRun & { segments: number[] }> {
  const totalSegments = segmentsFor(await deps.customers.approximateCount(), input.configuredSegments);
  return planFullPass({
    job: worker.job,
    asOf: input.asOf,
    totalSegments,
    ...(input.runId ? { runId: input.runId } : {}),
  });
}

/**
 * Invalid items and failed customers listed per segment at most: a checkpoint must stay far below DynamoDB's 400 KB
 * item limit even over a table full of corrupt items; the rest are counted (`omitted`), never lost silently.
 */
export const MAX_LISTED_PER_SEGMENT = 1_000;

/** Trims a list a worker keeps in its state to MAX_LISTED_PER_SEGMENT; returns how many it dropped (to count). */
export function capListed(list: unknown[]): number {
  const over = Math.max(0, list.length - MAX_LISTED_PER_SEGMENT);
  list.length -= over;
  return over;
}

/** The items a checkpoint lists (invalid items, failed customers): key and error. */
export const ListedSchema = z.object({ key: z.string(), error: z.string() });

/**
 * One segment worker. Primary course:
 *  1. load the segment's checkpoint: done already → nothing to do; else resume its scan after the cursor with
 *     its partial result;
 *  2. fold each page into the partial result (flag: classify and write; cohorts: accumulate);
 *  3. checkpoint every few pages, and when `shouldStop` says so, return `done: false` (call again to resume);
 *  4. at the end of the segment, store the final partial result as done.
 */
export async function runSegment<S>(
  deps: FullPassDeps,
  worker: FullPassWorker<S>,
  task: SegmentTask,
  options: SegmentOptions = {},
): Promise<SegmentResult> {
  if (task.job !== worker.job) throw new Error(`a ${task.job} segment given to the ${worker.job} worker`);
  const saved = await deps.runs.loadSegment(task.runId, task.segment);
  if (saved?.done) return { segment: task.segment, done: true, scanned: saved.scanned };
  const state = saved ? worker.schema.parse(saved.state) : worker.initial(task);
  let scanned = saved?.scanned ?? 0;
  let pages = 0;
  const checkpoint = (c: Omit<SegmentCheckpoint, 'segment' | 'scanned' | 'state'>) =>
    deps.runs.saveSegment(task.runId, { segment: task.segment, scanned, state, ...c });
  for await (const page of deps.customers.scan(
    { segment: task.segment, totalSegments: task.totalSegments },
    saved?.cursor,
  )) {
    await worker.visit(state, page);
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

export interface MergedFullPass<S> {
  run: FullPassRun;
  scanned: number;
  /** the job's merged partial result */
  state: S;
}

/**
 * Merges the segments of a run. Every segment must be done: a missing or unfinished one is an error naming it
 * (the state machine then fails and can be redriven; the workers resume from their checkpoints).
 */
export async function mergeFullPass<S>(
  runs: SegmentRunStore,
  worker: FullPassWorker<S>,
  run: FullPassRun,
): Promise<MergedFullPass<S>> {
  const checkpoints = new Map((await runs.loadSegments(run.runId)).map((c) => [c.segment, c]));
  const missing = Array.from({ length: run.totalSegments }, (_, i) => i).filter((i) => !checkpoints.get(i)?.done);
  if (missing.length > 0) {
    throw new Error(
      `run ${run.runId}: segments not finished: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
    );
  }
  const done = [...checkpoints.values()].filter((c) => c.segment < run.totalSegments);
  const scanned = done.reduce((n, c) => n + c.scanned, 0);
  const states = done.map((c) => worker.schema.parse(c.state));
  return {
    run,
    scanned,
    state: states.slice(1).reduce((a, b) => worker.merge(a, b), states[0] ?? worker.initial(run)),
  };
}

/**
 * A whole full pass in this process: plan, the segment workers (`parallelism` at a time), merge. The code the
 * Step Functions fan-out runs, so what the tests and the CLI run is what runs in AWS.
 */
export async function runFullPass<S>(
  deps: FullPassDeps,
  worker: FullPassWorker<S>,
  input: {
    asOf: string;
    totalSegments: number;
    runId?: string;
    parallelism?: number;
    onPage?: (items: number) => void;
  },
): Promise<MergedFullPass<S>> {
  const plan = planFullPass({ ...input, job: worker.job });
  await runConcurrently(plan.segments, input.parallelism ?? plan.totalSegments, async (segment) => {
    await runSegment(deps, worker, { ...plan, segment }, input.onPage ? { onPage: input.onPage } : {});
  });
  return mergeFullPass(deps.runs, worker, plan);
}
