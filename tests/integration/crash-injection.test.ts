/**
 * Crash injection on the real CLI (issue 9, "Proof"): `import` and `record` run as child processes that SIGKILL
 * themselves right after their k-th DynamoDB response (tests/helpers/crash-after-requests.ts), for many k. After
 * the rerun, `clientele check` finds 0 violations and the stored totals are exactly those of the data set.
 */

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../cli/commands.ts';
import { erasureKeyFor } from '../../cli/erasure-key.ts';
import { ensureTables, type LocalServer, startDynalite } from '../../cli/local-servers.ts';
import { progress } from '../../cli/progress.ts';
import { openRuntime } from '../../cli/runtime.ts';
import { BUILT_IN_TEMPLATES_DIR } from '../../cli/templates.ts';
import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import type { CheckSummary } from '../../shared/jobs/check-invariants.ts';
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
  expect(exit.signal, `expected SIGKILL after request ${k}: ${show(exit)}`).toBe('SIGKILL');
}

/** How many DynamoDB requests the command makes, on a table prefix prepared by `setup`, and their names in order. */
async function requestsOf(
  label: string,
  args: string[],
  setup: (prefix: string) => Promise<void>,
): Promise<{ total: number; names: string[] }> {
  const prefix = freshPrefix(label);
  await setup(prefix);
  const countFile = join(dir, `${prefix}.count`);
  const exit = await cli(prefix, args, { CLIENTELE_COUNT_REQUESTS_FILE: countFile });
  expect(exit.code, show(exit)).toBe(0);
  const [count = '0', list = ''] = (await readFile(countFile, 'utf8')).split('\n');
  return { total: Number(count), names: list.split(',').filter(Boolean) };
}

/** About `n` crash points spread over 1..total: 1, 2, total-1 and total, and the others evenly in between. */
function crashPoints(total: number, n: number): number[] {
  const points = new Set([1, 2, total - 1, total]);
  const inner = n - points.size;
  for (let i = 1; i <= inner; i++) points.add(Math.round(2 + (i * (total - 3)) / (inner + 1)));
  return [...points].filter((k) => k >= 1 && k <= total).sort((a, b) => a - b);
}

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
async function verify(prefix: string, expected: { orders: number; revenueMinor: number }, label: string) {
  const exit = await cli(prefix, ['check']);
  const summary = JSON.parse(exit.stdout) as CheckSummary;
  expect(summary.violations, `${label}: check found violations\n${JSON.stringify(summary, null, 2)}`).toEqual([]);
  expect(exit.code, show(exit)).toBe(0);

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
    const { total, names } = await requestsOf('import-count', importArgs(), async () => undefined);
    // Always also right after the last batch of orders: every order stored, no customer written yet.
    const ordersStored = names.lastIndexOf('BatchWriteCommand') + 1;
    const points = [...new Set([...crashPoints(total, 12), ordersStored])].sort((a, b) => a - b);
    console.info(`import: ${total} requests, crash points ${points.join(' ')}`);
    expect(ordersStored).toBeGreaterThan(0);
    expect(points.length).toBeGreaterThanOrEqual(Math.min(12, total));
    let ordersWithoutAllCustomers = 0;
    for (const k of points) {
      const prefix = freshPrefix(`import-${k}`);
      await crashes(prefix, importArgs(), k);
      const crashed = await tablesOf(prefix);
      if (crashed.stored.orders === AFTER_IMPORT.orders && crashed.customers.size < customerIds.length)
        ordersWithoutAllCustomers += 1;
      expectNothingRejected(await completes(prefix, importArgs()));
      await verify(prefix, AFTER_IMPORT, `import killed after request ${k} of ${total}`);
    }
    // Some crashes hit the customer writes: orders stored that no customer counts yet (check would see orphans).
    expect(ordersWithoutAllCustomers).toBeGreaterThan(0);
  });

  it('record killed after request k (after a completed import), rerun: 0 violations, totals exact, opt-outs kept', {
    timeout: 420_000,
  }, async () => {
    // The completed import is set up in this process (the same runImport the CLI's `import` runs): one spawn less
    // per crash point.
    const imported = async (prefix: string) => {
      const options = {
        dynamodbEndpoint: dynamo.endpoint,
        tablePrefix: prefix,
        dataDir: join(dir, 'data'),
        templatesDir: BUILT_IN_TEMPLATES_DIR,
      };
      const rt = await openRuntime(options);
      try {
        const input = { format: 'csv', customersFile: files.customers, ordersFile: files.orders } as const;
        const erasureKey = await erasureKeyFor(options);
        expectNothingRejected(await runImport(rt, { ...input, erasureKey }, progress(false)));
      } finally {
        await rt.close();
      }
    };
    const { total } = await requestsOf('record-count', recordArgs(), imported);
    const points = crashPoints(total, 12);
    console.info(`record: ${total} requests, crash points ${points.join(' ')}`);
    let halfRecorded = 0;
    for (const k of points) {
      const prefix = freshPrefix(`record-${k}`);
      await imported(prefix);
      await crashes(prefix, recordArgs(), k);
      const { counted } = await tablesOf(prefix);
      if (counted.orders > AFTER_IMPORT.orders && counted.orders < AFTER_BOTH.orders) halfRecorded += 1;
      const rerun = (await completes(prefix, recordArgs())) as { rejected: unknown[]; failed: unknown[] };
      expect({ rejected: rerun.rejected, failed: rerun.failed }).toEqual({ rejected: [], failed: [] });
      const label = `record killed after request ${k} of ${total}`;
      expectOptOuts(await verify(prefix, AFTER_BOTH, label), label);
    }
    // Most crashes hit the middle of the file: some of its orders counted, not all.
    expect(halfRecorded).toBeGreaterThan(points.length / 2);
  });

  it('import killed after request k, then record, then the import rerun: 0 violations, totals exact', {
    timeout: 300_000,
  }, async () => {
    const { total } = await requestsOf('mixed-count', importArgs(), async () => undefined);
    const points = crashPoints(total, 6);
    console.info(`import then record: ${total} requests, crash points ${points.join(' ')}`);
    for (const k of points) {
      const prefix = freshPrefix(`mixed-${k}`);
      await crashes(prefix, importArgs(), k);
      const recorded = (await completes(prefix, recordArgs())) as { rejected: unknown[]; failed: unknown[] };
      expect({ rejected: recorded.rejected, failed: recorded.failed }).toEqual({ rejected: [], failed: [] });
      expectNothingRejected(await completes(prefix, importArgs()));
      const label = `import killed after request ${k} of ${total}, record, import rerun`;
      expectOptOuts(await verify(prefix, AFTER_BOTH, label), label);
    }
  });
});
