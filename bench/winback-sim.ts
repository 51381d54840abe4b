import { performance } from 'node:perf_hooks';
import { BUILT_IN_TEMPLATES_DIR, loadTemplates } from '../cli/templates.ts';
import type { Stores } from '../shared/adapters/build-adapters.ts';
import { runConcurrently } from '../shared/concurrency.ts';
import type { SendingPolicy } from '../shared/domain/sending-policy.ts';
import type { WinbackConfig, WinbackTask } from '../shared/domain/winback.ts';
import { reconcileClaims } from '../shared/jobs/reconcile-claims.ts';
import { planWinback, type WinbackPlanSummary } from '../shared/jobs/winback-plan.ts';
import { type SendOutcome, sendWinbackTask } from '../shared/jobs/winback-send.ts';
import type { EmailSender, WinbackTaskQueue } from '../shared/ports.ts';
import { addSnapshots, type CommandCounts, type DynamoCounter, sumCounts } from './counting.ts';

/** Messages per sender invocation (infra/constructs/winback-send-job.ts SEND_BATCH_SIZE) and per SendMessageBatch. */
export const SQS_BATCH = 10;

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** An SES stand-in that accepts every email at once: the simulated days measure DynamoDB work, not SES. */
export function nullEmailSender(): EmailSender & { sent: number } {
  const sender = {
    sent: 0,
    async send() {
      sender.sent += 1;
      return { messageId: `bench-null-${sender.sent}` };
    },
  };
  return sender;
}

export interface HourlyRun {
  at: string;
  /** customers read by the planner (the due index) */
  candidates: number;
  /** steps due (eligible customers whose next step is due), counted at every read */
  due: number;
  /** handed to the senders */
  planned: number;
  heldOut: number;
  quietHours: number;
  rescheduled: number;
  /** customers skipped, per reason (Ineligibility; reasons with none are absent) */
  skipped: Partial<Record<string, number>>;
  /** SendMessageBatch calls the planner would make (tasks / 10 per page) */
  sqsSendBatches: number;
  planner: {
    seconds: number;
    /** CPU time of this process during the planner part (client side) */
    cpuSeconds: number;
    queries: number;
    /** items returned by the planner's queries: customers from the due index (and pending claims, usually none) */
    itemsRead: number;
    /** ledger entries returned by the batched ledger reads */
    ledgerItemsRead: number;
    /** read units billed (query minimums included) */
    readUnits: number;
    /** the part that grows with the items read (reported units + missing ledger keys), without query minimums */
    itemReadUnits: number;
    writeUnits: number;
  };
  sender: {
    seconds: number;
    cpuSeconds: number;
    invocations: number;
    outcomes: Partial<Record<SendOutcome, number>>;
    readUnits: number;
    writeUnits: number;
    requests: number;
  };
  plannerCounts: Record<string, CommandCounts>;
  senderCounts: Record<string, CommandCounts>;
}

export interface SimDeps {
  stores: Stores;
  counter: DynamoCounter;
  email: EmailSender;
}

export interface SimInput {
  config: WinbackConfig;
  sending: SendingPolicy;
  /** the planner's per-run cap (the handler: 90% of the SES rate × the interval) */
  maxTasks: number;
  /** the handler's lease: 3 intervals */
  leaseMinutes: number;
  /** SQS batches processed at once (sender instances × in-flight batches); SES is a stand-in, so no pacing */
  senderParallelism: number;
}

/**
 * One hourly win-back run shaped like the deployed one: the planner Lambda (reconcile claims, then plan with a
 * durable queue, so planned customers are leased exactly as with SQS), then the sender Lambda's work on each batch
 * of 10 tasks. The DynamoDB work of each side is counted separately.
 */
