import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { JOB_METRICS, type JobName, type MetricOf } from './metrics.ts';
import { logger, metrics } from './powertools.ts';

/** What a job's wiring returns to the wrapper. */
export interface JobOutcome<J extends JobName, R> {
  /** the handler's return value (the state machine's next input, an SQS partial batch response, an HTTP answer) */
  result: R;
  /** the summary log line: ids and counts only, never an address or a name */
  log: Record<string, unknown>;
  /** counts, published as custom metrics where PUBLISHED_METRICS lists them, and always logged */
  metrics?: Partial<Record<MetricOf<J>, number>>;
  /** the summary message (default `<job> finished`) */
  message?: string;
  /** after logging: fail the invocation (it is retried, then dead-lettered), e.g. customers not written */
  failure?: string | undefined;
}

/** `PUBLISHED_METRICS` (set by the stack from `metrics` in the deployment config): names, or `*` for all. */
function publishedMetrics(job: JobName): ReadonlySet<string> {
  const value = process.env.PUBLISHED_METRICS ?? '*';
  const known: readonly string[] = JOB_METRICS[job];
  if (value.trim() === '*') return new Set(known);
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length)
    throw new Error(`invalid environment: PUBLISHED_METRICS: ${unknown.join(', ')} not a ${job} metric`);
  return new Set(names);
}

/**
 * The one handler shape: logger context, the job's wiring, the summary line, the metrics, the failure. Every
 * handler in functions/ is `export const handler = jobHandler('<job>', async (event, context) => ...)`.
 */
export function jobHandler<J extends JobName, E, R>(
  job: J,
  run: (event: E, context: Context) => Promise<JobOutcome<J, R>>,
): (event: E, context: Context) => Promise<R> {
  const published = publishedMetrics(job);
  return async (event, context) => {
    logger.addContext(context);
    const outcome = await run(event, context);
    const counts: Partial<Record<string, number>> = outcome.metrics ?? {};
    let any = false;
    for (const [name, value] of Object.entries(counts)) {
      if (value === undefined || !published.has(name)) continue;
      metrics.addMetric(name, MetricUnit.Count, value);
      any = true;
    }
    if (any) metrics.publishStoredMetrics();
    logger.info(outcome.message ?? `${job} finished`, { ...outcome.log, metrics: counts });
    if (outcome.failure) throw new Error(outcome.failure);
    return outcome.result;
  };
}
