import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** The unsubscribe HMAC secret, cached by Powertools for 5 minutes so rotation reaches warm containers. */
export async function unsubscribeSecret(arn: string): Promise<string> {
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== 'string' || value.length < 32)
    throw new Error('unsubscribe secret missing or shorter than 32 characters');
  return value;
}

/** The unsubscribe links of a sender's emails (link and one-click header), when the deployment has the endpoint. */
export async function unsubscribeLinks(env: {
  UNSUBSCRIBE_BASE_URL?: string | undefined;
  UNSUBSCRIBE_SECRET_ARN: string;
  UNSUBSCRIBE_MAILTO?: string | undefined;
}): Promise<{ unsubscribe?: { baseUrl: string; secret: string; mailto?: string | undefined } }> {
  const baseUrl = env.UNSUBSCRIBE_BASE_URL;
  if (!baseUrl) return {};
  return {
    unsubscribe: {
      baseUrl,
      secret: await unsubscribeSecret(env.UNSUBSCRIBE_SECRET_ARN),
      mailto: env.UNSUBSCRIBE_MAILTO,
    },
  };
}
