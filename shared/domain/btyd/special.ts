/**
 * The special functions the buy-till-you-die models need, in log space where a likelihood multiplies many small
 * numbers. lgamma and log-beta come from @stdlib. The Gauss hypergeometric function 2F1 needs care: @stdlib's
 * hyp2f1 (0.1.x) is accurate on the arguments here but works in linear space, and 2F1(r+s+x, r+x; r+s+x+1; z)
 * of the Pareto/NBD overflows to Infinity for a heavy buyer when z nears 1 (x = 100, z = 0.9999: e^913) — where
 * an optimiser wanders when it tries extreme α/β ratios. So both shapes used are first rewritten with Euler's
 * transformation
 *   2F1(a, b; c; z) = (1 − z)^(c−a−b) · 2F1(c − a, c − b; c; z),
 * the power taken as a logarithm and the remaining series, whose terms stay bounded, summed here (five times
 * faster than the general routine at the z ≈ 0.1 of a typical fit); only for z within 1 % of 1, where a series
 * needs thousands of terms, is the bounded transformed function handed to @stdlib's hyp2f1.
 */
import betaln from '@stdlib/math-base-special-betaln';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';

export { betaln, gammaln };

/** Terms summed at most; a series that has not converged by then is never returned truncated. */
const MAX_TERMS = 20_000;
/** Above this z the transformed 2F1 goes to @stdlib (a series would need ~3,700+ terms). */
const SERIES_MAX_Z = 0.99;
const EPS = 1e-16;

/** log(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log(e^a − e^b) for a ≥ b (−Infinity when equal, NaN when a < b). */
export function logSubExp(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a < b) return Number.NaN;
  if (a === b) return Number.NEGATIVE_INFINITY;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log 2F1(a, b; a + 1; z) for a > 0, 0 < b < a + 1 and 0 ≤ z < 1: the shape in the Pareto/NBD likelihood
 * (Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions", eq. 21–22).
 * With c = a + 1 Euler gives (1 − z)^(1−b) · 2F1(1, a + 1 − b; a + 1; z), whose terms (a+1−b)_n / (a+1)_n · z^n
 * are positive and at most z^n, so the tail after a term t is below t · z / (1 − z), and the function lies in
 * [1, 1/(1 − z)]: no overflow whatever a and b.
 */
export function log2F1CEqualsAPlusOne(a: number, b: number, z: number): number {
  if (!(a > 0 && b > 0 && b < a + 1 && z >= 0 && z < 1)) return Number.NaN;
  if (z === 0) return 0;
  const upper = a + 1 - b;
  const lower = a + 1;
  const power = (1 - b) * Math.log1p(-z);
  if (z > SERIES_MAX_Z) return power + Math.log(hyp2f1(1, upper, lower, z));
  let term = 1;
  let sum = 1;
  const tailFactor = z / (1 - z);
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= ((upper + n) / (lower + n)) * z;
    sum += term;
    if (term * tailFactor < EPS * sum) return power + Math.log(sum);
  }
  return power + Math.log(hyp2f1(1, upper, lower, z));
}

/**
 * 2F1(a, b; c; z) − 1 by its power series, for 0 ≤ z < 1 and c not a non-positive integer. Parameters may be
 * negative (the BG/NBD expectation has b = a_BG − 1 < 0); past n > |a| + |b| + |c| the term ratios keep their
 * sign and approach z, which is when the stopping test (a geometric tail bound) is trusted.
 * Returned minus one, to full relative precision, so a caller can take log1p without losing the small part; z near 1 (a series of thousands
 * of terms) goes to @stdlib's hyp2f1.
 */
export function hyp2f1MinusOne(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1) || (c <= 0 && Number.isInteger(c))) return Number.NaN;
  if (z > SERIES_MAX_Z) return hyp2f1(a, b, c, z) - 1;
  let term = 1;
  let sum = 0;
  const settled = Math.abs(a) + Math.abs(b) + Math.abs(c) + 1;
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (term === 0) return sum;
    if (n > settled) {
      // The ratios approach z from one side: the larger of the next ratio and z bounds the rest.
      const ratio = Math.max(z, Math.abs(((a + n + 1) * (b + n + 1)) / ((c + n + 1) * (n + 2))) * z);
      if (ratio < 1 && (Math.abs(term) * ratio) / (1 - ratio) < EPS * Math.abs(sum)) return sum;
    }
  }
  return hyp2f1(a, b, c, z) - 1;
}
