import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accumulateShape,
  type BaseShape,
  BaseShapeSchema,
  emptyShapePartial,
  finalizeShape,
  mergeShapePartials,
  type ShapePartial,
} from '../../shared/domain/base-shape.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { type Score, SEGMENTS, segmentOf } from '../../shared/domain/rfm.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow } from '../../shared/import/parse-files.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { type ImportSummary, importCustomers } from '../../shared/jobs/import-customers.ts';
import { freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';

/*
 * The real CDNOW data set (23,570 customers, 69,659 orders), imported once for the whole file (beforeAll): the
 * import's own figures are checked by the first test, the base shape and the cohort tables are then computed from
 * the stored customers and orders and compared with figures derived from the raw file. The base shape used to be a
 * file of its own that imported the same file with the same options into a fresh table again; the import is by far
 * the longest part of both. The base shape only scans the customers and runs before the flag pass, the one step
 * here that may write them, so it reads exactly what its own import used to leave.
 */

const FILE = new URL('../../data/cdnow/CDNOW_master.txt', import.meta.url).pathname;
const AS_OF = endOfDay('1998-06-30');
const NOW = '2026-01-01T00:00:00.000Z';
const SEGMENT_COUNT = 4;

/**
 * The expected figures are derived here from the raw file with plain string handling, independently of the
 * importer, the stored aggregates and the cohort code.
 */
async function expectedFromRawFile() {
  const lines = (await readFile(FILE, 'utf8')).trim().split('\n').slice(1);
  const months = new Map<string, Set<string>>();
  const first = new Map<string, string>();
  const revenue = new Map<string, number>(); // `${cohort}|${month}` → cents
  const rows = lines.map((l) => l.trim().split(/\s+/) as [string, string, string, string]);
  for (const [id, date] of rows) {
    const month = `${date.slice(0, 4)}-${date.slice(4, 6)}`;
    if (!first.has(id) || month < (first.get(id) as string)) first.set(id, month);
    const set = months.get(id) ?? new Set<string>();
    set.add(month);
    months.set(id, set);
  }
  for (const [id, date, , dollars] of rows) {
    const key = `${first.get(id)}|${date.slice(0, 4)}-${date.slice(4, 6)}`;
    revenue.set(key, (revenue.get(key) ?? 0) + Math.round(Number(dollars) * 100));
  }
  const allMonths = Array.from(
    { length: 18 },
    (_, k) => `${k < 12 ? 1997 : 1998}-${String((k % 12) + 1).padStart(2, '0')}`,
  );
  const cohorts = new Map<string, { size: number; retained: number[]; revenue: number[] }>();
  for (const cohort of ['1997-01', '1997-02', '1997-03']) {
    const members = [...first].filter(([, m]) => m === cohort).map(([id]) => id);
    const periods = allMonths.filter((m) => m >= cohort);
    cohorts.set(cohort, {
      size: members.length,
      retained: periods.map((m) => members.filter((id) => months.get(id)?.has(m)).length),
      revenue: periods.map((m) => revenue.get(`${cohort}|${m}`) ?? 0),
    });
  }
  return { rows: rows.length, customers: first.size, cohorts };
}

type RawRow = { id: string; date: string; cents: number };

async function rawRows(): Promise<RawRow[]> {
  const lines = (await readFile(FILE, 'utf8')).trim().split('\n').slice(1);
  return lines.map((l) => {
    const [id, date, , dollars] = l.trim().split(/\s+/) as [string, string, string, string];
    return { id, date, cents: Math.round(Number(dollars) * 100) };
  });
}

const dayNumber = (yyyymmdd: string) =>
  Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8))) / 86_400_000;

/**
 * Per cohort, as of the day `asOf` (yyyymmdd), from the raw rows alone: per month up to the as-of month the
 * customers who bought, the orders and the revenue up to the as-of day; and the stage counts at the as-of day by
 * the default lifecycle policy (days since the last purchase: 60 at risk, 90 dormant, 180 lost; else one order
 * new, more active). Rows after the as-of day do not exist for this derivation.
 */
