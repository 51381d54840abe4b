import { S3Client } from '@aws-sdk/client-s3';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { cohortsFullPass, finishCohorts } from '../shared/jobs/churn-cohorts.ts';
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
  worker: cohortsFullPass(config.currency),
  configuredSegments: config.scanSegments,
  segmentBudgetSeconds: env.SEGMENT_TIME_BUDGET_SECONDS,
  async finish(merged) {
    const { asOf, runId } = merged.run;
    const result = await finishCohorts(
      {
        snapshots: stores.snapshots,
        reports: s3ReportSink(s3, env.REPORTS_BUCKET, `cohorts/${asOf.slice(0, 10)}`),
        campaign: { ...stores, winback: config.winback, sending: config.sending },
      },
      merged,
      { generatedAt: new Date().toISOString(), currency: config.currency },
    );
    const overall = result.campaign?.overall;
    const summary = {
      job: merged.run.job,
      runId,
      asOf,
      scanned: result.scanned,
      cohorts: result.report.cohorts.length,
      customersWithPurchase: result.report.customersWithPurchase,
      invalid: result.invalid.length + result.omitted,
      files: result.files,
      campaign: { treated: overall?.treated, holdout: overall?.holdout, uplift: overall?.uplift },
    };
    return {
      result: summary,
      message: 'churn-cohorts finished',
      log: summary,
      metrics: { CohortsComputed: result.report.cohorts.length, InvalidItems: summary.invalid },
    };
  },
});
