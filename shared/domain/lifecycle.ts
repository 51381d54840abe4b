import * as z from 'zod';
import { addDays, daysBetween } from './time.ts';

export const STAGES = ['prospect', 'new', 'active', 'reactivated', 'at_risk', 'dormant', 'lost'] as const;
export const StageSchema = z.enum(STAGES);
/** Stages whose entry can trigger a campaign. `prospect` (no purchase) and `active` (buying) are not. */
export const TRIGGER_STAGES = ['new', 'at_risk', 'dormant', 'lost', 'reactivated'] as const;
export type Stage = z.infer<typeof StageSchema>;

/** A count of zero for every stage, in STAGES order. */
export function zeroPerStage(): Record<Stage, number> {
  return { prospect: 0, new: 0, active: 0, reactivated: 0, at_risk: 0, dormant: 0, lost: 0 };
}

/** How active a stage is; time passing without activity may only keep or lower it. */
export const ACTIVITY_RANK: Record<Stage, number> = {
  prospect: 0,
  new: 4,
  active: 4,
  reactivated: 4,
  at_risk: 3,
  dormant: 2,
  lost: 1,
};

/**
 * The adaptive policy's thresholds on the customer's own P(alive) under the predictive model (docs/predictive.md):
 * at risk below `atRiskBelow`, dormant below `dormantBelow`, lost below `lostBelow`, never before `minIdleDays` of
 * silence. A customer the model cannot score (no model fitted yet) is classified by the day thresholds.
 */
export const AdaptiveThresholdsSchema = z
  .object({
    atRiskBelow: z.number().gt(0).lt(1).default(0.6),
    dormantBelow: z.number().gt(0).lt(1).default(0.4),
    lostBelow: z.number().gt(0).lt(1).default(0.15),
    minIdleDays: z.number().int().nonnegative().default(14),
  })
  .refine((a) => a.lostBelow < a.dormantBelow && a.dormantBelow < a.atRiskBelow, {
    message: 'thresholds must satisfy lostBelow < dormantBelow < atRiskBelow',
    path: ['dormantBelow'],
  });
export type AdaptiveThresholds = z.infer<typeof AdaptiveThresholdsSchema>;

/** Day thresholds measured from the last purchase; or, adaptive, thresholds on the customer's own P(alive). */
export const LifecyclePolicySchema = z
  .object({
    /**
     * fixed: the day thresholds for everyone (the default); adaptive: each customer's own P(alive) under the
     * predictive model crosses `adaptive`'s thresholds (day thresholds for customers the model cannot score)
     */
    mode: z.enum(['fixed', 'adaptive']).default('fixed'),
    adaptive: AdaptiveThresholdsSchema.prefault({}),
    atRiskAfterDays: z.number().int().positive().default(60),
    dormantAfterDays: z.number().int().positive().default(90),
    lostAfterDays: z.number().int().positive().default(180),
    /** A reactivated customer counts as reactivated this long after the purchase that brought them back. */
    reactivatedForDays: z.number().int().positive().default(30),
    /**
     * Stages whose entry opens a campaign episode (the customer is made due for the campaign planner). Derived from
     * `engine.campaigns` by the engine config; not set by hand. In the fingerprint: a change re-runs a full pass.
     */
    campaignStages: z.array(z.enum(TRIGGER_STAGES)).default(['dormant']),
  })
  .refine((p) => p.atRiskAfterDays < p.dormantAfterDays && p.dormantAfterDays < p.lostAfterDays, {
    message: 'thresholds must satisfy atRiskAfterDays < dormantAfterDays < lostAfterDays',
    path: ['dormantAfterDays'],
  });
export type LifecyclePolicy = z.infer<typeof LifecyclePolicySchema>;
export const DEFAULT_POLICY: LifecyclePolicy = LifecyclePolicySchema.parse({});

/** The facts classification needs; a subset of the stored customer so replays can use it too. */
export interface ActivityFacts {
  orderCount: number;
  lastPurchaseAt?: string | undefined;
  /** The stage before this classification and since when; drives "reactivated". */
  stage?: Stage | undefined;
  stageSince?: string | undefined;
}

