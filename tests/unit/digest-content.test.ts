/**
 * digestContent against a base small enough to derive every figure by hand (the comments do), compared with the
 * snapshot a month before: the five figures that moved most, in order, with their exact values.
 */
import { describe, expect, it } from 'vitest';
import { computeCohorts } from '../../shared/domain/cohort.ts';
import { addOrder, type Customer, newCustomer } from '../../shared/domain/customer.ts';
import { digestContent, monthInProgress } from '../../shared/domain/digest.ts';
import { endOfDay } from '../../shared/domain/time.ts';

interface Order {
  customerId: string;
  placedAt: string;
  amountMinor: number;
}

/**
 * The fixture (USD, amounts in cents):
 *  - January cohort: j0..j9 each buy $50.00 on 2024-01-15; j0..j3 buy again $30.00 on 2024-02-12; j0, j1 buy $40.00
 *    on 2024-03-15;
 *  - February cohort: f0..f4 each buy $20.00 on 2024-02-20; f0 buys again $60.00 on 2024-03-22;
 *  - March cohort: m0..m2 each buy $25.00 on 2024-03-20.
 */
const ORDERS: Order[] = [
  ...Array.from({ length: 10 }, (_, i) => ({
    customerId: `j${i}`,
    placedAt: '2024-01-15T10:00:00.000Z',
    amountMinor: 5000,
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    customerId: `j${i}`,
    placedAt: '2024-02-12T10:00:00.000Z',
    amountMinor: 3000,
  })),
  ...Array.from({ length: 2 }, (_, i) => ({
    customerId: `j${i}`,
    placedAt: '2024-03-15T10:00:00.000Z',
    amountMinor: 4000,
  })),
  ...Array.from({ length: 5 }, (_, i) => ({
    customerId: `f${i}`,
    placedAt: '2024-02-20T10:00:00.000Z',
    amountMinor: 2000,
  })),
  { customerId: 'f0', placedAt: '2024-03-22T10:00:00.000Z', amountMinor: 6000 },
  ...Array.from({ length: 3 }, (_, i) => ({
    customerId: `m${i}`,
    placedAt: '2024-03-20T10:00:00.000Z',
    amountMinor: 2500,
  })),
];

/** The customers as they were at `asOf`: their aggregates from the orders placed by then. */
function customersAt(asOf: string): Customer[] {
  const byId = new Map<string, Customer>();
  for (const [n, order] of ORDERS.entries()) {
    if (order.placedAt > asOf) continue;
    const current = byId.get(order.customerId) ?? newCustomer(order.customerId, 'USD');
    byId.set(order.customerId, addOrder(current, { orderId: `o${n}`, ...order }));
  }
  return [...byId.values()];
}

const reportAt = (date: string) => {
  const asOf = endOfDay(date);
  return computeCohorts(customersAt(asOf), asOf, 'USD', asOf);
};

const current = reportAt('2024-04-10');
const previous = reportAt('2024-03-10');

