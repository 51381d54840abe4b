import { runConcurrently } from '../concurrency.ts';
import type { InvalidItem } from '../domain/common.ts';
import type { Customer } from '../domain/customer.ts';
import { isHeldOut, isWithinSendWindow, nextSendWindowStart, type SendingPolicy } from '../domain/sending-policy.ts';
import { addDays } from '../domain/time.ts';
import {
  episodeOf,
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  nextWinbackDueAt,
  nextWinbackStep,
  type WinbackConfig,
  type WinbackRecipient,
  type WinbackTask,
  winbackEligibility,
} from '../domain/winback.ts';
import type { CustomerRepository, SendLedger, SnapshotStore, WinbackTaskQueue } from '../ports.ts';
import { composeWinbackEmail, type UnsubscribeOptions } from './winback-message.ts';

export interface WinbackPlanDeps {
  customers: CustomerRepository;
  ledger: SendLedger;
  queue: WinbackTaskQueue;
  /**
   * Where the planner records that the due index is populated. Given, the first run (no record yet: a deployment
   * whose customers became dormant before `winbackDueAt` existed) reads every recent episode once, then records it.
   */
  watermarks?: SnapshotStore;
}

const DUE_INDEX_MARKER = 'winback-due-index';

export interface WinbackPlanInput {
  /** the run's date: which steps are due */
  asOf: string;
  /** wall clock for quiet hours and leases; defaults to `asOf` */
  now?: string;
  config: WinbackConfig;
  sending: SendingPolicy;
  runId: string;
  dryRun?: boolean;
  /**
   * Read every customer in a dormancy episode of the last months (the `winback-by-dormant-since` index) instead of
   * only those with a step due (`winback-due`): for customers made dormant before the due index existed.
   */
  full?: boolean;
  /** At most this many sends per run (what the senders can send before the next run); the rest stay due. */
  maxTasks?: number;
  /** Durable queue: how long a planned customer is not planned again (must exceed the queue's drain time). */
  leaseMinutes?: number;
  /** Dry run: rendered samples per step (needs `from`). */
  samplesPerStep?: number;
  from?: string;
  unsubscribe?: UnsubscribeOptions;
  onCandidate?: () => void;
}

/** What the planner counts per step; the senders' outcomes are counted where the sends happen. */
export interface PlanStepCounts {
  /** eligible customers whose next step this is */
  due: number;
  /** handed to the senders */
  planned: number;
  /** in the hold-out group: recorded, never emailed */
  heldOut: number;
  /** outside the customer's local send window: due again when the window opens */
  quietHours: number;
  /** another run owned the hold-out claim */
  alreadyClaimed: number;
}

export interface WinbackPlanSummary {
  asOf: string;
  campaignId: string;
  dryRun: boolean;
  /** due: only customers with a step due (the index); full: every customer in a recent dormancy episode */
  mode: 'due' | 'full';
  /** customers read */
  candidates: number;
  steps: Record<string, PlanStepCounts>;
  skipped: Partial<Record<Ineligibility, number>>;
  /** customers whose `winbackDueAt` was moved on (not due yet, quiet hours, ineligible: removed) */
  rescheduled: number;
  /** due but over the run's `maxTasks`: left due for the next run */
  leftForNextRun: number;
  /** tasks the queue did not take: left due for the next run */
  enqueueFailed: number;
  invalid: InvalidItem[];
  samples: { stepId: string; customerId: string; locale: string; subject: string; text: string; html: string }[];
}

/** @deprecated The planner's summary is `WinbackPlanSummary`; the in-process run's is winback-email.ts's. */
export type WinbackSummary = WinbackPlanSummary;

const WRITE_CONCURRENCY = 8;

const emptyPlanStepCounts = (): PlanStepCounts => ({
  due: 0,
  planned: 0,
  heldOut: 0,
  quietHours: 0,
  alreadyClaimed: 0,
});

