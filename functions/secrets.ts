import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** The unsubscribe HMAC secret, cached by Powertools for 5 minutes so rotation reaches warm containers. */
export async function unsubscribeSecret(arn: string): Promise<string> {
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== 'string' || value.length < 32)
    throw new Error('unsubscribe secret missing or shorter than 32 characters');
  return value;
}
