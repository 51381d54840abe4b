import * as z from 'zod';

/** ISO-8601 instant, normalised to `YYYY-MM-DDTHH:mm:ss.sssZ` so stored values sort lexicographically by time. */
export const InstantSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform((value) => new Date(value).toISOString())
  .refine((value) => value >= '1970-01-01' && value < '2200-01-01', 'must be between 1970 and 2200');

/**
 * The shop's own customer id. It appears in logs, SES message tags and ledger keys, so it must not be personal
 * data: email addresses are refused (no `@`); use the shop's internal id.
 */
export const CustomerIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : - (not an email address)');

/** IANA time-zone name that the runtime knows (e.g. Europe/Berlin). */
export const TimeZoneSchema = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');

// Constructing an Intl formatter costs ~0.1 ms; a base has few distinct zones and locales, so remember answers.
const timeZoneCache = new Map<string, boolean>();
function isTimeZone(tz: string): boolean {
  let known = timeZoneCache.get(tz);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      known = true;
    } catch {
      known = false;
    }
    if (timeZoneCache.size < 10_000) timeZoneCache.set(tz, known);
  }
  return known;
}

const localeCache = new Map<string, string | null>();
function canonicalLocale(tag: string): string | null {
  let known = localeCache.get(tag);
  if (known === undefined) {
    try {
      known = Intl.getCanonicalLocales(tag)[0] ?? 'en';
    } catch {
      known = null;
    }
    if (localeCache.size < 10_000) localeCache.set(tag, known);
  }
  return known;
}

/** BCP 47 language tag (en, de-AT, pt-BR); canonicalised. */
export const LocaleSchema = z
  .string()
  .max(35)
  .transform((tag, ctx) => {
    const canonical = canonicalLocale(tag);
    if (canonical !== null) return canonical;
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag such as en or de-AT' });
    return z.NEVER;
  });

/**
 * Pragmatic address check (RFC 5321 lengths, one @, a dotted domain, no spaces or control characters).
 * Full RFC 5322 grammar accepts addresses no mailbox provider delivers to; this is what SES will accept.
 */
export const EmailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .regex(
    /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/,
    'must be a valid email address',
  )
  .refine(
    (e) => !e.includes('..') && !e.startsWith('.') && !e.split('@')[0]?.endsWith('.'),
    'must be a valid email address',
  )
  .transform((e) => {
    // The pattern above allows exactly one @.
    const at = e.indexOf('@');
    return `${e.slice(0, at)}@${e.slice(at + 1).toLowerCase()}`;
  });

/** A stored item that failed its schema: reported with its key, never trusted, never fatal. */
export const InvalidItemSchema = z.object({ key: z.string(), error: z.string() });
export type InvalidItem = z.infer<typeof InvalidItemSchema>;

/** A caught error's message (a thrown non-Error is shown as text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Formats zod issues as `field: message; field: message` so an error names the field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(record)'}: ${issue.message}`)
    .join('; ');
}

/** How far in the future an input instant may be (clock skew between systems, time zones): 24 hours. */
export const MAX_FUTURE_MS = 24 * 3_600_000;

/**
 * Invariant I5: an instant more than 24 h after `now` is not a fact yet (a typo like 2199, a wrong time zone), and
 * a future-dated consent would outrank every later real decision. Returns the error message, or undefined when fine.
 * Checked at every input boundary (CSV rows, events), not on stored items.
 */
export function futureInstantError(value: string | undefined, now: string): string | undefined {
  if (value === undefined) return undefined;
  return Date.parse(value) - Date.parse(now) > MAX_FUTURE_MS
    ? `must not be more than 24 hours in the future (now is ${now})`
    : undefined;
}