/**
 * The hourly planner. Primary course:
 *  1. read only customers with a win-back step due (`winbackDueAt` ≤ asOf, sparse sharded index), so the work
 *     grows with the steps due, not with the base or the dormancy window;
 *  2. drop the ineligible (no consent, no address, suppressed) and remove their due instant;
 *  3. read their ledger entries for the episode in batches and pick each one's next step (pure rule); a step not
 *     due yet moves the due instant to when it is;
 *  4. hold-out group: record the step as held out, never email; move on to the next step;
 *  5. outside the customer's local send window: due again when the window opens;
 *  6. hand the rest to the senders through the queue, at most `maxTasks` a run; on a durable queue (SQS) the
 *     customer is leased (due again after `leaseMinutes`) so the next run does not plan it twice.
 * A dry run writes nothing: it counts the audience per step and renders samples.
 */
export async function planWinback(deps: WinbackPlanDeps, input: WinbackPlanInput): Promise<WinbackPlanSummary> {
  const { config, sending } = input;
  const dryRun = input.dryRun ?? false;
  const now = input.now ?? input.asOf;
  const firstRun = !input.full && deps.watermarks ? !(await deps.watermarks.getWatermark(DUE_INDEX_MARKER)) : false;
  const full = input.full || firstRun;
  const steps: Record<string, PlanStepCounts> = Object.fromEntries(
    config.steps.map((s): [string, PlanStepCounts] => [s.id, emptyPlanStepCounts()]),
  );
  const summary: WinbackPlanSummary = {
    asOf: input.asOf,
    campaignId: config.campaignId,
    dryRun,
    mode: full ? 'full' : 'due',
    candidates: 0,
    steps,
    skipped: {},
    rescheduled: 0,
    leftForNextRun: 0,
    enqueueFailed: 0,
    invalid: [],
    samples: [],
  };
  const maxTasks = input.maxTasks ?? Number.POSITIVE_INFINITY;
  let planned = 0;
  const skip = (reason: Ineligibility) => {
    summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
  };
  const reschedule = async (customer: Customer, dueAt: string | undefined) => {
    if (dryRun || dueAt === customer.winbackDueAt) return;
    if (await deps.customers.setWinbackDue(customer.customerId, customer.dormantSince, dueAt)) summary.rescheduled += 1;
  };

  /** Left for the next run: due now (a customer found by the full planner may have no due instant yet). */
  const keepDue = (customer: Customer) =>
    reschedule(
      customer,
      customer.winbackDueAt && customer.winbackDueAt <= input.asOf ? customer.winbackDueAt : input.asOf,
    );

  /** Ledger entries of the current episode for a page of customers, in one batched read. */
  const stepsTaken = async (customers: WinbackRecipient[]) => {
    const keys = customers.flatMap((c) =>
      config.steps.map((s) => ({
        customerId: c.customerId,
        key: ledgerKey(config.campaignId, episodeOf(c), s.id),
      })),
    );
    const byCustomer = new Map<string, Map<string, string>>();
    for (const e of await deps.ledger.getMany(keys)) {
      if (e.status === 'released') continue;
      const map = byCustomer.get(e.customerId) ?? new Map<string, string>();
      map.set(e.stepId, e.runAsOf);
      byCustomer.set(e.customerId, map);
    }
    return byCustomer;
  };

  const plan = async (customer: WinbackRecipient, taken: Map<string, string>): Promise<WinbackTask | undefined> => {
    const episode = episodeOf(customer);
    const next = nextWinbackStep(customer, taken, input.asOf, config);
    if ('skip' in next) {
      skip(next.skip);
      await reschedule(customer, nextWinbackDueAt(customer, taken, input.asOf, config));
      return undefined;
    }
    const counts = steps[next.step.id];
    // The step comes from config.steps, and every configured step has its counts from the start.
    if (!counts) throw new Error(`win-back step ${next.step.id} is not one of campaign ${config.campaignId}'s`);
    counts.due += 1;
    if (isHeldOut(customer.customerId, config.campaignId, sending)) {
      const entry: LedgerEntry = {
        customerId: customer.customerId,
        key: ledgerKey(config.campaignId, episode, next.step.id),
        campaignId: config.campaignId,
        episode,
        stepId: next.step.id,
        status: 'held_out',
        claimedAt: now,
        runAsOf: input.asOf,
        runId: input.runId,
      };
      if (dryRun || (await deps.ledger.claim(entry))) counts.heldOut += 1;
      else counts.alreadyClaimed += 1;
      taken.set(next.step.id, input.asOf);
      await reschedule(customer, nextWinbackDueAt(customer, taken, input.asOf, config));
      return undefined;
    }
    if (!isWithinSendWindow(now, customer.timeZone, sending)) {
      counts.quietHours += 1;
      await reschedule(customer, nextSendWindowStart(now, customer.timeZone, sending));
      return undefined;
    }
    if (planned >= maxTasks) {
      summary.leftForNextRun += 1;
      await keepDue(customer);
      return undefined;
    }
    planned += 1;
    counts.planned += 1;
    if (dryRun) {
      if (input.from && summary.samples.filter((s) => s.stepId === next.step.id).length < (input.samplesPerStep ?? 1)) {
        const { rendered } = composeWinbackEmail(
          customer,
          next.step,
          episode,
          config,
          input.asOf,
          input.from,
          input.unsubscribe,
        );
        summary.samples.push({ stepId: next.step.id, customerId: customer.customerId, ...rendered });
      }
      return undefined;
    }
    return {
      customerId: customer.customerId,
      campaignId: config.campaignId,
      episode,
      stepId: next.step.id,
      runAsOf: input.asOf,
      runId: input.runId,
    };
  };

  const lastOffset = config.steps.at(-1)?.offsetDays ?? 0;
  const source = full
    ? // Episodes older than the age limit plus the whole sequence (and a month of slack) cannot have a step due.
      deps.customers.dormantBetween(addDays(input.asOf, -(config.maxEpisodeAgeDays + lastOffset + 30)), input.asOf)
    : deps.customers.dueForWinback(input.asOf);
  for await (const page of source) {
    summary.invalid.push(...page.invalid);
    const eligible: WinbackRecipient[] = [];
    for (const customer of page.items) {
      summary.candidates += 1;
      input.onCandidate?.();
      const eligibility = winbackEligibility(customer);
      if ('recipient' in eligibility) {
        eligible.push(eligibility.recipient);
        continue;
      }
      skip(eligibility.skip);
      await reschedule(customer, undefined);
    }
    const taken = await stepsTaken(eligible);
    const tasks: WinbackTask[] = [];
    await runConcurrently(eligible, WRITE_CONCURRENCY, async (customer) => {
      const task = await plan(customer, taken.get(customer.customerId) ?? new Map());
      if (task) tasks.push(task);
    });
    if (tasks.length === 0) continue;
    const failed = await deps.queue.enqueue(tasks);
    summary.enqueueFailed += failed.length;
    const byId = new Map(eligible.map((c) => [c.customerId, c]));
    const plannedCustomer = (task: WinbackTask) => {
      const customer = byId.get(task.customerId);
      if (!customer) throw new Error(`the queue returned a task for ${task.customerId}, not planned from this page`);
      return customer;
    };
    for (const task of failed) await keepDue(plannedCustomer(task));
    if (deps.queue.durable) {
      // Leased until the senders are done with it; a task lost for good is planned again when the lease ends. Only
      // if the due instant is still the one read: a sender that already moved it on keeps its value.
      const notTaken = new Set(failed.map((t) => t.customerId));
      const leaseUntil = new Date(Date.parse(now) + (input.leaseMinutes ?? 180) * 60_000).toISOString();
      await runConcurrently(
        tasks.filter((t) => !notTaken.has(t.customerId)),
        WRITE_CONCURRENCY,
        async (t) => {
          const customer = plannedCustomer(t);
          await deps.customers.setWinbackDue(t.customerId, customer.dormantSince, leaseUntil, {
            dueAt: customer.winbackDueAt,
          });
        },
      );
    }
  }
  if (firstRun && !dryRun) {
    await deps.watermarks?.setWatermark(DUE_INDEX_MARKER, { asOf: input.asOf, settings: 'v1' });
  }
  return summary;
}
