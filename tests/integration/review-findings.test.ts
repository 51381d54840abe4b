import { describe, expect, it } from 'vitest';
import type { Stores } from '../../shared/adapters/build-adapters.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { hasMarketingConsent } from '../../shared/domain/customer.ts';
import { erasureKeyFrom } from '../../shared/domain/erasure.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { eraseCustomer } from '../../shared/jobs/privacy.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { unsubscribeCustomer } from '../../shared/jobs/unsubscribe.ts';
import type { CustomerRepository, OrderRepository } from '../../shared/ports.ts';
import { checkEnv } from '../helpers/integrity.ts';
import { freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';

/**
 * Regressions for what an adversarial review of the integrity work found (each reproduced first, then fixed):
 * erase ∥ a late order, repair ∥ a late order, an address arriving after the consent, erase ∥ an import of
 * another id with the same address, consent ties and future stamps, an import overwriting a recorded order,
 * event ids posing as internal markers.
 */

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const T0 = addDays(AS_OF, -120);
const TE = addDays(AS_OF, -1); // the erasure instant
const KEY = erasureKeyFrom('review regressions: a deployment secret, 32+ chars');
const aws = useLocalAws();

const record = (stores: Stores, events: unknown[], now = AS_OF) =>
  recordActivity(
    {
      customers: stores.customers,
      orders: stores.orders,
      policy: config.policy,
      currency: 'USD',
      now,
      erasures: { registry: stores.erasures, key: KEY },
    },
    events,
  );
const importRows = (stores: Stores, input: Pick<Parameters<typeof importCustomers>[1], 'profiles' | 'orders'>) =>
  importCustomers(
    {
      customers: stores.customers,
      orders: stores.orders,
      currency: 'USD',
      erasures: { registry: stores.erasures, key: KEY },
    },
    { ...input, now: AS_OF, asOf: AS_OF },
  );
const order = (customerId: string, orderId: string, at: string, amountMinor = 1000) => ({
  type: 'order.placed',
  eventId: `e-${orderId}-${amountMinor}`,
  customerId,
  occurredAt: at,
  orderId,
  amountMinor,
  currency: 'USD',
});
const erase = (env: TestEnv, id: string, stores: Stores = env.stores) =>
  eraseCustomer({ ...stores, erasureKey: KEY }, id, TE);
const violations = async (env: TestEnv, repair = false) => (await checkEnv(env, KEY, AS_OF, repair)).violations;

/** A gate that holds the first call through it until released; `reached` says a call is waiting. */
function gate() {
  let reach: () => void = () => undefined;
  let open: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const released = new Promise<void>((resolve) => {
    open = resolve;
  });
  let armed = true;
  return {
    reached,
    release: () => open(),
    async hold() {
      if (!armed) return;
      armed = false;
      reach();
      await released;
    },
  };
}
const holdingSave = (stores: Stores, g: ReturnType<typeof gate>): Stores => {
  const customers: CustomerRepository = {
    ...stores.customers,
    saveIfVersion: async (c, v) => {
      await g.hold();
      return stores.customers.saveIfVersion(c, v);
    },
  };
  return { ...stores, customers };
};

describe('review findings stay fixed', () => {
  it('erase while a late order (placed before the erasure) is recorded: nothing re-created, no stray order', async () => {
    const env = await freshEnv(aws);
    await record(env.stores, [order('c1', 'o1', T0), order('c1', 'o2', addDays(T0, 5))]);
    const listing = gate();
    const orders: OrderRepository = {
      ...env.stores.orders,
      listForCustomer: async (id) => {
        await listing.hold();
        return env.stores.orders.listForCustomer(id);
      },
    };
    const erasing = erase(env, 'c1', { ...env.stores, orders });
    await listing.reached; // the customer is deleted; its orders not yet listed
    const saving = gate();
    const recording = record(holdingSave(env.stores, saving), [order('c1', 'o3', addDays(TE, -0.01))]);
    await Promise.race([saving.reached, recording]);
    listing.release();
    await erasing;
    saving.release();
    const recorded = await recording;
    expect(recorded.rejected[0]?.error).toMatch(/^customerId: erased after this order was placed/);
    expect(await env.stores.customers.get('c1')).toBeUndefined();
    expect(await env.stores.orders.listForCustomer('c1')).toEqual([]);
    expect(await violations(env)).toEqual([]);
  });

  it('check --repair while a late order of an erased customer is recorded: consistent afterwards', async () => {
    const env = await freshEnv(aws);
    await record(env.stores, [order('c1', 'o1', T0)]);
    await erase(env, 'c1');
    const saving = gate();
    const recording = record(holdingSave(env.stores, saving), [order('c1', 'o9', addDays(TE, -0.5))]);
    await Promise.race([saving.reached, recording]);
    await violations(env, true);
    saving.release();
    await recording;
    expect(await violations(env)).toEqual([]);
  });

  it('an address that arrives after an old consent is matched against erasures (events and imports)', async () => {
    const env = await freshEnv(aws);
    const signup = (id: string, extra: Record<string, unknown>) => ({
      type: 'customer.signed_up',
      eventId: `s-${id}-${Object.keys(extra).join()}`,
      customerId: id,
      occurredAt: addDays(T0, 2),
      ...extra,
    });
    await record(env.stores, [signup('c1', { email: 'pat@example.com', marketingConsent: true })]);
    expect((await erase(env, 'c1')).found).toBe(true);
    await record(env.stores, [
      {
        type: 'consent.changed',
        eventId: 'old-optin',
        customerId: 'c2',
        occurredAt: addDays(T0, 1),
        marketing: true,
        source: 'x',
      },
      signup('c2', { email: 'pat@example.com' }),
    ]);
    expect(hasMarketingConsent((await env.stores.customers.get('c2')) ?? expect.fail('c2'))).toBe(false);
    await importRows(env.stores, {
      profiles: [{ customer_id: 'c3', marketing_consent: true, consent_at: addDays(T0, 1) }],
      orders: [],
    });
    await importRows(env.stores, { profiles: [{ customer_id: 'c3', email: 'Pat@example.com' }], orders: [] });
    expect(hasMarketingConsent((await env.stores.customers.get('c3')) ?? expect.fail('c3'))).toBe(false);
    expect(await violations(env)).toEqual([]);
  });

  it('an erasure recorded while an import of another id with the same address is being written', async () => {
    const env = await freshEnv(aws);
    await record(env.stores, [
      {
        type: 'customer.signed_up',
        eventId: 's1',
        customerId: 'c1',
        occurredAt: T0,
        email: 'pat@example.com',
        marketingConsent: true,
      },
    ]);
    const saving = gate();
    const importing = importRows(holdingSave(env.stores, saving), {
      profiles: [{ customer_id: 'c2', email: 'pat@example.com', marketing_consent: true, consent_at: addDays(T0, 1) }],
      orders: [],
    });
    await saving.reached; // the registry was looked up before the erasure
    await erase(env, 'c1');
    saving.release();
    expect((await importing).consentDroppedErased).toBe(1);
    expect(hasMarketingConsent((await env.stores.customers.get('c2')) ?? expect.fail('c2'))).toBe(false);
    expect(await violations(env)).toEqual([]);
  });

  it('consent: a stamp ahead of time cannot outrank a later opt-out; ties go to the withdrawal', async () => {
    const env = await freshEnv(aws);
    const change = (id: string, eventId: string, at: string, marketing: boolean) => ({
      type: 'consent.changed',
      eventId,
      customerId: id,
      occurredAt: at,
      marketing,
      source: 'web',
    });
    await record(env.stores, [change('a', 'in-ahead', addDays(AS_OF, 23 / 24), true)], AS_OF);
    await record(env.stores, [change('a', 'out', addDays(AS_OF, 1 / 24), false)], addDays(AS_OF, 1 / 24));
    expect((await env.stores.customers.get('a'))?.consent?.marketing).toBe(false);
    const at = addDays(AS_OF, -1);
    await record(env.stores, [change('b', 'in', at, true), change('b', 'out', at, false)]);
    await record(env.stores, [change('c', 'out', at, false), change('c', 'in', at, true)]);
    expect((await env.stores.customers.get('b'))?.consent?.marketing).toBe(false);
    expect((await env.stores.customers.get('c'))?.consent?.marketing).toBe(false);
    await record(env.stores, [change('d', 'in0', T0, true)]);
    await unsubscribeCustomer(env.stores.customers, 'd', 'winback', at);
    await record(env.stores, [change('d', 'in-same', at, true)]);
    expect((await env.stores.customers.get('d'))?.consent?.marketing).toBe(false);
  });

  it('an import never overwrites an order recorded meanwhile with other facts: a conflict is reported', async () => {
    const env = await freshEnv(aws);
    await record(env.stores, [order('c1', 'o0', T0)]);
    const saving = gate();
    const orders: OrderRepository = {
      ...env.stores.orders,
      getMany: async (keys) => {
        const found = await env.stores.orders.getMany(keys);
        await saving.hold(); // X read as absent; the event records it now
        return found;
      },
    };
    const importing = importRows(
      { ...env.stores, orders },
      {
        profiles: [],
        orders: [{ orderId: 'X', customerId: 'c1', placedAt: addDays(T0, 3), amountMinor: 1500, currency: 'USD' }],
      },
    );
    await saving.reached;
    await record(env.stores, [order('c1', 'X', addDays(T0, 3), 1000)]);
    saving.release();
    const imported = await importing;
    expect(imported.conflictingOrders).toBe(1);
    expect((await env.stores.orders.get('c1', 'X'))?.amountMinor).toBe(1000);
    expect(await violations(env)).toEqual([]);
  });

  it('an event id that looks like an order, import or feedback marker is just an event id', async () => {
    const env = await freshEnv(aws);
    await record(env.stores, [order('c1', 'o0', T0)]);
    const stored = await env.stores.customers.get('c1');
    const orderMarker = stored?.recentEventIds.find((id) => id.startsWith('order:o0|')) ?? expect.fail('marker');
    const posing = (eventId: string) => ({
      type: 'consent.changed',
      eventId,
      customerId: 'c1',
      occurredAt: addDays(T0, 1),
      marketing: false,
      source: 'x',
    });
    await record(env.stores, [posing(orderMarker.replace('o0', 'o5')), posing('order:o6|web')]);
    const real = await record(env.stores, [order('c1', 'o5', T0), order('c1', 'o6', T0)]);
    expect(real.applied).toBe(2);
    expect((await env.stores.customers.get('c1'))?.orderCount).toBe(3);
    expect(await violations(env)).toEqual([]);
  });
});
