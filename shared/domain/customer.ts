import * as z from 'zod';
import { type CustomerScoreRecord, CustomerScoreRecordSchema } from './btyd/model-record.ts';
import { CustomerIdSchema, EmailSchema, InstantSchema, LocaleSchema, TimeZoneSchema } from './common.ts';
import {
  idleCrossingAt,
  type LifecyclePolicy,
  nextCheckAt,
  type Stage,
  StageSchema,
  type Survival,
  stageEpisodeStart,
  stageOf,
  transitionReason,
} from './lifecycle.ts';
import { CurrencySchema, MinorUnitsSchema } from './money.ts';
import { dayBit, dayMaskOf } from './purchase-days.ts';
import { monthKey } from './time.ts';

export const MAX_TRANSITIONS_KEPT = 24;
export const MAX_RECENT_EVENT_IDS = 64;

export const ConsentSchema = z.object({
  marketing: z.boolean(),
  at: InstantSchema,
  source: z.string().min(1).max(64),
});
export type Consent = z.infer<typeof ConsentSchema>;

/** Activity in one UTC calendar month: what the cohort job needs without reading every order. */
export const MonthActivitySchema = z.object({
  orders: z.number().int().nonnegative(),
  revenueMinor: MinorUnitsSchema,
  firstDay: z.number().int().min(1).max(31),
  lastDay: z.number().int().min(1).max(31),
  /**
   * The distinct purchase days of the month as a bit set (bit d−1 for day d): what the predictive models count
   * (a purchase day, however many orders it had). Absent on months recorded before it existed; then only firstDay
   * and lastDay are known to be purchase days (purchaseDaysOf).
   */
  days: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .optional(),
});
export type MonthActivity = z.infer<typeof MonthActivitySchema>;

export const TransitionSchema = z.object({
  from: StageSchema.nullable(),
  to: StageSchema,
  at: InstantSchema,
  reason: z.string().max(200),
});
export type Transition = z.infer<typeof TransitionSchema>;

export const SuppressionSchema = z.object({
  reason: z.enum(['unsubscribed', 'complaint', 'bounce', 'manual', 'erased']),
  at: InstantSchema,
});

/** The stored customer: identity, consent, purchase aggregates and lifecycle state. */
export const CustomerSchema = z.object({
  customerId: CustomerIdSchema,
  email: EmailSchema.optional(),
  name: z.string().max(200, 'must be at most 200 characters').optional(),
  locale: LocaleSchema.default('en'),
  timeZone: TimeZoneSchema.default('UTC'),
  consent: ConsentSchema.optional(),
  signedUpAt: InstantSchema.optional(),
  firstPurchaseAt: InstantSchema.optional(),
  lastPurchaseAt: InstantSchema.optional(),
  orderCount: z.number().int().nonnegative().default(0),
  revenueMinor: MinorUnitsSchema.default(0),
  currency: CurrencySchema,
  months: z.record(z.string().regex(/^\d{4}-\d{2}$/), MonthActivitySchema).default({}),
  stage: StageSchema.default('prospect'),
  stageSince: InstantSchema.optional(),
  /** When the stage can next change with no new activity (see nextCheckAt); indexed for the daily flag run. */
  nextCheckAt: InstantSchema.optional(),
  /** Start of the current dormancy episode; kept while lost, cleared on reactivation. Drives win-back. */
  dormantSince: InstantSchema.optional(),
  /**
   * When the win-back job should next look at this customer (its next step falls due); indexed, so the hourly run
   * reads only customers with a step due. Set when a dormancy episode starts or consent is given during one; moved
   * on by the win-back job after each step; absent when nothing can be due.
   */
  winbackDueAt: InstantSchema.optional(),
  transitions: z
    .array(TransitionSchema)
    .max(MAX_TRANSITIONS_KEPT * 2)
    .default([]),
  suppression: SuppressionSchema.optional(),
  /** transient bounces since the last delivery; suppressed at the configured threshold */
  softBounces: z.number().int().nonnegative().default(0),
  /** last marketing email reserved for this customer (any campaign): the frequency cap */
  lastMarketingEmailAt: InstantSchema.optional(),
  recentEventIds: z.array(z.string()).default([]),
  /**
   * The predictive model's view of the customer (P(alive), expected purchases, value, value at risk) when a job that
   * has the model last classified them; refreshed whenever they are written or the model changed.
   */
  score: CustomerScoreRecordSchema.optional(),
  /** Only on tombstones of erasures before keyed hashing: SHA-256 of the erased address (read, never written). */
  erasedEmailSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Only on an erasure tombstone: HMAC (deployment key) of the normalised erased address; see erasure.ts. */
  erasedEmailHmac: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Optimistic-concurrency counter: every write expects the version it read. */
  version: z.number().int().nonnegative().default(0),
});
export type Customer = z.infer<typeof CustomerSchema>;

