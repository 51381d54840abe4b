import { createHash } from 'node:crypto';
import { runConcurrently } from '../concurrency.ts';
import { describeIssues, futureInstantError } from '../domain/common.ts';
import {
  addOrder,
  type Customer,
  CustomerSchema,
  mergeConsent,
  newCustomer,
  reclassify,
  rememberEvent,
  withAggregatesOf,
  withWinbackReview,
} from '../domain/customer.ts';
import { consentAfterErasure, type ErasureEntry, withoutErasedConsent } from '../domain/erasure.ts';
import type { Order } from '../domain/events.ts';
import { DEFAULT_POLICY, type LifecyclePolicy } from '../domain/lifecycle.ts';
import type { CustomerCsvRow, OrderRecord } from '../import/rows.ts';
import type { CustomerRepository, ErasureRegistry, OrderRepository, SnapshotStore } from '../ports.ts';
import { erasuresByCustomer } from './erasure-lookup.ts';
import { sameOrderFacts } from './record-activity.ts';

export interface ImportDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  currency: string;
  /** @default DEFAULT_POLICY */
  policy?: LifecyclePolicy;
  /** when given, the flag job's watermark is cleared, so the next flag run is a full pass (cheap: writes nothing) */
  watermarks?: SnapshotStore;
  /** the erasure registry and key: consent older than an erasure of the id or address is not imported (I3) */
  erasures?: { registry: ErasureRegistry; key: string };
}

export interface ImportInput {
  profiles: readonly CustomerCsvRow[];
  orders: readonly OrderRecord[];
  /** processing time (consent dated far ahead of it cannot outrank a later decision); default: the clock */
  now?: string;
  /** the instant imported customers are classified at (their stage and next check); default `now` */
  asOf?: string;
  /** customers per chunk: one BatchGet, then batched writes */
  chunkSize?: number;
  /** customer writes in flight at once */
  concurrency?: number;
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
  /** orders already counted (same order id with the same facts, imported or recorded before) */
  duplicateOrders: number;
  /** orders whose id is already stored with another amount, time or currency (also in `rejected`) */
  conflictingOrders: number;
  /** writes that lost to a concurrent writer and were re-read, re-merged and recomputed from stored orders */
  conflicts: number;
  /** customers whose imported consent was dropped because the id or address was erased after it (I3) */
  consentDroppedErased: number;
  rejected: { customerId: string; orderId?: string; error: string }[];
}

const MAX_CONFLICT_RETRIES = 8;

interface Write {
  id: string;
  customer: Customer;
  /** the version read (null: absent) */
  expected: number | null;
  orders: Order[];
  /**
   * Some of its orders were stored already. Stored is not counted: another writer may have stored them and not
   * yet written the customer. So its aggregates are recomputed from all its stored orders instead of added to.
   */
  recompute: boolean;
}

/**
 * Primary course, per chunk of customers:
 *  1. read the stored customers, then the stored orders of those that exist (strongly consistent);
 *  2. per customer: merge the profile (a withdrawal is never undone by an import, I2; consent older than an
 *     erasure is dropped, I3), add the orders not stored yet, classify as of `asOf`, mark with the batch id;
 *  3. store the new orders (before any customer write counts them), then write each customer only if it is still
 *     the version read in 1. A customer that changed meanwhile is re-read, re-merged and its aggregates recomputed
 *     from all its stored orders, so a concurrent import, event, unsubscribe or flag run is never overwritten.
 * Re-running the same import changes nothing (customers carrying the batch id are skipped). A crash anywhere leaves
 * orders stored that a customer may not count yet; the rerun, the next event of that customer, or
 * `clientele check --repair` counts them (recompute from stored orders).
 */
