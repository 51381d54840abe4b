import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRevenue, ascending, type RevenueHistogram } from '../../shared/domain/base-shape-buckets.ts';
import { concentrationOf, TALL_GINI } from '../../shared/domain/base-shape-concentration.ts';
import { quintileScore, roundPreservingTotal, scoreKeys, segmentOf } from '../../shared/domain/rfm.ts';

describe('RFM quintile scores', () => {
  it('puts a fifth of distinct values in each score, best values on 5', () => {
    const entries = Array.from({ length: 100 }, (_, i): [number, number] => [i, 1]);
    const { scores } = scoreKeys(entries, true);
    const perScore = [1, 2, 3, 4, 5].map((s) => [...scores.values()].filter((v) => v === s).length);
    expect(perScore).toEqual([20, 20, 20, 20, 20]);
    expect(scores.get(99)).toBe(5);
    expect(scores.get(0)).toBe(1);
  });

  it('gives recency 5 to the fewest days since the last purchase', () => {
    const { scores } = scoreKeys(
      Array.from({ length: 10 }, (_, i): [number, number] => [i * 10, 1]),
      false,
    );
    expect(scores.get(0)).toBe(5);
    expect(scores.get(90)).toBe(1);
  });

  it('gives one score to a tie however large: the many one-order buyers all get F = 1', () => {
    const { scores } = scoreKeys(
      [
        [1, 60],
        [2, 20],
        [3, 20],
      ],
      true,
    );
    expect(scores.get(1)).toBe(1);
    expect(scores.get(2)).toBe(4); // 60% strictly behind: three fifths
    expect(scores.get(3)).toBe(5);
    expect(quintileScore(99, 100)).toBe(5);
  });

  it('flags a bucket of spread values that straddles a quintile edge as uncertain', () => {
    const entries: [number, number][] = [
      [1, 15],
      [2, 10], // behind 15..24 of 100: scores 1 or 2
      [3, 75],
    ];
    expect(scoreKeys(entries, true, () => true).uncertain).toBe(10 + 75);
    expect(scoreKeys(entries, true, () => false).uncertain).toBe(0);
  });
});

describe('RFM segments (R × average of F and M)', () => {
  it.each([
    [5, 5, 5, 'champions'],
    [4, 4, 4, 'champions'],
    [5, 1, 1, 'new'],
    [5, 1, 2, 'potential_loyalists'], // FM = 1.5, rounded half up to 2
    [4, 1, 1, 'promising'],
    [4, 3, 3, 'loyal'],
    [3, 5, 4, 'loyal'],
    [3, 2, 3, 'need_attention'],
    [3, 1, 1, 'about_to_sleep'],
    [2, 4, 4, 'at_risk'],
    [1, 5, 4, 'cant_lose'],
    [2, 1, 2, 'hibernating'],
    [1, 1, 1, 'lost'],
  ] as const)('R%i F%i M%i is %s', (r, f, m, segment) => {
    expect(segmentOf(r, f, m)).toBe(segment);
  });

  it('rounds fractional sizes to integers with the same total', () => {
    expect(roundPreservingTotal([1.5, 1.5, 2])).toEqual([2, 1, 2]);
    expect(roundPreservingTotal([0.2, 0.2, 0.6]).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

/** Reference definitions on the raw values, written independently of the histogram code. */
function exactConcentration(values: number[]) {
  const sorted = values.map((v) => Math.max(0, v)).sort((a, b) => a - b);
  const n = sorted.length;
  const total = sorted.reduce((a, b) => a + b, 0);
  const top = (percent: number) => {
    const k = Math.max(1, Math.ceil((percent / 100) * n));
    return sorted.slice(n - k).reduce((a, b) => a + b, 0) / total;
  };
  // Gini by the rank formula: (2 Σ i·x₍ᵢ₎) / (n Σ x) − (n + 1) / n, ranks from 1.
  const ranked = sorted.reduce((sum, x, i) => sum + (i + 1) * x, 0);
  return { top1: top(1), top10: top(10), top20: top(20), gini: (2 * ranked) / (n * total) - (n + 1) / n };
}

const concentrationOfValues = (values: number[]) => {
  const histogram: RevenueHistogram = {};
  for (const v of values) addRevenue(histogram, v);
  return concentrationOf(ascending(histogram).map(([, bucket]) => bucket));
};

describe('revenue concentration from the bounded histogram', () => {
  it('brackets the exact top shares and Gini within its stated bounds, for any revenues', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -500, max: 5_000_000 }), { minLength: 2, maxLength: 400 }), (values) => {
        fc.pre(values.some((v) => v > 0));
        const exact = exactConcentration(values);
        const got = concentrationOfValues(values);
        const eps = 1e-9;
        const [t1, t10, t20] = got.top;
        for (const [t, want] of [
          [t1, exact.top1],
          [t10, exact.top10],
          [t20, exact.top20],
        ] as const) {
          expect(want).toBeGreaterThanOrEqual((t?.low ?? 0) - eps);
          expect(want).toBeLessThanOrEqual((t?.high ?? 0) + eps);
        }
        expect(exact.gini).toBeGreaterThanOrEqual((got.gini?.low ?? 0) - eps);
        expect(exact.gini).toBeLessThanOrEqual((got.gini?.high ?? 0) + eps);
        // 1%-wide buckets: the Gini range stays under one percentage point.
        expect((got.gini?.high ?? 1) - (got.gini?.low ?? 0)).toBeLessThan(0.01);
      }),
      { numRuns: 300 },
    );
  });

  it('is exact for amounts small enough to have a bucket each', () => {
    const values = Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 100));
    const exact = exactConcentration(values);
    const got = concentrationOfValues(values);
    expect(got.gini?.low).toBeCloseTo(exact.gini, 12);
    expect(got.gini?.high).toBeCloseTo(exact.gini, 12);
    expect(got.top[1]?.value).toBeCloseTo(exact.top10, 12);
  });

  it(`calls the base tall at a Gini of ${TALL_GINI} or more and broad below`, () => {
    const equal = concentrationOfValues(Array.from({ length: 100 }, () => 5000));
    expect(equal.gini?.value).toBeCloseTo(0, 12);
    expect(equal.verdict).toBe('broad');
    const whale = concentrationOfValues([...Array.from({ length: 99 }, () => 100), 1_000_000]);
    expect(whale.gini?.value).toBeGreaterThan(TALL_GINI);
    expect(whale.verdict).toBe('tall');
    expect(whale.top[0]).toMatchObject({ percent: 1, customers: 1 });
  });

  it('has no verdict without revenue', () => {
    expect(concentrationOfValues([0, 0]).verdict).toBeNull();
  });
});
