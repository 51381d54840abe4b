import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bgNbdExpectedPurchases, bgNbdLogLikelihood, bgNbdPAlive } from '../../shared/domain/btyd/bg-nbd.ts';
import { compressTriples } from '../../shared/domain/btyd/customer-summary.ts';
import {
  fitGammaGamma,
  gammaGammaExpectedSpend,
  gammaGammaLogLikelihood,
} from '../../shared/domain/btyd/gamma-gamma.ts';
import {
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
} from '../../shared/domain/btyd/pareto-nbd.ts';
import type { BgNbdParams, ParetoNbdParams } from '../../shared/domain/btyd/schemas.ts';
import { betaln, gammaln } from '../../shared/domain/btyd/special.ts';
import { integrate } from './btyd-quadrature.ts';

/** The published CDNOW estimates (FHL 2005; Fader & Hardie's Pareto/NBD note). */
const BG: BgNbdParams = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };
const PNBD: ParetoNbdParams = { r: 0.5533, alpha: 10.5776, s: 0.6061, beta: 11.665 };

const positive = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const bgParams = fc.record({
  r: positive(0.05, 5),
  alpha: positive(0.1, 50),
  a: positive(0.05, 5),
  b: positive(0.05, 10),
});
const pnbdParams = fc.record({
  r: positive(0.05, 5),
  alpha: positive(0.1, 50),
  s: positive(0.05, 5),
  beta: positive(0.1, 50),
});
/** A customer: x repeat purchases, the last at t_x ≤ T (0 without repeat). */
const customer = fc
  .record({ x: fc.integer({ min: 0, max: 40 }), T: positive(0, 80), share: positive(0, 1) })
  .map(({ x, T, share }) => ({ frequency: x, recency: x === 0 ? 0 : share * T, T }));

