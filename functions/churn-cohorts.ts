import { S3Client } from '@aws-sdk/client-s3';
import { s3ReportLinker } from '../shared/adapters/s3/s3-report-link.ts';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { sesClient, sesEmailSender } from '../shared/adapters/ses/ses-email-sender.ts';
import { cohortsFullPass, cohortsRunSummary, finishCohorts } from '../shared/jobs/churn-cohorts.ts';
import { cohortReportFolder, sendCohortDigest } from '../shared/jobs/digest.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { fullPassHandler } from './full-pass-handler.ts';

const env = parseEnv(JOB_ENV['churn-cohorts']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const s3 = new S3Client({});
// The digest is a handful of emails a week: a few SDK retries are fine here (the win-back sender paces its own).
const email = sesEmailSender(sesClient({ maxAttempts: 3 }), env.SES_CONFIGURATION_SET);

/**
 * The cohort job, run weekly by its state machine: segments accumulate the cohort matrix (reading only); the merge
 * publishes the snapshot and the reports (with the campaign results) under cohorts/<as-of date>/ in S3, then sends
 * the digest to engine.digest.recipients. A digest that fails is logged, counted and returned; the pass succeeds.
 */
export const handler = fullPassHandler('churn-cohorts', {
  deps: stores,
  worker: cohortsFullPass({
    currency: config.currency,
    policy: config.policy,
    orders: stores.orders,
    // Segments score the base with the model in force (one read per process and run); the merge fits the next one.
    ...(config.model.enabled ? { model: { settings: config.model, load: () => stores.snapshots.loadModel() } } : {}),
  }),
  configuredSegments: config.scanSegments,
  segmentBudgetSeconds: env.SEGMENT_TIME_BUDGET_SECONDS,
  async finish(merged) {
    const reports = s3ReportSink(s3, env.REPORTS_BUCKET, cohortReportFolder(merged.run.asOf));
    const campaign = { ...stores, campaigns: config.campaigns, sending: config.sending };
    const result = await finishCohorts(
      { snapshots: stores.snapshots, reports, campaign, modelSettings: config.model },
      merged,
      {
        generatedAt: new Date().toISOString(),
        currency: config.currency,
      },
    );
    const digest = await sendCohortDigest(
      { snapshots: stores.snapshots, email, links: s3ReportLinker(s3, env.REPORTS_BUCKET) },
      {
        report: result.report,
        campaigns: result.campaign,
        config: config.digest,
        // The env contract requires SENDER_ADDRESS whenever there are recipients and the digest is enabled;
        // otherwise the digest is skipped before an address is needed.
        from: env.SENDER_ADDRESS ?? '',
        title: config.winback.shopName,
        now: new Date().toISOString(),
      },
    );
    const summary = { ...cohortsRunSummary(merged.run, result), digest };
    return {
      result: summary,
      message: 'churn-cohorts finished',
      log: summary,
      metrics: {
        CohortsComputed: summary.cohorts,
        InvalidItems: summary.invalid,
        // A pass whose fit could not be used (the last good parameters kept, or none yet): alarmable.
        ...(result.model ? { ModelFitsKept: result.model.status === 'fitted' ? 0 : 1 } : {}),
        // Only when a digest was attempted: a deployment without one publishes no digest metric.
        ...(digest.status === 'skipped'
          ? {}
          : { DigestsSent: digest.sent, DigestFailures: digest.status === 'sent' ? 0 : 1 }),
      },
    };
  },
});
