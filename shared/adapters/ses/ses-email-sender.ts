import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EmailSender } from '../../ports.ts';

export interface SesConnection {
  endpoint?: string | undefined;
  region?: string | undefined;
  configurationSetName?: string | undefined;
  /** Milliseconds; a request that never answers fails instead of hanging the job. */
  requestTimeoutMs?: number | undefined;
  maxAttempts?: number | undefined;
}

export function sesClient(connection: SesConnection = {}): SESv2Client {
  return new SESv2Client({
    region: connection.region ?? process.env.AWS_REGION ?? 'us-east-1',
    // One attempt per call: the win-back job retries throttled sends itself, through its pacer, so retries count
    // against the maximum send rate (SDK retries would not).
    maxAttempts: connection.maxAttempts ?? 1,
    requestHandler: {
      requestTimeout: connection.requestTimeoutMs ?? 10_000,
      connectionTimeout: 3_000,
      throwOnRequestTimeout: true,
    },
    ...(connection.endpoint
      ? { endpoint: connection.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

/** Sends through SES API v2 SendEmail with text and HTML parts, custom headers and message tags. */
export function sesEmailSender(client: SESv2Client, configurationSetName?: string): EmailSender {
  return {
    async send(email) {
      const result = await client.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [email.to] },
          ConfigurationSetName: configurationSetName,
          EmailTags: Object.entries(email.tags ?? {}).map(([Name, Value]) => ({ Name, Value: sanitizeTag(Value) })),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
              Headers: email.headers?.map((h) => ({ Name: h.name, Value: h.value })),
            },
          },
        }),
      );
      if (!result.MessageId) throw new Error('SES accepted the email but returned no MessageId');
      return { messageId: result.MessageId };
    },
  };
}

/** SES message tag values allow only ASCII letters, digits, _ and -. */
function sanitizeTag(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
}

/**
 * The account's SES maximum send rate (emails per second) from GetAccount, or undefined when SES does not say.
 * The job never sends faster than this or the configured rate, whichever is lower.
 */
export async function sesMaxSendRate(client: SESv2Client): Promise<number | undefined> {
  const account = await client.send(new GetAccountCommand({}));
  const rate = account.SendQuota?.MaxSendRate;
  return typeof rate === 'number' && rate > 0 ? rate : undefined;
}
