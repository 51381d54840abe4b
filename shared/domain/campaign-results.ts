import { type Arm, type Campaign, ENROLLMENT_STEP, type Enrollment, enrollmentOf } from './campaign.ts';
import type { Customer } from './customer.ts';
import { meanDifference, moments, type RateWithInterval, REVENUE_METHOD, uplift } from './statistics.ts';
import { DAY_MS } from './time.ts';
import type { LedgerEntry } from './winback.ts';

export {
  meanDifference,
  type RateWithInterval,
  REVENUE_METHOD,
  UPLIFT_METHOD,
  type UpliftEstimate,
  uplift,
  wilson,
} from './statistics.ts';

/**
 * Campaign results, intent-to-treat, computed from the send ledger, the customers (unsubscribes) and their orders.
 * Pure.
 *
 * The unit is the **enrollment** (one customer, campaign and episode; campaign.ts `enrollmentOf`). The arm was
 * drawn at enrollment and the enrollment instant is the same moment for both arms, before quiet hours, the
 * frequency cap or any send, so comparing the arms as assigned compares like with like. Every enrolled customer
 * has an outcome, whatever happened to their sends (sent, failed, unknown, released, unsubscribed, none at all):
 *
 * - converted: at least one order with enrolledAt < placedAt <= enrolledAt + measurementDays (and <= asOf);
 * - revenue: the sum of those orders.
 *
 * Only enrollments whose window has closed by `asOf` (enrolledAt + measurementDays <= asOf) count in the headline;
 * the others are counted apart (`openWindows`), so a partial window never dilutes a rate. Enrollments after `asOf`
 * are not counted at all.
 *
 * Headline per campaign: the conversion rate of the treated arm minus that of the hold-out arm, with a 95%
 * confidence interval by Newcombe's hybrid score method (method 10, from two Wilson score intervals), which
 * behaves well for small counts and rates near 0, unlike the Wald interval; and the revenue per enrolled customer
 * of each arm with their difference, whose 95% interval is Welch's unequal-variance standard error with the normal
 * quantile (z = 1.96). That approximation is good from a few hundred enrollments per arm; revenue is skewed, so
 * with fewer it is too narrow. A customer enrolled in several episodes counts once per enrollment (the intervals
 * treat enrollments as independent).
 *
 * Per step: descriptive counts only (what was sent, what happened to it, purchases after a send). Who receives a
 * later step depends on what happened after the first one (purchases exit, unsubscribes stop, the cap defers), so
 * step figures are not a randomized comparison (`randomized: false`) and carry no uplift.
 */
/** One arm's closed enrollments and their outcomes. */
export interface ArmResults extends RateWithInterval {
  /** the sum of the orders within the measurement windows */
  revenueMinor: number;
  /** revenueMinor / n (null without closed enrollments); a mean, so not an integer */
  revenuePerEnrolledMinor: number | null;
  /** sample standard deviation of the revenue per enrollment (null below 2 enrollments) */
  revenueStdDevMinor: number | null;
}

/** Descriptive figures of one step; not a randomized comparison. */
export interface StepResults {
  stepId: string;
  /** always false: who reaches a step depends on what came before, so steps are not compared with the hold-out */
  randomized: false;
  /** treated entries by final status */
  sent: number;
  failed: number;
  /** claimed, SES outcome unknown */
  unknown: number;
  /** released (frequency cap, transient refusal, consent withdrawn) and not claimed again */
  released: number;
  /** hold-out entries: the step fell due and was recorded, no email */
  heldOut: number;
  delivered: number;
  opened: number;
  clicked: number;
  bounced: number;
  complained: number;
  /** unsubscribes from this campaign whose latest email before them was this step */
  unsubscribed: number;
  /** sent emails followed by a purchase within `attributionDays` after the send (descriptive, not causal) */
  purchasedAfter: number;
}

/** One campaign's intent-to-treat results. */
export interface CampaignResult {
  campaignId: string;
  analysis: 'intent-to-treat';
  /** the outcome window after enrollment, in days */
  measurementDays: number;
  /** the window of the per-step `purchasedAfter` counts, in days */
  attributionDays: number;
  /** all enrollments up to asOf: closed windows (treated.n + holdout.n) and open ones */
  enrolled: number;
  /** enrollments derived from step entries written before enrollment records existed (campaign.ts) */
  legacyEnrollments: number;
  /** closed enrollments of each arm and their outcomes */
  treated: ArmResults;
  holdout: ArmResults;
  /** treated rate - hold-out rate of the closed enrollments, with its 95% interval */
  uplift: number | null;
  low: number | null;
  high: number | null;
  method: string;
  /** treated - hold-out revenue per enrolled customer, with its 95% interval */
  revenueDifferencePerEnrolledMinor: number | null;
  revenueDifferenceLowMinor: number | null;
  revenueDifferenceHighMinor: number | null;
  revenueMethod: string;
  /** enrollments whose measurement window is still open at asOf: not in the headline */
  openWindows: { treated: number; holdout: number };
  /** the campaign's steps in order (then any step id the ledger holds that the config no longer has) */
  steps: StepResults[];
}

