/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while alive a customer buys at a Poisson rate
 * λ ~ Gamma(r, α) and drops out at an exponential time of rate μ ~ Gamma(s, β), at any moment — so a customer
 * who never bought again becomes less likely to be alive as time passes, unlike the BG/NBD. The likelihood and
 * P(alive) follow Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions".
 */
import { compressTriples, tripleMeans, type WeightedTriple } from './customer-summary.ts';
import { maximiseLikelihood } from './mle.ts';
import { type CustomerSummary, type ParetoNbdFit, type ParetoNbdParams, ParetoNbdParamsSchema } from './schemas.ts';
import { gammaln, log2F1CEqualsAPlusOne, logAddExp, logSubExp } from './special.ts';

type Rfm = Pick<CustomerSummary, 'frequency' | 'recency' | 'T'>;

/**
 * log A0 of the note (eq. 19–22), i.e. log((r+s+x) · ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ):
 *   α ≥ β: 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^(r+s+x) at t = t_x minus the same at t = T,
 *   α < β: 2F1(r+s+x, r+x; r+s+x+1; (β−α)/(β+t)) / (β+t)^(r+s+x), likewise;
 * the argument is in [0, 1) either way. −Infinity when t_x = T (nothing to integrate).
 */
function logA0(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  if (tx >= T) return Number.NEGATIVE_INFINITY;
  const { r, alpha, s, beta } = params;
  const k = r + s + x;
  const alphaBigger = alpha >= beta;
  const big = alphaBigger ? alpha : beta;
  const upper = alphaBigger ? s + 1 : r + x;
  const diff = Math.abs(alpha - beta);
  const atTx = log2F1CEqualsAPlusOne(k, upper, diff / (big + tx)) - k * Math.log(big + tx);
  const atT = log2F1CEqualsAPlusOne(k, upper, diff / (big + T)) - k * Math.log(big + T);
  const a0 = logSubExp(atTx, atT);
  // Rounding can put the two ends a hair the wrong way round when t_x is within ~1e-12 of T: A0 is then ~0.
  return Number.isNaN(a0) && Number.isFinite(atTx) && Number.isFinite(atT) ? Number.NEGATIVE_INFINITY : a0;
}

/**
 * Sum of count · log L (the note's eq. 22): L = Γ(r+x) α^r β^s / Γ(r) ·
 *   [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A0 ].
 */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, rows: readonly WeightedTriple[]): number {
  const { r, alpha, s, beta } = params;
  let total = 0;
  let lastX = -1;
  let common = 0;
  for (const { x, tx, T, count } of rows) {
    if (x !== lastX) {
      lastX = x;
      common = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta);
    }
    const aliveAtT = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
    const diedBetween = Math.log(s) - Math.log(r + s + x) + logA0(params, x, tx, T);
    total += count * (common + logAddExp(aliveAtT, diedBetween));
  }
  return total;
}

export function fitParetoNbd(customers: readonly Rfm[]): ParetoNbdFit {
  const rows = compressTriples(customers);
  const { meanX, meanT } = tripleMeans(rows);
  const rate = Math.max(meanX, 0.05) / Math.max(meanT, 1e-3);
  // The drop-out scale β starts at the observed age: the mean lifetime s/β is then of the order of T.
  const starts = [
    { r: 1, alpha: 1 / rate, s: 1, beta: Math.max(meanT, 1) },
    { r: 0.5, alpha: 0.5 / rate, s: 0.5, beta: Math.max(meanT, 1) / 2 },
    { r: 2, alpha: 2 / rate, s: 2, beta: 2 * Math.max(meanT, 1) },
  ];
  const fit = maximiseLikelihood(['r', 'alpha', 's', 'beta'] as const, (p) => paretoNbdLogLikelihood(p, rows), starts);
  return { model: 'pareto-nbd', ...fit, params: ParetoNbdParamsSchema.parse(fit.params), distinctRows: rows.length };
}

/** P(alive at T | x, t_x, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0) (the note's eq. 18). */
export function paretoNbdPAlive(params: ParetoNbdParams, c: Rfm): number {
  const { r, alpha, s, beta } = params;
  const x = c.frequency;
  const logOdds =
    Math.log(s) -
    Math.log(r + s + x) +
    (r + x) * Math.log(alpha + c.T) +
    s * Math.log(beta + c.T) +
    logA0(params, x, c.recency, c.T);
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[purchases in (T, T + t] | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)
 * (the note's eq. 24); the bracket over (s − 1) is taken with expm1/log1p, which is also right at s = 1
 * (where it is log((β+T+t)/(β+T))).
 */
export function paretoNbdExpectedPurchases(params: ParetoNbdParams, c: Rfm, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = params;
  const growth = Math.log1p(t / (beta + c.T));
  const lifetimeFactor = s === 1 ? growth : -Math.expm1(-(s - 1) * growth) / (s - 1);
  return (((r + c.frequency) * (beta + c.T)) / (alpha + c.T)) * lifetimeFactor * paretoNbdPAlive(params, c);
}