function expectedAsOf(rows: readonly RawRow[], asOf: string) {
  const upTo = rows.filter((r) => r.date <= asOf);
  const boughtAfter = new Set(rows.filter((r) => r.date > asOf).map((r) => r.id));
  const byCustomer = new Map<string, RawRow[]>();
  for (const r of upTo) byCustomer.set(r.id, [...(byCustomer.get(r.id) ?? []), r]);
  const month = (date: string) => `${date.slice(0, 4)}-${date.slice(4, 6)}`;
  const asOfMonth = month(asOf);
  const cohorts = new Map<
    string,
    {
      size: number;
      stages: Record<string, number>;
      months: Map<string, { ids: Set<string>; orders: number; revenue: number }>;
    }
  >();
  for (const [id, own] of byCustomer) {
    const first = own.reduce((a, r) => (r.date < a ? r.date : a), own[0]?.date ?? asOf);
    const last = own.reduce((a, r) => (r.date > a ? r.date : a), first);
    const cohort = cohorts.get(month(first)) ?? { size: 0, stages: {} as Record<string, number>, months: new Map() };
    cohorts.set(month(first), cohort);
    cohort.size += 1;
    const idle = dayNumber(asOf) - dayNumber(last);
    const stage =
      idle >= 180 ? 'lost' : idle >= 90 ? 'dormant' : idle >= 60 ? 'at_risk' : own.length === 1 ? 'new' : 'active';
    cohort.stages[stage] = (cohort.stages[stage] ?? 0) + 1;
    for (const r of own) {
      const m = cohort.months.get(month(r.date)) ?? { ids: new Set<string>(), orders: 0, revenue: 0 };
      cohort.months.set(month(r.date), m);
      m.ids.add(id);
      m.orders += 1;
      m.revenue += r.cents;
    }
  }
  const out = new Map<
    string,
    {
      size: number;
      stages: Record<string, number>;
      months: { month: string; retained: number; orders: number; revenue: number }[];
    }
  >();
  for (const [cohort, c] of cohorts) {
    const months: { month: string; retained: number; orders: number; revenue: number }[] = [];
    for (let m = cohort; m <= asOfMonth; m = nextMonth(m)) {
      const got = c.months.get(m);
      months.push({ month: m, retained: got?.ids.size ?? 0, orders: got?.orders ?? 0, revenue: got?.revenue ?? 0 });
    }
    const stages = Object.fromEntries(
      ['prospect', 'new', 'active', 'reactivated', 'at_risk', 'dormant', 'lost'].map((s) => [s, c.stages[s] ?? 0]),
    );
    out.set(cohort, { size: c.size, stages, months });
  }
  return {
    buyers: byCustomer.size,
    boughtAfter: [...boughtAfter].filter((id) => byCustomer.has(id)).length,
    cohorts: out,
  };
}

function nextMonth(m: string): string {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
}

interface Row {
  id: string;
  day: number; // days since 1970-01-01
  ymd: string; // YYYYMMDD
  cents: number;
}

const dayOf = (ymd: string) =>
  Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6))) / 86_400_000;

