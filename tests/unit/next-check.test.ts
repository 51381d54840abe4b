import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addOrder, CustomerSchema, reclassify } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const DAY = 86_400_000;
const instant = (offsetDays: number, ms = 0) => new Date(T0 + offsetDays * DAY + ms).toISOString();

const customerArb = fc
  .record({
    orders: fc.array(fc.record({ day: fc.integer({ min: 0, max: 400 }), ms: fc.integer({ min: 0, max: DAY - 1 }) }), {
      minLength: 1,
      maxLength: 6,
    }),
    firstRunDay: fc.integer({ min: 0, max: 700 }),
  })
  .map(({ orders, firstRunDay }) => {
    let c = CustomerSchema.parse({ customerId: 'c1', currency: 'USD' });
    orders.forEach((o, i) => {
      c = addOrder(c, { orderId: `o${i}`, amountMinor: 100, placedAt: instant(o.day, o.ms) });
    });
    const lastDay = Math.max(...orders.map((o) => o.day));
    return { customer: c, firstRun: instant(Math.max(firstRunDay, lastDay + 1)) };
  });

describe('nextCheckAt', () => {
  it('is exact: no stage change before it, a change at it, and none at all without one', () => {
    fc.assert(
      fc.property(customerArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ customer, firstRun }, fraction) => {
        const classified = reclassify(customer, firstRun, DEFAULT_POLICY);
        const next = classified.nextCheckAt;
        if (!next) {
          // prospect or lost: time alone never changes the stage
          expect(['prospect', 'lost']).toContain(classified.stage);
          expect(reclassify(classified, instant(2000), DEFAULT_POLICY).stage).toBe(classified.stage);
          return;
        }
        expect(next > firstRun).toBe(true);
        const before = new Date(
          Date.parse(firstRun) + Math.floor((Date.parse(next) - Date.parse(firstRun) - 1) * fraction),
        ).toISOString();
        expect(reclassify(classified, before, DEFAULT_POLICY)).toBe(classified);
        expect(reclassify(classified, next, DEFAULT_POLICY).stage).not.toBe(classified.stage);
      }),
      { numRuns: 300 },
    );
  });
});
