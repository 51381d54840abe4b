import type { Customer } from './customer.ts';
import { addDays } from './time.ts';
import type { LedgerEntry } from './winback.ts';

/**
 * Campaign results with attribution and uplift, computed from the send ledger (sent and held-out entries), the
 * customers (unsubscribes) and their orders. Pure.
 *
 * Attribution: a purchase within `attributionDays` after a touch (a send, or a hold-out record at the same point
 * of the sequence) is a reactivation, credited to the latest touch before it. Each customer's dormancy episode
 * counts at most one reactivation; its revenue is the sum of orders within the window after that touch.
 *
 * Uplift: reactivation rate of treated episodes minus that of held-out episodes, with a 95% confidence interval by
 * Newcombe's hybrid score method (method 10, from two Wilson score intervals), which behaves well for small
 * counts and rates near 0, unlike the Wald interval.
 */
export interface RateWithInterval {
  n: number;
  reactivated: number;
  rate: number | null;
  /** 95% Wilson score interval */
  low: number | null;
  high: number | null;
}

export interface UpliftEstimate {
  treated: RateWithInterval;
  holdout: RateWithInterval;
  /** treated rate - holdout rate (absolute, in rate units) */
  uplift: number | null;
  low: number | null;
  high: number | null;
  method: string;
}

export interface StepResults {
  stepId: string;
  eligible: number;
  sent: number;
  heldOut: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
  unsubscribed: number;
  reactivated: number;
  reactivationRevenueMinor: number;
  heldOutReactivated: number;
  uplift: UpliftEstimate;
}

export interface CampaignResults {
  campaignId: string;
  asOf: string;
  attributionDays: number;
  currency: string;
  steps: StepResults[];
  overall: UpliftEstimate & { reactivationRevenueMinor: number };
}

export interface OrderTouchFacts {
  placedAt: string;
  amountMinor: number;
}

const Z = 1.959963984540054;
export const UPLIFT_METHOD = 'Newcombe hybrid score interval (method 10) from Wilson 95% intervals';

