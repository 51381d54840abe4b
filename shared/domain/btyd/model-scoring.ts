/**
 * Scoring a customer with the model in force: P(alive), expected purchases, discounted value, value at risk, the
 * instant P(alive) will cross a threshold, and the CustomerScorer that reclassify uses under the adaptive policy.
 * Pure; bundled only into the jobs that score (flag, activity recorder, cohort pass).
 */
import type { CustomerScorer } from '../customer.ts';
import { type CustomerRfm, dayOf, purchaseDaysOf, rfmOfDays } from './customer-rfm.ts';
import { gammaGammaExpectedSpend } from './gamma-gamma.ts';
import type { CustomerScoreRecord, ScoringModel } from './model-record.ts';
import { paretoNbdExpectedPurchases, paretoNbdPAlive } from './pareto-nbd.ts';
import { discountedValue, overdueAge, paretoNbdModel } from './score.ts';

const DAY_MS = 86_400_000;

/** The model's view of a customer at an instant, from their aggregates; undefined before any purchase. */
export function scoreRfm(model: ScoringModel, rfm: CustomerRfm, at: string): CustomerScoreRecord {
  const c = { frequency: rfm.frequency, recency: rfm.recency, T: rfm.T };
  const pAlive = paretoNbdPAlive(model.paretoNbd, c);
  const spend = model.gammaGamma
    ? gammaGammaExpectedSpend(model.gammaGamma, { frequency: rfm.purchaseDays, monetaryValue: rfm.meanSpendMinor })
    : rfm.meanSpendMinor;
  const value = discountedValue(paretoNbdModel(model.paretoNbd), c, spend, model.valuation);
  // E[value | alive] = value / P(alive); the value at risk is what the (1 − P(alive)) chance of "gone" takes away.
  const atRisk = pAlive > 1e-12 ? (value * (1 - pAlive)) / pAlive : 0;
  return {
    at,
    model: model.fittedAsOf,
    pAlive: clamp01(pAlive),
    expectedPurchases: Math.max(0, paretoNbdExpectedPurchases(model.paretoNbd, c, model.horizonDays / 7)),
    expectedValueMinor: finiteRound(value),
    valueAtRiskMinor: finiteRound(atRisk),
  };
}

/**
 * The first day on which the customer's P(alive) is below `threshold` if they buy nothing more after their last
 * purchase (it only falls with silence), as its first instant; undefined when it stays above it for ten years.
 */
export function crossingInstant(model: ScoringModel, rfm: CustomerRfm, threshold: number): string | undefined {
  const age = overdueAge(paretoNbdModel(model.paretoNbd), rfm, threshold);
  if (age === null) return undefined;
  // The start of the first whole day of age ≥ the crossing: P(alive) is computed per day (T in whole days), and on
  // that day it is below the threshold, so a check scheduled here finds the customer crossed.
  return new Date((rfm.firstDay + Math.ceil(age * 7)) * DAY_MS).toISOString();
}

const clamp01 = (p: number) => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0);
const finiteRound = (v: number) => (Number.isFinite(v) && v > 0 ? Math.round(v) : 0);

/** What reclassify needs of the model for one customer: their survival curve and their score. */
export function customerScorer(model: ScoringModel): CustomerScorer {
  return {
    model: model.fittedAsOf,
    survival(customer) {
      const days = purchaseDaysOf(customer);
      const last = days.at(-1);
      if (!last) return undefined;
      return {
        model: model.fittedAsOf,
        pAliveAt(instant) {
          const rfm = rfmOfDays(days, Math.max(dayOf(instant), last.day));
          return rfm ? paretoNbdPAlive(model.paretoNbd, rfm) : 1;
        },
        crossing(threshold) {
          const rfm = rfmOfDays(days, last.day);
          return rfm ? crossingInstant(model, rfm, threshold) : undefined;
        },
      };
    },
    score(customer, now) {
      const days = purchaseDaysOf(customer);
      const last = days.at(-1);
      if (!last) return undefined;
      const rfm = rfmOfDays(days, Math.max(dayOf(now), last.day));
      return rfm ? scoreRfm(model, rfm, now) : undefined;
    },
  };
}
