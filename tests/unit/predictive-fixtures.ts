import { readFileSync } from 'node:fs';
import {
  addToSample,
  type BaseModel,
  DEFAULT_MODEL_SETTINGS,
  emptyModelSample,
  fitBaseModel,
  type ModelSettings,
  scoringModelOf,
} from '../../shared/domain/btyd/base-model.ts';
import { parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import {
  addToScoreDistribution,
  emptyScoreDistribution,
  type ScoreDistribution,
} from '../../shared/domain/btyd/score-distribution.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { addOrder, type Customer, newCustomer } from '../../shared/domain/customer.ts';
import { endOfDay } from '../../shared/domain/time.ts';

const SAMPLE = new URL('../fixtures/cdnow-sample/CDNOW_sample.txt', import.meta.url);

/** The CDNOW 1/10 sample as stored customers: one order per transaction, aggregates by the domain's addOrder. */
export function cdnowCustomers(): Customer[] {
  const { transactions, rejected } = parseCdnowTransactions(readFileSync(SAMPLE, 'utf8'), 'cdnow-sample');
  if (rejected.length > 0) throw new Error(`CDNOW sample: ${rejected.length} rows rejected`);
  const byId = new Map<string, Customer>();
  transactions.forEach((t, i) => {
    const current = byId.get(t.customerId) ?? newCustomer(t.customerId, 'USD');
    byId.set(
      t.customerId,
      addOrder(current, {
        orderId: `cdnow-${t.customerId}-${i}`,
        amountMinor: Math.round(t.amount * 100),
        placedAt: `${t.day}T12:00:00.000Z`,
      }),
    );
  });
  return [...byId.values()];
}

/** As the weekly pass would: the whole sample (2,357 buyers) as of 1998-06-30, self-checked on the last 39 weeks. */
export const CDNOW_AS_OF = endOfDay('1998-06-30');
export const CDNOW_SETTINGS: ModelSettings = { ...DEFAULT_MODEL_SETTINGS, holdoutWeeks: 39 };

export function fitOn(customers: readonly Customer[], asOf: string, settings: ModelSettings, previous?: BaseModel) {
  const sample = emptyModelSample(asOf, settings);
  for (const c of customers) addToSample(sample, c);
  return fitBaseModel(sample, settings, previous);
}

export function scoresOf(customers: readonly Customer[], model: BaseModel, asOf: string): ScoreDistribution {
  const scoring = scoringModelOf(model);
  if (!scoring) throw new Error(`no scoring model: ${model.status} ${model.problem ?? ''}`);
  const distribution = emptyScoreDistribution(asOf, scoring.fittedAsOf, 'USD');
  for (const c of customers) addToScoreDistribution(distribution, scoring, c, 100);
  return distribution;
}

/** The cohort report of the CDNOW sample with the model fitted on it and the base scored with that model. */
export function cdnowPredictiveReport(): { report: CohortReport; customers: Customer[] } {
  const customers = cdnowCustomers();
  const model = fitOn(customers, CDNOW_AS_OF, CDNOW_SETTINGS);
  const report: CohortReport = {
    ...computeCohorts(customers, CDNOW_AS_OF, 'USD', CDNOW_AS_OF),
    model,
    scores: scoresOf(customers, model, CDNOW_AS_OF),
  };
  return { report, customers };
}
