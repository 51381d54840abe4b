import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { feedbackFromSesEvent } from '../shared/adapters/ses/ses-event.ts';
import { applySesFeedback } from '../shared/jobs/ses-feedback.ts';
import { storesFromEnv } from './adapters.ts';
import { EngineConfigEnv, parseEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const stores = storesFromEnv(config.indexShards);

const EventBridgeEnvelope = z.object({ 'detail-type': z.string(), detail: z.unknown() });

/** EventBridge rule target for SES configuration-set events (bounces, complaints, deliveries, opens, clicks). */
export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const envelope = EventBridgeEnvelope.safeParse(event);
  const mapped = feedbackFromSesEvent(envelope.success ? envelope.data.detail : event);
  if ('ignored' in mapped) {
    logger.info('ses event ignored', { reason: mapped.ignored });
    return { ignored: mapped.ignored };
  }
  const summary = await applySesFeedback(
    { customers: stores.customers, ledger: stores.ledger, policy: config.feedback },
    [mapped.feedback],
  );
  metrics.addMetric(`Email_${String(mapped.feedback.type)}`, MetricUnit.Count, 1);
  if (summary.suppressed) metrics.addMetric('CustomersSuppressed', MetricUnit.Count, summary.suppressed);
  metrics.publishStoredMetrics();
  logger.info('ses feedback applied', {
    type: mapped.feedback.type,
    customerId: mapped.feedback.customerId,
    ...summary,
  });
  return summary;
};