export async function importCustomers(deps: ImportDeps, input: ImportInput): Promise<ImportSummary> {
  const batchId = `import:${digest(input)}`;
  const now = input.now ?? new Date().toISOString();
  const asOf = input.asOf ?? now;
  const policy = deps.policy ?? DEFAULT_POLICY;
  // I5 here too, not only in the file parsers: a caller of this job may not have parsed files.
  const future: ImportSummary['rejected'] = [];
  const inTime = (customerId: string, fields: [string, string | undefined][], orderId?: string) => {
    const bad = fields.flatMap(([field, value]) => {
      const error = futureInstantError(value, now);
      return error ? [`${field}: ${error}`] : [];
    });
    if (bad.length) future.push({ customerId, ...(orderId ? { orderId } : {}), error: bad.join('; ') });
    return bad.length === 0;
  };
  const profiles = new Map(
    input.profiles
      .filter((p) =>
        inTime(p.customer_id, [
          ['signed_up_at', p.signed_up_at],
          ['consent_at', p.consent_at],
        ]),
      )
      .map((p) => [p.customer_id, p]),
  );
  const ordersByCustomer = new Map<string, OrderRecord[]>();
  for (const order of input.orders) {
    if (!inTime(order.customerId, [['placed_at', order.placedAt]], order.orderId)) continue;
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
    conflictingOrders: 0,
    conflicts: 0,
    consentDroppedErased: 0,
    rejected: future,
  };
  await deps.watermarks?.setWatermark('flag-dormant', undefined);
  const chunkSize = input.chunkSize ?? 500;

  /** The customer after this import's profile and the given new orders, validated; or the reason it is not. */
  const merged = (base: Customer, id: string, erasures: readonly ErasureEntry[], orders: readonly Order[]) => {
    let customer = base;
    const profile = profiles.get(id);
    if (profile) customer = applyProfile(customer, profile, now);
    const checked = withoutErasedConsent(base, customer, erasures);
    if (checked.dropped) summary.consentDroppedErased += 1;
    customer = checked.customer;
    for (const order of orders) customer = addOrder(customer, order);
    customer = withWinbackReview(base, reclassify(rememberEvent(customer, batchId), asOf, policy), policy);
    return CustomerSchema.safeParse(customer);
  };

  /**
   * A customer that changed since it was read, or some of whose orders were stored before: re-read, re-merge,
   * recompute from every stored order (ours are stored already), write conditionally.
   */
  type Outcome = { outcome: 'created' | 'updated' | 'skipped'; counted: number };
  const recompute = async (id: string, conflict: boolean): Promise<Outcome> => {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      if (conflict || attempt > 0) summary.conflicts += 1;
      const stored = await deps.customers.get(id);
      // Looked up again: an erasure may have happened since the chunk was read.
      const profile = profiles.get(id);
      const erasures = (await erasuresOf(deps, profile ? [profile] : [])).get(id) ?? [];
      if (stored?.recentEventIds.includes(batchId)) return { outcome: 'skipped', counted: 0 };
      const base = stored ?? newCustomer(id, deps.currency);
      const orders = await deps.orders.listForCustomer(id);
      const checked = merged(withAggregatesOf(base, orders), id, erasures, []);
      if (!checked.success) throw new Error(describeIssues(checked.error));
      // What this write really added (another writer may have counted some of these orders already).
      const counted = checked.data.orderCount - (stored?.orderCount ?? 0);
      if (await deps.customers.saveIfVersion(checked.data, stored ? stored.version : null))
        return { outcome: stored ? 'updated' : 'created', counted };
    }
    throw new Error(`gave up after ${MAX_CONFLICT_RETRIES} concurrent-write conflicts`);
  };

  /** Steps 1–2 for one chunk: what to store and write (reads only). */
  const prepare = async (chunk: readonly string[]) => {
    const stored = await deps.customers.getMany(chunk);
    // Read after the customers: an order absent now is counted by no version read above (orders are stored before
    // any customer write that counts them). Only existing customers can have stored orders.
    const orderKeys = chunk.filter((id) => stored.has(id)).flatMap((id) => ordersByCustomer.get(id) ?? []);
    const known = await storedOrders(deps.orders, orderKeys);
    const erased = await erasuresOf(
      deps,
      chunk.map((id) => profiles.get(id)).filter((p) => p !== undefined),
    );
    const writes: Write[] = [];
    for (const id of chunk) {
      let storedBefore = false;
      const existing = stored.get(id);
      if (existing?.recentEventIds.includes(batchId)) {
        summary.alreadyImported += 1;
        continue;
      }
      const fresh: Order[] = [];
      const seen = new Set<string>();
      for (const order of ordersByCustomer.get(id) ?? []) {
        const reject = (error: string) => summary.rejected.push({ customerId: id, orderId: order.orderId, error });
        if (order.currency !== deps.currency) {
          reject(`currency: ${order.currency} is not the reporting currency ${deps.currency}`);
          continue;
        }
        const candidate: Order = { ...order, applied: true };
        const previous = known.get(`${id}\u0000${order.orderId}`);
        if (previous) storedBefore = true;
        if (previous || seen.has(order.orderId)) {
          if (!previous || sameOrderFacts(previous, candidate)) summary.duplicateOrders += 1;
          else {
            summary.conflictingOrders += 1;
            reject(
              `orderId: ${order.orderId} is already recorded with other facts (placedAt ${previous.placedAt}, amountMinor ${previous.amountMinor} ${previous.currency})`,
            );
          }
          continue;
        }
        seen.add(order.orderId);
        fresh.push(candidate);
      }
      const checked = merged(existing ?? newCustomer(id, deps.currency), id, erased.get(id) ?? [], fresh);
      if (!checked.success) {
        // Its orders are not stored either, so a corrected re-import counts them (they are not "duplicates").
        summary.rejected.push({ customerId: id, error: describeIssues(checked.error) });
        continue;
      }
      writes.push({
        id,
        customer: checked.data,
        expected: existing ? existing.version : null,
        orders: fresh,
        recompute: storedBefore,
      });
    }
    return writes;
  };

  /**
   * Stores the chunk's new orders before any customer write counts them. Orders of new customers go in batches;
   * those of existing customers, where events arrive concurrently, one by one if absent: an order another writer
   * stored meanwhile is then recomputed from (never overwritten), and one with other facts is a conflict.
   */
  const storeOrders = async (writes: readonly Write[]) => {
    await deps.orders.putMany(writes.filter((w) => w.expected === null).flatMap((w) => w.orders));
    const existing = writes.filter((w) => w.expected !== null).flatMap((w) => w.orders.map((o) => [w, o] as const));
    await runConcurrently(existing, input.concurrency ?? 32, async ([w, order]) => {
      if (await deps.orders.putIfAbsent(order)) return;
      w.recompute = true;
      const other = await deps.orders.get(order.customerId, order.orderId);
      if (other && !sameOrderFacts(other, order)) {
        summary.conflictingOrders += 1;
        summary.rejected.push({
          customerId: w.id,
          orderId: order.orderId,
          error: `orderId: ${order.orderId} was recorded meanwhile with other facts (placedAt ${other.placedAt}, amountMinor ${other.amountMinor} ${other.currency})`,
        });
      }
    });
  };

  /**
   * An erasure recorded while this chunk was being written: the lookup before the writes could not see it, so the
   * consent of every customer just written with one is checked again, and withdrawn if the erasure rules it out.
   */
  const recheckErasures = async (writes: readonly Write[]) => {
    const marketable = writes.filter((w) => w.customer.consent?.marketing);
    const profilesWritten = marketable.map((w) => profiles.get(w.id)).filter((p) => p !== undefined);
    for (const [id, entries] of await erasuresOf(deps, profilesWritten)) {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const customer = await deps.customers.get(id);
        if (!customer || consentAfterErasure(customer.consent, entries) === customer.consent) break;
        const { consent: _dropped, ...rest } = customer;
        if (await deps.customers.saveIfVersion(rest, customer.version)) {
          summary.consentDroppedErased += 1;
          break;
        }
      }
    }
  };

  /** Step 3 for one chunk. */
  const write = async (writes: readonly Write[]) => {
    await storeOrders(writes);
    await runConcurrently(writes, input.concurrency ?? 32, async (w) => {
      try {
        let result: Outcome = { outcome: w.expected === null ? 'created' : 'updated', counted: w.orders.length };
        if (w.recompute) result = await recompute(w.id, false);
        else if (!(await deps.customers.saveIfVersion(w.customer, w.expected))) result = await recompute(w.id, true);
        const { outcome } = result;
        if (outcome === 'skipped') summary.alreadyImported += 1;
        else {
          summary.ordersApplied += result.counted;
          if (outcome === 'created') summary.createdCustomers += 1;
          else summary.updatedCustomers += 1;
        }
      } catch (error) {
        summary.rejected.push({ customerId: w.id, error: error instanceof Error ? error.message : String(error) });
      }
    });
    await recheckErasures(writes);
  };

  // Chunks are disjoint sets of customers, so the next chunk is read while this one is written: the database and
  // this process work at the same time. Each customer write is still conditional on its own read.
  const chunks: string[][] = [];
  for (let start = 0; start < ids.length; start += chunkSize) chunks.push(ids.slice(start, start + chunkSize));
  let next = chunks[0] ? prepare(chunks[0]) : undefined;
  let done = 0;
  for (const [i, chunk] of chunks.entries()) {
    if (!next) break;
    const writes = await next;
    const following = chunks[i + 1];
    next = following ? prepare(following) : undefined;
    await write(writes);
    done += chunk.length;
    input.onProgress?.(done, ids.length);
  }
  return summary;
}

