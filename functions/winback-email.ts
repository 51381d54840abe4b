import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { sesClient } from '../shared/adapters/ses/ses-email-sender.ts';
import { sqsWinbackTaskQueue } from '../shared/adapters/sqs/winback-task-queue.ts';
import { planWinbackRun } from '../shared/jobs/winback-run.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { asOfFromEvent } from './events.ts';
import { jobHandler } from './job-handler.ts';
import { sendRate } from './send-rate.ts';

const env = parseEnv(JOB_ENV['winback-email']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const queue = sqsWinbackTaskQueue(new SQSClient({}), env.WINBACK_QUEUE_URL);

/**
 * The hourly win-back planner: releases stale claims, then queues one SQS message per due send for winback-send,
 * at most what the senders can send before the next run.
 */
export const handler = jobHandler('winback-email', async (event: unknown, context: Context) => {
  const { asOf, dryRun, full } = asOfFromEvent(event, new Date());
  const run = await planWinbackRun(
    { ...stores, queue, watermarks: stores.snapshots },
    {
      asOf,
      now: new Date().toISOString(),
      config: config.winback,
      campaigns: config.campaigns,
      sending: config.sending,
      runId: context.awsRequestId,
      dryRun,
      full,
      maxSendRate: await sendRate(ses, env.MAX_SEND_RATE),
      planIntervalMinutes: env.PLAN_INTERVAL_MINUTES,
    },
  );
  const { samples: _samples, invalid, ...counts } = run.summary;
  return {
    result: counts,
    log: { ...counts, invalid: invalid.length, ...run.capacity, ...run.claims },
    metrics: { StepsPlanned: run.planned, InvalidItems: invalid.length },
  };
});
