/**
 * The whole prediction on a customer base, as one pure use case. Primary course:
 *  1. fit BG/NBD and Pareto/NBD on every customer's (x, t_x, T), Gamma-Gamma on the repeat buyers' spend;
 *  2. score every customer under both purchase models (P(alive), expected purchases over the horizon, discounted
 *     value, overdue day);
 *  3. when the data reach past the calibration end, compare the predictions with the holdout period.
 */
import { fitBgNbd } from './bg-nbd.ts';
import { dayAfterWeeks } from './customer-summary.ts';
import { fitGammaGamma } from './gamma-gamma.ts';
import { evaluateHoldout, type HoldoutCustomer } from './holdout.ts';
import { fitParetoNbd } from './pareto-nbd.ts';
import type {
  BgNbdFit,
  CustomerScore,
  CustomerSummary,
  GammaGammaFit,
  HoldoutReport,
  ParetoNbdFit,
  Valuation,
} from './schemas.ts';
import { bgNbdModel, paretoNbdModel, scoreCustomer } from './score.ts';

export interface PredictOptions {
  calibrationEnd: string;
  horizonWeeks: number;
  valuation: Valuation;
  overdueThreshold: number;
  /** compare with the holdout (calibrationEnd, calibrationEnd + horizonWeeks]; summaries must carry holdoutPurchases */
  holdout: boolean;
}

export interface CustomerPrediction {
  summary: CustomerSummary;
  bgnbd: CustomerScore;
  paretoNbd: CustomerScore;
}

export interface Prediction {
  bgnbd: BgNbdFit;
  paretoNbd: ParetoNbdFit;
  gammaGamma: GammaGammaFit;
  customers: CustomerPrediction[];
  holdout: HoldoutReport | null;
}

export function predictCustomerBase(summaries: readonly CustomerSummary[], options: PredictOptions): Prediction {
  if (summaries.length === 0) throw new Error('no customers bought by the calibration end: nothing to fit');
  const bgnbd = fitBgNbd(summaries);
  const paretoNbd = fitParetoNbd(summaries);
  const gammaGamma = fitGammaGamma(summaries);
  const common = {
    spend: gammaGamma.params,
    horizonWeeks: options.horizonWeeks,
    valuation: options.valuation,
    overdueThreshold: options.overdueThreshold,
  };
  const bg = { ...common, model: bgNbdModel(bgnbd.params) };
  const pareto = { ...common, model: paretoNbdModel(paretoNbd.params) };
  const customers = summaries.map((summary) => ({
    summary,
    bgnbd: scoreCustomer(summary, bg),
    paretoNbd: scoreCustomer(summary, pareto),
  }));
  const holdout = options.holdout
    ? evaluateHoldout(
        customers.map(
          (c): HoldoutCustomer => ({
            summary: c.summary,
            bgnbd: { pAlive: c.bgnbd.pAlive, expected: c.bgnbd.expectedTransactions },
            paretoNbd: { pAlive: c.paretoNbd.pAlive, expected: c.paretoNbd.expectedTransactions },
          }),
        ),
        {
          calibrationEnd: options.calibrationEnd,
          holdoutEnd: dayAfterWeeks(options.calibrationEnd, options.horizonWeeks),
          weeks: options.horizonWeeks,
        },
      )
    : null;
  return { bgnbd, paretoNbd, gammaGamma, customers, holdout };
}
