import * as z from 'zod';

/**
 * RFM value segments.
 *
 * Scores. Each buyer gets a recency (R), frequency (F) and monetary (M) score from 1 to 5 by quintile: the score is
 * 1 + the number of whole fifths of all buyers that are strictly behind them (bought longer ago for R, fewer
 * orders for F, less revenue for M), capped at 5: score = min(5, 1 + ⌊5 × behind / buyers⌋). Equal values get equal
 * scores, so a large tie takes one score (in CDNOW the half of buyers with one order all get F = 1) and the
 * groups are as equal as the ties allow. Deterministic, and independent of the order customers are read in.
 *
 * Segments. The named groups and their score ranges follow Putler's RFM segment table (putler.com/rfm-analysis:
 * R against the mean of F and M), whose ranges overlap and give hibernating and lost the same range; here every
 * cell of the R × FM grid (FM = (F + M) / 2 rounded half up) has exactly one segment, overlaps resolved towards
 * the narrower group and lost split from hibernating by recency:
 *
 *        FM=1            FM=2              FM=3              FM=4        FM=5
 *   R=5  new             potential loyal.  loyal             champions   champions
 *   R=4  promising       potential loyal.  loyal             champions   champions
 *   R=3  about to sleep  need attention    need attention    loyal       loyal
 *   R=2  hibernating     hibernating       at risk           at risk     at risk
 *   R=1  lost            lost              at risk           can't lose  can't lose
 */

export const SEGMENTS = [
  'champions',
  'loyal',
  'potential_loyalists',
  'new',
  'promising',
  'need_attention',
  'about_to_sleep',
  'at_risk',
  'cant_lose',
  'hibernating',
  'lost',
] as const;
export const SegmentSchema = z.enum(SEGMENTS);
export type Segment = z.infer<typeof SegmentSchema>;

export const ScoreSchema = z.number().int().min(1).max(5);
export type Score = 1 | 2 | 3 | 4 | 5;

/** SEGMENT_GRID[5 - R][FM - 1], rows from R = 5 down to R = 1 (the table above). */
const SEGMENT_GRID: readonly (readonly Segment[])[] = [
  ['new', 'potential_loyalists', 'loyal', 'champions', 'champions'],
  ['promising', 'potential_loyalists', 'loyal', 'champions', 'champions'],
  ['about_to_sleep', 'need_attention', 'need_attention', 'loyal', 'loyal'],
  ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'at_risk'],
  ['lost', 'lost', 'at_risk', 'cant_lose', 'cant_lose'],
];

export function segmentOf(r: Score, f: Score, m: Score): Segment {
  const fm = Math.floor((f + m) / 2 + 0.5);
  const segment = SEGMENT_GRID[5 - r]?.[fm - 1];
  if (!segment) throw new Error(`no segment for R${r} F${f} M${m}`);
  return segment;
}

/** The quintile score of a value with `behind` of `total` buyers strictly behind it. */
export function quintileScore(behind: number, total: number): Score {
  if (total <= 0) return 1;
  return Math.min(5, 1 + Math.floor((5 * behind) / total)) as Score;
}

/**
 * Scores of every key of a distribution (`[key, customers]`, ascending by key). `higherIsBetter` false (recency in
 * days) counts as "behind" the buyers with a larger key. Also returns, per key, whether the customers under it
 * could hold different scores at full resolution: a key that stands for a range of values (`spread`) whose members'
 * "behind" counts could cross a quintile edge.
 */
export function scoreKeys(
  entries: readonly (readonly [number, number])[],
  higherIsBetter: boolean,
  spread: (key: number) => boolean = () => false,
): { scores: Map<number, Score>; uncertain: number } {
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const ordered = higherIsBetter ? entries : [...entries].reverse();
  const scores = new Map<number, Score>();
  let behind = 0;
  let uncertain = 0;
  for (const [key, n] of ordered) {
    const score = quintileScore(behind, total);
    scores.set(key, score);
    if (n > 1 && spread(key) && quintileScore(behind + n - 1, total) !== score) uncertain += n;
    behind += n;
  }
  return { scores, uncertain };
}

/** Per group of keys (a coarse index), how many customers hold each score: index 1–5 of the array. */
export function scoresByGroup(
  entries: readonly (readonly [number, number])[],
  scores: ReadonlyMap<number, Score>,
  group: (key: number) => number,
): Map<number, number[]> {
  const byGroup = new Map<number, number[]>();
  for (const [key, n] of entries) {
    const g = group(key);
    const counts = byGroup.get(g) ?? [0, 0, 0, 0, 0, 0];
    const score = scores.get(key) ?? 1;
    counts[score] = (counts[score] ?? 0) + n;
    byGroup.set(g, counts);
  }
  return byGroup;
}

/** The score distribution of one group as [score, fraction] pairs with a non-zero fraction. */
export function scoreFractions(counts: readonly number[] | undefined): [Score, number][] {
  if (!counts) return [[1, 1]];
  const total = counts.reduce((sum, n) => sum + n, 0);
  const out: [Score, number][] = [];
  for (let s = 1; s <= 5; s++) {
    const n = counts[s] ?? 0;
    if (n > 0) out.push([s as Score, n / total]);
  }
  return out.length > 0 ? out : [[1, 1]];
}

/**
 * Rounds non-negative fractional sizes to integers that add up to the rounded total (largest remainder), so the
 * segment sizes shown add up to the number of buyers.
 */
export function roundPreservingTotal(values: readonly number[]): number[] {
  const total = Math.round(values.reduce((sum, v) => sum + v, 0));
  const floors = values.map((v) => Math.floor(v + 1e-9));
  let missing = total - floors.reduce((sum, v) => sum + v, 0);
  const order = values.map((v, i) => [v - (floors[i] ?? 0), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (missing <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    missing -= 1;
  }
  return floors;
}
