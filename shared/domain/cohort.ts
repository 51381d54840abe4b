import * as z from 'zod';
import { BaseShapeSchema } from './base-shape-finalize.ts';
import { BaseModelSchema, ScoreDistributionSchema } from './btyd/model-record.ts';

import type { Customer } from './customer.ts';
import { STAGES, type Stage, StageSchema, zeroPerStage } from './lifecycle.ts';
import { CurrencySchema } from './money.ts';
import { addMonths, dayOfMonth, monthKey, monthsBetween } from './time.ts';

/**
 * Standard cohort definitions used throughout:
 *  - a customer's cohort is the UTC calendar month of their first purchase;
 *  - period k is the k-th calendar month after it (period 0 is the cohort month itself);
 *  - a customer is retained in period k if they purchased at least once in that month (up to `asOf`);
 *  - retention(k) = retained / cohort size; churn(k) = 1 - retention(k);
 *  - a period whose month has not started by `asOf` has not been reached: every figure is null.
 */

const count = z.number().int().nonnegative();

/** Partial sums for one cohort; additive, so segments computed apart merge to the single-pass result. */
const CohortCountsSchema = z.object({
  size: count,
  /** per period k: customers who purchased in month cohort+k */
  retained: z.array(count),
  orders: z.array(count),
  revenueMinor: z.array(z.number().int()),
  /** stage counts as of the run date */
  stages: z.record(StageSchema, count),
  /** per period k: transitions recorded in month cohort+k, keyed "from>to" */
  transitions: z.array(z.record(z.string(), count)),
});

/** A segment's partial cohort matrix: stored between the segment workers and the merge of a full pass. */
export const CohortPartialSchema = z.object({
  asOf: z.string(),
  currency: CurrencySchema,
  cohorts: z.record(z.string().regex(/^\d{4}-\d{2}$/), CohortCountsSchema),
  customersWithPurchase: count,
  prospects: count,
  skippedOtherCurrency: count,
});
export type CohortPartial = z.infer<typeof CohortPartialSchema>;

export function emptyPartial(asOf: string, currency: string): CohortPartial {
  return { asOf, currency, cohorts: {}, customersWithPurchase: 0, prospects: 0, skippedOtherCurrency: 0 };
}

function emptyStages(): Record<Stage, number> {
  return zeroPerStage();
}

/** Adds one customer to the partial (mutates it; the hot loop of the cohort job). */
export function accumulate(partial: CohortPartial, customer: Customer): void {
  if (!customer.firstPurchaseAt || customer.orderCount === 0 || customer.firstPurchaseAt > partial.asOf) {
    partial.prospects += 1;
    return;
  }
  if (customer.currency !== partial.currency) {
    partial.skippedOtherCurrency += 1;
    return;
  }
  partial.customersWithPurchase += 1;
  const cohort = monthKey(customer.firstPurchaseAt);
  const asOfMonth = monthKey(partial.asOf);
  const asOfDay = dayOfMonth(partial.asOf);
  const reached = monthsBetween(cohort, asOfMonth) + 1;
  let counts = partial.cohorts[cohort];
  if (!counts) {
    counts = {
      size: 0,
      retained: new Array(reached).fill(0),
      orders: new Array(reached).fill(0),
      revenueMinor: new Array(reached).fill(0),
      stages: emptyStages(),
      transitions: Array.from({ length: reached }, () => ({})),
    };
    partial.cohorts[cohort] = counts;
  }
  counts.size += 1;
  counts.stages[customer.stage] += 1;
  for (const [month, activity] of Object.entries(customer.months)) {
    const k = monthsBetween(cohort, month);
    if (k < 0 || k >= reached) continue;
    // In the as-of month only purchases on or before the as-of day count toward retention.
    if (month === asOfMonth && activity.firstDay > asOfDay) continue;
    counts.retained[k] = (counts.retained[k] ?? 0) + 1;
    counts.orders[k] = (counts.orders[k] ?? 0) + activity.orders;
    counts.revenueMinor[k] = (counts.revenueMinor[k] ?? 0) + activity.revenueMinor;
  }
  for (const t of customer.transitions) {
    if (t.at > partial.asOf) continue;
    const k = monthsBetween(cohort, monthKey(t.at));
    const bucket = counts.transitions[k];
    if (!bucket) continue;
    const key = `${t.from ?? 'none'}>${t.to}`;
    bucket[key] = (bucket[key] ?? 0) + 1;
  }
}

/** Merges `b` into a new partial; associative and commutative, equal to accumulating both inputs in one pass. */
export function mergePartials(a: CohortPartial, b: CohortPartial): CohortPartial {
  if (a.asOf !== b.asOf || a.currency !== b.currency) throw new Error('cannot merge partials of different runs');
  const merged: CohortPartial = structuredClone(a);
  merged.customersWithPurchase += b.customersWithPurchase;
  merged.prospects += b.prospects;
  merged.skippedOtherCurrency += b.skippedOtherCurrency;
  for (const [cohort, counts] of Object.entries(b.cohorts)) {
    const target = merged.cohorts[cohort];
    if (!target) {
      merged.cohorts[cohort] = structuredClone(counts);
      continue;
    }
    target.size += counts.size;
    for (const s of STAGES) target.stages[s] += counts.stages[s];
    for (let k = 0; k < counts.retained.length; k++) {
      target.retained[k] = (target.retained[k] ?? 0) + (counts.retained[k] ?? 0);
      target.orders[k] = (target.orders[k] ?? 0) + (counts.orders[k] ?? 0);
      target.revenueMinor[k] = (target.revenueMinor[k] ?? 0) + (counts.revenueMinor[k] ?? 0);
      const into = target.transitions[k] ?? {};
      for (const [key, n] of Object.entries(counts.transitions[k] ?? {})) into[key] = (into[key] ?? 0) + n;
      target.transitions[k] = into;
    }
  }
  return merged;
}

