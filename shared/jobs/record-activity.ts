import { createHash } from 'node:crypto';
import { runConcurrently } from '../concurrency.ts';
import type { ScoringModel } from '../domain/btyd/model-record.ts';
import { customerScorer } from '../domain/btyd/model-scoring.ts';
import { describeIssues, futureInstantError } from '../domain/common.ts';
import {
  addOrder,
  aggregateDifferences,
  type Customer,
  CustomerSchema,
  mergeConsent,
  newCustomer,
  reclassify,
  rememberEvent,
  withAggregatesOf,
  withWinbackReview,
} from '../domain/customer.ts';
import { erasedIdHash, erasureLookups, withoutErasedConsent } from '../domain/erasure.ts';
import { type CustomerEvent, CustomerEventSchema, type Order, type OrderPlaced } from '../domain/events.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerRepository, ErasureRegistry, OrderRepository } from '../ports.ts';

export interface RecordActivityDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  policy: LifecyclePolicy;
  currency: string;
  /** Processing time: the stage is evaluated now, never at an old event's time. */
  now: string;
  /**
   * The predictive model in force: a customer written is scored with it and, under the adaptive policy, their next
   * check is the instant their P(alive) will cross the next threshold. Omitted: day thresholds, no score.
   */
  model?: ScoringModel | undefined;
  /**
   * the erasure registry and key: a consent grant older than an erasure of the id or address is dropped (I3). The
   * key may be fetched lazily (a Lambda reads it from Secrets Manager only for events that grant consent).
   */
  erasures?: { registry: ErasureRegistry; key: string | (() => Promise<string>) };
}

export interface RecordActivitySummary {
  received: number;
  applied: number;
  duplicates: number;
  /** order events whose order id is already stored with another amount, time or currency (also in `rejected`) */
  conflicts: number;
  createdCustomers: number;
  rejected: { index: number; eventId?: string; error: string }[];
  /** ids of events that failed for a transient reason; the caller may retry them (e.g. batch item failures) */
  failed: { index: number; eventId?: string; error: string }[];
}

const MAX_CONFLICT_RETRIES = 8;

/**
 * Primary course:
 *  1. validate each event (a bad one is rejected with its field, the rest go on; an instant more than 24 h ahead is
 *     rejected, I5);
 *  2. read the customer; a redelivered event is recognised by the customer's recent ids;
 *  3. for an order, store it (idempotent by order id, other facts under the same id are a conflict);
 *  4. apply the event with the pure domain, reclassify, write back if the version is unchanged (see applyEvent).
 */
