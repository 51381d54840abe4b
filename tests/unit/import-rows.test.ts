import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIssues } from '../../shared/domain/common.ts';
import { parseDecimalToMinor } from '../../shared/domain/money.ts';
import { parseCdnow, parseCustomersCsv, parseOrdersCsv } from '../../shared/import/parse-files.ts';
import { CustomerCsvRowSchema, OrderCsvRowSchema } from '../../shared/import/rows.ts';

function errorOf(schema: typeof CustomerCsvRowSchema | typeof OrderCsvRowSchema, row: Record<string, unknown>): string {
  const result = schema.safeParse(row);
  if (result.success) throw new Error(`expected ${JSON.stringify(row)} to be rejected`);
  return describeIssues(result.error);
}

describe('CustomerCsvRowSchema', () => {
  const good = {
    customer_id: 'c1',
    email: 'Ana@Example.COM',
    name: 'Smith, Ana',
    locale: 'de-at',
    time_zone: 'Europe/Berlin',
    signed_up_at: '2024-01-01',
    marketing_consent: 'yes',
    consent_at: '2024-01-01T10:00:00+02:00',
    consent_source: 'web',
  };

  it('accepts a full row and normalises email domain, locale, dates and consent', () => {
    expect(CustomerCsvRowSchema.parse(good)).toEqual({
      customer_id: 'c1',
      email: 'Ana@example.com',
      name: 'Smith, Ana',
      locale: 'de-AT',
      time_zone: 'Europe/Berlin',
      signed_up_at: '2024-01-01T00:00:00.000Z',
      marketing_consent: true,
      consent_at: '2024-01-01T08:00:00.000Z',
      consent_source: 'web',
    });
  });

  it('accepts a row with only customer_id and treats blank optional cells as absent', () => {
    expect(CustomerCsvRowSchema.parse({ customer_id: 'c2', email: '', name: '  ', time_zone: '' })).toEqual({
      customer_id: 'c2',
    });
  });

  it.each([
    ['bad email', { email: 'not-an-email' }, /^email: must be a valid email address$/],
    ['unknown time zone', { time_zone: 'Mars/Base' }, /^time_zone: must be an IANA time zone/],
    ['impossible date', { signed_up_at: '2024-02-30' }, /^signed_up_at: /],
    ['bad boolean', { marketing_consent: 'maybe' }, /^marketing_consent: must be true\/false/],
    ['bad locale', { locale: 'x_y_z!!' }, /^locale: must be a BCP 47 language tag/],
    ['bad customer id', { customer_id: 'has space' }, /^customer_id: may contain only/],
    ['consent without consent_at', { consent_at: '' }, /^consent_at: is required when marketing_consent is given$/],
    ['extra column', { extra: '1' }, /Unrecognized key: "extra"/],
  ])('rejects %s naming the field', (_name, patch, expected) => {
    expect(errorOf(CustomerCsvRowSchema, { ...good, ...patch })).toMatch(expected);
  });

  it('rejects a row without customer_id naming the field', () => {
    const { customer_id: _, ...rest } = good;
    expect(errorOf(CustomerCsvRowSchema, rest)).toMatch(/^customer_id: /);
  });
});

describe('OrderCsvRowSchema', () => {
  const good = { order_id: 'o1', customer_id: 'c1', placed_at: '2024-02-29', amount: '12.50', currency: 'usd' };

  it('accepts a good row and converts it to an order record in minor units', () => {
    expect(OrderCsvRowSchema.parse(good)).toEqual({
      orderId: 'o1',
      customerId: 'c1',
      placedAt: '2024-02-29T00:00:00.000Z',
      amountMinor: 1250,
      currency: 'USD',
    });
    expect(OrderCsvRowSchema.parse({ ...good, amount: '1000', currency: 'JPY' }).amountMinor).toBe(1000);
    expect(OrderCsvRowSchema.parse({ ...good, placed_at: '2024-01-06T10:00:00+01:00' }).placedAt).toBe(
      '2024-01-06T09:00:00.000Z',
    );
  });

  it.each([
    ['unknown currency XYZ', { currency: 'XYZ' }, /^currency: unknown ISO 4217 currency$/],
    ['negative amount', { amount: '-5.00' }, /^amount: must not be negative$/],
    ['3 decimals for USD', { amount: '1.234' }, /^amount: more than 2 decimals for USD/],
    ['decimal comma', { amount: '12,50' }, /^amount: not a decimal amount/],
    ['exponent notation', { amount: '1e3' }, /^amount: not a decimal amount/],
    ['empty amount', { amount: ' ' }, /^amount: must not be empty/],
    ['impossible date 2024-02-30', { placed_at: '2024-02-30' }, /^placed_at: /],
    ['impossible date-time', { placed_at: '2024-02-30T10:00:00Z' }, /^placed_at: /],
    ['word for a date', { placed_at: 'yesterday' }, /^placed_at: /],
    ['empty customer id', { customer_id: '' }, /^customer_id: must not be empty/],
    ['extra column', { extra: 'x' }, /Unrecognized key: "extra"/],
  ])('rejects %s naming the field', (_name, patch, expected) => {
    expect(errorOf(OrderCsvRowSchema, { ...good, ...patch })).toMatch(expected);
  });

  it('rejects a row without customer_id naming the field', () => {
    const { customer_id: _, ...rest } = good;
    expect(errorOf(OrderCsvRowSchema, rest)).toMatch(/^customer_id: /);
  });
});

