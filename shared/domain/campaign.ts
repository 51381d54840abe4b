import * as z from 'zod';
import { type Customer, hasMarketingConsent } from './customer.ts';
import { StageSchema, stageEpisodeStart, TRIGGER_STAGES } from './lifecycle.ts';
import { isHeldOutEnrollment, type SendingPolicy } from './sending-policy.ts';
import { addDays, daysBetween } from './time.ts';
import {
  type Ineligibility,
  type LedgerEntry,
  pendingInSequence,
  TemplateLocaleSchema,
  TemplateVarsSchema,
  type WinbackConfig,
  type WinbackStep,
  WinbackStepSchema,
} from './winback.ts';

/**
 * Lifecycle campaigns as data. A campaign is triggered by a customer entering a lifecycle stage; each time that
 * happens (an episode) the customer may be **enrolled** once: the arm (treated or hold-out) is drawn then, and the
 * enrollment instant is the same moment for both arms, before anything that depends on the arm (quiet hours, the
 * frequency cap, a send's outcome). Measurement is per enrollment (intent-to-treat, campaign-results.ts).
 */

export const TriggerStageSchema = z.enum(TRIGGER_STAGES);
export type TriggerStage = z.infer<typeof TriggerStageSchema>;

/**
 * What opens an episode: entering a stage. Under the adaptive policy a stage is entered when the customer's own
 * P(alive) crosses its threshold, so a stage trigger is then a score trigger; the audience filters on the score.
 * `dormant` spans the whole dormancy episode (dormant, then lost) as the win-back always has; every other stage's
 * episode ends when the customer leaves the stage (a purchase always does: exit on purchase).
 */
export const CampaignTriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('stage'),
    stage: TriggerStageSchema,
    /** qualify this many days after entering the stage, if still in it (`new` for 30 days: no second order) */
    afterDays: z.number().int().min(0).max(730).default(0),
  }),
]);
export type CampaignTrigger = z.infer<typeof CampaignTriggerSchema>;

/** Who may be enrolled, checked at enrollment. Every filter given must hold. */
export const AudienceSchema = z.strictObject({
  /** base languages of the customer's locale (`de` matches de, de-AT, de-CH) */
  locales: z
    .array(z.string().regex(/^[a-z]{2,3}$/, 'a base language such as de'))
    .min(1)
    .optional(),
  /** the customer's current stage (e.g. only `dormant`, not `lost`, for a dormancy trigger) */
  stages: z.array(StageSchema).min(1).optional(),
  minOrders: z.number().int().min(0).optional(),
  minRevenueMinor: z.number().int().min(0).optional(),
  /** where the marketing consent came from (`consent.source`, e.g. `checkout`) */
  consentSources: z.array(z.string().min(1).max(64)).min(1).optional(),
  /**
   * Filters on the predictive score stored on the customer (Customer.score, docs/predictive.md): e.g. win back only
   * the valuable ones (`minExpectedValueMinor`, `minValueAtRiskMinor`), or those the model thinks are slipping
   * (`maxPAlive`). A customer without a score (no model fitted yet) is not in an audience that has one of these.
   * With `policy.mode: "adaptive"` the stage trigger itself is the score crossing its threshold.
   */
  minExpectedValueMinor: z.number().int().min(0).optional(),
  minValueAtRiskMinor: z.number().int().min(0).optional(),
  maxPAlive: z.number().min(0).max(1).optional(),
  minPAlive: z.number().min(0).max(1).optional(),
});
export type Audience = z.infer<typeof AudienceSchema>;

export const CampaignSchema = z
  .strictObject({
    /** Stable id, part of every ledger key: never rename a campaign that has enrolled anyone. */
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lowercase letters, digits and dashes'),
    trigger: CampaignTriggerSchema,
    audience: AudienceSchema.default({}),
    /** offsets are days after the customer qualified (entered the stage + `afterDays`) */
    steps: z.array(WinbackStepSchema).min(1),
    /** share of enrollments in the hold-out arm (never emailed); default `sending.holdoutPercent` */
    holdoutPercent: z.number().min(0).max(50).optional(),
    /** when a customer qualifies for two campaigns at once the higher priority enrolls them; ties: config order */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** an episode that qualified longer ago than this when first seen is not enrolled (e.g. after install) */
    maxEpisodeAgeDays: z.number().int().positive().default(120),
    /**
     * Days after enrollment in which a purchase counts as the outcome, for both arms; default the last step's
     * offset plus `sending.attributionDays`. Only enrollments whose window has closed count in the headline.
     */
    measurementDays: z.number().int().min(1).max(730).optional(),
    /** the offer its templates show; default `winback.offerCode` / `offerPercent` */
    offerCode: z.string().max(40).optional(),
    offerPercent: z.number().int().min(1).max(90).optional(),
    /** the locale tried before `en` when a template lacks the customer's; default `winback.defaultLocale` */
    defaultLocale: TemplateLocaleSchema.optional(),
    /** variables its templates can use as `campaign.<name>` (added to `winback.templateVars`) */
    templateVars: TemplateVarsSchema.optional(),
  })
  .refine((c) => new Set(c.steps.map((s) => s.id)).size === c.steps.length, {
    message: 'step ids must be unique',
    path: ['steps'],
  })
  .refine((c) => c.steps.every((s, i, all) => i === 0 || s.offsetDays > (all[i - 1]?.offsetDays ?? -1)), {
    message: 'step offsets must increase',
    path: ['steps'],
  });
