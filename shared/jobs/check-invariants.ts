import { runConcurrently } from '../concurrency.ts';
import { futureInstantError } from '../domain/common.ts';
import {
  aggregateDifferences,
  aggregatesOf,
  type Customer,
  CustomerSchema,
  campaignEpisodeStart,
  newCustomer,
  reclassify,
  withAggregatesOf,
} from '../domain/customer.ts';
import { type ErasureEntry, erasedIdHash } from '../domain/erasure.ts';
import type { Order } from '../domain/events.ts';
import { type LifecyclePolicy, nextCheckAt } from '../domain/lifecycle.ts';
import type { CustomerRepository, ErasureRegistry, InvalidItem, OrderRepository, SendLedger } from '../ports.ts';
import { erasuresByCustomer } from './erasure-lookup.ts';

/**
 * `clientele check`: verifies the data invariants the README states and the consistency of the sparse indexes, on
 * any target, reading only (paginated scans, one strongly consistent Query of orders per customer). With `repair`
 * it fixes what can be derived from stored orders and the erasure registry, each fix a conditional write on the
 * version read (a concurrent writer wins; the next check sees its result).
 *
 *  I1 a customer's aggregates (order count, revenue, first/last purchase, months) are those of its stored orders,
 *     and every stored order belongs to a customer (or to an erased id, whose orders erasure deletes);
 *  I3 no customer has marketing consent dated at or before an erasure of its id or address;
 *  I4 every customer with an order is classified (not a prospect, a stage date) with its next check set, so the
 *     incremental flag run reads it again when due;
 *  I5 no stored instant is more than 24 h in the future;
 *  index: the sparse GSI keys match the stored data (dormancy, next check, win-back due, pending claims).
 * I2 (a withdrawal is never undone by a writer that did not see it) is a property of writes, not of a state: it
 * is proven by the interleaving tests; check verifies what a state can show.
 */

export type Invariant = 'I1' | 'I3' | 'I4' | 'I5' | 'index' | 'invalid';

export interface Violation {
  invariant: Invariant;
  key: string;
  detail: string;
  repaired?: boolean;
}

export interface CheckSummary {
  customers: number;
  orders: number;
  ledgerEntries: number;
  violations: Violation[];
  byInvariant: Record<Invariant, number>;
  repaired: number;
}

export interface CheckDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
  policy: LifecyclePolicy;
  /** without the registry and key, I3 and erased-id orphans cannot be checked */
  erasures?: { registry: ErasureRegistry; key: string };
}

export interface CheckInput {
  now: string;
  /** the instant a repaired customer is classified at (the flag job's watermark when there is one) */
  classifyAt: string;
  repair?: boolean;
  concurrency?: number;
  onProgress?: (done: number) => void;
}

const isTombstone = (c: Customer) => c.customerId.startsWith('erased-') && c.suppression?.reason === 'erased';

export async function checkInvariants(deps: CheckDeps, input: CheckInput): Promise<CheckSummary> {
  const summary: CheckSummary = {
    customers: 0,
    orders: 0,
    ledgerEntries: 0,
    violations: [],
    byInvariant: { I1: 0, I3: 0, I4: 0, I5: 0, index: 0, invalid: 0 },
    repaired: 0,
  };
  const report = (v: Violation) => {
    summary.violations.push(v);
    summary.byInvariant[v.invariant] += 1;
    if (v.repaired) summary.repaired += 1;
  };
  const reportItems = (invariant: Invariant, items: readonly InvalidItem[] | undefined) => {
    for (const i of items ?? []) report({ invariant, key: i.key, detail: i.error });
  };
  let done = 0;

  for await (const page of deps.customers.scan({ segment: 0, totalSegments: 1 })) {
    reportItems('invalid', page.invalid);
    const inconsistent = new Set((page.inconsistent ?? []).map((i) => i.key));
    const erasures = await erasuresFor(deps, page.items);
    await runConcurrently(page.items, input.concurrency ?? 16, async (customer) => {
      const key = `customer ${customer.customerId}`;
      const found: Violation[] = [];
      if (inconsistent.has(key))
        found.push({ invariant: 'index', key, detail: 'index keys do not match the stored data' });
      let orders: Order[] = [];
      if (!isTombstone(customer)) {
        orders = await deps.orders.listForCustomer(customer.customerId);
        const differences = aggregateDifferences(customer, aggregatesOf(orders, customer.currency));
        if (differences.length) found.push({ invariant: 'I1', key, detail: differences.join('; ') });
      }
      found.push(...classificationProblems(customer, deps.policy, key));
      for (const [field, value] of [
        ['consent.at', customer.consent?.at],
        ['lastPurchaseAt', customer.lastPurchaseAt],
        ['signedUpAt', customer.signedUpAt],
      ] as const) {
        const error = futureInstantError(value, input.now);
        if (error) found.push({ invariant: 'I5', key, detail: `${field}: ${error}` });
      }
      const erasure = erasedAfterConsent(customer, erasures.get(customer.customerId) ?? []);
      if (erasure)
        found.push({
          invariant: 'I3',
          key,
          detail: `marketing consent of ${customer.consent?.at} is not newer than an erasure of this ${erasure.kind} (${erasure.erasedAt})`,
        });
      const repaired =
        input.repair && found.length ? await repairCustomer(deps, input, customer, orders, found) : false;
      for (const v of found) report(repaired && v.invariant !== 'I5' ? { ...v, repaired: true } : v);
    });
    summary.customers += page.items.length + page.invalid.length;
    done += page.items.length + page.invalid.length;
    input.onProgress?.(done);
  }

  await checkOrders(deps, input, summary, report);

  for await (const page of deps.ledger.scanAll()) {
    summary.ledgerEntries += page.items.length + page.invalid.length;
    reportItems('invalid', page.invalid);
    reportItems('index', page.inconsistent);
  }
  return summary;
}