export function newCustomer(customerId: string, currency: string): Customer {
  return CustomerSchema.parse({ customerId, currency });
}

export interface OrderFacts {
  orderId: string;
  amountMinor: number;
  placedAt: string;
}

/**
 * Adds one order to the aggregates. Order of arrival does not matter: first/last purchase are min/max,
 * so an older order delivered late never moves the last purchase back.
 */
export function addOrder(customer: Customer, order: OrderFacts): Customer {
  const month = monthKey(order.placedAt);
  const day = new Date(order.placedAt).getUTCDate();
  const previous = customer.months[month];
  const months = {
    ...customer.months,
    [month]: previous
      ? {
          orders: previous.orders + 1,
          revenueMinor: previous.revenueMinor + order.amountMinor,
          firstDay: Math.min(previous.firstDay, day),
          lastDay: Math.max(previous.lastDay, day),
          days: dayMaskOf(previous) | dayBit(day),
        }
      : { orders: 1, revenueMinor: order.amountMinor, firstDay: day, lastDay: day, days: dayBit(day) },
  };
  return {
    ...customer,
    orderCount: customer.orderCount + 1,
    revenueMinor: customer.revenueMinor + order.amountMinor,
    firstPurchaseAt:
      !customer.firstPurchaseAt || order.placedAt < customer.firstPurchaseAt
        ? order.placedAt
        : customer.firstPurchaseAt,
    lastPurchaseAt:
      !customer.lastPurchaseAt || order.placedAt > customer.lastPurchaseAt ? order.placedAt : customer.lastPurchaseAt,
    months,
  };
}

/** Two months' activity added together (e.g. folding an erased customer into its tombstone). */
export function addMonthActivity(a: MonthActivity, b: MonthActivity): MonthActivity {
  return {
    orders: a.orders + b.orders,
    revenueMinor: a.revenueMinor + b.revenueMinor,
    firstDay: Math.min(a.firstDay, b.firstDay),
    lastDay: Math.max(a.lastDay, b.lastDay),
    days: dayMaskOf(a) | dayMaskOf(b),
  };
}

/** Purchase aggregates as derived from orders: what I1 compares and what a recompute writes. */
export type Aggregates = Pick<
  Customer,
  'orderCount' | 'revenueMinor' | 'firstPurchaseAt' | 'lastPurchaseAt' | 'months'
>;

/** The aggregates of exactly these orders (order of the list does not matter). */
export function aggregatesOf(orders: readonly OrderFacts[], currency: string): Aggregates {
  let c = newCustomer('aggregate', currency);
  for (const order of orders) c = addOrder(c, order);
  return {
    orderCount: c.orderCount,
    revenueMinor: c.revenueMinor,
    firstPurchaseAt: c.firstPurchaseAt,
    lastPurchaseAt: c.lastPurchaseAt,
    months: c.months,
  };
}

/** The customer with its aggregates replaced by those of `orders` (its stored orders): the I1 repair. */
export function withAggregatesOf(customer: Customer, orders: readonly OrderFacts[]): Customer {
  const { firstPurchaseAt: _f, lastPurchaseAt: _l, ...rest } = customer;
  const aggregates = aggregatesOf(orders, customer.currency);
  return {
    ...rest,
    ...aggregates,
    ...(aggregates.firstPurchaseAt ? { firstPurchaseAt: aggregates.firstPurchaseAt } : {}),
    ...(aggregates.lastPurchaseAt ? { lastPurchaseAt: aggregates.lastPurchaseAt } : {}),
  };
}

