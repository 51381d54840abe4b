/**
 * The fitters on data simulated from the models themselves, with known parameters: the maximised likelihood must be
 * at least the likelihood at the true parameters (else the optimiser stopped short), and the estimates must land
 * near the truth (loosely: 2,000 customers carry sampling error).
 */
import { describe, expect, it } from 'vitest';
import { bgNbdLogLikelihood, fitBgNbd } from '../../shared/domain/btyd/bg-nbd.ts';
import { compressTriples } from '../../shared/domain/btyd/customer-summary.ts';
import { fitGammaGamma, gammaGammaLogLikelihood } from '../../shared/domain/btyd/gamma-gamma.ts';
import { fitParetoNbd, paretoNbdLogLikelihood } from '../../shared/domain/btyd/pareto-nbd.ts';

/** mulberry32: a small seeded generator, so the simulated base is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (shape < 1 via the u^(1/shape) boost). */
function gamma(u: () => number, shape: number, rate: number): number {
  if (shape < 1) return gamma(u, shape + 1, rate) * u() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v = (1 + c * x) ** 3;
    if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

const exponential = (u: () => number, rate: number) => -Math.log(1 - u()) / rate;
/** Times on whole days, in weeks, as real data are. */
const day = (weeks: number) => Math.floor(weeks * 7) / 7;

interface Simulated {
  frequency: number;
  recency: number;
  T: number;
}

/** Customers acquired over 12 weeks, observed to week 52; purchases at most one per day. */
function simulate(n: number, seed: number, next: (u: () => number) => (t: number) => number | null): Simulated[] {
  const u = rng(seed);
  return Array.from({ length: n }, () => {
    const T = day(52 - 12 * u());
    const step = next(u);
    let t = 0;
    let frequency = 0;
    let recency = 0;
    for (;;) {
      const at = step(t);
      if (at === null || at > T) break;
      t = at;
      // A purchase on a day that already has one (the first purchase's day included) is the same purchase.
      if (day(at) > recency) {
        frequency++;
        recency = day(at);
      }
    }
    return { frequency, recency, T };
  });
}

describe('fits on simulated data', () => {
  it('BG/NBD: reaches at least the likelihood of the true parameters and lands near them', () => {
    const truth = { r: 0.5, alpha: 5, a: 0.8, b: 2.5 };
    const customers = simulate(2000, 1, (u) => {
      const lambda = gamma(u, truth.r, truth.alpha);
      const x = gamma(u, truth.a, 1);
      const p = x / (x + gamma(u, truth.b, 1));
      let alive = true;
      return (t) => {
        if (!alive) return null;
        const at = t + exponential(u, lambda);
        if (u() < p) alive = false; // drop-out after each repeat purchase
        return at;
      };
    });
    const fit = fitBgNbd(customers);
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood ?? Number.NEGATIVE_INFINITY).toBeGreaterThanOrEqual(
      bgNbdLogLikelihood(truth, compressTriples(customers)) - 1e-6,
    );
    expect(fit.params.r / truth.r).toBeGreaterThan(0.75);
    expect(fit.params.r / truth.r).toBeLessThan(1.33);
    expect(fit.params.alpha / truth.alpha).toBeGreaterThan(0.6);
    expect(fit.params.alpha / truth.alpha).toBeLessThan(1.66);
  });

  it('Pareto/NBD: reaches at least the likelihood of the true parameters', () => {
    const truth = { r: 0.6, alpha: 8, s: 0.8, beta: 15 };
    const customers = simulate(2000, 2, (u) => {
      const lambda = gamma(u, truth.r, truth.alpha);
      const death = exponential(u, gamma(u, truth.s, truth.beta));
      return (t) => {
        const at = t + exponential(u, lambda);
        return at > death ? null : at;
      };
    });
    const fit = fitParetoNbd(customers);
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood ?? Number.NEGATIVE_INFINITY).toBeGreaterThanOrEqual(
      paretoNbdLogLikelihood(truth, compressTriples(customers)) - 1e-6,
    );
    expect(fit.params.r / truth.r).toBeGreaterThan(0.75);
    expect(fit.params.r / truth.r).toBeLessThan(1.33);
  });

  it('Gamma-Gamma: reaches at least the likelihood of the true parameters and the population mean spend', () => {
    const truth = { p: 6, q: 4, gamma: 15 };
    const u = rng(3);
    const customers = Array.from({ length: 1500 }, () => {
      const nu = gamma(u, truth.q, truth.gamma);
      const frequency = 1 + Math.floor(6 * u());
      let total = 0;
      for (let i = 0; i < frequency; i++) total += gamma(u, truth.p, nu);
      return { frequency, monetaryValue: total / frequency };
    });
    const fit = fitGammaGamma(customers);
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood ?? Number.NEGATIVE_INFINITY).toBeGreaterThanOrEqual(
      gammaGammaLogLikelihood(truth, customers) - 1e-6,
    );
    const mean = (p: typeof truth) => (p.p * p.gamma) / (p.q - 1);
    expect(mean(fit.params) / mean(truth)).toBeGreaterThan(0.9);
    expect(mean(fit.params) / mean(truth)).toBeLessThan(1.1);
  });
});
