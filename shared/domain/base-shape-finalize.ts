import * as z from 'zod';
import type { ShapePartial } from './base-shape.ts';
import { ascending, type CountHistogram, ordersGroup, recencyGroup, revenueGroup } from './base-shape-buckets.ts';
import { CurrencySchema } from './money.ts';
import {
  roundPreservingTotal,
  type Score,
  ScoreSchema,
  SEGMENTS,
  SegmentSchema,
  scoreFractions,
  scoreKeys,
  scoresByGroup,
  segmentOf,
} from './rfm.ts';

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

const GroupSchema = z.object({ customers: count, share, revenueMinor: z.number().nonnegative(), revenueShare: share });
export type Group = z.infer<typeof GroupSchema>;

const ScoreRangeSchema = z.object({
  score: ScoreSchema,
  customers: count,
  /** smallest and largest value holding the score: days (recency), orders (frequency), minor units (monetary) */
  min: z.number().nullable(),
  max: z.number().nullable(),
});

const BoundedShareSchema = z.object({ value: share, low: share, high: share });

/** Days-between-orders buckets of the interval distribution: [from, to) in days, the last one open. */
export const INTERVAL_EDGES = [0, 7, 14, 30, 60, 90, 180, 365] as const;

/** The stored base shape: saved with the cohort snapshot, rendered by shared/reports/base-shape-html.ts. */
export const BaseShapeSchema = z.object({
  asOf: z.string(),
  currency: CurrencySchema,
  buyers: count,
  prospects: count,
  skippedOtherCurrency: count,
  /** buyers whose as-of purchases were estimated (see base-shape-facts.ts); 0 when the run is as of now */
  estimatedCustomers: count,
  revenueMinor: z.number().int().nonnegative(),
  rfm: z.object({
    segments: z.array(GroupSchema.extend({ segment: SegmentSchema })),
    scores: z.object({
      recency: z.array(ScoreRangeSchema),
      frequency: z.array(ScoreRangeSchema),
      monetary: z.array(ScoreRangeSchema),
    }),
    /**
     * At most this many buyers may sit in another segment than full-resolution scoring would give them: those in
     * joint-table cells spanning two scores (split in proportion, see MAX_JOINT_CELLS) and those in revenue
     * buckets spanning a quintile edge. 0 means the segment sizes are exact.
     */
    uncertainCustomers: count,
  }),
  concentration: z.object({
    top: z.array(BoundedShareSchema.omit({ value: true }).extend({ percent: z.number(), customers: count, share })),
    gini: BoundedShareSchema.nullable(),
    verdict: z.enum(['broad', 'tall']).nullable(),
  }),
  repeat: z.object({ oneOff: GroupSchema, repeat: GroupSchema }),
  intervals: z.object({
    /** repeat buyers by mean days between their orders */
    buckets: z.array(z.object({ fromDays: count, toDays: count.nullable(), customers: count, share })),
    /** median of the per-buyer mean interval, whole days; null without repeat buyers */
    medianDays: count.nullable(),
  }),
  regulars: z.object({ onSchedule: GroupSchema, lapsed: GroupSchema, undetermined: count }),
});
export type BaseShape = z.infer<typeof BaseShapeSchema>;

export function groupOf(customers: number, revenueMinor: number, buyers: number, totalRevenue: number): Group {
  return {
    customers,
    share: buyers > 0 ? customers / buyers : 0,
    revenueMinor,
    revenueShare: totalRevenue > 0 ? Math.min(1, revenueMinor / totalRevenue) : 0,
  };
}

export function intervalDistribution(intervals: CountHistogram): BaseShape['intervals'] {
  const entries = ascending(intervals);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const buckets = INTERVAL_EDGES.map((fromDays, i) => {
    const toDays = INTERVAL_EDGES[i + 1] ?? null;
    const customers = entries
      .filter(([days]) => days >= fromDays && (toDays === null || days < toDays))
      .reduce((sum, [, n]) => sum + n, 0);
    return { fromDays, toDays, customers, share: total > 0 ? customers / total : 0 };
  });
  let medianDays: number | null = null;
  let seen = 0;
  for (const [days, n] of entries) {
    seen += n;
    if (seen * 2 >= total) {
      medianDays = days;
      break;
    }
  }
  return { buckets, medianDays };
}

