/**
 * The weekly digest for the marketing team: a handful of figures from the cohort snapshot, each beside the same
 * figure in the previous snapshot, and the average retention curve. Pure: both snapshots are passed in. Every figure
 * is computed from the snapshot's own cells, so the digest never says anything the full report does not.
 */
import * as z from 'zod';
import type { CohortPeriod, CohortReport } from './cohort.ts';
import { EmailSchema } from './common.ts';
import { addMonths, monthKey } from './time.ts';

/** `engine.digest`: who gets it, in which locale, and where the full report is linked from. */
export const DigestConfigSchema = z.strictObject({
  /**
   * Staff addresses (the marketing team), never customers: the digest is sent to these only, without consent
   * logic. Empty: no digest is sent.
   */
  recipients: z.array(EmailSchema).max(50).default([]),
  /** Locale of numbers, money and dates in the digest (`en`, `de`, `nb-NO`, …). */
  locale: z.string().min(2).max(35).default('en'),
  /**
   * Base URL the full report is published under (e.g. your intranet or a CloudFront distribution in front of the
   * reports bucket): the digest links `<reportBaseUrl>report.html`. Without it, a presigned S3 URL valid
   * `linkHours` (capped by the Lambda role's session, so at most a few hours in practice).
   */
  reportBaseUrl: z.url({ protocol: /^https$/ }).optional(),
  /** Lifetime of the presigned report link in hours (S3 allows up to 7 days). */
  linkHours: z.number().int().min(1).max(168).default(168),
});
export type DigestConfig = z.output<typeof DigestConfigSchema>;

export type FigureUnit = 'count' | 'money' | 'ratio';

export interface DigestFigure {
  id: string;
  label: string;
  /** what it is, in one line a marketer reads */
  explanation: string;
  unit: FigureUnit;
  value: number | null;
  previous: number | null;
  /** value - previous (ratios: in points of the ratio) */
  change: number | null;
  /** |change| relative to |previous| (ratios: change itself): how much it moved */
  moved: number | null;
}

export interface RetentionPoint {
  period: number;
  /** mean retention of the cohorts with this period complete, weighted by cohort size */
  retention: number;
  cohorts: number;
}

export interface DigestContent {
  asOf: string;
  previousAsOf: string | null;
  currency: string;
  /** the figures that moved most, at most five, largest move first (all candidates in order without a previous) */
  moved: DigestFigure[];
  retentionCurve: RetentionPoint[];
}

/** How many figures the digest shows. */
export const DIGEST_FIGURES = 5;
/** Months of the retention curve (period 1 to this). */
export const CURVE_MONTHS = 12;

function completePeriods(report: CohortReport, k: number): { size: number; period: CohortPeriod }[] {
  const out: { size: number; period: CohortPeriod }[] = [];
  for (const row of report.cohorts) {
    const period = row.periods[k];
    if (period?.complete) out.push({ size: row.size, period });
  }
  return out;
}

/** The calendar month before the as-of month: the last month every figure of which is complete. */
function lastCompleteMonth(report: CohortReport): string {
  return addMonths(monthKey(report.asOf), -1);
}

/** Sums of one calendar month over all cohorts (each cohort's period that falls in that month). */
function monthTotals(report: CohortReport, month: string) {
  let orders = 0;
  let revenueMinor = 0;
  let active = 0;
  for (const row of report.cohorts) {
    const period = row.periods.find((p) => p?.month === month);
    if (!period) continue;
    orders += period.orders;
    revenueMinor += period.revenueMinor;
    active += period.retained;
  }
  return { orders, revenueMinor, active };
}

function weightedRetention(report: CohortReport, k: number, lastCohorts?: number): number | null {
  let cells = completePeriods(report, k);
  if (lastCohorts !== undefined) cells = cells.slice(-lastCohorts);
  const size = cells.reduce((a, c) => a + c.size, 0);
  return size > 0 ? cells.reduce((a, c) => a + c.period.retained, 0) / size : null;
}

function ltv12(report: CohortReport): number | null {
  const cells = completePeriods(report, 11);
  const size = cells.reduce((a, c) => a + c.size, 0);
  return size > 0 ? cells.reduce((a, c) => a + c.period.cumulativeRevenuePerCustomerMinor * c.size, 0) / size : null;
}

