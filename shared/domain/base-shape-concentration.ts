import type { RevenueBucket } from './base-shape-buckets.ts';

/**
 * Revenue concentration from the revenue histogram (buckets ascending, each with its exact count, sum, minimum and
 * maximum). Customers with no revenue, or a net refund, count as 0.
 *
 *  - Top-p share: revenue of the ⌈p × buyers⌉ biggest buyers / all revenue. Whole buckets are exact; only the one
 *    bucket the cut falls in is split, and the revenue of its biggest t members is bounded by what its count, sum,
 *    minimum and maximum allow. The figure is the middle of that range; `low` and `high` are its ends (equal when
 *    the cut falls between buckets or in a bucket of equal values).
 *  - Gini (population): Σ over pairs |xᵢ − xⱼ| / (buyers × revenue), 0 when everyone spends the same, → 1 when one
 *    buyer brings everything. Pairs in different buckets are exact (every value of a higher bucket is at least every
 *    value of a lower one: Σ = count_low × sum_high − count_high × sum_low); within a bucket of n values spread over
 *    width w the pair sum lies between (n − 1) × w and ⌊n/2⌋⌈n/2⌉ × w, so the Gini is a proven range, reported as
 *    its middle. With 1%-wide buckets the range is a fraction of a percentage point.
 *  - Verdict: "tall" when the Gini is at least TALL_GINI (0.6), else "broad". At 0.6 revenue rests on a minority:
 *    in a log-normal base of that Gini the top fifth of buyers brings about two thirds of revenue; well below it,
 *    many small buyers carry the base.
 */

export const TALL_GINI = 0.6;
export const TOP_PERCENTS = [1, 10, 20] as const;

export interface Bounded {
  value: number;
  low: number;
  high: number;
}

export interface TopShare extends Bounded {
  percent: number;
  customers: number;
}

export interface Concentration {
  top: TopShare[];
  gini: Bounded | null;
  verdict: 'broad' | 'tall' | null;
}

const middle = (low: number, high: number): Bounded => ({ value: (low + high) / 2, low, high });

export function concentrationOf(buckets: readonly RevenueBucket[]): Concentration {
  const buyers = buckets.reduce((sum, [n]) => sum + n, 0);
  const revenue = buckets.reduce((sum, [, s]) => sum + s, 0);
  if (buyers === 0 || revenue <= 0) {
    return {
      top: TOP_PERCENTS.map((percent) => ({ percent, customers: 0, value: 0, low: 0, high: 0 })),
      gini: null,
      verdict: null,
    };
  }
  const top = TOP_PERCENTS.map((percent) => {
    const customers = Math.max(1, Math.ceil((percent / 100) * buyers));
    const { low, high } = topRevenue(buckets, customers);
    return { percent, customers, ...middle(low / revenue, high / revenue) };
  });
  const gini = giniOf(buckets, buyers, revenue);
  return { top, gini, verdict: gini.value >= TALL_GINI ? 'tall' : 'broad' };
}

/** Bounds on the revenue of the `k` biggest buyers. */
function topRevenue(buckets: readonly RevenueBucket[], k: number): { low: number; high: number } {
  let remaining = k;
  let low = 0;
  let high = 0;
  for (let i = buckets.length - 1; i >= 0 && remaining > 0; i--) {
    const bucket = buckets[i];
    if (!bucket) continue;
    const [n, sum, min, max] = bucket;
    if (n <= remaining) {
      low += sum;
      high += sum;
      remaining -= n;
      continue;
    }
    const t = remaining;
    // The t biggest of n values: at least their mean share and at least what the n − t others (each ≤ max) leave;
    // at most t × max and at most what the others (each ≥ min) leave.
    low += Math.max((t * sum) / n, sum - (n - t) * max);
    high += Math.min(t * max, sum - (n - t) * min);
    remaining = 0;
  }
  return { low, high };
}

function giniOf(buckets: readonly RevenueBucket[], buyers: number, revenue: number): Bounded {
  let countBefore = 0;
  let sumBefore = 0;
  let between = 0;
  let withinLow = 0;
  let withinHigh = 0;
  for (const [n, sum, min, max] of buckets) {
    between += countBefore * sum - n * sumBefore;
    const width = max - min;
    withinLow += n > 1 ? (n - 1) * width : 0;
    withinHigh += Math.floor(n / 2) * Math.ceil(n / 2) * width;
    countBefore += n;
    sumBefore += sum;
  }
  const scale = buyers * revenue;
  return middle((between + withinLow) / scale, (between + withinHigh) / scale);
}