type Entries = [number, number][];

function scoreRanges(
  entries: Entries,
  scores: ReadonlyMap<number, Score>,
  value: (key: number, edge: 'min' | 'max') => number,
) {
  return ([1, 2, 3, 4, 5] as const).map((score) => {
    const keys = entries.filter(([key]) => scores.get(key) === score);
    const first = keys[0];
    const last = keys[keys.length - 1];
    return {
      score,
      customers: keys.reduce((sum, [, n]) => sum + n, 0),
      min: first ? value(first[0], 'min') : null,
      max: last ? value(last[0], 'max') : null,
    };
  });
}

/** RFM scores and segment sizes from the partial's marginals and its coarse joint table (see rfm.ts). */
export function rfmOf(partial: ShapePartial, totalRevenue: number): BaseShape['rfm'] {
  const recency: Entries = ascending(partial.recency);
  const orders: Entries = ascending(partial.orders);
  const revenueBuckets = ascending(partial.revenue);
  const revenue: Entries = revenueBuckets.map(([key, [n]]) => [key, n]);
  const spread = new Map(revenueBuckets.map(([key, [, , min, max]]) => [key, min < max]));
  const r = scoreKeys(recency, false);
  const f = scoreKeys(orders, true);
  const m = scoreKeys(revenue, true, (key) => spread.get(key) === true);
  const level = partial.cellLevel;
  const rGroups = scoresByGroup(recency, r.scores, (key) => recencyGroup(level, key));
  const fGroups = scoresByGroup(orders, f.scores, (key) => ordersGroup(level, key));
  const mGroups = scoresByGroup(revenue, m.scores, (key) => revenueGroup(level, key));
  const sizes = new Map<string, number>();
  const revenues = new Map<string, number>();
  let uncertain = m.uncertain;
  for (const [key, [n, cellRevenue]] of Object.entries(partial.cells)) {
    const [rc, fc, mc] = key.split('.').map(Number) as [number, number, number];
    const rs = scoreFractions(rGroups.get(rc));
    const fs = scoreFractions(fGroups.get(fc));
    const ms = scoreFractions(mGroups.get(mc));
    if (rs.length > 1 || fs.length > 1 || ms.length > 1) uncertain += n;
    for (const [rScore, rp] of rs)
      for (const [fScore, fp] of fs)
        for (const [mScore, mp] of ms) {
          const segment = segmentOf(rScore, fScore, mScore);
          const p = rp * fp * mp;
          sizes.set(segment, (sizes.get(segment) ?? 0) + n * p);
          revenues.set(segment, (revenues.get(segment) ?? 0) + cellRevenue * p);
        }
  }
  const rounded = roundPreservingTotal(SEGMENTS.map((s) => sizes.get(s) ?? 0));
  const revenueRounded = roundPreservingTotal(SEGMENTS.map((s) => revenues.get(s) ?? 0));
  const revenueValue = (key: number, edge: 'min' | 'max') => {
    const bucket = partial.revenue[key];
    return bucket ? (edge === 'min' ? bucket[2] : bucket[3]) : key;
  };
  return {
    segments: SEGMENTS.map((segment, i) => ({
      segment,
      ...groupOf(rounded[i] ?? 0, revenueRounded[i] ?? 0, partial.buyers, totalRevenue),
    })),
    scores: {
      recency: scoreRanges(recency, r.scores, (key) => key),
      frequency: scoreRanges(orders, f.scores, (key) => key),
      monetary: scoreRanges(revenue, m.scores, revenueValue),
    },
    uncertainCustomers: Math.min(partial.buyers, uncertain),
  };
}
