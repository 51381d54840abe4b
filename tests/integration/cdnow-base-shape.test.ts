import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  accumulateShape,
  type BaseShape,
  BaseShapeSchema,
  emptyShapePartial,
  finalizeShape,
  mergeShapePartials,
  type ShapePartial,
} from '../../shared/domain/base-shape.ts';
import { type Score, SEGMENTS, segmentOf } from '../../shared/domain/rfm.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow } from '../../shared/import/parse-files.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { freshEnv, useLocalAws } from '../helpers/local-aws.ts';

const FILE = new URL('../../data/cdnow/CDNOW_master.txt', import.meta.url).pathname;
const SEGMENT_COUNT = 4;

interface Row {
  id: string;
  day: number; // days since 1970-01-01
  ymd: string; // YYYYMMDD
  cents: number;
}

const dayOf = (ymd: string) =>
  Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6))) / 86_400_000;

/** The raw file as rows, with plain string handling: independent of the importer and the stored aggregates. */
async function rawRows(): Promise<Row[]> {
  const lines = (await readFile(FILE, 'utf8')).trim().split('\n').slice(1);
  return lines.map((line) => {
    const [id, ymd, , dollars] = line.trim().split(/\s+/) as [string, string, string, string];
    return { id, ymd, day: dayOf(ymd), cents: Math.round(Number(dollars) * 100) };
  });
}

/** score = min(5, 1 + ⌊5 × (buyers strictly behind) / buyers⌋), by sorting the raw values. */
function exactScores(values: number[], higherIsBetter: boolean): Score[] {
  const sorted = [...values].sort((a, b) => a - b);
  const strictlyBelow = (v: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] ?? 0) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const strictlyAbove = (v: number) => sorted.length - strictlyBelow(v + 1);
  return values.map(
    (v) =>
      Math.min(
        5,
        1 + Math.floor((5 * (higherIsBetter ? strictlyBelow(v) : strictlyAbove(v))) / values.length),
      ) as Score,
  );
}

