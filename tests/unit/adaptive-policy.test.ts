/**
 * The adaptive lifecycle policy and the model's sample, as the jobs use them: the next check is the instant the
 * customer's P(alive) crosses the next threshold (exact: no change before it, the change at it), a customer is
 * classified by P(alive) after minIdleDays, and the fitting sample is the same whatever the order customers
 * arrive in or how the pass is split into segments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToSample,
  type BaseModel,
  DEFAULT_MODEL_SETTINGS,
  emptyModelSample,
  fitBaseModel,
  mergeModelSamples,
  type ScoringModel,
} from '../../shared/domain/btyd/base-model.ts';
import { customerScorer } from '../../shared/domain/btyd/model-scoring.ts';
import { paretoNbdPAlive } from '../../shared/domain/btyd/pareto-nbd.ts';
import { AudienceSchema, matchesAudience } from '../../shared/domain/campaign.ts';
import { addOrder, type Customer, CustomerSchema, reclassify } from '../../shared/domain/customer.ts';
import { LifecyclePolicySchema, type Stage } from '../../shared/domain/lifecycle.ts';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const DAY = 86_400_000;
const instant = (offsetDays: number, ms = 0) => new Date(T0 + offsetDays * DAY + ms).toISOString();

/** The published CDNOW Pareto/NBD and Gamma-Gamma (weeks; spend in minor units here). */
const MODEL: ScoringModel = {
  fittedAsOf: '2024-01-01T00:00:00.000Z',
  paretoNbd: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 },
  gammaGamma: { p: 6.25, q: 3.74, gamma: 1544 },
  horizonDays: 90,
  valuation: { annualDiscountRate: 0.1, months: 12 },
};
const scorer = customerScorer(MODEL);
const ADAPTIVE = LifecyclePolicySchema.parse({ mode: 'adaptive' });

function customerWith(days: readonly number[], id = 'c1'): Customer {
  let c = CustomerSchema.parse({ customerId: id, currency: 'USD' });
  days.forEach((d, i) => {
    c = addOrder(c, { orderId: `o${i}`, amountMinor: 1_000 + 37 * i, placedAt: instant(d, 3_600_000) });
  });
  return c;
}

const customerArb = fc
  .record({
    days: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }),
    wait: fc.integer({ min: 1, max: 400 }),
  })
  .map(({ days, wait }) => ({ customer: customerWith(days), firstRun: instant(Math.max(...days) + wait) }));

/** The threshold whose crossing the next check waits for, by stage. */
const nextThreshold = (stage: Stage) =>
  stage === 'at_risk'
    ? ADAPTIVE.adaptive.dormantBelow
    : stage === 'dormant'
      ? ADAPTIVE.adaptive.lostBelow
      : ADAPTIVE.adaptive.atRiskBelow;

describe('adaptive policy: stages from P(alive), next check at its crossing', () => {
  it('classifies by the customer’s own P(alive) after minIdleDays of silence', () => {
    fc.assert(
      fc.property(customerArb, ({ customer, firstRun }) => {
        const c = reclassify(customer, firstRun, ADAPTIVE, scorer);
        const p = c.score?.pAlive ?? Number.NaN;
        const idle = (Date.parse(firstRun) - Date.parse(customer.lastPurchaseAt ?? '')) / DAY;
        const { atRiskBelow, dormantBelow, lostBelow, minIdleDays } = ADAPTIVE.adaptive;
        const expected =
          idle < minIdleDays
            ? undefined
            : p < lostBelow
              ? 'lost'
              : p < dormantBelow
                ? 'dormant'
                : p < atRiskBelow
                  ? 'at_risk'
                  : undefined;
        if (expected) expect(c.stage).toBe(expected);
        else expect(['new', 'active']).toContain(c.stage);
      }),
      { numRuns: 200 },
    );
  });

  it('is exact: no change before the next check, the change at it (unless the curve never crosses)', () => {
    fc.assert(
      fc.property(customerArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ customer, firstRun }, fraction) => {
        const classified = reclassify(customer, firstRun, ADAPTIVE, scorer);
        const next = classified.nextCheckAt;
        if (!next) {
          expect(classified.stage).toBe('lost');
          return;
        }
        expect(next > firstRun).toBe(true);
        const before = new Date(
          Date.parse(firstRun) + Math.floor((Date.parse(next) - Date.parse(firstRun) - 1) * fraction),
        ).toISOString();
        // Same stage, same next check, same model: nothing to write.
        expect(reclassify(classified, before, ADAPTIVE, scorer)).toBe(classified);
        const crosses = scorer.survival(classified)?.crossing(nextThreshold(classified.stage)) !== undefined;
        if (crosses) expect(reclassify(classified, next, ADAPTIVE, scorer).stage).not.toBe(classified.stage);
      }),
      { numRuns: 200 },
    );
  });

  it('gives a weekly buyer who went quiet a month an earlier warning than a yearly buyer', () => {
    const weekly = customerWith(Array.from({ length: 20 }, (_, i) => i * 7));
    const yearly = customerWith([0, 365, 730]);
    const weeklyAt = reclassify(weekly, instant(19 * 7 + 1), ADAPTIVE, scorer).nextCheckAt ?? '';
    const yearlyAt = reclassify(yearly, instant(731), ADAPTIVE, scorer).nextCheckAt ?? '';
    const silence = (at: string, last: number) => (Date.parse(at) - T0) / DAY - last;
    // The weekly buyer is at risk after a few silent weeks; the yearly buyer not before well past the fixed 60 days.
    expect(silence(weeklyAt, 19 * 7)).toBeLessThan(60);
    expect(silence(yearlyAt, 730)).toBeGreaterThan(60);
  });

  it('uses the day thresholds without a model, and stores no score', () => {
    const c = reclassify(customerWith([0, 10]), instant(75), ADAPTIVE);
    expect(c.stage).toBe('at_risk');
    expect(c.score).toBeUndefined();
  });

  it('stores a score that agrees with the model on the stored purchase days', () => {
    const c = reclassify(customerWith([0, 0, 14, 30]), instant(100), ADAPTIVE, scorer);
    // Days 0 (twice: one purchase day), 14, 30: x = 2, t_x = 30/7, T = 100/7.
    expect(c.score?.pAlive).toBeCloseTo(
      paretoNbdPAlive(MODEL.paretoNbd, { frequency: 2, recency: 30 / 7, T: 100 / 7 }),
      12,
    );
    expect(c.score?.model).toBe(MODEL.fittedAsOf);
  });
});

