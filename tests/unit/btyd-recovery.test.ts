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
import {
  bgNbdProcess,
  type CustomerProcess,
  gammaVariate,
  paretoNbdProcess,
  simulateCustomers,
} from '../../shared/domain/btyd/simulate.ts';
import { prng } from '../../shared/seed/synthetic-base.ts';

/** Customers acquired over 12 weeks, observed to week 52 (T on whole days, like real data). */
const simulate = (n: number, seed: number, process: CustomerProcess) =>
  simulateCustomers(
    { customers: n, observedWeeks: 52, acquisitionWeeks: 12, calibrationEnd: '2025-06-30' },
    process,
    prng(seed),
  );

describe('fits on simulated data', () => {
  it('BG/NBD: reaches at least the likelihood of the true parameters and lands near them', () => {
    const truth = { r: 0.5, alpha: 5, a: 0.8, b: 2.5 };
    const customers = simulate(2000, 1, bgNbdProcess(truth));
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
    const customers = simulate(2000, 2, paretoNbdProcess(truth));
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
    const u = prng(3);
    const customers = Array.from({ length: 1500 }, () => {
      const nu = gammaVariate(u, truth.q, truth.gamma);
      const frequency = 1 + Math.floor(6 * u());
      let total = 0;
      for (let i = 0; i < frequency; i++) total += gammaVariate(u, truth.p, nu);
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
