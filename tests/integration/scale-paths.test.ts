/**
 * The scale paths against a real local DynamoDB: full passes split into segments that checkpoint, stop and resume
 * (what the Step Functions fan-out does), and the win-back planner reading only customers with a step due.
 */

import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { computeCohorts, finalizeCohorts } from '../../shared/domain/cohort.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import type { Customer } from '../../shared/domain/customer.ts';
import { SendingPolicySchema } from '../../shared/domain/sending-policy.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { cohortsFullPass } from '../../shared/jobs/churn-cohorts.ts';
import { flagFullPass } from '../../shared/jobs/flag-classifier.ts';
import { flagDormant, flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import {
  type FullPassWorker,
  MAX_LISTED_PER_SEGMENT,
  mergeFullPass,
  planFullPass,
  runSegment,
} from '../../shared/jobs/full-pass.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import { planWinback } from '../../shared/jobs/winback-plan.ts';
import type { SegmentRunStore } from '../../shared/ports.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import { collect, freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const START = endOfDay('2026-03-01');
const day = (n: number) => endOfDay(addDays(START, n).slice(0, 10));

const aws = useLocalAws();

async function seeded(customers: number, seed: number): Promise<TestEnv> {
  const env = await freshEnv(aws);
  const base = syntheticBase({ customers, end: START, seed });
  await importCustomers(
    { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD', watermarks: env.stores.snapshots },
    { profiles: base.profiles, orders: base.orders, asOf: START, now: START },
  );
  return env;
}

/** Small pages, so every segment has many pages to stop and resume between. */
const smallPages = (env: TestEnv) => dynamoStores(env.client, env.tables, { indexShards: 4, pageSize: 9 });

/** Runs every segment of a plan to the end, stopping after every page and resuming: what the state machine loop does. */
async function runStopping<S>(
  stores: ReturnType<typeof smallPages>,
  plan: ReturnType<typeof planFullPass>,
  worker: FullPassWorker<S>,
) {
  let calls = 0;
  for (const segment of plan.segments) {
    for (;;) {
      calls += 1;
      const result = await runSegment(stores, worker, { ...plan, segment }, { shouldStop: () => true });
      if (result.done) break;
    }
  }
  return calls;
}

describe('full passes in segments that checkpoint and resume', () => {
  it('cohorts: stopping after every page and resuming gives exactly the single-pass result', {
    timeout: 120_000,
  }, async () => {
    const env = await seeded(400, 21);
    const stores = smallPages(env);
    await flagDormantFullPass({ customers: stores.customers }, { asOf: day(0), policy: config.policy, segments: 3 });
    const everyone: Customer[] = await collect(stores.customers.scan({ segment: 0, totalSegments: 1 }));
    const expected = computeCohorts(everyone, day(0), 'USD', 'now');

    const plan = planFullPass({ job: 'cohorts', asOf: day(0), totalSegments: 5 });
    const calls = await runStopping(
      stores,
      plan,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: stores.orders }),
    );
    expect(calls).toBeGreaterThan(400 / 9); // it really stopped and resumed, page after page
    const merged = await mergeFullPass(
      stores.runs,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: stores.orders }),
      plan,
    );
    expect(merged.scanned).toBe(400);
    expect(finalizeCohorts(merged.state.partial, 'now')).toEqual(expected);

    // Running a finished segment again does nothing; the same run id merges to the same result.
    const again = await runSegment(
      stores,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
      { ...plan, segment: 0 },
    );
    expect(again.done).toBe(true);
    expect(
      await mergeFullPass(
        stores.runs,
        cohortsFullPass({ currency: 'USD', policy: config.policy, orders: stores.orders }),
        plan,
      ),
    ).toEqual(merged);
  });

  it('flag: a pass that crashes and resumes from checkpoints writes the same stages as an uninterrupted one', {
    timeout: 120_000,
  }, async () => {
    const [a, b] = [await seeded(300, 5), await seeded(300, 5)];
    await flagDormantFullPass({ customers: a.stores.customers }, { asOf: day(0), policy: config.policy, segments: 3 });

    // b: the checkpoint store fails every 4th save, as a Lambda dying mid-segment would leave it.
    const stores = smallPages(b);
    let saves = 0;
    const flaky: SegmentRunStore = {
      ...stores.runs,
      async saveSegment(runId, checkpoint) {
        saves += 1;
        if (saves % 4 === 0) throw new Error('injected crash while checkpointing');
        await stores.runs.saveSegment(runId, checkpoint);
      },
    };
    const plan = planFullPass({ job: 'flag', asOf: day(0), totalSegments: 3 });
    let crashes = 0;
    for (const segment of plan.segments) {
      for (;;) {
        try {
          const result = await runSegment(
            { customers: stores.customers, runs: flaky },
            flagFullPass(stores, { policy: config.policy }),
            { ...plan, segment },
            { checkpointEveryPages: 2 },
          );
          if (result.done) break;
        } catch {
          crashes += 1; // the state machine retries the segment task; it resumes from the last checkpoint
        }
      }
    }
    expect(crashes).toBeGreaterThan(0);
    const merged = await mergeFullPass(stores.runs, flagFullPass(stores, { policy: config.policy }), plan);
    expect(merged.state.summary.failed).toEqual([]);

    const view = async (env: TestEnv) =>
      (await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 })))
        .map((c) => [c.customerId, c.stage, c.stageSince, c.nextCheckAt, c.dormantSince, c.winbackDueAt])
        .sort();
    expect(await view(b)).toEqual(await view(a));
    // Redone pages are classified again and found unchanged: no customer changed twice.
    expect(merged.state.summary.changed).toBeLessThanOrEqual(300);
  });

  it('lists at most 1,000 invalid items per segment and counts the rest, so a checkpoint stays small', {
    timeout: 60_000,
  }, async () => {
    const env = await seeded(10, 4);
    // 1,150 corrupt items (a currency that is not ISO 4217), as a bad migration might leave them.
    const corrupt = Array.from({ length: 1_150 }, (_, i) => ({ customerId: `bad-${i}`, currency: 'dollars' }));
    for (let i = 0; i < corrupt.length; i += 25) {
      await env.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [env.tables.customers]: corrupt.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    const plan = planFullPass({ job: 'cohorts', asOf: day(0), totalSegments: 1 });
    await runSegment(
      env.stores,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
      { ...plan, segment: 0 },
    );
    const merged = await mergeFullPass(
      env.stores.runs,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
      plan,
    );
    expect(merged.scanned).toBe(1_160);
    expect(merged.state.invalid).toHaveLength(MAX_LISTED_PER_SEGMENT);
    expect(merged.state.invalid[0]?.error).toMatch(/^currency: /);
    expect(merged.state.omitted).toBe(150);
    expect(merged.state.partial.customersWithPurchase).toBeGreaterThan(0); // valid data is never lost
  });

  it('merging a run with a segment missing fails and names the segment', async () => {
    const env = await seeded(20, 3);
    const plan = planFullPass({ job: 'cohorts', asOf: day(0), totalSegments: 3 });
    await runSegment(
      env.stores,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
      { ...plan, segment: 0 },
    );
    await runSegment(
      env.stores,
      cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
      { ...plan, segment: 2 },
    );
    await expect(
      mergeFullPass(
        env.stores.runs,
        cohortsFullPass({ currency: 'USD', policy: config.policy, orders: env.stores.orders }),
        plan,
      ),
    ).rejects.toThrow(/segments not finished: 1$/);
  });
});