describe('the fitting sample', () => {
  const customers = Array.from({ length: 400 }, (_, i) =>
    customerWith(
      Array.from({ length: 1 + (i % 5) }, (_, k) => (i * 7 + k * 23) % 300),
      `cust-${i}`,
    ),
  );
  const settings = { sampleSize: 150, holdoutWeeks: 8 };
  const asOf = instant(320);

  it('is the same whatever the order and however the pass is split into segments', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(customers, { minLength: 400, maxLength: 400 }),
        fc.integer({ min: 1, max: 7 }),
        (order, segments) => {
          const whole = emptyModelSample(asOf, settings);
          for (const c of customers) addToSample(whole, c);
          const parts = Array.from({ length: segments }, () => emptyModelSample(asOf, settings));
          order.forEach((c, i) => {
            addToSample(parts[i % segments] ?? whole, c);
          });
          const merged = parts.reduce((a, b) => mergeModelSamples(a, b));
          expect(merged).toEqual(whole);
          expect(whole.rows).toHaveLength(150);
          expect(whole.buyers).toBe(400);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('keeps the last good model when a fit is not possible, and says there is none without one', () => {
    const few = emptyModelSample(asOf, settings);
    for (const c of customers.slice(0, 50)) addToSample(few, c);
    const none = fitBaseModel(few, DEFAULT_MODEL_SETTINGS);
    expect(none.status).toBe('none');
    expect(none.problem).toMatch(/50 buyers: at least 200/);
    const previous: BaseModel = {
      ...none,
      status: 'fitted',
      fittedAsOf: instant(300),
      paretoNbd: {
        model: 'pareto-nbd',
        params: MODEL.paretoNbd,
        logLikelihood: -1,
        iterations: 1,
        converged: true,
        distinctRows: 1,
      },
    };
    const kept = fitBaseModel(few, DEFAULT_MODEL_SETTINGS, previous);
    expect(kept.status).toBe('kept-previous');
    expect(kept.fittedAsOf).toBe(instant(300));
    expect(kept.paretoNbd?.params).toEqual(MODEL.paretoNbd);
    expect(kept.asOf).toBe(asOf);
  });
});

describe('campaign audiences on the score', () => {
  const scored = reclassify(customerWith([0, 20, 40]), instant(200), ADAPTIVE, scorer);
  const score = scored.score;
  it('filters on expected value, value at risk and P(alive); no score, no match', () => {
    if (!score) throw new Error('no score');
    expect(matchesAudience(scored, AudienceSchema.parse({ minExpectedValueMinor: score.expectedValueMinor }))).toBe(
      true,
    );
    expect(matchesAudience(scored, AudienceSchema.parse({ minExpectedValueMinor: score.expectedValueMinor + 1 }))).toBe(
      false,
    );
    expect(matchesAudience(scored, AudienceSchema.parse({ minValueAtRiskMinor: score.valueAtRiskMinor + 1 }))).toBe(
      false,
    );
    expect(matchesAudience(scored, AudienceSchema.parse({ maxPAlive: score.pAlive }))).toBe(true);
    expect(matchesAudience(scored, AudienceSchema.parse({ maxPAlive: score.pAlive - 0.01 }))).toBe(false);
    expect(matchesAudience(scored, AudienceSchema.parse({ minPAlive: score.pAlive + 0.01 }))).toBe(false);
    const { score: _none, ...unscored } = scored;
    expect(matchesAudience(unscored, AudienceSchema.parse({ maxPAlive: 1 }))).toBe(false);
    expect(matchesAudience(unscored, AudienceSchema.parse({}))).toBe(true);
  });
});
