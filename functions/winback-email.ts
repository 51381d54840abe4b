import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { sesClient, sesEmailSender, sesMaxSendRate } from '../shared/adapters/ses/ses-email-sender.ts';
import { reconcileClaims } from '../shared/jobs/reconcile-claims.ts';
import { winbackEmail } from '../shared/jobs/winback-email.ts';
import { storesFromEnv } from './adapters.ts';
import { asOfFromEvent } from './as-of.ts';
import { EngineConfigEnv, parseEnv, UnsubscribeEnv, WinbackEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';
import { unsubscribeSecret } from './secrets.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const env = parseEnv(WinbackEnv);
const unsubscribe = parseEnv(UnsubscribeEnv);
const stores = storesFromEnv(config.indexShards);
const ses = sesClient({ configurationSetName: env.SES_CONFIGURATION_SET });
const email = sesEmailSender(ses, env.SES_CONFIGURATION_SET);

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const { asOf, dryRun } = asOfFromEvent(event, new Date());
  // SES Send events (configuration set → EventBridge → ses-feedback) resolve claims within seconds; a claim with
  // no event after 24 h was never accepted and is released for this or a later run.
  const reconciled = dryRun
    ? undefined
    : await reconcileClaims(stores.ledger, { now: new Date().toISOString(), graceHours: 24, release: true });
  // Never faster than the account's SES quota, even if MAX_SEND_RATE is set higher.
  const quota = await sesMaxSendRate(ses).catch((error: unknown) => {
    logger.warn('could not read the SES send quota; using MAX_SEND_RATE', { error: (error as Error).name });
    return undefined;
  });
  const maxSendRate = Math.min(env.MAX_SEND_RATE, quota ?? env.MAX_SEND_RATE);
  const summary = await winbackEmail(
    { customers: stores.customers, ledger: stores.ledger, email },
    {
      asOf,
      config: config.winback,
      sending: config.sending,
      now: new Date().toISOString(),
      from: env.SENDER_ADDRESS,
      runId: context.awsRequestId,
      dryRun,
      maxSendRate,
      ...(unsubscribe.UNSUBSCRIBE_BASE_URL
        ? {
            unsubscribe: {
              baseUrl: unsubscribe.UNSUBSCRIBE_BASE_URL,
              secret: await unsubscribeSecret(unsubscribe.UNSUBSCRIBE_SECRET_ARN),
              mailto: unsubscribe.UNSUBSCRIBE_MAILTO,
            },
          }
        : {}),
    },
  );
  for (const [step, counts] of Object.entries(summary.steps)) {
    metrics.addDimension('step', step);
    metrics.addMetric('EmailsSent', MetricUnit.Count, counts.sent);
    metrics.addMetric('EmailsFailed', MetricUnit.Count, counts.failed + counts.unknownOutcome);
    metrics.publishStoredMetrics();
  }
  // Samples hold rendered personal data: never logged.
  const { samples: _samples, invalid, ...counts } = summary;
  logger.info('winback-email finished', {
    ...counts,
    invalid: invalid.length,
    claimsReleased: reconciled?.released ?? 0,
    maxSendRate,
    claimsAwaitingSesEvent: reconciled?.waiting ?? 0,
  });
  return counts;
};