export type CampaignInput = z.input<typeof CampaignSchema>;

/** A campaign with every default filled in from the engine config: what the jobs work with. */
export type Campaign = z.output<typeof CampaignSchema> & {
  holdoutPercent: number;
  measurementDays: number;
  offerCode: string;
  offerPercent: number;
  defaultLocale: string;
  templateVars: Record<string, string>;
};

/** The ledger step id of an enrollment record (step ids cannot start with `@`, so it never collides). */
export const ENROLLMENT_STEP = '@enrollment';

export type Arm = 'treated' | 'holdout';

/** The campaigns of a deployment: `engine.campaigns`, or the win-back alone (`engine.winback`) as before. */
export function resolveCampaigns(
  campaigns: readonly z.output<typeof CampaignSchema>[] | undefined,
  winback: WinbackConfig,
  sending: SendingPolicy,
): Campaign[] {
  const list = campaigns ?? [
    {
      id: winback.campaignId,
      trigger: { type: 'stage' as const, stage: 'dormant' as const, afterDays: 0 },
      audience: {},
      steps: winback.steps,
      priority: 0,
      maxEpisodeAgeDays: winback.maxEpisodeAgeDays,
    },
  ];
  return list.map((c) => ({
    ...c,
    holdoutPercent: c.holdoutPercent ?? sending.holdoutPercent,
    measurementDays: c.measurementDays ?? (c.steps.at(-1)?.offsetDays ?? 0) + sending.attributionDays,
    offerCode: c.offerCode ?? winback.offerCode,
    offerPercent: c.offerPercent ?? winback.offerPercent,
    defaultLocale: c.defaultLocale ?? winback.defaultLocale,
    templateVars: { ...winback.templateVars, ...c.templateVars },
  }));
}

/** Campaigns in the order they win: higher priority first, then the order of the config. */
export function byPriority(campaigns: readonly Campaign[]): Campaign[] {
  return campaigns
    .map((campaign, index) => ({ campaign, index }))
    .sort((a, b) => b.campaign.priority - a.campaign.priority || a.index - b.index)
    .map(({ campaign }) => campaign);
}

/** The start of the customer's current episode for this trigger, or undefined when not in one. */
export function episodeStart(customer: Customer, trigger: CampaignTrigger): string | undefined {
  return stageEpisodeStart(customer, trigger.stage);
}

/** The episode as it appears in ledger keys and tasks: the start's date (the win-back's dormantSince date). */
export const episodeKeyOf = (start: string) => start.slice(0, 10);

/** When the customer qualifies in the current episode (entered the stage + `afterDays`). */
export function qualifiesAt(start: string, trigger: CampaignTrigger): string {
  return addDays(start, trigger.afterDays);
}

export function matchesAudience(customer: Customer, audience: Audience): boolean {
  const language = customer.locale.split('-')[0]?.toLowerCase() ?? '';
  if (audience.locales && !audience.locales.includes(language)) return false;
  if (audience.stages && !audience.stages.includes(customer.stage)) return false;
  if (audience.minOrders !== undefined && customer.orderCount < audience.minOrders) return false;
  if (audience.minRevenueMinor !== undefined && customer.revenueMinor < audience.minRevenueMinor) return false;
  if (audience.consentSources && !audience.consentSources.includes(customer.consent?.source ?? '')) return false;
  return matchesScore(customer.score, audience);
}

function matchesScore(score: Customer['score'], audience: Audience): boolean {
  const { minExpectedValueMinor, minValueAtRiskMinor, maxPAlive, minPAlive } = audience;
  const filtered = [minExpectedValueMinor, minValueAtRiskMinor, maxPAlive, minPAlive].some((f) => f !== undefined);
  if (!filtered) return true;
  if (!score) return false;
  if (minExpectedValueMinor !== undefined && score.expectedValueMinor < minExpectedValueMinor) return false;
  if (minValueAtRiskMinor !== undefined && score.valueAtRiskMinor < minValueAtRiskMinor) return false;
  if (maxPAlive !== undefined && score.pAlive > maxPAlive) return false;
  if (minPAlive !== undefined && score.pAlive < minPAlive) return false;
  return true;
}

