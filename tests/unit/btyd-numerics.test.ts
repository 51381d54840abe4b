import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maximiseLikelihood } from '../../shared/domain/btyd/mle.ts';
import { nelderMead } from '../../shared/domain/btyd/nelder-mead.ts';
import { hyp2f1MinusOne, log2F1CEqualsAPlusOne, logAddExp, logSubExp } from '../../shared/domain/btyd/special.ts';
import { integrate } from './btyd-quadrature.ts';

describe('log-space helpers', () => {
  it('logAddExp and logSubExp agree with the linear computation and survive huge exponents', () => {
    expect(logAddExp(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 14);
    expect(logSubExp(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 14);
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logAddExp(Number.NEGATIVE_INFINITY, -3)).toBe(-3);
    expect(logSubExp(2, 2)).toBe(Number.NEGATIVE_INFINITY);
    expect(logSubExp(1, 2)).toBeNaN();
  });
});

describe('2F1(a, b; a + 1; z), the Pareto/NBD shape', () => {
  it('matches @stdlib hyp2f1 wherever that is finite, from z = 0 to z = 1 − 1e-6', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 60, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.constantFrom(0, 0.05, 0.3, 0.7, 0.95, 0.99, 0.995, 0.9999, 0.999999),
        (a, share, z) => {
          const b = share * (a + 1);
          const reference = Math.log(hyp2f1(a, b, a + 1, z));
          if (!Number.isFinite(reference)) return;
          expect(log2F1CEqualsAPlusOne(a, b, z)).toBeCloseTo(reference, 8);
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it('stays finite in log space where the linear value overflows (heavy buyer, z near 1)', () => {
    expect(hyp2f1(100.6, 100.1, 101.6, 0.9999)).toBe(Number.POSITIVE_INFINITY);
    const value = log2F1CEqualsAPlusOne(100.6, 100.1, 0.9999);
    // Independent: 2F1(a, b; a+1; z) = ∫_0^1 (1 − z·u^(1/a))^(−b) du (substituting t = u^(1/a) in Euler's integral),
    // scaled by (1 − z)^b so it fits in a double.
    const scaled = integrate((u) => ((1 - 0.9999) / (1 - 0.9999 * u ** (1 / 100.6))) ** 100.1, 0, 1);
    expect(value).toBeCloseTo(Math.log(scaled) - 100.1 * Math.log(1 - 0.9999), 6);
  });

  it('agrees with its integral representation for moderate arguments', () => {
    for (const [a, b, z] of [
      [1.2, 0.8, 0.09],
      [0.9, 1.5, 0.6],
      [30.5, 1.6, 0.9],
    ] as const) {
      const reference = integrate((u) => (1 - z * u ** (1 / a)) ** -b, 0, 1);
      expect(log2F1CEqualsAPlusOne(a, b, z)).toBeCloseTo(Math.log(reference), 9);
    }
  });

  it('is NaN outside its domain instead of a wrong number', () => {
    expect(log2F1CEqualsAPlusOne(1, 2.5, 0.5)).toBeNaN();
    expect(log2F1CEqualsAPlusOne(1, 0.5, 1)).toBeNaN();
  });
});

describe('2F1(a, b; c; z) − 1, the BG/NBD expectation shape', () => {
  it('matches @stdlib hyp2f1 with negative parameters and keeps the small part', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.9, max: 5, noNaN: true }),
        fc.double({ min: -0.95, max: 3, noNaN: true }),
        fc.double({ min: 0.2, max: 80, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (a, b, c, z) => {
          const mine = hyp2f1MinusOne(a, b, c, z);
          const reference = hyp2f1(a, b, c, z) - 1;
          expect(Math.abs(mine - reference)).toBeLessThan(1e-9 * Math.max(1, Math.abs(reference) + 1));
        },
      ),
      { numRuns: 300, seed: 14 },
    );
    // With b tiny, 2F1 − 1 ≈ b · Σ_{n≥1} (a)_n (n−1)! / ((c)_n n!) z^n; the minus-one form keeps all of it, where
    // 1 + it would keep 4 digits.
    let series = 0;
    let factor = 1;
    for (let n = 1; n < 200; n++) {
      factor *= ((2 + n - 1) / (3 + n - 1)) * 0.5;
      series += factor / n;
    }
    expect(hyp2f1MinusOne(2, 1e-12, 3, 0.5) / (1e-12 * series)).toBeCloseTo(1, 10);
  });
});

describe('Nelder–Mead', () => {
  it('finds the Rosenbrock minimum from a far start and says it converged', () => {
    const rosenbrock = ([x = 0, y = 0]: readonly number[]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
  });

  it('reports not converged when it runs out of iterations', () => {
    const bowl = (x: readonly number[]) => x.reduce((s, v, i) => s + (i + 1) * (v - 3) ** 2, 0);
    expect(nelderMead(bowl, [0, 0, 0, 0], { maxIterations: 20 }).converged).toBe(false);
  });

  it('treats non-finite values as +Infinity and walks away from them', () => {
    const f = ([x = 0]: readonly number[]) => (x < 0 ? Number.NaN : (x - 2) ** 2);
    const result = nelderMead(f, [0.1], { step: 1 });
    expect(result.x[0]).toBeCloseTo(2, 5);
    expect(result.converged).toBe(true);
  });

  it('is deterministic', () => {
    const f = ([x = 0, y = 0]: readonly number[]) => Math.sin(x) * Math.cos(y) + 0.01 * (x * x + y * y);
    expect(nelderMead(f, [1, 1])).toEqual(nelderMead(f, [1, 1]));
  });
});

describe('maximum likelihood on log-parameters', () => {
  it('recovers a known maximum (a Poisson rate) and reports convergence', () => {
    // Poisson counts 2, 4, 3: log L(λ) = 9 log λ − 3λ + const, maximised at λ = 3.
    const fit = maximiseLikelihood(['lambda'] as const, ({ lambda }) => 9 * Math.log(lambda) - 3 * lambda, [
      { lambda: 0.5 },
      { lambda: 20 },
    ]);
    expect(fit.converged).toBe(true);
    expect(fit.params.lambda).toBeCloseTo(3, 6);
    expect(fit.logLikelihood).toBeCloseTo(9 * Math.log(3) - 9, 9);
  });

  it('a likelihood that grows without bound is reported as a parameter at the bound, not converged', () => {
    const fit = maximiseLikelihood(['p', 'q'] as const, ({ p, q }) => Math.log(p) - (q - 1) ** 2, [{ p: 1, q: 1 }]);
    expect(fit.converged).toBe(false);
    expect(fit.problem).toMatch(/^p at the bound/);
  });

  it('a likelihood that is never finite gives null, not converged, with the reason', () => {
    const fit = maximiseLikelihood(['p'] as const, () => Number.NaN, [{ p: 1 }]);
    expect(fit).toMatchObject({ logLikelihood: null, converged: false, problem: expect.stringMatching(/not finite/) });
  });
});
