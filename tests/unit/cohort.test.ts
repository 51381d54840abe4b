import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accumulate,
  type CohortPartial,
  CohortReportSchema,
  computeCohorts,
  emptyPartial,
  finalizeCohorts,
  mergePartials,
} from '../../shared/domain/cohort.ts';
import { addOrder, type Customer, CustomerSchema, reclassify } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { addMonths, endOfDay, monthKey } from '../../shared/domain/time.ts';

const GENERATED_AT = '2025-01-01T00:00:00.000Z';

function buyer(customerId: string, orders: [string, number][], currency = 'USD'): Customer {
  let c = CustomerSchema.parse({ customerId, currency });
  orders.forEach(([placedAt, amountMinor], i) => {
    c = addOrder(c, { orderId: `${customerId}-${i}`, amountMinor, placedAt });
  });
  return c;
}

describe('computeCohorts: hand-computed example (as of 2024-03-15)', () => {
  const asOf = endOfDay('2024-03-15');
  const customers = [
    buyer('A', [
      ['2024-01-05T10:00:00.000Z', 1000],
      ['2024-01-20T10:00:00.000Z', 500],
      ['2024-02-10T10:00:00.000Z', 2000],
      ['2024-03-10T10:00:00.000Z', 1000],
    ]),
    // B's March purchase is after the as-of day: not retained in March, not counted
    buyer('B', [
      ['2024-01-15T10:00:00.000Z', 3000],
      ['2024-03-20T10:00:00.000Z', 4000],
    ]),
    // C's March purchase is on the as-of day itself: counted
    buyer('C', [
      ['2024-02-01T00:00:00.000Z', 1000],
      ['2024-03-15T12:00:00.000Z', 500],
    ]),
    buyer('G', [['2024-03-02T08:00:00.000Z', 700]]),
    buyer('D', [['2024-03-16T00:00:00.000Z', 999]]), // first purchase after as-of: prospect
    buyer('E', []), // never purchased
    buyer('F', [['2024-01-03T00:00:00.000Z', 5000]], 'EUR'), // other currency
  ];
  const report = computeCohorts(customers, asOf, 'USD', GENERATED_AT);

  it('counts customers with a purchase, prospects and other-currency customers', () => {
    expect(report.customersWithPurchase).toBe(4);
    expect(report.prospects).toBe(2);
    expect(report.skippedOtherCurrency).toBe(1);
    expect(report.maxPeriods).toBe(3);
    expect(report.cohorts.map((c) => [c.cohort, c.size])).toEqual([
      ['2024-01', 2],
      ['2024-02', 1],
      ['2024-03', 1],
    ]);
    expect(() => CohortReportSchema.parse(report)).not.toThrow();
  });

  it('computes every figure of the January cohort and excludes as-of-month activity after the as-of day', () => {
    const jan = report.cohorts[0];
    expect(jan?.periods).toEqual([
      {
        period: 0,
        month: '2024-01',
        complete: true,
        retained: 2,
        retention: 1,
        churn: 0,
        orders: 3,
        revenueMinor: 4500,
        revenueRetention: 1,
        cumulativeRevenuePerCustomerMinor: 2250,
        averageOrderValueMinor: 1500,
        transitions: {},
      },
      {
        period: 1,
        month: '2024-02',
        complete: true,
        retained: 1,
        retention: 0.5,
        churn: 0.5,
        orders: 1,
        revenueMinor: 2000,
        revenueRetention: 2000 / 4500,
        cumulativeRevenuePerCustomerMinor: 3250,
        averageOrderValueMinor: 2000,
        transitions: {},
      },
      {
        period: 2,
        month: '2024-03',
        complete: false,
        retained: 1,
        retention: 0.5,
        churn: 0.5,
        orders: 1,
        revenueMinor: 1000,
        revenueRetention: 1000 / 4500,
        cumulativeRevenuePerCustomerMinor: 3750,
        averageOrderValueMinor: 1000,
        transitions: {},
      },
    ]);
  });

  it('counts as-of-day activity, marks the as-of month incomplete and leaves unreached periods null', () => {
    const feb = report.cohorts[1];
    expect(feb?.periods[0]).toMatchObject({ retained: 1, retention: 1, revenueMinor: 1000, complete: true });
    expect(feb?.periods[1]).toMatchObject({
      month: '2024-03',
      complete: false,
      retained: 1,
      retention: 1,
      churn: 0,
      revenueMinor: 500,
      revenueRetention: 0.5,
      cumulativeRevenuePerCustomerMinor: 1500,
      averageOrderValueMinor: 500,
    });
    expect(feb?.periods[2]).toBeNull();
    const mar = report.cohorts[2];
    expect(mar?.periods[0]).toMatchObject({ month: '2024-03', complete: false, retained: 1, revenueMinor: 700 });
    expect(mar?.periods.slice(1)).toEqual([null, null]);
  });

  it('a customer who bought before and after the as-of day in the as-of month is retained in that month', () => {
    const h = buyer('H', [
      ['2024-02-01T00:00:00.000Z', 1000],
      ['2024-03-10T00:00:00.000Z', 1000],
      ['2024-03-20T00:00:00.000Z', 4000],
    ]);
    const r = computeCohorts([h], asOf, 'USD', GENERATED_AT);
    // Only retention is pinned: orders/revenue currently include the 03-20 order (reported as a source bug).
    expect(r.cohorts[0]?.periods[1]).toMatchObject({ month: '2024-03', retained: 1, retention: 1, complete: false });
  });

  it('averageOrderValue and revenueRetention are null when there are no orders / no base revenue', () => {
    const free = buyer('Z', [
      ['2024-01-02T00:00:00.000Z', 0],
      ['2024-03-01T00:00:00.000Z', 100],
    ]);
    const r = computeCohorts([free], asOf, 'USD', GENERATED_AT);
    const periods = r.cohorts[0]?.periods;
    expect(periods?.[0]?.revenueRetention).toBeNull();
    expect(periods?.[1]).toMatchObject({ retained: 0, retention: 0, churn: 1, averageOrderValueMinor: null });
  });
});

