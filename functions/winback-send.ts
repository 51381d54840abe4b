import type { Context, SQSEvent } from 'aws-lambda';
import { sesClient, sesEmailSender } from '../shared/adapters/ses/ses-email-sender.ts';
import { parseWinbackTaskMessage } from '../shared/adapters/sqs/winback-task-message.ts';
import { lazy, pacer } from '../shared/concurrency.ts';
import { sendWinbackTask } from '../shared/jobs/winback-send.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { jobHandler } from './job-handler.ts';
import { unsubscribeLinks } from './secrets.ts';
import { sendRate } from './send-rate.ts';
import { processSqsBatch } from './sqs-batch.ts';
import { templates } from './templates.ts';

const env = parseEnv(JOB_ENV['winback-send']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const email = sesEmailSender(ses, env.SES_CONFIGURATION_SET);

/** Built once per container (the pacer must outlive an invocation); each of SENDER_CONCURRENCY instances takes its share. */
const setup = lazy(async () => {
  const rate = (await sendRate(ses, env.MAX_SEND_RATE)) / env.SENDER_CONCURRENCY;
  const { winback, campaigns, sending } = config;
  const options = { config: winback, campaigns, sending, from: env.SENDER_ADDRESS, wait: pacer(rate) };
  const renderer = await templates();
  return { rate, options: { ...options, templates: renderer, ...(await unsubscribeLinks(env)) } };
});

/**
 * Sends the win-back tasks of one SQS batch. A record fails (redelivered, then dead-lettered) only when it is
 * malformed or its send could not be decided; every other outcome is recorded in the ledger and the message is done.
 */
export const handler = jobHandler('winback-send', async (event: SQSEvent, context: Context) => {
  const { rate, options } = await setup();
  const now = () => new Date().toISOString();
  const { response, counts } = await processSqsBatch(
    event,
    context,
    'win-back task',
    (record) => parseWinbackTaskMessage(record.messageId, record.body),
    async (task) => {
      const result = await sendWinbackTask({ ...stores, email }, { ...options, now }, task);
      return { [result.outcome]: 1, throttled: result.throttled };
    },
  );
  const { sent = 0, failed = 0, unknownOutcome = 0 } = counts;
  const log = { records: event.Records.length, retried: response.batchItemFailures.length, ratePerInstance: rate };
  return {
    result: response,
    log: { ...log, ...counts },
    metrics: { EmailsSent: sent, EmailsFailed: failed + unknownOutcome },
  };
});
