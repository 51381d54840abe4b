import type { TemplateBundle } from '../email/templates/bundle.ts';
import type { CustomerRepository } from '../ports.ts';
import { verifyUnsubscribeToken } from '../unsubscribe/token.ts';
import { preferredLanguage, unsubscribePage } from '../unsubscribe/unsubscribe-page.ts';

export interface HttpRequest {
  method: string;
  query: Record<string, string | undefined>;
  body?: string | undefined;
  /** the visitor's Accept-Language: the language of the pages shown before the customer is known */
  acceptLanguage?: string | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface UnsubscribeDeps {
  customers: CustomerRepository;
  secret: string;
  now: string;
  /** the page strings per locale (the templates bundle) */
  pages: TemplateBundle['pages'];
}

export type UnsubscribeOutcome = 'unsubscribed' | 'already-unsubscribed' | 'unknown-customer';

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

/**
 * Withdraws marketing consent, recorded with time and source (`unsubscribe:<campaign>`). Idempotent: a second
 * call finds consent already withdrawn and changes nothing.
 */
export async function unsubscribeCustomer(
  customers: CustomerRepository,
  customerId: string,
  campaignId: string,
  now: string,
): Promise<UnsubscribeOutcome> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const customer = await customers.get(customerId);
    if (!customer) return 'unknown-customer';
    if (customer.consent?.marketing === false) return 'already-unsubscribed';
    const next = {
      ...customer,
      consent: { marketing: false, at: now, source: `unsubscribe:${campaignId}`.slice(0, 64) },
    };
    if (await customers.saveIfVersion(next, customer.version)) return 'unsubscribed';
  }
  throw new Error(`customer ${customerId}: unsubscribe lost too many concurrent-write races`);
}

/**
 * The unsubscribe endpoint (RFC 8058). GET shows a confirmation page with a button and changes nothing (mail
 * scanners prefetch links); POST — a mail client's one-click `List-Unsubscribe=One-Click` or the button —
 * unsubscribes at once. Invalid tokens get the same 400 page whatever the reason; a valid token for an unknown
 * (e.g. erased) customer gets the normal success page, so responses reveal nothing about who exists.
 */
export async function handleUnsubscribeRequest(
  request: HttpRequest,
  deps: UnsubscribeDeps,
): Promise<HttpResponse & { outcome?: UnsubscribeOutcome | 'invalid-token' | 'confirm' }> {
  const method = request.method.toUpperCase();
  const page = (kind: 'confirm' | 'done' | 'invalid', locale: string | undefined, token?: string) =>
    unsubscribePage(deps.pages, kind, locale, token);
  const visitor = preferredLanguage(request.acceptLanguage);
  if (method !== 'GET' && method !== 'POST') {
    return { status: 405, headers: { ...HEADERS, allow: 'GET, POST' }, body: page('invalid', visitor) };
  }
  const token = request.query.t;
  const claims = verifyUnsubscribeToken(token, deps.secret, Math.floor(Date.parse(deps.now) / 1000));
  if (!claims) return { status: 400, headers: HEADERS, body: page('invalid', visitor), outcome: 'invalid-token' };
  const customer = await deps.customers.get(claims.customerId);
  const locale = customer?.locale ?? visitor;
  if (method === 'GET') {
    return { status: 200, headers: HEADERS, body: page('confirm', locale, token), outcome: 'confirm' };
  }
  const outcome = await unsubscribeCustomer(deps.customers, claims.customerId, claims.campaignId, deps.now);
  return { status: 200, headers: HEADERS, body: page('done', locale), outcome };
}
