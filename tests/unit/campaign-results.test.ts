import { describe, expect, it } from 'vitest';
import { ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { campaignResults, meanDifference, uplift, wilson } from '../../shared/domain/campaign-results.ts';
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

/*
 * The results used to credit a purchase to the latest `sent` or `held_out` touch within `attributionDays` of it.
 * That was biased: hold-out touches are dated when the step fell due, sends when they left (after quiet hours and
 * the frequency cap), and treated customers whose send failed, stayed unknown or was released vanished. These tests
 * now state the intent-to-treat semantics instead: every enrollment counts in the arm drawn at enrollment, with a
 * purchase within `measurementDays` after the enrollment instant as the outcome, and only closed windows count.
 */
describe('intent-to-treat results', () => {
  const EPISODE = '2026-01-01';
  const ENROLLED_AT = '2026-01-01T10:00:00.000Z';
  const AS_OF = '2026-06-30T23:59:59.999Z';
  const campaign = {
    id: 'winback',
    measurementDays: 60,
    steps: [
      { id: 'miss-you', offsetDays: 0, template: 'miss-you' as const },
      { id: 'offer', offsetDays: 14, template: 'offer' as const },
      { id: 'last-chance', offsetDays: 30, template: 'last-chance' as const },
    ],
  };
  const options = { asOf: AS_OF, campaigns: [campaign], attributionDays: 30, currency: 'USD' };
  const enrollment = (customerId: string, arm: 'treated' | 'holdout', at = ENROLLED_AT): LedgerEntry => ({
    customerId,
    key: `winback#${EPISODE}#${ENROLLMENT_STEP}`,
    campaignId: 'winback',
    episode: EPISODE,
    stepId: ENROLLMENT_STEP,
    status: 'enrolled',
    arm,
    claimedAt: at,
    runAsOf: at,
    runId: 'r',
  });
  const step = (
    customerId: string,
    stepId: string,
    claimedAt: string,
    status: LedgerEntry['status'],
    extra: Partial<LedgerEntry> = {},
  ): LedgerEntry => ({
    customerId,
    key: `winback#${EPISODE}#${stepId}`,
    campaignId: 'winback',
    episode: EPISODE,
    stepId,
    status,
    claimedAt,
    runAsOf: claimedAt,
    runId: 'r',
    ...(status === 'sent' ? { sentAt: claimedAt, deliveredAt: claimedAt } : {}),
    ...extra,
  });
  const order = (placedAt: string, amountMinor: number) => ({ placedAt, amountMinor });

  it('counts every enrollment in its arm, with a purchase within the window after enrollment as the outcome', () => {
    const entries = [
      enrollment('a', 'treated'),
      // The send left two days after enrollment (quiet hours, the cap): the window still starts at enrollment.
      step('a', 'miss-you', '2026-01-03T10:00:00.000Z', 'sent'),
      enrollment('b', 'treated'),
      step('b', 'miss-you', '2026-01-01T11:00:00.000Z', 'sent'),
      enrollment('h', 'holdout'),
      step('h', 'miss-you', ENROLLED_AT, 'held_out'),
      enrollment('g', 'holdout'),
      step('g', 'miss-you', ENROLLED_AT, 'held_out'),
    ];
    const orders = new Map([
      // before the send but after enrollment: counts (the old attribution lost it)
      ['a', [order('2026-01-02T00:00:00.000Z', 1000), order('2026-02-20T00:00:00.000Z', 500)]],
      // after the 60-day window: does not count
      ['b', [order('2026-03-15T00:00:00.000Z', 900)]],
      // before enrollment: does not count
      ['h', [order('2025-12-20T00:00:00.000Z', 700), order('2026-01-10T00:00:00.000Z', 300)]],
    ]);
    const [r] = campaignResults(entries, new Map(), orders, options).campaigns;
    expect(r).toMatchObject({ campaignId: 'winback', enrolled: 4, legacyEnrollments: 0, measurementDays: 60 });
    expect(r?.treated).toMatchObject({ n: 2, converted: 1, revenueMinor: 1500, revenuePerEnrolledMinor: 750 });
    expect(r?.holdout).toMatchObject({ n: 2, converted: 1, revenueMinor: 300, revenuePerEnrolledMinor: 150 });
    expect(r?.uplift).toBeCloseTo(0, 10);
    expect(r?.revenueDifferencePerEnrolledMinor).toBeCloseTo(600, 10);
    const expected = uplift(1, 2, 1, 2);
    expect([r?.low, r?.high]).toEqual([expected.low, expected.high]);
    expect(r?.openWindows).toEqual({ treated: 0, holdout: 0 });
  });

  it('keeps treated customers whose send failed, stayed unknown, was released or who unsubscribed in the denominator', () => {
    const entries = [
      enrollment('failed', 'treated'),
      step('failed', 'miss-you', '2026-01-01T12:00:00.000Z', 'failed'),
      enrollment('unknown', 'treated'),
      step('unknown', 'miss-you', '2026-01-01T12:00:00.000Z', 'claimed'),
      enrollment('released', 'treated'),
      step('released', 'miss-you', '2026-01-01T12:00:00.000Z', 'released'),
      enrollment('unsub', 'treated'),
      step('unsub', 'miss-you', '2026-01-01T12:00:00.000Z', 'sent'),
      enrollment('nothing', 'treated'), // enrolled, never reached by a send (e.g. purchased first)
      enrollment('h1', 'holdout'),
      step('h1', 'miss-you', ENROLLED_AT, 'held_out'),
      enrollment('h2', 'holdout'),
    ];
    const customers = new Map([
      ['unsub', { consent: { marketing: false, at: '2026-01-02T00:00:00.000Z', source: 'unsubscribe:winback' } }],
    ]);
    const orders = new Map([
      ['failed', [order('2026-01-05T00:00:00.000Z', 100)]],
      ['released', [order('2026-01-06T00:00:00.000Z', 100)]],
      ['nothing', [order('2026-01-01T10:30:00.000Z', 100)]],
      ['h1', [order('2026-01-05T00:00:00.000Z', 100)]],
    ]);
    const [r] = campaignResults(entries, customers, orders, options).campaigns;
    expect(r?.treated).toMatchObject({ n: 5, converted: 3 });
    expect(r?.holdout).toMatchObject({ n: 2, converted: 1 });
    expect(r?.uplift).toBeCloseTo(3 / 5 - 1 / 2, 10);
    const missYou = r?.steps.find((s) => s.stepId === 'miss-you');
    expect(missYou).toMatchObject({
      randomized: false,
      sent: 1,
      failed: 1,
      unknown: 1,
      released: 1,
      heldOut: 1,
      delivered: 1,
      unsubscribed: 1,
      purchasedAfter: 0,
    });
  });

  it('counts open windows apart and leaves enrollments after asOf out', () => {
    const entries = [
      enrollment('closed', 'treated'),
      enrollment('open-t', 'treated', '2026-06-01T00:00:00.000Z'),
      enrollment('open-h', 'holdout', '2026-06-01T00:00:00.000Z'),
      enrollment('later', 'holdout', '2026-07-02T00:00:00.000Z'),
      enrollment('closed-h', 'holdout'),
    ];
    const orders = new Map([['open-t', [order('2026-06-02T00:00:00.000Z', 100)]]]);
    const [r] = campaignResults(entries, new Map(), orders, options).campaigns;
    expect(r?.enrolled).toBe(4);
    expect(r?.openWindows).toEqual({ treated: 1, holdout: 1 });
    expect(r?.treated).toMatchObject({ n: 1, converted: 0 });
    expect(r?.holdout).toMatchObject({ n: 1, converted: 0 });
  });

  it('derives legacy enrollments from step entries without an enrollment record', () => {
    const entries = [
      step('t', 'miss-you', '2026-01-01T15:00:00.000Z', 'sent', { runAsOf: ENROLLED_AT }),
      step('t', 'offer', '2026-01-15T15:00:00.000Z', 'sent', { runAsOf: '2026-01-15T10:00:00.000Z' }),
      step('h', 'miss-you', ENROLLED_AT, 'held_out'),
    ];
    const orders = new Map([['t', [order('2026-01-01T12:00:00.000Z', 100)]]]); // after enrollment, before the send
    const [r] = campaignResults(entries, new Map(), orders, options).campaigns;
    expect(r).toMatchObject({ enrolled: 2, legacyEnrollments: 2 });
    expect(r?.treated).toMatchObject({ n: 1, converted: 1 });
    expect(r?.holdout).toMatchObject({ n: 1, converted: 0 });
  });

  it('describes each step without a comparison, in the configured order, and a campaign without entries as empty', () => {
    const entries = [
      enrollment('a', 'treated'),
      step('a', 'miss-you', '2026-01-01T11:00:00.000Z', 'sent', { openedAt: '2026-01-01T12:00:00.000Z' }),
      step('a', 'offer', '2026-01-15T11:00:00.000Z', 'sent', { clickedAt: '2026-01-15T12:00:00.000Z' }),
    ];
    const orders = new Map([['a', [order('2026-01-20T00:00:00.000Z', 100)]]]);
    const other = { ...campaign, id: 'welcome' };
    const { campaigns } = campaignResults(entries, new Map(), orders, { ...options, campaigns: [campaign, other] });
    const [winback, welcome] = campaigns;
    expect(winback?.steps.map((s) => [s.stepId, s.sent, s.opened, s.clicked, s.purchasedAfter])).toEqual([
      ['miss-you', 1, 1, 0, 1], // the purchase is within 30 days of both sends: described, not credited
      ['offer', 1, 0, 1, 1],
      ['last-chance', 0, 0, 0, 0],
    ]);
    expect(winback?.steps.every((s) => s.randomized === false)).toBe(true);
    expect(winback?.holdout.n).toBe(0);
    expect(winback?.uplift).toBeNull();
    expect(welcome).toMatchObject({ campaignId: 'welcome', enrolled: 0, uplift: null });
  });
});

describe('revenue difference', () => {
  it("is Welch's difference of means with the normal quantile", () => {
    // means 2 and 1; sample variances 1 and 1; se = sqrt(1/3 + 1/3)
    const d = meanDifference([1, 2, 3], [0, 1, 2]);
    const se = Math.sqrt(2 / 3);
    expect(d?.difference).toBeCloseTo(1, 12);
    expect(d?.low).toBeCloseTo(1 - 1.959963984540054 * se, 12);
    expect(d?.high).toBeCloseTo(1 + 1.959963984540054 * se, 12);
    expect(meanDifference([1], [1, 2])).toBeNull();
  });
});
