import { createHash } from 'node:crypto';
import type { CampaignInput } from '../shared/domain/campaign.ts';
import { ENROLLMENT_STEP } from '../shared/domain/campaign.ts';
import type { CampaignResults } from '../shared/domain/campaign-results.ts';
import { type EngineConfig, EngineConfigSchema } from '../shared/domain/config.ts';
import type { CustomerEvent } from '../shared/domain/events.ts';
import { addDays } from '../shared/domain/time.ts';
import type { LedgerEntry } from '../shared/domain/winback.ts';
import type { SendLedger } from '../shared/ports.ts';

/**
 * The demo's three lifecycle campaigns (used when no config file is given): a second purchase for new customers
 * who have not bought again after 21 days, a nudge when a customer becomes at risk, and the win-back. Half of each
 * campaign's enrollments are held out, so that the demo's few thousand enrollments measure the effect precisely
 * (a deployment's default is 10%), and the outcome window is 14 days, so windows close within the replay.
 */
export const DEMO_CAMPAIGNS: CampaignInput[] = [
  {
    id: 'second-purchase',
    trigger: { type: 'stage', stage: 'new', afterDays: 21 },
    steps: [
      { id: 'second-nudge', offsetDays: 0, template: 'miss-you' },
      { id: 'second-offer', offsetDays: 7, template: 'offer' },
    ],
    holdoutPercent: 50,
    priority: 1,
    measurementDays: 14,
  },
  {
    id: 'at-risk',
    trigger: { type: 'stage', stage: 'at_risk' },
    steps: [
      { id: 'at-risk-nudge', offsetDays: 0, template: 'miss-you' },
      { id: 'at-risk-offer', offsetDays: 10, template: 'offer' },
    ],
    holdoutPercent: 50,
    priority: 2,
    measurementDays: 14,
  },
  {
    id: 'winback',
    trigger: { type: 'stage', stage: 'dormant' },
    steps: [
      { id: 'miss-you', offsetDays: 0, template: 'miss-you' },
      { id: 'offer', offsetDays: 14, template: 'offer' },
      { id: 'last-chance', offsetDays: 30, template: 'last-chance' },
    ],
    holdoutPercent: 50,
    priority: 3,
    measurementDays: 14,
  },
];

/** The engine config with the demo's campaigns in place of the default win-back alone. */
export function withDemoCampaigns(config: EngineConfig): EngineConfig {
  return EngineConfigSchema.parse({ ...config, campaigns: DEMO_CAMPAIGNS });
}

