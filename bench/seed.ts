import { createHash } from 'node:crypto';
import { addOrder, type Customer, CustomerSchema, newCustomer, rememberEvent } from '../shared/domain/customer.ts';
import { DEFAULT_POLICY, type LifecyclePolicy, stageOf } from '../shared/domain/lifecycle.ts';
import { addDays } from '../shared/domain/time.ts';
import { syntheticBase } from '../shared/seed/synthetic-base.ts';

/** Generated per chunk so a 1M base never sits in memory at once; chunk k uses seed 42 + k. */
export const SEED_CHUNK = 10_000;
export const MAX_DELTA_DAYS = 30;

export const customerId = (index: number) => `c${String(index).padStart(8, '0')}`;

/**
 * The synthetic base turned into stored customers exactly the way importCustomers builds them (profile, orders
 * through addOrder, the import marker, schema-normalised), without the import's per-chunk reads of existing data.
 * Ids are renumbered globally (`c00000001`...) because every chunk restarts the generator's numbering.
 */
export function* customerChunks(total: number, end: string, currency = 'USD'): Generator<Customer[]> {
  for (let k = 0; k * SEED_CHUNK < total; k++) {
    const size = Math.min(SEED_CHUNK, total - k * SEED_CHUNK);
    const base = syntheticBase({ customers: size, end, seed: 42 + k, currency });
    const marker = `import:${createHash('sha256').update(`bench-${k}`).digest('hex')}`;
    const byId = new Map<string, Customer>();
    const renumber = new Map<string, string>();
    base.profiles.forEach((p, i) => {
      const id = customerId(k * SEED_CHUNK + i + 1);
      renumber.set(p.customer_id, id);
      byId.set(id, {
        ...newCustomer(id, currency),
        email: `${id}@example.com`,
        name: p.name,
        locale: p.locale ?? 'en',
        timeZone: p.time_zone ?? 'UTC',
        signedUpAt: p.signed_up_at,
        consent:
          p.marketing_consent === undefined || !p.consent_at
            ? undefined
            : { marketing: p.marketing_consent, at: p.consent_at, source: p.consent_source ?? 'import' },
      });
    });
    for (const order of base.orders) {
      const id = renumber.get(order.customerId);
      const customer = id === undefined ? undefined : byId.get(id);
      if (id === undefined || !customer) throw new Error(`synthetic order for unknown customer ${order.customerId}`);
      byId.set(id, addOrder(customer, order));
    }
    yield [...byId.values()].map((c) => ({ ...CustomerSchema.parse(rememberEvent(c, marker)), version: 0 }));
  }
}

/**
 * Stage changes expected at asOf + d (d = 1..MAX_DELTA_DAYS) for customers classified at asOf, from the pure
 * lifecycle rule: used only to choose the as-of step that changes about 1% of the base; the bench then measures
 * the real count.
 */
export class ChangeForecast {
  readonly changesByDelta = new Array<number>(MAX_DELTA_DAYS + 1).fill(0);
  customers = 0;
  withConsentAndEmail = 0;

  constructor(
    private readonly asOf: string,
    private readonly policy: LifecyclePolicy = DEFAULT_POLICY,
  ) {}

  add(customer: Customer): void {
    this.customers += 1;
    if (customer.consent?.marketing && customer.email) this.withConsentAndEmail += 1;
    const facts = { orderCount: customer.orderCount, lastPurchaseAt: customer.lastPurchaseAt };
    const before = stageOf(facts, this.asOf, this.policy);
    for (let d = 1; d <= MAX_DELTA_DAYS; d++) {
      if (stageOf(facts, addDays(this.asOf, d), this.policy) !== before) {
        this.changesByDelta[d] = (this.changesByDelta[d] ?? 0) + 1;
      }
    }
  }

  /** The smallest step whose forecast is closest to `share` of the base. */
  pickDelta(share: number): number {
    const target = share * this.customers;
    let best = 1;
    for (let d = 2; d <= MAX_DELTA_DAYS; d++) {
      if (Math.abs((this.changesByDelta[d] ?? 0) - target) < Math.abs((this.changesByDelta[best] ?? 0) - target)) {
        best = d;
      }
    }
    return best;
  }
}

const LOCALES = ['en', 'de', 'fr', 'es', 'nl'] as const;

/**
 * `count` customers who became dormant the day before `asOf`, with marketing consent and an address: all of
 * them due for the first win-back step.
 */
export function dormantCustomers(count: number, asOf: string, currency = 'USD'): Customer[] {
  const dormantSince = addDays(asOf, -1);
  const lastPurchaseAt = addDays(dormantSince, -DEFAULT_POLICY.dormantAfterDays);
  const signedUpAt = addDays(lastPurchaseAt, -30);
  return Array.from({ length: count }, (_, i) => {
    const id = `w${String(i + 1).padStart(7, '0')}`;
    const customer = addOrder(
      {
        ...newCustomer(id, currency),
        email: `${id}@example.com`,
        name: `Customer ${i + 1}`,
        locale: LOCALES[i % LOCALES.length] ?? 'en',
        signedUpAt,
        consent: { marketing: true, at: signedUpAt, source: 'signup-form' },
      },
      { orderId: `${id}-o1`, amountMinor: 2500, placedAt: lastPurchaseAt },
    );
    return CustomerSchema.parse({
      ...customer,
      stage: 'dormant',
      stageSince: dormantSince,
      dormantSince,
      // What reclassify sets on entering dormancy: the first step is due at once (the planner's due index).
      winbackDueAt: dormantSince,
      transitions: [{ from: 'at_risk', to: 'dormant', at: dormantSince, reason: 'no purchase for 90 days (>= 90)' }],
    });
  });
}
