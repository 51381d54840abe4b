import type { Customer } from './customer.ts';
import { DAY_MS, dayOfMonth, monthKey } from './time.ts';

/**
 * A stored customer's purchases "as of" an instant, read from what the customer item holds: per UTC month the
 * order count, revenue and the first and last purchase day (`months`). No order is read.
 *
 * Every month before the as-of month counts whole; months after it not at all. In the as-of month a month whose
 * last purchase day is on or before the as-of day counts whole and one whose first purchase day is after it not at
 * all (the whole as-of day is included, as everywhere in clientele). The one case the item cannot settle is a month
 * that straddles the as-of day (first purchase day ≤ as-of day < last purchase day): then at least one order falls
 * on each side and the split is estimated (`estimated: true`): with two orders exactly one came before, on the
 * first day (count and day exact); with more, the interior orders are assumed evenly spread between the first and
 * last day, and revenue is split in proportion to orders. Only runs with an as-of date in the past meet this (the
 * weekly pass runs as of now, when no order lies ahead).
 */
export interface PurchasesAsOf {
  orders: number;
  revenueMinor: number;
  /** UTC day numbers (days since 1970-01-01) of the first and last purchase up to the as-of instant */
  firstDay: number;
  lastDay: number;
  /**
   * The purchase day of every order up to the as-of instant, in order, when the item determines them: it does
   * when no month holds more than two orders (its first and last day are then every purchase day). Otherwise null.
   */
  purchaseDays: number[] | null;
  estimated: boolean;
}

/** The UTC day number of an instant: whole days since 1970-01-01. */
export function dayNumber(at: string): number {
  return Math.floor(Date.parse(at) / DAY_MS);
}

function monthDay(month: string, day: number): number {
  return dayNumber(`${month}-${String(day).padStart(2, '0')}T00:00:00.000Z`);
}

/** The customer's purchases up to `asOf`; null when there are none (a prospect as of then). */
export function purchasesAsOf(customer: Customer, asOf: string): PurchasesAsOf | null {
  if (customer.orderCount === 0 || !customer.firstPurchaseAt || customer.firstPurchaseAt > asOf) return null;
  const entries = Object.entries(customer.months);
  if (entries.length === 0) return aggregatesOnly(customer, asOf);
  const asOfMonth = monthKey(asOf);
  const asOfDay = dayOfMonth(asOf);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let orders = 0;
  let revenueMinor = 0;
  let firstDay = Number.POSITIVE_INFINITY;
  let lastDay = Number.NEGATIVE_INFINITY;
  let days: number[] | null = [];
  let estimated = false;
  for (const [month, activity] of entries) {
    if (month > asOfMonth) break;
    let monthOrders = activity.orders;
    let monthRevenue = activity.revenueMinor;
    let monthLast = activity.lastDay;
    if (month === asOfMonth && activity.lastDay > asOfDay) {
      if (activity.firstDay > asOfDay) continue;
      // Straddles the as-of day: see the comment on PurchasesAsOf.
      estimated = true;
      const span = activity.lastDay - activity.firstDay;
      const interior = activity.orders - 2;
      monthOrders = Math.min(activity.orders - 1, 1 + Math.round((interior * (asOfDay - activity.firstDay)) / span));
      monthRevenue = Math.round((activity.revenueMinor * monthOrders) / activity.orders);
      monthLast =
        monthOrders === 1
          ? activity.firstDay
          : Math.min(asOfDay, activity.firstDay + Math.round(((monthOrders - 1) * span) / (activity.orders - 1)));
    }
    if (monthOrders === 0) continue;
    const first = monthDay(month, activity.firstDay);
    const last = monthDay(month, monthLast);
    orders += monthOrders;
    revenueMinor += monthRevenue;
    firstDay = Math.min(firstDay, first);
    lastDay = Math.max(lastDay, last);
    // A month of at most two orders names every purchase day (its first and last); a straddled month of two
    // orders had exactly its first-day order before the as-of day.
    if (days && activity.orders <= 2) days.push(...(monthOrders === 1 ? [first] : [first, last]));
    else days = null;
  }
  if (orders === 0) return null;
  return { orders, revenueMinor, firstDay, lastDay, purchaseDays: days, estimated };
}

/**
 * A customer item without the per-month breakdown (written before it existed): its totals are used when its last
 * purchase is on or before the as-of instant, and marked estimated (the first purchase only, at its revenue share)
 * when orders lie beyond it.
 */
function aggregatesOnly(customer: Customer, asOf: string): PurchasesAsOf {
  const first = dayNumber(customer.firstPurchaseAt ?? asOf);
  const last = dayNumber(customer.lastPurchaseAt ?? asOf);
  if (customer.lastPurchaseAt && customer.lastPurchaseAt <= asOf) {
    const days = customer.orderCount === 1 ? [first] : customer.orderCount === 2 ? [first, last] : null;
    return {
      orders: customer.orderCount,
      revenueMinor: customer.revenueMinor,
      firstDay: first,
      lastDay: last,
      purchaseDays: days,
      estimated: false,
    };
  }
  return {
    orders: 1,
    revenueMinor: Math.round(customer.revenueMinor / customer.orderCount),
    firstDay: first,
    lastDay: first,
    purchaseDays: [first],
    estimated: true,
  };
}