/** A campaign episode's enrollment: the arm, the enrollment instant, and whether it was derived (legacy). */
export interface Enrollment {
  arm: Arm;
  at: string;
  /** no enrollment record: derived from the step entries written before enrollment records existed */
  legacy: boolean;
  /** the enrolling run queued the first step then (its task is in flight until the sender moves the due instant) */
  queuedAt?: string | undefined;
}

/**
 * The enrollment of one campaign episode of one customer, from its ledger entries (`entries`: that episode's only),
 * or undefined when the ledger holds nothing for it. The enrollment record when there is one (its `claimedAt` is
 * the enrollment instant, the same moment for both arms). Otherwise the episode started before enrollment records
 * existed and its enrollment is derived: the arm from the earliest step entry (by the as-of of the run that wrote
 * it: hold-out if it is `held_out`), the instant that run's as-of, marked legacy. The planner (`episodesOf`) and
 * the results (campaign-results.ts) both read enrollments through this, so they never disagree.
 */
export function enrollmentOf(entries: readonly LedgerEntry[]): Enrollment | undefined {
  const record = entries.find((e) => e.stepId === ENROLLMENT_STEP);
  if (record)
    return {
      arm: record.arm ?? 'treated',
      at: record.claimedAt,
      legacy: false,
      ...(record.queuedAt ? { queuedAt: record.queuedAt } : {}),
    };
  let first: LedgerEntry | undefined;
  for (const e of entries) if (!first || e.runAsOf < first.runAsOf) first = e;
  if (!first) return undefined;
  return { arm: first.status === 'held_out' ? 'holdout' : 'treated', at: first.runAsOf, legacy: true };
}

/** What the ledger holds for one campaign episode of one customer. */
export interface EpisodeRecord {
  campaign: Campaign;
  /** the episode key (date) */
  episode: string;
  /** the episode's qualification instant: step offsets count from it */
  qualifiedAt: string;
  enrollment?: Enrollment | undefined;
  /** step id → the as-of of the run that took it (sent, failed, claimed, held out; not released) */
  taken: Map<string, string>;
}

/**
 * The episodes the customer is in now, one per campaign whose trigger holds, with what the ledger says about them
 * (`entries`: the customer's entries for those episodes; others are ignored). An episode with step entries but no
 * enrollment record was started before enrollments existed: its enrollment is derived (arm from the first entry,
 * at the earliest run's as-of) and marked legacy.
 */
export function episodesOf(customer: Customer, campaigns: readonly Campaign[], entries: readonly LedgerEntry[]) {
  const records: EpisodeRecord[] = [];
  for (const campaign of byPriority(campaigns)) {
    const start = episodeStart(customer, campaign.trigger);
    if (!start) continue;
    const episode = episodeKeyOf(start);
    const mine = entries.filter((e) => e.campaignId === campaign.id && e.episode === episode);
    const taken = new Map<string, string>();
    for (const e of mine) if (e.stepId !== ENROLLMENT_STEP && e.status !== 'released') taken.set(e.stepId, e.runAsOf);
    const enrollment = enrollmentOf(mine);
    records.push({ campaign, episode, qualifiedAt: qualifiesAt(start, campaign.trigger), enrollment, taken });
  }
  return records;
}

/** The keys to read for a customer's current episodes: each one's enrollment and steps. */
export function episodeKeys(customer: Customer, campaigns: readonly Campaign[]): { customerId: string; key: string }[] {
  return campaigns.flatMap((campaign) => {
    const start = episodeStart(customer, campaign.trigger);
    if (!start) return [];
    const episode = episodeKeyOf(start);
    return [ENROLLMENT_STEP, ...campaign.steps.map((s) => s.id)].map((stepId) => ({
      customerId: customer.customerId,
      key: `${campaign.id}#${episode}#${stepId}`,
    }));
  });
}

/** The first step of the episode not taken yet and when it falls due (spaced from the step before it). */
export function pendingStep(record: EpisodeRecord) {
  return pendingInSequence(record.campaign.steps, record.qualifiedAt, record.taken);
}

/** Whether the customer can receive marketing email at all (any campaign): consent, an address, no suppression. */
export function recipientIneligibility(customer: Customer): Ineligibility | undefined {
  if (customer.suppression) return 'suppressed';
  if (!hasMarketingConsent(customer)) return 'no-consent';
  if (!customer.email) return 'no-valid-email';
  return undefined;
}

