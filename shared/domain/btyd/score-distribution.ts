/**
 * How the model scores the base, per cohort: the distribution of P(alive) and of expected 12-month value, and the
 * customers with the most value at risk (ids only). Accumulated in the weekly cohort pass, which reads every
 * customer anyway, scoring each with the model in force when the pass started (closed form per customer); additive,
 * so segments merge exactly. Pure.
 */
import type { Customer } from '../customer.ts';
import { monthKey } from '../time.ts';
import { rfmOfCustomer } from './customer-rfm.ts';
import {
  type CohortScores,
  P_ALIVE_BINS,
  type ScoreDistribution,
  type ScoringModel,
  TOP_AT_RISK,
  VALUE_BOUNDS,
} from './model-record.ts';
import { scoreRfm } from './model-scoring.ts';

export {
  AtRiskCustomerSchema,
  type CohortScores,
  CohortScoresSchema,
  P_ALIVE_BINS,
  type ScoreDistribution,
  ScoreDistributionSchema,
  TOP_AT_RISK,
  VALUE_BOUNDS,
} from './model-record.ts';

export function emptyScoreDistribution(asOf: string, model: string, currency: string): ScoreDistribution {
  return { asOf, model, currency, cohorts: {}, topAtRisk: [] };
}

const emptyCohort = (): CohortScores => ({
  customers: 0,
  pAlive: Array.from({ length: P_ALIVE_BINS }, () => 0),
  pAliveSum: 0,
  value: Array.from({ length: VALUE_BOUNDS.length + 1 }, () => 0),
  expectedValueMinor: 0,
  valueAtRiskMinor: 0,
});

export function valueBin(valueMinor: number, minorPerMajor: number): number {
  const major = valueMinor / minorPerMajor;
  const i = VALUE_BOUNDS.findIndex((bound) => major < bound);
  return i === -1 ? VALUE_BOUNDS.length : i;
}

/** Scores the customer (as of the distribution's instant) and adds them; customers with no purchase are skipped. */
export function addToScoreDistribution(
  distribution: ScoreDistribution,
  model: ScoringModel,
  customer: Pick<Customer, 'customerId' | 'months' | 'firstPurchaseAt' | 'suppression'>,
  minorPerMajor: number,
): void {
  if (!customer.firstPurchaseAt || customer.firstPurchaseAt > distribution.asOf) return;
  if (customer.suppression?.reason === 'erased') return;
  const rfm = rfmOfCustomer(customer, distribution.asOf);
  if (!rfm) return;
  const score = scoreRfm(model, rfm, distribution.asOf);
  const cohort = monthKey(customer.firstPurchaseAt);
  let row = distribution.cohorts[cohort];
  if (!row) {
    row = emptyCohort();
    distribution.cohorts[cohort] = row;
  }
  row.customers += 1;
  const bin = Math.min(P_ALIVE_BINS - 1, Math.floor(score.pAlive * P_ALIVE_BINS));
  row.pAlive[bin] = (row.pAlive[bin] ?? 0) + 1;
  row.pAliveSum += score.pAlive;
  const vb = valueBin(score.expectedValueMinor, minorPerMajor);
  row.value[vb] = (row.value[vb] ?? 0) + 1;
  row.expectedValueMinor += score.expectedValueMinor;
  row.valueAtRiskMinor += score.valueAtRiskMinor;
  if (score.valueAtRiskMinor > 0) {
    keepTop(distribution.topAtRisk, {
      customerId: customer.customerId,
      cohort,
      pAlive: score.pAlive,
      expectedValueMinor: score.expectedValueMinor,
      valueAtRiskMinor: score.valueAtRiskMinor,
    });
  }
}

type AtRisk = ScoreDistribution['topAtRisk'][number];
const byRisk = (a: AtRisk, b: AtRisk) =>
  b.valueAtRiskMinor - a.valueAtRiskMinor || a.customerId.localeCompare(b.customerId);

function keepTop(list: AtRisk[], entry: AtRisk) {
  const last = list.at(-1);
  if (list.length >= TOP_AT_RISK && last && byRisk(entry, last) >= 0) return;
  list.push(entry);
  list.sort(byRisk);
  if (list.length > TOP_AT_RISK) list.pop();
}

/** Two segments' distributions added together (disjoint customers). */
export function mergeScoreDistributions(a: ScoreDistribution, b: ScoreDistribution): ScoreDistribution {
  const cohorts: ScoreDistribution['cohorts'] = {};
  for (const [key, row] of [...Object.entries(a.cohorts), ...Object.entries(b.cohorts)]) {
    const into = cohorts[key];
    if (!into) {
      cohorts[key] = { ...row, pAlive: [...row.pAlive], value: [...row.value] };
      continue;
    }
    into.customers += row.customers;
    into.pAlive = into.pAlive.map((n, i) => n + (row.pAlive[i] ?? 0));
    into.pAliveSum += row.pAliveSum;
    into.value = into.value.map((n, i) => n + (row.value[i] ?? 0));
    into.expectedValueMinor += row.expectedValueMinor;
    into.valueAtRiskMinor += row.valueAtRiskMinor;
  }
  const topAtRisk = [...a.topAtRisk, ...b.topAtRisk].sort(byRisk).slice(0, TOP_AT_RISK);
  return { ...a, cohorts, topAtRisk, ...(a.incomplete || b.incomplete ? { incomplete: true } : {}) };
}