/** The raw file as rows for the base shape, by plain string handling: independent of the importer and the aggregates. */
async function shapeRows(): Promise<Row[]> {
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
function expectedShapeFromRaw(rows: Row[], asOfYmd: string) {
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

// dynalite on its own thread: the import sends ~26,000 requests with ~93,000 items through one client.
const aws = useLocalAws({ dynaliteOnWorker: true });

let env: TestEnv;
let parsed: Awaited<ReturnType<typeof parseCdnow>>;
let imported: ImportSummary;

beforeAll(async () => {
  env = await freshEnv(aws, 8);
  parsed = await parseCdnow(FILE, { now: NOW });
  imported = await importCustomers(
    { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
    { profiles: [], orders: parsed.records, asOf: AS_OF, now: NOW },
  );
}, 600_000);

describe('the real CDNOW data set', () => {
  it('imports 23,570 customers and 69,659 orders', async () => {
    const expected = await expectedFromRawFile();
    expect(parsed.rejected).toEqual([]);
    expect(parsed.records).toHaveLength(69_659);
    expect(imported.customers).toBe(23_570);
    expect(imported.createdCustomers).toBe(23_570);
    expect(imported.ordersApplied).toBe(69_659);
    expect(expected.customers).toBe(23_570);
    expect(expected.rows).toBe(69_659);
  });

  it('has the base shape derived from the raw file: exactly where the summary is exact, within its bounds elsewhere', {
    timeout: 600_000,
  }, async () => {
    const rows = await shapeRows();
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
      const want = expectedShapeFromRaw(rows, date.replaceAll('-', ''));
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
    // What the report would show for the week after (movement) renders from the two stored shapes.
    writeFileSync(join('test-artifacts', 'cdnow-base-shapes.json'), `${JSON.stringify(shapes)}\n`);
  });

  it('reproduces the cohort table computed from the raw file, as of now and as of past dates', {
    timeout: 600_000,
  }, async () => {
    const expected = await expectedFromRawFile();
    const flagged = await flagDormantFullPass(
      { customers: env.stores.customers },
      { asOf: AS_OF, policy: DEFAULT_ENGINE_CONFIG.policy, segments: 4 },
    );
    expect(flagged.scanned).toBe(23_570);

    const { report } = await churnCohorts(env.stores, {
      asOf: AS_OF,
      currency: 'USD',
      policy: DEFAULT_ENGINE_CONFIG.policy,
      segments: 4,
      generatedAt: AS_OF,
    });
    expect(report.cohorts.map((c) => c.cohort)).toEqual(['1997-01', '1997-02', '1997-03']);
    expect(report.customersWithPurchase).toBe(23_570);
    for (const row of report.cohorts) {
      const want = expected.cohorts.get(row.cohort);
      if (!want) throw new Error(`unexpected cohort ${row.cohort}`);
      expect(row.size).toBe(want.size);
      const reached = row.periods.filter((p) => p !== null);
      expect(reached.map((p) => p.retained)).toEqual(want.retained);
      expect(reached.map((p) => p.retention)).toEqual(want.retained.map((r) => r / want.size));
      expect(reached.map((p) => p.revenueMinor)).toEqual(want.revenue);
      // Periods beyond June 1998 are not reached by the later cohorts: null, not 0.
      expect(row.periods.length - reached.length).toBe(Number(row.cohort.slice(5)) - 1);
    }
    // The published sizes of the three acquisition cohorts.
    expect(report.cohorts.map((c) => c.size)).toEqual([7_846, 8_476, 7_248]);
    expect(report.baseShape?.buyers).toBe(23_570);

    // As of past dates (the first of a month, mid-month, a month's end): every figure counts purchases up to the
    // as-of day only, and the stages are those at that date, against the same derivation from the raw file.
    const raw = await rawRows();
    let june: Awaited<ReturnType<typeof churnCohorts>> | undefined;
    for (const day of ['1998-06-01', '1998-03-15', '1998-02-28']) {
      const asOf = endOfDay(day);
      const past = await churnCohorts(env.stores, {
        asOf,
        currency: 'USD',
        policy: DEFAULT_ENGINE_CONFIG.policy,
        segments: 4,
        generatedAt: asOf,
      });
      if (day === '1998-06-01') june = past;
      const want = expectedAsOf(raw, day.replaceAll('-', ''));
      expect(past.report.customersWithPurchase).toBe(want.buyers);
      // Orders are read only for the customers who bought after the as-of day.
      expect(past.ordersRead).toBe(want.boughtAfter);
      for (const row of past.report.cohorts) {
        const cohort = want.cohorts.get(row.cohort);
        if (!cohort) throw new Error(`unexpected cohort ${row.cohort} as of ${day}`);
        const reached = row.periods.filter((p) => p !== null);
        expect({ day, cohort: row.cohort, size: row.size, stages: row.stages }).toEqual({
          day,
          cohort: row.cohort,
          size: cohort.size,
          stages: cohort.stages,
        });
        expect(reached.map((p) => [p.month, p.retained, p.orders, p.revenueMinor])).toEqual(
          cohort.months.map((m) => [m.month, m.retained, m.orders, m.revenue]),
        );
        const last = reached.at(-1);
        // The as-of month is complete only when the as-of instant is its last (1998-02-28, end of day).
        expect([last?.month, last?.complete]).toEqual([day.slice(0, 7), day === '1998-02-28']);
      }
      expect(past.shape.buyers).toBe(want.buyers);
      expect(past.shape.estimatedCustomers).toBe(0);
    }
    // The figures of the adversarial review: cohort 1997-01, month 17 (June 1998) as of 1998-06-01.
    const month17 = june?.report.cohorts[0]?.periods[17];
    expect([month17?.orders, month17?.revenueMinor, month17?.complete]).toEqual([33, 173_909, false]);
  });
});