const ratio = z.number().min(0).max(1).nullable();

export const CohortPeriodSchema = z.object({
  period: z.number().int().nonnegative(),
  month: z.string(),
  /** false for the month containing the as-of instant unless it is the month's last: figures so far */
  complete: z.boolean(),
  retained: z.number().int().nonnegative(),
  retention: ratio,
  churn: ratio,
  orders: z.number().int().nonnegative(),
  revenueMinor: z.number().int(),
  /** period revenue / period-0 revenue; null when period-0 revenue is 0 */
  revenueRetention: z.number().nonnegative().nullable(),
  /** cumulative revenue per cohort customer up to and including this period (LTV to date) */
  cumulativeRevenuePerCustomerMinor: z.number().nonnegative(),
  /** average order value in the period; null without orders */
  averageOrderValueMinor: z.number().nonnegative().nullable(),
  transitions: z.record(z.string(), z.number().int().nonnegative()),
});
export type CohortPeriod = z.infer<typeof CohortPeriodSchema>;

export const CohortRowSchema = z.object({
  cohort: z.string().regex(/^\d{4}-\d{2}$/),
  size: z.number().int().positive(),
  stages: z.record(StageSchema, z.number().int().nonnegative()),
  /** one entry per period from 0 to the longest reached by any cohort; null where not reached yet */
  periods: z.array(CohortPeriodSchema.nullable()),
});
export type CohortRow = z.infer<typeof CohortRowSchema>;

/** The cohort snapshot: persisted, rendered to CSV/JSON/HTML and returned by `clientele cohorts --json`. */
export const CohortReportSchema = z.object({
  asOf: z.string(),
  generatedAt: z.string(),
  currency: CurrencySchema,
  definitions: z.string(),
  customersWithPurchase: z.number().int().nonnegative(),
  prospects: z.number().int().nonnegative(),
  skippedOtherCurrency: z.number().int().nonnegative(),
  maxPeriods: z.number().int().nonnegative(),
  cohorts: z.array(CohortRowSchema),
  /** the shape of the base at the same instant (absent in snapshots written before it existed) */
  baseShape: BaseShapeSchema.optional(),
  /** the predictive model fitted in this pass (or the last good one kept), with its self-check on a holdout */
  model: BaseModelSchema.optional(),
  /** the base scored with the model in force when the pass started (absent before the first fit) */
  scores: ScoreDistributionSchema.optional(),
});
export type CohortReport = z.infer<typeof CohortReportSchema>;

export const COHORT_DEFINITIONS =
  'cohort = UTC calendar month of first purchase; period k = k-th calendar month after it; retained in k = purchased at least once in that month (up to the as-of date); retention = retained / cohort size; churn = 1 - retention; revenue retention = period revenue / period-0 revenue; cumulative revenue per customer = LTV to date; periods not reached by the as-of date are null.';

/** True when `asOf` is the last instant of its month (an as-of at a month's end): that month is complete. */
function monthEndsBy(asOf: string): boolean {
  return monthKey(new Date(Date.parse(asOf) + 1)) !== monthKey(asOf);
}

/** Turns merged partial sums into the report: ratios, nulls for unreached periods, LTV to date. */
export function finalizeCohorts(partial: CohortPartial, generatedAt: string): CohortReport {
  const asOfMonth = monthKey(partial.asOf);
  // In month order (the keys are YYYY-MM; compared as sort() compares strings).
  const sorted = Object.entries(partial.cohorts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const firstCohort = sorted[0]?.[0];
  const maxPeriods = firstCohort === undefined ? 0 : monthsBetween(firstCohort, asOfMonth) + 1;
  const cohorts: CohortRow[] = sorted.map(([cohort, c]) => {
    const periods: (CohortPeriod | null)[] = [];
    let cumulative = 0;
    const base = c.revenueMinor[0] ?? 0;
    for (let k = 0; k < maxPeriods; k++) {
      const month = addMonths(cohort, k);
      if (k >= c.retained.length) {
        periods.push(null);
        continue;
      }
      const retained = c.retained[k] ?? 0;
      const revenue = c.revenueMinor[k] ?? 0;
      const orders = c.orders[k] ?? 0;
      cumulative += revenue;
      const retention = retained / c.size;
      periods.push({
        period: k,
        month,
        complete: month < asOfMonth || (month === asOfMonth && monthEndsBy(partial.asOf)),
        retained,
        retention,
        churn: 1 - retention,
        orders,
        revenueMinor: revenue,
        revenueRetention: base > 0 ? revenue / base : null,
        cumulativeRevenuePerCustomerMinor: cumulative / c.size,
        averageOrderValueMinor: orders > 0 ? revenue / orders : null,
        transitions: c.transitions[k] ?? {},
      });
    }
    return { cohort, size: c.size, stages: c.stages, periods };
  });
  return {
    asOf: partial.asOf,
    generatedAt,
    currency: partial.currency,
    definitions: COHORT_DEFINITIONS,
    customersWithPurchase: partial.customersWithPurchase,
    prospects: partial.prospects,
    skippedOtherCurrency: partial.skippedOtherCurrency,
    maxPeriods,
    cohorts,
  };
}

/** Convenience single pass, used by tests as the reference the segmented path must equal. */
export function computeCohorts(customers: Iterable<Customer>, asOf: string, currency: string, generatedAt: string) {
  const partial = emptyPartial(asOf, currency);
  for (const c of customers) accumulate(partial, c);
  return finalizeCohorts(partial, generatedAt);
}
