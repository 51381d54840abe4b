import { type Customer, hasMarketingConsent } from '../domain/customer.ts';
import { isWithinSendWindow, nextSendWindowStart, type SendingPolicy } from '../domain/sending-policy.ts';
import { addDays } from '../domain/time.ts';
import {
  episodeOf,
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  nextWinbackDueAt,
  nextWinbackStep,
  type WinbackConfig,
  type WinbackTask,
  winbackEligibility,
} from '../domain/winback.ts';
import { EmailSendError } from '../email/send-error.ts';
import type { CustomerRepository, EmailSender, SendLedger } from '../ports.ts';
import { composeWinbackEmail, type UnsubscribeOptions } from './winback-message.ts';

export interface WinbackSendDeps {
  customers: CustomerRepository;
  ledger: SendLedger;
  email: EmailSender;
}

export interface WinbackSendContext {
  config: WinbackConfig;
  sending: SendingPolicy;
  from: string;
  unsubscribe?: UnsubscribeOptions;
  /** takes a slot from the rate limiter shared by every sender in this process; called before every SES attempt */
  wait: () => Promise<void>;
  /** wall clock (quiet hours, claim and send times) */
  now: () => string;
  /** SES attempts per email for transient refusals (throttling) */
  maxAttempts?: number;
}

export type SendOutcome =
  | 'sent'
  | 'failed'
  | 'capped'
  | 'quietHours'
  | 'deferred'
  | 'unknownOutcome'
  | 'alreadyClaimed'
  | 'skipped';

export interface SendResult {
  outcome: SendOutcome;
  /** transient refusals that were retried */
  throttled: number;
  /** why a task was dropped: the customer changed since it was planned */
  skip?: Ineligibility | 'episode-changed' | 'step-taken';
}

const DEFAULT_MAX_ATTEMPTS = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Exponential backoff with full jitter: 0–200 ms, 0–400 ms, ... capped at 5 s. */
const backoffWithJitter = (attempt: number) => Math.random() * Math.min(5_000, 100 * 2 ** attempt);

/**
 * Sends one planned win-back step. The same code runs in the SQS-triggered Lambda and in the local CLI.
 * Primary course:
 *  1. re-read the customer (consistent read): consent withdrawn, a suppression or a purchase since planning wins;
 *  2. re-read the episode's ledger entries: the task's step must still be the next one due;
 *  3. outside the customer's local send window: move the due instant to the window's start;
 *  4. claim the ledger entry with a conditional write (only one worker goes on), then reserve the cross-campaign
 *     frequency-cap slot (release the claim and wait for the cap to end if it is taken);
 *  5. send through SES, every attempt paced by the shared limiter, transient refusals retried with backoff; record
 *     the message id. An unknown outcome stays claimed for reconciliation and is never blindly resent;
 *  6. move the customer's `winbackDueAt` on to the next step (or remove it).
 */
