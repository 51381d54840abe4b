import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMinor, minorDigits } from '../../shared/domain/money.ts';
import { shardOf } from '../../shared/domain/shard.ts';
import {
  addDays,
  addMonths,
  DAY_MS,
  daysBetween,
  endOfDay,
  monthEnd,
  monthKey,
  monthsBetween,
} from '../../shared/domain/time.ts';

const monthArb = fc
  .tuple(fc.integer({ min: 1900, max: 2150 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const kArb = fc.integer({ min: -1200, max: 1200 });

describe('months', () => {
  it('addMonths handles year boundaries and negative offsets', () => {
    expect(addMonths('2024-01', 0)).toBe('2024-01');
    expect(addMonths('2024-12', 1)).toBe('2025-01');
    expect(addMonths('2024-01', -1)).toBe('2023-12');
    expect(addMonths('2024-03', -15)).toBe('2022-12');
    expect(addMonths('2024-11', 26)).toBe('2027-01');
    expect(monthsBetween('2023-11', '2024-02')).toBe(3);
    expect(monthsBetween('2024-02', '2023-11')).toBe(-3);
    expect(monthEnd('2024-12')).toBe('2025-01-01T00:00:00.000Z');
    expect(() => addMonths('2024-1', 1)).toThrow(/invalid month key/);
  });

  it('property: monthsBetween(m, addMonths(m, k)) === k and addMonths(addMonths(m, k), -k) === m', () => {
    fc.assert(
      fc.property(monthArb, kArb, (m, k) => {
        const shifted = addMonths(m, k);
        expect(shifted).toMatch(/^\d{4}-(0[1-9]|1[0-2])$/);
        expect(monthsBetween(m, shifted)).toBe(k);
        expect(addMonths(shifted, -k)).toBe(m);
      }),
      { numRuns: 300 },
    );
  });

  it('property: addMonths composes and monthsBetween is antisymmetric and additive', () => {
    fc.assert(
      fc.property(monthArb, kArb, kArb, monthArb, (m, a, b, n) => {
        expect(addMonths(addMonths(m, a), b)).toBe(addMonths(m, a + b));
        expect(monthsBetween(n, m) + monthsBetween(m, n)).toBe(0);
        expect(addMonths(m, monthsBetween(m, n))).toBe(n);
      }),
      { numRuns: 200 },
    );
  });

  it('property: monthKey of monthEnd(m) is the next month and the instant just before is in m', () => {
    fc.assert(
      fc.property(
        monthArb.filter((m) => m >= '1970-01'),
        (m) => {
          const end = monthEnd(m);
          expect(monthKey(end)).toBe(addMonths(m, 1));
          expect(monthKey(new Date(Date.parse(end) - 1))).toBe(m);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('days', () => {
  it('endOfDay is the last millisecond of the UTC date', () => {
    expect(endOfDay('2024-02-29')).toBe('2024-02-29T23:59:59.999Z');
    expect(endOfDay('2023-12-31')).toBe('2023-12-31T23:59:59.999Z');
  });

  it.each([
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-04-31',
    'yesterday',
    '2024-1-01',
    '2024-01-01T00:00:00Z',
    '',
  ])('endOfDay rejects %j', (text) => {
    expect(() => endOfDay(text)).toThrow(/not a calendar date/);
  });

  it('daysBetween floors whole days and addDays inverts it', () => {
    expect(daysBetween('2024-01-01T00:00:00Z', '2024-01-31T23:59:59Z')).toBe(30);
    expect(daysBetween('2024-01-02T00:00:00Z', '2024-01-01T12:00:00Z')).toBe(-1);
    expect(addDays('2024-02-28T10:00:00.000Z', 2)).toBe('2024-03-01T10:00:00.000Z');
    expect(() => daysBetween('nope', '2024-01-01T00:00:00Z')).toThrow(/invalid instant/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: -5000, max: 5000 }), (ms, d) => {
        const at = new Date(ms).toISOString();
        expect(daysBetween(at, addDays(at, d))).toBe(d);
        expect(Date.parse(addDays(at, d)) - ms).toBe(d * DAY_MS);
      }),
      { numRuns: 200 },
    );
  });
});

describe('money formatting', () => {
  it('knows minor digits per currency and formats minor units', () => {
    expect([minorDigits('USD'), minorDigits('JPY'), minorDigits('BHD')]).toEqual([2, 0, 3]);
    expect(formatMinor(123456, 'USD')).toBe('$1,234.56');
    expect(formatMinor(1200, 'JPY')).toBe('¥1,200');
  });
});

describe('shardOf', () => {
  it('is stable: the same id always gets the same shard (pinned values)', () => {
    const ids = ['c1', 'customer-42', '00001', 'ana@example.com', ''];
    const first = ids.map((id) => shardOf(id, 8));
    expect(ids.map((id) => shardOf(id, 8))).toEqual(first);
    // FNV-1a 32-bit of "" is 0x811c9dc5 = 2166136261; of "a" is 0xe40c292c = 3826002220
    expect(shardOf('', 1_000_000)).toBe(2166136261 % 1_000_000);
    expect(shardOf('a', 1_000_000)).toBe(3826002220 % 1_000_000);
  });

  it('property: the shard is an integer in [0, shards)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 128 }), fc.integer({ min: 1, max: 100 }), (id, shards) => {
        const s = shardOf(id, shards);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(shards);
        expect(shardOf(id, shards)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['sequential numeric ids', (i: number) => String(i)],
    ['prefixed ids', (i: number) => `customer-${i}`],
    ['zero-padded CDNOW ids', (i: number) => String(i).padStart(5, '0')],
    ['email addresses', (i: number) => `user${i}@example.com`],
  ])('spreads 10,000 %s over 8 shards within ±20%% of even', (_name, idOf) => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf(idOf(i), 8)] += 1;
    for (const n of counts) {
      expect(n).toBeGreaterThanOrEqual(1000);
      expect(n).toBeLessThanOrEqual(1500);
    }
  });
});
