/**
 * Per-customer scores from a fitted purchase model and the Gamma-Gamma spend model: P(alive), expected purchases
 * over a horizon, discounted expected value, and the day the customer becomes "overdue". Everything is a pure
 * function of the fitted parameters and the summaries (time is the summaries' T; nothing reads the clock).
 */
import { bgNbdExpectedPurchases, bgNbdPAlive } from './bg-nbd.ts';
import { dayAfterWeeks } from './customer-summary.ts';
import { gammaGammaExpectedSpend } from './gamma-gamma.ts';
import { paretoNbdExpectedPurchases, paretoNbdPAlive } from './pareto-nbd.ts';
import type {
  BgNbdParams,
  CustomerScore,
  CustomerSummary,
  GammaGammaParams,
  ParetoNbdParams,
  Valuation,
} from './schemas.ts';

type Rfm = Pick<CustomerSummary, 'frequency' | 'recency' | 'T'>;

/** What scoring needs of a purchase model (BG/NBD or Pareto/NBD). */
export interface PurchaseModel {
  pAlive(c: Rfm): number;
  /** expected purchase days in the t weeks after T */
  expectedPurchases(c: Rfm, t: number): number;
}

export const bgNbdModel = (params: BgNbdParams): PurchaseModel => ({
  pAlive: (c) => bgNbdPAlive(params, c),
  expectedPurchases: (c, t) => bgNbdExpectedPurchases(params, c, t),
});

export const paretoNbdModel = (params: ParetoNbdParams): PurchaseModel => ({
  pAlive: (c) => paretoNbdPAlive(params, c),
  expectedPurchases: (c, t) => paretoNbdExpectedPurchases(params, c, t),
});

/** An average month: 365.25 / 12 days, in weeks. */
export const WEEKS_PER_MONTH = 365.25 / 12 / 7;

/** How far ahead an overdue date is looked for. */
const OVERDUE_SEARCH_WEEKS = 520;

/**
 * Expected spend over `valuation.months` months, discounted monthly:
 *   value = spend · Σ_{k=1..months} (E[Y(k·w)] − E[Y((k−1)·w)]) / (1 + d)^k,
 * with w = WEEKS_PER_MONTH, E[Y(t)] the model's expected purchases in the t weeks after T, d = (1 + annual)^(1/12) − 1
 * the monthly rate equivalent to the annual one, and purchases of month k discounted to its end.
 */
export function discountedValue(model: PurchaseModel, c: Rfm, spendPerPurchase: number, valuation: Valuation): number {
  const monthly = (1 + valuation.annualDiscountRate) ** (1 / 12) - 1;
  let value = 0;
  let before = 0;
  for (let k = 1; k <= valuation.months; k++) {
    const upTo = model.expectedPurchases(c, k * WEEKS_PER_MONTH);
    value += (upTo - before) / (1 + monthly) ** k;
    before = upTo;
  }
  return spendPerPurchase * value;
}

/**
 * The customer's age (weeks since the first purchase) at which, with no purchase after the last one, P(alive)
 * first falls below `threshold`: the smallest T* ≥ t_x with P(alive | x, t_x, T*) < threshold. P(alive) only falls
 * as silent time passes, so bisection finds it. t_x itself when it is already below at the last purchase (BG/NBD:
 * dropping out right after it); null when it stays above for OVERDUE_SEARCH_WEEKS (BG/NBD one-time buyers always).
 */
export function overdueAge(model: PurchaseModel, c: Rfm, threshold: number): number | null {
  const at = (T: number) => model.pAlive({ frequency: c.frequency, recency: c.recency, T });
  if (at(c.recency) < threshold) return c.recency;
  let low = c.recency;
  let high = c.recency + OVERDUE_SEARCH_WEEKS;
  if (!(at(high) < threshold)) return null;
  while (high - low > 1e-4) {
    const mid = (low + high) / 2;
    if (at(mid) < threshold) high = mid;
    else low = mid;
  }
  return high;
}

export interface ScoreOptions {
  model: PurchaseModel;
  spend: GammaGammaParams;
  horizonWeeks: number;
  valuation: Valuation;
  /** P(alive) below which a customer is overdue (0.5: more likely gone than not) */
  overdueThreshold: number;
}

export function scoreCustomer(c: CustomerSummary, options: ScoreOptions): CustomerScore {
  const { model } = options;
  const spend = gammaGammaExpectedSpend(options.spend, c);
  const age = overdueAge(model, c, options.overdueThreshold);
  return {
    customerId: c.customerId,
    frequency: c.frequency,
    recency: c.recency,
    T: c.T,
    pAlive: model.pAlive(c),
    expectedTransactions: model.expectedPurchases(c, options.horizonWeeks),
    expectedValue: discountedValue(model, c, spend, options.valuation),
    // The first whole day on which P(alive) is below the threshold.
    overdueAt: age === null ? null : dayAfterWeeks(c.firstPurchase, Math.ceil(age * 7 - 1e-6) / 7),
  };
}
