import { S3Client } from '@aws-sdk/client-s3';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { cohortsFullPass, cohortsRunSummary, finishCohorts } from '../shared/jobs/churn-cohorts.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { fullPassHandler } from './full-pass-handler.ts';

const env = parseEnv(JOB_ENV['churn-cohorts']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const s3 = new S3Client({});

/**
 * The cohort job, run weekly by its state machine: segments accumulate the cohort matrix (reading only); the merge
 * publishes the snapshot and the reports (with the campaign results) under cohorts/<as-of date>/ in S3.
 */
export const handler = fullPassHandler('churn-cohorts', {
  deps: stores,
  worker: cohortsFullPass({ currency: config.currency, policy: config.policy, orders: stores.orders }),
  configuredSegments: config.scanSegments,
  segmentBudgetSeconds: env.SEGMENT_TIME_BUDGET_SECONDS,
  async finish(merged) {
    const reports = s3ReportSink(s3, env.REPORTS_BUCKET, `cohorts/${merged.run.asOf.slice(0, 10)}`);
    const campaign = { ...stores, campaigns: config.campaigns, sending: config.sending };
    const result = await finishCohorts({ snapshots: stores.snapshots, reports, campaign }, merged, {
      generatedAt: new Date().toISOString(),
      currency: config.currency,
    });
    const summary = cohortsRunSummary(merged.run, result);
    return {
      result: summary,
      message: 'churn-cohorts finished',
      log: summary,
      metrics: { CohortsComputed: summary.cohorts, InvalidItems: summary.invalid },
    };
  },
});
