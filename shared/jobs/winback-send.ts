import {
  type Campaign,
  episodesOf,
  nextCampaignDueAt,
  pendingStep,
  recipientIneligibility,
  renderingConfig,
  resolveCampaigns,
} from '../domain/campaign.ts';
import { type Customer, hasMarketingConsent } from '../domain/customer.ts';
import { isWithinSendWindow, nextSendWindowStart, type SendingPolicy } from '../domain/sending-policy.ts';
import { addDays } from '../domain/time.ts';
import {
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  type WinbackConfig,
  type WinbackTask,
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
  /** the shop and offer the emails are rendered with (and, without `campaigns`, the win-back campaign alone) */
  config: WinbackConfig;
  /** the deployment's campaigns (`engine.campaigns`, resolved); default: the win-back of `config` alone */
  campaigns?: readonly Campaign[];
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
  skip?: Ineligibility | 'episode-changed' | 'step-taken' | 'not-enrolled';
}

const DEFAULT_MAX_ATTEMPTS = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Exponential backoff with full jitter: 0–200 ms, 0–400 ms, ... capped at 5 s. */
const backoffWithJitter = (attempt: number) => Math.random() * Math.min(5_000, 100 * 2 ** attempt);

/**
 * Sends one planned win-back step. The same code runs in the SQS-triggered Lambda and in the local CLI.
 * Primary course:
 *  1. re-read the customer (consistent read): consent withdrawn, a suppression or a purchase since planning wins
 *     (a purchase ends the campaign episode: exit);
 *  2. re-read the customer's ledger entries: enrolled in the treated arm, the task's step still the next one due;
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
  const campaigns = ctx.campaigns ?? resolveCampaigns(undefined, config, sending);
  const result: SendResult = { outcome: 'skipped', throttled: 0 };
  const customer = await deps.customers.get(task.customerId);
  if (!customer) return { ...result, skip: 'episode-changed' };
  // Every campaign's current episode: when this one's sequence ends, another campaign may be next.
  const records = episodesOf(customer, campaigns, await deps.ledger.forCustomer(customer.customerId, ''));
  const record = records.find((r) => r.campaign.id === task.campaignId);
  if (!record || record.episode !== task.episode) return { ...result, skip: 'episode-changed' };
  const reschedule = async (dueAt: string | undefined) => {
    if (dueAt !== customer.winbackDueAt)
      await deps.customers.setWinbackDue(customer.customerId, customer.dormantSince, dueAt);
  };
  const ineligible = recipientIneligibility(customer);
  const { email: address } = customer;
  if (ineligible || !address) {
    await reschedule(undefined);
    return { ...result, skip: ineligible ?? 'no-valid-email' };
  }
  const pending = pendingStep(record);
  const dropped = record.enrollment?.arm !== 'treated' ? 'not-enrolled' : !pending ? 'sequence-complete' : undefined;
  if (dropped || !pending || pending.step.id !== task.stepId || pending.dueAt > task.runAsOf) {
    await reschedule(nextCampaignDueAt(customer, records, task.runAsOf));
    return { ...result, skip: dropped ?? (pending?.step.id !== task.stepId ? 'step-taken' : 'not-due-yet') };
  }
  const next = pending;
  const recipient = { ...customer, email: address };
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
  const afterStep = () => {
    record.taken.set(next.step.id, task.runAsOf);
    return nextCampaignDueAt(customer, records, now);
  };
  const { email } = composeWinbackEmail(
    recipient,
    next.step,
    task.episode,
    renderingConfig(record.campaign, config),
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
