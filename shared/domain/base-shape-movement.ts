import type { BaseShape } from './base-shape-finalize.ts';
import { SEGMENTS, type Segment } from './rfm.ts';

/** Movement since the last report: segment sizes and revenue shares then and now, and the headline figures. */
export interface ShapeMovement {
  previousAsOf: string;
  currentAsOf: string;
  buyers: { before: number; now: number; change: number };
  prospects: { before: number; now: number; change: number };
  segments: {
    segment: Segment;
    before: number;
    now: number;
    change: number;
    /** share of buyers, then and now */
    shareBefore: number;
    shareNow: number;
    revenueShareBefore: number;
    revenueShareNow: number;
  }[];
  /** revenue share of the top 10% of buyers, then and now */
  top10: { before: number | null; now: number | null };
  gini: { before: number | null; now: number | null };
  repeatShare: { before: number; now: number };
}

const change = (before: number, now: number) => ({ before, now, change: now - before });

export function compareShapes(previous: BaseShape, current: BaseShape): ShapeMovement {
  const segmentOfShape = (shape: BaseShape, segment: Segment) => shape.rfm.segments.find((s) => s.segment === segment);
  const top10 = (shape: BaseShape) =>
    shape.buyers > 0 ? (shape.concentration.top.find((t) => t.percent === 10)?.share ?? null) : null;
  return {
    previousAsOf: previous.asOf,
    currentAsOf: current.asOf,
    buyers: change(previous.buyers, current.buyers),
    prospects: change(previous.prospects, current.prospects),
    segments: SEGMENTS.map((segment) => {
      const before = segmentOfShape(previous, segment);
      const now = segmentOfShape(current, segment);
      return {
        segment,
        ...change(before?.customers ?? 0, now?.customers ?? 0),
        shareBefore: before?.share ?? 0,
        shareNow: now?.share ?? 0,
        revenueShareBefore: before?.revenueShare ?? 0,
        revenueShareNow: now?.revenueShare ?? 0,
      };
    }),
    top10: { before: top10(previous), now: top10(current) },
    gini: { before: previous.concentration.gini?.value ?? null, now: current.concentration.gini?.value ?? null },
    repeatShare: { before: previous.repeat.repeat.share, now: current.repeat.repeat.share },
  };
}
