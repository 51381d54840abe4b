/**
 * Crash injection on the real CLI (issue 9, "Proof"): `import` and `record` run as child processes that SIGKILL
 * themselves right after their k-th DynamoDB response (tests/helpers/crash-after-requests.ts), for every k that ends
 * a distinct write step (see `stepCrashPoints`, `interleavedCrashPoints`). After the rerun, `clientele check` finds 0
 * violations and the stored totals are exactly those of the data set.
 *
 * Only the crash needs a process of its own (SIGKILL). For one crash point per scenario the rerun and the check are
 * CLI processes too; for the others they run in this process through the same functions the CLI's `import`,
 * `record` and `check` commands call (runImport, recordActivity on readEventsFile, runCheck, with openRuntime and
 * erasureKeyFor), on fresh runtimes: a CLI start costs ~3 s of module loading, which is what this file spent most
 * of its time on. Two crash points run at a time, each on its own tables.
 */

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runImport } from '../../cli/commands.ts';
import { erasureKeyFor } from '../../cli/erasure-key.ts';
import { ensureTables, type LocalServer, startDynalite } from '../../cli/local-servers.ts';
import { progress } from '../../cli/progress.ts';
import { readEventsFile, summariseEventsFile } from '../../cli/read-events.ts';
import { type GlobalOptions, openRuntime } from '../../cli/runtime.ts';
import { BUILT_IN_TEMPLATES_DIR } from '../../cli/templates.ts';
import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { runConcurrently } from '../../shared/concurrency.ts';
import type { CheckSummary } from '../../shared/jobs/check-invariants.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { dynamoResponses } from '../helpers/crash-after-requests.ts';
import { collect } from '../helpers/local-aws.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const PRELOAD = join(ROOT, 'tests/helpers/crash-after-requests.ts');
const MAIN = join(ROOT, 'cli/main.ts');
/** The CLI's default (config `indexShards`), for reading the tables directly. */
const INDEX_SHARDS = 8;

// ---------------------------------------------------------------------------------------------------------------
// The data set: 30 customers, 90 orders (cents), 43 events. Deterministic; every date in 2026 before today.