/** I4 and the customer-side index facts that follow from the stored data. */
function classificationProblems(customer: Customer, policy: LifecyclePolicy, key: string): Violation[] {
  const found: Violation[] = [];
  if (customer.orderCount > 0 && (customer.stage === 'prospect' || !customer.stageSince))
    found.push({ invariant: 'I4', key, detail: `has ${customer.orderCount} orders but is not classified` });
  else if (customer.stageSince && !isTombstone(customer)) {
    const expected = nextCheckAt(customer, customer.stage, policy);
    if (expected !== customer.nextCheckAt)
      found.push({
        invariant: 'I4',
        key,
        detail: `next check ${customer.nextCheckAt ?? 'absent'}, ${expected ?? 'none'} expected for ${customer.stage}`,
      });
  }
  if (customer.winbackDueAt && !campaignEpisodeStart(customer, policy.campaignStages))
    found.push({ invariant: 'index', key, detail: 'campaign step due outside every campaign episode' });
  return found;
}

/** The latest erasure of this customer's id or address that its marketing consent does not postdate. */
function erasedAfterConsent(customer: Customer, erasures: readonly ErasureEntry[]): ErasureEntry | undefined {
  if (!customer.consent?.marketing || isTombstone(customer)) return undefined;
  const at = customer.consent.at;
  return erasures.filter((e) => e.erasedAt >= at).sort((a, b) => b.erasedAt.localeCompare(a.erasedAt))[0];
}

async function erasuresFor(deps: CheckDeps, customers: readonly Customer[]): Promise<Map<string, ErasureEntry[]>> {
  if (!deps.erasures) return new Map();
  const consenting = customers.filter((c) => c.consent?.marketing && !isTombstone(c));
  return erasuresByCustomer(deps.erasures, consenting);
}

/**
 * Repairs one customer from what is stored: aggregates recomputed from its orders (I1), reclassified (I4, index
 * keys are rewritten by every save), consent withdrawn where an erasure postdates it (I3), a stray due instant
 * removed. One conditional write; false if someone wrote meanwhile (left for the next check).
 */
async function repairCustomer(
  deps: CheckDeps,
  input: CheckInput,
  customer: Customer,
  orders: readonly Order[],
  found: readonly Violation[],
): Promise<boolean> {
  let next: Customer = isTombstone(customer) ? customer : withAggregatesOf(customer, orders);
  if (found.some((v) => v.invariant === 'I3'))
    next = { ...next, consent: { marketing: false, at: input.now, source: 'check:erased' } };
  if (next.winbackDueAt && !campaignEpisodeStart(next, deps.policy.campaignStages)) {
    const { winbackDueAt: _removed, ...rest } = next;
    next = rest;
  }
  if (!isTombstone(customer)) {
    // The stage as of `classifyAt` from the repaired facts; reclassify also recomputes the next check.
    next = reclassify(next, input.classifyAt, deps.policy);
  }
  return deps.customers.saveIfVersion(CustomerSchema.parse(next), customer.version);
}

/**
 * Orders whose customer does not exist. An erased id's orders (placed before the erasure) are deleted by repair;
 * any other orphan is the debris of a crash before its customer was first written: repair creates the customer
 * from its stored orders.
 */
async function checkOrders(
  deps: CheckDeps,
  input: CheckInput,
  summary: CheckSummary,
  report: (v: Violation) => void,
): Promise<void> {
  for await (const page of deps.orders.scanAll()) {
    summary.orders += page.items.length + page.invalid.length;
    for (const i of page.invalid) report({ invariant: 'invalid', key: i.key, detail: i.error });
    const ids = [...new Set(page.items.map((o) => o.customerId))];
    const existing = await deps.customers.getMany(ids);
    for (const id of ids.filter((i) => !existing.has(i))) {
      const orders = page.items.filter((o) => o.customerId === id);
      const erased = deps.erasures
        ? (await deps.erasures.registry.find([erasedIdHash(deps.erasures.key, id)]))[0]
        : undefined;
      const key = `customer ${id}`;
      const detail = `${orders.length} stored order(s) of a customer that does not exist${erased ? ` (erased ${erased.erasedAt})` : ''}`;
      let repaired = false;
      if (input.repair) {
        if (erased) {
          const old = orders.filter((o) => o.placedAt <= erased.erasedAt);
          await deps.orders.deleteMany(old.map((o) => ({ customerId: id, orderId: o.orderId })));
          repaired = old.length === orders.length;
        } else {
          const all = await deps.orders.listForCustomer(id);
          const created = reclassify(
            withAggregatesOf(newCustomer(id, all[0]?.currency ?? 'USD'), all),
            input.classifyAt,
            deps.policy,
          );
          repaired = await deps.customers.saveIfVersion(CustomerSchema.parse(created), null);
        }
      }
      report({ invariant: 'I1', key, detail, ...(repaired ? { repaired } : {}) });
    }
  }
}