/** Every figure the shape checks, derived from the raw rows up to the end of `asOfYmd`. */
function expectedFromRaw(rows: Row[], asOfYmd: string) {
  const asOfDay = dayOf(asOfYmd);
  const month = asOfYmd.slice(0, 6);
  const byCustomer = new Map<string, Row[]>();
  for (const row of rows) byCustomer.set(row.id, [...(byCustomer.get(row.id) ?? []), row]);
  const buyers: { orders: number; cents: number; first: number; last: number; days: number[]; busyMonth: boolean }[] =
    [];
  let straddlers = 0;
  let straddleCents = 0;
  for (const list of byCustomer.values()) {
    const before = list.filter((r) => r.day <= asOfDay);
    const inMonth = list.filter((r) => r.ymd.startsWith(month));
    if (inMonth.some((r) => r.day <= asOfDay) && inMonth.some((r) => r.day > asOfDay)) {
      straddlers += 1;
      straddleCents += inMonth.reduce((sum, r) => sum + r.cents, 0);
    }
    if (before.length === 0) continue;
    const days = before.map((r) => r.day).sort((a, b) => a - b);
    const perMonth = new Map<string, number>();
    for (const r of before) perMonth.set(r.ymd.slice(0, 6), (perMonth.get(r.ymd.slice(0, 6)) ?? 0) + 1);
    buyers.push({
      orders: before.length,
      cents: before.reduce((sum, r) => sum + r.cents, 0),
      first: days[0] ?? 0,
      last: days[days.length - 1] ?? 0,
      days,
      busyMonth: [...perMonth.values()].some((n) => n >= 3),
    });
  }
  const n = buyers.length;
  const total = buyers.reduce((sum, b) => sum + b.cents, 0);
  const sorted = buyers.map((b) => b.cents).sort((a, b) => a - b);
  const top = (percent: number) =>
    sorted.slice(n - Math.max(1, Math.ceil((percent / 100) * n))).reduce((a, b) => a + b, 0) / total;
  const gini = (2 * sorted.reduce((sum, x, i) => sum + (i + 1) * x, 0)) / (n * total) - (n + 1) / n;
  const r = exactScores(
    buyers.map((b) => asOfDay - b.last),
    false,
  );
  const f = exactScores(
    buyers.map((b) => b.orders),
    true,
  );
  const m = exactScores(
    buyers.map((b) => b.cents),
    true,
  );
  const segments = new Map<string, number>();
  buyers.forEach((_, i) => {
    const s = segmentOf(r[i] ?? 1, f[i] ?? 1, m[i] ?? 1);
    segments.set(s, (segments.get(s) ?? 0) + 1);
  });
  const regular = { onSchedule: 0, lapsed: 0, undetermined: 0 };
  const gapBuckets = new Map<number, number>();
  for (const b of buyers) {
    if (b.orders < 2) continue;
    const mean = (b.last - b.first) / (b.orders - 1);
    const edge = [365, 180, 90, 60, 30, 14, 7, 0].find((e) => Math.floor(mean) >= e) ?? 0;
    gapBuckets.set(edge, (gapBuckets.get(edge) ?? 0) + 1);
    if (b.orders < 4) continue;
    if (b.busyMonth) {
      regular.undetermined += 1;
      continue;
    }
    const gaps = b.days.slice(1).map((d, i) => d - (b.days[i] ?? 0));
    const sd = Math.sqrt(gaps.reduce((sum, g) => sum + (g - mean) ** 2, 0) / gaps.length);
    if (mean < 7 || sd / mean > 0.15) continue;
    if (asOfDay - b.last <= 2 * mean) regular.onSchedule += 1;
    else regular.lapsed += 1;
  }
  return {
    buyers: n,
    prospects: byCustomer.size - n,
    total,
    oneOff: buyers.filter((b) => b.orders === 1).length,
    oneOffCents: buyers.filter((b) => b.orders === 1).reduce((sum, b) => sum + b.cents, 0),
    top: [top(1), top(10), top(20)],
    gini,
    segments,
    recencyScores: [1, 2, 3, 4, 5].map((s) => r.filter((x) => x === s).length),
    frequencyScores: [1, 2, 3, 4, 5].map((s) => f.filter((x) => x === s).length),
    regular,
    gapBuckets,
    straddlers,
    straddleCents,
  };
}

const aws = useLocalAws();

