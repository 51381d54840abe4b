import { createHmac, timingSafeEqual } from 'node:crypto';
import { CustomerIdSchema } from '../domain/common.ts';

/**
 * Unsubscribe tokens: `v1.<payload>.<mac>`, payload = base64url(`customerId|campaignId|issuedAt seconds`),
 * mac = base64url(HMAC-SHA256(secret, "v1." + payload)). Verification is constant-time, and every failure looks
 * the same to the caller, so a forged link reveals nothing about which customers exist.
 */
export interface UnsubscribeClaims {
  customerId: string;
  campaignId: string;
  issuedAt: number;
}

const VERSION = 'v1';
const MAX_TOKEN_LENGTH = 512;
const MIN_SECRET_LENGTH = 32;

function mac(secret: string, signed: string): Buffer {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new Error(`unsubscribe secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return createHmac('sha256', secret).update(signed).digest();
}

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const payload = Buffer.from(`${claims.customerId}|${claims.campaignId}|${Math.floor(claims.issuedAt)}`).toString(
    'base64url',
  );
  return `${VERSION}.${payload}.${mac(secret, `${VERSION}.${payload}`).toString('base64url')}`;
}

/** The claims of a valid token, or undefined for anything else (tampered, truncated, foreign, malformed). */
export function verifyUnsubscribeToken(
  token: unknown,
  secret: string,
  nowSeconds: number,
): UnsubscribeClaims | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const [version, payload, signature, ...more] = token.split('.');
  if (version !== VERSION || payload === undefined || signature === undefined || more.length > 0) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return undefined;
  // Compare the canonical text, not decoded bytes: base64url decoders ignore the unused low bits of the last
  // character, so decoding would accept several spellings of one MAC.
  const expected = Buffer.from(mac(secret, `${VERSION}.${payload}`).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const [customerId, campaignId, issued, ...rest] = Buffer.from(payload, 'base64url').toString('utf8').split('|');
  if (customerId === undefined || campaignId === undefined || issued === undefined || rest.length > 0) return undefined;
  const issuedAt = Number(issued);
  if (!CustomerIdSchema.safeParse(customerId).success || !/^\d{1,12}$/.test(issued)) return undefined;
  // Issued in the future (beyond clock skew): not one of ours.
  if (issuedAt > nowSeconds + 86_400) return undefined;
  return { customerId, campaignId, issuedAt };
}
