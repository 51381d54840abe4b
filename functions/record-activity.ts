import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { erasureKeyFrom } from '../shared/domain/erasure.ts';
import { recordActivity } from '../shared/jobs/record-activity.ts';
import { storesFromEnv } from './adapters.ts';
import { EngineConfigEnv, parseEnv, UnsubscribeEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const { UNSUBSCRIBE_SECRET_ARN: secretArn } = parseEnv(UnsubscribeEnv.pick({ UNSUBSCRIBE_SECRET_ARN: true }));
const stores = storesFromEnv(config.indexShards);

/** The EventBridge envelope; the customer event itself is `detail` and is validated by the job. */
const EventBridgeEnvelope = z.object({ 'detail-type': z.string(), source: z.string(), detail: z.unknown() });

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const envelope = EventBridgeEnvelope.safeParse(event);
  const events = envelope.success ? [envelope.data.detail] : [event];
  const summary = await recordActivity(
    {
      customers: stores.customers,
      orders: stores.orders,
      policy: config.policy,
      currency: config.currency,
      now: new Date().toISOString(),
      erasures: { registry: stores.erasures, key: async () => erasureKeyFrom(await unsubscribeSecret(secretArn)) },
    },
    events,
  );
  metrics.addMetric('EventsApplied', MetricUnit.Count, summary.applied);
  metrics.addMetric('EventsDuplicate', MetricUnit.Count, summary.duplicates);
  metrics.addMetric('EventsRejected', MetricUnit.Count, summary.rejected.length);
  metrics.publishStoredMetrics();
  // Rejections name the field, never the value, so no address or name reaches the logs.
  logger.info('record-activity finished', { ...summary });
  // A transient failure is thrown so the async invocation is retried and, after that, lands in the DLQ.
  if (summary.failed.length > 0) throw new Error(`${summary.failed.length} events failed: ${summary.failed[0]?.error}`);
  return summary;
};
