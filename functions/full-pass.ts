import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { describeIssues } from '../shared/domain/common.ts';
import { endOfDay } from '../shared/domain/time.ts';
import { computeCampaignResults } from '../shared/jobs/campaign-results.ts';
import { cohortsFullPass, publishCohorts } from '../shared/jobs/churn-cohorts.ts';
import { flagFullPass } from '../shared/jobs/flag-classifier.ts';
import { completeFullFlagPass } from '../shared/jobs/flag-dormant.ts';
import {
  FullPassRunSchema,
  mergeFullPass,
  planFullPass,
  runSegment,
  SegmentTaskSchema,
  segmentsFor,
} from '../shared/jobs/full-pass.ts';
import { campaignResultsToHtml } from '../shared/reports/campaign-results-html.ts';
import { storesFromEnv } from './adapters.ts';
import { EngineConfigEnv, parseEnv, ReportsEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const { REPORTS_BUCKET, SEGMENT_TIME_BUDGET_SECONDS } = parseEnv(
  ReportsEnv.extend({
    /** a segment worker checkpoints and returns after this long (the state machine calls it again) */
    SEGMENT_TIME_BUDGET_SECONDS: z.coerce.number().int().min(10).max(840).default(600),
  }),
);
const stores = storesFromEnv(config.indexShards);
const s3 = new S3Client({});

/** The jobs this function runs full passes for, each with its worker (the engine itself knows none). */
const WORKERS = { flag: flagFullPass(stores, { policy: config.policy }), cohorts: cohortsFullPass(config.currency) };
const JobSchema = z.enum(['flag', 'cohorts']);

/** The three steps of the full-pass state machine (Step Functions Distributed Map over scan segments). */
const FullPassEventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    job: JobSchema,
    /** set by EventBridge Scheduler */
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    /** a manual run: as of the end of this date, or this instant (the flag job passes its own as-of) */
    asOf: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
    runId: z.string().optional(),
  }),
  SegmentTaskSchema.safeExtend({ action: z.literal('segment'), job: JobSchema }),
  FullPassRunSchema.extend({ action: z.literal('merge'), job: JobSchema }),
]);

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const parsed = FullPassEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`invalid full-pass event: ${describeIssues(parsed.error)}`);
  const step = parsed.data;

  if (step.action === 'plan') {
    const asOf = step.asOf
      ? step.asOf.length === 10
        ? endOfDay(step.asOf)
        : new Date(step.asOf).toISOString()
      : new Date(step.scheduledTime ?? Date.now()).toISOString();
    const plan = planFullPass({
      job: step.job,
      asOf,
      totalSegments: segmentsFor(await stores.customers.approximateCount(), config.scanSegments),
      ...(step.runId ? { runId: step.runId } : {}),
    });
    logger.info('full pass planned', { job: plan.job, runId: plan.runId, asOf, totalSegments: plan.totalSegments });
    return { action: 'plan', ...plan };
  }

  if (step.action === 'segment') {
    const started = Date.now();
    const options = {
      // Stop well before the Lambda timeout; the state machine loops and the next call resumes from here.
      shouldStop: () =>
        Date.now() - started > SEGMENT_TIME_BUDGET_SECONDS * 1000 || context.getRemainingTimeInMillis() < 120_000,
    };
    const result =
      step.job === 'flag'
        ? await runSegment(stores, WORKERS.flag, step, options)
        : await runSegment(stores, WORKERS.cohorts, step, options);
    logger.info('full-pass segment', { job: step.job, runId: step.runId, ...result, ms: Date.now() - started });
    return result;
  }

  if (step.job === 'flag') {
    const merged = await mergeFullPass(stores.runs, WORKERS.flag, step);
    const { summary, omitted } = merged.state;
    const watermarkMoved = await completeFullFlagPass(stores.snapshots, summary, config.policy);
    metrics.addMetric('CustomersScanned', MetricUnit.Count, summary.scanned);
    metrics.addMetric('CustomersFlagged', MetricUnit.Count, summary.changed);
    metrics.addMetric('FullPasses', MetricUnit.Count, 1);
    metrics.addMetric('InvalidItems', MetricUnit.Count, summary.invalid.length + omitted);
    metrics.publishStoredMetrics();
    const { invalid, failed, ...counts } = summary;
    logger.info('flag-dormant full pass finished', {
      runId: step.runId,
      ...counts,
      invalid: invalid.length,
      failed: failed.length,
      failedIds: failed.slice(0, 50),
      omitted: omitted,
      watermarkMoved,
    });
    if (failed.length > 0) throw new Error(`${failed.length} customers could not be written`);
    return { job: 'flag', runId: step.runId, scanned: summary.scanned, changed: summary.changed, watermarkMoved };
  }

  const merged = await mergeFullPass(stores.runs, WORKERS.cohorts, step);
  const { partial, invalid, omitted } = merged.state;
  const campaign = await computeCampaignResults(stores, {
    asOf: step.asOf,
    winback: config.winback,
    sending: config.sending,
    currency: config.currency,
  });
  const { report, files } = await publishCohorts(
    { snapshots: stores.snapshots, reports: s3ReportSink(s3, REPORTS_BUCKET, `cohorts/${step.asOf.slice(0, 10)}`) },
    partial,
    {
      generatedAt: new Date().toISOString(),
      ...(campaign.steps.length ? { campaignSummaryHtml: campaignResultsToHtml(campaign) } : {}),
    },
  );
  metrics.addMetric('CohortsComputed', MetricUnit.Count, report.cohorts.length);
  metrics.addMetric('InvalidItems', MetricUnit.Count, invalid.length + omitted);
  metrics.publishStoredMetrics();
  const summary = {
    job: 'cohorts',
    runId: step.runId,
    asOf: step.asOf,
    scanned: merged.scanned,
    cohorts: report.cohorts.length,
    customersWithPurchase: report.customersWithPurchase,
    invalid: invalid.length + omitted,
    files,
    campaign: { treated: campaign.overall.treated, holdout: campaign.overall.holdout, uplift: campaign.overall.uplift },
  };
  logger.info('churn-cohorts finished', summary);
  return summary;
};
