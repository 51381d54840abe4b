import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { flagDormantIncremental } from '../shared/jobs/flag-dormant.ts';
import { storesFromEnv } from './adapters.ts';
import { asOfFromEvent } from './as-of.ts';
import { EngineConfigEnv, parseEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const stores = storesFromEnv(config.indexShards);

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const { asOf, dryRun } = asOfFromEvent(event, new Date());
  const summary = await flagDormantIncremental(
    { customers: stores.customers, watermarks: stores.snapshots },
    { asOf, policy: config.policy, segments: config.scanSegments, dryRun },
  );
  metrics.addMetric('CustomersScanned', MetricUnit.Count, summary.scanned);
  metrics.addMetric('CustomersFlagged', MetricUnit.Count, summary.changed);
  metrics.addMetric(summary.mode === 'full' ? 'FullPasses' : 'IncrementalPasses', MetricUnit.Count, 1);
  metrics.addMetric('InvalidItems', MetricUnit.Count, summary.invalid.length);
  metrics.publishStoredMetrics();
  const { invalid, failed, ...counts } = summary;
  logger.info('flag-dormant finished', {
    ...counts,
    invalid: invalid.length,
    failed: failed.length,
    failedIds: failed.slice(0, 50),
  });
  if (failed.length > 0) throw new Error(`${failed.length} customers could not be written`);
  return counts;
};
