import { describe, expect, it } from 'vitest';
import { campaignResults, uplift, wilson } from '../../shared/domain/campaign-results.ts';
import { CustomerSchema } from '../../shared/domain/customer.ts';
import type { LedgerEntry } from '../../shared/domain/winback.ts';

describe('confidence intervals', () => {
  it('reproduces the Wilson score interval published by Newcombe (1998): 81/263 → 0.2553–0.3662', () => {
    const w = wilson(81, 263);
    expect(w?.low).toBeCloseTo(0.2553, 4);
    expect(w?.high).toBeCloseTo(0.3662, 4);
  });

  it("reproduces Newcombe's (1998) method 10 examples: 56/70−48/80 → 0.0524 to 0.3339; 9/10−3/10 → 0.1705 to 0.8090", () => {
    const a = uplift(56, 70, 48, 80);
    expect(a.uplift).toBeCloseTo(0.2, 10);
    expect(a.low).toBeCloseTo(0.0524, 4);
    expect(a.high).toBeCloseTo(0.3339, 4);
    const b = uplift(9, 10, 3, 10);
    expect(b.low).toBeCloseTo(0.1705, 4);
    expect(b.high).toBeCloseTo(0.809, 4);
  });

  it('has no estimate without a hold-out group', () => {
    expect(uplift(3, 10, 0, 0).uplift).toBeNull();
  });
});

describe('attribution', () => {
  const entry = (
    customerId: string,
    stepId: string,
    claimedAt: string,
    status: LedgerEntry['status'],
  ): LedgerEntry => ({
    customerId,
    key: `winback#2026-01-01#${stepId}`,
    campaignId: 'winback',
    episode: '2026-01-01',
    stepId,
    status,
    claimedAt,
    runAsOf: claimedAt,
    runId: 'r',
    ...(status === 'sent' ? { deliveredAt: claimedAt } : {}),
  });
  const customer = (customerId: string, consent?: { marketing: boolean; at: string; source: string }) =>
    CustomerSchema.parse({ customerId, currency: 'USD', ...(consent ? { consent } : {}) });

  it('credits a purchase to the latest touch within the window, once per episode, and hold-outs separately', () => {
    const entries = [
      entry('a', 'miss-you', '2026-01-01T10:00:00.000Z', 'sent'),
      entry('a', 'offer', '2026-01-15T10:00:00.000Z', 'sent'),
      entry('b', 'miss-you', '2026-01-01T10:00:00.000Z', 'sent'),
      entry('h', 'miss-you', '2026-01-01T10:00:00.000Z', 'held_out'),
      entry('late', 'miss-you', '2026-01-01T10:00:00.000Z', 'sent'),
      entry('u', 'miss-you', '2026-01-01T10:00:00.000Z', 'sent'),
    ];
    const orders = new Map([
      [
        'a',
        [
          { placedAt: '2026-01-20T00:00:00.000Z', amountMinor: 1000 },
          { placedAt: '2026-01-25T00:00:00.000Z', amountMinor: 500 },
        ],
      ],
      ['h', [{ placedAt: '2026-01-10T00:00:00.000Z', amountMinor: 700 }]],
      ['late', [{ placedAt: '2026-03-01T00:00:00.000Z', amountMinor: 900 }]], // outside the 30-day window
    ]);
    const customers = new Map([
      ['u', customer('u', { marketing: false, at: '2026-01-02T00:00:00.000Z', source: 'unsubscribe:winback' })],
    ]);
    const r = campaignResults('winback', entries, customers, orders, ['miss-you', 'offer'], {
      asOf: '2026-06-30T23:59:59.999Z',
      attributionDays: 30,
      currency: 'USD',
    });
    const [missYou, offer] = r.steps;
    expect(missYou?.sent).toBe(4);
    expect(missYou?.heldOut).toBe(1);
    expect(missYou?.delivered).toBe(4);
    expect(missYou?.unsubscribed).toBe(1);
    expect(missYou?.reactivated).toBe(0);
    expect(missYou?.heldOutReactivated).toBe(1);
    expect(offer?.reactivated).toBe(1); // a's purchase follows the offer
    expect(offer?.reactivationRevenueMinor).toBe(1500);
    expect(r.overall.treated).toMatchObject({ n: 4, reactivated: 1 });
    expect(r.overall.holdout).toMatchObject({ n: 1, reactivated: 1 });
    expect(r.overall.uplift).toBeCloseTo(0.25 - 1, 10);
  });
});
