import { describe, expect, it } from 'vitest';
import { runConcurrently } from '../../shared/concurrency.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import type { Customer } from '../../shared/domain/customer.ts';
import { erasureKeyFrom } from '../../shared/domain/erasure.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import type { OrderRecord } from '../../shared/import/rows.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { handleUnsubscribeRequest } from '../../shared/jobs/unsubscribe.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import { signUnsubscribeToken } from '../../shared/unsubscribe/token.ts';
import { checkEnv } from '../helpers/integrity.ts';
import { collect, freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { PAGES } from '../helpers/templates.ts';

/**
 * Randomised concurrent runs of whole jobs (issue: "no write ever loses data or consent"): the interleavings come
 * from real concurrency against a real DynamoDB, and afterwards `check` finds nothing, totals are exact to the
 * cent and every opt-out is still an opt-out.
 */

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const KEY = erasureKeyFrom('concurrent writer tests: a deployment secret, 32+');
const SECRET = 'unsubscribe secret for the concurrent tests, 32+ characters';
const aws = useLocalAws();

const importDeps = (env: TestEnv) => ({
  customers: env.stores.customers,
  orders: env.stores.orders,
  currency: 'USD',
  policy: config.policy,
  erasures: { registry: env.stores.erasures, key: KEY },
});
const importOf = (
  env: TestEnv,
  input: { profiles?: Parameters<typeof importCustomers>[1]['profiles']; orders?: OrderRecord[] },
  chunkSize = 97,
) =>
  importCustomers(importDeps(env), {
    profiles: input.profiles ?? [],
    orders: input.orders ?? [],
    asOf: AS_OF,
    now: AS_OF,
    chunkSize,
  });
const record = (env: TestEnv, events: unknown[]) =>
  recordActivity(
    {
      customers: env.stores.customers,
      orders: env.stores.orders,
      policy: config.policy,
      currency: 'USD',
      now: AS_OF,
      erasures: { registry: env.stores.erasures, key: KEY },
    },
    events,
    { concurrency: 16 },
  );

async function expectConsistent(env: TestEnv, orders: readonly OrderRecord[]): Promise<Customer[]> {
  const result = await checkEnv(env, KEY, AS_OF);
  expect(result.violations.slice(0, 5), `${result.violations.length} violations`).toEqual([]);
  const customers = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
  const distinct = new Map(orders.map((o) => [`${o.customerId}/${o.orderId}`, o]));
  expect(
    customers.reduce((n, c) => n + c.orderCount, 0),
    'orders counted',
  ).toBe(distinct.size);
  expect(
    customers.reduce((n, c) => n + c.revenueMinor, 0),
    'revenue to the cent',
  ).toBe([...distinct.values()].reduce((n, o) => n + o.amountMinor, 0));
  return customers;
}

const shuffled = <T>(items: readonly T[], seed: number): T[] => {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

describe('concurrent whole jobs on one base', () => {
  const base = syntheticBase({ customers: 1500, end: AS_OF, seed: 21 });

  it('two imports of disjoint order files, then of overlapping ones: every order counted once', {
    timeout: 240_000,
  }, async () => {
    const env = await freshEnv(aws);
    const orders = shuffled(base.orders, 1);
    const half = Math.floor(orders.length / 2);
    await Promise.all([
      importOf(env, { profiles: base.profiles, orders: orders.slice(0, half) }),
      importOf(env, { orders: orders.slice(half) }, 61),
    ]);
    await expectConsistent(env, orders);

    const overlapping = await freshEnv(aws);
    const third = Math.floor(orders.length / 3);
    const [a, b] = await Promise.all([
      importOf(overlapping, { orders: orders.slice(0, 2 * third) }),
      importOf(overlapping, { profiles: base.profiles, orders: orders.slice(third) }, 53),
    ]);
    expect(a.rejected.concat(b.rejected)).toEqual([]);
    // The summaries count what was really written: together, every order once.
    expect(a.ordersApplied + b.ordersApplied).toBe(orders.length);
    await expectConsistent(overlapping, orders);
  });

  it('an import that re-grants old consent while 4,000 opt-outs arrive: every opt-out stands', {
    timeout: 240_000,
  }, async () => {
    const env = await freshEnv(aws);
    const consenting = syntheticBase({ customers: 4000, end: AS_OF, seed: 22 }).profiles.map((p) => ({
      ...p,
      marketing_consent: true,
      consent_at: addDays(AS_OF, -400),
    }));
    await importOf(env, { profiles: consenting });
    const optOuts = consenting.map((p, i) => ({
      type: 'consent.changed',
      eventId: `optout-${i}`,
      customerId: p.customer_id,
      occurredAt: addDays(AS_OF, -1),
      marketing: false,
      source: 'preference-center',
    }));
    const [, recorded] = await Promise.all([
      importOf(env, { profiles: shuffled(consenting, 2) }, 250),
      record(env, shuffled(optOuts, 3)),
    ]);
    expect(recorded.failed).toEqual([]);
    expect(recorded.applied).toBe(4000);
    const customers = await expectConsistent(env, []);
    expect(customers.filter((c) => c.consent?.marketing !== false).map((c) => c.customerId)).toEqual([]);
  });

  it('an import while one-click unsubscribe POSTs arrive: everyone who was told "unsubscribed" is', {
    timeout: 240_000,
  }, async () => {
    const env = await freshEnv(aws);
    const profiles = base.profiles.map((p) => ({ ...p, marketing_consent: true, consent_at: addDays(AS_OF, -400) }));
    await importOf(env, { profiles, orders: base.orders });
    const unsubscribing = profiles.filter((_, i) => i % 2 === 0).map((p) => p.customer_id);
    const outcomes: string[] = [];
    await Promise.all([
      importOf(env, { profiles: shuffled(profiles, 4), orders: base.orders }, 77),
      runConcurrently(unsubscribing, 16, async (customerId) => {
        const t = signUnsubscribeToken(
          { customerId, campaignId: 'winback', issuedAt: Date.parse(AS_OF) / 1000 },
          SECRET,
        );
        const response = await handleUnsubscribeRequest(
          { method: 'POST', query: { t }, body: 'List-Unsubscribe=One-Click' },
          { customers: env.stores.customers, pages: PAGES, secret: SECRET, now: AS_OF },
        );
        outcomes.push(response.outcome ?? 'none');
      }),
    ]);
    expect(outcomes.filter((o) => o === 'unsubscribed')).toHaveLength(unsubscribing.length);
    const customers = await expectConsistent(env, base.orders);
    const still = new Set(unsubscribing);
    expect(customers.filter((c) => still.has(c.customerId) && c.consent?.marketing !== false)).toEqual([]);
  });

  it('an order import during a full flag pass and during order events: every buyer classified, totals exact', {
    timeout: 240_000,
  }, async () => {
    const env = await freshEnv(aws);
    const orders = shuffled(base.orders, 5);
    const asEvents = orders.slice(0, 2000);
    await importOf(env, { profiles: base.profiles });
    await Promise.all([
      importOf(env, { orders: orders.slice(1000) }, 89),
      flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 3 }),
      record(
        env,
        asEvents.map((o) => ({
          type: 'order.placed',
          eventId: `evt-${o.orderId}`,
          customerId: o.customerId,
          occurredAt: o.placedAt,
          orderId: o.orderId,
          amountMinor: o.amountMinor,
          currency: 'USD',
        })),
      ),
    ]);
    const customers = await expectConsistent(env, orders);
    expect(customers.filter((c) => c.orderCount > 0 && c.stage === 'prospect')).toEqual([]);
  });
});