describe('win-back reads only customers with a step due', () => {
  it('sends exactly what the full-window planner sends, reading a fraction of it', { timeout: 240_000 }, async () => {
    // No quiet hours, no cap: both planners must then decide identically, run after run.
    const sending = SendingPolicySchema.parse({ quietHours: null, frequencyCapDays: 0 });
    const [due, full] = [await seeded(500, 8), await seeded(500, 8)];
    const send = (env: TestEnv, asOf: string, fullMode: boolean) =>
      winbackEmail(
        { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
        {
          asOf,
          config: config.winback,
          sending,
          from: 'shop@example.com',
          templates: TEMPLATES,
          runId: `r-${asOf}`,
          maxSendRate: 1_000,
          full: fullMode,
        },
      );
    let readDue = 0;
    let readFull = 0;
    let emptyRuns = 0;
    for (let n = 0; n <= 45; n++) {
      for (const env of [due, full]) {
        await flagDormant(
          { customers: env.stores.customers, watermarks: env.stores.snapshots },
          { asOf: day(n), policy: config.policy, segments: 2 },
        );
      }
      const a = await send(due, day(n), false);
      const b = await send(full, day(n), true);
      readDue += a.candidates;
      readFull += b.candidates;
      // The next hourly run at the same as-of: nothing is due any more, and the due planner reads (almost) nothing.
      const later = await send(due, day(n), false);
      expect(Object.values(later.steps).reduce((s, c) => s + c.sent, 0)).toBe(0);
      if (later.candidates === 0) emptyRuns += 1;
    }
    const ledger = async (env: TestEnv) =>
      (await collect(env.stores.ledger.scanAll()))
        .map((e) => `${e.customerId} ${e.key} ${e.status} ${e.runAsOf}`)
        .sort();
    const entries = await ledger(due);
    expect(entries.length).toBeGreaterThan(100);
    expect(entries).toEqual(await ledger(full));
    // Reads grow with the steps due (each entry, plus one last read per customer whose sequence ends or who is
    // ineligible), not with the dormancy window the full planner re-reads every run.
    const dormantEver = (await collect(due.stores.customers.scan({ segment: 0, totalSegments: 1 }))).filter(
      (c) => c.dormantSince,
    ).length;
    expect(readDue).toBeLessThanOrEqual(entries.length + dormantEver);
    expect(readFull).toBeGreaterThan(5 * readDue);
    expect(emptyRuns).toBeGreaterThan(40);
  });
});

describe('win-back planner on a deployment that predates the due index', () => {
  it('reads every recent episode once, leaves what it cannot plan due, then reads only due customers', async () => {
    const env = await seeded(200, 13);
    await flagDormantFullPass(
      { customers: env.stores.customers },
      { asOf: day(0), policy: config.policy, segments: 2 },
    );
    // As stored by the previous version: dormant, but without winbackDueAt.
    const dormant = (await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }))).filter(
      (c) => c.dormantSince,
    );
    expect(dormant.filter((c) => c.consent?.marketing && c.email && !c.suppression).length).toBeGreaterThan(5);
    await env.stores.customers.seedMany(dormant.map(({ winbackDueAt: _, ...c }) => c));
    expect(await collect(env.stores.customers.dueForWinback(day(0)))).toEqual([]);

    const planned: string[] = [];
    const queue = {
      durable: true,
      async enqueue(tasks: readonly { customerId: string }[]) {
        planned.push(...tasks.map((t) => t.customerId));
        return [];
      },
    };
    const sending = SendingPolicySchema.parse({ quietHours: null, holdoutPercent: 0 });
    const plan = (asOf: string) =>
      planWinback(
        { customers: env.stores.customers, ledger: env.stores.ledger, queue, watermarks: env.stores.snapshots },
        { asOf, config: config.winback, sending, runId: asOf, maxTasks: 3, leaseMinutes: 180 },
      );
    const first = await plan(day(0));
    expect(first.mode).toBe('full');
    expect(planned).toHaveLength(3);
    expect(first.leftForNextRun).toBeGreaterThan(0);
    // The rest are now in the due index; the planned three are leased for three hours.
    const due = await collect(env.stores.customers.dueForWinback(day(0)));
    expect(due.map((c) => c.customerId).sort()).not.toContain(planned[0]);
    expect(due.length).toBeGreaterThanOrEqual(first.leftForNextRun);

    const second = await plan(day(0));
    expect(second.mode).toBe('due');
    expect(second.candidates).toBe(due.length);
    expect(new Set(planned).size).toBe(planned.length); // nobody planned twice while leased
  });
});

