/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base
 * Analysis", JMR 42(4); the note "The Gamma-Gamma Model of Monetary Value"): each purchase's value is
 * Gamma(p, ν) with the customer's ν ~ Gamma(q, γ), independent of how often or how long they buy. Fitted on
 * repeat buyers only (x > 0; the mean of their repeat purchase days, the first purchase left out as in the paper).
 */
import { maximiseLikelihood } from './mle.ts';
import { type CustomerSummary, type GammaGammaFit, type GammaGammaParams, GammaGammaParamsSchema } from './schemas.ts';
import { gammaln } from './special.ts';

type Spend = Pick<CustomerSummary, 'frequency' | 'monetaryValue'>;

/** Sum over repeat buyers of log f(m_x | p, q, γ, x) = log of Γ(px+q)/(Γ(px)Γ(q)) · γ^q m^(px−1) x^px / (γ+mx)^(px+q). */
export function gammaGammaLogLikelihood(params: GammaGammaParams, customers: readonly Spend[]): number {
  const { p, q, gamma } = params;
  let total = 0;
  for (const { frequency: x, monetaryValue: m } of customers) {
    if (x === 0 || m <= 0) continue;
    const px = p * x;
    total +=
      gammaln(px + q) -
      gammaln(px) -
      gammaln(q) +
      q * Math.log(gamma) +
      (px - 1) * Math.log(m) +
      px * Math.log(x) -
      (px + q) * Math.log(gamma + m * x);
  }
  return total;
}

/** Fits on the customers with a repeat purchase of positive value (the rest carry no spend information). */
export function fitGammaGamma(customers: readonly Spend[]): GammaGammaFit {
  const repeat = customers.filter((c) => c.frequency > 0 && c.monetaryValue > 0);
  const mean = repeat.length ? repeat.reduce((s, c) => s + c.monetaryValue, 0) / repeat.length : 1;
  // E[M] = pγ/(q−1): each start matches the observed mean spend.
  const starts = [
    { p: 1, q: 2, gamma: mean },
    { p: 5, q: 3, gamma: (2 * mean) / 5 },
    { p: 10, q: 5, gamma: (4 * mean) / 10 },
  ];
  const fit = maximiseLikelihood(
    ['p', 'q', 'gamma'] as const,
    (params) => gammaGammaLogLikelihood(params, repeat),
    starts,
  );
  return {
    model: 'gamma-gamma',
    ...fit,
    params: GammaGammaParamsSchema.parse(fit.params),
    distinctRows: repeat.length,
  };
}

/**
 * E[mean spend per purchase | x, m_x] = (γ + m_x x) p / (px + q − 1): a weighted average of the population mean
 * pγ/(q−1) and the customer's own mean, weighted by how many purchases they made. For x = 0 it is the population
 * mean. Needs q > 1 (a finite population mean); otherwise NaN.
 */
export function gammaGammaExpectedSpend(params: GammaGammaParams, c: Spend): number {
  const { p, q, gamma } = params;
  if (q <= 1) return Number.NaN;
  const x = c.frequency;
  const m = x > 0 ? c.monetaryValue : 0;
  return ((gamma + m * x) * p) / (p * x + q - 1);
}