export interface CampaignResults {
  asOf: string;
  currency: string;
  campaigns: CampaignResult[];
}

export interface OrderTouchFacts {
  placedAt: string;
  amountMinor: number;
}

/** What the results need of a campaign. */
export type MeasuredCampaign = Pick<Campaign, 'id' | 'measurementDays' | 'steps'>;

export interface CampaignResultsOptions {
  asOf: string;
  campaigns: readonly MeasuredCampaign[];
  /** `sending.attributionDays`: the window of the descriptive per-step purchase counts */
  attributionDays: number;
  currency: string;
}

function armResults(r: RateWithInterval, revenues: readonly number[]): ArmResults {
  const { mean, variance } = moments(revenues);
  return {
    ...r,
    revenueMinor: revenues.reduce((a, b) => a + b, 0),
    revenuePerEnrolledMinor: mean,
    revenueStdDevMinor: variance === null ? null : Math.sqrt(variance),
  };
}

function emptyStep(stepId: string): StepResults {
  return {
    stepId,
    randomized: false,
    sent: 0,
    failed: 0,
    unknown: 0,
    released: 0,
    heldOut: 0,
    delivered: 0,
    opened: 0,
    clicked: 0,
    bounced: 0,
    complained: 0,
    unsubscribed: 0,
    purchasedAfter: 0,
  };
}

/** A customer's entries split by episode (almost always one). */
function byEpisode(entries: LedgerEntry[]): LedgerEntry[][] {
  const [first] = entries;
  if (!first || entries.every((e) => e.episode === first.episode)) return [entries];
  const groups = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const list = groups.get(e.episode);
    if (list) list.push(e);
    else groups.set(e.episode, [e]);
  }
  return [...groups.values()];
}

/** When an email left (or was claimed, when the send time is not recorded). */
const sendTime = (e: LedgerEntry) => e.sentAt ?? e.claimedAt;

/**
 * Intent-to-treat results of every campaign in `options.campaigns` (in that order), from all ledger entries
 * (entries of other campaigns are ignored), the enrolled customers (only `consent` is read: unsubscribes) and
 * their orders.
 */
export function campaignResults(
  entries: readonly LedgerEntry[],
  customers: ReadonlyMap<string, Pick<Customer, 'consent'>>,
  orders: ReadonlyMap<string, readonly OrderTouchFacts[]>,
  options: CampaignResultsOptions,
): CampaignResults {
  const byCampaign = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const list = byCampaign.get(e.campaignId);
    if (list) list.push(e);
    else byCampaign.set(e.campaignId, [e]);
  }
  return {
    asOf: options.asOf,
    currency: options.currency,
    campaigns: options.campaigns.map((c) => oneCampaign(c, byCampaign.get(c.id) ?? [], customers, orders, options)),
  };
}