interface OrderFact {
  customerId: string;
  orderId: string;
  placedAt: string;
  amountMinor: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const customerIds = Array.from({ length: 30 }, (_, i) => `c${pad(i + 1)}`);
/** Customers whose import gives marketing consent (dated early 2026). */
const consenting = customerIds.filter((_, i) => i % 3 === 0);

const csvOrders: OrderFact[] = Array.from({ length: 90 }, (_, i) => ({
  // c01–c27 have orders, unevenly (15 have one, 8 have seven); c28–c30 have none.
  customerId: customerIds[i < 27 ? i : (i * i) % 23] as string,
  orderId: `o${pad(i + 1, 3)}`,
  placedAt: `2026-${pad(1 + (i % 10))}-${pad(1 + ((i * 11) % 28))}T${pad(8 + (i % 12))}:${pad((i * 13) % 60)}:00.000Z`,
  amountMinor: 199 + ((i * 3797) % 25_000),
}));

const customersCsv = [
  'customer_id,email,name,locale,time_zone,signed_up_at,marketing_consent,consent_at,consent_source',
  ...customerIds.map((id, i) => {
    const consent = consenting.includes(id)
      ? `true,2026-0${1 + (i % 3)}-1${i % 10}T09:00:00Z,checkout`
      : i % 7 === 0
        ? 'false,2026-02-01,preferences'
        : ',,';
    return `${id},${id}@example.com,Customer ${id},en,UTC,2025-${pad(1 + (i % 12))}-15,${consent}`;
  }),
].join('\n');

const money = (minor: number) => `${Math.floor(minor / 100)}.${pad(minor % 100)}`;
const ordersCsv = [
  'order_id,customer_id,placed_at,amount,currency',
  ...csvOrders.map((o) => `${o.orderId},${o.customerId},${o.placedAt},${money(o.amountMinor)},USD`),
].join('\n');

const newIds = ['n01', 'n02', 'n03', 'n04', 'n05', 'n06'];
const eventOrders: OrderFact[] = [
  // 10 orders also in orders.csv, with identical facts
  ...csvOrders.filter((_, i) => i % 9 === 4),
  // 12 new orders of imported customers
  ...Array.from({ length: 12 }, (_, i) => ({
    customerId: customerIds[(i * 5) % 30] as string,
    orderId: `e${pad(i + 1, 3)}`,
    placedAt: `2026-11-${pad(1 + i)}T12:30:00.000Z`,
    amountMinor: 1050 + i * 333,
  })),
  // 8 orders of customers who sign up in the events, 1 of a customer never seen before (n07)
  ...Array.from({ length: 9 }, (_, i) => ({
    customerId: i === 8 ? 'n07' : (newIds[i % 6] as string),
    orderId: `e${pad(100 + i, 3)}`,
    placedAt: `2026-07-${pad(10 + i)}T15:00:00.000Z`,
    amountMinor: 2599 + i * 101,
  })),
];
/** Opt-outs dated after every consent the import or the sign-ups give. */
const optOuts = [consenting[0], consenting[2], consenting[4], consenting[6], 'n01', 'n03'] as string[];

const events = [
  ...newIds.map((id, i) => ({
    type: 'customer.signed_up',
    eventId: `signup-${id}`,
    customerId: id,
    occurredAt: `2026-06-0${1 + i}T10:00:00Z`,
    email: `${id}@example.com`,
    ...(i % 2 === 0 ? { marketingConsent: true, consentSource: 'signup-form' } : {}),
  })),
  ...eventOrders.map((o) => ({
    type: 'order.placed',
    eventId: `placed-${o.orderId}`,
    customerId: o.customerId,
    occurredAt: o.placedAt,
    orderId: o.orderId,
    amountMinor: o.amountMinor,
    currency: 'USD',
  })),
  ...optOuts.map((id, i) => ({
    type: 'consent.changed',
    eventId: `optout-${id}`,
    customerId: id,
    occurredAt: `2026-11-2${i}T08:00:00Z`,
    marketing: false,
    source: 'preference-center',
  })),
];

/** What the tables must hold: one count and the exact cents per distinct order id. */
function totalsOf(orders: readonly OrderFact[]) {
  const distinct = new Map(orders.map((o) => [`${o.customerId}/${o.orderId}`, o.amountMinor]));
  return { orders: distinct.size, revenueMinor: [...distinct.values()].reduce((a, b) => a + b, 0) };
}
const AFTER_IMPORT = totalsOf(csvOrders);
const AFTER_BOTH = totalsOf([...csvOrders, ...eventOrders]);

// ---------------------------------------------------------------------------------------------------------------
// The CLI as a child process, against the dynalite of this test process.

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let dynamo: LocalServer;
let dir: string;
let files: { customers: string; orders: string; events: string };

function cli(prefix: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited)) if (name.startsWith('CLIENTELE_')) delete inherited[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        PRELOAD,
        MAIN,
        '--dynamodb-endpoint',
        dynamo.endpoint,
        '--table-prefix',
        prefix,
        '--data-dir',
        join(dir, 'data'),
        '--no-progress',
        '--json',
        ...args,
      ],
      {
        cwd: ROOT,
        env: { ...inherited, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const failed = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: failed ? (typeof failed.code === 'number' ? failed.code : null) : 0,
          signal: failed?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** An import's JSON result: no bad row, no customer or order refused. */
function expectNothingRejected(result: unknown) {
  const { rejected, import: summary } = result as { rejected: unknown[]; import: { rejected: unknown[] } };
  expect({ rows: rejected, import: summary.rejected }).toEqual({ rows: [], import: [] });
}

const importArgs = () => ['import', '--customers', files.customers, '--orders', files.orders];
const recordArgs = () => ['record', files.events];
const freshPrefix = (label: string) => `crash-${label}-${randomUUID().slice(0, 8)}`;
const show = (exit: Exit) => `code ${exit.code} signal ${exit.signal}\n${exit.stdout.slice(-3000)}\n${exit.stderr}`;

/** Runs the command to completion and returns its JSON output. */
async function completes(prefix: string, args: string[]): Promise<Record<string, unknown>> {
  const exit = await cli(prefix, args);
  expect(exit.code, show(exit)).toBe(0);
  return JSON.parse(exit.stdout) as Record<string, unknown>;
}

/** Runs the command with SIGKILL after the k-th DynamoDB response; it must have been killed. */
async function crashes(prefix: string, args: string[], k: number): Promise<void> {
  const exit = await cli(prefix, args, { CLIENTELE_CRASH_AFTER_REQUESTS: String(k) });
  expect(exit.signal, `expected SIGKILL after request k=${k}: ${show(exit)}`).toBe('SIGKILL');
}

/** One DynamoDB response of a completed run: the command and the table(s) it addressed (without the prefix). */
interface Request {
  name: string;
  table: string;
}

/** The DynamoDB requests the command makes, in order, on a table prefix prepared by `setup`. */
async function requestsOf(label: string, args: string[], setup: (prefix: string) => Promise<void>) {
  const prefix = freshPrefix(label);
  await setup(prefix);
  const countFile = join(dir, `${prefix}.count`);
  const exit = await cli(prefix, args, { CLIENTELE_COUNT_REQUESTS_FILE: countFile });
  expect(exit.code, show(exit)).toBe(0);
  const [count = '0', names = '', tables = ''] = (await readFile(countFile, 'utf8')).split('\n');
  const tableList = tables.split(',');
  const requests: Request[] = names
    .split(',')
    .filter(Boolean)
    .map((name, i) => ({ name, table: (tableList[i] ?? '').replaceAll(`${prefix}-`, '') }));
  expect(requests).toHaveLength(Number(count));
  return requests;
}

/** Commands that change the tables (the document client's and the plain client's names). */
const WRITES = new Set([
  'CreateTableCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'BatchWriteCommand',
  'TransactWriteCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);
const isWrite = (r: Request) => WRITES.has(r.name);
const describeRequests = (requests: readonly Request[]) =>
  requests.map((r, i) => `${i + 1} ${r.name.replace('Command', '')} ${r.table}`).join(', ');

/**
 * Crash points for a command whose steps run one after the other (import: create the tables, clear the flag
 * watermark, read the chunk, store its orders in batches, write its customers, re-check erasures): a step is a run
 * of consecutive write responses of one command, ended by a read or another command. The crash comes right after
 * the first response of every step (begun, not finished) and right after its last (finished, the next not begun),
 * and after the first response (nothing written) and the last (everything written, the result never printed).
 * Crashing anywhere else inside a step leaves the same kind of state as its first or last response: more or fewer
 * items of one kind written, with the same writes still to come.
 */
function stepCrashPoints(requests: readonly Request[]): number[] {
  const points = new Set([1, requests.length]);
  requests.forEach((r, i) => {
    if (!isWrite(r)) return;
    const previous = requests[i - 1];
    const next = requests[i + 1];
    if (!previous || !isWrite(previous) || previous.name !== r.name) points.add(i + 1); // first of its step
    if (!next || !isWrite(next) || next.name !== r.name) points.add(i + 1); // last of its step
  });
  return [...points].sort((a, b) => a - b);
}

/** About `n` crash points spread over 1..total: 1, 2, total-1 and total, and the others evenly in between. */
function crashPoints(total: number, n: number): number[] {
  const points = new Set([1, 2, total - 1, total]);
  const inner = n - points.size;
  for (let i = 1; i <= inner; i++) points.add(Math.round(2 + (i * (total - 3)) / (inner + 1)));
  return [...points].filter((k) => k >= 1 && k <= total).sort((a, b) => a - b);
}

/**
 * Crash points for `record`, which applies the events of up to 8 customers at once, so the writes of different
 * events interleave. Each event is: read the customer, store its order if absent (orders), write the customer
 * (customers); a duplicate order's store is refused and the customer is recomputed from its stored orders; an
 * opt-out or sign-up only writes the customer. The distinct write steps are therefore an order stored (its customer
 * not yet counting it) and a customer written: the crash comes right after the first and the last response of each
 * kind of write (command and table), and at `n` points spread evenly over the run (`crashPoints`), where several
 * events are between their two writes at once.
 */
function interleavedCrashPoints(requests: readonly Request[], n: number) {
  const spread = crashPoints(requests.length, n);
  const points = new Set(spread);
  const kinds = new Set(requests.filter(isWrite).map((r) => `${r.name} ${r.table}`));
  for (const kind of kinds) {
    const at = requests.flatMap((r, i) => (`${r.name} ${r.table}` === kind ? [i + 1] : []));
    points.add(at[0] as number);
    points.add(at.at(-1) as number);
  }
  return { spread, points: [...points].sort((a, b) => a - b) };
}

/**
 * How a rerun or a check runs: as a CLI process (`cli`), or in this process (`here`) through the very functions the
 * CLI command calls, on a fresh runtime opened with the options the CLI would pass (the completed import that sets
 * up the record scenario has always been done this way).
 */
type Via = 'cli' | 'here';

const runtimeOptions = (prefix: string): GlobalOptions => ({
  dynamodbEndpoint: dynamo.endpoint,
  tablePrefix: prefix,
  dataDir: join(dir, 'data'),
  templatesDir: BUILT_IN_TEMPLATES_DIR,
});

async function withRuntime<T>(prefix: string, work: (rt: Awaited<ReturnType<typeof openRuntime>>) => Promise<T>) {
  const rt = await openRuntime(runtimeOptions(prefix));
  try {
    return await work(rt);
  } finally {
    await rt.close();
  }
}

/** `clientele import` of the data set to completion (cli/main.ts's import action); its result. */
async function runsImport(prefix: string, via: Via): Promise<unknown> {
  if (via === 'cli') return completes(prefix, importArgs());
  const input = { format: 'csv', customersFile: files.customers, ordersFile: files.orders } as const;
  const erasureKey = await erasureKeyFor(runtimeOptions(prefix));
  return withRuntime(prefix, (rt) => runImport(rt, { ...input, erasureKey }, progress(false)));
}

/** `clientele record` of the events file to completion (cli/main.ts's record action); what it rejected or failed. */
async function runsRecord(prefix: string, via: Via): Promise<{ rejected: unknown[]; failed: unknown[] }> {
  if (via === 'cli') return (await completes(prefix, recordArgs())) as { rejected: unknown[]; failed: unknown[] };
  const erasureKey = await erasureKeyFor(runtimeOptions(prefix));
  return withRuntime(prefix, async (rt) => {
    const read = await readEventsFile(files.events);
    const activity = await recordActivity(
      {
        customers: rt.stores.customers,
        orders: rt.stores.orders,
        policy: rt.config.policy,
        currency: rt.config.currency,
        now: new Date().toISOString(),
        erasures: { registry: rt.stores.erasures, key: erasureKey },
      },
      read.events,
    );
    return summariseEventsFile(read, activity);
  });
}

/** `clientele check` (cli/data-commands.ts's check action): its summary; the CLI must exit 0 when it finds nothing. */
async function runsCheck(prefix: string, via: Via): Promise<CheckSummary> {
  if (via === 'here') {
    const erasureKey = await erasureKeyFor(runtimeOptions(prefix));
    return withRuntime(prefix, (rt) => runCheck(rt, { repair: false, erasureKey }, progress(false)));
  }
  const exit = await cli(prefix, ['check']);
  const summary = JSON.parse(exit.stdout) as CheckSummary;
  if (summary.violations.length === 0) expect(exit.code, show(exit)).toBe(0);
  return summary;
}

/** The first crash point of a scenario reruns and checks through the CLI, the others in this process. */
const viaFor = (points: readonly number[], k: number): Via => (k === points[0] ? 'cli' : 'here');

/** Crash points run two at a time (each on its own tables): one CLI start's module loading per core. */
const CRASH_POINTS_AT_ONCE = 2;

/** Every item, or none when the crash came before the table was created. */
const itemsOf = <T>(pages: AsyncIterable<{ items: T[] }>) =>
  collect(pages).catch((error: unknown) => {
    if ((error as Error).name === 'ResourceNotFoundException') return [];
    throw error;
  });

/** What the tables hold: customers, stored orders, orders counted in the customers' aggregates. */
async function tablesOf(prefix: string) {
  const client = documentClient({ endpoint: dynamo.endpoint });
  try {
    const stores = dynamoStores(client, tableNames(prefix), { indexShards: INDEX_SHARDS });
    const customers = await itemsOf(stores.customers.scan({ segment: 0, totalSegments: 1 }));
    const orders = await itemsOf(stores.orders.scanAll());
    return {
      customers: new Map(customers.map((c) => [c.customerId, c])),
      counted: {
        orders: customers.reduce((a, c) => a + c.orderCount, 0),
        revenueMinor: customers.reduce((a, c) => a + c.revenueMinor, 0),
      },
      stored: { orders: orders.length, revenueMinor: orders.reduce((a, o) => a + o.amountMinor, 0) },
    };
  } finally {
    client.destroy();
  }
}

/** `clientele check` finds nothing, and the tables hold exactly the expected orders and aggregates. */
async function verify(prefix: string, expected: { orders: number; revenueMinor: number }, label: string, via: Via) {
  const summary = await runsCheck(prefix, via);
  expect(summary.violations, `${label}: check found violations\n${JSON.stringify(summary, null, 2)}`).toEqual([]);

  const { customers, counted, stored } = await tablesOf(prefix);
  expect({ counted, stored }, label).toEqual({ counted: expected, stored: expected });
  return customers;
}

function expectOptOuts(customers: Map<string, { consent?: { marketing: boolean } | undefined }>, label: string) {
  for (const id of optOuts) expect(customers.get(id)?.consent?.marketing, `${label}: consent of ${id}`).toBe(false);
}

beforeAll(async () => {
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), 'clientele-crash-'));
  files = {
    customers: join(dir, 'customers.csv'),
    orders: join(dir, 'orders.csv'),
    events: join(dir, 'events.jsonl'),
  };
  await writeFile(files.customers, `${customersCsv}\n`);
  await writeFile(files.orders, `${ordersCsv}\n`);
  await writeFile(files.events, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
});

afterAll(async () => {
  await dynamo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('crash injection on the CLI (SIGKILL after the k-th DynamoDB request)', () => {
  it('the preload counts document-client and plain-client requests once each', async () => {
    const client = documentClient({ endpoint: dynamo.endpoint });
    try {
      const names = tableNames(freshPrefix('hook'));
      await ensureTables(client, names);
      const before = dynamoResponses();
      await client.send(new PutCommand({ TableName: names.customers, Item: { customerId: 'x' } }));
      expect(dynamoResponses()).toBe(before + 1);
      // A refused conditional write is a response too.
      await expect(
        client.send(
          new PutCommand({
            TableName: names.customers,
            Item: { customerId: 'x' },
            ConditionExpression: 'attribute_not_exists(customerId)',
          }),
        ),
      ).rejects.toThrow();
      expect(dynamoResponses()).toBe(before + 2);
    } finally {
      client.destroy();
    }
  });

  it('the data set is what the scenarios assume', () => {
    expect(csvOrders.length).toBe(90);
    expect(events.length).toBe(43);
    expect(AFTER_BOTH.orders).toBe(90 + 12 + 9);
    expect(new Set(csvOrders.map((o) => o.customerId)).size).toBe(27);
  });

  it('import killed after request k, rerun: 0 violations, totals exact', { timeout: 360_000 }, async () => {
    const requests = await requestsOf('import-count', importArgs(), async () => undefined);
    const names = requests.map((r) => r.name);
    // Right after the last batch of orders: every order stored, no customer written yet (a step's last response).
    const ordersStored = names.lastIndexOf('BatchWriteCommand') + 1;
    const points = stepCrashPoints(requests);
    console.info(
      `import: ${requests.length} requests (${describeRequests(requests)}), crash points ${points.join(' ')}`,
    );
    expect(ordersStored).toBeGreaterThan(0);
    expect(points).toContain(ordersStored);
    let ordersWithoutAllCustomers = 0;
    await runConcurrently(points, CRASH_POINTS_AT_ONCE, async (k) => {
      const prefix = freshPrefix(`import-${k}`);
      const via = viaFor(points, k);
      await crashes(prefix, importArgs(), k);
      const crashed = await tablesOf(prefix);
      if (crashed.stored.orders === AFTER_IMPORT.orders && crashed.customers.size < customerIds.length)
        ordersWithoutAllCustomers += 1;
      expectNothingRejected(await runsImport(prefix, via));
      await verify(prefix, AFTER_IMPORT, `import killed after request ${k} of ${requests.length}, rerun (${via})`, via);
    });
    // Some crashes hit the customer writes: orders stored that no customer counts yet (check would see orphans).
    expect(ordersWithoutAllCustomers).toBeGreaterThan(0);
  });

  it('record killed after request k (after a completed import), rerun: 0 violations, totals exact, opt-outs kept', {
    timeout: 420_000,
  }, async () => {
    // The completed import is set up in this process (the same runImport the CLI's `import` runs): one spawn less
    // per crash point.
    const imported = async (prefix: string) => expectNothingRejected(await runsImport(prefix, 'here'));
    const requests = await requestsOf('record-count', recordArgs(), imported);
    const { spread, points } = interleavedCrashPoints(requests, 12);
    console.info(
      `record: ${requests.length} requests (${describeRequests(requests)}), crash points ${points.join(' ')}`,
    );
    let halfRecorded = 0;
    await runConcurrently(points, CRASH_POINTS_AT_ONCE, async (k) => {
      const prefix = freshPrefix(`record-${k}`);
      const via = viaFor(points, k);
      await imported(prefix);
      await crashes(prefix, recordArgs(), k);
      const { counted } = await tablesOf(prefix);
      const half = counted.orders > AFTER_IMPORT.orders && counted.orders < AFTER_BOTH.orders;
      if (half && spread.includes(k)) halfRecorded += 1;
      const rerun = await runsRecord(prefix, via);
      expect({ rejected: rerun.rejected, failed: rerun.failed }).toEqual({ rejected: [], failed: [] });
      const label = `record killed after request ${k} of ${requests.length}, rerun (${via})`;
      expectOptOuts(await verify(prefix, AFTER_BOTH, label, via), label);
    });
    // Most of the evenly spread crashes hit the middle of the file: some of its orders counted, not all.
    expect(halfRecorded).toBeGreaterThan(spread.length / 2);
  });

  it('import killed after request k, then record, then the import rerun: 0 violations, totals exact', {
    timeout: 300_000,
  }, async () => {
    // The same crash points as the import alone: every state a killed import can leave, record then runs on.
    const requests = await requestsOf('mixed-count', importArgs(), async () => undefined);
    const points = stepCrashPoints(requests);
    console.info(`import then record: ${requests.length} requests, crash points ${points.join(' ')}`);
    await runConcurrently(points, CRASH_POINTS_AT_ONCE, async (k) => {
      const prefix = freshPrefix(`mixed-${k}`);
      const via = viaFor(points, k);
      await crashes(prefix, importArgs(), k);
      const recorded = await runsRecord(prefix, via);
      expect({ rejected: recorded.rejected, failed: recorded.failed }).toEqual({ rejected: [], failed: [] });
      expectNothingRejected(await runsImport(prefix, via));
      const label = `import killed after request ${k} of ${requests.length}, record, import rerun (${via})`;
      expectOptOuts(await verify(prefix, AFTER_BOTH, label, via), label);
    });
  });
});
