import { ENROLLMENT_STEP } from '../domain/campaign.ts';
import { addMonthActivity, type Customer, CustomerSchema, reclassify, withAggregatesOf } from '../domain/customer.ts';
import { type ErasureEntry, erasedEmailHash, erasedIdHash, tombstoneIdOf } from '../domain/erasure.ts';
import type { Order } from '../domain/events.ts';
import { DEFAULT_POLICY, type LifecyclePolicy } from '../domain/lifecycle.ts';
import type { LedgerEntry } from '../domain/winback.ts';
import type { CustomerRepository, ErasureRegistry, OrderRepository, SendLedger } from '../ports.ts';

export interface PrivacyDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
}

export interface ErasureDeps extends PrivacyDeps {
  erasures: ErasureRegistry;
  /** the deployment's erasure key (erasureKeyFrom the unsubscribe secret) */
  erasureKey: string;
  /** classifies a customer re-created meanwhile by a concurrent event; @default DEFAULT_POLICY */
  policy?: LifecyclePolicy;
}

export interface CustomerExport {
  customer: Customer | null;
  orders: Order[];
  /** the send ledger's step entries: sent, failed, held out, ... */
  emailsSent: LedgerEntry[];
  /** campaign enrollments (the arm drawn, when), from the same ledger */
  enrollments: LedgerEntry[];
}

/** Everything held about one customer (data-subject access request). */
export async function exportCustomer(deps: PrivacyDeps, customerId: string): Promise<CustomerExport> {
  const [customer, orders, ledger] = await Promise.all([
    deps.customers.get(customerId),
    deps.orders.listForCustomer(customerId),
    deps.ledger.forCustomer(customerId, ''),
  ]);
  const enrollments = ledger.filter((e) => e.stepId === ENROLLMENT_STEP);
  const emailsSent = ledger.filter((e) => e.stepId !== ENROLLMENT_STEP);
  return { customer: customer ?? null, orders, emailsSent, enrollments };
}

export interface ErasureSummary {
  customerId: string;
  found: boolean;
  ordersDeleted: number;
  ledgerEntriesDeleted: number;
  /** the anonymous record left behind: aggregates for cohort figures and the address hash for suppression */
  tombstoneId: string | null;
  /** orders placed after the erasure began (a concurrent event): kept, with a customer that counts only them */
  ordersKeptNewer: number;
}

const MAX_CONFLICT_RETRIES = 8;

/**
 * Erasure (right to be forgotten). Primary course:
 *  1. record keyed hashes (HMAC, deployment key) of the id and the address in the erasure registry, so from this
 *     moment no import or replayed event re-creates the person with marketing consent (I3);
 *  2. delete the customer only if it is still the version read (a concurrent write: re-read, go again);
 *  3. add its aggregates and stage to an anonymous tombstone (`erased-<keyed hash>`), so cohort reports already
 *     made stay true, with the address's keyed hash and a suppression;
 *  4. delete its orders and send-ledger entries. An order placed after the erasure began (a concurrent event
 *     re-created the customer) is new data: it is kept and the re-created customer is recomputed from it (I1).
 * Idempotent: erasing again finds nothing; a rerun after a crash finishes steps 4 (a crash between 2 and 3 loses
 * the tombstone's aggregates, never personal data or an invariant).
 */
export async function eraseCustomer(deps: ErasureDeps, customerId: string, now: string): Promise<ErasureSummary> {
  let erased: Customer | undefined;
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES && !erased; attempt++) {
    const customer = await deps.customers.get(customerId);
    if (!customer) break;
    const entries: ErasureEntry[] = [{ hash: erasedIdHash(deps.erasureKey, customerId), kind: 'id', erasedAt: now }];
    if (customer.email)
      entries.push({ hash: erasedEmailHash(deps.erasureKey, customer.email), kind: 'email', erasedAt: now });
    await deps.erasures.record(entries);
    if (await deps.customers.deleteIfVersion(customerId, customer.version)) erased = customer;
  }
  const tombstoneId = erased ? await addToTombstone(deps, erased, now) : null;
  const orders = await deps.orders.listForCustomer(customerId);
  const old = orders.filter((o) => o.placedAt <= now);
  const entries = await deps.ledger.forCustomer(customerId, '');
  await deps.orders.deleteMany(old.map((o) => ({ customerId, orderId: o.orderId })));
  await deps.ledger.deleteMany(entries.map((e) => ({ customerId, key: e.key })));
  await recomputeIfRecreated(deps, customerId, now);
  return {
    customerId,
    found: Boolean(erased),
    ordersDeleted: old.length,
    ledgerEntriesDeleted: entries.length,
    tombstoneId,
    ordersKeptNewer: orders.length - old.length,
  };
}

/** Adds the erased customer's aggregates to its tombstone (created on first erasure), conditionally. */
async function addToTombstone(deps: ErasureDeps, customer: Customer, now: string): Promise<string> {
  const tombstoneId = tombstoneIdOf(deps.erasureKey, customer.customerId);
  const marker = `erased:${now}`;
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const existing = await deps.customers.get(tombstoneId);
    if (existing?.recentEventIds.includes(marker)) return tombstoneId;
    const months = { ...(existing?.months ?? {}) };
    for (const [month, m] of Object.entries(customer.months)) {
      const before = months[month];
      months[month] = before ? addMonthActivity(before, m) : m;
    }
    const earlier = (a?: string, b?: string) => (a && b ? (a < b ? a : b) : (a ?? b));
    const later = (a?: string, b?: string) => (a && b ? (a > b ? a : b) : (a ?? b));
    const tombstone = CustomerSchema.parse({
      customerId: tombstoneId,
      currency: customer.currency,
      firstPurchaseAt: earlier(existing?.firstPurchaseAt, customer.firstPurchaseAt),
      lastPurchaseAt: later(existing?.lastPurchaseAt, customer.lastPurchaseAt),
      orderCount: (existing?.orderCount ?? 0) + customer.orderCount,
      revenueMinor: (existing?.revenueMinor ?? 0) + customer.revenueMinor,
      months,
      stage: customer.stage,
      stageSince: customer.stageSince,
      transitions: customer.transitions.map((t) => ({ ...t, reason: 'erased' })),
      suppression: existing?.suppression ?? { reason: 'erased', at: now },
      recentEventIds: [...(existing?.recentEventIds ?? []), marker].slice(-16),
      ...(customer.email
        ? { erasedEmailHmac: erasedEmailHash(deps.erasureKey, customer.email) }
        : existing?.erasedEmailHmac
          ? { erasedEmailHmac: existing.erasedEmailHmac }
          : {}),
    });
    if (await deps.customers.saveIfVersion(tombstone, existing ? existing.version : null)) return tombstoneId;
  }
  throw new Error(`tombstone of ${customer.customerId}: too many concurrent-write conflicts`);
}

/** A concurrent order event may have re-created the customer meanwhile: make its aggregates its stored orders'. */
async function recomputeIfRecreated(deps: ErasureDeps, customerId: string, now: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const customer = await deps.customers.get(customerId);
    if (!customer) return;
    const orders = await deps.orders.listForCustomer(customerId);
    const next = reclassify(withAggregatesOf(customer, orders), now, deps.policy ?? DEFAULT_POLICY);
    if (await deps.customers.saveIfVersion(next, customer.version)) return;
  }
}
