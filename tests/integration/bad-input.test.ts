/**
 * A corpus of bad input pushed through the real import and event paths against dynalite + aws-ses-v2-local.
 * For every kind: nothing throws, every valid record is stored, every invalid one is reported with its line (or
 * index) and the field; then the resulting base is flagged and emailed, and no rendered email carries markup or a
 * header break that came from the data.
 */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow, parseCustomersCsv, parseOrdersCsv } from '../../shared/import/parse-files.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { type ImportSummary, importCustomers } from '../../shared/jobs/import-customers.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import {
  clearEmails,
  collect,
  freshEnv,
  type LocalAws,
  sentEmails,
  startLocalAws,
  type TestEnv,
} from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
/** Good customers consented and bought 100 days before the as-of date: dormant, due for "we miss you". */
const BOUGHT = addDays(AS_OF, -100);
const SECRET = '0123456789'.repeat(4);
const SCRIPT_NAME = '<script>alert(1)</script>';
const IMG_NAME = '<img src=x onerror=alert(1)>';

let aws: LocalAws;
let env: TestEnv;
let dir: string;
/** Everything that must be stored once the whole corpus went through. */
const expectedCustomers = new Set<string>();
const expectedOrders = new Set<string>();
let kinds = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  env = await freshEnv(aws);
  dir = await mkdtemp(join(tmpdir(), 'clientele-bad-input-'));
});
afterAll(async () => {
  await aws?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// CSV import
// ---------------------------------------------------------------------------------------------------------------

const HEADER_C = 'customer_id,email,name,locale,time_zone,signed_up_at,marketing_consent,consent_at,consent_source';
const HEADER_O = 'order_id,customer_id,placed_at,amount,currency';

interface Row {
  text: string;
  /** fields the rejection must name; absent for a valid row */
  bad?: string[];
  /** a valid customer row: this id must be stored */
  id?: string;
  /** a valid order row: stored and counted unless the import rejects it (importBad names the field) */
  order?: { customerId: string; orderId: string; importBad?: string };
}

const q = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

type CustomerCols =
  | 'email'
  | 'name'
  | 'locale'
  | 'time_zone'
  | 'signed_up_at'
  | 'marketing_consent'
  | 'consent_at'
  | 'consent_source';

function cRow(id: string, o: Partial<Record<CustomerCols, string>> = {}, bad?: string[]): Row {
  const v = {
    email: `${id}@example.com`,
    name: 'Good Customer',
    locale: 'en',
    time_zone: 'UTC',
    signed_up_at: '2025-01-01',
    marketing_consent: 'true',
    consent_at: BOUGHT,
    consent_source: 'import',
    ...o,
  };
  const text = [
    id,
    v.email,
    v.name,
    v.locale,
    v.time_zone,
    v.signed_up_at,
    v.marketing_consent,
    v.consent_at,
    v.consent_source,
  ]
    .map(q)
    .join(',');
  return bad ? { text, bad } : { text, id };
}

function oRow(
  orderId: string,
  customerId: string,
  o: Partial<Record<'placed_at' | 'amount' | 'currency', string>> = {},
  bad?: string[],
  importBad?: string,
): Row {
  const v = { placed_at: BOUGHT, amount: '42.00', currency: 'USD', ...o };
  const text = [orderId, customerId, v.placed_at, v.amount, v.currency].map(q).join(',');
  if (bad) return { text, bad };
  return { text, order: { customerId, orderId, ...(importBad ? { importBad } : {}) } };
}

const raw = (text: string, bad?: string[]): Row => (bad ? { text, bad } : { text });

interface CsvSpec {
  /** rows after the standard good customer `<p>-ok` (and its order `<p>-o1`) */
  customers?: Row[];
  orders?: Row[];
  /** false: no standard rows, no header unless the rows supply one via customersText/ordersText */
  standard?: boolean;
  customersText?: string;
  ordersText?: string;
  eol?: string;
  bom?: boolean;
  /** rejections of verbatim files (customersText/ordersText) */
  rejected?: { file: 'customers' | 'orders'; line: number; fields: string[] }[];
  importRejected?: { orderId: string; field: string }[];
  keep?: string[];
  check?: (summary: ImportSummary) => Promise<void>;
}
interface CsvCase extends CsvSpec {
  kind: string;
  p: string;
}

const csvCases: CsvCase[] = [];
function csv(kind: string, spec: (p: string) => CsvSpec): void {
  const p = `k${csvCases.length}`;
  csvCases.push({ kind, p, ...spec(p) });
}

const ok = (p: string) => cRow(`${p}-ok`);
const okOrder = (p: string) => oRow(`${p}-o1`, `${p}-ok`);
const bad = (p: string, o: Partial<Record<CustomerCols, string>>, fields: string[]) => cRow(`${p}-bad`, o, fields);

// customers.csv: identity
csv('missing customer_id', (p) => ({ customers: [raw(`,${p}@example.com,Name,en,UTC,,,,`, ['customer_id'])] }));
csv('customer_id with spaces', (p) => ({ customers: [cRow(`${p} bad`, {}, ['customer_id'])] }));
csv('customer_id of 200 characters', (p) => ({ customers: [cRow(`${p}${'x'.repeat(200)}`, {}, ['customer_id'])] }));
csv('customer_id with a quoted comma', (p) => ({ customers: [cRow(`${p},bad`, {}, ['customer_id'])] }));
csv('short row: only customer_id and email (optional fields missing)', (p) => ({
  customers: [raw(`${p}-short,${p}-short@example.com`), cRow(`${p}-ok2`)],
  keep: [`${p}-short`, `${p}-ok2`],
}));
// wrong types
csv('marketing_consent not a boolean', (p) => ({
  customers: [bad(p, { marketing_consent: 'maybe' }, ['marketing_consent'])],
}));
csv('marketing_consent without consent_at', (p) => ({ customers: [bad(p, { consent_at: '' }, ['consent_at'])] }));
// emails
csv('email without @', (p) => ({ customers: [bad(p, { email: 'ana.example.com' }, ['email'])] }));
csv('email with two @', (p) => ({ customers: [bad(p, { email: 'ana@b@example.com' }, ['email'])] }));
csv('email with a space inside', (p) => ({ customers: [bad(p, { email: 'ana maria@example.com' }, ['email'])] }));
csv('email of 300 characters', (p) => ({
  customers: [bad(p, { email: `${'a'.repeat(288)}@example.com` }, ['email'])],
}));
csv('email with a unicode local part (not accepted by our schema)', (p) => ({
  customers: [bad(p, { email: 'jösé@example.com' }, ['email'])],
}));
csv('email with a trailing dot', (p) => ({ customers: [bad(p, { email: 'ana@example.com.' }, ['email'])] }));
csv('email with a leading dot', (p) => ({ customers: [bad(p, { email: '.ana@example.com' }, ['email'])] }));
csv('email with consecutive dots', (p) => ({ customers: [bad(p, { email: 'ana..b@example.com' }, ['email'])] }));
csv('email without a dotted domain', (p) => ({ customers: [bad(p, { email: 'ana@localhost' }, ['email'])] }));
csv('email padded with spaces and an upper-case domain (normalised, accepted)', (p) => ({
  customers: [cRow(`${p}-pad`, { email: `  ${p}-Pad@EXAMPLE.COM ` })],
  check: async () => {
    expect((await env.stores.customers.get(`${p}-pad`))?.email).toBe(`${p}-Pad@example.com`);
  },
}));
// dates
csv('signed_up_at 2024-02-30', (p) => ({ customers: [bad(p, { signed_up_at: '2024-02-30' }, ['signed_up_at'])] }));
csv("signed_up_at 'yesterday'", (p) => ({ customers: [bad(p, { signed_up_at: 'yesterday' }, ['signed_up_at'])] }));
csv('signed_up_at in 1899', (p) => ({ customers: [bad(p, { signed_up_at: '1899-12-31' }, ['signed_up_at'])] }));
csv('signed_up_at in 2300', (p) => ({ customers: [bad(p, { signed_up_at: '2300-01-01' }, ['signed_up_at'])] }));
csv('signed_up_at month 13', (p) => ({ customers: [bad(p, { signed_up_at: '2024-13-01' }, ['signed_up_at'])] }));
csv('consent_at at hour 25', (p) => ({ customers: [bad(p, { consent_at: '2024-01-01T25:00:00Z' }, ['consent_at'])] }));
csv('signed_up_at empty (optional, accepted)', (p) => ({
  customers: [cRow(`${p}-nodate`, { signed_up_at: '' })],
}));
// time zones, locales, lengths
csv("time_zone 'Mars/Base'", (p) => ({ customers: [bad(p, { time_zone: 'Mars/Base' }, ['time_zone'])] }));
csv("time_zone 'UTC+25'", (p) => ({ customers: [bad(p, { time_zone: 'UTC+25' }, ['time_zone'])] }));
csv("locale 'en_US'", (p) => ({ customers: [bad(p, { locale: 'en_US' }, ['locale'])] }));
csv("locale 'not a locale'", (p) => ({ customers: [bad(p, { locale: 'not a locale' }, ['locale'])] }));
csv('name of 201 characters', (p) => ({ customers: [bad(p, { name: 'n'.repeat(201) }, ['name'])] }));
csv('consent_source of 65 characters', (p) => ({
  customers: [bad(p, { consent_source: 's'.repeat(65) }, ['consent_source'])],
}));
csv('several bad fields in one row', (p) => ({
  customers: [bad(p, { email: 'nope', locale: 'en_US', time_zone: 'Mars/Base' }, ['email', 'locale', 'time_zone'])],
}));
// markup and control characters in names: data, escaped when rendered
csv('<script> in name (accepted, escaped when rendered)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-script`)],
  customers: [cRow(`${p}-script`, { name: SCRIPT_NAME })],
}));
csv('<img onerror> in name (accepted, escaped when rendered)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-img`)],
  customers: [cRow(`${p}-img`, { name: IMG_NAME })],
}));
csv('CRLF header injection in name (accepted, stripped from the subject)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-crlf`)],
  customers: [cRow(`${p}-crlf`, { name: 'Ana\r\nBcc: evil@example.com' })],
}));
// CSV structure
csv('quoted fields with commas and newlines, then a bad row (line numbers still right)', (p) => ({
  customers: [
    cRow(`${p}-multi`, { name: 'Doe, Jane\nsecond line, "quoted"' }),
    bad(p, { email: 'no-at' }, ['email']),
    cRow(`${p}-ok2`),
  ],
}));
csv('whitespace-only line (skipped like a blank line)', (p) => ({
  customers: [raw('   '), cRow(`${p}-ok2`)],
}));
csv('blank lines between rows (skipped)', (p) => ({ customers: [raw(''), raw(''), cRow(`${p}-ok2`)] }));
csv('byte order mark', (p) => ({ bom: true, customers: [cRow(`${p}-ok2`)] }));
csv('CRLF line endings, with a bad row', (p) => ({
  eol: '\r\n',
  customers: [bad(p, { email: 'x' }, ['email']), cRow(`${p}-ok2`)],
}));
csv('empty files', () => ({ standard: false, customersText: '', ordersText: '' }));
csv('header only', () => ({ standard: false, customersText: `${HEADER_C}\n`, ordersText: `${HEADER_O}\n` }));
csv('unknown header column (every row reported)', (p) => ({
  standard: false,
  customersText: `customer_id,email,favourite_colour\n${p}-a,${p}-a@example.com,red\n${p}-b,${p}-b@example.com,blue\n`,
  rejected: [
    { file: 'customers', line: 2, fields: ['(record)', 'favourite_colour'] },
    { file: 'customers', line: 3, fields: ['(record)', 'favourite_colour'] },
  ],
}));
csv('header in upper case with padding (normalised)', (p) => ({
  standard: false,
  customersText: ` Customer_ID , EMAIL \n${p}-up,${p}-up@example.com\n`,
  keep: [`${p}-up`],
}));
csv('same customer twice (stored once, later row wins)', (p) => ({
  customers: [cRow(`${p}-twice`, { name: 'First' }), cRow(`${p}-twice`, { name: 'Second' })],
  check: async () => {
    expect((await env.stores.customers.get(`${p}-twice`))?.name).toBe('Second');
  },
}));
csv('unclosed quote at the end of the file (reported at the last line)', (p) => ({
  customers: [cRow(`${p}-ok2`), raw(`${p}-bad,"${p}@example.com,Name`, ['(record)'])],
}));
csv('quote inside an unquoted field (literal, then rejected by the email check; later rows kept)', (p) => ({
  customers: [raw(`${p}-bad,an"a@example.com,Name`, ['email']), cRow(`${p}-ok2`)],
}));
// orders.csv: amounts
csv('negative amount', (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '-5.00' }, ['amount'])] }));
csv('non-numeric amount', (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: 'ten' }, ['amount'])] }));
csv("amount '1e3'", (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '1e3' }, ['amount'])] }));
csv("amount '12,50' (quoted)", (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '12,50' }, ['amount'])] }));
csv('amount 12,50 unquoted (one field too many: the whole record is rejected)', (p) => ({
  orders: [raw(`${p}-o2,${p}-ok,${BOUGHT},12,50,USD`, ['(record)'])],
}));
csv('amount with too many decimals', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '12.505' }, ['amount'])],
}));
csv('empty amount', (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '' }, ['amount'])] }));
csv('amount of 16 integer digits', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '9999999999999999' }, ['amount'])],
}));
csv("amount '.5'", (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '.5' }, ['amount'])] }));
csv("amount '+5'", (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '+5' }, ['amount'])] }));
csv('decimals in a zero-decimal currency (JPY 12.5)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: '12.5', currency: 'JPY' }, ['amount'])],
}));
csv('amount padded with spaces (accepted)', (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { amount: ' 12.50 ' })] }));
// currencies
csv("unknown currency 'XYZ'", (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { currency: 'XYZ' }, ['currency'])] }));
csv("lower-case currency 'usd' (upper-cased, accepted)", (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { currency: 'usd' })],
  check: async () => {
    expect((await env.stores.orders.get(`${p}-ok`, `${p}-o2`))?.currency).toBe('USD');
  },
}));
csv('EUR when the reporting currency is USD (rejected at import with the reason)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { currency: 'EUR' }, undefined, 'currency')],
  importRejected: [{ orderId: `${p}-o2`, field: 'currency' }],
}));
// order dates and ids
csv('empty placed_at', (p) => ({ orders: [oRow(`${p}-o2`, `${p}-ok`, { placed_at: '' }, ['placed_at'])] }));
csv('placed_at 2024-02-30', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { placed_at: '2024-02-30' }, ['placed_at'])],
}));
csv("placed_at 'yesterday'", (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { placed_at: 'yesterday' }, ['placed_at'])],
}));
csv('placed_at in 2300', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-ok`, { placed_at: '2300-01-01' }, ['placed_at'])],
}));
csv('empty order_id', (p) => ({ orders: [oRow('', `${p}-ok`, {}, ['order_id'])] }));
csv('order with an invalid customer_id', (p) => ({ orders: [oRow(`${p}-o2`, `${p} ok`, {}, ['customer_id'])] }));
csv('short order row (amount and currency missing)', (p) => ({
  orders: [raw(`${p}-o2,${p}-ok,${BOUGHT}`, ['amount', 'currency'])],
}));
csv('duplicated order id in one file (counted once)', (p) => ({
  orders: [oRow(`${p}-o1`, `${p}-ok`)],
  check: async (summary) => {
    expect(summary.ordersApplied).toBe(1);
    expect(summary.duplicateOrders).toBe(1);
  },
}));
csv('order for a customer not in customers.csv (customer created)', (p) => ({
  orders: [oRow(`${p}-o2`, `${p}-new`)],
  check: async (summary) => {
    expect(summary.createdCustomers).toBe(2);
  },
}));

function fileText(header: string, rows: Row[], eol: string, bom: boolean): string {
  return `${bom ? '\ufeff' : ''}${[header, ...rows.map((r) => r.text)].join(eol)}${eol}`;
}

/** csv-parse reports the line a record ends on: header is line 1, each row adds 1 + its inner newlines. */
function expectedRejections(rows: Row[], file: 'customers' | 'orders') {
  const out: { file: 'customers' | 'orders'; line: number; fields: string[] }[] = [];
  let line = 1;
  for (const row of rows) {
    line += 1 + (row.text.match(/\n/g)?.length ?? 0);
    if (row.bad) out.push({ file, line, fields: row.bad });
  }
  return out;
}

function expectReported(
  actual: { file: string; line: number; error: string }[],
  expected: { file: string; line: number; fields: string[] }[],
  kind: string,
) {
  expect(
    actual.map((r) => r.line),
    `${kind}: rejected lines`,
  ).toEqual(expected.map((r) => r.line));
  expected.forEach((e, i) => {
    const got = actual[i];
    expect(got?.file, kind).toBe(e.file);
    for (const field of e.fields) expect(got?.error, `${kind}: names ${field}`).toContain(field);
  });
}

async function expectStored(kind: string, ids: string[], orders: { customerId: string; orderId: string }[]) {
  const stored = await env.stores.customers.getMany(ids);
  expect([...stored.keys()].sort(), `${kind}: stored customers`).toEqual([...new Set(ids)].sort());
  const storedOrders = await env.stores.orders.getMany(orders);
  expect(storedOrders.length, `${kind}: stored orders`).toBe(orders.length);
  for (const o of storedOrders) {
    expect(o.applied, `${kind}: order applied`).toBe(true);
    expect(o.currency).toBe('USD');
  }
  for (const [id, customer] of stored) {
    expect(customer.orderCount, `${kind}: orders of ${id}`).toBe(orders.filter((o) => o.customerId === id).length);
  }
  for (const id of ids) expectedCustomers.add(id);
  for (const o of orders) expectedOrders.add(`${o.customerId}/${o.orderId}`);
}

async function writeCsv(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

const importDeps = () => ({ customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' });

describe('bad CSV input through parseCustomersCsv/parseOrdersCsv and importCustomers', () => {
  it.each(csvCases)('$kind', async (c) => {
    kinds += 1;
    const standard = c.standard ?? true;
    const eol = c.eol ?? '\n';
    const customerRows = [...(standard ? [ok(c.p)] : []), ...(c.customers ?? [])];
    const orderRows = [...(standard ? [okOrder(c.p)] : []), ...(c.orders ?? [])];
    const cPath = await writeCsv(
      `${c.p}-customers.csv`,
      c.customersText ?? fileText(HEADER_C, customerRows, eol, c.bom ?? false),
    );
    const oPath = await writeCsv(`${c.p}-orders.csv`, c.ordersText ?? fileText(HEADER_O, orderRows, eol, false));

    const customers = await parseCustomersCsv(cPath, { now: AS_OF });
    const orders = await parseOrdersCsv(oPath, { now: AS_OF });
    const expected = [
      ...(c.customersText === undefined ? expectedRejections(customerRows, 'customers') : []),
      ...(c.ordersText === undefined ? expectedRejections(orderRows, 'orders') : []),
      ...(c.rejected ?? []),
    ];
    const fileOf = (path: string) => (path === cPath ? 'customers' : path === oPath ? 'orders' : path);
    expectReported(
      [...customers.rejected, ...orders.rejected].map((r) => ({ ...r, file: fileOf(r.file) })),
      expected,
      c.kind,
    );

    const summary = await importCustomers(importDeps(), {
      profiles: customers.records,
      orders: orders.records,
      asOf: AS_OF,
      now: AS_OF,
    });
    expect(summary.rejected.map((r) => r.orderId)).toEqual((c.importRejected ?? []).map((r) => r.orderId));
    (c.importRejected ?? []).forEach((r, i) => {
      expect(summary.rejected[i]?.error).toContain(`${r.field}:`);
    });

    const goodOrders = orderRows.flatMap((r) => (r.order ? [r.order] : []));
    const ids = [
      ...customerRows.flatMap((r) => (r.id ? [r.id] : [])),
      ...goodOrders.map((o) => o.customerId),
      ...(c.keep ?? []),
    ];
    const counted = new Map(
      goodOrders.filter((o) => !o.importBad).map((o) => [`${o.customerId}/${o.orderId}`, o] as const),
    );
    await expectStored(
      c.kind,
      ids,
      [...counted.values()].map(({ customerId, orderId }) => ({ customerId, orderId })),
    );
    await c.check?.(summary);
  });

  it('row with an extra trailing column', async () => {
    kinds += 1;
    const p = 'kx-extra';
    const path = await writeCsv(
      `${p}.csv`,
      fileText(HEADER_C, [cRow(`${p}-ok`), raw(`${cRow(`${p}-extra`).text},SURPLUS`), cRow(`${p}-ok2`)], '\n', false),
    );
    const parsed = await parseCustomersCsv(path, { now: AS_OF });
    // Found by this corpus: a surplus field used to be dropped silently. Now the row is rejected at its line.
    expect(parsed.rejected.map((r) => r.line)).toEqual([3]);
    expect(parsed.rejected[0]?.error).toContain('(record)');
    expect(parsed.records.map((r) => r.customer_id)).toEqual([`${p}-ok`, `${p}-ok2`]);
    await importCustomers(importDeps(), { profiles: parsed.records, orders: [], asOf: AS_OF, now: AS_OF });
    await expectStored('extra column', [`${p}-ok`, `${p}-ok2`], []);
  });

  it('400 KB field in one row: rejected by the maximum record size', async () => {
    kinds += 1;
    const p = 'kx-huge';
    const rows = [cRow(`${p}-ok`), cRow(`${p}-huge`, { name: 'y'.repeat(400 * 1024) }), cRow(`${p}-ok2`)];
    const after = Array.from({ length: 20 }, (_, i) => cRow(`${p}-after${i}`));
    const path = await writeCsv(`${p}.csv`, fileText(HEADER_C, [...rows, ...after], '\n', false));
    const parsed = await parseCustomersCsv(path, { now: AS_OF });
    // Found by this corpus: every row after an oversized one used to be lost. Now it is one rejection, rest kept.
    expect(parsed.rejected.map((r) => r.line)).toEqual([3]);
    expect(parsed.rejected[0]?.error).toContain('longer than 65536 bytes');
    const kept = [`${p}-ok`, `${p}-ok2`, ...after.map((_, i) => `${p}-after${i}`)];
    expect(parsed.records.map((r) => r.customer_id)).toEqual(kept);
    await importCustomers(importDeps(), { profiles: parsed.records, orders: [], asOf: AS_OF, now: AS_OF });
    await expectStored('400 KB field', kept, []);
  });

  it('email with CRLF and a Bcc header in a quoted field (header injection attempt)', async () => {
    kinds += 1;
    const p = 'kx-crlf';
    const rows = [
      cRow(`${p}-ok`),
      cRow(`${p}-bad`, { email: 'ana@example.com\r\nBcc: evil@example.com' }), // lines 3-4
      cRow(`${p}-bad2`, { email: 'no-at' }), // line 5
      cRow(`${p}-ok2`),
    ];
    const path = await writeCsv(`${p}.csv`, fileText(HEADER_C, rows, '\n', false));
    const parsed = await parseCustomersCsv(path, { now: AS_OF });
    expect(parsed.records.map((r) => r.customer_id)).toEqual([`${p}-ok`, `${p}-ok2`]);
    expect(parsed.rejected.every((r) => r.error.startsWith('email:'))).toBe(true);
    // Found by this corpus: line numbers used to drift after a CRLF inside quotes. A record is now reported at
    // the line where it starts.
    expect(parsed.rejected.map((r) => r.line)).toEqual([3, 5]);
    await importCustomers(importDeps(), { profiles: parsed.records, orders: [], asOf: AS_OF, now: AS_OF });
    await expectStored('CRLF in a quoted email', [`${p}-ok`, `${p}-ok2`], []);
  });

  it('closing quote followed by other characters ("x"y)', async () => {
    kinds += 1;
    const p = 'kx-quote';
    const after = Array.from({ length: 20 }, (_, i) => cRow(`${p}-after${i}`));
    const rows = [cRow(`${p}-ok`), raw(`${p}-bad,"${p}@example.com"x,Name`), ...after];
    const path = await writeCsv(`${p}.csv`, fileText(HEADER_C, rows, '\n', false));
    const parsed = await parseCustomersCsv(path, { now: AS_OF });
    // Found by this corpus: all rows after a stray closing quote used to be lost. Now only that row is rejected.
    expect(parsed.rejected.map((r) => r.line)).toEqual([3]);
    expect(parsed.rejected[0]?.error).toMatch(/email|\(record\)/);
    const kept = [`${p}-ok`, ...after.map((_, i) => `${p}-after${i}`)];
    expect(parsed.records.map((r) => r.customer_id)).toEqual(kept);
    await importCustomers(importDeps(), { profiles: parsed.records, orders: [], asOf: AS_OF, now: AS_OF });
    await expectStored('closing quote', kept, []);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Events through recordActivity
// ---------------------------------------------------------------------------------------------------------------

interface Ev {
  event: unknown;
  /** fields the rejection must name; absent for a valid event */
  bad?: string[];
  duplicate?: boolean;
}
interface EventSpec {
  events: Ev[];
  keep?: string[];
  check?: (p: string) => Promise<void>;
}
interface EventCase extends EventSpec {
  kind: string;
  p: string;
}

const signup = (id: string, extra: Record<string, unknown> = {}) => ({
  type: 'customer.signed_up',
  eventId: `s-${id}`,
  customerId: id,
  occurredAt: BOUGHT,
  email: `${id}@example.com`,
  name: 'Good Customer',
  locale: 'en',
  marketingConsent: true,
  ...extra,
});
const order = (id: string, extra: Record<string, unknown> = {}) => ({
  type: 'order.placed',
  eventId: `o-${id}`,
  customerId: id,
  occurredAt: BOUGHT,
  orderId: `o-${id}`,
  amountMinor: 4200,
  currency: 'USD',
  ...extra,
});
const consent = (id: string, extra: Record<string, unknown> = {}) => ({
  type: 'consent.changed',
  eventId: `c-${id}`,
  customerId: id,
  occurredAt: BOUGHT,
  marketing: true,
  source: 'preferences',
  ...extra,
});

const eventCases: EventCase[] = [];
function ev(kind: string, spec: (p: string) => EventSpec): void {
  const p = `e${eventCases.length}`;
  eventCases.push({ kind, p, ...spec(p) });
}
/** One bad event after the standard good pair, for a customer `<p>-x` that must not be created. */
const one = (kind: string, make: (p: string) => unknown, fields: string[]) =>
  ev(kind, (p) => ({ events: [{ event: make(p), bad: fields }] }));

one('not an object (string)', () => 'customer.signed_up', ['(record)']);
one('null', () => null, ['(record)']);
one('array', (p) => [signup(`${p}-x`)], ['(record)']);
one('number', () => 42, ['(record)']);
one('empty object', () => ({}), ['type']);
one('unknown type', (p) => ({ ...signup(`${p}-x`), type: 'order.refunded' }), ['type']);
one(
  'missing type',
  (p) => {
    const { type: _type, ...rest } = signup(`${p}-x`);
    return rest;
  },
  ['type'],
);
one(
  'missing eventId',
  (p) => {
    const { eventId: _eventId, ...rest } = signup(`${p}-x`);
    return rest;
  },
  ['eventId'],
);
one('empty eventId', (p) => signup(`${p}-x`, { eventId: '' }), ['eventId']);
one('eventId of 129 characters', (p) => signup(`${p}-x`, { eventId: 'e'.repeat(129) }), ['eventId']);
one('customerId with spaces', (p) => signup(`${p} x`), ['customerId']);
one('customerId of 200 characters', (p) => signup(`${p}${'x'.repeat(200)}`), ['customerId']);
one('customerId a number', (p) => signup(`${p}-x`, { customerId: 12345 }), ['customerId']);
one('customerId empty', (p) => signup(`${p}-x`, { customerId: '' }), ['customerId']);
one('occurredAt not a date', (p) => signup(`${p}-x`, { occurredAt: 'not a date' }), ['occurredAt']);
one('occurredAt 2024-02-30', (p) => signup(`${p}-x`, { occurredAt: '2024-02-30T10:00:00Z' }), ['occurredAt']);
one('occurredAt without offset', (p) => signup(`${p}-x`, { occurredAt: '2024-01-01T10:00:00' }), ['occurredAt']);
one('occurredAt in 2300', (p) => signup(`${p}-x`, { occurredAt: '2300-01-01T00:00:00Z' }), ['occurredAt']);
one('occurredAt epoch number', (p) => signup(`${p}-x`, { occurredAt: 1_700_000_000_000 }), ['occurredAt']);
one('amountMinor negative', (p) => order(`${p}-x`, { amountMinor: -100 }), ['amountMinor']);
one('amountMinor float', (p) => order(`${p}-x`, { amountMinor: 12.5 }), ['amountMinor']);
one('amountMinor string', (p) => order(`${p}-x`, { amountMinor: '4200' }), ['amountMinor']);
one('amountMinor above MAX_SAFE_INTEGER', (p) => order(`${p}-x`, { amountMinor: 2 ** 53 + 2 }), ['amountMinor']);
one('amountMinor Infinity', (p) => order(`${p}-x`, { amountMinor: Number.POSITIVE_INFINITY }), ['amountMinor']);
one('amountMinor NaN', (p) => order(`${p}-x`, { amountMinor: Number.NaN }), ['amountMinor']);
one("currency 'XYZ'", (p) => order(`${p}-x`, { currency: 'XYZ' }), ['currency']);
one('currency EUR (not the reporting currency)', (p) => order(`${p}-x`, { currency: 'EUR' }), ['currency']);
one("lower-case currency 'usd' (events are strict)", (p) => order(`${p}-x`, { currency: 'usd' }), ['currency']);
one(
  'order without orderId',
  (p) => {
    const { orderId: _orderId, ...rest } = order(`${p}-x`);
    return rest;
  },
  ['orderId'],
);
one('extra unknown field (strict schema)', (p) => signup(`${p}-x`, { favouriteColour: 'red' }), [
  '(record)',
  'favouriteColour',
]);
one(
  '__proto__ key from JSON',
  (p) => JSON.parse(JSON.stringify(signup(`${p}-x`)).replace(/^\{/, '{"__proto__":{"admin":true},')),
  ['(record)', '__proto__'],
);
one('400 KB name', (p) => signup(`${p}-x`, { name: 'n'.repeat(400 * 1024) }), ['name']);
one('name of 201 characters', (p) => signup(`${p}-x`, { name: 'n'.repeat(201) }), ['name']);
one(
  'email with CRLF (header injection attempt)',
  (p) => signup(`${p}-x`, { email: `${p}@example.com\r\nBcc: evil@example.com` }),
  ['email'],
);
one('email with two @', (p) => signup(`${p}-x`, { email: 'a@b@example.com' }), ['email']);
one('email not a string', (p) => signup(`${p}-x`, { email: ['a@example.com'] }), ['email']);
one('locale not a BCP 47 tag', (p) => signup(`${p}-x`, { locale: 'en_US' }), ['locale']);
one("timeZone 'Mars/Base'", (p) => signup(`${p}-x`, { timeZone: 'Mars/Base' }), ['timeZone']);
one("marketingConsent 'yes' (string)", (p) => signup(`${p}-x`, { marketingConsent: 'yes' }), ['marketingConsent']);
one('consentSource empty', (p) => signup(`${p}-x`, { consentSource: '' }), ['consentSource']);
one(
  'consent.changed without source',
  (p) => {
    const { source: _source, ...rest } = consent(`${p}-x`);
    return rest;
  },
  ['source'],
);
one("consent.changed marketing 'false' (string)", (p) => consent(`${p}-x`, { marketing: 'false' }), ['marketing']);
one('several bad fields in one event', (p) => order(`${p}-x`, { amountMinor: -1, currency: 'XYZ', occurredAt: '' }), [
  'amountMinor',
  'currency',
  'occurredAt',
]);
ev('same event delivered twice (counted once)', (p) => ({
  events: [{ event: signup(`${p}-ok`), duplicate: true }],
}));
ev('same order delivered twice (counted once)', (p) => ({ events: [{ event: order(`${p}-ok`), duplicate: true }] }));
ev('same order id under a new event id (counted once)', (p) => ({
  events: [{ event: order(`${p}-ok`, { eventId: `o2-${p}` }), duplicate: true }],
}));
ev('order for an unknown customer (customer created)', (p) => ({
  events: [{ event: order(`${p}-new`) }],
  check: async () => {
    const created = await env.stores.customers.get(`${p}-new`);
    expect(created?.orderCount).toBe(1);
    expect(created?.email).toBeUndefined();
  },
}));
ev('consent.changed for an unknown customer (customer created)', (p) => ({
  events: [{ event: consent(`${p}-new`) }],
  check: async () => {
    const created = await env.stores.customers.get(`${p}-new`);
    expect(created?.consent?.marketing).toBe(true);
    expect(created?.orderCount).toBe(0);
  },
}));
ev('email with surrounding whitespace and CRLF (trimmed, accepted)', (p) => ({
  events: [{ event: signup(`${p}-trim`, { email: ` ${p}-trim@Example.COM\r\n` }) }, { event: order(`${p}-trim`) }],
  check: async () => {
    expect((await env.stores.customers.get(`${p}-trim`))?.email).toBe(`${p}-trim@example.com`);
  },
}));
ev('<script> in name (accepted, escaped when rendered)', (p) => ({
  events: [{ event: signup(`${p}-script`, { name: SCRIPT_NAME }) }, { event: order(`${p}-script`) }],
}));
ev('<img onerror> and quotes in name (accepted, escaped when rendered)', (p) => ({
  events: [{ event: signup(`${p}-img`, { name: `"'>${IMG_NAME}` }) }, { event: order(`${p}-img`) }],
}));
ev('CRLF header injection in name (accepted, stripped from the subject)', (p) => ({
  events: [
    { event: signup(`${p}-crlf`, { name: 'Ana\r\nBcc: evil@example.com\r\n\r\n<b>x</b>' }) },
    { event: order(`${p}-crlf`) },
  ],
}));
ev('bidi override, NUL and lone surrogate in name (accepted, cleaned when rendered)', (p) => ({
  events: [
    { event: signup(`${p}-bidi`, { name: '\u202eAna\u0000\ud800 Maria\u2028' }) },
    { event: order(`${p}-bidi`) },
  ],
}));