export async function hourlyRun(deps: SimDeps, input: SimInput, at: string, runId: string): Promise<HourlyRun> {
  const { stores, counter } = deps;
  const tasks: WinbackTask[] = [];
  let sqsSendBatches = 0;
  const queue: WinbackTaskQueue = {
    durable: true,
    async enqueue(page) {
      tasks.push(...page);
      sqsSendBatches += Math.ceil(page.length / SQS_BATCH);
      return [];
    },
  };
  counter.reset();
  const plannerStart = performance.now();
  const plannerCpu = process.cpuUsage();
  await reconcileClaims(stores, { now: at, graceHours: 24, release: true });
  const summary: WinbackPlanSummary = await planWinback(
    { customers: stores.customers, ledger: stores.ledger, queue },
    {
      asOf: at,
      now: at,
      config: input.config,
      sending: input.sending,
      runId,
      maxTasks: input.maxTasks,
      leaseMinutes: input.leaseMinutes,
    },
  );
  const plannerSeconds = (performance.now() - plannerStart) / 1000;
  const plannerCpuSeconds = cpuSince(plannerCpu);
  const plannerCounts = counter.snapshot();

  counter.reset();
  const senderStart = performance.now();
  const senderCpu = process.cpuUsage();
  const batches: WinbackTask[][] = [];
  for (let i = 0; i < tasks.length; i += SQS_BATCH) batches.push(tasks.slice(i, i + SQS_BATCH));
  const outcomes: Partial<Record<SendOutcome, number>> = {};
  const ctx = {
    config: input.config,
    sending: input.sending,
    from: 'bench@example.com',
    templates: await loadTemplates(BUILT_IN_TEMPLATES_DIR),
    wait: async () => {},
    now: () => at,
  };
  await runConcurrently(batches, input.senderParallelism, async (batch) => {
    // processInParallel: the records of one batch run side by side.
    await Promise.all(
      batch.map(async (task) => {
        const result = await sendWinbackTask(
          { customers: stores.customers, ledger: stores.ledger, email: deps.email },
          ctx,
          task,
        );
        outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      }),
    );
  });
  const senderSeconds = (performance.now() - senderStart) / 1000;
  const senderCpuSeconds = cpuSince(senderCpu);
  const senderCounts = counter.snapshot();

  const steps = Object.values(summary.steps);
  const stepSum = (key: 'due' | 'planned' | 'heldOut' | 'quietHours') => steps.reduce((n, s) => n + s[key], 0);
  const p = sumCounts(plannerCounts);
  const s = sumCounts(senderCounts);
  return {
    at,
    candidates: summary.candidates,
    due: stepSum('due'),
    planned: stepSum('planned'),
    heldOut: stepSum('heldOut'),
    quietHours: stepSum('quietHours'),
    rescheduled: summary.rescheduled,
    skipped: summary.skipped,
    sqsSendBatches,
    planner: {
      seconds: plannerSeconds,
      cpuSeconds: plannerCpuSeconds,
      queries: plannerCounts.Query?.requests ?? 0,
      itemsRead: plannerCounts.Query?.itemsRead ?? 0,
      ledgerItemsRead: (plannerCounts.BatchGetItem?.itemsRead ?? 0) + (plannerCounts.GetItem?.itemsRead ?? 0),
      readUnits: p.readUnitsBilled,
      itemReadUnits: p.readUnits + p.missingKeyUnits,
      writeUnits: p.writeUnits,
    },
    sender: {
      seconds: senderSeconds,
      cpuSeconds: senderCpuSeconds,
      invocations: batches.length,
      outcomes,
      readUnits: s.readUnitsBilled,
      writeUnits: s.writeUnits,
      requests: s.requests,
    },
    plannerCounts,
    senderCounts,
  };
}

export interface SimDay {
  day: string;
  runs: HourlyRun[];
  totals: {
    seconds: number;
    plannerSeconds: number;
    senderSeconds: number;
    candidates: number;
    /** customer items the planner read from the due index (and reconcile) */
    plannerItemsRead: number;
    plannerLedgerItemsRead: number;
    /** steps taken care of: handed to a sender or recorded as held out */
    stepsTaken: number;
    planned: number;
    heldOut: number;
    sent: number;
    senderInvocations: number;
    sqsSendBatches: number;
    plannerReadUnits: number;
    plannerItemReadUnits: number;
    plannerWriteUnits: number;
    senderReadUnits: number;
    senderWriteUnits: number;
    /** runs in which nothing was due */
    emptyRuns: number;
    emptyRunItemsRead: number;
    emptyRunQueries: number;
    emptyRunReadUnits: number;
    emptyRunSeconds: number;
  };
  plannerCounts: Record<string, CommandCounts>;
  senderCounts: Record<string, CommandCounts>;
}

