import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { sesMaxSendRate } from '../shared/adapters/ses/ses-email-sender.ts';
import { logger } from './powertools.ts';

/**
 * The send rate a win-back function works with: the configured MAX_SEND_RATE, lowered to the account's SES quota
 * when that can be read (planner and sender read it the same way).
 */
export async function sendRate(ses: SESv2Client, configured: number): Promise<number> {
  const quota = await sesMaxSendRate(ses).catch((error: unknown) => {
    logger.warn('could not read the SES send quota; using MAX_SEND_RATE', {
      error: error instanceof Error ? error.name : 'unknown',
    });
    return undefined;
  });
  return Math.min(configured, quota ?? configured);
}
