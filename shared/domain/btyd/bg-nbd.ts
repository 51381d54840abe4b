/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", Marketing Science 24(2)): while alive
 * a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with chance p ~ Beta(a, b).
 * A customer with no repeat purchase cannot have dropped out (drop-out happens only after a purchase), so the
 * model gives them P(alive) = 1 — the reason the Pareto/NBD is also fitted.
 */
import { compressTriples, tripleMeans, type WeightedTriple } from './customer-summary.ts';
import { maximiseLikelihood } from './mle.ts';
import { type BgNbdFit, type BgNbdParams, BgNbdParamsSchema, type CustomerSummary } from './schemas.ts';
import { betaln, gammaln, hyp2f1MinusOne, logAddExp } from './special.ts';

type Rfm = Pick<CustomerSummary, 'frequency' | 'recency' | 'T'>;

/** Sum of count · log L(r, α, a, b | x, t_x, T) (FHL 2005 eq. 6), in log space. */
export function bgNbdLogLikelihood(params: BgNbdParams, rows: readonly WeightedTriple[]): number {
  const { r, alpha, a, b } = params;
  const logBetaAB = betaln(a, b);
  let total = 0;
  let lastX = -1;
  let common = 0;
  let survivedBeta = 0;
  let droppedBeta = 0;
  for (const { x, tx, T, count } of rows) {
    if (x !== lastX) {
      // Rows come sorted by x (compressTriples): the x-only terms are computed once per run.
      lastX = x;
      common = gammaln(r + x) - gammaln(r) + r * Math.log(alpha);
      survivedBeta = betaln(a, b + x) - logBetaAB;
      droppedBeta = x > 0 ? betaln(a + 1, b + x - 1) - logBetaAB : Number.NEGATIVE_INFINITY;
    }
    const survived = survivedBeta - (r + x) * Math.log(alpha + T);
    const droppedAfterLast = x > 0 ? droppedBeta - (r + x) * Math.log(alpha + tx) : Number.NEGATIVE_INFINITY;
    total += count * (common + logAddExp(survived, droppedAfterLast));
  }
  return total;
}

export function fitBgNbd(customers: readonly Rfm[]): BgNbdFit {
  const rows = compressTriples(customers);
  const { meanX, meanT } = tripleMeans(rows);
  // Starts spread over plausible shapes; α is scaled so that r / α is about the observed purchase rate.
  const rate = Math.max(meanX, 0.05) / Math.max(meanT, 1e-3);
  const starts = [
    { r: 1, alpha: 1 / rate, a: 1, b: 1 },
    { r: 0.3, alpha: 0.3 / rate, a: 0.5, b: 3 },
    { r: 3, alpha: 3 / rate, a: 2, b: 10 },
  ];
  const fit = maximiseLikelihood(['r', 'alpha', 'a', 'b'] as const, (p) => bgNbdLogLikelihood(p, rows), starts);
  return { model: 'bg-nbd', ...fit, params: BgNbdParamsSchema.parse(fit.params), distinctRows: rows.length };
}

/** P(alive at T | x, t_x, T) (FHL 2005 eq. 13 in their technical note): 1 for x = 0. */
export function bgNbdPAlive(params: BgNbdParams, c: Rfm): number {
  if (c.frequency === 0) return 1;
  const { r, alpha, a, b } = params;
  const x = c.frequency;
  const logOdds = Math.log(a / (b + x - 1)) + (r + x) * (Math.log(alpha + c.T) - Math.log(alpha + c.recency));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[purchases in (T, T + t] | x, t_x, T] (FHL 2005 eq. 10):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z)] / [1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x)]
 * with z = t/(α+T+t). Euler's transformation turns ((α+T)/(α+T+t))^(r+x) · 2F1(…) into
 * (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z), whose numerator parameters do not grow with x (fast, no
 * overflow for heavy buyers); 1 − (…) is taken with expm1/log1p so a → 1 keeps its precision.
 */
export function bgNbdExpectedPurchases(params: BgNbdParams, c: Rfm, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = params;
  // At a = 1 exactly the factor 1/(a − 1) is 0/0; a hair away the limit is reached to ~1e-9.
  const a = Math.abs(params.a - 1) < 1e-9 ? 1 + 1e-9 : params.a;
  const x = c.frequency;
  const z = t / (alpha + c.T + t);
  const tail = hyp2f1MinusOne(a + b - 1 - r, a - 1, a + b + x - 1, z);
  // Near a = 1 both parts of 1 − (1−z)^(a−1)·F are tiny: take it through expm1. Far from there (F far from 1,
  // even ~0 for a + b < 1 and long horizons) the plain difference is accurate and the logarithm would not be.
  const bracket =
    tail > -0.5
      ? -Math.expm1((a - 1) * Math.log1p(-z) + Math.log1p(tail))
      : 1 - Math.exp((a - 1) * Math.log1p(-z)) * (1 + tail);
  return ((a + b + x - 1) / (a - 1)) * bracket * bgNbdPAlive(params, c);
}