// ---------- properties ----------

const START = Date.parse('2023-01-01T00:00:00.000Z');
const END = Date.parse('2024-12-31T23:59:59.999Z');
const instantArb = fc.integer({ min: START, max: END }).map((ms) => new Date(ms).toISOString());
const asOfArb = fc.integer({ min: START, max: END }).map((ms) => endOfDay(new Date(ms).toISOString().slice(0, 10)));

const customerArb = (id: number): fc.Arbitrary<Customer> =>
  fc
    .array(fc.record({ placedAt: instantArb, amountMinor: fc.integer({ min: 0, max: 100_000 }) }), { maxLength: 6 })
    .map((orders) => {
      let c = CustomerSchema.parse({ customerId: `c${id}`, currency: 'USD', signedUpAt: '2022-12-01T00:00:00Z' });
      orders.sort((a, b) => (a.placedAt < b.placedAt ? -1 : 1));
      orders.forEach((o, i) => {
        c = reclassify(addOrder(c, { orderId: `o${i}`, ...o }), o.placedAt, DEFAULT_POLICY);
      });
      return c;
    });

const baseArb = fc
  .integer({ min: 0, max: 20 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => customerArb(i))))
  .map((cs): Customer[] => cs);

function partialOf(customers: Customer[], asOf: string): CohortPartial {
  const p = emptyPartial(asOf, 'USD');
  for (const c of customers) accumulate(p, c);
  return p;
}

describe('cohort properties', () => {
  it('structure: sizes sum to customersWithPurchase, ratios in [0,1], period 0 retains all, null iff after as-of month', () => {
    fc.assert(
      fc.property(baseArb, asOfArb, (customers, asOf) => {
        const report = computeCohorts(customers, asOf, 'USD', GENERATED_AT);
        const withPurchase = customers.filter((c) => c.firstPurchaseAt && c.firstPurchaseAt <= asOf).length;
        expect(report.customersWithPurchase).toBe(withPurchase);
        expect(report.prospects).toBe(customers.length - withPurchase);
        expect(report.cohorts.reduce((s, c) => s + c.size, 0)).toBe(withPurchase);
        const asOfMonth = monthKey(asOf);
        for (const row of report.cohorts) {
          expect(row.periods).toHaveLength(report.maxPeriods);
          expect(Object.values(row.stages).reduce((s, n) => s + n, 0)).toBe(row.size);
          expect(row.periods[0]?.retention).toBe(1);
          row.periods.forEach((p, k) => {
            const month = addMonths(row.cohort, k);
            expect(p === null).toBe(month > asOfMonth);
            if (p) {
              expect(p.month).toBe(month);
              // complete once the month has ended by the as-of instant (its last millisecond included)
              const ended = addMonths(asOfMonth, 1) === new Date(Date.parse(asOf) + 1).toISOString().slice(0, 7);
              expect(p.complete).toBe(month < asOfMonth || (month === asOfMonth && ended));
              expect(p.retention).toBeGreaterThanOrEqual(0);
              expect(p.retention).toBeLessThanOrEqual(1);
              expect(p.retained).toBeLessThanOrEqual(row.size);
            }
          });
        }
        expect(() => CohortReportSchema.parse(report)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('merge equality: segments accumulated apart and merged in any order equal the single pass', () => {
    fc.assert(
      fc.property(
        baseArb,
        asOfArb,
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fc.nat()),
        (customers, asOf, k, assign, order) => {
          const segments: Customer[][] = Array.from({ length: k }, () => []);
          const picks = assign.take(customers.length)[Symbol.iterator]();
          for (const c of customers) segments[(picks.next().value as number) % k]?.push(c);
          const partials = segments.map((s) => partialOf(s, asOf));
          const shuffled: CohortPartial[] = [];
          const orderIt = order[Symbol.iterator]();
          while (partials.length) {
            const i = (orderIt.next().value as number) % partials.length;
            shuffled.push(...partials.splice(i, 1));
          }
          const merged = shuffled.reduce(mergePartials, emptyPartial(asOf, 'USD'));
          expect(finalizeCohorts(merged, GENERATED_AT)).toEqual(computeCohorts(customers, asOf, 'USD', GENERATED_AT));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('mergePartials is associative and commutative and does not mutate its inputs', () => {
    fc.assert(
      fc.property(baseArb, baseArb, baseArb, asOfArb, (x, y, z, asOf) => {
        const [a, b, c] = [partialOf(x, asOf), partialOf(y, asOf), partialOf(z, asOf)];
        const snapshot = structuredClone([a, b, c]);
        expect(mergePartials(a, b)).toEqual(mergePartials(b, a));
        expect(mergePartials(mergePartials(a, b), c)).toEqual(mergePartials(a, mergePartials(b, c)));
        expect([a, b, c]).toEqual(snapshot);
      }),
      { numRuns: 100 },
    );
  });

  it('mergePartials refuses partials of different runs', () => {
    expect(() =>
      mergePartials(emptyPartial(endOfDay('2024-01-01'), 'USD'), emptyPartial(endOfDay('2024-01-02'), 'USD')),
    ).toThrow(/different runs/);
    expect(() =>
      mergePartials(emptyPartial(endOfDay('2024-01-01'), 'USD'), emptyPartial(endOfDay('2024-01-01'), 'EUR')),
    ).toThrow(/different runs/);
  });
});
