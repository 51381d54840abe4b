import { pacer, runConcurrently } from '../concurrency.ts';
import type { Customer } from '../domain/customer.ts';
import { isHeldOut, isWithinSendWindow, type SendingPolicy } from '../domain/sending-policy.ts';
import { addDays } from '../domain/time.ts';
import {
  episodeOf,
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  nextWinbackStep,
  type WinbackConfig,
  type WinbackStep,
  winbackIneligibility,
} from '../domain/winback.ts';
import type { CustomerRepository, EmailSender, InvalidItem, SendLedger } from '../ports.ts';
import { classifySendError, composeWinbackEmail, type UnsubscribeOptions } from './winback-message.ts';

export { classifySendError };

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
  sending: SendingPolicy;
  from: string;
  runId: string;
  dryRun?: boolean;
  /** SES maximum send rate (emails per second) */
  maxSendRate?: number;
  sendConcurrency?: number;
  /** rendered samples per step in a dry run */
  samplesPerStep?: number;
  /** One-click unsubscribe (RFC 8058): every email carries List-Unsubscribe headers and a footer link. */
  unsubscribe?: UnsubscribeOptions;
  onCandidate?: () => void;
}

export interface StepCounts {
  /** eligible customers whose next step this is */
  due: number;
  sent: number;
  /** in the hold-out group: recorded, never emailed */
  heldOut: number;
  failed: number;
  /** outside the customer's local send window: left for a later run */
  quietHours: number;
  /** held back by the cross-campaign frequency cap: left for a later run */
  capped: number;
  /** throttled or failed-transiently attempts that were retried (with backoff, within the rate limit) */
  throttled: number;
  /** released for a later run after SES kept refusing for a transient reason (throttling) */
  deferred: number;
  /** SES outcome unknown (timeout after the request left): left claimed for reconciliation, never resent */
  unknownOutcome: number;
  /** another run owned the claim */
  alreadyClaimed: number;
}

export interface WinbackSummary {
  asOf: string;
  campaignId: string;
  dryRun: boolean;
  candidates: number;
  steps: Record<string, StepCounts>;
  skipped: Partial<Record<Ineligibility, number>>;
  invalid: InvalidItem[];
  samples: { stepId: string; customerId: string; locale: string; subject: string; text: string; html: string }[];
}

const MAX_SEND_ATTEMPTS = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Exponential backoff with full jitter: 0–200 ms, 0–400 ms, ... capped at 5 s. */
const backoffWithJitter = (attempt: number) => Math.random() * Math.min(5_000, 100 * 2 ** attempt);

const emptyCounts = (): StepCounts => ({
  due: 0,
  sent: 0,
  heldOut: 0,
  failed: 0,
  quietHours: 0,
  capped: 0,
  throttled: 0,
  deferred: 0,
  unknownOutcome: 0,
  alreadyClaimed: 0,
});

/**
 * Primary course:
 *  1. list customers in a dormancy episode from the sparse index (never a table scan); drop the ineligible
 *     (no consent, no address, suppressed);
 *  2. read their ledger entries for the episode in batches and pick each one's next due step (pure rule);
 *  3. hold-out group: record the step as held out, never email;
 *  4. outside the customer's local send window: leave it for a later run;
 *  5. claim the ledger entry customer+campaign+episode+step with a conditional write (only the winner goes on),
 *     then reserve the cross-campaign frequency-cap slot on the customer (release the claim if capped);
 *  6. send through SES at no more than the maximum rate (throttled attempts back off with jitter and retry, each
 *     retry paced too), then record the message id. A send whose outcome is unknown stays claimed for
 *     reconciliation; it is never blindly resent.
 * A dry run does steps 1–4 only, counts the audience per step and renders samples.
 */
