import { describe, expect, it } from 'vitest';
import type { Stores } from '../../shared/adapters/build-adapters.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { hasMarketingConsent } from '../../shared/domain/customer.ts';
import { erasureKeyFrom } from '../../shared/domain/erasure.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { eraseCustomer } from '../../shared/jobs/privacy.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { unsubscribeCustomer } from '../../shared/jobs/unsubscribe.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import type { CustomerRepository, EmailSender } from '../../shared/ports.ts';
import { checkEnv } from '../helpers/integrity.ts';
import { freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

/**
 * Forced interleavings (issue: "no write ever loses data or consent"). For every ordered pair of writers (A, B),
 * A is paused between its read of the customer and its first write of it; B runs to the end; then A goes on. After
 * each pair `checkInvariants` must find nothing, and a withdrawal (unsubscribe, opt-out, complaint) must still
 * stand whatever A had read before it.
 */

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const T0 = addDays(AS_OF, -120);
const KEY = erasureKeyFrom('interleaving tests: a deployment secret of 32+ chars');
const aws = useLocalAws();

/** Stores whose customer repository holds the first customer write until released. */
function paused(stores: Stores) {
  let reached: () => void = () => undefined;
  let release: () => void = () => undefined;
  const atPause = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let armed = true;
  const hold = async () => {
    if (!armed) return;
    armed = false;
    reached();
    await gate;
  };
  const c = stores.customers;
  const customers: CustomerRepository = {
    ...c,
    saveIfVersion: async (customer, expected) => {
      await hold();
      return c.saveIfVersion(customer, expected);
    },
    deleteIfVersion: async (id, expected) => {
      await hold();
      return c.deleteIfVersion(id, expected);
    },
    reserveMarketingSlot: async (id, at, notAfter) => {
      await hold();
      return c.reserveMarketingSlot(id, at, notAfter);
    },
    // The sender's one customer write (slot, due instant, episode and consent in its condition).
    reserveSend: async (id, input) => {
      await hold();
      return c.reserveSend(id, input);
    },
    setWinbackDue: async (...args) => {
      await hold();
      return c.setWinbackDue(...args);
    },
  };
  return { stores: { ...stores, customers }, atPause, release: () => release() };
}

/** Counts emails per recipient; never fails (the SES side is not what these tests are about). */
function countingSender(): EmailSender & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async send(email) {
      sent.push(email.to);
      return { messageId: `m-${sent.length}` };
    },
  };
}

type Writer = (stores: Stores, email: EmailSender) => Promise<unknown>;

const record = (stores: Stores, events: unknown[]) =>
  recordActivity(
    {
      customers: stores.customers,
      orders: stores.orders,
      policy: config.policy,
      currency: 'USD',
      now: AS_OF,
      erasures: { registry: stores.erasures, key: KEY },
    },
    events,
  );

const WRITERS: Record<string, Writer> = {
  import: (s) =>
    importCustomers(
      {
        customers: s.customers,
        orders: s.orders,
        currency: 'USD',
        policy: config.policy,
        erasures: { registry: s.erasures, key: KEY },
      },
      {
        // An old export: consent given long ago, plus one order the shop had not sent as an event.
        profiles: [
          {
            customer_id: 'c1',
            email: 'c1@example.com',
            marketing_consent: true,
            consent_at: addDays(T0, -300),
            locale: 'de',
          },
        ],
        orders: [{ orderId: 'imp-1', customerId: 'c1', placedAt: addDays(T0, 1), amountMinor: 1234, currency: 'USD' }],
        asOf: AS_OF,
        now: AS_OF,
      },
    ),
  order: (s) =>
    record(s, [
      {
        type: 'order.placed',
        eventId: 'e-rec-1',
        customerId: 'c1',
        occurredAt: addDays(AS_OF, -1),
        orderId: 'rec-1',
        amountMinor: 999,
        currency: 'USD',
      },
    ]),
  optout: (s) =>
    record(s, [
      {
        type: 'consent.changed',
        eventId: 'e-optout',
        customerId: 'c1',
        occurredAt: addDays(AS_OF, -0.01),
        marketing: false,
        source: 'preference-center',
      },
    ]),
  flag: (s) => flagDormantFullPass({ customers: s.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 }),
  winback: (s, email) =>
    winbackEmail(
      { customers: s.customers, ledger: s.ledger, email },
      {
        asOf: AS_OF,
        config: config.winback,
        sending: { ...config.sending, holdoutPercent: 0, quietHours: null },
        from: 'shop@example.com',
        templates: TEMPLATES,
        runId: 'interleave',
        maxSendRate: 1000,
        unsubscribe: { baseUrl: 'https://u.example.com/', secret: 'x'.repeat(32) },
      },
    ),
  complaint: (s) =>
    applySesFeedback({ customers: s.customers, ledger: s.ledger, policy: { softBounceLimit: 3 } }, [
      {
        type: 'complaint',
        messageId: 'm-complaint',
        at: AS_OF,
        customerId: 'c1',
        campaignId: 'winback',
        episode: 'e',
        stepId: 'miss-you',
      },
    ]),
  unsubscribe: (s) => unsubscribeCustomer(s.customers, 'c1', 'winback', AS_OF),
  erase: (s) => eraseCustomer({ ...s, erasureKey: KEY }, 'c1', AS_OF),
};

