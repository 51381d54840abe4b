import type { Context } from 'aws-lambda';
import {
  type FullPassDeps,
  type FullPassWorker,
  type MergedFullPass,
  mergeFullPass,
  planFullPassRun,
  runSegment,
} from '../shared/jobs/full-pass.ts';
import { parseFullPassEvent } from './events.ts';
import { type JobOutcome, jobHandler } from './job-handler.ts';
import type { JobName } from './metrics.ts';

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
  const { deps, worker, configuredSegments } = options;
  return jobHandler(job, async (event: unknown, context: Context): Promise<JobOutcome<J, unknown>> => {
    const step = parseFullPassEvent(event, new Date());
    if (step.action === 'plan') {
      const plan = await planFullPassRun(deps, worker, { asOf: step.asOf, configuredSegments, runId: step.runId });
      const { segments: _, ...log } = plan;
      return { result: { action: 'plan', ...plan }, message: 'full pass planned', log };
    }
    if (step.action === 'segment') {
      const started = Date.now();
      // Stop well before the Lambda timeout; the state machine loops and the next call resumes from here.
      const shouldStop = () =>
        Date.now() - started > options.segmentBudgetSeconds * 1000 || context.getRemainingTimeInMillis() < 120_000;
      const result = await runSegment(deps, worker, step, { shouldStop });
      return { result, message: 'full-pass segment', log: { ...step, ...result, ms: Date.now() - started } };
    }
    return options.finish(await mergeFullPass(deps.runs, worker, step));
  });
}