/** The fields where the customer's aggregates differ from `expected` (empty when they agree). */
export function aggregateDifferences(customer: Customer, expected: Aggregates): string[] {
  const differences: string[] = [];
  if (customer.orderCount !== expected.orderCount)
    differences.push(`orderCount ${customer.orderCount}, orders stored ${expected.orderCount}`);
  if (customer.revenueMinor !== expected.revenueMinor)
    differences.push(`revenueMinor ${customer.revenueMinor}, orders stored ${expected.revenueMinor}`);
  if (customer.firstPurchaseAt !== expected.firstPurchaseAt) differences.push('firstPurchaseAt');
  if (customer.lastPurchaseAt !== expected.lastPurchaseAt) differences.push('lastPurchaseAt');
  if (JSON.stringify(sortedMonths(customer.months, expected.months)) !== JSON.stringify(sortedMonths(expected.months)))
    differences.push('months');
  return differences;
}

/**
 * Months in key order. With `reference`, a month stored without `days` (recorded before the field existed) is
 * compared without it: its purchase days were never recorded, which is not a disagreement with the orders.
 */
const sortedMonths = (months: Customer['months'], reference?: Customer['months']) =>
  Object.entries(months)
    .map(([key, m]): [string, MonthActivity] => {
      const days = m.days ?? reference?.[key]?.days;
      return [key, { ...m, ...(days === undefined ? {} : { days }) }];
    })
    .sort(([a], [b]) => a.localeCompare(b));

/** Where a consent decision comes from: a bulk import or sign-up may not re-subscribe; only an explicit change may. */
export type ConsentOrigin = 'import' | 'signup' | 'change';

/**
 * Invariant I2, as a pure rule: the newest decision wins (out-of-order delivery is safe), except that a withdrawal
 * is never undone by a bulk import or a sign-up record, only by an explicit `consent.changed` opt-in. A decision is
 * dated no later than `now` (the processing time): an instant stamped ahead (clock skew, at most 24 h by I5) cannot
 * outrank a real decision made after it was recorded. A tie goes to the withdrawal, whatever the delivery order.
 */
export function mergeConsent(
  current: Consent | undefined,
  incoming: Consent,
  origin: ConsentOrigin,
  now: string,
): Consent | undefined {
  const decided = incoming.at > now ? { ...incoming, at: now } : incoming;
  if (!current) return decided;
  if (current.marketing === false && decided.marketing === true && origin !== 'change') return current;
  // A stored decision was made no later than now, too (one stored ahead of its time, before I5, is read as now).
  const currentAt = current.at > now ? now : current.at;
  if (currentAt > decided.at) return current;
  if (currentAt === decided.at && current.marketing === false) return current;
  return decided;
}

/**
 * The predictive model as reclassify uses it (model-scoring.ts builds one from the model in force): a customer's
 * survival curve for the adaptive policy, and their score. An interface, so every Lambda that classifies customers
 * need not bundle the numerics.
 */
export interface CustomerScorer {
  /** the model's id (its fit's as-of) */
  readonly model: string;
  survival(customer: Pick<Customer, 'months'>): Survival | undefined;
  score(customer: Pick<Customer, 'months'>, now: string): CustomerScoreRecord | undefined;
}

/**
 * Reclassifies the customer at `now`. Returns the customer unchanged (same object) when the stage holds,
 * so callers can write only what changed. With the predictive `model` in force, the adaptive policy classifies by
 * the customer's P(alive), and the customer's score is refreshed when they are written anyway or when their stored
 * score is from another model (a score changing only with time is not a reason to write).
 */
export function reclassify(customer: Customer, now: string, policy: LifecyclePolicy, model?: CustomerScorer): Customer {
  const next = reclassifyWith(customer, now, policy, model?.survival(customer));
  if (!model || (next === customer && customer.score?.model === model.model)) return next;
  const score = model.score(next, now);
  return score ? { ...next, score } : next;
}