export async function winbackEmail(deps: WinbackDeps, input: WinbackInput): Promise<WinbackSummary> {
  const { config, sending } = input;
  const dryRun = input.dryRun ?? false;
  const now = input.now ?? input.asOf;
  const steps = Object.fromEntries(config.steps.map((s) => [s.id, emptyCounts()])) as Record<string, StepCounts>;
  const summary: WinbackSummary = {
    asOf: input.asOf,
    campaignId: config.campaignId,
    dryRun,
    candidates: 0,
    steps,
    skipped: {},
    invalid: [],
    samples: [],
  };
  const wait = pacer(input.maxSendRate ?? 14);
  const lastOffset = config.steps.at(-1)?.offsetDays ?? 0;
  // Episodes older than the age limit plus the whole sequence (and a month of slack) cannot have a step due.
  const from = addDays(input.asOf, -(config.maxEpisodeAgeDays + lastOffset + 30));
  const skip = (reason: Ineligibility) => {
    summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
  };

  /** Ledger entries of the current episode for a page of customers, in one batched read. */
  const stepsTaken = async (customers: Customer[]) => {
    const keys = customers.flatMap((c) =>
      config.steps.map((s) => ({
        customerId: c.customerId,
        key: ledgerKey(config.campaignId, episodeOf(c) as string, s.id),
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

  const entryFor = (
    customer: Customer,
    episode: string,
    step: WinbackStep,
    status: LedgerEntry['status'],
  ): LedgerEntry => ({
    customerId: customer.customerId,
    key: ledgerKey(config.campaignId, episode, step.id),
    campaignId: config.campaignId,
    episode,
    stepId: step.id,
    status,
    claimedAt: now,
    runAsOf: input.asOf,
    runId: input.runId,
  });

  const handle = async (customer: Customer, taken: ReadonlyMap<string, string>) => {
    const episode = episodeOf(customer) as string;
    const next = nextWinbackStep(customer, taken, input.asOf, config);
    if ('skip' in next) return skip(next.skip);
    const counts = steps[next.step.id] as StepCounts;
    counts.due += 1;
    if (isHeldOut(customer.customerId, config.campaignId, sending)) {
      if (dryRun || (await deps.ledger.claim(entryFor(customer, episode, next.step, 'held_out')))) counts.heldOut += 1;
      else counts.alreadyClaimed += 1;
      return;
    }
    if (!isWithinSendWindow(now, customer.timeZone, sending)) {
      counts.quietHours += 1;
      return;
    }
    const { email, rendered } = composeWinbackEmail(
      customer,
      next.step,
      episode,
      config,
      input.asOf,
      input.from,
      input.unsubscribe,
    );
    if (dryRun) {
      if (summary.samples.filter((s) => s.stepId === next.step.id).length < (input.samplesPerStep ?? 1)) {
        summary.samples.push({ stepId: next.step.id, customerId: customer.customerId, ...rendered });
      }
      return;
    }
    const entry = entryFor(customer, episode, next.step, 'claimed');
    if (!(await deps.ledger.claim(entry))) {
      counts.alreadyClaimed += 1;
      return;
    }
    if (sending.frequencyCapDays > 0) {
      const reserved = await deps.customers.reserveMarketingSlot(
        customer.customerId,
        now,
        addDays(now, -sending.frequencyCapDays),
      );
      if (!reserved) {
        counts.capped += 1;
        await deps.ledger.complete(customer.customerId, entry.key, { status: 'released', error: 'frequency cap' });
        return;
      }
    }
    for (let attempt = 1; ; attempt++) {
      // Every attempt, retries included, takes a slot from the pacer: the rate SES sees never exceeds the maximum.
      await wait();
      try {
        const { messageId } = await deps.email.send(email);
        await deps.ledger.complete(customer.customerId, entry.key, {
          status: 'sent',
          sentAt: new Date().toISOString(),
          messageId,
        });
        counts.sent += 1;
        return;
      } catch (error) {
        const outcome = classifySendError(error);
        if (outcome === 'transient' && attempt < MAX_SEND_ATTEMPTS) {
          counts.throttled += 1;
          await sleep(backoffWithJitter(attempt));
          continue;
        }
        const message = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : 'unknown error';
        if (outcome === 'unknown') {
          counts.unknownOutcome += 1;
          await deps.ledger.complete(customer.customerId, entry.key, {
            status: 'claimed',
            error: `outcome unknown: ${message}`,
          });
        } else {
          // SES answered with a refusal: no email exists, so the frequency-cap slot is given back.
          if (sending.frequencyCapDays > 0) {
            await deps.customers.releaseMarketingSlot(customer.customerId, now, customer.lastMarketingEmailAt);
          }
          if (outcome === 'transient') {
            counts.deferred += 1;
            await deps.ledger.complete(customer.customerId, entry.key, { status: 'released', error: message });
          } else {
            counts.failed += 1;
            await deps.ledger.complete(customer.customerId, entry.key, { status: 'failed', error: message });
          }
        }
        return;
      }
    }
  };

  for await (const page of deps.customers.dormantBetween(from, input.asOf)) {
    summary.invalid.push(...page.invalid);
    const eligible: Customer[] = [];
    for (const customer of page.items) {
      summary.candidates += 1;
      input.onCandidate?.();
      const reason = winbackIneligibility(customer);
      if (reason) skip(reason);
      else eligible.push(customer);
    }
    const taken = await stepsTaken(eligible);
    await runConcurrently(eligible, input.sendConcurrency ?? 4, (c) => handle(c, taken.get(c.customerId) ?? new Map()));
  }
  return summary;
}