interface Candidate {
  id: string;
  label: string;
  explanation: string;
  unit: FigureUnit;
  of: (report: CohortReport) => number | null;
}

/** The figures a digest can show, in the order shown when there is nothing to compare with. */
export const DIGEST_CANDIDATES: readonly Candidate[] = [
  {
    id: 'revenue-last-month',
    label: 'Revenue last month',
    explanation: 'all orders placed in the last complete calendar month',
    unit: 'money',
    of: (r) => monthTotals(r, lastCompleteMonth(r)).revenueMinor,
  },
  {
    id: 'buyers-last-month',
    label: 'Customers who bought last month',
    explanation: 'customers with at least one order in the last complete month',
    unit: 'count',
    of: (r) => monthTotals(r, lastCompleteMonth(r)).active,
  },
  {
    id: 'new-customers-last-month',
    label: 'New customers last month',
    explanation: 'first purchase in the last complete month (the size of that cohort)',
    unit: 'count',
    of: (r) => r.cohorts.find((c) => c.cohort === lastCompleteMonth(r))?.size ?? 0,
  },
  {
    id: 'month-1-retention',
    label: 'Second-month retention (last 6 cohorts)',
    explanation: 'share of new customers who bought again in the month after their first purchase',
    unit: 'ratio',
    of: (r) => weightedRetention(r, 1, 6),
  },
  {
    id: 'average-order-value',
    label: 'Average order value last month',
    explanation: 'revenue of the last complete month divided by its orders',
    unit: 'money',
    of: (r) => {
      const t = monthTotals(r, lastCompleteMonth(r));
      return t.orders > 0 ? t.revenueMinor / t.orders : null;
    },
  },
  {
    id: 'ltv-12',
    label: '12-month value per customer',
    explanation: 'revenue per customer in their first 12 months, over the cohorts that have had 12 months',
    unit: 'money',
    of: ltv12,
  },
  {
    id: 'customers-with-purchase',
    label: 'Customers who ever bought',
    explanation: 'everyone with at least one order up to the as-of date',
    unit: 'count',
    of: (r) => r.customersWithPurchase,
  },
];

function figure(c: Candidate, current: CohortReport, previous: CohortReport | undefined): DigestFigure {
  const value = c.of(current);
  const before = previous ? c.of(previous) : null;
  const change = value !== null && before !== null ? value - before : null;
  const moved =
    change === null || before === null
      ? null
      : c.unit === 'ratio'
        ? Math.abs(change)
        : before === 0
          ? change === 0
            ? 0
            : Number.POSITIVE_INFINITY
          : Math.abs(change) / Math.abs(before);
  return {
    id: c.id,
    label: c.label,
    explanation: c.explanation,
    unit: c.unit,
    value,
    previous: before,
    change,
    moved,
  };
}

/** Size-weighted mean retention per period over the cohorts that have completed it. */
export function retentionCurve(report: CohortReport, months = CURVE_MONTHS): RetentionPoint[] {
  const points: RetentionPoint[] = [];
  for (let k = 1; k <= months; k++) {
    const retention = weightedRetention(report, k);
    if (retention === null) break;
    points.push({ period: k, retention, cohorts: completePeriods(report, k).length });
  }
  return points;
}

/**
 * The digest's figures: each candidate now and in the previous snapshot; the five that moved most (relative
 * change; ratios by their change in points), or the first five when there is no previous snapshot to compare.
 */
export function digestContent(current: CohortReport, previous?: CohortReport): DigestContent {
  const figures = DIGEST_CANDIDATES.map((c) => figure(c, current, previous));
  const order = new Map(DIGEST_CANDIDATES.map((c, i) => [c.id, i]));
  const moved = previous
    ? [...figures]
        .filter((f) => f.value !== null)
        .sort((a, b) => (b.moved ?? -1) - (a.moved ?? -1) || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
        .slice(0, DIGEST_FIGURES)
    : figures.filter((f) => f.value !== null).slice(0, DIGEST_FIGURES);
  return {
    asOf: current.asOf,
    previousAsOf: previous?.asOf ?? null,
    currency: current.currency,
    moved,
    retentionCurve: retentionCurve(current),
  };
}