/** The hourly schedule `cron(5 * * * ? *)` over one UTC day, from `fromHour` (the schedule enabled then) on. */
export async function simulateDay(
  deps: SimDeps,
  input: SimInput,
  day: string,
  onRun?: (run: HourlyRun) => void,
  fromHour = 0,
): Promise<SimDay> {
  const runs: HourlyRun[] = [];
  let plannerCounts: Record<string, CommandCounts> = {};
  let senderCounts: Record<string, CommandCounts> = {};
  for (let hour = fromHour; hour < 24; hour++) {
    const at = `${day}T${String(hour).padStart(2, '0')}:05:00.000Z`;
    const run = await hourlyRun(deps, input, at, `bench-${day}-${hour}`);
    runs.push(run);
    plannerCounts = addSnapshots(plannerCounts, run.plannerCounts);
    senderCounts = addSnapshots(senderCounts, run.senderCounts);
    onRun?.(run);
  }
  const sum = (pick: (r: HourlyRun) => number, rs: HourlyRun[] = runs) => rs.reduce((n, r) => n + pick(r), 0);
  const empty = runs.filter((r) => r.due === 0 && r.candidates === 0);
  return {
    day,
    runs,
    totals: {
      seconds: sum((r) => r.planner.seconds + r.sender.seconds),
      plannerSeconds: sum((r) => r.planner.seconds),
      senderSeconds: sum((r) => r.sender.seconds),
      candidates: sum((r) => r.candidates),
      plannerItemsRead: sum((r) => r.planner.itemsRead),
      plannerLedgerItemsRead: sum((r) => r.planner.ledgerItemsRead),
      stepsTaken: sum((r) => r.planned + r.heldOut),
      planned: sum((r) => r.planned),
      heldOut: sum((r) => r.heldOut),
      sent: sum((r) => r.sender.outcomes.sent ?? 0),
      senderInvocations: sum((r) => r.sender.invocations),
      sqsSendBatches: sum((r) => r.sqsSendBatches),
      plannerReadUnits: sum((r) => r.planner.readUnits),
      plannerItemReadUnits: sum((r) => r.planner.itemReadUnits),
      plannerWriteUnits: sum((r) => r.planner.writeUnits),
      senderReadUnits: sum((r) => r.sender.readUnits),
      senderWriteUnits: sum((r) => r.sender.writeUnits),
      emptyRuns: empty.length,
      emptyRunItemsRead: sum((r) => r.planner.itemsRead, empty),
      emptyRunQueries: sum((r) => r.planner.queries, empty),
      emptyRunReadUnits: sum((r) => r.planner.readUnits, empty),
      emptyRunSeconds: sum((r) => r.planner.seconds, empty),
    },
    plannerCounts,
    senderCounts,
  };
}

/** Per step taken and per email (for the cost model): a day's totals with the fixed per-run part set apart. */
export interface DayRates {
  emptyRunReadUnits: number;
  emptyRunSeconds: number;
  emptyRunQueries: number;
  plannerItemsReadPerStep: number;
  plannerReadUnitsPerStep: number;
  plannerWriteUnitsPerStep: number;
  plannerSecondsPerStep: number;
  senderReadUnitsPerEmail: number;
  senderWriteUnitsPerEmail: number;
  senderRequestsPerEmail: number;
}

export function dayRates(day: SimDay): DayRates {
  const t = day.totals;
  const runs = day.runs.length;
  const empty = Math.max(1, t.emptyRuns);
  const emptyRunReadUnits = t.emptyRuns
    ? t.emptyRunReadUnits / empty
    : Math.min(...day.runs.map((r) => r.planner.readUnits));
  const emptyRunSeconds = t.emptyRuns ? t.emptyRunSeconds / empty : Math.min(...day.runs.map((r) => r.planner.seconds));
  const steps = Math.max(1, t.stepsTaken);
  const sent = Math.max(1, t.sent);
  return {
    emptyRunReadUnits,
    emptyRunSeconds,
    emptyRunQueries: t.emptyRuns ? t.emptyRunQueries / empty : 0,
    plannerItemsReadPerStep: t.plannerItemsRead / steps,
    plannerReadUnitsPerStep: t.plannerItemReadUnits / steps,
    plannerWriteUnitsPerStep: t.plannerWriteUnits / steps,
    plannerSecondsPerStep: Math.max(0, t.plannerSeconds - runs * emptyRunSeconds) / steps,
    senderReadUnitsPerEmail: t.senderReadUnits / sent,
    senderWriteUnitsPerEmail: t.senderWriteUnits / sent,
    senderRequestsPerEmail: Object.values(day.senderCounts).reduce((n, c) => n + c.requests, 0) / sent,
  };
}

/** A run's compact form for results.json (the full per-command counts are kept only for the day totals). */
export function compactRun(r: HourlyRun) {
  const { plannerCounts: _p, senderCounts: _s, ...rest } = r;
  return rest;
}
