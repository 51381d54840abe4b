import { pacer, workPool } from '../concurrency.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { SendingPolicy } from '../domain/sending-policy.ts';
import type { WinbackConfig } from '../domain/winback.ts';
import type { TemplateRenderer } from '../email/templates/render.ts';
import type { CustomerRepository, EmailSender, SendLedger, WinbackTaskQueue } from '../ports.ts';
import type { UnsubscribeOptions } from './winback-message.ts';
import { type PlanStepCounts, planWinback, type WinbackPlanSummary } from './winback-plan.ts';
import { type SendResult, sendWinbackTask } from './winback-send.ts';

/** A step's counts in a whole run: what the planner counted and what the senders did. */
export interface StepCounts extends PlanStepCounts {
  sent: number;
  failed: number;
  /** held back by the cross-campaign frequency cap: due again when the cap ends */
  capped: number;
  /** throttled or failed-transiently attempts that were retried (with backoff, within the rate limit) */
  throttled: number;
  /** released for a later run after SES kept refusing for a transient reason (throttling) */
  deferred: number;
  /** SES outcome unknown (timeout after the request left): left claimed for reconciliation, never resent */
  unknownOutcome: number;
  /** dropped by the sender: the customer changed between planning and sending (purchase, consent, step taken) */
  dropped: number;
  /** another run owned the claim (the planner's hold-out claim or a sender's) */
  alreadyClaimed: number;
}

/** The whole run's summary: the planner's, with the senders' outcomes in each step's counts. */
export interface WinbackSummary extends Omit<WinbackPlanSummary, 'steps'> {
  steps: Record<string, StepCounts>;
}

/** A step's planner counts with no sender outcome yet (the fields in the order the summaries always had). */
function withSendCounts(c: PlanStepCounts): StepCounts {
  return {
    due: c.due,
    planned: c.planned,
    sent: 0,
    heldOut: c.heldOut,
    failed: 0,
    quietHours: c.quietHours,
    capped: 0,
    throttled: 0,
    deferred: 0,
    unknownOutcome: 0,
    alreadyClaimed: c.alreadyClaimed,
    inFlight: c.inFlight,
    dropped: 0,
  };
}

export interface WinbackDeps {
  customers: CustomerRepository;
  ledger: SendLedger;
  email: EmailSender;
}

export interface WinbackInput {
  /** the run's date: which steps are due */
  asOf: string;
  /** when the emails actually leave (quiet hours, frequency cap); defaults to `asOf` */
  now?: string;
  config: WinbackConfig;
  /** the deployment's campaigns (`engine.campaigns`); default: the win-back of `config` alone */
  campaigns?: readonly Campaign[];
  sending: SendingPolicy;
  from: string;
  /** the compiled templates the emails are rendered from */
  templates: TemplateRenderer;
  runId: string;
  dryRun?: boolean;
  /** read every customer in a recent dormancy episode, not only those with a step due (see planWinback) */
  full?: boolean;
  /** SES maximum send rate (emails per second) */
  maxSendRate?: number;
  /** sends in flight at once, all sharing one rate limiter (default 10: one SQS batch, as a sender Lambda runs it) */
  sendConcurrency?: number;
  /** rendered samples per step in a dry run */
  samplesPerStep?: number;
  /** One-click unsubscribe (RFC 8058): every email carries List-Unsubscribe headers and a footer link. */
  unsubscribe?: UnsubscribeOptions;
  onCandidate?: () => void;
}

/**
 * The whole win-back run in one process (the local CLI, tests): the planner hands each page of tasks straight to
 * `sendWinbackTask`, the code the SQS-triggered sender Lambda runs, with `sendConcurrency` in flight sharing one
 * rate limiter. In AWS the planner and the senders are separate Lambdas joined by an SQS queue.
 */
export async function winbackEmail(deps: WinbackDeps, input: WinbackInput): Promise<WinbackSummary> {
  const wait = pacer(input.maxSendRate ?? 14);
  // Quiet hours and the frequency cap are judged at the run's `now`, as the planner judged them (a simulated run in
  // the CLI or a test keeps its clock there).
  const now = input.now ?? input.asOf;
  const clock = () => now;
  const results: { stepId: string; result: SendResult }[] = [];
  // The senders keep working while the planner reads its next page: the rate limiter never waits on planning.
  const pool = workPool(input.sendConcurrency ?? 10, 256);
  const queue: WinbackTaskQueue = {
    durable: false,
    async enqueue(tasks) {
      for (const task of tasks)
        await pool.submit(async () => {
          const result = await sendWinbackTask(
            deps,
            {
              config: input.config,
              ...(input.campaigns ? { campaigns: input.campaigns } : {}),
              sending: input.sending,
              from: input.from,
              templates: input.templates,
              wait,
              now: clock,
              ...(input.unsubscribe ? { unsubscribe: input.unsubscribe } : {}),
            },
            task,
          );
          results.push({ stepId: task.stepId, result });
        });
      return [];
    },
  };
  const planned = await planWinback(
    { customers: deps.customers, ledger: deps.ledger, queue },
    {
      asOf: input.asOf,
      config: input.config,
      ...(input.campaigns ? { campaigns: input.campaigns } : {}),
      sending: input.sending,
      runId: input.runId,
      from: input.from,
      templates: input.templates,
      ...(input.now ? { now: input.now } : {}),
      ...(input.dryRun ? { dryRun: true } : {}),
      ...(input.full ? { full: true } : {}),
      ...(input.samplesPerStep ? { samplesPerStep: input.samplesPerStep } : {}),
      ...(input.unsubscribe ? { unsubscribe: input.unsubscribe } : {}),
      ...(input.onCandidate ? { onCandidate: input.onCandidate } : {}),
    },
  );
  await pool.drain();
  const summary: WinbackSummary = {
    ...planned,
    steps: Object.fromEntries(
      Object.entries(planned.steps).map(([stepId, counts]): [string, StepCounts] => [stepId, withSendCounts(counts)]),
    ),
  };
  for (const { stepId, result } of results) addSendResult(summary.steps[stepId], result);
  return summary;
}

/** Adds one sender outcome to the step's counts. */
export function addSendResult(counts: StepCounts | undefined, result: SendResult): void {
  if (!counts) return;
  counts.throttled += result.throttled;
  if (result.outcome === 'skipped') counts.dropped += 1;
  else counts[result.outcome] += 1;
}