const WITHDRAWALS = new Set(['optout', 'complaint', 'unsubscribe']);

/** c1: consented, two orders 120 days ago, classified dormant as of AS_OF; c2 beside it, untouched. */
async function seeded(): Promise<TestEnv> {
  const env = await freshEnv(aws);
  const events = ['c1', 'c2'].flatMap((id) => [
    {
      type: 'customer.signed_up',
      eventId: `s-${id}`,
      customerId: id,
      occurredAt: addDays(T0, -10),
      email: `${id}@example.com`,
      marketingConsent: true,
    },
    ...[0, 1].map((n) => ({
      type: 'order.placed',
      eventId: `o${n}-${id}`,
      customerId: id,
      occurredAt: addDays(T0, n / 10),
      orderId: `o${n}-${id}`,
      amountMinor: 2500 + n,
      currency: 'USD',
    })),
  ]);
  await recordActivity(
    { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now: T0 },
    events,
  );
  await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
  return env;
}

const check = (env: TestEnv) => checkEnv(env, KEY, AS_OF);

const names = Object.keys(WRITERS);
const pairs = names.flatMap((a) => names.map((b) => [a, b] as const));

describe('forced interleavings: writer A paused between its read and its write while writer B runs', () => {
  it('seeds a dormant, consenting customer that the win-back job emails (the scenarios start from there)', async () => {
    const env = await seeded();
    expect((await env.stores.customers.get('c1'))?.stage).toBe('dormant');
    const email = countingSender();
    await (WRITERS.winback as Writer)(env.stores, email);
    expect(email.sent.sort()).toEqual(['c1@example.com', 'c2@example.com']);
  });

  it.each(pairs)('%s paused, %s runs: no invariant broken, a withdrawal stands', { timeout: 60_000 }, async (a, b) => {
    const env = await seeded();
    const email = countingSender();
    const held = paused(env.stores);
    const first = (WRITERS[a] as Writer)(held.stores, email);
    await Promise.race([held.atPause, first]);
    await (WRITERS[b] as Writer)(env.stores, email);
    held.release();
    await first;

    const result = await check(env);
    expect(result.violations, JSON.stringify(result.violations)).toEqual([]);
    const c1 = await env.stores.customers.get('c1');
    const c2 = await env.stores.customers.get('c2');
    expect(c2?.orderCount, 'the neighbour is untouched').toBe(2);
    if (a === 'erase' || b === 'erase') {
      // Gone, or re-created by a concurrent write without the old consent (I3).
      if (c1) expect(hasMarketingConsent(c1), 'an erased person is not re-subscribed by old data').toBe(false);
    } else {
      expect(c1, 'the customer still exists').toBeDefined();
      const expectedOrders = 2 + (a === 'import' || b === 'import' ? 1 : 0) + (a === 'order' || b === 'order' ? 1 : 0);
      expect(c1?.orderCount, 'every order counted exactly once').toBe(expectedOrders);
      if (WITHDRAWALS.has(a) || WITHDRAWALS.has(b)) {
        expect(Boolean(c1 && (c1.suppression || !hasMarketingConsent(c1))), 'the withdrawal stands').toBe(true);
      }
    }
    // Whatever happened, at most one email per customer, and none after a withdrawal from here on.
    expect(email.sent.filter((to) => to === 'c1@example.com').length).toBeLessThanOrEqual(1);
    if (WITHDRAWALS.has(a) || WITHDRAWALS.has(b) || a === 'erase' || b === 'erase') {
      const later = countingSender();
      await (WRITERS.winback as Writer)(env.stores, later);
      expect(later.sent).not.toContain('c1@example.com');
    }
  });
});
