import { EmailFeedbackSchema } from '../shared/domain/email-feedback.ts';

/**
 * Every custom metric a handler can publish, by job (the job name is the function's Powertools service name, the
 * metric's `service` dimension). One list: the handlers' wrapper (functions/job-handler.ts) accepts no other
 * name, the stack (infra/) sets which of them are published, and the bench's cost model counts from it.
 */
export const JOB_METRICS = {
  'flag-dormant': ['CustomersScanned', 'CustomersFlagged', 'IncrementalPasses', 'FullPassesStarted', 'InvalidItems'],
  'flag-full-pass': ['CustomersScanned', 'CustomersFlagged', 'FullPasses', 'InvalidItems'],
  // DigestFailures: 1 when the digest after a pass did not reach every recipient (alarmed where a digest is configured)
  // ModelFitsKept: 1 when the pass's predictive fit was not usable (the last good parameters were kept)
  'churn-cohorts': ['CohortsComputed', 'InvalidItems', 'DigestsSent', 'DigestFailures', 'ModelFitsKept'],
  'winback-email': ['StepsPlanned', 'InvalidItems'],
  'winback-send': ['EmailsSent', 'EmailsFailed'],
  'record-activity': ['EventsApplied', 'EventsDuplicate', 'EventsRejected'],
  'ses-feedback': [
    'CustomersSuppressed',
    ...EmailFeedbackSchema.shape.type.options.map((type) => `Email_${type}` as const),
  ],
  unsubscribe: ['Unsubscribed', 'UnsubscribeRequests'],
} as const satisfies Record<string, readonly string[]>;

export type JobName = keyof typeof JOB_METRICS;
export type MetricOf<J extends JobName> = (typeof JOB_METRICS)[J][number];

/**
 * The metrics the alarms and the dashboard use: the only ones published by default (`metrics: "alarmed"` in the
 * deployment config). Every other count stays a field of the job's summary log line, where Logs Insights can chart
 * it at no per-metric cost (a custom metric is $0.30 a month for each name × function).
 */
export const ALARMED_METRICS = {
  'flag-dormant': ['CustomersFlagged'],
  'flag-full-pass': ['CustomersFlagged'],
  'winback-send': ['EmailsSent', 'EmailsFailed'],
} as const satisfies { [J in JobName]?: readonly MetricOf<J>[] };

/**
 * `PUBLISHED_METRICS`: the metric names a function publishes, comma-separated, or `*` for all of its job's.
 * `alarmedHere`: metrics this deployment alarms on besides ALARMED_METRICS (e.g. DigestFailures where a digest is
 * configured), published with `alarmed` too.
 */
export function publishedMetricsEnv(
  job: JobName,
  published: 'alarmed' | 'all',
  alarmedHere: readonly string[] = [],
): string {
  if (published === 'all') return '*';
  const alarmed: Partial<Record<JobName, readonly string[]>> = ALARMED_METRICS;
  return [...new Set([...(alarmed[job] ?? []), ...alarmedHere])].join(',');
}
