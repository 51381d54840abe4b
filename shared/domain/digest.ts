/**
 * The weekly digest for the marketing team: a handful of figures from the cohort snapshot, each beside the same
 * figure in the previous snapshot, and the average retention curve. Pure: both snapshots are passed in. Every figure
 * is computed from the snapshot's own cells, so the digest never says anything the full report does not.
 */
import * as z from 'zod';
import type { CohortPeriod, CohortReport } from './cohort.ts';
import { EmailSchema } from './common.ts';
import { addDays, addMonths, dayOfMonth, monthEnd, monthKey } from './time.ts';

/** `engine.digest`: who gets it, in which locale, and where the full report is linked from. */
export const DigestConfigSchema = z.strictObject({
  /**
   * Staff addresses (the marketing team), never customers: the digest is sent to these only, without consent
   * logic. Empty: no digest is sent.
   */
  recipients: z.array(EmailSchema).max(50).default([]),
  /**
   * Whether the cohort job sends it (after each scheduled pass, so on `schedules.churnCohorts`: weekly by
   * default). `false` pauses it without removing the recipients.
   */
  enabled: z.boolean().default(true),
  /**
   * Language of the digest's text (en, de, da, nb, ko, ru, fr, es, nl; `nb-NO` → nb → no → en) and locale of
   * its numbers, money and dates (`de-CH` formats as Swiss German).
   */
  locale: z
    .string()
    .min(2)
    .max(35)
    .refine((tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    }, 'must be a BCP 47 language tag such as en, de-DE or nb-NO')
    .default('en'),
  /**
   * Base URL the reports bucket is published under (e.g. a CloudFront distribution with the bucket as origin, or
   * your intranet): the digest links `<reportBaseUrl>cohorts/<as-of date>/report.html`, the key the cohort job
   * writes. Without it, the deployed job links a presigned S3 URL (see `linkHours`).
   */
  reportBaseUrl: z.url({ protocol: /^https$/ }).optional(),
  /**
   * Requested lifetime of the presigned report link, in hours (S3 allows up to 7 days). A presigned URL also stops
   * working when the credentials that signed it expire. In Lambda these are the function role's session
   * credentials: a role session lasts at most 12 hours and Lambda does not tell the function how much of it is
   * left, so the deployed link is signed for at most 12 hours and may stop sooner; the digest says "until …
   * at the latest". Set `reportBaseUrl` for a link that works all week.
   */
  linkHours: z.number().int().min(1).max(168).default(168),
});
export type DigestConfig = z.output<typeof DigestConfigSchema>;

export type FigureUnit = 'count' | 'money' | 'ratio';

/** The figures a digest can show; their names and one-line explanations are per locale (reports/digest-copy.ts). */
export const FIGURE_IDS = [
  'revenue-last-month',
  'buyers-last-month',
  'new-customers-last-month',
  'month-1-retention',
  'average-order-value',
  'ltv-12',
  'customers-with-purchase',
] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

export interface DigestFigure {
  id: FigureId;
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

/** The month containing the as-of instant, while it is not over: its figures are not in the digest yet. */
export interface MonthInProgress {
  month: string;
  /** the as-of day of that month (1–31) */
  day: number;
  days: number;
}

export interface DigestContent {
  asOf: string;
  previousAsOf: string | null;
  currency: string;
  /** `YYYY-MM` of the last complete month: the month the "last month" figures are of */
  month: string;
  /** the as-of month when it is not complete (null when the as-of is a month's last instant) */
  inProgress: MonthInProgress | null;
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

/** The as-of month unless the as-of is its last instant (then it is complete, as the cohort report has it). */
export function monthInProgress(asOf: string): MonthInProgress | null {
  const month = monthKey(asOf);
  if (monthKey(new Date(Date.parse(asOf) + 1)) !== month) return null;
  return { month, day: dayOfMonth(asOf), days: dayOfMonth(addDays(monthEnd(month), -1)) };
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
  id: FigureId;
  unit: FigureUnit;
  of: (report: CohortReport) => number | null;
}

/** The figures a digest can show, in the order shown when there is nothing to compare with. */
export const DIGEST_CANDIDATES: readonly Candidate[] = [
  // all orders placed in the last complete calendar month
  { id: 'revenue-last-month', unit: 'money', of: (r) => monthTotals(r, lastCompleteMonth(r)).revenueMinor },
  // customers with at least one order in the last complete month
  { id: 'buyers-last-month', unit: 'count', of: (r) => monthTotals(r, lastCompleteMonth(r)).active },
  // first purchase in the last complete month (the size of that cohort)
  {
    id: 'new-customers-last-month',
    unit: 'count',
    of: (r) => r.cohorts.find((c) => c.cohort === lastCompleteMonth(r))?.size ?? 0,
  },
  // share of new customers who bought again in the month after their first purchase, last 6 cohorts with it complete
  { id: 'month-1-retention', unit: 'ratio', of: (r) => weightedRetention(r, 1, 6) },
  // revenue of the last complete month divided by its orders
  {
    id: 'average-order-value',
    unit: 'money',
    of: (r) => {
      const t = monthTotals(r, lastCompleteMonth(r));
      return t.orders > 0 ? t.revenueMinor / t.orders : null;
    },
  },
  // revenue per customer in their first 12 months, over the cohorts that have had 12 months
  { id: 'ltv-12', unit: 'money', of: ltv12 },
  // everyone with at least one order up to the as-of instant
  { id: 'customers-with-purchase', unit: 'count', of: (r) => r.customersWithPurchase },
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
    month: lastCompleteMonth(current),
    inProgress: monthInProgress(current.asOf),
    moved,
    retentionCurve: retentionCurve(current),
  };
}
