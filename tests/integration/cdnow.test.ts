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

    const { report } = await churnCohorts(
      { customers: env.stores.customers, snapshots: env.stores.snapshots },
      { asOf: AS_OF, currency: 'USD', segments: 4, generatedAt: AS_OF },
    );
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
  });
});
