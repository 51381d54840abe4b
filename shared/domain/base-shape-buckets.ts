import * as z from 'zod';

/**
 * Bounded-memory distributions for the base-shape pass. Written here rather than taken from a sketch library
 * (t-digest, DDSketch) because none is a dependency of this project and these need less than a sketch: recency
 * and order counts are small integers, kept exactly, and revenue needs only a log-bucketed histogram whose
 * buckets also carry their exact sum, minimum and maximum, so every revenue total stays exact and every share
 * computed from them comes with a proven error bound.
 *
 *  - recency (whole days since the last purchase): exact per day up to MAX_RECENCY_DAYS, beyond it one bucket;
 *  - order count: exact up to MAX_ORDER_COUNT, beyond it one bucket;
 *  - revenue (minor units): exact per unit up to EXACT_REVENUE_UNITS, then buckets 1% wide (each bucket's
 *    upper bound is 1.01 × its lower bound), at most ~2,800 buckets for any safe integer.
 */

export const MAX_RECENCY_DAYS = 3_650;
export const MAX_ORDER_COUNT = 1_000;
export const EXACT_REVENUE_UNITS = 100;
export const REVENUE_BUCKET_GROWTH = 1.01;

const count = z.number().int().nonnegative();

/** value (as a string key) → customers */
export const CountHistogramSchema = z.record(z.string().regex(/^\d+$/), count);
export type CountHistogram = z.infer<typeof CountHistogramSchema>;

/** A revenue bucket: [customers, revenue sum, smallest value, largest value] (minor units, exact). */
export const RevenueBucketSchema = z.tuple([count, z.number().int(), z.number().int(), z.number().int()]);
export type RevenueBucket = z.infer<typeof RevenueBucketSchema>;
/** bucket index (as a string key) → bucket */
export const RevenueHistogramSchema = z.record(z.string().regex(/^\d+$/), RevenueBucketSchema);
export type RevenueHistogram = z.infer<typeof RevenueHistogramSchema>;

export const recencyKey = (days: number): number => Math.min(MAX_RECENCY_DAYS, Math.max(0, days));
export const orderCountKey = (orders: number): number => Math.min(MAX_ORDER_COUNT, orders);

const LOG_GROWTH = Math.log(REVENUE_BUCKET_GROWTH);

/**
 * The revenue bucket of a customer's revenue: 0 for none (or a net refund, counted as 0 in the shares), the value
 * itself up to EXACT_REVENUE_UNITS, then 1%-wide logarithmic buckets. Monotone in the value, which is all the
 * shares and the Gini need; the exact edges do not matter because each bucket records its own minimum and maximum.
 */
export function revenueBucket(revenueMinor: number): number {
  if (revenueMinor <= 0) return 0;
  if (revenueMinor <= EXACT_REVENUE_UNITS) return revenueMinor;
  return EXACT_REVENUE_UNITS + Math.ceil(Math.log(revenueMinor / EXACT_REVENUE_UNITS) / LOG_GROWTH);
}

export function addCount(histogram: CountHistogram, key: number, n = 1): void {
  histogram[key] = (histogram[key] ?? 0) + n;
}

export function addRevenue(histogram: RevenueHistogram, revenueMinor: number): void {
  const value = Math.max(0, revenueMinor);
  const key = revenueBucket(value);
  const bucket = histogram[key];
  if (!bucket) histogram[key] = [1, value, value, value];
  else {
    bucket[0] += 1;
    bucket[1] += value;
    bucket[2] = Math.min(bucket[2], value);
    bucket[3] = Math.max(bucket[3], value);
  }
}

export function mergeCounts(into: CountHistogram, from: CountHistogram): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

export function mergeRevenue(into: RevenueHistogram, from: RevenueHistogram): void {
  for (const [key, [n, sum, min, max]] of Object.entries(from)) {
    const bucket = into[key];
    if (!bucket) into[key] = [n, sum, min, max];
    else into[key] = [bucket[0] + n, bucket[1] + sum, Math.min(bucket[2], min), Math.max(bucket[3], max)];
  }
}

/** Histogram entries as [numeric key, value], ascending by key. */
export function ascending<T>(histogram: Record<string, T>): [number, T][] {
  return Object.entries(histogram)
    .map(([key, value]): [number, T] => [Number(key), value])
    .sort(([a], [b]) => a - b);
}

/**
 * The joint (recency × orders × revenue) table behind the RFM segment sizes. Kept at full resolution (days, order
 * counts, 1% revenue buckets) while it has at most MAX_JOINT_CELLS cells; beyond that it is coarsened one level at a
 * time, each level halving the resolution of every axis (recency and revenue bucket: key >> level; orders: 1–4
 * exact, above that groups of 2^level), until it fits. The level a base ends at is the smallest whose table fits,
 * whatever the split into segments and the merge order (coarsening never adds cells, and every level is a function
 * of the full-resolution key), so segmented passes give exactly the single-pass result. CDNOW's 23,570 buyers fill
 * 18,272 cells at level 0 and 15,008 at level 1 (~90 KB gzipped): it ends at level 1.
 */
export const MAX_JOINT_CELLS = 16_384;
export const MAX_JOINT_LEVEL = 16;

export function recencyGroup(level: number, key: number): number {
  return key >> level;
}
export function ordersGroup(level: number, key: number): number {
  return key <= 4 ? key : 5 + ((key - 5) >> level);
}
export function revenueGroup(level: number, bucket: number): number {
  return bucket >> level;
}

export function jointKey(level: number, recency: number, orders: number, bucket: number): string {
  return `${recencyGroup(level, recency)}.${ordersGroup(level, orders)}.${revenueGroup(level, bucket)}`;
}

/** A joint key at `from` re-keyed at the coarser level `to`: the same as keying the full-resolution values at `to`. */
export function coarsenJointKey(key: string, from: number, to: number): string {
  const [r, o, m] = key.split('.').map(Number) as [number, number, number];
  const shift = to - from;
  return `${r >> shift}.${o <= 4 ? o : 5 + ((o - 5) >> shift)}.${m >> shift}`;
}
