/**
 * Checking the models on what happened next: predicted vs actual purchase days in a holdout period, per
 * calibration frequency, and how well each score ranks "buys again" against the plain recency rule.
 */
import type { CustomerSummary, HoldoutAuc, HoldoutReport, HoldoutRow } from './schemas.ts';

/**
 * ROC AUC by the Mann–Whitney statistic: over every (positive, negative) pair, 1 when the positive scores higher,
 * ½ on a tie, 0 otherwise, averaged. Mid-ranks make it O(n log n). Null without positives or negatives.
 */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | null {
  if (scores.length !== positive.length) throw new Error('rocAuc: scores and labels differ in length');
  if (scores.some((s) => Number.isNaN(s))) throw new Error('rocAuc: a score is NaN');
  const order = scores.map((_, i) => i).sort((i, j) => (scores[i] ?? 0) - (scores[j] ?? 0));
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    const value = scores[order[start] ?? 0];
    while (end + 1 < order.length && scores[order[end + 1] ?? 0] === value) end++;
    const midRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (positive[order[k] ?? 0]) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** One customer's calibration summary with both models' predictions for the holdout. */
export interface HoldoutCustomer {
  summary: CustomerSummary;
  bgnbd: { pAlive: number; expected: number };
  paretoNbd: { pAlive: number; expected: number };
}

export const FREQUENCY_GROUPS = ['0', '1', '2', '3', '4', '5', '6', '7+'] as const;

const groupOf = (x: number) => (x >= 7 ? '7+' : String(x));

export function evaluateHoldout(
  customers: readonly HoldoutCustomer[],
  period: { calibrationEnd: string; holdoutEnd: string; weeks: number },
): HoldoutReport {
  const missing = customers.find((c) => c.summary.holdoutPurchases === undefined);
  if (missing) throw new Error(`customer ${missing.summary.customerId} has no holdout purchase count`);
  const row = (frequency: string, group: readonly HoldoutCustomer[]): HoldoutRow => ({
    frequency,
    customers: group.length,
    actual: group.reduce((s, c) => s + (c.summary.holdoutPurchases ?? 0), 0),
    bgnbd: group.reduce((s, c) => s + c.bgnbd.expected, 0),
    paretoNbd: group.reduce((s, c) => s + c.paretoNbd.expected, 0),
  });
  return {
    ...period,
    totals: row('all', customers),
    byFrequency: FREQUENCY_GROUPS.map((g) =>
      row(
        g,
        customers.filter((c) => groupOf(c.summary.frequency) === g),
      ),
    ),
    auc: {
      all: aucs(customers),
      repeatBuyers: aucs(customers.filter((c) => c.summary.frequency > 0)),
    },
  };
}

function aucs(customers: readonly HoldoutCustomer[]): HoldoutAuc {
  const bought = customers.map((c) => (c.summary.holdoutPurchases ?? 0) > 0);
  const of = (score: (c: HoldoutCustomer) => number) => rocAuc(customers.map(score), bought);
  const buyers = bought.filter(Boolean).length;
  return {
    buyers,
    nonBuyers: customers.length - buyers,
    bgnbdPAlive: of((c) => c.bgnbd.pAlive),
    bgnbdExpectedTransactions: of((c) => c.bgnbd.expected),
    paretoNbdPAlive: of((c) => c.paretoNbd.pAlive),
    paretoNbdExpectedTransactions: of((c) => c.paretoNbd.expected),
    // Days since the last purchase at the calibration end, negated: a shorter gap scores higher.
    daysSinceLastPurchase: of((c) => -Math.round((c.summary.T - c.summary.recency) * 7)),
  };
}
