import { relative } from 'node:path';
import { ensureTables, startDynaliteWorker } from '../../cli/local-servers.ts';
import { dynamoStores, type Stores } from '../../shared/adapters/build-adapters.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow } from '../../shared/import/parse-files.ts';
import type { OrderRecord } from '../../shared/import/rows.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { type BenchContext, INDEX_SHARDS, ITEM_SIZE_SAMPLE, SEGMENTS, type Target } from '../context.ts';
import { type CommandCounts, DynamoCounter, sumCounts } from '../counting.ts';
import { int, log, pick, sampleItems, timed } from '../measure.ts';

/** The CDNOW history ends on this day; customers are classified as of its end, as `clientele import --as-of`. */
export const CDNOW_AS_OF = '1998-06-30';
const CURRENCY = 'USD';

/** The figures this change is compared with (the issue; measured on this machine on commit 2bb0edd). */
export const CDNOW_BEFORE = {
  commit: '2bb0edd',
  importSeconds: 22,
  requestsPerOrderEvent: 5,
  requestsPerRedelivery: 3,
  note: 'customers written with BatchWriteItem, unconditionally',
} as const;

export interface RequestCost {
  count: number;
  seconds: number;
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** per unit (customer or event) */
  requestsPer: number;
  requestsPerByCommand: Record<string, number>;
  readUnitsPer: number;
  writeUnitsPer: number;
  requestsByCommand: Record<string, CommandCounts>;
}

export interface EventCosts {
  target: Target;
  /** customers imported on this server before the events (all of CDNOW on dynalite, the events' own elsewhere) */
  customers: number;
  orderEvents: RequestCost & { applied: number; duplicates: number; rejected: number; failed: number };
  redeliveries: RequestCost & { applied: number; duplicates: number };
}

export interface ImportCdnowResult {
  file: string;
  rows: number;
  rejectedRows: number;
  customers: number;
  orders: number;
  asOf: string;
  parseSeconds: number;
  import: RequestCost & {
    target: 'dynalite';
    customersPerSecond: number;
    ordersPerSecond: number;
    createdCustomers: number;
    ordersApplied: number;
    duplicateOrders: number;
    conflicts: number;
    rejected: number;
  };
  /** the first full flag pass as of the import's as-of: it reads everyone and should write no one */
  flag: {
    seconds: number;
    scanned: number;
    itemsRead: number;
    changed: number;
    putItems: number;
    writeUnits: number;
    readUnits: number;
    requests: Record<string, CommandCounts>;
  };
  /** on the fresh dynalite holding the whole import */
  events: EventCosts;
  /** the same events on --target (DynamoDB Local reports GSI copies; dynalite does not), when it is not dynalite */
  eventsOnTarget?: EventCosts;
  avgOrderItemBytes: number;
  avgCustomerItemBytes: number;
  before: typeof CDNOW_BEFORE;
}

function costOf(counts: Record<string, CommandCounts>, count: number, seconds: number): RequestCost {
  const total = sumCounts(counts);
  const per = (n: number) => n / Math.max(1, count);
  return {
    count,
    seconds,
    requests: total.requests,
    readUnits: total.readUnitsBilled,
    writeUnits: total.writeUnits,
    requestsPer: per(total.requests),
    requestsPerByCommand: Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, per(c.requests)])),
    readUnitsPer: per(total.readUnitsBilled),
    writeUnitsPer: per(total.writeUnits),
    requestsByCommand: counts,
  };
}

/** One order.placed per chosen customer, on the last day of the history, and then the same events again. */
async function measureEvents(
  stores: Stores,
  counter: DynamoCounter,
  customerIds: string[],
  target: Target,
  customers: number,
): Promise<EventCosts> {
  const now = endOfDay(CDNOW_AS_OF);
  const events = customerIds.map((customerId, i) => ({
    type: 'order.placed',
    eventId: `bench-order-${i}`,
    customerId,
    occurredAt: `${CDNOW_AS_OF}T12:00:00.000Z`,
    orderId: `bench-${customerId}-1`,
    amountMinor: 1_500 + (i % 100) * 10,
    currency: CURRENCY,
  }));
  const deps = { customers: stores.customers, orders: stores.orders, policy: DEFAULT_POLICY, currency: CURRENCY, now };
  // One event at a time: in AWS each event is one record-activity invocation.
  counter.reset();
  const first = await timed(() => recordActivity(deps, events, { concurrency: 1 }));
  const firstCounts = counter.snapshot();
  counter.reset();
  const again = await timed(() => recordActivity(deps, events, { concurrency: 1 }));
  const againCounts = counter.snapshot();
  const result: EventCosts = {
    target,
    customers,
    orderEvents: {
      ...costOf(firstCounts, events.length, first.seconds),
      applied: first.value.applied,
      duplicates: first.value.duplicates,
      rejected: first.value.rejected.length,
      failed: first.value.failed.length,
    },
    redeliveries: {
      ...costOf(againCounts, events.length, again.seconds),
      applied: again.value.applied,
      duplicates: again.value.duplicates,
    },
  };
  log(
    `${target}: ${int(events.length)} order events, ${result.orderEvents.requestsPer.toFixed(2)} requests ` +
      `(${result.orderEvents.readUnitsPer.toFixed(2)} RRU + ${result.orderEvents.writeUnitsPer.toFixed(2)} WRU) per ` +
      `event; redelivered: ${result.redeliveries.requestsPer.toFixed(2)} requests per event`,
  );
  return result;
}