describe('parseDecimalToMinor', () => {
  it('is exact where floating point is not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(parseDecimalToMinor('0.10', 'USD') + parseDecimalToMinor('0.20', 'USD')).toBe(
      parseDecimalToMinor('0.30', 'USD'),
    );
    expect(parseDecimalToMinor('1.15', 'USD')).toBe(115); // 1.15 * 100 === 114.99999999999999
    expect(parseDecimalToMinor('0.5', 'USD')).toBe(50);
    expect(parseDecimalToMinor(' 12 ', 'USD')).toBe(1200);
    expect(parseDecimalToMinor('-0.01', 'USD')).toBe(-1);
  });

  it('uses the currency minor unit: JPY has 0 decimals, BHD has 3', () => {
    expect(parseDecimalToMinor('1200', 'JPY')).toBe(1200);
    expect(() => parseDecimalToMinor('12.5', 'JPY')).toThrow(/more than 0 decimals for JPY/);
    expect(parseDecimalToMinor('1.234', 'BHD')).toBe(1234);
    expect(parseDecimalToMinor('0.001', 'BHD')).toBe(1);
  });

  it('rejects values beyond the safe integer range and malformed text', () => {
    expect(parseDecimalToMinor('90071992547409.91', 'USD')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseDecimalToMinor('90071992547409.92', 'USD')).toThrow(/too large/);
    expect(() => parseDecimalToMinor('999999999999999', 'USD')).toThrow(/too large/);
    expect(() => parseDecimalToMinor('9999999999999999', 'JPY')).toThrow(/not a decimal amount/);
    for (const bad of ['', '.5', '1.', '1,5', '+1', '1 000', 'NaN', 'Infinity', '0x10']) {
      expect(() => parseDecimalToMinor(bad, 'USD')).toThrow();
    }
  });

  it('property: formatting minor units as a decimal string and parsing it back is the identity', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['USD', 2] as const, ['JPY', 0] as const, ['BHD', 3] as const),
        fc.integer({ min: 0, max: 1e12 }),
        fc.boolean(),
        ([currency, digits], minor, trailingZeros) => {
          const major = Math.floor(minor / 10 ** digits);
          let fraction = digits === 0 ? '' : String(minor % 10 ** digits).padStart(digits, '0');
          if (!trailingZeros) fraction = fraction.replace(/0+$/, '');
          const text = fraction ? `${major}.${fraction}` : String(major);
          expect(parseDecimalToMinor(text, currency)).toBe(minor);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('file parsers', () => {
  const NOW = '2026-06-30T12:00:00.000Z';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clientele-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  const CDNOW = [
    'customer_id date number_of_cds dollar_value', // 1 header
    '00001 19970101 1 11.77', // 2
    '', // 3 blank
    '00002 19970112 1 12.00', // 4
    '00002 19970112 5 77.00', // 5 same customer and day
    '00003 19970230 1 1.00', // 6 impossible date
    'abc 19970101 1 1.00', // 7 letters
    '00004 19970101 1 -1.00', // 8 negative
    '00005 19970101 1 1.00 extra', // 9 too many fields
    '   00002\t19970113   2   20.50  ', // 10 odd whitespace
    '   ', // 11 blank
    '00002 19970112 1 3.00', // 12 same customer and day again
  ];

  it('parseCdnow keeps good lines, skips header and blanks, rejects bad lines with line and field', async () => {
    const path = await file('cdnow.txt', `${CDNOW.join('\n')}\n`);
    const parsed = await parseCdnow(path, { now: NOW });
    expect(parsed.records).toEqual([
      {
        orderId: 'cdnow-00001-19970101-1',
        customerId: '00001',
        placedAt: '1997-01-01T00:00:00.000Z',
        amountMinor: 1177,
        currency: 'USD',
      },
      {
        orderId: 'cdnow-00002-19970112-1',
        customerId: '00002',
        placedAt: '1997-01-12T00:00:00.000Z',
        amountMinor: 1200,
        currency: 'USD',
      },
      {
        orderId: 'cdnow-00002-19970112-2',
        customerId: '00002',
        placedAt: '1997-01-12T00:00:00.000Z',
        amountMinor: 7700,
        currency: 'USD',
      },
      {
        orderId: 'cdnow-00002-19970113-1',
        customerId: '00002',
        placedAt: '1997-01-13T00:00:00.000Z',
        amountMinor: 2050,
        currency: 'USD',
      },
      {
        orderId: 'cdnow-00002-19970112-3',
        customerId: '00002',
        placedAt: '1997-01-12T00:00:00.000Z',
        amountMinor: 300,
        currency: 'USD',
      },
    ]);
    expect(parsed.rejected.map((r) => [r.line, r.error])).toEqual([
      [6, expect.stringMatching(/^date: not a calendar date: 19970230$/)],
      [7, expect.stringMatching(/^customer_id: must be digits$/)],
      [8, expect.stringMatching(/^dollar_value: /)],
      [9, expect.stringMatching(/^\(record\): /)],
    ]);
    expect(parsed.rejected.every((r) => r.file === path)).toBe(true);
    expect(parsed.lines).toBe(9);
  });

  it('parseCdnow order ids are deterministic across re-imports and CRLF line endings', async () => {
    const a = await parseCdnow(await file('a.txt', CDNOW.join('\n')), { now: NOW });
    const b = await parseCdnow(await file('b.txt', `${CDNOW.join('\r\n')}\r\n`), { now: NOW });
    expect(b.records).toEqual(a.records);
    expect(b.rejected.map((r) => r.line)).toEqual(a.rejected.map((r) => r.line));
    expect(new Set(a.records.map((r) => r.orderId)).size).toBe(a.records.length);
  });

  it('parseCdnow does not treat a data line 1 as a header', async () => {
    const parsed = await parseCdnow(await file('noheader.txt', '00001 19970101 1 11.77\n'), { now: NOW });
    expect(parsed.records).toHaveLength(1);
  });

  it('parseCustomersCsv handles quoted commas, case/space in headers, a BOM and blank lines; rejects with line numbers', async () => {
    const path = await file(
      'customers.csv',
      '\uFEFFCustomer_ID, Email ,name\n' +
        'c1,a@example.com,"Smith, Ana"\n' +
        '\n' +
        'c2,bad-email,Bob\n' +
        'c3,,"He said ""hi"", then left"\n' +
        ',x@example.com,NoId\n',
    );
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records).toEqual([
      { customer_id: 'c1', email: 'a@example.com', name: 'Smith, Ana' },
      { customer_id: 'c3', name: 'He said "hi", then left' },
    ]);
    expect(parsed.rejected.map((r) => [r.line, r.error])).toEqual([
      [4, 'email: must be a valid email address'],
      [6, expect.stringMatching(/^customer_id: must not be empty/)],
    ]);
    expect(parsed.lines).toBe(4);
  });

  it('parseOrdersCsv keeps good rows and rejects bad ones naming the field', async () => {
    const path = await file(
      'orders.csv',
      'order_id,customer_id,placed_at,amount,currency\n' +
        'o1,c1,2024-01-05,"1,00",USD\n' +
        'o2,c1,2024-01-06T10:00:00+01:00,12.50,usd\n' +
        'o3,c2,2024-01-06,1.234,USD\n' +
        'o4,c2,2024-01-07,1000,JPY\n' +
        'o5,c3,2024-02-30,1.00,USD\n' +
        'o6,c3\n',
    );
    const parsed = await parseOrdersCsv(path, { now: NOW });
    expect(parsed.records.map((r) => [r.orderId, r.amountMinor, r.currency, r.placedAt])).toEqual([
      ['o2', 1250, 'USD', '2024-01-06T09:00:00.000Z'],
      ['o4', 1000, 'JPY', '2024-01-07T00:00:00.000Z'],
    ]);
    expect(parsed.rejected.map((r) => [r.line, r.error.split(':')[0]])).toEqual([
      [2, 'amount'],
      [4, 'amount'],
      [6, 'placed_at'],
      [7, 'placed_at'],
    ]);
  });

  it('parseCustomersCsv rejects a row longer than 64 KB once, with its line number, and keeps the rows around it', async () => {
    const path = await file(
      'long.csv',
      `customer_id,email,name\nc1,a@example.com,"Smith, Ana"\nc2,b@example.com,"${'x'.repeat(70_000)}"\nc3,c@example.com,Bo\n`,
    );
    const parsed = await parseCustomersCsv(path, { now: NOW });
    expect(parsed.records.map((r) => r.customer_id)).toEqual(['c1', 'c3']);
    expect(parsed.rejected).toEqual([{ file: path, line: 3, error: expect.stringMatching(/longer than 65536 bytes/) }]);
  });
});