describe('digestContent on a hand-derived base', () => {
  it('ranks the figures that moved most since the snapshot of 2024-03-10, with their exact values', () => {
    const content = digestContent(current, previous);
    // As of 2024-04-10 the last complete month is March 2024; as of 2024-03-10 it was February 2024.
    expect(content.month).toBe('2024-03');
    expect(content.previousAsOf).toBe(endOfDay('2024-03-10'));
    expect(content.inProgress).toEqual({ month: '2024-04', day: 10, days: 30 });

    const byId = Object.fromEntries(content.moved.map((f) => [f.id, f]));
    // Average order value. March: revenue 2×$40 + 1×$60 + 3×$25 = $215.00 over 6 orders = 3583.33… cents.
    // February (the previous snapshot's last month): 4×$30 + 5×$20 = $220.00 over 9 orders = 2444.44… cents.
    // Change +1138.88… cents; moved = 1138.88… / 2444.44… = 0.4659 (the largest).
    expect(byId['average-order-value']).toMatchObject({ unit: 'money' });
    expect(byId['average-order-value']?.value).toBeCloseTo(21500 / 6, 10);
    expect(byId['average-order-value']?.previous).toBeCloseTo(22000 / 9, 10);
    expect(byId['average-order-value']?.change).toBeCloseTo(21500 / 6 - 22000 / 9, 10);
    expect(byId['average-order-value']?.moved).toBeCloseTo((21500 / 6 - 22000 / 9) / (22000 / 9), 10);
    // New customers: the March cohort (m0..m2) is 3; the February cohort was 5. Change −2, moved 2/5 = 0.4.
    expect(byId['new-customers-last-month']).toEqual({
      id: 'new-customers-last-month',
      unit: 'count',
      value: 3,
      previous: 5,
      change: -2,
      moved: 0.4,
    });
    // Customers who bought in the month: March j0, j1, f0, m0, m1, m2 = 6; February j0..j3 + f0..f4 = 9.
    // Change −3, moved 3/9 = 0.333….
    expect(byId['buyers-last-month']).toMatchObject({ value: 6, previous: 9, change: -3 });
    expect(byId['buyers-last-month']?.moved).toBeCloseTo(1 / 3, 12);
    // Customers who ever bought: 10 + 5 + 3 = 18 now; 10 + 5 = 15 on 2024-03-10 (m0..m2 came on 2024-03-20).
    // Change +3, moved 3/15 = 0.2.
    expect(byId['customers-with-purchase']).toMatchObject({ value: 18, previous: 15, change: 3 });
    expect(byId['customers-with-purchase']?.moved).toBeCloseTo(0.2, 12);
    // Second-month retention, cohorts whose period 1 is complete. Now: January (4 of 10 bought in February) and
    // February (1 of 5 bought in March): (4 + 1) / (10 + 5) = 1/3. Then: January only (February's period 1, March,
    // was in progress): 4/10. A ratio moves by its change in points: 0.4 − 1/3 = 0.0667.
    expect(byId['month-1-retention']?.unit).toBe('ratio');
    expect(byId['month-1-retention']?.value).toBeCloseTo(1 / 3, 12);
    expect(byId['month-1-retention']?.previous).toBeCloseTo(0.4, 12);
    expect(byId['month-1-retention']?.change).toBeCloseTo(1 / 3 - 0.4, 12);
    expect(byId['month-1-retention']?.moved).toBeCloseTo(0.4 - 1 / 3, 12);

    // Five figures, the largest move first; revenue moved least (March $215.00 vs February $220.00: 500/22000 =
    // 0.0227) and is left out; the 12-month value has no cohort with 12 months yet (null then and now).
    expect(content.moved.map((f) => f.id)).toEqual([
      'average-order-value',
      'new-customers-last-month',
      'buyers-last-month',
      'customers-with-purchase',
      'month-1-retention',
    ]);
  });

  it('shows the figures in their fixed order, unranked, when there is no previous snapshot', () => {
    const content = digestContent(current);
    expect(content.previousAsOf).toBeNull();
    // Revenue in March: 2×4000 (January cohort) + 6000 (February) + 3×2500 (March) = 21,500 cents.
    expect(content.moved.map((f) => [f.id, f.value, f.change])).toEqual([
      ['revenue-last-month', 21500, null],
      ['buyers-last-month', 6, null],
      ['new-customers-last-month', 3, null],
      ['month-1-retention', 1 / 3, null],
      ['average-order-value', 21500 / 6, null],
    ]);
  });

  it('draws the retention curve from complete periods only, weighted by cohort size', () => {
    // Period 1: (4 + 1) / 15, as above. Period 2: only January has it complete (March): 2/10. Period 3 (April)
    // is in progress for January: the curve stops.
    const curve = digestContent(current, previous).retentionCurve;
    expect(curve.map((p) => p.period)).toEqual([1, 2]);
    expect(curve[0]?.retention).toBeCloseTo(1 / 3, 12);
    expect(curve[0]?.cohorts).toBe(2);
    expect(curve[1]).toEqual({ period: 2, retention: 0.2, cohorts: 1 });
  });

  it('marks the as-of month in progress unless the as-of is its last instant', () => {
    expect(monthInProgress(endOfDay('2024-02-10'))).toEqual({ month: '2024-02', day: 10, days: 29 });
    expect(monthInProgress(endOfDay('2024-02-29'))).toBeNull();
    expect(monthInProgress('2024-12-31T12:00:00.000Z')).toEqual({ month: '2024-12', day: 31, days: 31 });
  });
});
