import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { sesClient, sesEmailSender, sesMaxSendRate } from '../shared/adapters/ses/ses-email-sender.ts';
import { pacer } from '../shared/concurrency.ts';
import { describeIssues } from '../shared/domain/common.ts';
import { WinbackTaskSchema } from '../shared/domain/winback.ts';
import type { UnsubscribeOptions } from '../shared/jobs/winback-message.ts';
import { sendWinbackTask } from '../shared/jobs/winback-send.ts';
import { storesFromEnv } from './adapters.ts';
import { EngineConfigEnv, parseEnv, UnsubscribeEnv, WinbackEnv, WinbackQueueEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const env = parseEnv(WinbackEnv);
const { SENDER_CONCURRENCY } = parseEnv(WinbackQueueEnv);
const unsubscribeEnv = parseEnv(UnsubscribeEnv);
const stores = storesFromEnv(config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const email = sesEmailSender(ses, env.SES_CONFIGURATION_SET);
const processor = new BatchProcessor(EventType.SQS);

/** Built once per container: the rate limiter must outlive an invocation to keep its spacing. */
let setup: Promise<{ wait: () => Promise<void>; rate: number; unsubscribe?: UnsubscribeOptions }> | undefined;
async function buildSetup() {
  const quota = await sesMaxSendRate(ses).catch((error: unknown) => {
    logger.warn('could not read the SES send quota; using MAX_SEND_RATE', { error: (error as Error).name });
    return undefined;
  });
  // At most SENDER_CONCURRENCY instances run (the event source's maxConcurrency): each takes its share of the rate.
  const rate = Math.min(env.MAX_SEND_RATE, quota ?? env.MAX_SEND_RATE) / SENDER_CONCURRENCY;
  const unsubscribe = unsubscribeEnv.UNSUBSCRIBE_BASE_URL
    ? {
        baseUrl: unsubscribeEnv.UNSUBSCRIBE_BASE_URL,
        secret: await unsubscribeSecret(unsubscribeEnv.UNSUBSCRIBE_SECRET_ARN),
        mailto: unsubscribeEnv.UNSUBSCRIBE_MAILTO,
      }
    : undefined;
  return { wait: pacer(rate), rate, ...(unsubscribe ? { unsubscribe } : {}) };
}

/**
 * Sends the win-back tasks of one SQS batch. A record fails (and is redelivered, then dead-lettered) only when it
 * is malformed or the send could not be decided (e.g. DynamoDB unavailable); every other outcome (sent, refused,
 * deferred, dropped because the customer changed) is recorded in the ledger and the message is done.
 */
export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  setup ??= buildSetup().catch((error: unknown) => {
    setup = undefined;
    throw error;
  });
  const { wait, rate, unsubscribe } = await setup;
  const counts: Record<string, number> = { throttled: 0, invalid: 0 };
  const sendOne = async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const task = WinbackTaskSchema.safeParse(body);
    if (!task.success) {
      counts.invalid = (counts.invalid ?? 0) + 1;
      const error = body === undefined ? 'body is not JSON' : describeIssues(task.error);
      logger.error('invalid win-back task', { messageId: record.messageId, error });
      throw new Error(`message ${record.messageId}: ${error}`);
    }
    const result = await sendWinbackTask(
      { customers: stores.customers, ledger: stores.ledger, email },
      {
        config: config.winback,
        sending: config.sending,
        from: env.SENDER_ADDRESS,
        wait,
        now: () => new Date().toISOString(),
        ...(unsubscribe ? { unsubscribe } : {}),
      },
      task.data,
    );
    counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    counts.throttled = (counts.throttled ?? 0) + result.throttled;
    if (result.skip) logger.debug('win-back task dropped', { customerId: task.data.customerId, reason: result.skip });
  };
  const response = await processPartialResponse(event, sendOne, processor, {
    context,
    // Records run side by side; the shared limiter spaces their SES calls.
    processInParallel: true,
    // A wholly failed batch is reported through batchItemFailures too, not thrown.
    throwOnFullBatchFailure: false,
  });
  metrics.addMetric('EmailsSent', MetricUnit.Count, counts.sent ?? 0);
  metrics.addMetric('EmailsFailed', MetricUnit.Count, (counts.failed ?? 0) + (counts.unknownOutcome ?? 0));
  metrics.publishStoredMetrics();
  logger.info('winback-send finished', {
    records: event.Records.length,
    retried: response.batchItemFailures.length,
    ratePerInstance: rate,
    ...counts,
  });
  return response;
};