/** Wilson score interval for x successes in n trials. */
export function wilson(x: number, n: number, z = Z): { low: number; high: number } | null {
  if (n === 0) return null;
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

function rate(reactivated: number, n: number): RateWithInterval {
  const interval = wilson(reactivated, n);
  return { n, reactivated, rate: n ? reactivated / n : null, low: interval?.low ?? null, high: interval?.high ?? null };
}

/** The rate and its interval when there is one (a group of at least one customer). */
function estimated(r: RateWithInterval): { rate: number; low: number; high: number } | undefined {
  return r.rate === null || r.low === null || r.high === null ? undefined : { rate: r.rate, low: r.low, high: r.high };
}

/** Newcombe's method 10: CI of p1 - p2 from the two Wilson intervals. */
export function uplift(
  treatedReactivated: number,
  treatedN: number,
  holdoutReactivated: number,
  holdoutN: number,
): UpliftEstimate {
  const treated = rate(treatedReactivated, treatedN);
  const holdout = rate(holdoutReactivated, holdoutN);
  const t = estimated(treated);
  const h = estimated(holdout);
  if (!t || !h) return { treated, holdout, uplift: null, low: null, high: null, method: UPLIFT_METHOD };
  const { rate: p1, low: l1, high: u1 } = t;
  const { rate: p2, low: l2, high: u2 } = h;
  const d = p1 - p2;
  return {
    treated,
    holdout,
    uplift: d,
    low: d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    method: UPLIFT_METHOD,
  };
}

export function campaignResults(
  campaignId: string,
  entries: readonly LedgerEntry[],
  customers: ReadonlyMap<string, Customer>,
  orders: ReadonlyMap<string, readonly OrderTouchFacts[]>,
  stepOrder: readonly string[],
  options: { asOf: string; attributionDays: number; currency: string },
): CampaignResults {
  const touches = entries.filter(
    (e) =>
      e.campaignId === campaignId && (e.status === 'sent' || e.status === 'held_out') && e.claimedAt <= options.asOf,
  );
  const steps = new Map<string, StepResults & { _treatedN: number; _heldN: number }>();
  const stepOf = (id: string) => {
    let s = steps.get(id);
    if (!s) {
      s = {
        stepId: id,
        eligible: 0,
        sent: 0,
        heldOut: 0,
        delivered: 0,
        bounced: 0,
        complained: 0,
        opened: 0,
        clicked: 0,
        unsubscribed: 0,
        reactivated: 0,
        reactivationRevenueMinor: 0,
        heldOutReactivated: 0,
        uplift: uplift(0, 0, 0, 0),
        _treatedN: 0,
        _heldN: 0,
      };
      steps.set(id, s);
    }
    return s;
  };
  // Group touches by customer episode, in time order.
  const episodes = new Map<string, LedgerEntry[]>();
  for (const e of touches) {
    const key = `${e.customerId}\u0000${e.episode}`;
    const list = episodes.get(key) ?? [];
    list.push(e);
    episodes.set(key, list);
    const s = stepOf(e.stepId);
    s.eligible += 1;
    if (e.status === 'held_out') s.heldOut += 1;
    else {
      s.sent += 1;
      if (e.deliveredAt) s.delivered += 1;
      if (e.bouncedAt) s.bounced += 1;
      if (e.complainedAt) s.complained += 1;
      if (e.openedAt) s.opened += 1;
      if (e.clickedAt) s.clicked += 1;
    }
  }
  let treatedN = 0;
  let heldN = 0;
  let treatedReactivated = 0;
  let heldReactivated = 0;
  let revenue = 0;
  for (const list of episodes.values()) {
    list.sort((a, b) => a.claimedAt.localeCompare(b.claimedAt));
    const [first] = list;
    if (!first) continue; // every episode has its first touch
    const held = first.status === 'held_out';
    if (held) heldN += 1;
    else treatedN += 1;
    for (const e of list) {
      const s = stepOf(e.stepId);
      if (held) s._heldN += 1;
      else s._treatedN += 1;
    }
    const customerOrders = [...(orders.get(first.customerId) ?? [])]
      .filter((o) => o.placedAt > first.claimedAt && o.placedAt <= options.asOf)
      .sort((a, b) => a.placedAt.localeCompare(b.placedAt));
    // The first purchase that falls within the window of the latest touch before it.
    let credited: LedgerEntry | undefined;
    let creditedRevenue = 0;
    for (const order of customerOrders) {
      const touch = [...list].reverse().find((e) => e.claimedAt < order.placedAt);
      if (touch && order.placedAt <= addDays(touch.claimedAt, options.attributionDays)) {
        credited = touch;
        const windowEnd = addDays(touch.claimedAt, options.attributionDays);
        creditedRevenue = customerOrders
          .filter((o) => o.placedAt > touch.claimedAt && o.placedAt <= windowEnd)
          .reduce((sum, o) => sum + o.amountMinor, 0);
        break;
      }
    }
    if (credited) {
      const s = stepOf(credited.stepId);
      if (held) {
        heldReactivated += 1;
        s.heldOutReactivated += 1;
      } else {
        treatedReactivated += 1;
        s.reactivated += 1;
        s.reactivationRevenueMinor += creditedRevenue;
        revenue += creditedRevenue;
      }
    }
    // An unsubscribe from this campaign is credited to the latest email sent before it.
    const consent = customers.get(first.customerId)?.consent;
    if (!held && consent && !consent.marketing && consent.source === `unsubscribe:${campaignId}`.slice(0, 64)) {
      const touch = [...list].reverse().find((e) => e.claimedAt <= consent.at && e.status === 'sent');
      if (touch) stepOf(touch.stepId).unsubscribed += 1;
    }
  }
  const ordered = [...steps.values()].sort((a, b) => stepOrder.indexOf(a.stepId) - stepOrder.indexOf(b.stepId));
  return {
    campaignId,
    asOf: options.asOf,
    attributionDays: options.attributionDays,
    currency: options.currency,
    steps: ordered.map(({ _treatedN, _heldN, ...s }) => ({
      ...s,
      uplift: uplift(s.reactivated, _treatedN, s.heldOutReactivated, _heldN),
    })),
    overall: { ...uplift(treatedReactivated, treatedN, heldReactivated, heldN), reactivationRevenueMinor: revenue },
  };
}
