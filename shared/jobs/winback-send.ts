import {
  type Campaign,
  episodeStart,
  episodesOf,
  nextCampaignDueAt,
  pendingStep,
  recipientIneligibility,
  renderingConfig,
  resolveCampaigns,
  taskPlan,
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
import type { TemplateRenderer } from '../email/templates/render.ts';
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
  /** the compiled templates the emails are rendered from */
  templates: TemplateRenderer;
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
 * Sends one planned campaign step. The same code runs in the SQS-triggered Lambda and in the local CLI. Three
 * DynamoDB requests an email (the planner checked enrollment, arm and step when it planned the task, and wrote
 * what it knew into `task.plan`). Primary course:
 *  1. outside the customer's local send window: move the due instant to the window's start;
 *  2. claim the ledger entry with a conditional write before SES is called (only one worker goes on, ever);
 *  3. one conditional write of the customer: reserve the cross-campaign frequency-cap slot and move `winbackDueAt`
 *     on to the next step, only while consent stands, nothing suppresses the address and the customer is still in
 *     the planned episode (a purchase ends it: exit). If it fails, read the customer to say why and release the
 *     claim (capped: due again when the cap ends);
 *  4. send through SES with the customer as that write found it, every attempt paced by the shared limiter,
 *     transient refusals retried with backoff; record the message id. An unknown outcome stays claimed for
 *     reconciliation and is never blindly resent; a refusal gives the slot back.
 * A task planned before `plan` existed is looked up first (the customer and its ledger entries, the planner's checks).
 */
export async function sendWinbackTask(
  deps: WinbackSendDeps,
  ctx: WinbackSendContext,
  task: WinbackTask,
): Promise<SendResult> {
  const { config, sending } = ctx;
  const campaigns = ctx.campaigns ?? resolveCampaigns(undefined, config, sending);
  const result: SendResult = { outcome: 'skipped', throttled: 0 };
  const campaign = campaigns.find((c) => c.id === task.campaignId);
  const step = campaign?.steps.find((s) => s.id === task.stepId);
  if (!campaign || !step) return { ...result, skip: 'episode-changed' };
  // A task planned before the planner wrote its plan into it: look the customer up first (two reads).
  const looked = task.plan ? { plan: task.plan } : await lookUpPlan(deps, campaigns, task);
  if ('skip' in looked) return { ...result, skip: looked.skip };
  const { plan } = looked;
  const reschedule = (dueAt: string | undefined) =>
    deps.customers.setWinbackDue(task.customerId, plan.dormantSince ?? undefined, dueAt);
  const now = ctx.now();
  if (!isWithinSendWindow(now, plan.timeZone, sending)) {
    await reschedule(nextSendWindowStart(now, plan.timeZone, sending));
    return { ...result, outcome: 'quietHours' };
  }

  const entry: LedgerEntry = {
    customerId: task.customerId,
    key: ledgerKey(task.campaignId, task.episode, step.id),
    campaignId: task.campaignId,
    episode: task.episode,
    stepId: step.id,
    status: 'claimed',
    claimedAt: now,
    runAsOf: task.runAsOf,
    runId: task.runId,
  };
  if (!(await deps.ledger.claim(entry))) return { ...result, outcome: 'alreadyClaimed' };
  // One conditional write of the customer: the slot, and the due instant after this step, only while consent
  // stands, nothing suppresses the address (I2), the cap allows and the episode is the one planned (no purchase
  // since): an unsubscribe, complaint or purchase that landed after planning stops the send here.
  const customer = await deps.customers.reserveSend(task.customerId, {
    at: now,
    notAfter: addDays(now, -Math.max(0, sending.frequencyCapDays)),
    episode: { stage: plan.stage, start: plan.episodeStart },
    dueAt: plan.nextDueAt ?? undefined,
  });
  const address = customer?.email;
  if (!customer || !address) {
    const release = (error: string) => deps.ledger.complete(task.customerId, entry.key, { status: 'released', error });
    const fresh = await deps.customers.get(task.customerId);
    if (!fresh || episodeStart(fresh, campaign.trigger) !== plan.episodeStart) {
      await release('episode changed');
      return { ...result, skip: 'episode-changed' };
    }
    if (recipientIneligibility(fresh) || !hasMarketingConsent(fresh)) {
      await release('consent withdrawn');
      return { ...result, skip: 'no-consent' };
    }
    await release('frequency cap');
    await reschedule(capEnds(fresh, now, sending));
    return { ...result, outcome: 'capped' };
  }
  const { email, rendered } = composeWinbackEmail(
    { ...customer, email: address },
    step,
    task.episode,
    renderingConfig(campaign, config),
    task.runAsOf,
    ctx,
  );
  const maxAttempts = ctx.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    // Every attempt, retries included, takes a slot from the limiter: the rate SES sees never exceeds the maximum.
    await ctx.wait();
    try {
      const { messageId } = await deps.email.send(email);
      await deps.ledger.complete(task.customerId, entry.key, {
        status: 'sent',
        sentAt: ctx.now(),
        messageId,
        locale: rendered.locale,
      });
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
        // Only while still claimed: a Send event that already resolved it as sent must not be undone.
        await deps.ledger.resolveClaim(task.customerId, entry.key, {
          status: 'claimed',
          error: `outcome unknown: ${message}`,
        });
        return { ...result, outcome: 'unknownOutcome' };
      }
      // SES answered with a refusal: no email exists, so the frequency-cap slot is given back.
      if (sending.frequencyCapDays > 0) {
        await deps.customers.releaseMarketingSlot(task.customerId, now, customer.lastMarketingEmailAt);
      }
      if (outcome === 'transient') {
        await deps.ledger.complete(task.customerId, entry.key, { status: 'released', error: message });
        // Still due: the next run tries again.
        await reschedule(now);
        return { ...result, outcome: 'deferred' };
      }
      await deps.ledger.complete(task.customerId, entry.key, { status: 'failed', error: message });
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

/**
 * The plan of a task that does not carry one (queued before planners wrote it): the customer and its ledger entries
 * read, the same checks the planner made (the episode, eligibility, the treated enrollment, the pending step).
 */
async function lookUpPlan(
  deps: WinbackSendDeps,
  campaigns: readonly Campaign[],
  task: WinbackTask,
): Promise<{ plan: NonNullable<WinbackTask['plan']> } | { skip: NonNullable<SendResult['skip']> }> {
  const customer = await deps.customers.get(task.customerId);
  if (!customer) return { skip: 'episode-changed' };
  // Every campaign's current episode: when this one's sequence ends, another campaign may be next.
  const records = episodesOf(customer, campaigns, await deps.ledger.forCustomer(customer.customerId, ''));
  const record = records.find((r) => r.campaign.id === task.campaignId);
  if (!record || record.episode !== task.episode) return { skip: 'episode-changed' };
  const reschedule = async (dueAt: string | undefined) => {
    if (dueAt !== customer.winbackDueAt)
      await deps.customers.setWinbackDue(customer.customerId, customer.dormantSince, dueAt);
  };
  const ineligible = recipientIneligibility(customer);
  if (ineligible) {
    await reschedule(undefined);
    return { skip: ineligible };
  }
  const pending = pendingStep(record);
  const dropped = record.enrollment?.arm !== 'treated' ? 'not-enrolled' : !pending ? 'sequence-complete' : undefined;
  if (dropped || !pending || pending.step.id !== task.stepId || pending.dueAt > task.runAsOf) {
    await reschedule(nextCampaignDueAt(customer, records, task.runAsOf));
    return { skip: dropped ?? (pending?.step.id !== task.stepId ? 'step-taken' : 'not-due-yet') };
  }
  const plan = taskPlan(customer, records, record, task.stepId, task.runAsOf);
  return plan ? { plan } : { skip: 'episode-changed' };
}
