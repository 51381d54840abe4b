import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ReportLinker } from '../../jobs/digest.ts';

/** SigV4 query signatures are valid for at most 7 days. */
export const PRESIGN_MAX_SECONDS = 7 * 24 * 3600;
/**
 * A role session (what Lambda signs with) lasts at most 12 hours, and Lambda does not tell the function when its
 * session ends (its credentials carry no expiry): a link it presigns is asked for no longer than this.
 */
export const ROLE_SESSION_MAX_SECONDS = 12 * 3600;
/** Refuse to hand out a link that would die within this. */
const MIN_LINK_SECONDS = 15 * 60;

/**
 * Presigned GET URLs of report files in `bucket`. A presigned URL stops working at its expiry or when the
 * credentials that signed it expire, whichever comes first, so the lifetime asked for is the smallest of: the
 * hours requested, 7 days, the credentials' own expiry when the SDK knows it, and 12 hours for session
 * credentials whose expiry is not known (Lambda's). `expiresAt` is therefore an upper bound the link never
 * outlives; in Lambda it may end sooner, with the role session.
 */
export function s3ReportLinker(client: S3Client, bucket: string, now: () => number = Date.now): ReportLinker {
  return {
    async link(key, hours) {
      const credentials = await client.config.credentials();
      const at = now();
      let seconds = Math.min(Math.floor(hours * 3600), PRESIGN_MAX_SECONDS);
      if (credentials.expiration) {
        seconds = Math.min(seconds, Math.floor((credentials.expiration.getTime() - at) / 1000));
      } else if (credentials.sessionToken) {
        seconds = Math.min(seconds, ROLE_SESSION_MAX_SECONDS);
      }
      if (seconds < MIN_LINK_SECONDS) throw new ShortLivedCredentialsError();
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: seconds,
        signingDate: new Date(at),
      });
      return { url, expiresAt: new Date(at + seconds * 1000).toISOString() };
    },
  };
}

class ShortLivedCredentialsError extends Error {
  override name = 'ShortLivedCredentialsError';
  constructor() {
    super(`the signing credentials expire within ${MIN_LINK_SECONDS / 60} minutes`);
  }
}
