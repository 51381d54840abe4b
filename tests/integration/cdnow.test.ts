import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow } from '../../shared/import/parse-files.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { freshEnv, useLocalAws } from '../helpers/local-aws.ts';

const FILE = new URL('../../data/cdnow/CDNOW_master.txt', import.meta.url).pathname;
const AS_OF = endOfDay('1998-06-30');

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

const aws = useLocalAws();

describe('the real CDNOW data set', () => {
  it('imports 23,570 customers and 69,659 orders and reproduces the cohort table computed from the raw file', {
    timeout: 600_000,
  }, async () => {
    const expected = await expectedFromRawFile();
    const env = await freshEnv(aws, 8);
    const parsed = await parseCdnow(FILE, { now: '2026-01-01T00:00:00.000Z' });
    expect(parsed.rejected).toEqual([]);
    expect(parsed.records).toHaveLength(69_659);
    const imported = await importCustomers(
      { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
      { profiles: [], orders: parsed.records, asOf: AS_OF, now: '2026-01-01T00:00:00.000Z' },
    );
    expect(imported.customers).toBe(23_570);
    expect(imported.createdCustomers).toBe(23_570);
    expect(imported.ordersApplied).toBe(69_659);
    expect(expected.customers).toBe(23_570);
    expect(expected.rows).toBe(69_659);

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
