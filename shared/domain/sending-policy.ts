import * as z from 'zod';
import { shardOf, uniformOf } from './shard.ts';

/** Rules that protect recipients across every campaign. */
export const SendingPolicySchema = z.object({
  /** At most one marketing email per customer in this many days, across all campaigns (0 = no cap). */
  frequencyCapDays: z.number().int().min(0).max(365).default(7),
  /** Local send window [startHour, endHour) in the customer's own time zone; outside it sends wait for a later run. */
  quietHours: z
    .object({ startHour: z.number().int().min(0).max(23), endHour: z.number().int().min(1).max(24) })
    .refine((w) => w.startHour < w.endHour, { message: 'startHour must be before endHour', path: ['endHour'] })
    .nullable()
    .default({ startHour: 9, endHour: 20 }),
  /** Share of eligible customers per campaign held out (never emailed) to measure uplift. */
  holdoutPercent: z.number().min(0).max(50).default(10),
  /**
   * Days after a send in which a purchase is counted in the descriptive per-step figures; a campaign's outcome window
   * (`measurementDays`) defaults to its last step's offset plus this.
   */
  attributionDays: z.number().int().min(1).max(365).default(30),
});
export type SendingPolicy = z.infer<typeof SendingPolicySchema>;

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

/** The hour (0–23) of `at` on the wall clock of `timeZone`. */
export function localHour(at: string, timeZone: string): number {
  let format = hourFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    hourFormatters.set(timeZone, format);
  }
  return Number(format.format(new Date(at)));
}

export function isWithinSendWindow(at: string, timeZone: string, policy: SendingPolicy): boolean {
  if (!policy.quietHours) return true;
  const hour = localHour(at, timeZone);
  return hour >= policy.quietHours.startHour && hour < policy.quietHours.endHour;
}

/**
 * Deterministic hold-out: a stable hash of campaign and customer, so the same customer is always in the same group
 * for a campaign, on every run and every machine.
 */
export function isHeldOut(customerId: string, campaignId: string, policy: SendingPolicy): boolean {
  return isHeldOutAt(customerId, campaignId, policy.holdoutPercent);
}

/**
 * The arm of one enrollment: a stable draw per campaign, episode and customer (the same on every run and machine),
 * independent across a customer's episodes, so whether a later episode happens (which the emails can influence)
 * never depends on that episode's own arm.
 */
export function isHeldOutEnrollment(customerId: string, campaignId: string, episode: string, holdoutPercent: number) {
  return uniformOf(`${campaignId}#${episode}#${customerId}`) * 100 < holdoutPercent;
}

/** The same draw as isHeldOut for a campaign's own hold-out percent. */
export function isHeldOutAt(customerId: string, campaignId: string, holdoutPercent: number): boolean {
  return shardOf(`${campaignId}:${customerId}`, 10_000) < Math.round(holdoutPercent * 100);
}

/**
 * The first instant at or after `at` that falls inside the customer's local send window, to the quarter hour (time
 * zones with half- and quarter-hour offsets, daylight-saving jumps). `at` itself when there are no quiet hours.
 */
export function nextSendWindowStart(at: string, timeZone: string, policy: SendingPolicy): string {
  if (isWithinSendWindow(at, timeZone, policy)) return at;
  const quarter = 15 * 60_000;
  const start = Math.ceil(Date.parse(at) / quarter) * quarter;
  // A window at least one hour wide recurs within a day; 49 hours covers any offset and DST change.
  for (let t = start; t < start + 49 * 3_600_000; t += quarter) {
    const candidate = new Date(t).toISOString();
    if (isWithinSendWindow(candidate, timeZone, policy)) return candidate;
  }
  return new Date(start + 24 * 3_600_000).toISOString();
}