export async function sendWinbackTask(
  deps: WinbackSendDeps,
  ctx: WinbackSendContext,
  task: WinbackTask,
): Promise<SendResult> {
  const { config, sending } = ctx;
  const result: SendResult = { outcome: 'skipped', throttled: 0 };
  const customer = await deps.customers.get(task.customerId);
  if (!customer || episodeOf(customer) !== task.episode) return { ...result, skip: 'episode-changed' };
  const episodeStart = customer.dormantSince;
  const reschedule = async (dueAt: string | undefined) => {
    if (dueAt !== customer.winbackDueAt) await deps.customers.setWinbackDue(customer.customerId, episodeStart, dueAt);
  };

  const prefix = ledgerKey(task.campaignId, task.episode, '');
  const taken = new Map<string, string>();
  for (const e of await deps.ledger.forCustomer(customer.customerId, prefix)) {
    if (e.status !== 'released') taken.set(e.stepId, e.runAsOf);
  }
  const eligibility = winbackEligibility(customer);
  if ('skip' in eligibility) {
    await reschedule(undefined);
    return { ...result, skip: eligibility.skip };
  }
  const { recipient } = eligibility;
  const next = nextWinbackStep(recipient, taken, task.runAsOf, config);
  if ('skip' in next) {
    await reschedule(nextWinbackDueAt(customer, taken, task.runAsOf, config));
    return { ...result, skip: next.skip };
  }
  if (next.step.id !== task.stepId) {
    await reschedule(nextWinbackDueAt(customer, taken, task.runAsOf, config));
    return { ...result, skip: 'step-taken' };
  }
  const now = ctx.now();
  if (!isWithinSendWindow(now, customer.timeZone, sending)) {
    await reschedule(nextSendWindowStart(now, customer.timeZone, sending));
    return { ...result, outcome: 'quietHours' };
  }

  const entry: LedgerEntry = {
    customerId: customer.customerId,
    key: ledgerKey(task.campaignId, task.episode, next.step.id),
    campaignId: task.campaignId,
    episode: task.episode,
    stepId: next.step.id,
    status: 'claimed',
    claimedAt: now,
    runAsOf: task.runAsOf,
    runId: task.runId,
  };
  if (!(await deps.ledger.claim(entry))) return { ...result, outcome: 'alreadyClaimed' };
  // The slot is reserved on the customer with a condition that consent still stands and nothing suppresses the
  // address (I2): an unsubscribe or complaint that landed after the read above stops the send here.
  const reserved = await deps.customers.reserveMarketingSlot(
    customer.customerId,
    now,
    addDays(now, -Math.max(0, sending.frequencyCapDays)),
  );
  if (!reserved) {
    const fresh = await deps.customers.get(customer.customerId);
    if (!fresh || !hasMarketingConsent(fresh) || fresh.suppression) {
      await deps.ledger.complete(customer.customerId, entry.key, { status: 'released', error: 'consent withdrawn' });
      return { ...result, skip: 'no-consent' };
    }
    await deps.ledger.complete(customer.customerId, entry.key, { status: 'released', error: 'frequency cap' });
    await reschedule(capEnds(customer, now, sending));
    return { ...result, outcome: 'capped' };
  }
  // The step counts as taken from here on (sent, failed for good, or claimed with an unknown outcome).
  const afterStep = () => nextWinbackDueAt(customer, new Map([...taken, [next.step.id, task.runAsOf]]), now, config);
  const { email } = composeWinbackEmail(
    recipient,
    next.step,
    task.episode,
    config,
    task.runAsOf,
    ctx.from,
    ctx.unsubscribe,
  );
  const maxAttempts = ctx.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    // Every attempt, retries included, takes a slot from the limiter: the rate SES sees never exceeds the maximum.
    await ctx.wait();
    try {
      const { messageId } = await deps.email.send(email);
      await deps.ledger.complete(customer.customerId, entry.key, {
        status: 'sent',
        sentAt: new Date().toISOString(),
        messageId,
      });
      await reschedule(afterStep());
      return { ...result, outcome: 'sent' };
    } catch (error) {
      // Classified by the sender adapter; its detail never quotes the address (it is stored in the ledger and shown
      // by `reconcile`).
      const { failure: outcome, detail: message } = EmailSendError.of(error);
      if (outcome === 'transient' && attempt < maxAttempts) {
        result.throttled += 1;
        await sleep(backoffWithJitter(attempt));
        continue;
      }
      if (outcome === 'unknown') {
        await deps.ledger.complete(customer.customerId, entry.key, {
          status: 'claimed',
          error: `outcome unknown: ${message}`,
        });
        await reschedule(afterStep());
        return { ...result, outcome: 'unknownOutcome' };
      }
      // SES answered with a refusal: no email exists, so the frequency-cap slot is given back.
      if (sending.frequencyCapDays > 0) {
        await deps.customers.releaseMarketingSlot(customer.customerId, now, customer.lastMarketingEmailAt);
      }
      if (outcome === 'transient') {
        await deps.ledger.complete(customer.customerId, entry.key, { status: 'released', error: message });
        // Still due: the next run tries again.
        await reschedule(now);
        return { ...result, outcome: 'deferred' };
      }
      await deps.ledger.complete(customer.customerId, entry.key, { status: 'failed', error: message });
      await reschedule(afterStep());
      return { ...result, outcome: 'failed' };
    }
  }
}

/** When the frequency cap that held this customer back ends (at least an hour from now). */
function capEnds(customer: Customer, now: string, sending: SendingPolicy): string {
  const inAnHour = new Date(Date.parse(now) + 3_600_000).toISOString();
  const ends = customer.lastMarketingEmailAt ? addDays(customer.lastMarketingEmailAt, sending.frequencyCapDays) : '';
  return ends > inAnHour ? ends : inAnHour;
}
