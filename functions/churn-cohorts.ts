import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { s3ReportSink } from '../shared/adapters/s3/s3-report-sink.ts';
import { churnCohorts } from '../shared/jobs/churn-cohorts.ts';
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
  const result = await churnCohorts(
    {
      customers: stores.customers,
      snapshots: stores.snapshots,
      reports: s3ReportSink(s3, REPORTS_BUCKET, `cohorts/${asOf.slice(0, 10)}`),
    },
    { asOf, currency: config.currency, segments: config.scanSegments, generatedAt: new Date().toISOString() },
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
  };
  logger.info('churn-cohorts finished', summary);
  return summary;
};
