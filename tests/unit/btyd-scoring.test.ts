import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import { compressTriples, summariseCustomers } from '../../shared/domain/btyd/customer-summary.ts';
import { evaluateHoldout, rocAuc } from '../../shared/domain/btyd/holdout.ts';
import { CustomerScoreSchema, CustomerSummarySchema, HoldoutReportSchema } from '../../shared/domain/btyd/schemas.ts';
import {
  bgNbdModel,
  discountedValue,
  overdueAge,
  type PurchaseModel,
  paretoNbdModel,
  scoreCustomer,
  WEEKS_PER_MONTH,
} from '../../shared/domain/btyd/score.ts';

const PNBD = { r: 0.5533, alpha: 10.5776, s: 0.6061, beta: 11.665 };
const BG = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };
const GG = { p: 6.25, q: 3.74, gamma: 15.44 };

describe('customer summaries (the CDNOW conventions)', () => {
  const t = (customerId: string, day: string, amount: number) => ({ customerId, day, amount });

  it('counts purchase days, not transactions; weeks are days / 7 up to the calibration end day', () => {
    const [a, b, c] = summariseCustomers(
      [
        t('2', '1997-01-01', 10),
        t('2', '1997-01-01', 5), // same day: one purchase of 15
        t('2', '1997-01-15', 20),
        t('2', '1997-01-15', 4),
        t('2', '1997-09-30', 6), // on the calibration end day: calibration
        t('2', '1997-10-01', 99), // holdout
        t('10', '1997-09-30', 7),
        t('1', '1997-03-01', 8),
        t('3', '1997-10-02', 1), // first purchase after the end: not in the sample
      ],
      { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30' },
    );
    expect([a?.customerId, b?.customerId, c?.customerId]).toEqual(['1', '2', '10']);
    expect(b).toEqual({
      customerId: '2',
      firstPurchase: '1997-01-01',
      frequency: 2,
      recency: 272 / 7,
      T: 272 / 7,
      monetaryValue: (24 + 6) / 2,
      holdoutPurchases: 1,
    });
    expect(c).toMatchObject({ frequency: 0, recency: 0, T: 0, monetaryValue: 0, holdoutPurchases: 0 });
    for (const s of [a, b, c]) expect(CustomerSummarySchema.safeParse(s).success).toBe(true);
  });

  it('without a holdout end counts no holdout purchases', () => {
    const [s] = summariseCustomers([t('1', '1997-01-01', 1), t('1', '1997-12-01', 1)], {
      calibrationEnd: '1997-09-30',
    });
    expect(s?.holdoutPurchases).toBeUndefined();
    expect(s?.frequency).toBe(0);
  });

  it('compresses identical (x, t_x, T) into weighted rows', () => {
    const rows = compressTriples([
      { frequency: 0, recency: 0, T: 30 },
      { frequency: 0, recency: 0, T: 30 },
      { frequency: 1, recency: 2, T: 30 },
    ]);
    expect(rows).toEqual([
      { x: 0, tx: 0, T: 30, count: 2 },
      { x: 1, tx: 2, T: 30, count: 1 },
    ]);
  });

  it('parses both CDNOW layouts and names bad lines', () => {
    const sample = parseCdnowTransactions(
      ' 00004 0001 19970101  2   29.33\n 00004 0001 19971345 1 1\nx\n',
      'cdnow-sample',
    );
    expect(sample.transactions).toEqual([{ customerId: '1', day: '1997-01-01', amount: 29.33 }]);
    expect(sample.rejected.map((r) => r.line)).toEqual([2, 3]);
    const master = parseCdnowTransactions(
      'customer_id date number_of_cds dollar_value\n00001 19970101 1 11.77\n',
      'cdnow',
    );
    expect(master).toEqual({ transactions: [{ customerId: '1', day: '1997-01-01', amount: 11.77 }], rejected: [] });
  });
});

describe('ROC AUC (Mann–Whitney, ties count one half)', () => {
  it('on hand-made examples', () => {
    // 4 pairs: (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) wins → 3 / 4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    // Pairs: positive 1 vs negative 1 tie (½), vs negative 0 win (1) → 1.5 / 2.
    expect(rocAuc([1, 1, 0], [true, false, false])).toBe(0.75);
    // Every score tied: a coin.
    expect(rocAuc([3, 3, 3, 3], [true, false, true, false])).toBe(0.5);
    expect(rocAuc([1, 2], [true, true])).toBeNull();
    expect(() => rocAuc([1], [true, false])).toThrow(/length/);
  });

  it('equals the pairwise count, and reverses under negation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 40 }),
        (rows) => {
          const scores = rows.map(([s]) => s);
          const labels = rows.map(([, l]) => l);
          const auc = rocAuc(scores, labels);
          const pos = rows.filter(([, l]) => l).map(([s]) => s);
          const neg = rows.filter(([, l]) => !l).map(([s]) => s);
          if (!pos.length || !neg.length) {
            expect(auc).toBeNull();
            return;
          }
          let wins = 0;
          for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
          expect(auc).toBeCloseTo(wins / (pos.length * neg.length), 12);
          expect(
            rocAuc(
              scores.map((s) => -s),
              labels,
            ),
          ).toBeCloseTo(1 - (auc ?? 0), 12);
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });
});

describe('holdout evaluation', () => {
  it('sums actual and predicted per calibration frequency and scores the recency rule', () => {
    const customer = (id: string, frequency: number, recency: number, holdoutPurchases: number, e: number) => ({
      summary: {
        customerId: id,
        firstPurchase: '1997-01-01',
        frequency,
        recency,
        T: 30,
        monetaryValue: 0,
        holdoutPurchases,
      },
      bgnbd: { pAlive: 1, expected: e },
      paretoNbd: { pAlive: 0.5, expected: e / 2 },
    });
    const report = evaluateHoldout(
      [
        customer('a', 0, 0, 1, 0.2),
        customer('b', 0, 0, 0, 0.2),
        customer('c', 9, 29, 4, 5),
        customer('d', 2, 10, 0, 1),
      ],
      { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30', weeks: 39 },
    );
    expect(HoldoutReportSchema.parse(report)).toEqual(report);
    expect(report.totals).toEqual({ frequency: 'all', customers: 4, actual: 5, bgnbd: 6.4, paretoNbd: 3.2 });
    expect(report.byFrequency.map((r) => [r.frequency, r.customers, r.actual])).toEqual([
      ['0', 2, 1],
      ['1', 0, 0],
      ['2', 1, 0],
      ['3', 0, 0],
      ['4', 0, 0],
      ['5', 0, 0],
      ['6', 0, 0],
      ['7+', 1, 4],
    ]);
    // Buyers a (gap 30 weeks) and c (gap 1); non-buyers b (30) and d (20): c beats both, a ties b, loses to d.
    expect(report.auc.all.daysSinceLastPurchase).toBe((2 + 0.5) / 4);
    expect(report.auc.all.bgnbdPAlive).toBe(0.5);
    expect(report.auc.repeatBuyers).toMatchObject({ buyers: 1, nonBuyers: 1, bgnbdExpectedTransactions: 1 });
  });
});

describe('scores', () => {
  const constantRate = (perWeek: number): PurchaseModel => ({
    pAlive: () => 1,
    expectedPurchases: (_, t) => perWeek * t,
  });

  it('discounted value: monthly purchases discounted at the monthly equivalent of the annual rate', () => {
    const c = { frequency: 1, recency: 1, T: 2 };
    const valuation = { annualDiscountRate: 0.1, months: 12 };
    const d = 1.1 ** (1 / 12) - 1;
    let factor = 0;
    for (let k = 1; k <= 12; k++) factor += 1 / (1 + d) ** k;
    expect(discountedValue(constantRate(0.5), c, 20, valuation)).toBeCloseTo(20 * 0.5 * WEEKS_PER_MONTH * factor, 10);
    expect(discountedValue(constantRate(0.5), c, 20, { ...valuation, annualDiscountRate: 0 })).toBeCloseTo(
      20 * 0.5 * (365.25 / 7),
      10,
    );
  });

  it('overdue: the first age at which P(alive) is below the threshold, never before the last purchase', () => {
    const model = paretoNbdModel(PNBD);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 60, noNaN: true }), (x, tx) => {
        const c = { frequency: x, recency: x ? tx : 0, T: 80 };
        const age = overdueAge(model, c, 0.5);
        if (age === null) return;
        expect(age).toBeGreaterThanOrEqual(c.recency);
        expect(model.pAlive({ ...c, T: age })).toBeLessThan(0.5);
        if (age > c.recency + 1e-3) expect(model.pAlive({ ...c, T: age - 1e-3 })).toBeGreaterThanOrEqual(0.5);
      }),
      { numRuns: 100, seed: 9 },
    );
    // BG/NBD never gives up on a one-time buyer.
    expect(overdueAge(bgNbdModel(BG), { frequency: 0, recency: 0, T: 10 }, 0.5)).toBeNull();
  });

  it('a customer score is valid and its overdue day is a date after the first purchase', () => {
    const summary = {
      customerId: '1',
      firstPurchase: '1997-01-01',
      frequency: 2,
      recency: 30.43,
      T: 38.86,
      monetaryValue: 28.1,
    };
    for (const model of [bgNbdModel(BG), paretoNbdModel(PNBD)]) {
      const score = scoreCustomer(summary, {
        model,
        spend: GG,
        horizonWeeks: 39,
        valuation: { annualDiscountRate: 0.1, months: 12 },
        overdueThreshold: 0.5,
      });
      expect(CustomerScoreSchema.parse(score)).toEqual(score);
      expect(score.overdueAt && score.overdueAt > '1997-08-02').toBe(true);
    }
  });
});

describe('buy-till-you-die domain purity', () => {
  const dir = fileURLToPath(new URL('../../shared/domain/btyd/', import.meta.url));
  it.each(readdirSync(dir).filter((f) => f.endsWith('.ts')))(
    '%s imports only zod, @stdlib math, its siblings and the pure domain',
    (file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      const modules = [...source.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      // The job-facing modules (base-model, customer-rfm, score-distribution) also read the stored customer's
      // shape from the pure domain (../*.ts, itself checked by domain-purity.test.ts) and hash ids with node:crypto.
      const allowed = (m: string) =>
        m === 'zod' ||
        m === 'node:crypto' ||
        m.startsWith('@stdlib/math-base-special-') ||
        m.startsWith('./') ||
        /^\.\.\/[a-z-]+\.ts$/.test(m);
      expect(modules.filter((m) => !allowed(m))).toEqual([]);
      expect(source).not.toMatch(/\bDate\.now\s*\(|\bnew\s+Date\s*\(\s*\)/);
    },
  );
});
