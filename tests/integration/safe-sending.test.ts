import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { feedbackFromSesEvent } from '../../shared/adapters/ses/ses-event.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormant } from '../../shared/jobs/flag-dormant.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { handleUnsubscribeRequest } from '../../shared/jobs/unsubscribe.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import {
  clearEmails,
  collect,
  freshEnv,
  type LocalAws,
  sentEmails,
  startLocalAws,
  type TestEnv,
} from '../helpers/local-aws.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const SECRET = 'unsubscribe-secret-for-integration-tests-0123456789';
const BASE_URL = 'https://unsubscribe.example.com/';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.close();
});
beforeEach(async () => {
  await clearEmails(aws);
});

/** Customers who bought 100 days ago with consent: dormant now, due for "we miss you". */
async function dormantCustomers(ids: string[]): Promise<TestEnv> {
  const env = await freshEnv(aws);
  const at = addDays(AS_OF, -100);
  const events = ids.flatMap((id) => [
    {
      type: 'customer.signed_up',
      eventId: `s-${id}`,
      customerId: id,
      occurredAt: at,
      email: `${id}@example.com`,
      name: 'Ana',
      locale: 'fr',
      marketingConsent: true,
    },
    {
      type: 'order.placed',
      eventId: `o-${id}`,
      customerId: id,
      occurredAt: at,
      orderId: `o-${id}`,
      amountMinor: 4200,
      currency: 'USD',
    },
  ]);
  await recordActivity(
    { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now: at },
    events,
  );
  await flagDormant({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
  return env;
}

const send = (env: TestEnv, asOf = AS_OF) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
    {
      asOf,
      config: config.winback,
      from: 'shop@example.com',
      runId: 'r',
      maxSendRate: 200,
      unsubscribe: { baseUrl: BASE_URL, secret: SECRET, mailto: 'unsubscribe@example.com' },
    },
  );

const sesEvent = (eventType: string, messageId: string, customerId: string, extra: Record<string, unknown> = {}) => ({
  eventType,
  mail: {
    messageId,
    timestamp: AS_OF,
    tags: {
      campaign: ['winback'],
      episode: [addDays(AS_OF, -10).slice(0, 10)],
      step: ['miss-you'],
      customer: [Buffer.from(customerId).toString('base64url')],
    },
  },
  ...extra,
});

describe('safe sending', () => {
  it('puts RFC 8058 one-click headers on every email, and the link unsubscribes once, idempotently', async () => {
    const env = await dormantCustomers(['u1', 'u2']);
    await send(env);
    const mails = await sentEmails(aws);
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      const header = (name: string) => mail.headers?.find((h) => h.name === name)?.value;
      expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(header('List-Unsubscribe')).toMatch(
        /^<https:\/\/unsubscribe\.example\.com\/\?t=v1\.[\w-]+\.[\w-]{43}>, <mailto:unsubscribe@example\.com\?subject=unsubscribe>$/,
      );
      expect(mail.body.html).toContain('https://unsubscribe.example.com/?t=');
      expect(mail.body.text).toContain('https://unsubscribe.example.com/?t=');
    }
    const u1 = mails.find((m) => m.destination.to[0] === 'u1@example.com');
    const token =
      new URL(
        /<([^>]+)>/.exec(u1?.headers?.find((h) => h.name === 'List-Unsubscribe')?.value ?? '')?.[1] ?? '',
      ).searchParams.get('t') ?? '';
    const deps = { customers: env.stores.customers, secret: SECRET, now: AS_OF };

    const page = await handleUnsubscribeRequest({ method: 'GET', query: { t: token } }, deps);
    expect(page.status).toBe(200);
    expect(page.body).toContain('lang="fr"');
    expect((await env.stores.customers.get('u1'))?.consent?.marketing).toBe(true); // GET changes nothing

    const first = await handleUnsubscribeRequest(
      { method: 'POST', query: { t: token }, body: 'List-Unsubscribe=One-Click' },
      deps,
    );
    const second = await handleUnsubscribeRequest(
      { method: 'POST', query: { t: token }, body: 'List-Unsubscribe=One-Click' },
      deps,
    );
    expect([first.outcome, second.outcome]).toEqual(['unsubscribed', 'already-unsubscribed']);
    expect(second.status).toBe(200);
    const u1After = await env.stores.customers.get('u1');
    expect(u1After?.consent).toEqual({ marketing: false, at: AS_OF, source: 'unsubscribe:winback' });

    const tampered = await handleUnsubscribeRequest({ method: 'POST', query: { t: `${token.slice(0, -2)}AA` } }, deps);
    const missing = await handleUnsubscribeRequest({ method: 'POST', query: {} }, deps);
    expect(tampered.status).toBe(400);
    expect(missing.body).toBe(tampered.body);

    // 14 days on: u2 gets the offer, u1 (unsubscribed) gets nothing.
    await clearEmails(aws);
    const later = await send(env, endOfDay(addDays(AS_OF, 14).slice(0, 10)));
    expect(later.skipped['no-consent']).toBe(1);
    expect((await sentEmails(aws)).map((m) => m.destination.to[0])).toEqual(['u2@example.com']);
  });

  it('suppresses on complaint and permanent bounce, after three transient bounces, and counts a redelivery once', async () => {
    const env = await dormantCustomers(['complains', 'hard', 'soft', 'fine']);
    await send(env);
    const feedback = (events: unknown[]) =>
      applySesFeedback(
        { customers: env.stores.customers, ledger: env.stores.ledger, policy: config.feedback },
        events.map((e) => {
          const mapped = feedbackFromSesEvent(e);
          if ('ignored' in mapped) throw new Error(mapped.ignored);
          return mapped.feedback;
        }),
      );
    const summary = await feedback([
      sesEvent('Complaint', 'm1', 'complains', { complaint: { timestamp: AS_OF } }),
      sesEvent('Bounce', 'm2', 'hard', { bounce: { bounceType: 'Permanent', timestamp: AS_OF } }),
      sesEvent('Bounce', 's1', 'soft', { bounce: { bounceType: 'Transient' } }),
      sesEvent('Bounce', 's1', 'soft', { bounce: { bounceType: 'Transient' } }), // redelivered
      sesEvent('Bounce', 's2', 'soft', { bounce: { bounceType: 'Transient' } }),
      sesEvent('Delivery', 'm4', 'fine', { delivery: { timestamp: AS_OF } }),
      sesEvent('Open', 'm4', 'fine', { open: { timestamp: AS_OF } }),
      sesEvent('Click', 'm4', 'fine', { click: { timestamp: AS_OF } }),
    ]);
    expect(summary.suppressed).toBe(2);
    expect(summary.duplicates).toBe(1);
    expect((await env.stores.customers.get('soft'))?.softBounces).toBe(2);
    expect((await env.stores.customers.get('soft'))?.suppression).toBeUndefined();
    await feedback([sesEvent('Bounce', 's3', 'soft', { bounce: { bounceType: 'Transient' } })]);
    const customers = new Map(
      (await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }))).map((c) => [c.customerId, c]),
    );
    expect(customers.get('complains')?.suppression?.reason).toBe('complaint');
    expect(customers.get('hard')?.suppression?.reason).toBe('bounce');
    expect(customers.get('soft')?.suppression?.reason).toBe('bounce');
    expect(customers.get('fine')?.suppression).toBeUndefined();
    const fineEntry = (await collect(env.stores.ledger.scanAll())).find((e) => e.customerId === 'fine');
    expect(fineEntry?.deliveredAt).toBe(AS_OF);
    expect(fineEntry?.openedAt).toBe(AS_OF);
    expect(fineEntry?.clickedAt).toBe(AS_OF);

    // Two weeks on, only "fine" receives the next step.
    await clearEmails(aws);
    const later = await send(env, endOfDay(addDays(AS_OF, 14).slice(0, 10)));
    expect(later.skipped.suppressed).toBe(3);
    expect((await sentEmails(aws)).map((m) => m.destination.to[0])).toEqual(['fine@example.com']);
  });

  it('ignores SES events that are not clientele campaign mail', () => {
    expect(
      feedbackFromSesEvent({ eventType: 'Send', mail: { messageId: 'x', timestamp: AS_OF, tags: {} } }),
    ).toHaveProperty('ignored');
    expect(
      feedbackFromSesEvent({ eventType: 'Bounce', mail: { messageId: 'x', timestamp: AS_OF, tags: {} } }),
    ).toHaveProperty('ignored');
    expect(feedbackFromSesEvent('garbage')).toHaveProperty('ignored');
  });
});
