import { runConcurrently } from '../concurrency.ts';
import {
  type Campaign,
  type CampaignAction,
  ENROLLMENT_STEP,
  type EpisodeRecord,
  episodeKeys,
  episodesOf,
  nextCampaignAction,
  nextCampaignDueAt,
  recipientIneligibility,
  renderingConfig,
  resolveCampaigns,
  taskPlan,
} from '../domain/campaign.ts';
import type { Customer } from '../domain/customer.ts';
import { isWithinSendWindow, nextSendWindowStart, type SendingPolicy } from '../domain/sending-policy.ts';
import { addDays } from '../domain/time.ts';
import {
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  type WinbackConfig,
  type WinbackTask,
} from '../domain/winback.ts';
import type { TemplateRenderer } from '../email/templates/render.ts';
import type { CustomerRepository, SendLedger, SnapshotStore, WinbackTaskQueue } from '../ports.ts';
import { composeWinbackEmail, type UnsubscribeOptions } from './winback-message.ts';
import {
  emptyPlanStepCounts,
  type PlanCampaignCounts,
  type PlanStepCounts,
  type WinbackPlanSummary,
} from './winback-plan-summary.ts';

export type { PlanCampaignCounts, PlanStepCounts, WinbackPlanSummary } from './winback-plan-summary.ts';

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
  /** wall clock for quiet hours, leases and enrollment instants; defaults to `asOf` */
  now?: string;
  /** the shop and offer the emails are rendered with (and, without `campaigns`, the win-back campaign alone) */
  config: WinbackConfig;
  /** the deployment's campaigns (`engine.campaigns`, resolved); default: the win-back of `config` alone */
  campaigns?: readonly Campaign[];
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
  /** the compiled templates (dry-run samples) */
  templates?: TemplateRenderer;
  onCandidate?: () => void;
}

const WRITE_CONCURRENCY = 8;

/**
 * The hourly planner, across every campaign. Primary course:
 *  1. read only customers with something due (`winbackDueAt` ≤ asOf, sparse sharded index), so the work grows with
 *     what is due, not with the base;
 *  2. drop those who cannot receive marketing email (no consent, no address, suppressed) and remove their due instant;
 *  3. read the ledger entries of their current campaign episodes in batches and take the next action (pure rule,
 *     campaign.ts): one enrollment at a time; a campaign step not due yet moves the due instant to when it is;
 *  4. enroll: when a customer qualifies, write the enrollment record with the arm drawn now (the same moment for both
 *     arms, before quiet hours, the cap or the run's budget: the unit of measurement); the higher priority wins;
 *  5. hold-out arm: record each step as held out when it falls due, never email; move on to the next step;
 *  6. outside the customer's local send window: due again when the window opens;
 *  7. hand the rest to the senders through the queue, at most `maxTasks` a run; on a durable queue (SQS) the
 *     customer is leased (due again after `leaseMinutes`) so the next run does not plan it twice.
 * A dry run writes nothing: it counts the audience per step and renders samples.
 */