export async function recordActivity(
  deps: RecordActivityDeps,
  events: readonly unknown[],
  options: { concurrency?: number } = {},
): Promise<RecordActivitySummary> {
  const summary: RecordActivitySummary = {
    received: events.length,
    applied: 0,
    duplicates: 0,
    conflicts: 0,
    createdCustomers: 0,
    rejected: [],
    failed: [],
  };
  // Events of one customer apply in delivery order; different customers proceed in parallel.
  const byCustomer = new Map<string, number[]>();
  events.forEach((raw, index) => {
    // Group by the raw id only when it is a string: anything else is rejected by validation later, per event.
    const id = rawString(raw, 'customerId') ?? `\u0000invalid-${index}`;
    const list = byCustomer.get(id);
    if (list) list.push(index);
    else byCustomer.set(id, [index]);
  });
  await runConcurrently([...byCustomer.values()], options.concurrency ?? 8, async (indices) => {
    for (const index of indices) await handleOne(index, events[index]);
  });
  return summary;

  async function handleOne(index: number, raw: unknown): Promise<void> {
    const parsed = CustomerEventSchema.safeParse(raw);
    const eventId = rawString(raw, 'eventId');
    if (!parsed.success) {
      summary.rejected.push({ index, eventId, error: describeIssues(parsed.error) });
      return;
    }
    const event = parsed.data;
    if (event.type === 'order.placed' && event.currency !== deps.currency) {
      summary.rejected.push({
        index,
        eventId,
        error: `currency: ${event.currency} is not the reporting currency ${deps.currency}`,
      });
      return;
    }
    const future = futureInstantError(event.occurredAt, deps.now);
    if (future) {
      summary.rejected.push({ index, eventId, error: `occurredAt: ${future}` });
      return;
    }
    try {
      const outcome = await applyEvent(deps, event);
      if (outcome === 'duplicate') summary.duplicates += 1;
      else {
        summary.applied += 1;
        if (outcome === 'created') summary.createdCustomers += 1;
      }
    } catch (error) {
      if (error instanceof OrderConflict) {
        summary.conflicts += 1;
        summary.rejected.push({ index, eventId, error: error.message });
      } else if (error instanceof ErasedCustomer) summary.rejected.push({ index, eventId, error: error.message });
      else summary.failed.push({ index, eventId, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

type Outcome = 'applied' | 'created' | 'duplicate';

/** An order id already stored with other facts: refused, never silently a "duplicate". */
class OrderConflict extends Error {}
/** An order of an erased customer, placed before the erasure: refused (rejected, not retried). */
class ErasedCustomer extends Error {}

/**
 * One event, as single-item conditional writes (no transactions: dynalite has none). For an order, the protocol
 * that keeps I1 (a customer's aggregates are those of its stored orders) under any interleaving and any crash:
 *  1. read the customer (strongly consistent; version v). Its recent-event ring says whether this order is counted;
 *  2. store the order if absent. Success means nobody had stored it when we read v, so nobody had counted it;
 *  3. write the customer with the order added, only if it is still at version v.
 * Three requests. If 3 loses to a concurrent writer, or 2 finds the order already stored but the ring does not
 * show it counted (a crashed earlier attempt), the customer is re-read and its aggregates recomputed from all its
 * stored orders (a strongly consistent Query), which is exact whatever happened in between.
 */
async function applyEvent(deps: RecordActivityDeps, event: CustomerEvent): Promise<Outcome> {
  // Event ids are the sender's strings: namespaced, so one can never pass for an order, import or feedback marker.
  const marker = event.type === 'order.placed' ? orderMarker(event) : `evt:${event.eventId}`;
  let recompute = false;
  let storedHere = false;
  let stored = await deps.customers.get(event.customerId);
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    if (stored?.recentEventIds.includes(marker) || stored?.recentEventIds.includes(event.eventId)) return 'duplicate';
    if (event.type === 'order.placed' && stored && countedWithOtherFacts(stored, event))
      throw new OrderConflict(`orderId: ${event.orderId} is already recorded with other facts`);
    if (event.type === 'order.placed' && !stored && (await erasedSince(deps, event.customerId, event.occurredAt))) {
      // Erasure deleted this customer's orders up to then; a late one is not re-created either (I1, I3).
      if (storedHere) await forgetOrder(deps, event);
      throw new ErasedCustomer(`customerId: erased after this order was placed; the order is not recorded`);
    }
    if (event.type === 'order.placed' && attempt === 0) {
      storedHere = await storeOrder(deps, event);
      if (!storedHere) recompute = true;
    }
    let next: Customer;
    const base = stored ?? newCustomer(event.customerId, deps.currency);
    if (event.type === 'order.placed' && recompute) {
      const orders = await deps.orders.listForCustomer(event.customerId);
      next = withAggregatesOf(base, orders);
      // Counted already (the ring forgot it): nothing to write.
      if (stored && aggregateDifferences(stored, next).length === 0) return 'duplicate';
    } else {
      next = await applyToCustomerChecked(deps, base, event);
    }
    next = withWinbackReview(
      base,
      reclassify(
        rememberEvent(next, marker),
        laterOf(deps.now, event.occurredAt),
        deps.policy,
        deps.model && customerScorer(deps.model),
      ),
      deps.policy,
    );
    if (await deps.customers.saveIfVersion(CustomerSchema.parse(next), stored ? stored.version : null))
      return stored ? 'applied' : 'created';
    // Someone wrote in between: re-read; an order is then recomputed from the stored orders (ours among them).
    recompute = true;
    stored = await deps.customers.get(event.customerId);
  }
  throw new Error(`customer ${event.customerId}: gave up after ${MAX_CONFLICT_RETRIES} concurrent-write conflicts`);
}

/** An erasure of this customer id at or after `at` (an event older than the erasure). */
async function erasedSince(deps: RecordActivityDeps, customerId: string, at: string): Promise<boolean> {
  if (!deps.erasures) return false;
  const [entry] = await deps.erasures.registry.find([erasedIdHash(await erasureKey(deps.erasures), customerId)]);
  return entry !== undefined && entry.erasedAt >= at;
}

/**
 * Removes the order this event stored for a customer found erased; if a concurrent writer re-created the customer
 * meanwhile, its aggregates are recomputed from the orders that remain (I1).
 */
async function forgetOrder(deps: RecordActivityDeps, event: OrderPlaced): Promise<void> {
  await deps.orders.deleteMany([{ customerId: event.customerId, orderId: event.orderId }]);
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const customer = await deps.customers.get(event.customerId);
    if (!customer) return;
    const next = withAggregatesOf(customer, await deps.orders.listForCustomer(event.customerId));
    if (await deps.customers.saveIfVersion(next, customer.version)) return;
  }
}

const erasureKey = async (erasures: NonNullable<RecordActivityDeps['erasures']>) =>
  typeof erasures.key === 'string' ? erasures.key : erasures.key();

/**
 * The ring marker of a counted order: its id and a short digest of its facts, so a redelivery is recognised with
 * no read of the order, and the same id with another amount, time or currency is a conflict, not a duplicate.
 */
function orderMarker(event: OrderPlaced): string {
  const facts = createHash('sha256')
    .update(`${event.occurredAt}|${event.amountMinor}|${event.currency}`)
    .digest('hex')
    .slice(0, 8);
  return `order:${event.orderId}|${facts}`;
}

/** The ring shows this order id counted with other facts (or, for a marker without a digest, it may have been). */
function countedWithOtherFacts(customer: Customer, event: OrderPlaced): boolean {
  const prefix = `order:${event.orderId}|`;
  return customer.recentEventIds.some((id) => id.startsWith(prefix));
}

/** Stores the order; false if it was stored already with the same facts; OrderConflict if with other facts. */
async function storeOrder(deps: RecordActivityDeps, event: OrderPlaced): Promise<boolean> {
  const order = {
    customerId: event.customerId,
    orderId: event.orderId,
    placedAt: event.occurredAt,
    amountMinor: event.amountMinor,
    currency: event.currency,
    applied: true,
  };
  if (await deps.orders.putIfAbsent(order)) return true;
  const existing = await deps.orders.get(event.customerId, event.orderId);
  if (existing && !sameOrderFacts(existing, order))
    throw new OrderConflict(
      `orderId: ${event.orderId} is already recorded with other facts (placedAt ${existing.placedAt}, amountMinor ${existing.amountMinor} ${existing.currency})`,
    );
  return false;
}

export const sameOrderFacts = (a: Order, b: Order) =>
  a.placedAt === b.placedAt && a.amountMinor === b.amountMinor && a.currency === b.currency;

/** A string field of an event not validated yet (to group it and name it in a rejection), if it has one. */
function rawString(raw: unknown, key: 'customerId' | 'eventId'): string | undefined {
  if (typeof raw !== 'object' || raw === null || !(key in raw)) return undefined;
  const value: unknown = Reflect.get(raw, key);
  return typeof value === 'string' ? value : undefined;
}

/** Applies a non-recomputed event; a consent grant older than an erasure of this id or address is dropped (I3). */
async function applyToCustomerChecked(
  deps: RecordActivityDeps,
  customer: Customer,
  event: CustomerEvent,
): Promise<Customer> {
  const next = applyToCustomer(customer, event, deps.now);
  // Looked up whenever the result would be marketable with a consent or an address it did not have before.
  const changed = next.consent !== customer.consent || next.email !== customer.email;
  if (!deps.erasures || !changed || !next.consent?.marketing) return next;
  const erasures = await deps.erasures.registry.find(
    erasureLookups(await erasureKey(deps.erasures), next.customerId, next.email),
  );
  return withoutErasedConsent(customer, next, erasures).customer;
}

const laterOf = (a: string, b: string) => (a > b ? a : b);

/**
 * Pure: the customer after one event. Out-of-order safe: consent keeps the newest decision, and only an explicit
 * `consent.changed` opt-in can undo a withdrawal (I2, mergeConsent).
 */
export function applyToCustomer(customer: Customer, event: CustomerEvent, now: string): Customer {
  switch (event.type) {
    case 'customer.signed_up': {
      const consent =
        event.marketingConsent === undefined
          ? customer.consent
          : mergeConsent(
              customer.consent,
              { marketing: event.marketingConsent, at: event.occurredAt, source: event.consentSource ?? 'signup' },
              'signup',
              now,
            );
      return {
        ...customer,
        email: event.email ?? customer.email,
        name: event.name ?? customer.name,
        locale: event.locale ?? customer.locale,
        timeZone: event.timeZone ?? customer.timeZone,
        signedUpAt:
          customer.signedUpAt && customer.signedUpAt < event.occurredAt ? customer.signedUpAt : event.occurredAt,
        consent,
      };
    }
    case 'order.placed':
      return addOrder(customer, { orderId: event.orderId, amountMinor: event.amountMinor, placedAt: event.occurredAt });
    case 'consent.changed': {
      const consent = mergeConsent(
        customer.consent,
        { marketing: event.marketing, at: event.occurredAt, source: event.source },
        'change',
        now,
      );
      return consent === customer.consent ? customer : { ...customer, consent };
    }
  }
}
