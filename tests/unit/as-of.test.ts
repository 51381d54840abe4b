import { describe, expect, it } from 'vitest';
import { customerAsOf, needsOrdersAsOf, stageAsOf } from '../../shared/domain/as-of.ts';
import { computeCohorts } from '../../shared/domain/cohort.ts';
import { addOrder, type Customer, CustomerSchema, type OrderFacts } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { cohortReportToHtml } from '../../shared/reports/cohort-html.ts';

const order = (orderId: string, placedAt: string, amountMinor: number): OrderFacts => ({
  orderId,
  placedAt,
  amountMinor,
});

function withOrders(customerId: string, orders: readonly OrderFacts[]): Customer {
  let c = CustomerSchema.parse({ customerId, currency: 'USD' });
  for (const o of orders) c = addOrder(c, o);
  return c;
}

// Bought in January, then on 3, 10 and 25 June: as of 10 June, June has two orders (3 and 10), not three.
const ORDERS = [
  order('a', '2024-01-05T12:00:00.000Z', 1_000),
  order('b', '2024-06-03T09:00:00.000Z', 200),
  order('c', '2024-06-10T18:00:00.000Z', 300),
  order('d', '2024-06-25T08:00:00.000Z', 5_000),
];

describe('a customer as of an instant', () => {
  it('counts only the orders up to the as-of instant, in the as-of month too', () => {
    const stored = withOrders('x', ORDERS);
    const asOf = endOfDay('2024-06-10');
    expect(needsOrdersAsOf(stored, asOf)).toBe(true);
    expect(() => customerAsOf(stored, asOf, DEFAULT_POLICY)).toThrow(/customer x: orders are needed/);
    const view = customerAsOf(stored, asOf, DEFAULT_POLICY, ORDERS);
    // Purchase days 3 and 10: bits 2 and 9.
    expect(view.months['2024-06']).toEqual({
      orders: 2,
      revenueMinor: 500,
      firstDay: 3,
      lastDay: 10,
      days: (1 << 2) | (1 << 9),
    });
    expect([view.orderCount, view.revenueMinor, view.lastPurchaseAt]).toEqual([3, 1_500, '2024-06-10T18:00:00.000Z']);
    const june = computeCohorts([view], asOf, 'USD', asOf).cohorts[0]?.periods[5];
    expect([june?.orders, june?.revenueMinor, june?.complete]).toEqual([2, 500, false]);
    // The stored aggregates alone would have counted the whole of June (the leak this fixes).
    const leaked = computeCohorts([stored], asOf, 'USD', asOf).cohorts[0]?.periods[5];
    expect([leaked?.orders, leaked?.revenueMinor]).toEqual([3, 5_500]);
  });

  it('reads no order when nothing is after the as-of instant', () => {
    const stored = withOrders('x', ORDERS);
    expect(needsOrdersAsOf(stored, endOfDay('2024-06-25'))).toBe(false);
    expect(needsOrdersAsOf(stored, endOfDay('2023-12-31'))).toBe(false); // not a customer yet
    expect(customerAsOf(stored, endOfDay('2024-06-30'), DEFAULT_POLICY).months).toEqual(stored.months);
  });

  it('classifies the stage at the as-of instant, not the stored one', () => {
    // Imported and never flagged: stored as a prospect with four orders.
    const stored = withOrders('x', ORDERS);
    expect(stored.stage).toBe('prospect');
    expect(customerAsOf(stored, endOfDay('2024-06-30'), DEFAULT_POLICY).stage).toBe('active');
    expect(customerAsOf(stored, endOfDay('2024-03-10'), DEFAULT_POLICY, ORDERS).stage).toBe('at_risk'); // 65 days
    expect(customerAsOf(stored, endOfDay('2024-05-31'), DEFAULT_POLICY, ORDERS).stage).toBe('dormant'); // 147 days
    expect(customerAsOf(stored, endOfDay('2024-01-06'), DEFAULT_POLICY, ORDERS).stage).toBe('new');
  });

  it('a comeback after a recorded dormancy is reactivated, as the flag job would have said', () => {
    const stored = {
      ...withOrders('x', ORDERS),
      transitions: [
        { from: null, to: 'new' as const, at: '2024-01-05T12:00:00.000Z', reason: 'first purchase' },
        { from: 'new' as const, to: 'dormant' as const, at: '2024-04-04T12:00:00.000Z', reason: 'idle' },
        { from: 'dormant' as const, to: 'reactivated' as const, at: '2024-06-03T09:00:00.000Z', reason: 'back' },
      ],
    };
    const view = customerAsOf(stored, endOfDay('2024-06-04'), DEFAULT_POLICY, ORDERS);
    expect(view.stage).toBe('reactivated');
    // Before the comeback, only the dormancy was recorded.
    expect(
      stageAsOf(
        customerAsOf(stored, endOfDay('2024-05-01'), DEFAULT_POLICY, ORDERS),
        endOfDay('2024-05-01'),
        DEFAULT_POLICY,
      ),
    ).toBe('dormant');
  });
});

describe('the report of a month in progress', () => {
  it('does not colour the partial month on the scale, marks it, and draws the charts', () => {
    const customers = ['2024-01-05', '2024-01-09', '2024-02-11'].map((d, i) =>
      withOrders(`c${i}`, [
        order(`o${i}`, `${d}T10:00:00.000Z`, 1_000),
        order(`p${i}`, '2024-03-02T10:00:00.000Z', 500),
      ]),
    );
    const asOf = endOfDay('2024-03-05');
    const html = cohortReportToHtml(computeCohorts(customers, asOf, 'USD', asOf));
    const partial = html.match(/<td data-heatmap="retention" data-partial="true"[^>]*>([^<]*)<\/td>/g) ?? [];
    expect(partial).toHaveLength(2); // the March cell of each cohort
    expect(partial.every((td) => td.includes('background-color:#ffffff') && td.includes('100.0%*'))).toBe(true);
    expect(html).toContain('2024-03 in progress (5 of 31 days, to 2024-03-05)');
    for (const id of ['retention-curves', 'revenue-retention', 'stage-flow']) {
      expect(html).toMatch(new RegExp(`<svg [^>]*data-chart="${id}"[^>]*><title id="${id}-t">[^<]+</title>`));
    }
    // As of the month's last instant the month is complete and coloured.
    const closed = cohortReportToHtml(computeCohorts(customers, endOfDay('2024-03-31'), 'USD', asOf));
    expect(closed).not.toContain('data-partial');
  });
});
