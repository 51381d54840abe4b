import * as z from 'zod';
import {
  addCount,
  addRevenue,
  ascending,
  CountHistogramSchema,
  coarsenJointKey,
  jointKey,
  MAX_JOINT_CELLS,
  MAX_JOINT_LEVEL,
  mergeCounts,
  mergeRevenue,
  orderCountKey,
  RevenueHistogramSchema,
  recencyKey,
  revenueBucket,
} from './base-shape-buckets.ts';
import { concentrationOf } from './base-shape-concentration.ts';
import { dayNumber, type PurchasesAsOf, purchasesAsOf } from './base-shape-facts.ts';
import { type BaseShape, groupOf, intervalDistribution, rfmOf } from './base-shape-finalize.ts';
import type { Customer } from './customer.ts';
import { CurrencySchema } from './money.ts';

/**
 * The shape of the base, as of an instant: RFM value segments, revenue concentration, repeat vs one-off buyers,
 * purchase intervals and subscription-like regulars. Built like the cohort matrix: a full pass feeds each stored
 * customer to `accumulateShape` (per scan segment, into `emptyShapePartial`), partials merge with
 * `mergeShapePartials` (associative, commutative: any split of the base gives the single-pass result), and
 * `finalizeShape` turns the merged partial into the stored `BaseShape`. Memory is bounded whatever the base size:
 * the partial holds histograms (see base-shape-buckets.ts), not customers.
 *
 * Buyers are customers with a purchase up to the as-of instant; prospects (none yet) are counted apart and are in
 * no buyer figure. Purchases are read as of the instant (base-shape-facts.ts).
 *
 * Subscription-like regulars: buyers with at least REGULAR_MIN_ORDERS orders whose gaps between purchase days are
 * steady (coefficient of variation, standard deviation / mean, at most REGULAR_MAX_VARIATION) with a mean gap of
 * at least REGULAR_MIN_MEAN_DAYS; "on schedule" while the days since their last purchase are at most
 * REGULAR_LAPSE_FACTOR × their mean gap, "lapsed" after. The stored customer keeps per month only the first and
 * last purchase day, so every purchase day is known only when no month holds more than two orders; buyers with
 * enough orders but a busier month are "undetermined" (counted, not classified).
 */

export const REGULAR_MIN_ORDERS = 4;
export const REGULAR_MAX_VARIATION = 0.15;
export const REGULAR_MIN_MEAN_DAYS = 7;
export const REGULAR_LAPSE_FACTOR = 2;

const count = z.number().int().nonnegative();
/** [customers, revenue in minor units] */
const Tally = z.tuple([count, z.number().int().nonnegative()]);
type Tally = z.infer<typeof Tally>;

/** A scan segment's partial base shape: stored in the full pass's checkpoints, merged at the end. */
export const ShapePartialSchema = z.object({
  asOf: z.string(),
  currency: CurrencySchema,
  buyers: count,
  prospects: count,
  skippedOtherCurrency: count,
  /** buyers whose as-of purchases were estimated (a month straddling the as-of day) */
  estimated: count,
  recency: CountHistogramSchema,
  orders: CountHistogramSchema,
  revenue: RevenueHistogramSchema,
  /** resolution level of `cells` (see MAX_JOINT_CELLS): 0 is full resolution */
  cellLevel: z.number().int().min(0).max(MAX_JOINT_LEVEL),
  /** joint recency.orders.revenue cell at `cellLevel` → [customers, revenue] */
  cells: z.record(z.string().regex(/^\d+\.\d+\.\d+$/), Tally),
  oneOff: Tally,
  repeat: Tally,
  /** mean days between orders (floored) per repeat buyer → customers */
  intervals: CountHistogramSchema,
  regulars: Tally,
  lapsedRegulars: Tally,
  undeterminedRegularity: count,
});
export type ShapePartial = z.infer<typeof ShapePartialSchema>;

