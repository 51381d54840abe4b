import { runConcurrently } from '../concurrency.ts';
import { describeIssues } from '../domain/common.ts';
import {
  addOrder,
  type Customer,
  CustomerSchema,
  newCustomer,
  reclassify,
  rememberEvent,
  withWinbackReview,
} from '../domain/customer.ts';
import { type CustomerEvent, CustomerEventSchema } from '../domain/events.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerRepository, OrderRepository } from '../ports.ts';

export interface RecordActivityDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  policy: LifecyclePolicy;
  currency: string;
  /** Processing time: the stage is evaluated now, never at an old event's time. */
  now: string;
}

export interface RecordActivitySummary {
  received: number;
  applied: number;
  duplicates: number;
  createdCustomers: number;
  rejected: { index: number; eventId?: string; error: string }[];
  /** ids of events that failed for a transient reason; the caller may retry them (e.g. batch item failures) */
  failed: { index: number; eventId?: string; error: string }[];
}

const MAX_CONFLICT_RETRIES = 8;

/**
 * Primary course:
 *  1. validate each event (a bad one is rejected with its field, the rest go on);
 *  2. for an order, store it (idempotent by order id) before touching the customer;
 *  3. read the customer, apply the event with the pure domain, reclassify, write back if the version is unchanged
 *     (retry on a concurrent write);
 *  4. mark the order applied. A redelivered event is recognised by the order's flag or the customer's recent ids.
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
    createdCustomers: 0,
    rejected: [],
    failed: [],
  };
  // Events of one customer apply in delivery order; different customers proceed in parallel.
  const byCustomer = new Map<string, number[]>();
  events.forEach((raw, index) => {
    // Group by the raw id only when it is a string: anything else is rejected by validation later, per event.
    const candidate = (raw as { customerId?: unknown } | null)?.customerId;
    const id = typeof candidate === 'string' ? candidate : `\u0000invalid-${index}`;
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
    const eventId =
      typeof (raw as { eventId?: unknown } | null)?.eventId === 'string'
        ? (raw as { eventId: string }).eventId
        : undefined;
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
    try {
      const outcome = await applyEvent(deps, event);
      if (outcome === 'duplicate') summary.duplicates += 1;
      else {
        summary.applied += 1;
        if (outcome === 'created') summary.createdCustomers += 1;
      }
    } catch (error) {
      summary.failed.push({ index, eventId, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

type Outcome = 'applied' | 'created' | 'duplicate';

async function applyEvent(deps: RecordActivityDeps, event: CustomerEvent): Promise<Outcome> {
  if (event.type === 'order.placed') {
    const existing = await deps.orders.get(event.customerId, event.orderId);
    if (existing?.applied) return 'duplicate';
    if (!existing) {
      await deps.orders.putIfAbsent({
        customerId: event.customerId,
        orderId: event.orderId,
        placedAt: event.occurredAt,
        amountMinor: event.amountMinor,
        currency: event.currency,
        applied: false,
      });
    }
  }
  const outcome = await updateCustomer(deps, event);
  if (event.type === 'order.placed') await deps.orders.markApplied(event.customerId, event.orderId);
  return outcome;
}

async function updateCustomer(deps: RecordActivityDeps, event: CustomerEvent): Promise<Outcome> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const stored = await deps.customers.get(event.customerId);
    // Orders count once, by order id: the ring of event ids also covers order redeliveries under a new event id.
    const marker = event.type === 'order.placed' ? `order:${event.orderId}` : event.eventId;
    if (stored?.recentEventIds.includes(marker)) return 'duplicate';
    const base = stored ?? newCustomer(event.customerId, deps.currency);
    const next = withWinbackReview(
      base,
      reclassify(rememberEvent(applyToCustomer(base, event), marker), laterOf(deps.now, event.occurredAt), deps.policy),
    );
    const saved = await deps.customers.saveIfVersion(CustomerSchema.parse(next), stored ? stored.version : null);
    if (saved) return stored ? 'applied' : 'created';
  }
  throw new Error(`customer ${event.customerId}: gave up after ${MAX_CONFLICT_RETRIES} concurrent-write conflicts`);
}

const laterOf = (a: string, b: string) => (a > b ? a : b);

/** Pure: the customer after one event. Out-of-order safe: consent keeps the newest decision. */
export function applyToCustomer(customer: Customer, event: CustomerEvent): Customer {
  switch (event.type) {
    case 'customer.signed_up': {
      const consent =
        event.marketingConsent === undefined || (customer.consent && customer.consent.at > event.occurredAt)
          ? customer.consent
          : { marketing: event.marketingConsent, at: event.occurredAt, source: event.consentSource ?? 'signup' };
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
    case 'consent.changed':
      if (customer.consent && customer.consent.at > event.occurredAt) return customer;
      return { ...customer, consent: { marketing: event.marketing, at: event.occurredAt, source: event.source } };
  }
}
