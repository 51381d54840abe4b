import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { sesClient, sesEmailSender } from '../shared/adapters/ses/ses-email-sender.ts';
import { parseWinbackTaskMessage } from '../shared/adapters/sqs/winback-task-message.ts';
import { pacer } from '../shared/concurrency.ts';
import { sendWinbackTask } from '../shared/jobs/winback-send.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { jobHandler } from './job-handler.ts';
import { logger } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';
import { sendRate } from './send-rate.ts';

const env = parseEnv(JOB_ENV['winback-send']);
const { ENGINE_CONFIG: config, UNSUBSCRIBE_BASE_URL: baseUrl } = env;
const stores = storesFromEnv(env, config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const email = sesEmailSender(ses, env.SES_CONFIGURATION_SET);
const processor = new BatchProcessor(EventType.SQS);

/** Built once per container (the pacer must outlive an invocation); each of SENDER_CONCURRENCY instances takes its share. */
const setup = async () => {
  const rate = (await sendRate(ses, env.MAX_SEND_RATE)) / env.SENDER_CONCURRENCY;
  const secret = baseUrl ? await unsubscribeSecret(env.UNSUBSCRIBE_SECRET_ARN) : undefined;
  const unsubscribe = baseUrl && secret ? { baseUrl, secret, mailto: env.UNSUBSCRIBE_MAILTO } : undefined;
  return { wait: pacer(rate), rate, ...(unsubscribe ? { unsubscribe } : {}) };
};
let ready: ReturnType<typeof setup> | undefined;

/**
 * Sends the win-back tasks of one SQS batch. A record fails (redelivered, then dead-lettered) only when it is
 * malformed or its send could not be decided; every other outcome is recorded in the ledger and the message is done.
 */
export const handler = jobHandler('winback-send', async (event: SQSEvent, context: Context) => {
  ready ??= setup().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  const { rate, ...options } = await ready;
  const counts: Record<string, number> = { throttled: 0, invalid: 0 };
  const add = (key: string, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  const sendOne = async (record: SQSRecord) => {
    const task = parseWinbackTaskMessage(record.messageId, record.body);
    if (!task.ok) {
      add('invalid');
      logger.error('invalid win-back task', { messageId: record.messageId, error: task.error });
      throw new Error(task.error);
    }
    const now = () => new Date().toISOString();
    const result = await sendWinbackTask(
      { ...stores, email },
      { config: config.winback, sending: config.sending, from: env.SENDER_ADDRESS, now, ...options },
      task.task,
    );
    add(result.outcome);
    add('throttled', result.throttled);
  };
  // Records run side by side (the shared pacer spaces their SES calls); a wholly failed batch is reported too.
  const response = await processPartialResponse(event, sendOne, processor, {
    context,
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
  return {
    result: response,
    log: {
      records: event.Records.length,
      retried: response.batchItemFailures.length,
      ratePerInstance: rate,
      ...counts,
    },
    metrics: { EmailsSent: counts.sent ?? 0, EmailsFailed: (counts.failed ?? 0) + (counts.unknownOutcome ?? 0) },
  };
});
