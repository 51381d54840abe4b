import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { sesClient, sesMaxSendRate } from '../shared/adapters/ses/ses-email-sender.ts';
import { sqsWinbackTaskQueue } from '../shared/adapters/sqs/winback-task-queue.ts';
import { reconcileClaims } from '../shared/jobs/reconcile-claims.ts';
import { planWinback } from '../shared/jobs/winback-plan.ts';
import { storesFromEnv } from './adapters.ts';
import { asOfFromEvent } from './as-of.ts';
import { EngineConfigEnv, parseEnv, WinbackEnv, WinbackQueueEnv } from './env.ts';
import { logger } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const env = parseEnv(WinbackEnv);
const queueEnv = parseEnv(WinbackQueueEnv);
const stores = storesFromEnv(config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const queue = sqsWinbackTaskQueue(new SQSClient({}), queueEnv.WINBACK_QUEUE_URL);

/**
 * The hourly win-back planner: reads only customers with a step due and puts one SQS message per send on the
 * queue; the winback-send function sends them. A run plans at most what the senders can send before the next run
 * (90% of the SES rate × the interval), so the queue never holds more than a run's work; the rest stays due.
 */
export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const { asOf, dryRun, full } = asOfFromEvent(event, new Date());
  const now = new Date().toISOString();
  // SES Send events (configuration set → EventBridge → ses-feedback) resolve claims within seconds; a claim with
  // no event after 24 h was never accepted and is released (and made due again) for this or a later run.
  const reconciled = dryRun ? undefined : await reconcileClaims(stores, { now, graceHours: 24, release: true });
  const quota = await sesMaxSendRate(ses).catch((error: unknown) => {
    logger.warn('could not read the SES send quota; using MAX_SEND_RATE', { error: (error as Error).name });
    return undefined;
  });
  const maxSendRate = Math.min(env.MAX_SEND_RATE, quota ?? env.MAX_SEND_RATE);
  const maxTasks = Math.floor(maxSendRate * queueEnv.PLAN_INTERVAL_MINUTES * 60 * 0.9);
  const summary = await planWinback(
    { customers: stores.customers, ledger: stores.ledger, queue, watermarks: stores.snapshots },
    {
      asOf,
      now,
      config: config.winback,
      sending: config.sending,
      runId: context.awsRequestId,
      dryRun,
      full,
      maxTasks,
      // Three intervals: a task still queued then is planned again (the ledger claim stops a second send).
      leaseMinutes: queueEnv.PLAN_INTERVAL_MINUTES * 3,
    },
  );
  const { samples: _samples, invalid, ...counts } = summary;
  logger.info('winback-email finished', {
    ...counts,
    invalid: invalid.length,
    maxSendRate,
    maxTasks,
    claimsReleased: reconciled?.released ?? 0,
    claimsAwaitingSesEvent: reconciled?.waiting ?? 0,
  });
  return counts;
};
