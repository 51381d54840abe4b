import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { InstantSchema } from './common.ts';
import type { Consent, Customer } from './customer.ts';

/**
 * Erasure keys (invariant I3). An erased person must not come back with marketing consent from data older than the
 * erasure, yet we may keep nothing that identifies them. So we keep keyed hashes — HMAC-SHA256 with a deployment
 * secret — of the customer id and of the normalised address: without the key they cannot be recomputed from a
 * guessed id or address (plain SHA-256 could), with it every import and consent event can ask "was this erased?".
 */

/** Derives the erasure key from the deployment secret (the unsubscribe secret), so there is no second secret. */
export function erasureKeyFrom(deploymentSecret: string): string {
  return createHmac('sha256', deploymentSecret).update('clientele erasure key v1').digest('hex');
}

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');

/** Addresses compare case-insensitively and without surrounding space. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const erasedIdHash = (key: string, customerId: string) => hmac(key, `id:${customerId}`);
export const erasedEmailHash = (key: string, email: string) => hmac(key, `email:${normaliseEmail(email)}`);

/** The tombstone's id: stable for one customer (erasing twice finds the same one), not recomputable without the key. */
export const tombstoneIdOf = (key: string, customerId: string) =>
  `erased-${erasedIdHash(key, customerId).slice(0, 32)}`;

/** One registry entry: this id or address hash was erased at `erasedAt`. */
export const ErasureEntrySchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  kind: z.enum(['id', 'email']),
  erasedAt: InstantSchema,
});
export type ErasureEntry = z.infer<typeof ErasureEntrySchema>;

/** The hashes to look up for a profile (its id, and its address when it has one). */
export function erasureLookups(key: string, customerId: string, email: string | undefined): string[] {
  return email ? [erasedIdHash(key, customerId), erasedEmailHash(key, email)] : [erasedIdHash(key, customerId)];
}

/**
 * I3 as a pure rule: a consent decision to receive marketing that is not newer than an erasure of this id or address
 * is dropped (the customer is kept, without consent); a withdrawal always stands, and an opt-in after the erasure is
 * a new decision and counts.
 */
export function consentAfterErasure(
  consent: Consent | undefined,
  erasures: readonly ErasureEntry[],
): Consent | undefined {
  if (!consent?.marketing) return consent;
  const latest = erasures.reduce((at, e) => (e.erasedAt > at ? e.erasedAt : at), '');
  return latest && consent.at <= latest ? undefined : consent;
}

/**
 * The customer `after` a write, with any marketing consent the erasures rule out removed (keeping an earlier
 * decision that they do not rule out). Applies whenever the write made the customer marketable with a consent or an
 * address it did not have `before`: the address may arrive after the consent.
 */
export function withoutErasedConsent(
  before: Customer,
  after: Customer,
  erasures: readonly ErasureEntry[],
): { customer: Customer; dropped: boolean } {
  const changed = after.consent !== before.consent || after.email !== before.email;
  if (!erasures.length || !changed || consentAfterErasure(after.consent, erasures) === after.consent)
    return { customer: after, dropped: false };
  const { consent: _dropped, ...rest } = after;
  const kept = consentAfterErasure(before.consent, erasures);
  return { customer: kept ? { ...rest, consent: kept } : rest, dropped: true };
}
