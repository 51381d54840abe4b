/**
 * The buy-till-you-die models on the CDNOW 1/10 sample against the published results: Fader, Hardie & Lee (2005)
 * for BG/NBD (CLVTools reproduces 0.2426, 4.4136, 0.7929, 2.4259, LL −9582.429), Fader & Hardie's Pareto/NBD
 * note (0.553, 10.578, 0.606, 11.669, LL −9595.0) and FHL's "RFM and CLV" Gamma-Gamma on the 946 repeat buyers
 * (6.25, 3.74, 15.44). Then the 39-week holdout (1997-10-01 … 1998-06-30), which is real outcomes.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import { summariseCustomers } from '../../shared/domain/btyd/customer-summary.ts';
import { type Prediction, predictCustomerBase } from '../../shared/domain/btyd/predict.ts';
import {
  BgNbdFitSchema,
  CustomerScoreSchema,
  type CustomerSummary,
  GammaGammaFitSchema,
  HoldoutReportSchema,
  ParetoNbdFitSchema,
} from '../../shared/domain/btyd/schemas.ts';

const FIXTURES = new URL('../fixtures/cdnow-sample/', import.meta.url);
const text = readFileSync(new URL('CDNOW_sample.txt', FIXTURES), 'utf8');

/** |ours − published| / published. */
const relative = (ours: number, published: number) => Math.abs(ours - published) / Math.abs(published);

let summaries: CustomerSummary[];
let prediction: Prediction;

beforeAll(() => {
  const parsed = parseCdnowTransactions(text, 'cdnow-sample');
  expect(parsed.rejected).toEqual([]);
  summaries = summariseCustomers(parsed.transactions, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30' });
  prediction = predictCustomerBase(summaries, {
    calibrationEnd: '1997-09-30',
    horizonWeeks: 39,
    valuation: { annualDiscountRate: 0.1, months: 12 },
    overdueThreshold: 0.5,
    holdout: true,
  });
});

describe('CDNOW sample: the calibration summary', () => {
  it('matches the published per-customer summary (frequency, recency, T in weeks) for all 2,357 customers', () => {
    const published = readFileSync(new URL('cdnow_customers_summary.csv', FIXTURES), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number));
    expect(published).toHaveLength(2357);
    expect(summaries).toHaveLength(2357);
    const byId = new Map(summaries.map((s) => [s.customerId, s]));
    const mismatches = published.filter(([id, frequency, recency, T]) => {
      const ours = byId.get(String(id));
      return (
        !ours ||
        ours.frequency !== frequency ||
        Math.abs(ours.recency - (recency ?? Number.NaN)) > 0.005 ||
        Math.abs(ours.T - (T ?? Number.NaN)) > 0.005
      );
    });
    expect(mismatches).toEqual([]);
    expect(summaries.filter((s) => s.frequency > 0)).toHaveLength(946);
  });
});

describe('CDNOW sample: fitted parameters vs the literature', () => {
  it('BG/NBD: r 0.2426, α 4.4136, a 0.7929, b 2.4259 within 0.5 %, LL −9582.43 within 0.1', () => {
    const fit = BgNbdFitSchema.parse(prediction.bgnbd);
    expect(fit.converged).toBe(true);
    expect(fit.distinctRows).toBeLessThan(summaries.length / 2);
    const { r, alpha, a, b } = fit.params;
    expect(relative(r, 0.2426)).toBeLessThan(0.005);
    expect(relative(alpha, 4.4136)).toBeLessThan(0.005);
    expect(relative(a, 0.7929)).toBeLessThan(0.005);
    expect(relative(b, 2.4259)).toBeLessThan(0.005);
    expect(Math.abs((fit.logLikelihood ?? 0) - -9582.429)).toBeLessThan(0.1);
  });

  it('Pareto/NBD: r 0.553, α 10.578, s 0.606 within 0.5 %, β 11.669 within 2 % (flat), LL −9595.0 within 0.1', () => {
    const fit = ParetoNbdFitSchema.parse(prediction.paretoNbd);
    expect(fit.converged).toBe(true);
    const { r, alpha, s, beta } = fit.params;
    expect(relative(r, 0.553)).toBeLessThan(0.005);
    expect(relative(alpha, 10.578)).toBeLessThan(0.005);
    expect(relative(s, 0.606)).toBeLessThan(0.005);
    expect(relative(beta, 11.669)).toBeLessThan(0.02);
    expect(Math.abs((fit.logLikelihood ?? 0) - -9595.0)).toBeLessThan(0.1);
  });

  it('Gamma-Gamma on the 946 repeat buyers (mean value of a repeat purchase day): p 6.25, q 3.74, γ 15.44', () => {
    const fit = GammaGammaFitSchema.parse(prediction.gammaGamma);
    expect(fit.converged).toBe(true);
    expect(fit.distinctRows).toBe(946);
    expect(relative(fit.params.p, 6.25)).toBeLessThan(0.005);
    expect(relative(fit.params.q, 3.74)).toBeLessThan(0.005);
    expect(relative(fit.params.gamma, 15.44)).toBeLessThan(0.005);
  });
});