function reclassifyWith(customer: Customer, now: string, policy: LifecyclePolicy, survival?: Survival): Customer {
  const to = stageOf(customer, now, policy, survival);
  if (to === customer.stage && customer.stageSince) {
    const next = nextCheckAt(customer, to, policy, survival);
    return next === customer.nextCheckAt ? customer : { ...customer, nextCheckAt: next };
  }
  const at = stageChangeInstant(customer, to, now, policy, survival);
  const transition: Transition = {
    from: customer.stageSince ? customer.stage : null,
    to,
    at,
    reason: transitionReason(to, customer, now, policy, survival),
  };
  let dormantSince = customer.dormantSince;
  if (to === 'dormant' && customer.stage !== 'lost') dormantSince = at;
  if (to === 'lost' && !dormantSince) dormantSince = at;
  if (to !== 'dormant' && to !== 'lost') dormantSince = undefined;
  const changed = { ...customer, stage: to, stageSince: at, dormantSince };
  return withWinbackReview(
    customer,
    {
      ...changed,
      nextCheckAt: nextCheckAt(changed, to, policy, survival),
      transitions: [...customer.transitions, transition].slice(-MAX_TRANSITIONS_KEPT),
    },
    policy,
  );
}

/**
 * Keeps `winbackDueAt` (when the campaign planner should look at the customer) right when a change could make a
 * campaign step due: entering a stage in `policy.campaignStages` (a new episode; for `dormant`, a new dormancy
 * episode, which spans lost), or consent or an address arriving during an episode, makes the customer due at the
 * episode's start (always in the past: due now); leaving every episode clears it (a purchase: exit). The planner
 * moves it on from there (to when a campaign qualifies or its next step falls due).
 */
export function withWinbackReview(
  before: Customer,
  after: Customer,
  policy: Pick<LifecyclePolicy, 'campaignStages'>,
): Customer {
  const start = campaignEpisodeStart(after, policy.campaignStages);
  if (!start) {
    if (!after.winbackDueAt) return after;
    const { winbackDueAt: _cleared, ...rest } = after;
    return rest;
  }
  const opened =
    start !== campaignEpisodeStart(before, policy.campaignStages) ||
    (hasMarketingConsent(after) && !hasMarketingConsent(before)) ||
    (!!after.email && !before.email);
  if (!opened || (after.winbackDueAt && after.winbackDueAt <= start)) return after;
  return { ...after, winbackDueAt: start };
}

/** The latest start among the customer's current campaign episodes (dormant: the dormancy episode), if any. */
export function campaignEpisodeStart(customer: Customer, stages: readonly Stage[]): string | undefined {
  let latest: string | undefined;
  for (const stage of stages) {
    const start = stageEpisodeStart(customer, stage);
    if (start && (!latest || start > latest)) latest = start;
  }
  return latest;
}

/**
 * When a change actually happened: a threshold crossing happened when the idle days reached it (so a run that
 * was missed for a week still dates dormancy correctly); a purchase-driven change happened at the purchase.
 */
function stageChangeInstant(
  customer: Customer,
  to: Stage,
  now: string,
  policy: LifecyclePolicy,
  survival?: Survival,
): string {
  const last = customer.lastPurchaseAt;
  switch (to) {
    case 'lost':
    case 'dormant':
    case 'at_risk': {
      // Only idle stages are reached by crossing a threshold, and idleness is measured from the last purchase.
      if (last === undefined) throw new Error(`customer ${customer.customerId}: ${to} without a last purchase`);
      const at = idleCrossingAt(last, to, policy, survival) ?? now;
      return at < now ? at : now;
    }
    case 'prospect':
      return customer.signedUpAt && customer.signedUpAt < now ? customer.signedUpAt : now;
    default:
      return last && last < now ? last : now;
  }
}

/** Remembers an applied event id (bounded), so a redelivery is recognised. */
export function rememberEvent(customer: Customer, eventId: string): Customer {
  return { ...customer, recentEventIds: [...customer.recentEventIds, eventId].slice(-MAX_RECENT_EVENT_IDS) };
}

export function hasMarketingConsent(customer: Customer): boolean {
  return customer.consent?.marketing === true;
}