/** A uniform draw in [0, 1) from a string: SHA-256, so draws for related keys are independent of each other. */
function uniform(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

export interface BaselineOrder {
  customerId: string;
  placedAt: string;
}

/** What the planted effect did in one campaign, over the enrollments whose window had closed by the as-of. */
export interface PlantedEffectTruth {
  campaignId: string;
  /** the requested effect of assignment to the treated arm (absolute, rate units) */
  requested: number;
  /** closed enrollments, both arms */
  enrollments: number;
  /** the share of them who would buy in the window without the campaign (from the synthetic base's own orders) */
  baselineRate: number | null;
  /**
   * The sample average treatment effect over those enrollments: the share who buy in the window if treated minus
   * the share who buy if not, both potential outcomes known for every enrollment (the truth the estimate targets).
   */
  sampleEffect: number | null;
  /** planted purchases recorded (treated arm only) */
  plantedOrders: number;
}

interface Enrolled {
  campaignId: string;
  customerId: string;
  at: string;
  windowDays: number;
  treated: boolean;
  /** buys in the window anyway (a synthetic order) */
  baseline: boolean;
  /** would buy in the window because of the campaign (drawn for both arms; planted only for the treated) */
  caused: boolean;
}

/**
 * The demo's known truth. Being assigned to a campaign's treated arm raises the chance of a purchase within its
 * outcome window by `effect` (absolute): a treated customer who would not buy in the window otherwise (no
 * synthetic order there) buys with probability effect / (1 − p0), p0 being the campaign's baseline rate so far,
 * at a uniform instant in the window. The draw is made for both arms, so the exact sample effect is known.
 */
export class EffectPlanter {
  private readonly seen = new Set<string>();
  private readonly enrolled: Enrolled[] = [];
  private readonly pending: CustomerEvent[] = [];
  private readonly emitted = new Set<string>();
  private readonly baseline = new Map<string, string[]>();
  private readonly windows: Map<string, number>;

  constructor(
    private readonly effect: number,
    private readonly seed: number,
    orders: readonly BaselineOrder[],
    config: EngineConfig,
    private readonly currency: string,
  ) {
    for (const o of orders) this.baseline.set(o.customerId, [...(this.baseline.get(o.customerId) ?? []), o.placedAt]);
    this.windows = new Map(config.campaigns.map((c) => [c.id, c.measurementDays]));
  }

  /** Reads the enrollment records written since the last call and plants the purchases the effect causes. */
  async afterRun(ledger: SendLedger): Promise<void> {
    const fresh: LedgerEntry[] = [];
    for await (const page of ledger.scanAll()) {
      for (const e of page.items) {
        if (e.stepId !== ENROLLMENT_STEP || this.seen.has(`${e.customerId}#${e.key}`)) continue;
        this.seen.add(`${e.customerId}#${e.key}`);
        fresh.push(e);
      }
    }
    fresh.sort((a, b) => a.claimedAt.localeCompare(b.claimedAt) || a.customerId.localeCompare(b.customerId));
    for (const e of fresh) {
      const windowDays = this.windows.get(e.campaignId);
      if (windowDays === undefined) continue;
      const end = addDays(e.claimedAt, windowDays);
      const baseline = (this.baseline.get(e.customerId) ?? []).some((t) => t > e.claimedAt && t <= end);
      const same = this.enrolled.filter((x) => x.campaignId === e.campaignId);
      const p0 = (same.filter((x) => x.baseline).length + (baseline ? 1 : 0)) / (same.length + 1);
      const q = p0 < 1 ? Math.min(1, this.effect / (1 - p0)) : 0;
      const key = `${this.seed}:${e.campaignId}:${e.episode}:${e.customerId}`;
      const caused = !baseline && uniform(`effect:${key}`) < q;
      const treated = e.arm === 'treated';
      this.enrolled.push({
        campaignId: e.campaignId,
        customerId: e.customerId,
        at: e.claimedAt,
        windowDays,
        treated,
        baseline,
        caused,
      });
      if (!caused || !treated) continue;
      // Within the window, never at its very edges; an order id the synthetic base cannot have.
      const at = new Date(Date.parse(e.claimedAt) + (0.02 + 0.96 * uniform(`when:${key}`)) * windowDays * 86_400_000);
      const orderId = `planted-${e.campaignId}-${e.episode}-${e.customerId}`;
      this.pending.push({
        type: 'order.placed',
        eventId: `evt-${orderId}`,
        customerId: e.customerId,
        occurredAt: at.toISOString(),
        orderId,
        amountMinor: 2_500 + Math.floor(uniform(`amount:${key}`) * 7_500),
        currency: this.currency,
      });
    }
  }

  /**
   * The planted purchases placed by `to` not handed out yet, to record with that day's events (one planted after
   * a run can fall before the end of that run's day: it goes with the next run's events, never lost).
   */
  ordersUpTo(to: string): CustomerEvent[] {
    const due = this.pending.filter((e) => e.occurredAt <= to && !this.emitted.has(e.eventId));
    for (const e of due) this.emitted.add(e.eventId);
    return due;
  }

  /** The truth per campaign over the enrollments whose window closed by `asOf`. */
  truth(asOf: string, campaignIds: readonly string[]): PlantedEffectTruth[] {
    return campaignIds.map((campaignId) => {
      const closed = this.enrolled.filter((x) => x.campaignId === campaignId && addDays(x.at, x.windowDays) <= asOf);
      const n = closed.length;
      const planted = this.pending.filter(
        (e) => e.type === 'order.placed' && e.orderId.startsWith(`planted-${campaignId}-`),
      );
      return {
        campaignId,
        requested: this.effect,
        enrollments: n,
        baselineRate: n ? closed.filter((x) => x.baseline).length / n : null,
        // Y(1) − Y(0) is 1 exactly when the campaign causes a purchase that would not happen otherwise.
        sampleEffect: n ? closed.filter((x) => x.caused).length / n : null,
        plantedOrders: planted.filter((e) => e.occurredAt <= asOf).length,
      };
    });
  }
}

/** Per campaign: the planted effect, its exact value in the sample, the estimate and whether its interval covers it. */
export function recoveryOf(results: CampaignResults, truth: readonly PlantedEffectTruth[]) {
  return results.campaigns.map((c) => {
    const t = truth.find((x) => x.campaignId === c.campaignId);
    const covers = (value: number | null | undefined) =>
      value === null || value === undefined || c.low === null || c.high === null
        ? null
        : c.low <= value && value <= c.high;
    return {
      campaignId: c.campaignId,
      enrolled: c.enrolled,
      closed: c.treated.n + c.holdout.n,
      planted: t?.requested ?? null,
      sampleEffect: t?.sampleEffect ?? null,
      measured: c.uplift,
      low: c.low,
      high: c.high,
      coversPlanted: covers(t?.requested),
      coversSampleEffect: covers(t?.sampleEffect),
    };
  });
}

const pt = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pt`);

/** The demo's closing lines: did the report recover the planted effect? */
export function printRecovery(results: CampaignResults, truth: readonly PlantedEffectTruth[]): string {
  const lines = ['Planted vs measured effect of assignment (intent-to-treat, closed windows):'];
  for (const r of recoveryOf(results, truth)) {
    const interval = r.low === null || r.high === null ? 'no interval yet' : `95% CI ${pt(r.low)} to ${pt(r.high)}`;
    const verdict = r.coversPlanted === null ? '' : r.coversPlanted ? ' — covers the planted effect' : ' — misses it';
    lines.push(
      `  ${r.campaignId.padEnd(16)} planted ${pt(r.planted)} (in this sample ${pt(r.sampleEffect)}), measured ` +
        `${pt(r.measured)} (${interval}) over ${r.closed.toLocaleString('en-US')} closed enrollments${verdict}`,
    );
  }
  return lines.join('\n');
}