describe('the base shape of the real CDNOW data set', () => {
  it('matches figures derived from the raw file: exactly where the summary is exact, within its bounds elsewhere', {
    timeout: 600_000,
  }, async () => {
    const rows = await rawRows();
    const env = await freshEnv(aws, 8);
    const parsed = await parseCdnow(FILE, { now: '2026-01-01T00:00:00.000Z' });
    expect(parsed.rejected).toEqual([]);
    await importCustomers(
      { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
      { profiles: [], orders: parsed.records, asOf: endOfDay('1998-06-30'), now: '2026-01-01T00:00:00.000Z' },
    );

    // The full pass: one partial per scan segment for each as-of date, merged at the end.
    const dates = ['1998-06-30', '1997-02-15'] as const;
    const partials: ShapePartial[][] = dates.map(() => []);
    for (let segment = 0; segment < SEGMENT_COUNT; segment++) {
      const own = dates.map((d) => emptyShapePartial(endOfDay(d), 'USD'));
      for await (const page of env.stores.customers.scan({ segment, totalSegments: SEGMENT_COUNT })) {
        expect(page.invalid).toEqual([]);
        for (const customer of page.items) for (const partial of own) accumulateShape(partial, customer);
      }
      own.forEach((p, i) => {
        partials[i]?.push(p);
      });
    }
    const shapes: BaseShape[] = [];
    for (const [i, date] of dates.entries()) {
      const merged = (partials[i] ?? []).reduce((a, b) => mergeShapePartials(a, b));
      const checkpointBytes = gzipSync(JSON.stringify(merged)).length;
      expect(checkpointBytes).toBeLessThan(150_000);
      const shape = BaseShapeSchema.parse(finalizeShape(merged));
      shapes.push(shape);
      const want = expectedFromRaw(rows, date.replaceAll('-', ''));
      const exactAsOf = want.straddlers === 0;

      expect(shape.buyers).toBe(want.buyers);
      expect(shape.prospects).toBe(want.prospects);
      expect(shape.estimatedCustomers).toBe(want.straddlers);
      // Revenue and shares: exact when no month straddles the as-of day, else within the straddling months' revenue.
      const revenueSlack = exactAsOf ? 0 : want.straddleCents;
      expect(Math.abs(shape.revenueMinor - want.total)).toBeLessThanOrEqual(revenueSlack);
      const shareSlack = (2 * revenueSlack) / want.total + 1e-12;
      shape.concentration.top.forEach((t, k) => {
        const exact = want.top[k] ?? 0;
        expect(exact).toBeGreaterThanOrEqual(t.low - shareSlack);
        expect(exact).toBeLessThanOrEqual(t.high + shareSlack);
      });
      const gini = shape.concentration.gini;
      expect(want.gini).toBeGreaterThanOrEqual((gini?.low ?? 0) - shareSlack);
      expect(want.gini).toBeLessThanOrEqual((gini?.high ?? 0) + shareSlack);
      expect(shape.concentration.verdict).toBe(want.gini >= 0.6 ? 'tall' : 'broad');
      expect(Math.abs(shape.repeat.oneOff.customers - want.oneOff)).toBeLessThanOrEqual(want.straddlers);

      // Segment sizes: every buyer off its full-resolution segment moves two counts by one.
      const offBy = SEGMENTS.reduce(
        (sum, s) =>
          sum +
          Math.abs((shape.rfm.segments.find((x) => x.segment === s)?.customers ?? 0) - (want.segments.get(s) ?? 0)),
        0,
      );
      if (exactAsOf) {
        expect(shape.repeat.oneOff.revenueMinor).toBe(want.oneOffCents);
        expect(shape.rfm.scores.recency.map((s) => s.customers)).toEqual(want.recencyScores);
        expect(shape.rfm.scores.frequency.map((s) => s.customers)).toEqual(want.frequencyScores);
        expect(shape.regulars.onSchedule.customers).toBe(want.regular.onSchedule);
        expect(shape.regulars.lapsed.customers).toBe(want.regular.lapsed);
        expect(shape.regulars.undetermined).toBe(want.regular.undetermined);
        expect(shape.intervals.buckets.map((b) => b.customers)).toEqual(
          shape.intervals.buckets.map((b) => want.gapBuckets.get(b.fromDays) ?? 0),
        );
        expect(offBy).toBeLessThanOrEqual(2 * shape.rfm.uncertainCustomers);
      }
      const figures = {
        asOf: date,
        buyers: shape.buyers,
        prospects: shape.prospects,
        estimated: shape.estimatedCustomers,
        top: shape.concentration.top.map((t) => ({
          percent: t.percent,
          share: t.share,
          exact: want.top[shape.concentration.top.indexOf(t)],
        })),
        gini: gini?.value,
        giniExact: want.gini,
        verdict: shape.concentration.verdict,
        segments: Object.fromEntries(
          shape.rfm.segments.map((s) => [s.segment, [s.customers, want.segments.get(s.segment) ?? 0]]),
        ),
        segmentsOffBy: offBy,
        uncertain: shape.rfm.uncertainCustomers,
        oneOff: [shape.repeat.oneOff.customers, want.oneOff],
        regulars: shape.regulars,
        medianGapDays: shape.intervals.medianDays,
        checkpointBytes,
        cellLevel: merged.cellLevel,
      };
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync(join('test-artifacts', `cdnow-base-shape-${date}.json`), `${JSON.stringify(figures, null, 2)}\n`);
    }
    // What the report would show for the week after (movement) renders from the two stored shapes.
    writeFileSync(join('test-artifacts', 'cdnow-base-shapes.json'), `${JSON.stringify(shapes)}\n`);
  });
});
