import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accumulateShape,
  BaseShapeSchema,
  compareShapes,
  computeShape,
  emptyShapePartial,
  finalizeShape,
  mergeShapePartials,
  ShapePartialSchema,
} from '../../shared/domain/base-shape.ts';
import { MAX_JOINT_CELLS } from '../../shared/domain/base-shape-buckets.ts';
import { purchasesAsOf } from '../../shared/domain/base-shape-facts.ts';
import { addOrder, type Customer, newCustomer } from '../../shared/domain/customer.ts';
import { endOfDay } from '../../shared/domain/time.ts';

/** A stored customer with orders on these days (`YYYY-MM-DD`, noon UTC) and amounts (minor units). */
function buyer(id: string, orders: [string, number][], currency = 'USD'): Customer {
  let c = newCustomer(id, currency);
  orders.forEach(([day, amountMinor], i) => {
    c = addOrder(c, { orderId: `${id}-${i}`, amountMinor, placedAt: `${day}T12:00:00.000Z` });
  });
  return c;
}

const monthly = (id: string, months: number, startYear = 2024, amount = 1999, day = 5) =>
  buyer(
    id,
    Array.from({ length: months }, (_, k): [string, number] => [
      `${startYear + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      amount,
    ]),
  );

describe('purchases as of an instant, from the stored customer', () => {
  const c = buyer('c1', [
    ['2024-01-03', 1000],
    ['2024-03-02', 2000],
    ['2024-03-20', 3000],
    ['2024-04-10', 500],
  ]);

  it('counts whole months before the as-of month and nothing after it', () => {
    const facts = purchasesAsOf(c, endOfDay('2024-02-29'));
    expect(facts).toMatchObject({ orders: 1, revenueMinor: 1000, estimated: false });
  });

  it('counts an as-of month whole when its last purchase day is on or before the as-of day', () => {
    expect(purchasesAsOf(c, endOfDay('2024-03-20'))).toMatchObject({ orders: 3, revenueMinor: 6000, estimated: false });
    expect(purchasesAsOf(c, endOfDay('2024-04-09'))).toMatchObject({ orders: 3, revenueMinor: 6000, estimated: false });
  });

  it('splits a two-order month straddling the as-of day exactly in count and day, and marks revenue estimated', () => {
    const facts = purchasesAsOf(c, endOfDay('2024-03-10'));
    expect(facts).toMatchObject({ orders: 2, estimated: true });
    expect(facts?.purchaseDays).toHaveLength(2);
    expect(facts?.lastDay).toBe(Date.parse('2024-03-02') / 86_400_000);
  });

  it('is null before the first purchase: a prospect as of then', () => {
    expect(purchasesAsOf(c, endOfDay('2024-01-02'))).toBeNull();
  });

  it('knows every purchase day only while no month holds three orders', () => {
    expect(purchasesAsOf(c, endOfDay('2024-12-31'))?.purchaseDays).toHaveLength(4);
    const busy = buyer('c2', [
      ['2024-05-01', 1],
      ['2024-05-02', 1],
      ['2024-05-03', 1],
    ]);
    expect(purchasesAsOf(busy, endOfDay('2024-12-31'))?.purchaseDays).toBeNull();
  });
});

describe('the base shape pass', () => {
  const asOf = endOfDay('2025-06-30');

  it('counts prospects apart and leaves them out of every buyer figure', () => {
    const shape = computeShape(
      [newCustomer('p1', 'USD'), buyer('b1', [['2025-01-01', 1000]]), buyer('late', [['2025-07-02', 99_999]])],
      asOf,
      'USD',
    );
    expect(shape.prospects).toBe(2);
    expect(shape.buyers).toBe(1);
    expect(shape.revenueMinor).toBe(1000);
    expect(shape.repeat.oneOff.customers).toBe(1);
    expect(shape.rfm.segments.reduce((sum, s) => sum + s.customers, 0)).toBe(1);
  });

  it('splits repeat and one-off buyers with their revenue shares', () => {
    const shape = computeShape(
      [
        buyer('a', [['2025-01-01', 1000]]),
        buyer('b', [
          ['2025-01-01', 1000],
          ['2025-02-01', 2000],
        ]),
        buyer('c', [['2025-03-01', 6000]]),
      ],
      asOf,
      'USD',
    );
    expect(shape.repeat.oneOff).toMatchObject({ customers: 2, revenueMinor: 7000, share: 2 / 3, revenueShare: 0.7 });
    expect(shape.repeat.repeat).toMatchObject({ customers: 1, revenueMinor: 3000, revenueShare: 0.3 });
    // b's single gap is 31 days: the 30–59 bucket.
    expect(shape.intervals.buckets.find((b) => b.fromDays === 30)?.customers).toBe(1);
    expect(shape.intervals.medianDays).toBe(31);
  });

  it('finds subscription-like regulars and tells on-schedule from lapsed and undetermined', () => {
    const shape = computeShape(
      [
        monthly('on', 18, 2024), // Jan 2024 – Jun 2025, last on 2025-06-05
        monthly('gone', 6, 2024), // Jan – Jun 2024: a year quiet
        buyer('irregular', [
          ['2025-01-01', 1000],
          ['2025-01-04', 1000],
          ['2025-03-20', 1000],
          ['2025-06-01', 1000],
        ]),
        buyer('busy', [
          ['2025-05-01', 1000],
          ['2025-05-10', 1000],
          ['2025-05-20', 1000],
          ['2025-06-01', 1000],
        ]),
      ],
      asOf,
      'USD',
    );
    expect(shape.regulars.onSchedule.customers).toBe(1);
    expect(shape.regulars.onSchedule.revenueMinor).toBe(18 * 1999);
    expect(shape.regulars.lapsed.customers).toBe(1);
    expect(shape.regulars.undetermined).toBe(1);
  });

  it('leaves out buyers in another currency, counted', () => {
    const shape = computeShape([buyer('eur', [['2025-01-01', 1000]], 'EUR')], asOf, 'USD');
    expect(shape).toMatchObject({ buyers: 0, skippedOtherCurrency: 1 });
  });

  it('stores a shape that its schema accepts, and a partial that survives a JSON checkpoint', () => {
    const partial = emptyShapePartial(asOf, 'USD');
    for (let i = 0; i < 50; i++)
      accumulateShape(partial, monthly(`m${i}`, 1 + (i % 12), 2024, 500 + i * 37, 1 + (i % 28)));
    const restored = ShapePartialSchema.parse(JSON.parse(JSON.stringify(partial)));
    expect(finalizeShape(restored)).toEqual(finalizeShape(partial));
    expect(BaseShapeSchema.parse(finalizeShape(partial))).toEqual(finalizeShape(partial));
  });
});

const START = Date.parse('2023-01-01');
const END = Date.parse('2025-06-30');
const customerArb = (id: number): fc.Arbitrary<Customer> =>
  fc
    .array(
      fc.record({
        at: fc.integer({ min: START, max: END }),
        amountMinor: fc.integer({ min: 0, max: 500_000 }),
      }),
      { maxLength: 7 },
    )
    .map((orders) => {
      let c = newCustomer(`c${id}`, 'USD');
      orders.forEach((o, i) => {
        c = addOrder(c, { orderId: `${id}-${i}`, amountMinor: o.amountMinor, placedAt: new Date(o.at).toISOString() });
      });
      return c;
    });

describe('partials merge to the single-pass result', () => {
  it('for any split of any base, at any as-of date', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.nat(), { minLength: 1, maxLength: 60 })
          .chain((seeds) =>
            fc.tuple(
              fc.tuple(...seeds.map((_, i) => customerArb(i))),
              fc.array(fc.integer({ min: 0, max: 3 }), { minLength: seeds.length, maxLength: seeds.length }),
              fc.integer({ min: START, max: END }),
            ),
          ),
        ([customers, shards, at]) => {
          const asOf = endOfDay(new Date(at).toISOString().slice(0, 10));
          const parts = [0, 1, 2, 3].map(() => emptyShapePartial(asOf, 'USD'));
          customers.forEach((c, i) => {
            const part = parts[shards[i] ?? 0];
            if (part) accumulateShape(part, c);
          });
          const [a, b, c, d] = parts as [
            ReturnType<typeof emptyShapePartial>,
            ...ReturnType<typeof emptyShapePartial>[],
          ];
          const merged = mergeShapePartials(mergeShapePartials(a, b ?? a), mergeShapePartials(c ?? a, d ?? a));
          expect(finalizeShape(merged)).toEqual(computeShape(customers, asOf, 'USD'));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('also once the joint table has to be coarsened, whatever the split', () => {
    // More distinct (recency, orders, revenue) cells than MAX_JOINT_CELLS at full resolution.
    const customers: Customer[] = [];
    for (let i = 0; i < MAX_JOINT_CELLS * 1.5; i++) {
      const day = new Date(START + ((i * 7919) % 900) * 86_400_000).toISOString().slice(0, 10);
      const orders: [string, number][] = [[day, 100 + ((i * 104_729) % 400_000)]];
      if (i % 3 === 0) orders.push(['2025-06-01', 500 + (i % 977)]);
      customers.push(buyer(`c${i}`, orders));
    }
    const asOf = endOfDay('2025-06-30');
    const single = emptyShapePartial(asOf, 'USD');
    for (const c of customers) accumulateShape(single, c);
    expect(single.cellLevel).toBeGreaterThan(0);
    expect(Object.keys(single.cells).length).toBeLessThanOrEqual(MAX_JOINT_CELLS);
    const odd = emptyShapePartial(asOf, 'USD');
    const even = emptyShapePartial(asOf, 'USD');
    customers.forEach((c, i) => {
      accumulateShape(i % 2 ? odd : even, c);
    });
    expect(finalizeShape(mergeShapePartials(odd, even))).toEqual(finalizeShape(single));
    expect(mergeShapePartials(even, odd).cellLevel).toBe(single.cellLevel);
  });

  it('refuses to merge partials of different runs', () => {
    expect(() =>
      mergeShapePartials(
        emptyShapePartial(endOfDay('2025-01-01'), 'USD'),
        emptyShapePartial(endOfDay('2025-01-02'), 'USD'),
      ),
    ).toThrow(/different runs/);
  });
});

describe('movement since the last report', () => {
  it('gives segment sizes and revenue shares then and now', () => {
    const base = [monthly('a', 18, 2024), buyer('b', [['2024-02-01', 1000]]), buyer('c', [['2025-06-20', 4000]])];
    const before = computeShape(base, endOfDay('2025-03-31'), 'USD');
    const now = computeShape(base, endOfDay('2025-06-30'), 'USD');
    const movement = compareShapes(before, now);
    expect(movement.buyers).toEqual({ before: 2, now: 3, change: 1 });
    for (const s of movement.segments) {
      expect(s.before).toBe(before.rfm.segments.find((x) => x.segment === s.segment)?.customers);
      expect(s.now).toBe(now.rfm.segments.find((x) => x.segment === s.segment)?.customers);
      expect(s.change).toBe(s.now - s.before);
      expect(s.revenueShareNow).toBe(now.rfm.segments.find((x) => x.segment === s.segment)?.revenueShare);
    }
    expect(movement.segments.reduce((sum, s) => sum + s.change, 0)).toBe(1);
  });
});
