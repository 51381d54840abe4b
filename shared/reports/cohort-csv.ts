import type { CohortPeriod, CohortReport } from '../domain/cohort.ts';
import { minorDigits } from '../domain/money.ts';

/** Column order of the long-format cohort CSV (one row per cohort × reached period). */
export const COHORT_CSV_COLUMNS = [
  'cohort',
  'cohort_size',
  'period',
  'month',
  'complete',
  'retained',
  'retention',
  'churn',
  'orders',
  'revenue',
  'revenue_retention',
  'cumulative_revenue_per_customer',
  'average_order_value',
] as const;

/** RFC 4180: quote a field containing a comma, double quote, CR or LF; double embedded quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Fixed decimals without a "-0.0000" artefact; null/non-finite → empty field. */
function fixed(value: number | null, decimals: number): string {
  if (value === null || !Number.isFinite(value)) return '';
  const text = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * Minor units → major units with exactly the currency's decimals (1234 USD → "12.34", 1234 JPY → "1234").
 * Non-integer minor amounts (per-customer averages) are rounded half away from zero to whole minor units first,
 * then split with integer arithmetic so no binary-float digits leak into the output.
 */
export function minorToMajorString(amountMinor: number | null, digits: number): string {
  if (amountMinor === null || !Number.isFinite(amountMinor)) return '';
  const rounded = Math.sign(amountMinor) * Math.round(Math.abs(amountMinor));
  const abs = Math.abs(rounded);
  const sign = rounded < 0 ? '-' : '';
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10 ** digits;
  const whole = Math.floor(abs / scale);
  const fraction = String(abs - whole * scale).padStart(digits, '0');
  return `${sign}${whole}.${fraction}`;
}

function periodRow(cohort: string, size: number, p: CohortPeriod, digits: number): string[] {
  return [
    cohort,
    String(size),
    String(p.period),
    p.month,
    p.complete ? 'true' : 'false',
    String(p.retained),
    fixed(p.retention, 4),
    fixed(p.churn, 4),
    String(p.orders),
    minorToMajorString(p.revenueMinor, digits),
    fixed(p.revenueRetention, 4),
    minorToMajorString(p.cumulativeRevenuePerCustomerMinor, digits),
    minorToMajorString(p.averageOrderValueMinor, digits),
  ];
}

/**
 * Renders the cohort report as long-format CSV (header + one row per cohort × reached period; unreached
 * periods are skipped). Money in major units with the currency's decimals, ratios with 4 decimals,
 * null ratios/averages as empty fields. Lines end with CRLF as RFC 4180 specifies, including the last one.
 */
export function cohortReportToCsv(report: CohortReport): string {
  const digits = minorDigits(report.currency);
  const lines: string[] = [COHORT_CSV_COLUMNS.join(',')];
  for (const row of report.cohorts) {
    for (const p of row.periods) {
      if (!p) continue;
      lines.push(periodRow(row.cohort, row.size, p, digits).map(csvField).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
