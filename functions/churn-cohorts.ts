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
    const { asOf, runId, job } = merged.run;
    const reports = s3ReportSink(s3, env.REPORTS_BUCKET, `cohorts/${asOf.slice(0, 10)}`);
    const campaign = { ...stores, campaigns: config.campaigns, sending: config.sending };
    const {
      report,
      files,
      scanned,
      invalid,
      omitted,
      campaign: results,
    } = await finishCohorts({ snapshots: stores.snapshots, reports, campaign }, merged, {
      generatedAt: new Date().toISOString(),
      currency: config.currency,
    });
    // Ids and counts only: per campaign, the enrollments and the intent-to-treat uplift (null until windows close).
    const campaigns = (results?.campaigns ?? []).map((c) => ({
      campaignId: c.campaignId,
      enrolled: c.enrolled,
      treated: c.treated.n,
      holdout: c.holdout.n,
      openWindows: c.openWindows.treated + c.openWindows.holdout,
      uplift: c.uplift,
    }));
    const cohorts = report.cohorts.length;
    const counts = { scanned, cohorts, customersWithPurchase: report.customersWithPurchase };
    const summary = { job, runId, asOf, ...counts, invalid: invalid.length + omitted };
    return {
      result: { ...summary, files, campaigns },
      message: 'churn-cohorts finished',
      log: { ...summary, files, campaigns },
      metrics: { CohortsComputed: cohorts, InvalidItems: summary.invalid },
    };
  },
});