export function emptyShapePartial(asOf: string, currency: string): ShapePartial {
  return {
    asOf,
    currency,
    buyers: 0,
    prospects: 0,
    skippedOtherCurrency: 0,
    estimated: 0,
    recency: {},
    orders: {},
    revenue: {},
    cellLevel: 0,
    cells: {},
    oneOff: [0, 0],
    repeat: [0, 0],
    intervals: {},
    regulars: [0, 0],
    lapsedRegulars: [0, 0],
    undeterminedRegularity: 0,
  };
}

const tally = (t: Tally, revenue: number) => {
  t[0] += 1;
  t[1] += revenue;
};

/** Adds one stored customer to the partial, as of the partial's instant (mutates it; the pass's hot loop). */
export function accumulateShape(partial: ShapePartial, customer: Customer): void {
  const facts = purchasesAsOf(customer, partial.asOf);
  if (!facts) {
    partial.prospects += 1;
    return;
  }
  if (customer.currency !== partial.currency) {
    partial.skippedOtherCurrency += 1;
    return;
  }
  const revenue = Math.max(0, facts.revenueMinor);
  const recency = recencyKey(dayNumber(partial.asOf) - facts.lastDay);
  const orders = orderCountKey(facts.orders);
  partial.buyers += 1;
  if (facts.estimated) partial.estimated += 1;
  addCount(partial.recency, recency);
  addCount(partial.orders, orders);
  addRevenue(partial.revenue, revenue);
  const cell = jointKey(partial.cellLevel, recency, orders, revenueBucket(revenue));
  const into = partial.cells[cell];
  if (into) tally(into, revenue);
  else {
    partial.cells[cell] = [1, revenue];
    cellCounts.set(partial, cellCount(partial) + 1);
    fitCells(partial);
  }
  if (facts.orders === 1) {
    tally(partial.oneOff, revenue);
    return;
  }
  tally(partial.repeat, revenue);
  const meanGap = (facts.lastDay - facts.firstDay) / (facts.orders - 1);
  addCount(partial.intervals, Math.floor(meanGap));
  const regularity = regularityOf(facts, meanGap, dayNumber(partial.asOf) - facts.lastDay);
  if (regularity === 'on_schedule') tally(partial.regulars, revenue);
  else if (regularity === 'lapsed') tally(partial.lapsedRegulars, revenue);
  else if (regularity === 'undetermined') partial.undeterminedRegularity += 1;
}

/** Whether a repeat buyer is a subscription-like regular (see the module comment). */
export function regularityOf(
  facts: PurchasesAsOf,
  meanGap: number,
  recencyDays: number,
): 'on_schedule' | 'lapsed' | 'irregular' | 'undetermined' {
  if (facts.orders < REGULAR_MIN_ORDERS) return 'irregular';
  const days = facts.purchaseDays;
  if (!days) return 'undetermined';
  if (meanGap < REGULAR_MIN_MEAN_DAYS) return 'irregular';
  let squares = 0;
  for (let i = 1; i < days.length; i++) squares += ((days[i] ?? 0) - (days[i - 1] ?? 0) - meanGap) ** 2;
  const variation = Math.sqrt(squares / (days.length - 1)) / meanGap;
  if (variation > REGULAR_MAX_VARIATION) return 'irregular';
  return recencyDays <= REGULAR_LAPSE_FACTOR * meanGap ? 'on_schedule' : 'lapsed';
}

const addTally = (a: Tally, b: Tally): Tally => [a[0] + b[0], a[1] + b[1]];

// Cells per partial, so the hot loop need not count an object's keys; recounted for a partial read from storage.
const cellCounts = new WeakMap<ShapePartial, number>();
const cellCount = (partial: ShapePartial) => cellCounts.get(partial) ?? Object.keys(partial.cells).length;

/** Re-keys the joint table at a coarser level: the same table as keying every customer at that level. */
function coarsenCells(partial: ShapePartial, level: number): void {
  if (level <= partial.cellLevel) return;
  const cells: ShapePartial['cells'] = {};
  for (const [key, t] of Object.entries(partial.cells)) {
    const to = coarsenJointKey(key, partial.cellLevel, level);
    cells[to] = addTally(cells[to] ?? [0, 0], t);
  }
  partial.cells = cells;
  partial.cellLevel = level;
  cellCounts.set(partial, Object.keys(cells).length);
}

