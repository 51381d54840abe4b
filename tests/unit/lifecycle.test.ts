import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addOrder,
  type Customer,
  CustomerSchema,
  MAX_TRANSITIONS_KEPT,
  type OrderFacts,
  reclassify,
} from '../../shared/domain/customer.ts';
import {
  ACTIVITY_RANK,
  type ActivityFacts,
  DEFAULT_POLICY,
  type LifecyclePolicy,
  LifecyclePolicySchema,
  STAGES,
  type Stage,
  stageOf,
} from '../../shared/domain/lifecycle.ts';
import { addDays } from '../../shared/domain/time.ts';

const NOW = '2024-06-01T12:00:00.000Z';
const P = DEFAULT_POLICY; // atRisk 60, dormant 90, lost 180, reactivatedFor 30
const daysAgo = (d: number) => addDays(NOW, -d);

function customer(input: Record<string, unknown> = {}): Customer {
  return CustomerSchema.parse({ customerId: 'c1', currency: 'USD', ...input });
}

describe('stageOf', () => {
  const cases: [string, ActivityFacts, Stage][] = [
    ['never purchased is prospect', { orderCount: 0 }, 'prospect'],
    [
      'orderCount 0 is prospect even with a stale lastPurchaseAt',
      { orderCount: 0, lastPurchaseAt: daysAgo(5) },
      'prospect',
    ],
    ['one recent purchase is new', { orderCount: 1, lastPurchaseAt: daysAgo(1) }, 'new'],
    ['two recent purchases are active', { orderCount: 2, lastPurchaseAt: daysAgo(10) }, 'active'],
    ['one day before atRiskAfterDays is still active', { orderCount: 3, lastPurchaseAt: daysAgo(59) }, 'active'],
    ['exactly atRiskAfterDays is at_risk', { orderCount: 3, lastPurchaseAt: daysAgo(60) }, 'at_risk'],
    ['one day before dormantAfterDays is at_risk', { orderCount: 3, lastPurchaseAt: daysAgo(89) }, 'at_risk'],
    ['exactly dormantAfterDays is dormant', { orderCount: 3, lastPurchaseAt: daysAgo(90) }, 'dormant'],
    ['one day before lostAfterDays is dormant', { orderCount: 1, lastPurchaseAt: daysAgo(179) }, 'dormant'],
    ['exactly lostAfterDays is lost', { orderCount: 1, lastPurchaseAt: daysAgo(180) }, 'lost'],
    ['long gone is lost', { orderCount: 5, lastPurchaseAt: daysAgo(1000) }, 'lost'],
    [
      'purchase after becoming dormant is reactivated',
      { orderCount: 2, lastPurchaseAt: daysAgo(2), stage: 'dormant', stageSince: daysAgo(20) },
      'reactivated',
    ],
    [
      'purchase after becoming lost is reactivated',
      { orderCount: 4, lastPurchaseAt: daysAgo(0), stage: 'lost', stageSince: daysAgo(100) },
      'reactivated',
    ],
    [
      'dormant with no purchase since stays dormant-by-idle, not reactivated',
      { orderCount: 2, lastPurchaseAt: daysAgo(95), stage: 'dormant', stageSince: daysAgo(5) },
      'dormant',
    ],
    [
      'reactivated within reactivatedForDays stays reactivated',
      { orderCount: 2, lastPurchaseAt: daysAgo(29), stage: 'reactivated', stageSince: daysAgo(29) },
      'reactivated',
    ],
    [
      'reactivated expires into active after reactivatedForDays',
      { orderCount: 2, lastPurchaseAt: daysAgo(30), stage: 'reactivated', stageSince: daysAgo(30) },
      'active',
    ],
    [
      'reactivated that goes idle becomes at_risk',
      { orderCount: 2, lastPurchaseAt: daysAgo(60), stage: 'reactivated', stageSince: daysAgo(60) },
      'at_risk',
    ],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(stageOf(facts, NOW, P)).toBe(expected);
  });

  it('honours a custom policy', () => {
    const policy = LifecyclePolicySchema.parse({ atRiskAfterDays: 10, dormantAfterDays: 20, lostAfterDays: 30 });
    expect(stageOf({ orderCount: 2, lastPurchaseAt: daysAgo(10) }, NOW, policy)).toBe('at_risk');
    expect(stageOf({ orderCount: 2, lastPurchaseAt: daysAgo(20) }, NOW, policy)).toBe('dormant');
    expect(stageOf({ orderCount: 2, lastPurchaseAt: daysAgo(30) }, NOW, policy)).toBe('lost');
  });

  it('reclassify carries dormant → reactivated → active as the flag job would', () => {
    let c = addOrder(addOrder(customer(), { orderId: 'o1', amountMinor: 100, placedAt: daysAgo(200) }), {
      orderId: 'o2',
      amountMinor: 100,
      placedAt: daysAgo(190),
    });
    c = reclassify(c, daysAgo(90), P); // idle 100 days → dormant
    expect(c.stage).toBe('dormant');
    expect(c.dormantSince).toBe(addDays(daysAgo(190), 90));
    c = addOrder(c, { orderId: 'o3', amountMinor: 100, placedAt: daysAgo(40) });
    c = reclassify(c, daysAgo(40), P);
    expect(c.stage).toBe('reactivated');
    expect(c.stageSince).toBe(daysAgo(40));
    expect(c.dormantSince).toBeUndefined();
    expect(reclassify(c, daysAgo(11), P).stage).toBe('reactivated');
    const later = reclassify(c, daysAgo(10), P);
    expect(later.stage).toBe('active');
    expect(later.transitions.at(-1)).toMatchObject({ from: 'reactivated', to: 'active' });
  });
});

