import * as z from 'zod';
import { CustomerIdSchema, InstantSchema, TimeZoneSchema } from './common.ts';
import { type Customer, hasMarketingConsent } from './customer.ts';
import { StageSchema } from './lifecycle.ts';
import { addDays, daysBetween } from './time.ts';

/**
 * A template id: the file name of a template in the templates folder (`templates/<locale>/<id>.mjml`). That it
 * exists, in a locale every customer can fall back to, is checked by `clientele templates lint` and at synth.
 */
export const TemplateIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes (the template file name)');

/** A template locale folder: a lowercase BCP 47 tag (`en`, `nb`, `pt-br`). */
export const TemplateLocaleSchema = z
  .string()
  .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/, 'a lowercase BCP 47 language tag such as en, nb or pt-br');

/** Names of template variables a marketer defines (front matter `vars`, a campaign's `templateVars`). */
export const TemplateVarNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lowercase, digits and _');

/** What a campaign adds to its templates' variables: `campaign.<name>` in Liquid. */
export const TemplateVarsSchema = z.record(TemplateVarNameSchema, z.string().max(500));

export const WinbackStepSchema = z.object({
  /** Stable id, part of the ledger key; never rename a step that has been sent. */
  id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'lowercase letters, digits and dashes'),
  /** Days after the customer became dormant. */
  offsetDays: z.number().int().nonnegative(),
  template: TemplateIdSchema,
});
export type WinbackStep = z.infer<typeof WinbackStepSchema>;

export const WinbackConfigSchema = z
  .object({
    campaignId: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .default('winback'),
    steps: z
      .array(WinbackStepSchema)
      .min(1)
      .default([
        { id: 'miss-you', offsetDays: 0, template: 'miss-you' },
        { id: 'offer', offsetDays: 14, template: 'offer' },
        { id: 'last-chance', offsetDays: 30, template: 'last-chance' },
      ]),
    /** The offer the templates show (`offer_code`, `offer_percent`). */
    offerCode: z.string().max(40).default('COMEBACK15'),
    offerPercent: z.number().int().min(1).max(90).default(15),
    shopName: z.string().min(1).max(80).default('our shop'),
    shopUrl: z.url().default('https://shop.example.com'),
    /** The locale tried before the final `en` when a template has no variant for the customer's locale. */
    defaultLocale: TemplateLocaleSchema.default('en'),
    /** Variables the templates can use as `campaign.<name>`. */
    templateVars: TemplateVarsSchema.default({}),
    /** Dormancy episodes older than this do not start a sequence (e.g. after first install). */
    maxEpisodeAgeDays: z.number().int().positive().default(120),
  })
  .refine((c) => new Set(c.steps.map((s) => s.id)).size === c.steps.length, {
    message: 'step ids must be unique',
    path: ['steps'],
  })
  .refine(
    (c) =>
      c.steps.every((s, i, all) => {
        const before = all[i - 1];
        return before === undefined || s.offsetDays > before.offsetDays;
      }),
    {
      message: 'step offsets must increase',
      path: ['steps'],
    },
  );
export type WinbackConfig = z.infer<typeof WinbackConfigSchema>;

/**
 * claimed: owned by a run, SES not (yet) known to have accepted; sent; failed: SES refused for good;
 * released: SES refused for a transient reason, or the frequency cap held it back: a later run may claim again;
 * held_out: in the campaign's hold-out group, never emailed (the control for uplift);
 * enrolled: the enrollment record of a campaign episode (step `@enrollment`, campaign.ts), with its arm.
 */
export const LedgerStatusSchema = z.enum(['claimed', 'sent', 'failed', 'released', 'held_out', 'enrolled']);

/**
 * One send-ledger entry per customer + campaign episode + step. It is claimed with a conditional write before
 * SES is called, so no rerun, retry or concurrent run can send the same step twice.
 */
