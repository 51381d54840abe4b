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

/** Day thresholds measured from the last purchase. */
export const LifecyclePolicySchema = z
  .object({
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
 * The lifecycle stage of a customer at `now`. Pure: same facts, same time, same answer.
 *  - prospect: never purchased
 *  - lost / dormant / at_risk: days since the last purchase crossed the threshold
 *  - reactivated: was dormant or lost and purchased again (stays so for `reactivatedForDays`)
 *  - new: exactly one purchase, still recent; active: two or more, recent
 */
export function stageOf(facts: ActivityFacts, now: string, policy: LifecyclePolicy): Stage {
  if (facts.orderCount === 0 || !facts.lastPurchaseAt) return 'prospect';
  const idle = daysBetween(facts.lastPurchaseAt, now);
  if (idle >= policy.lostAfterDays) return 'lost';
  if (idle >= policy.dormantAfterDays) return 'dormant';
  if (idle >= policy.atRiskAfterDays) return 'at_risk';
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
export function transitionReason(to: Stage, facts: ActivityFacts, now: string, policy: LifecyclePolicy): string {
  const idle = facts.lastPurchaseAt ? daysBetween(facts.lastPurchaseAt, now) : undefined;
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
export function nextCheckAt(facts: ActivityFacts, stage: Stage, policy: LifecyclePolicy): string | undefined {
  const last = facts.lastPurchaseAt;
  if (!last) return undefined;
  switch (stage) {
    case 'prospect':
    case 'lost':
      return undefined;
    case 'new':
    case 'active':
      return addDays(last, policy.atRiskAfterDays);
    case 'reactivated': {
      const atRisk = addDays(last, policy.atRiskAfterDays);
      const expires = facts.stageSince ? addDays(facts.stageSince, policy.reactivatedForDays) : atRisk;
      return expires < atRisk ? expires : atRisk;
    }
    case 'at_risk':
      return addDays(last, policy.dormantAfterDays);
    case 'dormant':
      return addDays(last, policy.lostAfterDays);
  }
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
