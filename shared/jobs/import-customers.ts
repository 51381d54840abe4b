import { createHash } from 'node:crypto';
import {
  addOrder,
  type Customer,
  CustomerSchema,
  newCustomer,
  rememberEvent,
  withWinbackReview,
} from '../domain/customer.ts';
import type { Order } from '../domain/events.ts';
import type { CustomerCsvRow, OrderRecord } from '../import/rows.ts';
import type { CustomerRepository, OrderRepository, SnapshotStore } from '../ports.ts';

export interface ImportDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  currency: string;
  /** when given, the flag job's watermark is cleared: imported customers have no next check yet */
  watermarks?: SnapshotStore;
}

export interface ImportInput {
  profiles: readonly CustomerCsvRow[];
  orders: readonly OrderRecord[];
  /** customers per chunk: one BatchGet, then batched writes */
  chunkSize?: number;
  onProgress?: (customersDone: number, customersTotal: number) => void;
}

export interface ImportSummary {
  batchId: string;
  customers: number;
  createdCustomers: number;
  updatedCustomers: number;
  /** customers this very batch had already been applied to (re-import) */
  alreadyImported: number;
  ordersApplied: number;
  /** orders already counted (same order id imported or recorded before) */
  duplicateOrders: number;
  rejected: { customerId: string; orderId?: string; error: string }[];
}

/**
 * Primary course, per chunk of customers:
 *  1. read the stored customers and orders of the chunk;
 *  2. merge profiles, add only orders not already counted (by order id), mark the customer with this import's
 *     batch id;
 *  3. write customers, then the orders flagged as applied.
 * Re-running the same import changes nothing (customers carrying the batch id are skipped), and a crash between
 * steps loses or double-counts nothing: a customer is either marked (its orders counted) or untouched.
 */
export async function importCustomers(deps: ImportDeps, input: ImportInput): Promise<ImportSummary> {
  const batchId = `import:${digest(input)}`;
  const profiles = new Map(input.profiles.map((p) => [p.customer_id, p]));
  const ordersByCustomer = new Map<string, OrderRecord[]>();
  for (const order of input.orders) {
    const list = ordersByCustomer.get(order.customerId);
    if (list) list.push(order);
    else ordersByCustomer.set(order.customerId, [order]);
  }
  const ids = [...new Set([...profiles.keys(), ...ordersByCustomer.keys()])];
  const summary: ImportSummary = {
    batchId,
    customers: ids.length,
    createdCustomers: 0,
    updatedCustomers: 0,
    alreadyImported: 0,
    ordersApplied: 0,
    duplicateOrders: 0,
    rejected: [],
  };
  // Imported customers are not classified yet (no next check instant): the next flag run must read everyone.
  await deps.watermarks?.setWatermark('flag-dormant', undefined);
  const chunkSize = input.chunkSize ?? 500;
  for (let start = 0; start < ids.length; start += chunkSize) {
    const chunk = ids.slice(start, start + chunkSize);
    const stored = await deps.customers.getMany(chunk);
    const toWrite: Customer[] = [];
    const ordersToWrite: Order[] = [];
    // Only an existing customer can have orders that were already counted (record-activity creates the customer).
    const orderKeys = chunk.filter((id) => stored.has(id)).flatMap((id) => ordersByCustomer.get(id) ?? []);
    const known = await appliedOrders(deps.orders, orderKeys);
    for (const id of chunk) {
      const existing = stored.get(id);
      if (existing?.recentEventIds.includes(batchId)) {
        summary.alreadyImported += 1;
        continue;
      }
      let customer = existing ?? newCustomer(id, deps.currency);
      const profile = profiles.get(id);
      if (profile) customer = applyProfile(customer, profile);
      for (const order of ordersByCustomer.get(id) ?? []) {
        if (order.currency !== deps.currency) {
          summary.rejected.push({
            customerId: id,
            orderId: order.orderId,
            error: `currency: ${order.currency} is not the reporting currency ${deps.currency}`,
          });
          continue;
        }
        if (known.has(`${id}\u0000${order.orderId}`)) {
          summary.duplicateOrders += 1;
          continue;
        }
        known.add(`${id}\u0000${order.orderId}`);
        customer = addOrder(customer, order);
        ordersToWrite.push({ ...order, applied: true });
        summary.ordersApplied += 1;
      }
      if (existing) customer = withWinbackReview(existing, customer);
      const checked = CustomerSchema.safeParse(rememberEvent(customer, batchId));
      if (!checked.success) {
        summary.rejected.push({ customerId: id, error: checked.error.issues.map((i) => i.message).join('; ') });
        continue;
      }
      toWrite.push({ ...checked.data, version: (existing?.version ?? -1) + 1 });
      if (existing) summary.updatedCustomers += 1;
      else summary.createdCustomers += 1;
    }
    await deps.customers.putMany(toWrite);
    await deps.orders.putMany(ordersToWrite);
    input.onProgress?.(Math.min(start + chunkSize, ids.length), ids.length);
  }
  return summary;
}

function applyProfile(customer: Customer, p: CustomerCsvRow): Customer {
  const consent =
    p.marketing_consent === undefined || !p.consent_at || (customer.consent && customer.consent.at > p.consent_at)
      ? customer.consent
      : { marketing: p.marketing_consent, at: p.consent_at, source: p.consent_source ?? 'import' };
  return {
    ...customer,
    email: p.email ?? customer.email,
    name: p.name ?? customer.name,
    locale: p.locale ?? customer.locale,
    timeZone: p.time_zone ?? customer.timeZone,
    signedUpAt: p.signed_up_at ?? customer.signedUpAt,
    consent,
  };
}

/** Keys (`customer\0order`) of the given orders that are already stored and counted. */
async function appliedOrders(orders: OrderRepository, candidates: readonly OrderRecord[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const found = await orders.getMany(candidates.map((o) => ({ customerId: o.customerId, orderId: o.orderId })));
  return new Set(found.filter((o) => o.applied).map((o) => `${o.customerId}\u0000${o.orderId}`));
}

/** Identifies the import content, so the same files imported twice are recognised. */
function digest(input: ImportInput): string {
  const hash = createHash('sha256');
  for (const p of input.profiles) hash.update(JSON.stringify(p));
  hash.update('\u0001');
  for (const o of input.orders)
    hash.update(`${o.customerId},${o.orderId},${o.placedAt},${o.amountMinor},${o.currency}\n`);
  return hash.digest('hex').slice(0, 16);
}