/**
 * A customer's survival under the predictive model, for the adaptive policy (built from the model in force by
 * customer.ts, which knows the customer's purchase days): P(alive) at an instant if nothing is bought after the last
 * purchase, and when it first falls below a threshold.
 */
export interface Survival {
  /** the model's id (its fit's as-of), for transition reasons */
  readonly model: string;
  pAliveAt(at: string): number;
  /** the first instant P(alive) is below `threshold`; undefined when not within ten years */
  crossing(threshold: number): string | undefined;
}

/** The idle stages in order of depth, with the threshold each has under either policy. */
const IDLE_STAGES = ['lost', 'dormant', 'at_risk'] as const;
type IdleStage = (typeof IDLE_STAGES)[number];

const probabilityThreshold = (policy: LifecyclePolicy, stage: IdleStage) =>
  stage === 'lost'
    ? policy.adaptive.lostBelow
    : stage === 'dormant'
      ? policy.adaptive.dormantBelow
      : policy.adaptive.atRiskBelow;

const dayThreshold = (policy: LifecyclePolicy, stage: IdleStage) =>
  stage === 'lost' ? policy.lostAfterDays : stage === 'dormant' ? policy.dormantAfterDays : policy.atRiskAfterDays;

/** The survival the policy classifies with: only in adaptive mode, and only when the model can score the customer. */
const adaptiveSurvival = (policy: LifecyclePolicy, survival: Survival | undefined) =>
  policy.mode === 'adaptive' ? survival : undefined;

/** The deepest idle stage the customer has reached at `now`, if any. */
function idleStageOf(last: string, now: string, policy: LifecyclePolicy, survival?: Survival): IdleStage | undefined {
  const model = adaptiveSurvival(policy, survival);
  const idle = daysBetween(last, now);
  if (model) {
    if (idle < policy.adaptive.minIdleDays) return undefined;
    const p = model.pAliveAt(now);
    return IDLE_STAGES.find((stage) => p < probabilityThreshold(policy, stage));
  }
  return IDLE_STAGES.find((stage) => idle >= dayThreshold(policy, stage));
}

/** When the customer, silent since `last`, reaches an idle stage (under the model: its crossing, after minIdleDays). */
function idleStageAt(last: string, stage: IdleStage, policy: LifecyclePolicy, survival?: Survival): string | undefined {
  const model = adaptiveSurvival(policy, survival);
  if (!model) return addDays(last, dayThreshold(policy, stage));
  const crossing = model.crossing(probabilityThreshold(policy, stage));
  if (!crossing) return undefined;
  const earliest = addDays(last, policy.adaptive.minIdleDays);
  return crossing > earliest ? crossing : earliest;
}

/**
 * The lifecycle stage of a customer at `now`. Pure: same facts, same time, same answer.
 *  - prospect: never purchased
 *  - lost / dormant / at_risk: days since the last purchase crossed the threshold (adaptive: the customer's
 *    P(alive) fell below the threshold, after at least minIdleDays of silence)
 *  - reactivated: was dormant or lost and purchased again (stays so for `reactivatedForDays`)
 *  - new: exactly one purchase, still recent; active: two or more, recent
 */
export function stageOf(facts: ActivityFacts, now: string, policy: LifecyclePolicy, survival?: Survival): Stage {
  if (facts.orderCount === 0 || !facts.lastPurchaseAt) return 'prospect';
  const idleStage = idleStageOf(facts.lastPurchaseAt, now, policy, survival);
  if (idleStage) return idleStage;
  const previous = facts.stage;
  // "reactivated" lasts `reactivatedForDays` from the purchase that brought the customer back. A purchase that is
  // already older than that when first seen (recorded late) goes straight to new/active, so classifying twice at
  // the same instant gives the same answer.
  const comebackAt =
    previous === 'reactivated'
      ? facts.stageSince
      : (previous === 'dormant' || previous === 'lost') && facts.lastPurchaseAt > (facts.stageSince ?? '')
        ? facts.lastPurchaseAt
        : undefined;
  if (comebackAt && daysBetween(comebackAt, now) < policy.reactivatedForDays) return 'reactivated';
  return facts.orderCount === 1 ? 'new' : 'active';
}

