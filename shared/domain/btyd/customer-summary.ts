/**
 * From transactions to what the buy-till-you-die models see: per customer the repeat purchases (frequency x),
 * the recency t_x and the age T, in weeks, as of a calibration end. Conventions (those of Fader, Hardie & Lee
 * 2005 for CDNOW, and of the published cdnow_customers_summary.csv):
 *  - a purchase is a customer's purchase *day*: several transactions on one day are one purchase, its value the
 *    sum of theirs;
 *  - days are calendar days (UTC) and a week is 7 of them; a purchase on the calibration end day belongs to the
 *    calibration period;
 *  - T = (calibration end − first purchase day) / 7, so a customer first buying on 1997-01-01 has T = 272 / 7 =
 *    38.86 weeks at a calibration end of 1997-09-30; t_x = (last purchase day − first purchase day) / 7;
 *  - customers whose first purchase is after the calibration end are not in the calibration sample.
 */
import type { CustomerSummary } from './schemas.ts';

export interface Transaction {
  customerId: string;
  /** YYYY-MM-DD */
  day: string;
  /** value in major units */
  amount: number;
}

export interface SummaryPeriod {
  /** last day of the calibration period (YYYY-MM-DD, included) */
  calibrationEnd: string;
  /** last day of the holdout period (included); without it no holdout purchases are counted */
  holdoutEnd?: string;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD date; throws on anything else. */
export function dayNumber(day: string): number {
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new Error(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  return ms / DAY_MS;
}

/** The YYYY-MM-DD date `weeks` weeks after `day`, rounded down to a whole day. */
export function dayAfterWeeks(day: string, weeks: number): string {
  return new Date((dayNumber(day) + Math.floor(weeks * 7 + 1e-9)) * DAY_MS).toISOString().slice(0, 10);
}

/** One summary per customer who bought by the calibration end, in customer id order (numeric ids numerically). */
export function summariseCustomers(transactions: Iterable<Transaction>, period: SummaryPeriod): CustomerSummary[] {
  const end = dayNumber(period.calibrationEnd);
  const holdoutEnd = period.holdoutEnd === undefined ? undefined : dayNumber(period.holdoutEnd);
  const days = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const d = dayNumber(t.day);
    let customer = days.get(t.customerId);
    if (!customer) {
      customer = new Map();
      days.set(t.customerId, customer);
    }
    customer.set(d, (customer.get(d) ?? 0) + t.amount);
  }
  const summaries: CustomerSummary[] = [];
  for (const [customerId, byDay] of days) {
    const sorted = [...byDay.keys()].sort((a, b) => a - b);
    const first = sorted[0];
    if (first === undefined || first > end) continue;
    const repeat = sorted.filter((d) => d > first && d <= end);
    const last = repeat.at(-1) ?? first;
    const repeatValue = repeat.reduce((sum, d) => sum + (byDay.get(d) ?? 0), 0);
    summaries.push({
      customerId,
      firstPurchase: new Date(first * DAY_MS).toISOString().slice(0, 10),
      frequency: repeat.length,
      recency: (last - first) / 7,
      T: (end - first) / 7,
      monetaryValue: repeat.length ? repeatValue / repeat.length : 0,
      ...(holdoutEnd === undefined
        ? {}
        : { holdoutPurchases: sorted.filter((d) => d > end && d <= holdoutEnd).length }),
    });
  }
  return summaries.sort((a, b) => a.customerId.localeCompare(b.customerId, 'en', { numeric: true }));
}

/** Customers with the same (x, t_x, T), counted once with a weight: a likelihood costs per distinct triple. */
export interface WeightedTriple {
  x: number;
  tx: number;
  T: number;
  count: number;
}

export function compressTriples(
  customers: Iterable<Pick<CustomerSummary, 'frequency' | 'recency' | 'T'>>,
): WeightedTriple[] {
  const rows = new Map<string, WeightedTriple>();
  for (const c of customers) {
    const key = `${c.frequency}|${c.recency}|${c.T}`;
    const row = rows.get(key);
    if (row) row.count++;
    else rows.set(key, { x: c.frequency, tx: c.recency, T: c.T, count: 1 });
  }
  // Sorted by x so a likelihood can compute its per-x terms (lgamma, log-beta) once per run of equal x.
  return [...rows.values()].sort((a, b) => a.x - b.x || a.tx - b.tx || a.T - b.T);
}

/** Mean frequency and mean age over weighted triples (to scale optimiser starts). */
export function tripleMeans(rows: readonly WeightedTriple[]): { meanX: number; meanT: number } {
  let n = 0;
  let sx = 0;
  let sT = 0;
  for (const row of rows) {
    n += row.count;
    sx += row.count * row.x;
    sT += row.count * row.T;
  }
  return { meanX: n ? sx / n : 0, meanT: n ? sT / n : 0 };
}