describe('win-back planner leases on a durable queue', () => {
  it('leases planned customers, but never over a due instant a fast sender already moved on', async () => {
    const env = await seeded(150, 17);
    await flagDormantFullPass(
      { customers: env.stores.customers },
      { asOf: day(0), policy: config.policy, segments: 2 },
    );
    const sending = SendingPolicySchema.parse({ quietHours: null, holdoutPercent: 0 });
    const fastSender = new Set<string>();
    const queue = {
      durable: true,
      async enqueue(tasks: readonly { customerId: string; episode: string }[]) {
        // Every other task is "sent" before the planner writes its lease: the sender moves the due instant on.
        for (const [i, t] of tasks.entries()) {
          if (i % 2 === 1) continue;
          const c = await env.stores.customers.get(t.customerId);
          await env.stores.customers.setWinbackDue(t.customerId, c?.dormantSince, day(14));
          fastSender.add(t.customerId);
        }
        return [];
      },
    };
    const now = addDays(day(0), -0.5);
    const summary = await planWinback(
      { customers: env.stores.customers, ledger: env.stores.ledger, queue },
      { asOf: day(0), now, config: config.winback, sending, runId: 'lease', leaseMinutes: 180 },
    );
    const planned = Object.values(summary.steps).reduce((n, c) => n + c.planned, 0);
    expect(planned).toBeGreaterThan(4);
    const after = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
    expect(after.filter((c) => fastSender.has(c.customerId)).every((c) => c.winbackDueAt === day(14))).toBe(true);
    // A first step planned with its enrollment is leased by the enrollment record (no customer write): the next
    // run, within the lease, plans none of the queued customers again; a fast sender's due instant stands.
    const again = (at: string, runId: string) =>
      planWinback(
        {
          customers: env.stores.customers,
          ledger: env.stores.ledger,
          queue: { durable: true, enqueue: async () => [] },
        },
        { asOf: day(0), now: at, config: config.winback, sending, runId, leaseMinutes: 180 },
      );
    const within = await again(addDays(now, 60 / 1440), 'within-lease');
    expect(Object.values(within.steps).reduce((n, c) => n + c.planned, 0)).toBe(0);
    expect(Object.values(within.steps).reduce((n, c) => n + c.inFlight, 0)).toBe(planned - fastSender.size);
    // When the lease ends, a task that never reached a sender is planned again (lost messages are not lost sends).
    const later = await again(addDays(now, 200 / 1440), 'after-lease');
    expect(Object.values(later.steps).reduce((n, c) => n + c.planned, 0)).toBe(planned - fastSender.size);
    // Those later tasks are leased with a write (their enrollment is old): the due instant moves to the lease end.
    const lease = addDays(addDays(now, 200 / 1440), 180 / 1440);
    const leased = (await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }))).filter(
      (c) => c.winbackDueAt === lease,
    ).length;
    expect(leased).toBe(planned - fastSender.size);
  });
});