/** Coarsens the joint table until it has at most MAX_JOINT_CELLS cells. */
function fitCells(partial: ShapePartial): void {
  while (cellCount(partial) > MAX_JOINT_CELLS && partial.cellLevel < MAX_JOINT_LEVEL) {
    coarsenCells(partial, partial.cellLevel + 1);
  }
}

/** Merges two partials of the same run into a new one; equal to accumulating both inputs in one pass. */
export function mergeShapePartials(a: ShapePartial, b: ShapePartial): ShapePartial {
  if (a.asOf !== b.asOf || a.currency !== b.currency) throw new Error('cannot merge base shapes of different runs');
  const merged: ShapePartial = structuredClone(a);
  const other: ShapePartial = structuredClone(b);
  coarsenCells(merged, other.cellLevel);
  coarsenCells(other, merged.cellLevel);
  merged.buyers += b.buyers;
  merged.prospects += b.prospects;
  merged.skippedOtherCurrency += b.skippedOtherCurrency;
  merged.estimated += b.estimated;
  mergeCounts(merged.recency, b.recency);
  mergeCounts(merged.orders, b.orders);
  mergeRevenue(merged.revenue, b.revenue);
  for (const [key, t] of Object.entries(other.cells)) merged.cells[key] = addTally(merged.cells[key] ?? [0, 0], t);
  cellCounts.delete(merged);
  fitCells(merged);
  merged.oneOff = addTally(merged.oneOff, b.oneOff);
  merged.repeat = addTally(merged.repeat, b.repeat);
  mergeCounts(merged.intervals, b.intervals);
  merged.regulars = addTally(merged.regulars, b.regulars);
  merged.lapsedRegulars = addTally(merged.lapsedRegulars, b.lapsedRegulars);
  merged.undeterminedRegularity += b.undeterminedRegularity;
  return merged;
}

/** The stored base shape of the merged partial (what the snapshot keeps and the report renders). */
export function finalizeShape(partial: ShapePartial): BaseShape {
  const revenueBuckets = ascending(partial.revenue).map(([, bucket]) => bucket);
  const revenueMinor = revenueBuckets.reduce((sum, [, s]) => sum + s, 0);
  const group = (t: Tally) => groupOf(t[0], t[1], partial.buyers, revenueMinor);
  const concentration = concentrationOf(revenueBuckets);
  return {
    asOf: partial.asOf,
    currency: partial.currency,
    buyers: partial.buyers,
    prospects: partial.prospects,
    skippedOtherCurrency: partial.skippedOtherCurrency,
    estimatedCustomers: partial.estimated,
    revenueMinor,
    rfm: rfmOf(partial, revenueMinor),
    concentration: {
      top: concentration.top.map(({ percent, customers, value, low, high }) => ({
        percent,
        customers,
        share: value,
        low,
        high,
      })),
      gini: concentration.gini,
      verdict: concentration.verdict,
    },
    repeat: { oneOff: group(partial.oneOff), repeat: group(partial.repeat) },
    intervals: intervalDistribution(partial.intervals),
    regulars: {
      onSchedule: group(partial.regulars),
      lapsed: group(partial.lapsedRegulars),
      undetermined: partial.undeterminedRegularity,
    },
  };
}

/** Convenience single pass over customers (tests, small bases). */
export function computeShape(customers: Iterable<Customer>, asOf: string, currency: string): BaseShape {
  const partial = emptyShapePartial(asOf, currency);
  for (const customer of customers) accumulateShape(partial, customer);
  return finalizeShape(partial);
}

export { type BaseShape, BaseShapeSchema } from './base-shape-finalize.ts';
export { compareShapes, type ShapeMovement } from './base-shape-movement.ts';
