/**
 * What the buy-till-you-die models see of a stored customer, from the purchase aggregates alone (no order read):
 * the purchase days recorded in each month's `days` bit set give the repeat purchase days x, the recency t_x and
 * the age T as of a day, in weeks, with the conventions of customer-summary.ts (a purchase is a UTC purchase day,
 * a purchase on the as-of day counts, T = (as-of day − first purchase day) / 7).
 *
 * Spend: the aggregates keep revenue per month, not per day, so the first day's value is known only when it was the
 * month's only purchase day. The jobs therefore give Gamma-Gamma the mean over *all* purchase days (first included)
 * with their number as the count; docs/predictive.md says so. A month recorded before `days` existed contributes
 * its first and last day only (dayMaskOf): such customers are under-counted until a recompute rebuilds the months
 * from their orders.
 */
import type { Customer } from '../customer.ts';
import { dayMaskOf } from '../purchase-days.ts';
import { dayNumber } from './customer-summary.ts';

/** A customer's purchase history as the models see it, as of a day. */
export interface CustomerRfm {
  /** repeat purchase days up to the as-of day */
  frequency: number;
  /** weeks from the first to the last purchase day up to the as-of day */
  recency: number;
  /** weeks from the first purchase day to the as-of day */
  T: number;
  /** purchase days up to the as-of day (frequency + 1) and their mean value in minor units */
  purchaseDays: number;
  meanSpendMinor: number;
  /** the first purchase day (days since 1970-01-01) */
  firstDay: number;
}

/** The day number (days since 1970-01-01, UTC) of an instant. */
export function dayOf(instant: string): number {
  return dayNumber(instant.slice(0, 10));
}

/** Every recorded purchase day (day numbers, ascending) with the value attributed to each (minor units). */
export function purchaseDaysOf(customer: Pick<Customer, 'months'>): { day: number; valueMinor: number }[] {
  const out: { day: number; valueMinor: number }[] = [];
  for (const [month, activity] of Object.entries(customer.months)) {
    const start = dayNumber(`${month}-01`);
    const mask = dayMaskOf(activity);
    const days: number[] = [];
    for (let d = 1; d <= 31; d++) if (mask & (1 << (d - 1))) days.push(start + d - 1);
    // A month's revenue is spread evenly over its purchase days (the per-day split is not stored).
    for (const day of days) out.push({ day, valueMinor: activity.revenueMinor / days.length });
  }
  return out.sort((a, b) => a.day - b.day);
}

/** The customer as the models see them on `asOfDay` (a day number); undefined before their first purchase. */
export function rfmOfDays(
  days: readonly { day: number; valueMinor: number }[],
  asOfDay: number,
): CustomerRfm | undefined {
  const first = days[0];
  if (!first || first.day > asOfDay) return undefined;
  let last = first.day;
  let count = 0;
  let value = 0;
  for (const d of days) {
    if (d.day > asOfDay) break;
    last = d.day;
    count += 1;
    value += d.valueMinor;
  }
  return {
    frequency: count - 1,
    recency: (last - first.day) / 7,
    T: (asOfDay - first.day) / 7,
    purchaseDays: count,
    meanSpendMinor: value / count,
    firstDay: first.day,
  };
}

/** {@link rfmOfDays} of a stored customer at an instant (its UTC day). */
export function rfmOfCustomer(customer: Pick<Customer, 'months'>, asOf: string): CustomerRfm | undefined {
  return rfmOfDays(purchaseDaysOf(customer), dayOf(asOf));
}

/** Purchase days in (fromDay, toDay]: the holdout count of a calibration that ended on `fromDay`. */
export function purchaseDaysBetween(days: readonly { day: number }[], fromDay: number, toDay: number): number {
  let n = 0;
  for (const d of days) if (d.day > fromDay && d.day <= toDay) n += 1;
  return n;
}
