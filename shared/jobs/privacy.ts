import { createHash } from 'node:crypto';
import { type Customer, CustomerSchema } from '../domain/customer.ts';
import type { Order } from '../domain/events.ts';
import type { LedgerEntry } from '../domain/winback.ts';
import type { CustomerRepository, OrderRepository, SendLedger } from '../ports.ts';

export interface PrivacyDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
}

export interface CustomerExport {
  customer: Customer | null;
  orders: Order[];
  emailsSent: LedgerEntry[];
}

/** Everything held about one customer (data-subject access request). */
export async function exportCustomer(deps: PrivacyDeps, customerId: string): Promise<CustomerExport> {
  const [customer, orders, emailsSent] = await Promise.all([
    deps.customers.get(customerId),
    deps.orders.listForCustomer(customerId),
    deps.ledger.forCustomer(customerId, ''),
  ]);
  return { customer: customer ?? null, orders, emailsSent };
}

export interface ErasureSummary {
  customerId: string;
  found: boolean;
  ordersDeleted: number;
  ledgerEntriesDeleted: number;
  /** the anonymous record left behind: aggregates for cohort figures and the address hash for suppression */
  tombstoneId: string | null;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Erasure (right to be forgotten). Primary course:
 *  1. delete the customer's orders and send-ledger entries;
 *  2. replace the customer with an anonymous tombstone under a new id (`erased-<hash>`) that keeps only what the
 *     numbers and the law need: monthly purchase aggregates and stage (so past cohort reports stay true), and the
 *     SHA-256 of the address with a suppression (so the person is never emailed again);
 *  3. delete the original customer item.
 * Idempotent: erasing again finds nothing.
 */
export async function eraseCustomer(deps: PrivacyDeps, customerId: string, now: string): Promise<ErasureSummary> {
  const customer = await deps.customers.get(customerId);
  const orders = await deps.orders.listForCustomer(customerId);
  const entries = await deps.ledger.forCustomer(customerId, '');
  await deps.orders.deleteMany(orders.map((o) => ({ customerId, orderId: o.orderId })));
  await deps.ledger.deleteMany(entries.map((e) => ({ customerId, key: e.key })));
  let tombstoneId: string | null = null;
  if (customer) {
    tombstoneId = `erased-${sha256(`clientele-erasure:${customerId}`).slice(0, 32)}`;
    const tombstone = CustomerSchema.parse({
      customerId: tombstoneId,
      currency: customer.currency,
      firstPurchaseAt: customer.firstPurchaseAt,
      lastPurchaseAt: customer.lastPurchaseAt,
      orderCount: customer.orderCount,
      revenueMinor: customer.revenueMinor,
      months: customer.months,
      stage: customer.stage,
      stageSince: customer.stageSince,
      transitions: customer.transitions.map((t) => ({ ...t, reason: 'erased' })),
      suppression: { reason: 'erased', at: now },
      ...(customer.email ? { erasedEmailSha256: sha256(customer.email.toLowerCase()) } : {}),
    });
    await deps.customers.putMany([tombstone]);
    await deps.customers.deleteMany([customerId]);
  }
  return {
    customerId,
    found: Boolean(customer),
    ordersDeleted: orders.length,
    ledgerEntriesDeleted: entries.length,
    tombstoneId,
  };
}