describe('LifecyclePolicySchema', () => {
  it('accepts the defaults', () => {
    expect(P).toEqual({
      mode: 'fixed',
      adaptive: { atRiskBelow: 0.6, dormantBelow: 0.4, lostBelow: 0.15, minIdleDays: 14 },
      atRiskAfterDays: 60,
      dormantAfterDays: 90,
      lostAfterDays: 180,
      reactivatedForDays: 30,
      campaignStages: ['dormant'],
    });
  });
  it.each([
    [{ atRiskAfterDays: 90, dormantAfterDays: 90 }],
    [{ atRiskAfterDays: 100, dormantAfterDays: 90 }],
    [{ dormantAfterDays: 180, lostAfterDays: 180 }],
    [{ dormantAfterDays: 200 }],
  ])('rejects non-increasing thresholds %j naming dormantAfterDays', (input) => {
    const result = LifecyclePolicySchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(['dormantAfterDays']);
    expect(issue?.message).toMatch(/atRiskAfterDays < dormantAfterDays < lostAfterDays/);
  });
  it('rejects a non-positive threshold naming the field', () => {
    const result = LifecyclePolicySchema.safeParse({ atRiskAfterDays: 0 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['atRiskAfterDays']);
  });
});

// ---------- properties ----------

const BASE_MS = Date.parse('2023-01-01T00:00:00.000Z');
const SPAN_MS = 2 * 365 * 86_400_000;
const instantArb = fc.integer({ min: 0, max: SPAN_MS }).map((ms) => new Date(BASE_MS + ms).toISOString());
const stageArb = fc.constantFrom(...STAGES);

const policyArb: fc.Arbitrary<LifecyclePolicy> = fc
  .tuple(
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1, max: 100 }),
  )
  .map(([a, b, c, r]) => ({
    mode: 'fixed' as const,
    adaptive: DEFAULT_POLICY.adaptive,
    atRiskAfterDays: a,
    dormantAfterDays: a + b,
    lostAfterDays: a + b + c,
    reactivatedForDays: r,
    campaignStages: ['dormant' as const],
  }));

/** Arbitrary stored state: aggregates plus a previous stage (possibly inconsistent, as after imports). */
const customerArb: fc.Arbitrary<Customer> = fc
  .record({
    orderCount: fc.integer({ min: 0, max: 5 }),
    lastPurchaseAt: fc.option(instantArb, { nil: undefined }),
    stage: stageArb,
    stageSince: fc.option(instantArb, { nil: undefined }),
    signedUpAt: fc.option(instantArb, { nil: undefined }),
    transitionCount: fc.integer({ min: 0, max: 30 }),
  })
  .map(({ transitionCount, ...r }) =>
    customer({
      ...r,
      firstPurchaseAt: r.lastPurchaseAt,
      transitions: Array.from({ length: transitionCount }, (_, i) => ({
        from: null,
        to: STAGES[i % STAGES.length],
        at: '2022-01-01T00:00:00.000Z',
        reason: 'seed',
      })),
    }),
  );