export type CampaignAction =
  /** draw the arm and write the enrollment record now; `outranked`: campaigns that qualified too but lost */
  | { kind: 'enroll'; record: EpisodeRecord; arm: Arm; outranked: string[] }
  /** this step is due now: send it (treated) or record it as held out (hold-out) */
  | { kind: 'step'; record: EpisodeRecord; step: WinbackStep; index: number; arm: Arm }
  /** nothing due yet: look again then */
  | { kind: 'wait'; dueAt: string }
  /** nothing can become due in the customer's current episodes */
  | { kind: 'none'; skip: Ineligibility };

/**
 * The next thing to do for a customer at `now`, across every campaign (pure). One enrollment at a time: an enrolled
 * episode whose sequence is not complete goes on; otherwise the highest-priority campaign that qualifies enrolls
 * the customer (the others that qualified at the same time are recorded as outranked); one qualifying later makes
 * the customer due then.
 */
export function nextCampaignAction(customer: Customer, records: readonly EpisodeRecord[], now: string): CampaignAction {
  const ineligible = recipientIneligibility(customer);
  if (ineligible) return { kind: 'none', skip: ineligible };
  if (records.length === 0) return { kind: 'none', skip: 'not-dormant' };
  let wait: string | undefined;
  const earlier = (at: string) => {
    if (!wait || at < wait) wait = at;
  };
  for (const record of records) {
    if (!record.enrollment) continue;
    const pending = pendingStep(record);
    if (!pending) continue; // complete: another campaign may enroll the customer
    if (pending.dueAt > now) return { kind: 'wait', dueAt: pending.dueAt };
    return { kind: 'step', record, step: pending.step, index: pending.index, arm: record.enrollment.arm };
  }
  const qualified: EpisodeRecord[] = [];
  let tooOld = false;
  for (const record of records) {
    if (record.enrollment || !matchesAudience(customer, record.campaign.audience)) continue;
    if (record.qualifiedAt > now) {
      earlier(record.qualifiedAt);
      continue;
    }
    if (daysBetween(record.qualifiedAt, now) > record.campaign.maxEpisodeAgeDays) {
      tooOld = true;
      continue;
    }
    qualified.push(record);
  }
  const [winner, ...outranked] = qualified;
  if (winner) {
    const { campaign, episode } = winner;
    const arm: Arm = isHeldOutEnrollment(customer.customerId, campaign.id, episode, campaign.holdoutPercent)
      ? 'holdout'
      : 'treated';
    return { kind: 'enroll', record: winner, arm, outranked: outranked.map((r) => r.campaign.id) };
  }
  if (wait) return { kind: 'wait', dueAt: wait };
  const allEnrolled = records.every((r) => r.enrollment);
  return { kind: 'none', skip: tooOld ? 'episode-too-old' : allEnrolled ? 'sequence-complete' : 'not-in-audience' };
}

/** When the customer should next be looked at, or undefined when nothing can become due in these episodes. */
export function nextCampaignDueAt(customer: Customer, records: readonly EpisodeRecord[], now: string) {
  const action = nextCampaignAction(customer, records, now);
  if (action.kind === 'wait') return action.dueAt;
  if (action.kind === 'none') return undefined;
  return now;
}

/** The win-back settings (offer, shop) a campaign's emails are rendered with. */
export function renderingConfig(campaign: Campaign, winback: WinbackConfig): WinbackConfig {
  return {
    ...winback,
    campaignId: campaign.id,
    steps: campaign.steps,
    offerCode: campaign.offerCode,
    offerPercent: campaign.offerPercent,
    defaultLocale: campaign.defaultLocale,
    templateVars: campaign.templateVars,
  };
}

/**
 * What a planned send carries so the sender writes the customer once without reading it (WinbackTask `plan`): the
 * episode (trigger stage and exact start), the dormancy episode, the time zone, and the due instant once `stepId`
 * is taken at `asOf`. Undefined when the customer is not in the record's episode.
 */
export function taskPlan(
  customer: Customer,
  records: readonly EpisodeRecord[],
  record: EpisodeRecord,
  stepId: string,
  asOf: string,
) {
  const start = episodeStart(customer, record.campaign.trigger);
  if (!start) return undefined;
  const after = records.map((r) => (r === record ? { ...r, taken: new Map([...r.taken, [stepId, asOf]]) } : r));
  return {
    stage: record.campaign.trigger.stage,
    episodeStart: start,
    dormantSince: customer.dormantSince ?? null,
    timeZone: customer.timeZone,
    nextDueAt: nextCampaignDueAt(customer, after, asOf) ?? null,
  };
}