/** I2: an import may give or withdraw consent, never undo a withdrawal; the newest decision wins otherwise. */
function applyProfile(customer: Customer, p: CustomerCsvRow, now: string): Customer {
  const consent =
    p.marketing_consent === undefined || !p.consent_at
      ? customer.consent
      : mergeConsent(
          customer.consent,
          { marketing: p.marketing_consent, at: p.consent_at, source: p.consent_source ?? 'import' },
          'import',
          now,
        );
  return {
    ...customer,
    email: p.email ?? customer.email,
    name: p.name ?? customer.name,
    locale: p.locale ?? customer.locale,
    timeZone: p.time_zone ?? customer.timeZone,
    signedUpAt: p.signed_up_at ?? customer.signedUpAt,
    ...(consent ? { consent } : {}),
  };
}

/** Stored orders among the candidates, by `customer\0order`. */
async function storedOrders(orders: OrderRepository, candidates: readonly OrderRecord[]): Promise<Map<string, Order>> {
  if (candidates.length === 0) return new Map();
  const found = await orders.getMany(candidates.map((o) => ({ customerId: o.customerId, orderId: o.orderId })));
  return new Map(found.map((o) => [`${o.customerId}\u0000${o.orderId}`, o]));
}

/** Erasures of the ids and addresses of profiles that would give marketing consent, by customer id. */
async function erasuresOf(deps: ImportDeps, profiles: readonly CustomerCsvRow[]): Promise<Map<string, ErasureEntry[]>> {
  if (!deps.erasures) return new Map();
  // Consent, or an address that may make an earlier consent marketable (the address can arrive later).
  const granting = profiles.filter((p) => p.marketing_consent === true || p.email !== undefined);
  return erasuresByCustomer(
    deps.erasures,
    granting.map((p) => ({ customerId: p.customer_id, email: p.email })),
  );
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
