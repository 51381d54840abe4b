import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCdnow, parseCustomersCsv, parseOrdersCsv } from '../../shared/import/parse-files.ts';

const NOW = '2026-06-30T12:00:00.000Z';
const FUTURE = `must not be more than 24 hours in the future (now is ${NOW})`;
const NOT_UTF8 = '(record): not valid UTF-8 (save the file as UTF-8)';
/** Latin-1 bytes of text (one byte per code point), as a Windows export would write it. */
const latin1 = (text: string) => Buffer.from(text, 'latin1');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clientele-parse-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const file = async (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
};

describe('CSV header', () => {
  it('rejects a file whose header names a column twice: one rejection at line 1, no records', async () => {
    const path = await file(
      'customers.csv',
      'customer_id,email,email\nc1,a@example.com,b@example.com\nc2,c@example.com,d@example.com\n',
    );
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records).toEqual([]);
    expect(parsed.rejected).toEqual([{ file: path, line: 1, error: '(header): column "email" appears twice' }]);
  });

  it('detects a duplicate after normalising case and spaces', async () => {
    const path = await file('orders-dup.csv', 'order_id,customer_id, Placed_At ,placed_at,amount,currency\n');
    const parsed = await parseOrdersCsv(path, { now: NOW });
    expect(parsed.records).toEqual([]);
    expect(parsed.rejected).toEqual([{ file: path, line: 1, error: '(header): column "placed_at" appears twice' }]);
  });

  it('rejects a header that is not UTF-8 instead of reading the first row as the header', async () => {
    const path = await file('latin1-header.csv', latin1('customer_id,n\u00e4me\nc1,Ana\n'));
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records).toEqual([]);
    expect(parsed.rejected).toEqual([
      { file: path, line: 1, error: '(header): not valid UTF-8 (save the file as UTF-8)' },
    ]);
  });
});

describe('input that is not UTF-8', () => {
  it('rejects Latin-1 CSV rows at their line and keeps the UTF-8 rows', async () => {
    const path = await file(
      'latin1.csv',
      Buffer.concat([
        Buffer.from('customer_id,email,name\nc1,a@example.com,Ana\n'),
        latin1('c2,b@example.com,Ren\u00e9e\n'), // line 3
        Buffer.from('c3,c@example.com,"Jos\u00e9\nPlaza"\n'), // lines 4-5, valid UTF-8 across two lines
        latin1('c4,d@example.com,"Fran\u00e7ois\nDupont"\n'), // lines 6-7
        Buffer.from('c5,e@example.com,Zo\u00eb\n'), // line 8
      ]),
    );
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records.map((r) => [r.customer_id, r.name])).toEqual([
      ['c1', 'Ana'],
      ['c3', 'Jos\u00e9\nPlaza'],
      ['c5', 'Zo\u00eb'],
    ]);
    expect(parsed.rejected).toEqual([
      { file: path, line: 3, error: NOT_UTF8 },
      { file: path, line: 6, error: NOT_UTF8 },
    ]);
    expect(parsed.records.some((r) => r.name?.includes('\uFFFD'))).toBe(false);
  });

  it('rejects Latin-1 CDNOW lines at their line', async () => {
    const path = await file(
      'cdnow-latin1.txt',
      Buffer.concat([
        Buffer.from('00001 19970101 1 11.77\n'),
        latin1('00002 19970101 1 1.00 \u00a7\n00003 19970102 1 2.00\n'),
      ]),
    );
    const parsed = await parseCdnow(path, { now: NOW });
    expect(parsed.records.map((r) => r.customerId)).toEqual(['00001', '00003']);
    expect(parsed.rejected).toEqual([{ file: path, line: 2, error: NOT_UTF8 }]);
  });
});

describe('I5: instants more than 24 hours after now', () => {
  it('customers.csv: signed_up_at and consent_at in the future are rejected naming the field', async () => {
    const path = await file(
      'customers-future.csv',
      'customer_id,signed_up_at,marketing_consent,consent_at\n' +
        'c1,2026-06-30,true,2026-07-01T11:00:00Z\n' + // 23 h ahead: clock skew, accepted
        'c2,2199-01-01,,\n' + // line 3
        'c3,2026-01-01,true,2026-07-02T00:00:00Z\n' + // line 4: 36 h ahead
        'c4,2027-01-01,false,2027-01-01\n', // line 5: both
    );
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records.map((r) => r.customer_id)).toEqual(['c1']);
    expect(parsed.rejected).toEqual([
      { file: path, line: 3, error: `signed_up_at: ${FUTURE}` },
      { file: path, line: 4, error: `consent_at: ${FUTURE}` },
      { file: path, line: 5, error: `signed_up_at: ${FUTURE}; consent_at: ${FUTURE}` },
    ]);
  });

  it('orders.csv: placed_at in the future is rejected naming the field', async () => {
    const path = await file(
      'orders.csv',
      'order_id,customer_id,placed_at,amount,currency\n' +
        'o1,c1,2026-06-30T23:00:00Z,1.00,USD\n' +
        'o2,c1,2026-07-05,1.00,USD\n' + // line 3
        'o3,c1,2026-07-01T12:00:00Z,1.00,USD\n', // exactly 24 h: accepted
    );
    const parsed = await parseOrdersCsv(path, { now: NOW });
    expect(parsed.records.map((r) => r.orderId)).toEqual(['o1', 'o3']);
    expect(parsed.rejected).toEqual([{ file: path, line: 3, error: `placed_at: ${FUTURE}` }]);
    const [r] = parsed.rejected;
    expect(`orders.csv:${r?.line} ${r?.error}`).toMatch(/^orders\.csv:3 placed_at: must not be more than 24 hours/);
  });

  it('CDNOW: a date in the future is rejected naming the field', async () => {
    const path = await file(
      'cdnow-future.txt',
      '00001 19970101 1 11.77\n00002 20260702 1 1.00\n00003 20260701 1 2.00\n',
    );
    const parsed = await parseCdnow(path, { now: NOW });
    expect(parsed.records.map((r) => r.customerId)).toEqual(['00001', '00003']);
    expect(parsed.rejected).toEqual([{ file: path, line: 2, error: `date: ${FUTURE}` }]);
  });

  it('refuses an invalid now', async () => {
    const path = await file('cdnow-ok.txt', '00001 19970101 1 11.77\n');
    await expect(parseCdnow(path, { now: 'yesterday' })).rejects.toThrow(/now must be an ISO-8601 instant/);
  });
});