/** Human-readable reason for a transition, stored with it for analytics. */
export function transitionReason(
  to: Stage,
  facts: ActivityFacts,
  now: string,
  policy: LifecyclePolicy,
  survival?: Survival,
): string {
  const idle = facts.lastPurchaseAt ? daysBetween(facts.lastPurchaseAt, now) : undefined;
  const model = adaptiveSurvival(policy, survival);
  if (model && (to === 'lost' || to === 'dormant' || to === 'at_risk')) {
    const p = model.pAliveAt(now);
    return `P(alive) ${p.toFixed(3)} < ${probabilityThreshold(policy, to)} after ${idle} days without a purchase (model of ${model.model.slice(0, 10)})`;
  }
  switch (to) {
    case 'prospect':
      return 'no purchase yet';
    case 'lost':
      return `no purchase for ${idle} days (>= ${policy.lostAfterDays})`;
    case 'dormant':
      return `no purchase for ${idle} days (>= ${policy.dormantAfterDays})`;
    case 'at_risk':
      return `no purchase for ${idle} days (>= ${policy.atRiskAfterDays})`;
    case 'reactivated':
      return `purchased again after being ${facts.stage}`;
    case 'new':
      return 'first purchase';
    case 'active':
      return facts.stage === 'new' ? 'second purchase' : `purchased within ${policy.atRiskAfterDays} days`;
  }
}

/**
 * When the stage of a customer in `stage` can next change without any new activity: the next threshold measured
 * from the last purchase (or the end of the reactivated period). Undefined for prospects and lost customers, whom
 * only new activity can move. The daily flag run reads only customers whose check fell due since its last run.
 */
export function nextCheckAt(
  facts: ActivityFacts,
  stage: Stage,
  policy: LifecyclePolicy,
  survival?: Survival,
): string | undefined {
  const last = facts.lastPurchaseAt;
  if (!last) return undefined;
  // Adaptive: the instant the customer's P(alive) will cross the next threshold. When it never does (within ten
  // years), the day threshold is the fallback, so the customer is looked at again (and rescored with the model then
  // in force) rather than never.
  const next = (target: IdleStage) =>
    idleStageAt(last, target, policy, survival) ?? addDays(last, dayThreshold(policy, target));
  switch (stage) {
    case 'prospect':
    case 'lost':
      return undefined;
    case 'new':
    case 'active':
      return next('at_risk');
    case 'reactivated': {
      const atRisk = next('at_risk');
      const expires = facts.stageSince ? addDays(facts.stageSince, policy.reactivatedForDays) : atRisk;
      return expires < atRisk ? expires : atRisk;
    }
    case 'at_risk':
      return next('dormant');
    case 'dormant':
      return next('lost');
  }
}

/**
 * When a threshold crossing into `stage` happened (for a missed run, the past instant it was reached), for a
 * customer silent since `last`; undefined for stages not reached by silence.
 */
export function idleCrossingAt(
  last: string,
  stage: Stage,
  policy: LifecyclePolicy,
  survival?: Survival,
): string | undefined {
  if (stage !== 'lost' && stage !== 'dormant' && stage !== 'at_risk') return undefined;
  return idleStageAt(last, stage, policy, survival);
}

/**
 * The start of the customer's current episode of a campaign stage, or undefined when not in one. `dormant` is the
 * dormancy episode (through lost, until a purchase). Any other stage's episode is the time in that stage with no
 * purchase after its start: a purchase always ends it (exit on purchase), even one that keeps the stage (a
 * reactivated customer buying again stays reactivated).
 */
export function stageEpisodeStart(
  customer: {
    stage: Stage;
    stageSince?: string | undefined;
    dormantSince?: string | undefined;
    lastPurchaseAt?: string | undefined;
  },
  stage: Stage,
): string | undefined {
  if (stage === 'dormant') return customer.dormantSince;
  if (customer.stage !== stage || !customer.stageSince) return undefined;
  if (customer.lastPurchaseAt && customer.lastPurchaseAt > customer.stageSince) return undefined;
  return customer.stageSince;
}
