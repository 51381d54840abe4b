import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormant, flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import { freshEnv, useLocalAws } from '../helpers/local-aws.ts';

const policy = DEFAULT_ENGINE_CONFIG.policy;
const START = endOfDay('2026-03-01');
const day = (n: number) => endOfDay(addDays(START, n).slice(0, 10));

const aws = useLocalAws();

describe('daily flagging proportional to change', () => {
  it('reads only customers with a check due, catches up missed days, and leaves nothing for a full pass', {
    timeout: 240_000,
  }, async () => {
    const env = await freshEnv(aws);
    const base = syntheticBase({ customers: 600, end: START, seed: 11 });
    const deps = { customers: env.stores.customers, watermarks: env.stores.snapshots };
    await importCustomers(
      { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD', watermarks: env.stores.snapshots },
      { profiles: base.profiles, orders: base.orders, asOf: START, now: START },
    );
    const run = (asOf: string) => flagDormant(deps, { asOf, policy, segments: 2 });

    const first = await run(day(0));
    expect(first.mode).toBe('full');
    expect(first.reason).toMatch(/no watermark/);
    expect(first.scanned).toBe(600);

    let read = 0;
    let changed = 0;
    // 60 days of daily runs, with a week missed (days 10–16) and a single day missed (30).
    const missed = new Set([10, 11, 12, 13, 14, 15, 16, 30]);
    for (let n = 1; n <= 60; n++) {
      if (missed.has(n)) continue;
      const summary = await run(day(n));
      expect(summary.mode).toBe('incremental');
      expect(summary.failed).toEqual([]);
      read += summary.scanned;
      changed += summary.changed;
      if (n === 17) expect(summary.since).toBe(day(9)); // the week missed is caught up from the watermark
    }
    expect(changed).toBeGreaterThan(50);
    // Every customer read had a stage change due (the few extra are reactivated expiries that coincide).
    expect(read).toBeLessThanOrEqual(Math.ceil(changed * 1.5));

    // A full pass at the last day finds nothing the incremental runs missed.
    const check = await flagDormantFullPass(
      { customers: env.stores.customers },
      { asOf: day(60), policy, segments: 2, dryRun: true },
    );
    expect(check.scanned).toBe(600);
    expect(check.changed).toBe(0);

    // Running again for the same day reads nothing.
    expect((await run(day(60))).scanned).toBe(0);
  });

  it('falls back to a full pass after an import or a policy change', { timeout: 120_000 }, async () => {
    const env = await freshEnv(aws);
    const base = syntheticBase({ customers: 100, end: START, seed: 5 });
    const deps = { customers: env.stores.customers, watermarks: env.stores.snapshots };
    const importDeps = {
      customers: env.stores.customers,
      orders: env.stores.orders,
      currency: 'USD',
      watermarks: env.stores.snapshots,
    };
    await importCustomers(importDeps, {
      profiles: base.profiles.slice(0, 50),
      orders: base.orders.filter((o) => o.customerId <= 'c000050'),
      asOf: START,
      now: START,
    });
    expect((await flagDormant(deps, { asOf: day(0), policy, segments: 1 })).mode).toBe('full');
    expect((await flagDormant(deps, { asOf: day(1), policy, segments: 1 })).mode).toBe('incremental');
    await importCustomers(importDeps, {
      profiles: base.profiles.slice(50),
      orders: base.orders.filter((o) => o.customerId > 'c000050'),
      asOf: day(1),
      now: day(1),
    });
    const afterImport = await flagDormant(deps, { asOf: day(2), policy, segments: 1 });
    expect(afterImport.mode).toBe('full');
    expect(afterImport.scanned).toBe(100);
    const stricter = { ...policy, dormantAfterDays: 75 };
    const afterPolicy = await flagDormant(deps, { asOf: day(3), policy: stricter, segments: 1 });
    expect(afterPolicy).toMatchObject({ mode: 'full', reason: 'policy changed' });
  });
});