/** Every k-th customer id (sorted), `count` in all: spread over the three acquisition cohorts. */
function spread(ids: string[], count: number): string[] {
  const sorted = [...ids].sort();
  const step = Math.max(1, Math.floor(sorted.length / count));
  return sorted.filter((_, i) => i % step === 0).slice(0, count);
}

/**
 * The real CDNOW file through the real parseCdnow + importCustomers into a fresh embedded dynalite (as `clientele
 * import --format cdnow --as-of 1998-06-30` does): wall time, customers/s, requests by command and per customer;
 * then the first full flag pass as of the same date (reads everyone, writes no one), then --order-events
 * order.placed events for existing customers through recordActivity, and the same events redelivered. With
 * --target dynamodb-local the events are measured there too (on just their customers), where GSI copies count.
 */
export async function importCdnowScenario(ctx: BenchContext): Promise<ImportCdnowResult> {
  const { options } = ctx;
  const asOf = endOfDay(CDNOW_AS_OF);
  const now = new Date().toISOString();
  const server = await startDynaliteWorker();
  ctx.onClose(() => server.close());
  const client = documentClient({ endpoint: server.endpoint });
  ctx.onClose(() => client.destroy());
  const counter = new DynamoCounter();
  counter.attach(client);
  const tables = tableNames('bench-cdnow');
  await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: INDEX_SHARDS });

  const parsed = await timed(() => parseCdnow(options.cdnowFile, { now }));
  const orders = parsed.value.records;
  const customerIds = [...new Set(orders.map((o) => o.customerId))];
  log(
    `CDNOW: ${int(orders.length)} orders of ${int(customerIds.length)} customers parsed in ${parsed.seconds.toFixed(1)} s`,
  );
  const deps = { customers: stores.customers, orders: stores.orders, currency: CURRENCY, policy: DEFAULT_POLICY };
  counter.reset();
  const imported = await timed(() => importCustomers(deps, { profiles: [], orders, asOf, now }));
  const importCounts = counter.snapshot();
  const summary = imported.value;
  log(
    `CDNOW import: ${int(summary.customers)} customers in ${imported.seconds.toFixed(1)} s ` +
      `(${int(summary.customers / imported.seconds)}/s), ${int(sumCounts(importCounts).requests)} requests`,
  );

  counter.reset();
  const flag = await timed(() =>
    flagDormantFullPass({ customers: stores.customers }, { asOf, policy: DEFAULT_POLICY, segments: SEGMENTS }),
  );
  const flagCounts = counter.snapshot();
  log(
    `first full flag pass as of ${CDNOW_AS_OF}: ${int(flag.value.scanned)} read, ${int(flag.value.changed)} changed, ` +
      `${pick(flagCounts, 'requests', 'PutItem')} PutItems, ${flag.seconds.toFixed(1)} s`,
  );
  const avgOrderItemBytes = (await sampleItems(client, tables.orders, ITEM_SIZE_SAMPLE)).avg;
  const avgCustomerItemBytes = (await sampleItems(client, tables.customers, ITEM_SIZE_SAMPLE)).avg;

  const chosen = spread(customerIds, options.orderEvents);
  const events = await measureEvents(stores, counter, chosen, 'dynalite', summary.customers);
  let eventsOnTarget: EventCosts | undefined;
  if (options.target !== 'dynalite') {
    // The chosen customers' own history, imported the same way on the bench's server, then the same events.
    const target = await ctx.dynamo();
    const targetTables = tableNames('bench-cdnow');
    await ensureTables(target.client, targetTables);
    const targetStores = dynamoStores(target.client, targetTables, { indexShards: INDEX_SHARDS });
    const wanted = new Set(chosen);
    const theirOrders: OrderRecord[] = orders.filter((o) => wanted.has(o.customerId));
    await importCustomers(
      { customers: targetStores.customers, orders: targetStores.orders, currency: CURRENCY, policy: DEFAULT_POLICY },
      { profiles: [], orders: theirOrders, asOf, now },
    );
    eventsOnTarget = await measureEvents(targetStores, ctx.counter, chosen, options.target, chosen.length);
  }

  return {
    file: relative(process.cwd(), options.cdnowFile) || options.cdnowFile,
    rows: parsed.value.lines,
    rejectedRows: parsed.value.rejected.length,
    customers: summary.customers,
    orders: orders.length,
    asOf,
    parseSeconds: parsed.seconds,
    import: {
      ...costOf(importCounts, summary.customers, imported.seconds),
      target: 'dynalite',
      customersPerSecond: summary.customers / imported.seconds,
      ordersPerSecond: orders.length / imported.seconds,
      createdCustomers: summary.createdCustomers,
      ordersApplied: summary.ordersApplied,
      duplicateOrders: summary.duplicateOrders,
      conflicts: summary.conflicts,
      rejected: summary.rejected.length,
    },
    flag: {
      seconds: flag.seconds,
      scanned: flag.value.scanned,
      itemsRead: pick(flagCounts, 'itemsRead', 'Scan'),
      changed: flag.value.changed,
      putItems: pick(flagCounts, 'requests', 'PutItem'),
      writeUnits: pick(flagCounts, 'writeUnits'),
      readUnits: pick(flagCounts, 'readUnitsBilled'),
      requests: flagCounts,
    },
    events,
    ...(eventsOnTarget ? { eventsOnTarget } : {}),
    avgOrderItemBytes,
    avgCustomerItemBytes,
    before: CDNOW_BEFORE,
  };
}
