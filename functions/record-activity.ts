import * as z from 'zod';
import { errorMessage } from '../shared/domain/common.ts';
import { erasureKeyFrom } from '../shared/domain/erasure.ts';
import { cachedModel } from '../shared/jobs/model-in-force.ts';
import { recordActivity } from '../shared/jobs/record-activity.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { jobHandler } from './job-handler.ts';
import { logger } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';

const env = parseEnv(JOB_ENV['record-activity']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const erasureKey = async () => erasureKeyFrom(await unsubscribeSecret(env.UNSUBSCRIBE_SECRET_ARN));
/** The model in force, read again at most hourly by a warm function (the weekly refit arrives within the hour). */
const modelInForce = cachedModel(() => stores.snapshots.loadModel(), 3_600_000);

/** The model, or none when it cannot be read: an event is recorded with the day thresholds rather than not at all. */
async function model(now: string) {
  if (!config.model.enabled) return undefined;
  try {
    return await modelInForce(now);
  } catch (error) {
    logger.warn('predictive model not readable; classifying with the day thresholds', { error: errorMessage(error) });
    return undefined;
  }
}

/** The EventBridge envelope; the customer event itself is `detail` and is validated by the job. */
const EventBridgeEnvelope = z.object({ 'detail-type': z.string(), source: z.string(), detail: z.unknown() });

/** Applies one customer event from the bus. Rejections name the field, never the value: no address reaches the logs. */
export const handler = jobHandler('record-activity', async (event: unknown) => {
  const envelope = EventBridgeEnvelope.safeParse(event);
  const now = new Date().toISOString();
  const summary = await recordActivity(
    {
      ...stores,
      policy: config.policy,
      currency: config.currency,
      now,
      model: await model(now),
      erasures: { registry: stores.erasures, key: erasureKey },
    },
    [envelope.success ? envelope.data.detail : event],
  );
  return {
    result: summary,
    log: { ...summary },
    metrics: {
      EventsApplied: summary.applied,
      EventsDuplicate: summary.duplicates,
      EventsRejected: summary.rejected.length,
    },
    // A transient failure is thrown so the async invocation is retried and, after that, lands in the DLQ.
    failure:
      summary.failed.length > 0 ? `${summary.failed.length} events failed: ${summary.failed[0]?.error}` : undefined,
  };
});
