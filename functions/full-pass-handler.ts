import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../shared/domain/common.ts';
import {
  type FullPassDeps,
  FullPassRunSchema,
  type FullPassWorker,
  type MergedFullPass,
  mergeFullPass,
  planFullPass,
  runSegment,
  SegmentTaskSchema,
  segmentsFor,
} from '../shared/jobs/full-pass.ts';
import { asOfInstant } from './as-of.ts';
import { type JobOutcome, jobHandler } from './job-handler.ts';
import type { JobName } from './metrics.ts';

/** The three steps of a job's full-pass state machine (plan, a Distributed Map over the segments, merge). */
const FullPassEventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    /** set by EventBridge Scheduler */
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    /** a manual run or a launch: as of the end of this date, or this instant */
    asOf: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
    runId: z.string().optional(),
  }),
  SegmentTaskSchema.safeExtend({ action: z.literal('segment') }),
  FullPassRunSchema.extend({ action: z.literal('merge') }),
]);

export interface FullPassHandlerOptions<J extends JobName, S, R> {
  deps: FullPassDeps;
  worker: FullPassWorker<S>;
  configuredSegments: number;
  /** a segment worker checkpoints and returns after this long (the state machine calls it again) */
  segmentBudgetSeconds: number;
  /** the job's merge step: what it does with the merged segments (publish, move a watermark) */
  finish(merged: MergedFullPass<S>): Promise<JobOutcome<J, R>>;
}

/**
 * The handler of a job's full-pass function: the engine's plan / segment / merge, for one worker. It knows no job;
 * the job's module gives its worker and its merge step.
 */
export function fullPassHandler<J extends JobName, S, R>(job: J, options: FullPassHandlerOptions<J, S, R>) {
  const { deps, worker } = options;
  return jobHandler(job, async (event: unknown, context: Context): Promise<JobOutcome<J, unknown>> => {
    const parsed = FullPassEventSchema.safeParse(event);
    if (!parsed.success) throw new Error(`invalid full-pass event: ${describeIssues(parsed.error)}`);
    const step = parsed.data;
    if (step.action === 'plan') {
      const asOf = asOfInstant(step, new Date());
      const totalSegments = segmentsFor(await deps.customers.approximateCount(), options.configuredSegments);
      const plan = planFullPass({ job: worker.job, asOf, totalSegments, ...(step.runId ? { runId: step.runId } : {}) });
      return {
        result: { action: 'plan', ...plan },
        message: 'full pass planned',
        log: { job: plan.job, runId: plan.runId, asOf, totalSegments },
      };
    }
    if (step.action === 'segment') {
      const started = Date.now();
      // Stop well before the Lambda timeout; the state machine loops and the next call resumes from here.
      const shouldStop = () =>
        Date.now() - started > options.segmentBudgetSeconds * 1000 || context.getRemainingTimeInMillis() < 120_000;
      const result = await runSegment(deps, worker, step, { shouldStop });
      const log = { job: step.job, runId: step.runId, ...result, ms: Date.now() - started };
      return { result, message: 'full-pass segment', log };
    }
    return options.finish(await mergeFullPass(deps.runs, worker, step));
  });
}