export async function planWinback(deps: WinbackPlanDeps, input: WinbackPlanInput): Promise<WinbackPlanSummary> {
  const { config, sending } = input;
  const campaigns = input.campaigns ?? resolveCampaigns(undefined, config, sending);
  const dryRun = input.dryRun ?? false;
  const now = input.now ?? input.asOf;
  const firstRun = !input.full && deps.watermarks ? !(await deps.watermarks.getWatermark(DUE_INDEX_MARKER)) : false;
  const full = input.full || firstRun;
  const steps: Record<string, PlanStepCounts> = Object.fromEntries(
    campaigns.flatMap((c) => c.steps.map((s): [string, PlanStepCounts] => [s.id, emptyPlanStepCounts()])),
  );
  const perCampaign: Record<string, PlanCampaignCounts> = Object.fromEntries(
    campaigns.map((c): [string, PlanCampaignCounts] => [
      c.id,
      { enrolled: 0, holdout: 0, outranked: 0, alreadyEnrolled: 0 },
    ]),
  );
  const summary: WinbackPlanSummary = {
    asOf: input.asOf,
    campaignId: campaigns.map((c) => c.id).join(','),
    dryRun,
    mode: full ? 'full' : 'due',
    candidates: 0,
    campaigns: perCampaign,
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

  /**
   * Writes the enrollment record (false: another run did first); the record then holds it. `queuedAt`: this run
   * queues the first step too, and the record is its lease.
   */
  const enroll = async (
    customer: Customer,
    action: Extract<CampaignAction, { kind: 'enroll' }>,
    queuedAt: string | undefined,
  ) => {
    const { record, arm, outranked } = action;
    const counts = perCampaign[record.campaign.id];
    const entry: LedgerEntry = {
      customerId: customer.customerId,
      key: ledgerKey(record.campaign.id, record.episode, ENROLLMENT_STEP),
      campaignId: record.campaign.id,
      episode: record.episode,
      stepId: ENROLLMENT_STEP,
      status: 'enrolled',
      arm,
      claimedAt: now,
      runAsOf: input.asOf,
      runId: input.runId,
      ...(outranked.length ? { outranked } : {}),
      ...(queuedAt ? { queuedAt } : {}),
    };
    if (!dryRun && !(await deps.ledger.claim(entry))) {
      if (counts) counts.alreadyEnrolled += 1;
      return false;
    }
    if (counts) {
      counts.enrolled += 1;
      if (arm === 'holdout') counts.holdout += 1;
    }
    for (const id of outranked) {
      const other = perCampaign[id];
      if (other) other.outranked += 1;
    }
    record.enrollment = { arm, at: now, legacy: false, ...(queuedAt ? { queuedAt } : {}) };
    return true;
  };

  const leaseMs = (input.leaseMinutes ?? 180) * 60_000;
  const afterEnrollment = new Date(Date.parse(now) + 1).toISOString();
  /** Customers whose first step is queued by the run that enrolled them: the enrollment is their lease. */
  const leasedByEnrollment = new Set<string>();
  /**
   * A first step queued by the run that wrote the enrollment (`queuedAt`), its task still queued: the lease is recent
   * and the due instant has not moved since (a sender that took the task always moves it on: next step, quiet
   * hours, cap, transient refusal).
   */
  const inFlight = (customer: Customer, record: EpisodeRecord, index: number) => {
    const queuedAt = record.enrollment?.queuedAt;
    if (!deps.queue.durable || index !== 0 || record.taken.size > 0 || !queuedAt) return false;
    return Date.parse(queuedAt) > Date.parse(now) - leaseMs && (customer.winbackDueAt ?? '') <= queuedAt;
  };
  /** Whether this run would queue the first step of a customer it enrolls now (the enrollment then leases it). */
  const queuesFirstStep = (
    customer: Customer,
    records: EpisodeRecord[],
    action: Extract<CampaignAction, { kind: 'enroll' }>,
  ) => {
    if (dryRun || !deps.queue.durable || action.arm !== 'treated' || planned >= maxTasks) return false;
    if (!isWithinSendWindow(now, customer.timeZone, sending)) return false;
    const enrolled = records.map((r) =>
      r === action.record ? { ...r, enrollment: { arm: action.arm, at: now, legacy: false } } : r,
    );
    const next = nextCampaignAction(customer, enrolled, input.asOf);
    return next.kind === 'step' && next.index === 0;
  };

  const plan = async (customer: Customer, records: EpisodeRecord[]): Promise<WinbackTask | undefined> => {
    let action = nextCampaignAction(customer, records, input.asOf);
    let enrolledNow = false;
    if (action.kind === 'enroll') {
      // Another run enrolled the customer first: it decides what comes next.
      const queuedAt = queuesFirstStep(customer, records, action) ? now : undefined;
      if (!(await enroll(customer, action, queuedAt))) return undefined;
      enrolledNow = true;
      action = nextCampaignAction(customer, records, input.asOf);
    }
    if (action.kind === 'none') {
      skip(action.skip);
      await reschedule(customer, undefined);
      return undefined;
    }
    if (action.kind === 'wait') {
      skip('not-due-yet');
      await reschedule(customer, action.dueAt);
      return undefined;
    }
    if (action.kind !== 'step') return undefined; // enrolled above; a second enrollment in one run cannot be due
    const { record, step } = action;
    const counts = steps[step.id];
    // The step comes from a campaign's steps, and every configured step has its counts from the start.
    if (!counts) throw new Error(`step ${step.id} is not one of campaign ${record.campaign.id}'s`);
    counts.due += 1;
    if (action.arm === 'holdout') {
      const entry: LedgerEntry = {
        customerId: customer.customerId,
        key: ledgerKey(record.campaign.id, record.episode, step.id),
        campaignId: record.campaign.id,
        episode: record.episode,
        stepId: step.id,
        status: 'held_out',
        claimedAt: now,
        runAsOf: input.asOf,
        runId: input.runId,
      };
      if (dryRun || (await deps.ledger.claim(entry))) counts.heldOut += 1;
      else counts.alreadyClaimed += 1;
      record.taken.set(step.id, input.asOf);
      await reschedule(customer, nextCampaignDueAt(customer, records, input.asOf));
      return undefined;
    }
    if (!enrolledNow && inFlight(customer, record, action.index)) {
      counts.inFlight += 1;
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
    if (enrolledNow && record.enrollment?.queuedAt) leasedByEnrollment.add(customer.customerId);
    if (dryRun) {
      const { email } = customer;
      const sampled = summary.samples.filter((s) => s.stepId === step.id).length;
      const { from, templates } = input;
      if (from && templates && email && sampled < (input.samplesPerStep ?? 1)) {
        const { rendered } = composeWinbackEmail(
          { ...customer, email },
          step,
          record.episode,
          renderingConfig(record.campaign, config),
          input.asOf,
          { from, templates, unsubscribe: input.unsubscribe },
        );
        summary.samples.push({ stepId: step.id, customerId: customer.customerId, ...rendered });
      }
      return undefined;
    }
    const plan = taskPlan(customer, records, record, step.id, input.asOf);
    return {
      customerId: customer.customerId,
      campaignId: record.campaign.id,
      episode: record.episode,
      stepId: step.id,
      runAsOf: input.asOf,
      runId: input.runId,
      ...(plan ? { plan } : {}),
    };
  };

  const lastOffset = Math.max(...campaigns.map((c) => c.steps.at(-1)?.offsetDays ?? 0));
  const maxAge = Math.max(...campaigns.map((c) => c.maxEpisodeAgeDays));
  const source = full
    ? // Episodes older than the age limit plus the whole sequence (and a month of slack) cannot have a step due.
      deps.customers.dormantBetween(addDays(input.asOf, -(maxAge + lastOffset + 30)), input.asOf)
    : deps.customers.dueForWinback(input.asOf);
  for await (const page of source) {
    summary.invalid.push(...page.invalid);
    const eligible: Customer[] = [];
    for (const customer of page.items) {
      summary.candidates += 1;
      input.onCandidate?.();
      const ineligible = recipientIneligibility(customer);
      if (!ineligible) {
        eligible.push(customer);
        continue;
      }
      skip(ineligible);
      await reschedule(customer, undefined);
    }
    // The ledger entries of every current episode of the page's customers, in one batched read.
    const entries = await deps.ledger.getMany(eligible.flatMap((c) => episodeKeys(c, campaigns)));
    const byCustomer = new Map<string, LedgerEntry[]>();
    for (const e of entries) byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
    const tasks: WinbackTask[] = [];
    await runConcurrently(eligible, WRITE_CONCURRENCY, async (customer) => {
      const records = episodesOf(customer, campaigns, byCustomer.get(customer.customerId) ?? []);
      const task = await plan(customer, records);
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
    for (const task of failed) {
      const customer = plannedCustomer(task);
      await (leasedByEnrollment.has(task.customerId) ? reschedule(customer, afterEnrollment) : keepDue(customer));
    }
    if (deps.queue.durable) {
      // Leased until the senders are done with it; a task lost for good is planned again when the lease ends. Only
      // if the due instant is still the one read: a sender that already moved it on keeps its value. A first step
      // planned with its enrollment needs no write: the enrollment record leases it (inFlight).
      const notTaken = new Set(failed.map((t) => t.customerId));
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      await runConcurrently(
        tasks.filter((t) => !notTaken.has(t.customerId) && !leasedByEnrollment.has(t.customerId)),
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
