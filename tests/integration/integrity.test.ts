import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { erasureKeyFrom, tombstoneIdOf } from '../../shared/domain/erasure.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { eraseCustomer } from '../../shared/jobs/privacy.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import { checkEnv } from '../helpers/integrity.ts';
import { clearEmails, freshEnv, sentEmails, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const T0 = addDays(AS_OF, -120);
const KEY = erasureKeyFrom('integrity tests: a deployment secret of 32+ chars');
const aws = useLocalAws();

const record = (env: TestEnv, events: unknown[], now = AS_OF) =>
  recordActivity(
    {
      customers: env.stores.customers,
      orders: env.stores.orders,
      policy: config.policy,
      currency: 'USD',
      now,
      erasures: { registry: env.stores.erasures, key: KEY },
    },
    events,
  );
const order = (customerId: string, orderId: string, at: string, amountMinor = 1000) => ({
  type: 'order.placed',
  eventId: `e-${orderId}`,
  customerId,
  occurredAt: at,
  orderId,
  amountMinor,
  currency: 'USD',
});
const check = (env: TestEnv, repair = false) => checkEnv(env, KEY, AS_OF, repair);
const winback = (env: TestEnv, runId: string) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
    {
      asOf: AS_OF,
      config: config.winback,
      sending: { ...config.sending, holdoutPercent: 0, quietHours: null },
      from: 'shop@example.com',
      templates: TEMPLATES,
      runId,
      maxSendRate: 1000,
      unsubscribe: { baseUrl: 'https://u.example.com/', secret: 'x'.repeat(32) },
    },
  );

/** Stores on the same tables whose client counts requests by command. */
function counted(env: TestEnv) {
  const counts: Record<string, number> = {};
  env.client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  const total = () => Object.values(counts).reduce((a, b) => a + b, 0);
  const reset = () => {
    for (const k of Object.keys(counts)) delete counts[k];
  };
  return { counts, total, reset, stores: dynamoStores(env.client, env.tables, { indexShards: 4 }) };
}

describe('requests per event', () => {
  it('a new order costs 3 requests (GetItem, PutItem order, PutItem customer), a redelivery 1', async () => {
    const env = await freshEnv(aws);
    await record(env, [order('c1', 'o1', T0)]);
    const probe = counted(env);
    probe.reset();
    const summary = await record({ ...env, stores: probe.stores }, [order('c1', 'o2', addDays(T0, 1))]);
    expect(summary.applied).toBe(1);
    expect(probe.counts).toEqual({ GetItemCommand: 1, PutItemCommand: 2 });
    probe.reset();
    const again = await record({ ...env, stores: probe.stores }, [order('c1', 'o2', addDays(T0, 1))]);
    expect(again.duplicates).toBe(1);
    expect(probe.total()).toBe(1);
  });
});

