import { beforeEach, describe, expect, it } from 'vitest';
import { feedbackFromSesEvent } from '../../shared/adapters/ses/ses-event.ts';
import { ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { isHeldOutEnrollment } from '../../shared/domain/sending-policy.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { handleUnsubscribeRequest } from '../../shared/jobs/unsubscribe.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import { clearEmails, collect, freshEnv, sentEmails, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { PAGES, TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const SECRET = 'unsubscribe-secret-for-integration-tests-0123456789';
const BASE_URL = 'https://unsubscribe.example.com/';

const aws = useLocalAws();
beforeEach(async () => {
  await clearEmails(aws);
});

/** Customers who bought 100 days ago with consent: dormant now, due for "we miss you". */
async function dormantCustomers(ids: string[], timeZone = (_id: string) => 'Europe/Paris'): Promise<TestEnv> {
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
      timeZone: timeZone(id),
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
  await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
  return env;
}

const send = (env: TestEnv, asOf = AS_OF) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
    {
      asOf,
      now: `${asOf.slice(0, 10)}T12:00:00.000Z`,
      config: config.winback,
      sending: { ...config.sending, holdoutPercent: 0 },
      from: 'shop@example.com',
      templates: TEMPLATES,
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
    const deps = { customers: env.stores.customers, pages: PAGES, secret: SECRET, now: AS_OF };

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
    const fineEntry = (await collect(env.stores.ledger.scanAll())).find(
      (e) => e.customerId === 'fine' && e.stepId !== ENROLLMENT_STEP,
    );
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

  it('holds out a stable share, waits for the local send window, and respects the frequency cap', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `h${i}`);
    const tokyo = (id: string) => Number(id.slice(1)) % 2 === 0;
    const env = await dormantCustomers(ids, (id) => (tokyo(id) ? 'Asia/Tokyo' : 'Europe/Berlin'));
    // "capped" got another campaign's email two days ago.
    const capped = 'h1';
    expect(await env.stores.customers.reserveMarketingSlot(capped, addDays(AS_OF, -2), addDays(AS_OF, -9))).toBe(true);
    const policy = config.sending; // defaults: 10% hold-out, 09:00–20:00 local, 1 email per 7 days
    const run = (asOf: string, now: string) =>
      winbackEmail(
        { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
        {
          asOf,
          now,
          config: config.winback,
          sending: policy,
          from: 'shop@example.com',
          templates: TEMPLATES,
          runId: now,
          maxSendRate: 200,
        },
      );
    // The arm is drawn per enrollment: campaign, episode (the dormancy start date) and customer.
    const episode = addDays(AS_OF, -10).slice(0, 10);
    const heldOut = ids.filter((id) => isHeldOutEnrollment(id, 'winback', episode, policy.holdoutPercent));
    const treated = ids.filter((id) => !heldOut.includes(id));
    expect(heldOut.length).toBeGreaterThan(0);

    // 12:00 UTC: 14:00 in Berlin, 21:00 in Tokyo.
    const noon = await run(AS_OF, '2026-06-30T12:00:00.000Z');
    const step = noon.steps['miss-you'];
    expect(step?.heldOut).toBe(heldOut.length);
    expect(step?.quietHours).toBe(treated.filter(tokyo).length);
    expect(step?.capped).toBe(treated.includes(capped) ? 1 : 0);
    const berlin = treated.filter((id) => !tokyo(id) && id !== capped);
    expect((await sentEmails(aws)).map((m) => m.destination.to[0]).sort()).toEqual(
      berlin.map((id) => `${id}@example.com`).sort(),
    );
    const ledger = await collect(env.stores.ledger.scanAll());
    expect(
      ledger
        .filter((e) => e.status === 'held_out')
        .map((e) => e.customerId)
        .sort(),
    ).toEqual([...heldOut].sort());

    // Next morning 02:00 UTC = 11:00 in Tokyo: the deferred Tokyo sends go out; the capped customer still waits.
    await clearEmails(aws);
    const morning = await run(endOfDay('2026-07-01'), '2026-07-01T02:00:00.000Z');
    expect(morning.steps['miss-you']?.sent).toBe(treated.filter(tokyo).length);
    expect(morning.steps['miss-you']?.heldOut).toBe(0); // hold-outs are recorded once, like sends
    // Seven days after the other campaign's email, the cap has passed for "capped".
    await clearEmails(aws);
    const later = await run(endOfDay('2026-07-06'), '2026-07-06T12:00:00.000Z');
    if (treated.includes(capped)) {
      expect(later.steps['miss-you']?.sent).toBe(1);
      expect((await sentEmails(aws)).map((m) => m.destination.to[0])).toEqual([`${capped}@example.com`]);
    }
    const all = await collect(env.stores.ledger.scanAll());
    expect(all.filter((e) => e.status === 'sent')).toHaveLength(treated.length);
  });
});