describe('BG/NBD', () => {
  it('a one-time buyer has P(alive) = 1 and likelihood (α/(α+T))^r', () => {
    fc.assert(
      fc.property(bgParams, positive(0, 80), (params, T) => {
        const c = { frequency: 0, recency: 0, T };
        expect(bgNbdPAlive(params, c)).toBe(1);
        const ll = bgNbdLogLikelihood(params, [{ x: 0, tx: 0, T, count: 1 }]);
        expect(ll).toBeCloseTo(params.r * Math.log(params.alpha / (params.alpha + T)), 10);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it('P(alive) is in [0, 1] and falls as silent time passes', () => {
    fc.assert(
      fc.property(bgParams, customer, positive(0.1, 50), (params, c, later) => {
        const now = bgNbdPAlive(params, c);
        expect(now).toBeGreaterThanOrEqual(0);
        expect(now).toBeLessThanOrEqual(1);
        expect(bgNbdPAlive(params, { ...c, T: c.T + later })).toBeLessThanOrEqual(now + 1e-12);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it('the likelihood matches FHL eq. 6 term by term in linear space', () => {
    const { r, alpha, a, b } = BG;
    const [x, tx, T] = [3, 20.5, 35];
    const A = Math.exp(gammaln(r + x) - gammaln(r)) * alpha ** r;
    const linear =
      Math.exp(betaln(a, b + x) - betaln(a, b)) * A * (alpha + T) ** -(r + x) +
      Math.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * A * (alpha + tx) ** -(r + x);
    expect(bgNbdLogLikelihood(BG, [{ x, tx, T, count: 1 }])).toBeCloseTo(Math.log(linear), 12);
  });

  it('conditional expectation: the worked example of FHL 2005 (x = 2, t_x = 30.43, T = 38.86, t = 39 → 1.226)', () => {
    expect(bgNbdExpectedPurchases(BG, { frequency: 2, recency: 30.43, T: 38.86 }, 39)).toBeCloseTo(1.226, 3);
  });

  it('conditional expectation grows with the horizon and stays finite for heavy buyers and long horizons', () => {
    fc.assert(
      fc.property(bgParams, customer, positive(0.1, 520), (params, c, t) => {
        const e = bgNbdExpectedPurchases(params, c, t);
        expect(Number.isFinite(e)).toBe(true);
        expect(e).toBeGreaterThanOrEqual(0);
        expect(bgNbdExpectedPurchases(params, c, t * 1.5)).toBeGreaterThanOrEqual(e - 1e-9 * Math.max(1, e));
      }),
      { numRuns: 300, seed: 3 },
    );
    expect(bgNbdExpectedPurchases({ ...BG, a: 1 }, { frequency: 2, recency: 30, T: 38 }, 39)).toBeCloseTo(
      (bgNbdExpectedPurchases({ ...BG, a: 1 - 1e-6 }, { frequency: 2, recency: 30, T: 38 }, 39) +
        bgNbdExpectedPurchases({ ...BG, a: 1 + 1e-6 }, { frequency: 2, recency: 30, T: 38 }, 39)) /
        2,
      6,
    );
  });
});

describe('Pareto/NBD', () => {
  /** The note's eq. 15 with the integral done numerically: an independent reference for the 2F1 form. */
  const referenceLikelihood = (p: ParetoNbdParams, x: number, tx: number, T: number) => {
    const { r, alpha, s, beta } = p;
    const A = Math.exp(gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta));
    const integral = tx < T ? integrate((tau) => (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1), tx, T) : 0;
    return A * ((alpha + T) ** -(r + x) * (beta + T) ** -s + s * integral);
  };

  it('the likelihood equals its integral form, on both sides of α = β', () => {
    fc.assert(
      fc.property(
        pnbdParams,
        customer.filter((c) => c.frequency < 12),
        (params, c) => {
          const ll = paretoNbdLogLikelihood(params, [{ x: c.frequency, tx: c.recency, T: c.T, count: 1 }]);
          expect(ll).toBeCloseTo(Math.log(referenceLikelihood(params, c.frequency, c.recency, c.T)), 7);
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });

  it('one-time buyers are not all alive: P(alive) < 1 once time has passed, 1 at T = t_x', () => {
    fc.assert(
      fc.property(pnbdParams, customer, positive(0.1, 50), (params, c, later) => {
        const now = paretoNbdPAlive(params, c);
        expect(now).toBeGreaterThanOrEqual(0);
        expect(now).toBeLessThanOrEqual(1);
        expect(paretoNbdPAlive(params, { ...c, T: c.T + later })).toBeLessThan(now + 1e-12);
        expect(paretoNbdPAlive(params, { ...c, T: c.recency })).toBe(1);
      }),
      { numRuns: 300, seed: 5 },
    );
    expect(paretoNbdPAlive(PNBD, { frequency: 0, recency: 0, T: 38.86 })).toBeLessThan(0.5);
  });

  it('conditional expectation = P(alive) · E[(r+x)/(α+T) · (1 − e^(−μt))/μ] over μ ~ Gamma(s, β+T), numerically', () => {
    for (const s of [0.6, 1, 2.5]) {
      const params = { ...PNBD, s };
      const c = { frequency: 3, recency: 25, T: 38 };
      const t = 39;
      const shape = s;
      const rate = params.beta + c.T;
      const density = (mu: number) =>
        Math.exp(shape * Math.log(rate) + (shape - 1) * Math.log(mu) - rate * mu - gammaln(shape));
      // μ = v² spreads the mass near 0 (shape < 1 is singular there).
      const mean = integrate((v) => 2 * v * density(v * v) * (v === 0 ? t : -Math.expm1(-v * v * t) / (v * v)), 0, 3);
      const expected = paretoNbdPAlive(params, c) * ((params.r + c.frequency) / (params.alpha + c.T)) * mean;
      expect(paretoNbdExpectedPurchases(params, c, t)).toBeCloseTo(expected, 6);
    }
  });
});

describe('compressing identical customers', () => {
  it('does not change either log-likelihood', () => {
    fc.assert(
      fc.property(
        fc.array(customer, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        bgParams,
        pnbdParams,
        (base, copies, bg, pnbd) => {
          const customers = base.flatMap((c) => Array.from({ length: copies }, () => c));
          const singles = customers.map((c) => ({ x: c.frequency, tx: c.recency, T: c.T, count: 1 }));
          const rows = compressTriples(customers);
          expect(rows.length).toBeLessThanOrEqual(base.length);
          expect(rows.reduce((s, r) => s + r.count, 0)).toBe(customers.length);
          expect(bgNbdLogLikelihood(bg, rows)).toBeCloseTo(bgNbdLogLikelihood(bg, singles), 6);
          expect(paretoNbdLogLikelihood(pnbd, rows)).toBeCloseTo(paretoNbdLogLikelihood(pnbd, singles), 6);
        },
      ),
      { numRuns: 100, seed: 6 },
    );
  });
});

describe('Gamma-Gamma', () => {
  const GG = { p: 6.25, q: 3.74, gamma: 15.44 };

  it('expected spend lies between the population mean and the customer mean, nearer theirs with more purchases', () => {
    const population = (GG.p * GG.gamma) / (GG.q - 1);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), positive(1, 500), (x, m) => {
        const e = gammaGammaExpectedSpend(GG, { frequency: x, monetaryValue: m });
        expect(e).toBeGreaterThanOrEqual(Math.min(population, m) - 1e-9);
        expect(e).toBeLessThanOrEqual(Math.max(population, m) + 1e-9);
        const more = gammaGammaExpectedSpend(GG, { frequency: x + 1, monetaryValue: m });
        expect(Math.abs(more - m)).toBeLessThanOrEqual(Math.abs(e - m) + 1e-9);
      }),
      { numRuns: 200, seed: 7 },
    );
    expect(gammaGammaExpectedSpend(GG, { frequency: 0, monetaryValue: 0 })).toBeCloseTo(population, 12);
    expect(gammaGammaExpectedSpend({ ...GG, q: 0.9 }, { frequency: 2, monetaryValue: 10 })).toBeNaN();
  });

  it('ignores customers without a repeat purchase, in the likelihood and the fit', () => {
    const buyers = [
      { frequency: 2, monetaryValue: 30 },
      { frequency: 1, monetaryValue: 12 },
      { frequency: 5, monetaryValue: 55 },
      { frequency: 3, monetaryValue: 18 },
    ];
    const withOneTimers = [...buyers, { frequency: 0, monetaryValue: 0 }, { frequency: 0, monetaryValue: 0 }];
    expect(gammaGammaLogLikelihood(GG, withOneTimers)).toBe(gammaGammaLogLikelihood(GG, buyers));
    expect(fitGammaGamma(withOneTimers).distinctRows).toBe(4);
  });
});