function oneCampaign(
  campaign: MeasuredCampaign,
  entries: readonly LedgerEntry[],
  customers: ReadonlyMap<string, Pick<Customer, 'consent'>>,
  orders: ReadonlyMap<string, readonly OrderTouchFacts[]>,
  options: CampaignResultsOptions,
): CampaignResult {
  const { asOf, attributionDays } = options;
  const ordersOf = (customerId: string) => orders.get(customerId) ?? [];

  // 1. Enrollments: the campaign's entries grouped by customer, then by episode.
  const byCustomer = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const list = byCustomer.get(e.customerId);
    if (list) list.push(e);
    else byCustomer.set(e.customerId, [e]);
  }

  const converted: Record<Arm, number> = { treated: 0, holdout: 0 };
  const revenues: Record<Arm, number[]> = { treated: [], holdout: [] };
  const openWindows: Record<Arm, number> = { treated: 0, holdout: 0 };
  let enrolled = 0;
  let legacyEnrollments = 0;
  const steps = new Map<string, StepResults>(campaign.steps.map((s) => [s.id, emptyStep(s.id)]));
  const stepOf = (id: string) => {
    let s = steps.get(id);
    if (!s) {
      s = emptyStep(id);
      steps.set(id, s);
    }
    return s;
  };
  /** customer → the sent entries of enrollments up to asOf (for unsubscribes) */
  const sentOf = new Map<string, LedgerEntry[]>();
  // Instants are compared as epoch milliseconds (one parse each; the ledger and orders hold canonical ISO instants).
  const asOfMs = Date.parse(asOf);
  const windowMs = campaign.measurementDays * DAY_MS;
  const attributionMs = attributionDays * DAY_MS;
  const by = (at: string | undefined) => at !== undefined && at <= asOf;

  for (const [customerId, ofCustomer] of byCustomer)
    for (const list of byEpisode(ofCustomer)) {
      const enrollment: Enrollment | undefined = enrollmentOf(list);
      if (!enrollment || enrollment.at > asOf) continue; // not enrolled yet as of asOf
      enrolled += 1;
      if (enrollment.legacy) legacyEnrollments += 1;
      const placed: { at: number; amountMinor: number }[] = [];
      for (const o of ordersOf(customerId)) {
        const at = Date.parse(o.placedAt);
        if (at <= asOfMs) placed.push({ at, amountMinor: o.amountMinor });
      }

      // 2. The outcome, for every enrollment whose window has closed.
      const enrolledMs = Date.parse(enrollment.at);
      const windowEnd = enrolledMs + windowMs;
      if (windowEnd > asOfMs) openWindows[enrollment.arm] += 1;
      else {
        let revenue = 0;
        let bought = false;
        for (const o of placed) {
          if (o.at > enrolledMs && o.at <= windowEnd) {
            bought = true;
            revenue += o.amountMinor;
          }
        }
        if (bought) converted[enrollment.arm] += 1;
        revenues[enrollment.arm].push(revenue);
      }

      // 3. Descriptive step counts (open windows included: they describe what was sent).
      for (const e of list) {
        if (e.stepId === ENROLLMENT_STEP || e.claimedAt > asOf) continue;
        const s = stepOf(e.stepId);
        if (e.status === 'held_out') {
          s.heldOut += 1;
          continue;
        }
        if (e.status === 'sent') s.sent += 1;
        else if (e.status === 'failed') s.failed += 1;
        else if (e.status === 'claimed') s.unknown += 1;
        else if (e.status === 'released') s.released += 1;
        if (by(e.deliveredAt)) s.delivered += 1;
        if (by(e.openedAt)) s.opened += 1;
        if (by(e.clickedAt)) s.clicked += 1;
        if (by(e.bouncedAt)) s.bounced += 1;
        if (by(e.complainedAt)) s.complained += 1;
        if (e.status !== 'sent') continue;
        const at = Date.parse(sendTime(e));
        if (placed.some((o) => o.at > at && o.at <= at + attributionMs)) s.purchasedAfter += 1;
        const sent = sentOf.get(customerId);
        if (sent) sent.push(e);
        else sentOf.set(customerId, [e]);
      }
    }

  // An unsubscribe from this campaign is counted once, at the latest email of the campaign sent before it.
  const source = `unsubscribe:${campaign.id}`.slice(0, 64);
  for (const [customerId, sent] of sentOf) {
    const consent = customers.get(customerId)?.consent;
    if (!consent || consent.marketing || consent.source !== source || consent.at > asOf) continue;
    let latest: LedgerEntry | undefined;
    for (const e of sent) if (sendTime(e) <= consent.at && (!latest || sendTime(e) > sendTime(latest))) latest = e;
    if (latest) stepOf(latest.stepId).unsubscribed += 1;
  }

  const estimate = uplift(converted.treated, revenues.treated.length, converted.holdout, revenues.holdout.length);
  const revenue = meanDifference(revenues.treated, revenues.holdout);
  const configured = campaign.steps.map((s) => s.id);
  const others = [...steps.keys()].filter((id) => !configured.includes(id)).sort();
  return {
    campaignId: campaign.id,
    analysis: 'intent-to-treat',
    measurementDays: campaign.measurementDays,
    attributionDays,
    enrolled,
    legacyEnrollments,
    treated: armResults(estimate.treated, revenues.treated),
    holdout: armResults(estimate.holdout, revenues.holdout),
    uplift: estimate.uplift,
    low: estimate.low,
    high: estimate.high,
    method: estimate.method,
    revenueDifferencePerEnrolledMinor: revenue?.difference ?? null,
    revenueDifferenceLowMinor: revenue?.low ?? null,
    revenueDifferenceHighMinor: revenue?.high ?? null,
    revenueMethod: REVENUE_METHOD,
    openWindows,
    steps: [...configured, ...others].map((id) => stepOf(id)),
  };
}