export const LedgerEntrySchema = z.object({
  customerId: CustomerIdSchema,
  /** `<campaignId>#<dormantSince date>#<stepId>`: one sequence per dormancy episode */
  key: z.string().min(1).max(200),
  campaignId: z.string(),
  episode: z.string(),
  stepId: z.string(),
  status: LedgerStatusSchema,
  claimedAt: InstantSchema,
  /** the as-of instant of the run that claimed it; spacing between steps is measured from it */
  runAsOf: InstantSchema,
  runId: z.string(),
  sentAt: InstantSchema.optional(),
  messageId: z.string().optional(),
  /** the template locale the email was rendered in (after the fallback chain): results split by language */
  locale: z.string().max(35).optional(),
  error: z.string().max(500).optional(),
  /** SES feedback, first occurrence of each */
  deliveredAt: InstantSchema.optional(),
  openedAt: InstantSchema.optional(),
  clickedAt: InstantSchema.optional(),
  bouncedAt: InstantSchema.optional(),
  bounceType: z.string().max(40).optional(),
  complainedAt: InstantSchema.optional(),
  rejectedAt: InstantSchema.optional(),
  /** enrollment records: the arm drawn at enrollment (`claimedAt` is the enrollment instant) */
  arm: z.enum(['treated', 'holdout']).optional(),
  /** enrollment records: when the enrolling run queued the first step (the record leases it, no customer write) */
  queuedAt: InstantSchema.optional(),
  /** enrollment records: campaigns the customer qualified for at the same time, which this one outranked */
  outranked: z.array(z.string().max(40)).max(50).optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** The customer's current dormancy episode: the date its dormancy started (none when not in one). */
export function episodeOf(customer: WinbackRecipient): string;
export function episodeOf(customer: Customer): string | undefined;
export function episodeOf(customer: Customer): string | undefined {
  return customer.dormantSince?.slice(0, 10);
}

export function ledgerKey(campaignId: string, episode: string, stepId: string): string {
  return `${campaignId}#${episode}#${stepId}`;
}

export type Ineligibility =
  | 'not-dormant'
  | 'no-consent'
  | 'no-valid-email'
  | 'suppressed'
  | 'episode-too-old'
  | 'sequence-complete'
  | 'not-due-yet'
  | 'not-in-audience';

/** A customer with an address known to be set: what an email is composed for. */
export type EmailRecipient = Customer & { email: string };

/** A customer who may receive win-back email: in a dormancy episode, consenting, not suppressed, with an address. */
export type WinbackRecipient = EmailRecipient & { dormantSince: string };

/**
 * Whether the customer can receive any win-back email, independent of what was sent: the customer as a
 * WinbackRecipient (a copy with the address and episode start known to be set), or why not.
 */
export function winbackEligibility(customer: Customer): { recipient: WinbackRecipient } | { skip: Ineligibility } {
  const { email, dormantSince } = customer;
  if ((customer.stage !== 'dormant' && customer.stage !== 'lost') || !dormantSince) return { skip: 'not-dormant' };
  if (customer.suppression) return { skip: 'suppressed' };
  if (!hasMarketingConsent(customer)) return { skip: 'no-consent' };
  if (!email) return { skip: 'no-valid-email' };
  return { recipient: { ...customer, email, dormantSince } };
}

/** Why the customer cannot receive any win-back email, independent of what was sent; undefined if they can. */
export function winbackIneligibility(customer: Customer): Ineligibility | undefined {
  const eligibility = winbackEligibility(customer);
  return 'skip' in eligibility ? eligibility.skip : undefined;
}

export type NextStep = { step: WinbackStep; index: number; dueAt: string } | { skip: Ineligibility };

/**
 * Which step, if any, the customer should receive at `now`. Steps go out in order, one per run, each no earlier
 * than its offset after the start of dormancy and no earlier than the gap to the previous step after that step
 * was sent, so a backlog never produces a burst of emails.
 *
 * `sent` maps step id → the as-of instant of the run that claimed it, for this customer's current episode.
 */
export function nextWinbackStep(
  customer: Customer,
  sent: ReadonlyMap<string, string>,
  now: string,
  config: WinbackConfig,
): NextStep {
  const pending = pendingWinbackStep(customer, sent, now, config);
  if ('skip' in pending) return pending;
  if (pending.dueAt > now) return { skip: 'not-due-yet' };
  return pending;
}

/**
 * When the customer's win-back should next be looked at: the due instant of their next step (possibly in the past:
 * due now), or undefined when no step can ever be due in this episode (ineligible, complete, too old). Stored as
 * `winbackDueAt` and indexed, so the hourly run reads only customers with something due.
 */
export function nextWinbackDueAt(
  customer: Customer,
  sent: ReadonlyMap<string, string>,
  now: string,
  config: WinbackConfig,
): string | undefined {
  const pending = pendingWinbackStep(customer, sent, now, config);
  return 'skip' in pending ? undefined : pending.dueAt;
}

/** The customer's next step in the sequence and when it falls due, whether or not that is before `now`. */
function pendingWinbackStep(
  customer: Customer,
  sent: ReadonlyMap<string, string>,
  now: string,
  config: WinbackConfig,
): NextStep {
  const eligibility = winbackEligibility(customer);
  if ('skip' in eligibility) return eligibility;
  const { dormantSince } = eligibility.recipient;
  const pending = pendingInSequence(config.steps, dormantSince, sent);
  if (!pending) return { skip: 'sequence-complete' };
  if (pending.index === 0) {
    if (daysBetween(dormantSince, pending.dueAt > now ? pending.dueAt : now) > config.maxEpisodeAgeDays) {
      return { skip: 'episode-too-old' };
    }
  }
  return pending;
}

/**
 * The first step of a sequence not taken yet and when it falls due: its offset after `startedAt`, and no earlier
 * than the gap to the step before it after that step was taken (`taken`: step id → the as-of of the run that took
 * it), so a backlog never produces a burst of emails.
 */
export function pendingInSequence(
  steps: readonly WinbackStep[],
  startedAt: string,
  taken: ReadonlyMap<string, string>,
): { step: WinbackStep; index: number; dueAt: string } | undefined {
  let previous: { step: WinbackStep; at: string } | undefined;
  for (const [index, step] of steps.entries()) {
    const at = taken.get(step.id);
    if (at !== undefined) {
      previous = { step, at };
      continue;
    }
    let dueAt = addDays(startedAt, step.offsetDays);
    if (previous) {
      // Day granularity: a daily run at 10:00 must not slip a day because the previous send took seconds.
      const spaced = addDays(`${previous.at.slice(0, 10)}T00:00:00.000Z`, step.offsetDays - previous.step.offsetDays);
      if (spaced > dueAt) dueAt = spaced;
    }
    return { step, index, dueAt };
  }
  return undefined;
}

/**
 * One planned send: what the hourly planner puts on the queue and the sender takes off it. No address or name:
 * the sender re-reads the customer, so consent withdrawn in between is honoured.
 */
export const WinbackTaskSchema = z.object({
  customerId: CustomerIdSchema,
  campaignId: z.string().regex(/^[a-z0-9-]{1,40}$/),
  /** the dormancy episode (dormantSince date) the step belongs to */
  episode: z.iso.date(),
  stepId: z.string().regex(/^[a-z0-9-]{1,32}$/),
  /** the planning run's as-of and id, recorded on the ledger entry */
  runAsOf: InstantSchema,
  runId: z.string().min(1).max(100),
  /**
   * What the planner knew, so the sender writes the customer once without reading it first (winback-send.ts): the
   * episode (trigger stage and exact start), the customer's time zone (quiet hours) and the due instant after this
   * step (`null`: none). A task without them (planned before they existed) is looked up first.
   */
  plan: z
    .strictObject({
      stage: StageSchema,
      episodeStart: InstantSchema,
      /** the dormancy episode the customer was in (`setWinbackDue` checks it), `null`: none */
      dormantSince: InstantSchema.nullable(),
      timeZone: TimeZoneSchema,
      nextDueAt: InstantSchema.nullable(),
    })
    .optional(),
});
export type WinbackTask = z.infer<typeof WinbackTaskSchema>;
