import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { EmailSendError, type SendFailure, safeErrorName } from '../../email/send-error.ts';
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

/**
 * Sends through SES API v2 SendEmail with text and HTML parts, custom headers and message tags. A refusal or a
 * failed request rejects with an EmailSendError classified by `classifySesError`.
 */
export function sesEmailSender(client: SESv2Client, configurationSetName?: string): EmailSender {
  return {
    async send(email) {
      try {
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
      } catch (error) {
        throw classifySesError(error);
      }
    },
  };
}

/**
 * An SES error response means SES did not accept the email: throttling and server errors may be retried later;
 * other refusals are final. No response at all (timeout, reset) means the outcome is unknown. The detail keeps
 * only the error's name and HTTP status: SES messages can quote the recipient address.
 */
export function classifySesError(error: unknown): EmailSendError {
  const status = httpStatusOf(error);
  const name = safeErrorName(error);
  if (status === undefined) return new EmailSendError('unknown', name);
  const failure: SendFailure =
    status === 429 || status >= 500 || name === 'TooManyRequestsException' || name === 'LimitExceededException'
      ? 'transient'
      : 'permanent';
  return new EmailSendError(failure, `${name} (HTTP ${status})`);
}

/** The HTTP status of an SDK error's response (`$metadata.httpStatusCode`); undefined when none came back. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
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
