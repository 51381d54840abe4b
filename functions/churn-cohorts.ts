import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { computeCampaignResults } from '../shared/jobs/campaign-results.ts';
import { churnCohorts } from '../shared/jobs/churn-cohorts.ts';
import { campaignResultsToHtml } from '../shared/reports/campaign-results-html.ts';
import { storesFromEnv } from './adapters.ts';
import { asOfFromEvent } from './as-of.ts';
import { EngineConfigEnv, parseEnv, ReportsEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const { REPORTS_BUCKET } = parseEnv(ReportsEnv);
const stores = storesFromEnv(config.indexShards);
const s3 = new S3Client({});

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const { asOf } = asOfFromEvent(event, new Date());
  const campaign = await computeCampaignResults(stores, {
    asOf,
    winback: config.winback,
    sending: config.sending,
    currency: config.currency,
  });
  const result = await churnCohorts(
    {
      customers: stores.customers,
      snapshots: stores.snapshots,
      reports: s3ReportSink(s3, REPORTS_BUCKET, `cohorts/${asOf.slice(0, 10)}`),
    },
    {
      asOf,
      currency: config.currency,
      segments: config.scanSegments,
      generatedAt: new Date().toISOString(),
      ...(campaign.steps.length ? { campaignSummaryHtml: campaignResultsToHtml(campaign) } : {}),
    },
  );
  metrics.addMetric('CohortsComputed', MetricUnit.Count, result.report.cohorts.length);
  metrics.addMetric('InvalidItems', MetricUnit.Count, result.invalid.length);
  metrics.publishStoredMetrics();
  const summary = {
    asOf,
    scanned: result.scanned,
    cohorts: result.report.cohorts.length,
    customersWithPurchase: result.report.customersWithPurchase,
    invalid: result.invalid.length,
    files: result.files,
    campaign: { treated: campaign.overall.treated, holdout: campaign.overall.holdout, uplift: campaign.overall.uplift },
  };
  logger.info('churn-cohorts finished', summary);
  return summary;
};