/**
 * Customers whose stored stage is one the flag job could actually have produced: a purchase recorded by
 * record-activity is reclassified at (about) the purchase time, so a reactivating purchase is never older than
 * `reactivatedForDays` when first classified.
 */
describe('lifecycle properties', () => {
  it('monotonicity: without new activity a later time never raises the activity rank (raw and carried)', () => {
    fc.assert(
      fc.property(customerArb, instantArb, instantArb, policyArb, (c, a, b, policy) => {
        const [t1, t2] = a <= b ? [a, b] : [b, a];
        // raw: same facts at both instants
        expect(ACTIVITY_RANK[stageOf(c, t2, policy)]).toBeLessThanOrEqual(ACTIVITY_RANK[stageOf(c, t1, policy)]);
        // carried: reclassify at t1 (stage/stageSince updated), then at t2
        const at1 = reclassify(c, t1, policy);
        const at2 = reclassify(at1, t2, policy);
        expect(ACTIVITY_RANK[at2.stage]).toBeLessThanOrEqual(ACTIVITY_RANK[at1.stage]);
      }),
      { numRuns: 300 },
    );
  });

  it('reclassify is idempotent: a second reclassify at the same instant returns its input object', () => {
    fc.assert(
      fc.property(customerArb, instantArb, policyArb, (c, now, policy) => {
        const once = reclassify(c, now, policy);
        expect(reclassify(once, now, policy)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('transitions recorded by reclassify have from !== to and the list is capped at MAX_TRANSITIONS_KEPT', () => {
    fc.assert(
      fc.property(customerArb, fc.array(instantArb, { minLength: 1, maxLength: 40 }), policyArb, (c, times, policy) => {
        let current = c;
        for (const t of [...times].sort()) {
          const next = reclassify(current, t, policy);
          // A new object can also just carry a refreshed nextCheckAt; a transition is a stage (or stageSince) change.
          if (next.stage !== current.stage || next.stageSince !== current.stageSince) {
            expect(next.transitions.length).toBeLessThanOrEqual(MAX_TRANSITIONS_KEPT);
            const last = next.transitions.at(-1);
            expect(last?.to).toBe(next.stage);
            expect(last?.from).not.toBe(last?.to);
            expect(next.stageSince).toBe(last?.at);
          } else {
            expect(next.transitions).toBe(current.transitions);
          }
          current = next;
        }
      }),
      { numRuns: 200 },
    );
  });

  const orderArb: fc.Arbitrary<OrderFacts> = fc.record({
    orderId: fc.string({ minLength: 1, maxLength: 8 }),
    amountMinor: fc.integer({ min: 0, max: 1_000_000 }),
    placedAt: instantArb,
  });

  it('addOrder is order-independent: any permutation gives the same aggregates', () => {
    fc.assert(
      fc.property(
        fc
          .array(orderArb, { minLength: 1, maxLength: 15 })
          .chain((orders) => fc.tuple(fc.constant(orders), fc.shuffledSubarray(orders, { minLength: orders.length }))),
        ([orders, permuted]) => {
          const a = orders.reduce(addOrder, customer());
          const b = permuted.reduce(addOrder, customer());
          const pick = (c: Customer) => ({
            orderCount: c.orderCount,
            revenueMinor: c.revenueMinor,
            firstPurchaseAt: c.firstPurchaseAt,
            lastPurchaseAt: c.lastPurchaseAt,
            months: c.months,
          });
          expect(pick(b)).toEqual(pick(a));
          expect(a.orderCount).toBe(orders.length);
          expect(a.firstPurchaseAt).toBe([...orders].map((o) => o.placedAt).sort()[0]);
          expect(a.lastPurchaseAt).toBe(
            [...orders]
              .map((o) => o.placedAt)
              .sort()
              .at(-1),
          );
          expect(() => CustomerSchema.parse(a)).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });
});