const recordDeps = () => ({
  customers: env.stores.customers,
  orders: env.stores.orders,
  policy: config.policy,
  currency: 'USD',
  now: BOUGHT,
});

describe('bad events through recordActivity', () => {
  it.each(eventCases)('$kind', async (c) => {
    kinds += 1;
    const good = `${c.p}-ok`;
    const all: Ev[] = [{ event: signup(good) }, { event: order(good) }, ...c.events];
    const summary = await recordActivity(
      recordDeps(),
      all.map((e) => e.event),
    );
    const expectedBad = all.flatMap((e, index) => (e.bad ? [{ index, fields: e.bad }] : []));
    const rejected = [...summary.rejected].sort((a, b) => a.index - b.index);
    expect(
      rejected.map((r) => r.index),
      `${c.kind}: rejected indexes`,
    ).toEqual(expectedBad.map((e) => e.index));
    expectedBad.forEach((e, i) => {
      for (const field of e.fields) expect(rejected[i]?.error, `${c.kind}: names ${field}`).toContain(`${field}`);
      const raw = all[e.index]?.event as { eventId?: unknown } | null;
      if (typeof raw?.eventId === 'string') expect(rejected[i]?.eventId).toBe(raw.eventId);
    });
    expect(summary.failed).toEqual([]);
    const duplicates = all.filter((e) => e.duplicate).length;
    expect(summary.duplicates).toBe(duplicates);
    expect(summary.applied).toBe(all.length - expectedBad.length - duplicates);

    const valid = all
      .filter((e) => !e.bad)
      .map((e) => e.event as { type: string; customerId: string; orderId?: string });
    const ids = [...new Set(valid.map((e) => e.customerId)), ...(c.keep ?? [])];
    const orders = [
      ...new Map(
        valid
          .filter((e) => e.type === 'order.placed')
          .map((e) => [`${e.customerId}/${e.orderId}`, { customerId: e.customerId, orderId: e.orderId as string }]),
      ).values(),
    ];
    await expectStored(c.kind, ids, orders);
    // A customer named only by a bad event is never created.
    expect(await env.stores.customers.get(`${c.p}-x`)).toBeUndefined();
    await c.check?.(c.p);
  });

  it('customerId an object whose toString is not a function ({"toString":1} in JSON)', async () => {
    kinds += 1;
    const p = 'ex-tostring';
    const events = [
      signup(`${p}-ok`),
      order(`${p}-ok`),
      JSON.parse('{"type":"order.placed","customerId":{"toString":1}}'),
    ];
    // Found by this corpus: grouping by customer once called String(raw.customerId) outside any try, so this
    // JSON-expressible event failed the whole batch. Now it is rejected on its own and the others apply.
    const summary = await recordActivity(recordDeps(), events);
    expect(summary.applied).toBe(2);
    expect(summary.rejected.map((r) => r.index)).toEqual([2]);
    expect(summary.rejected[0]?.error).toContain('customerId');
    expect((await env.stores.customers.get(`${p}-ok`))?.orderCount).toBe(1);
    expectedCustomers.add(`${p}-ok`);
    expectedOrders.add(`${p}-ok/o-${p}-ok`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// CDNOW lines through parseCdnow
// ---------------------------------------------------------------------------------------------------------------

interface CdnowCase {
  kind: string;
  /** lines after the header and a standard good line */
  lines: { text: string; bad?: string[]; id?: string; date?: string }[];
  eol?: string;
}
const cdnowCases: CdnowCase[] = [];
const cdnowId = (caseIndex: number, k: number) => `7${String(caseIndex).padStart(3, '0')}${k}`;
function cdnow(kind: string, lines: (id: (k: number) => string) => CdnowCase['lines'], eol?: string): void {
  const index = cdnowCases.length;
  cdnowCases.push({ kind, lines: lines((k) => cdnowId(index, k)), ...(eol ? { eol } : {}) });
}
const cdGood = (id: string, date = '19970101', sep = ' ') => ({ text: [id, date, '1', '11.77'].join(sep), id, date });

cdnow('letters in customer_id', () => [{ text: 'abc 19970101 1 10.00', bad: ['customer_id'] }]);
cdnow('bad date 19970230', (id) => [{ text: `${id(2)} 19970230 1 10.00`, bad: ['date'] }]);
cdnow('date in 1899', (id) => [{ text: `${id(2)} 18991231 1 10.00`, bad: ['date'] }]);
cdnow('date with dashes', (id) => [{ text: `${id(2)} 1997-01-01 1 10.00`, bad: ['date'] }]);
cdnow('negative dollars', (id) => [{ text: `${id(2)} 19970101 1 -5.00`, bad: ['dollar_value'] }]);
cdnow("dollars '1e3'", (id) => [{ text: `${id(2)} 19970101 1 1e3`, bad: ['dollar_value'] }]);
cdnow('dollars with three decimals', (id) => [{ text: `${id(2)} 19970101 1 5.005`, bad: ['dollar_value'] }]);
cdnow('fractional number of CDs', (id) => [{ text: `${id(2)} 19970101 1.5 5.00`, bad: ['number_of_cds'] }]);
cdnow('too many fields', (id) => [{ text: `${id(2)} 19970101 1 5.00 9`, bad: ['(record)'] }]);
cdnow('too few fields', (id) => [{ text: `${id(2)} 19970101 1`, bad: ['(record)'] }]);
cdnow('tabs instead of spaces (accepted)', (id) => [cdGood(id(2), '19970102', '\t')]);
cdnow('mixed runs of spaces and tabs (accepted)', (id) => [cdGood(id(2), '19970103', ' \t  ')]);
cdnow('line longer than 64 KB, rest kept', (id) => [
  { text: `${id(2)} 19970101 ${'1'.repeat(70_000)} 5.00`, bad: ['(record)'] },
  cdGood(id(3)),
]);
cdnow('blank lines (skipped)', (id) => [{ text: '' }, { text: '   ' }, cdGood(id(2))]);
cdnow('CRLF line endings (accepted)', (id) => [cdGood(id(2)), { text: 'x 1 1 1', bad: ['customer_id'] }], '\r\n');

describe('bad CDNOW lines through parseCdnow', () => {
  it.each(cdnowCases.map((c, index) => ({ ...c, index })))('$kind', async (c) => {
    kinds += 1;
    const eol = c.eol ?? '\n';
    const lines = [{ text: 'customer_id date number_of_cds dollar_value' }, cdGood(cdnowId(c.index, 1)), ...c.lines];
    const path = await writeCsv(`cdnow-${c.index}.txt`, `${lines.map((l) => l.text).join(eol)}${eol}`);
    const parsed = await parseCdnow(path, { now: AS_OF });
    const expected = lines.flatMap((l, i) => ('bad' in l && l.bad ? [{ file: path, line: i + 1, fields: l.bad }] : []));
    expectReported(parsed.rejected, expected, c.kind);
    const good = lines.flatMap((l) => ('id' in l && l.id ? [{ customerId: l.id, date: l.date as string }] : []));
    expect(parsed.records.map((r) => r.customerId)).toEqual(good.map((g) => g.customerId));
    await importCustomers(importDeps(), { profiles: [], orders: parsed.records, asOf: AS_OF, now: AS_OF });
    await expectStored(
      c.kind,
      good.map((g) => g.customerId),
      good.map((g) => ({ customerId: g.customerId, orderId: `cdnow-${g.customerId}-${g.date}-1` })),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The resulting base: nothing extra stored; flag and send; no markup or header break reaches an email
// ---------------------------------------------------------------------------------------------------------------

describe('the base built from the corpus', () => {
  it('holds exactly the valid records', async () => {
    const customers = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
    expect(customers.map((c) => c.customerId).sort()).toEqual([...expectedCustomers].sort());
    let orders = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await env.client.send(
        new ScanCommand({ TableName: env.tables.orders, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      orders += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    expect(orders).toBe(expectedOrders.size);
  });

  it('flags the base and sends win-back emails that carry no markup or header break from the data', async () => {
    await clearEmails(aws);
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 2 });
    const summary = await winbackEmail(
      { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
      {
        asOf: AS_OF,
        config: config.winback,
        // No hold-out group or quiet hours: every eligible customer is emailed, so every rendering is checked.
        sending: { ...config.sending, holdoutPercent: 0, quietHours: null },
        from: 'shop@example.com',
        templates: TEMPLATES,
        runId: 'bad-input',
        maxSendRate: 1000,
        unsubscribe: { baseUrl: 'https://u.example.com/', secret: SECRET },
      },
    );
    const customers = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
    const due = customers.filter(
      (c) => c.stage === 'dormant' && c.consent?.marketing === true && c.email !== undefined,
    );
    const counts = summary.steps['miss-you'];
    expect(counts?.failed).toBe(0);
    expect(counts?.unknownOutcome).toBe(0);
    expect(counts?.sent).toBe(due.length);
    expect(due.length).toBeGreaterThan(50);

    const mails = await sentEmails(aws);
    expect(mails).toHaveLength(due.length);
    expect(mails.map((m) => m.destination.to[0]).sort()).toEqual(due.map((c) => c.email).sort());
    for (const mail of mails) {
      const html = mail.body.html ?? '';
      const where = mail.destination.to[0];
      expect(html, where).not.toMatch(/<script/i);
      expect(html, where).not.toMatch(/<[^<>]*\bon[a-z]+\s*=/i); // no event handler attribute inside any tag
      expect(mail.subject, where).not.toMatch(/[\p{Cc}\u2028\u2029\u202e]/u);
      for (const header of mail.headers ?? []) expect(header.value, where).not.toMatch(/[\r\n]/);
      // Plain-text part and subject are not HTML: a name shows there verbatim (escaping would display entities).
      expect(mail.body.text ?? '', where).not.toMatch(/[\u202e\ud800-\udfff]/u);
      expect((mail.body.text ?? '').includes(String.fromCharCode(0)), where).toBe(false);
    }
    const escaped = mails.filter((m) => m.body.html?.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    expect(escaped).toHaveLength(2); // the CSV and the event customer named <script>
    // The emails address by first name: the first word of the hostile name arrives escaped.
    const imgFirst = due.filter((c) => (c.name ?? '').trim().split(/\s+/)[0]?.includes('<img'));
    expect(imgFirst.length).toBeGreaterThan(0);
    expect(mails.filter((m) => /<bdi>[^<]*&lt;img[^<]*<\/bdi>/.test(m.body.html ?? ''))).toHaveLength(imgFirst.length);
    expect(mails.filter((m) => m.body.html?.includes('<img'))).toHaveLength(0);
    // A name with CR/LF: still one subject line, beginning with the name's first word.
    const crlf = due.filter((c) => /[\r\n]/.test(c.name ?? ''));
    expect(crlf).toHaveLength(2);
    for (const customer of crlf) {
      const mail = mails.find((m) => m.destination.to[0] === customer.email);
      const first = (customer.name ?? '').split(/[\s]+/)[0] ?? '';
      expect(mail?.subject.startsWith(`${first}, `), customer.customerId).toBe(true);
    }
  });

  it('tried at least 50 kinds of bad input', () => {
    console.log(`bad-input corpus: ${kinds} kinds tried`);
    expect(kinds).toBeGreaterThanOrEqual(50);
  });
});