describe('CDNOW sample: the 39-week holdout', () => {
  it('counts the actual repeat purchase days of the holdout like a direct count of the file', () => {
    // Independent of the summary code: distinct (sample id, day) pairs dated 1997-10-01 … 1998-06-30.
    const days = new Set(
      text
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([, , date]) => (date ?? '') > '19970930' && (date ?? '') <= '19980630')
        .map(([, id, date]) => `${id}-${date}`),
    );
    const report = HoldoutReportSchema.parse(prediction.holdout);
    expect(report.totals.actual).toBe(days.size);
    expect(report.totals.customers).toBe(2357);
    expect(report.byFrequency.reduce((s, r) => s + r.customers, 0)).toBe(2357);
  });

  it('predicts the holdout total within 15 % and the heaviest buyers (7+) within 10 %', () => {
    const report = HoldoutReportSchema.parse(prediction.holdout);
    for (const model of ['bgnbd', 'paretoNbd'] as const) {
      // Both models under-predict this holdout by 11–12 % in sum (most of it the one-time buyers): 10 % would fail.
      expect(relative(report.totals[model], report.totals.actual)).toBeLessThan(0.15);
      const heavy = report.byFrequency.find((r) => r.frequency === '7+');
      expect(relative(heavy?.[model] ?? 0, heavy?.actual ?? 1)).toBeLessThan(0.1);
      // Per customer the prediction rises with the calibration frequency, as the actuals do.
      const means = report.byFrequency.map((r) => r[model] / r.customers);
      for (let k = 1; k < means.length; k++) expect(means[k]).toBeGreaterThan(means[k - 1] ?? 0);
    }
  });

  it('ranks next-period buyers well by expected transactions; BG/NBD P(alive) cannot rank one-time buyers', () => {
    const { all, repeatBuyers } = HoldoutReportSchema.parse(prediction.holdout).auc;
    expect(all.buyers + all.nonBuyers).toBe(2357);
    expect(repeatBuyers.buyers + repeatBuyers.nonBuyers).toBe(946);
    for (const group of [all, repeatBuyers]) {
      expect(group.bgnbdExpectedTransactions).toBeGreaterThan(0.65);
      expect(group.paretoNbdExpectedTransactions).toBeGreaterThan(0.65);
      expect(group.daysSinceLastPurchase).toBeGreaterThan(0.6);
    }
    // Every one-time buyer gets P(alive) = 1 under BG/NBD, above every repeat buyer, though they buy again least.
    expect(all.bgnbdPAlive).toBeLessThan(0.5);
    expect(all.paretoNbdPAlive).toBeGreaterThan(0.65);
  });

  it('gives every customer a valid score', () => {
    for (const c of prediction.customers) {
      CustomerScoreSchema.parse(c.bgnbd);
      CustomerScoreSchema.parse(c.paretoNbd);
    }
    const first = prediction.customers.find((c) => c.summary.customerId === '1');
    // FHL 2005's worked example (customer 1: x = 2, t_x = 30.43, T = 38.86): 1.226 expected in 39 weeks.
    expect(first?.bgnbd.expectedTransactions).toBeCloseTo(1.226, 2);
  });
});