describe('order conflicts and future instants', () => {
  it('an order id seen again with another amount is a conflict, never a silent duplicate', async () => {
    const env = await freshEnv(aws);
    await record(env, [order('c1', 'o1', T0, 1000)]);
    const conflict = await record(env, [{ ...order('c1', 'o1', T0, 1999), eventId: 'e-other' }]);
    expect(conflict).toMatchObject({ applied: 0, duplicates: 0, conflicts: 1 });
    expect(conflict.rejected[0]?.error).toMatch(/^orderId: o1 is already recorded with other facts/);
    const imported = await importCustomers(
      { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
      {
        profiles: [],
        orders: [{ orderId: 'o1', customerId: 'c1', placedAt: T0, amountMinor: 1500, currency: 'USD' }],
        asOf: AS_OF,
        now: AS_OF,
      },
    );
    expect(imported.conflictingOrders).toBe(1);
    expect((await env.stores.customers.get('c1'))?.revenueMinor).toBe(1000);
    expect((await check(env)).violations).toEqual([]);
  });

  it('rejects an event dated more than 24 h ahead (I5), so a future consent cannot block a later opt-out', async () => {
    const env = await freshEnv(aws);
    const ahead = await record(env, [
      {
        type: 'consent.changed',
        eventId: 'e-future',
        customerId: 'c1',
        occurredAt: '2199-12-31T00:00:00.000Z',
        marketing: true,
        source: 'x',
      },
    ]);
    expect(ahead.rejected[0]?.error).toMatch(/^occurredAt: must not be more than 24 hours in the future/);
    const soon = await record(env, [{ ...order('c1', 'o1', addDays(AS_OF, 0.5)) }]);
    expect(soon.applied).toBe(1); // within 24 h (clock skew) is accepted
  });
});

describe('erasure (I3)', () => {
  async function erasedAfterConsent(env: TestEnv) {
    await record(
      env,
      [
        {
          type: 'customer.signed_up',
          eventId: 's-x8',
          customerId: 'x8',
          occurredAt: addDays(T0, -30),
          email: 'X8@Example.com',
          marketingConsent: true,
        },
        order('x8', 'o1', T0),
      ],
      T0,
    );
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
    await eraseCustomer({ ...env.stores, erasureKey: KEY }, 'x8', addDays(AS_OF, -2));
  }

  it('erase, then re-import the old row: the customer comes back without consent and is not emailed', async () => {
    const env = await freshEnv(aws);
    await clearEmails(aws);
    await erasedAfterConsent(env);
    const imported = await importCustomers(
      {
        customers: env.stores.customers,
        orders: env.stores.orders,
        currency: 'USD',
        erasures: { registry: env.stores.erasures, key: KEY },
      },
      {
        // The old export: the same id and address (other case), consent given before the erasure, the old order.
        profiles: [
          { customer_id: 'x8', email: 'x8@example.com', marketing_consent: true, consent_at: addDays(T0, -30) },
          { customer_id: 'x9', email: 'x8@EXAMPLE.com', marketing_consent: true, consent_at: addDays(T0, -30) },
        ],
        orders: [{ orderId: 'o1', customerId: 'x8', placedAt: T0, amountMinor: 1000, currency: 'USD' }],
        asOf: AS_OF,
        now: AS_OF,
      },
    );
    expect(imported.consentDroppedErased).toBe(2); // by id, and by address under another id
    expect((await env.stores.customers.get('x8'))?.consent).toBeUndefined();
    expect((await env.stores.customers.get('x9'))?.consent).toBeUndefined();
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
    const summary = await winback(env, 'after-erasure');
    expect(summary.steps['miss-you']?.sent ?? 0).toBe(0);
    expect(await sentEmails(aws)).toEqual([]);
    expect((await check(env)).violations).toEqual([]);
  });

  it('erase, then a new opt-in event after the erasure: emailable again', async () => {
    const env = await freshEnv(aws);
    await clearEmails(aws);
    await erasedAfterConsent(env);
    const replayed = await record(env, [
      {
        type: 'customer.signed_up',
        eventId: 's-x8-old',
        customerId: 'x8',
        occurredAt: addDays(T0, -30),
        email: 'x8@example.com',
        marketingConsent: true,
      },
      order('x8', 'o1', T0),
    ]);
    expect(replayed.applied).toBe(2);
    expect((await env.stores.customers.get('x8'))?.consent).toBeUndefined(); // a replay of old data: no consent
    await record(env, [
      {
        type: 'consent.changed',
        eventId: 'optin-new',
        customerId: 'x8',
        occurredAt: addDays(AS_OF, -1),
        marketing: true,
        source: 'newsletter-form',
      },
    ]);
    expect((await env.stores.customers.get('x8'))?.consent?.marketing).toBe(true);
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
    const summary = await winback(env, 'opted-in-again');
    expect(summary.steps['miss-you']?.sent).toBe(1);
    expect((await check(env)).violations).toEqual([]);
    const tombstone = await env.stores.customers.get(tombstoneIdOf(KEY, 'x8'));
    expect(tombstone?.orderCount).toBe(1);
  });
});

describe('clientele check', () => {
  it('finds what a blind writer leaves behind and repairs what stored orders and erasures determine', async () => {
    const env = await freshEnv(aws);
    await record(env, [order('a', 'o1', T0), order('a', 'o2', addDays(T0, 2)), order('b', 'o3', T0)], addDays(T0, 3));
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
    const raw = (item: Record<string, unknown>, table = env.tables.customers) =>
      env.client.send(new PutCommand({ TableName: table, Item: item }));
    const a = await env.stores.customers.get('a');
    // I1: a's totals lost an order (the old blind import); I4: c bought but is unclassified with no next check;
    // an order of a customer that never got written (a crash before its first write).
    await raw({ ...a, orderCount: 1, revenueMinor: 1000 });
    await raw(
      { customerId: 'c', orderId: 'o4', placedAt: T0, amountMinor: 700, currency: 'USD', applied: true },
      env.tables.orders,
    );
    await raw({
      customerId: 'd',
      currency: 'USD',
      orderCount: 1,
      revenueMinor: 500,
      firstPurchaseAt: T0,
      lastPurchaseAt: T0,
      months: { [T0.slice(0, 7)]: { orders: 1, revenueMinor: 500, firstDay: 1, lastDay: 1 } },
      stage: 'prospect',
      version: 0,
    });
    const found = await check(env);
    expect(found.byInvariant).toMatchObject({ I1: 3, I4: 1, index: 1 });
    expect(found.violations.map((v) => `${v.invariant} ${v.key}`).sort()).toEqual([
      'I1 customer a',
      'I1 customer c',
      'I1 customer d',
      'I4 customer d',
      'index customer a', // written without its index keys
    ]);
    const repaired = await check(env, true);
    expect(repaired.repaired).toBe(repaired.violations.length);
    expect((await check(env)).violations).toEqual([]);
    expect((await env.stores.customers.get('a'))?.orderCount).toBe(2);
    expect((await env.stores.customers.get('c'))?.revenueMinor).toBe(700);
  });
});
