/**
 * The interval estimates the campaign results use, pure: Wilson score intervals for a rate, Newcombe's hybrid score
 * interval for a difference of two rates (method 10; checked against the published examples and statsmodels), and
 * Welch's normal-approximation interval for a difference of two means (revenue per enrolled customer).
 */
export interface RateWithInterval {
  n: number;
  converted: number;
  rate: number | null;
  /** 95% Wilson score interval */
  low: number | null;
  high: number | null;
}

export interface UpliftEstimate {
  treated: RateWithInterval;
  holdout: RateWithInterval;
  /** treated rate - holdout rate (absolute, in rate units) */
  uplift: number | null;
  low: number | null;
  high: number | null;
  method: string;
}

const Z = 1.959963984540054;
export const UPLIFT_METHOD = 'Newcombe hybrid score interval (method 10) from Wilson 95% intervals';
export const REVENUE_METHOD =
  'Welch unequal-variance standard error, normal approximation (z = 1.96); 95% interval of the difference in means';

/** Wilson score interval for x successes in n trials. */
export function wilson(x: number, n: number, z = Z): { low: number; high: number } | null {
  if (n === 0) return null;
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

function rate(converted: number, n: number): RateWithInterval {
  const interval = wilson(converted, n);
  return { n, converted, rate: n ? converted / n : null, low: interval?.low ?? null, high: interval?.high ?? null };
}

/** The rate and its interval when there is one (a group of at least one customer). */
function estimated(r: RateWithInterval): { rate: number; low: number; high: number } | undefined {
  return r.rate === null || r.low === null || r.high === null ? undefined : { rate: r.rate, low: r.low, high: r.high };
}

/** Newcombe's method 10: CI of p1 - p2 from the two Wilson intervals. */
export function uplift(
  treatedConverted: number,
  treatedN: number,
  holdoutConverted: number,
  holdoutN: number,
): UpliftEstimate {
  const treated = rate(treatedConverted, treatedN);
  const holdout = rate(holdoutConverted, holdoutN);
  const t = estimated(treated);
  const h = estimated(holdout);
  if (!t || !h) return { treated, holdout, uplift: null, low: null, high: null, method: UPLIFT_METHOD };
  const { rate: p1, low: l1, high: u1 } = t;
  const { rate: p2, low: l2, high: u2 } = h;
  const d = p1 - p2;
  return {
    treated,
    holdout,
    uplift: d,
    low: d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    method: UPLIFT_METHOD,
  };
}

/** Mean and sample variance (Welford: no sum of squares, which would lose precision on large amounts). */
export function moments(values: readonly number[]): { mean: number | null; variance: number | null } {
  let mean = 0;
  let m2 = 0;
  for (const [i, v] of values.entries()) {
    const delta = v - mean;
    mean += delta / (i + 1);
    m2 += delta * (v - mean);
  }
  const n = values.length;
  return { mean: n ? mean : null, variance: n > 1 ? m2 / (n - 1) : null };
}

/** Difference of two means with Welch's standard error and the normal quantile; null below 2 per group. */
export function meanDifference(
  treated: readonly number[],
  holdout: readonly number[],
  z = Z,
): { difference: number; low: number; high: number } | null {
  const t = moments(treated);
  const h = moments(holdout);
  if (t.mean === null || h.mean === null || t.variance === null || h.variance === null) return null;
  const difference = t.mean - h.mean;
  const se = Math.sqrt(t.variance / treated.length + h.variance / holdout.length);
  return { difference, low: difference - z * se, high: difference + z * se };
}
