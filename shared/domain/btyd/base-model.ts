/**
 * The predictive model of a customer base, as the scheduled jobs use it. Pure; time is passed in.
 *
 *  - The weekly cohort pass draws a uniform sample of the buyers (bottom-k: the `size` customers with the smallest
 *    hash of their id, so segments sample independently and the merge of their samples is the sample of the whole
 *    base) with each one's (x, t_x, T) as of the pass, and as of a calibration end `holdoutWeeks` earlier with the
 *    purchase days since. `fitBaseModel` fits Pareto/NBD, BG/NBD and Gamma-Gamma on it and checks the models on
 *    the base's own recent holdout. A failed or degenerate fit keeps the last good parameters and says so.
 *  - The daily flag and the activity recorder score customers with the model in force (`scoreCustomer`): P(alive),
 *    expected purchase days over a horizon, discounted 12-month value, value at risk; the adaptive lifecycle policy
 *    turns P(alive) into stages and schedules each customer's next check at the instant their P(alive) will cross
 *    the next threshold (`crossingInstant`), so the daily run still reads only customers whose check fell due.
 *
 * Scoring uses Pareto/NBD: BG/NBD gives every one-time buyer P(alive) = 1 whatever their silence (docs/predictive.md).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InstantSchema } from '../common.ts';
import type { Customer } from '../customer.ts';
import { fitBgNbd } from './bg-nbd.ts';
import { type CustomerRfm, dayOf, purchaseDaysBetween, purchaseDaysOf, rfmOfDays } from './customer-rfm.ts';
import { fitGammaGamma, gammaGammaExpectedSpend } from './gamma-gamma.ts';
import { fitParetoNbd, paretoNbdExpectedPurchases, paretoNbdPAlive } from './pareto-nbd.ts';
import { predictCustomerBase } from './predict.ts';
import {
  BgNbdFitSchema,
  type CustomerSummary,
  DEFAULT_VALUATION,
  GammaGammaFitSchema,
  HoldoutReportSchema,
  ParetoNbdFitSchema,
  ValuationSchema,
} from './schemas.ts';
import { discountedValue, overdueAge, paretoNbdModel } from './score.ts';

const DAY_MS = 86_400_000;
const count = z.number().int().nonnegative();

/** How the jobs fit and use the model (`engine.model` in the config). */
export const ModelSettingsSchema = z.object({
  /** fit the models in the weekly cohort pass (and score customers in the daily flag) */
  enabled: z.boolean().default(true),
  /**
   * Customers sampled for the fit (bottom-k by id hash). The sample travels in the full pass's checkpoints
   * (≤ 400 KB per item gzipped), and parameters from 10,000 customers are within a few percent of a fit on all
   * (bench: btyd sample sizes).
   */
  sampleSize: z.number().int().min(100).max(20_000).default(10_000),
  /** weeks before the as-of date the self-check's calibration ends: predicted vs actual purchases since */
  holdoutWeeks: z.number().int().min(4).max(104).default(26),
  /** the horizon of "expected purchases" stored with each score */
  horizonDays: z.number().int().min(7).max(730).default(90),
  valuation: ValuationSchema.default(DEFAULT_VALUATION),
  /** a fit on fewer buyers is not trusted (the last good parameters are kept) */
  minBuyers: z.number().int().min(10).default(200),
});
export type ModelSettings = z.infer<typeof ModelSettingsSchema>;
export const DEFAULT_MODEL_SETTINGS: ModelSettings = ModelSettingsSchema.parse({});

/**
 * One sampled buyer: [hash, x, t_x days, T days, purchase days, mean spend (minor), calibration x, calibration t_x
 * days, calibration T days (−1: first purchase after the calibration end), purchase days in the holdout]. A tuple,
 * not an object: 10,000 of them are a checkpoint.
 */
export const SampleRowSchema = z.tuple([
  z.number().int().nonnegative(),
  count,
  count,
  count,
  z.number().int().positive(),
  z.number().nonnegative(),
  count,
  count,
  z.number().int().min(-1),
  count,
]);
export type SampleRow = z.infer<typeof SampleRowSchema>;

export const ModelSampleSchema = z.object({
  asOf: InstantSchema,
  size: z.number().int().positive(),
  holdoutWeeks: z.number().int().positive(),
  /** buyers seen (sampled or not) */
  buyers: count,
  /** the sample, by ascending hash (at most `size`) */
  rows: z.array(SampleRowSchema),
});
export type ModelSample = z.infer<typeof ModelSampleSchema>;

export function emptyModelSample(asOf: string, settings: Pick<ModelSettings, 'sampleSize' | 'holdoutWeeks'>) {
  return { asOf, size: settings.sampleSize, holdoutWeeks: settings.holdoutWeeks, buyers: 0, rows: [] } as ModelSample;
}

/** A 32-bit hash of the customer id: the sample order (uniform, deterministic, independent of the data). */
export function sampleHash(customerId: string): number {
  return createHash('sha256').update(customerId).digest().readUInt32BE(0);
}

/** Tombstones of erased customers carry many customers' aggregates: not a customer the model should see. */
const isTombstone = (customer: Pick<Customer, 'customerId' | 'suppression'>) =>
  customer.suppression?.reason === 'erased' || customer.customerId.startsWith('erased-');

/**
 * Adds a customer (as they stood at the sample's as-of instant) to the sample. Kept sorted by hash; only the
 * smallest `size` hashes stay, so the sample is the same whatever order customers arrive in.
 */
export function addToSample(sample: ModelSample, customer: Pick<Customer, 'customerId' | 'months' | 'suppression'>) {
  if (isTombstone(customer)) return;
  const days = purchaseDaysOf(customer);
  const asOfDay = dayOf(sample.asOf);
  const now = rfmOfDays(days, asOfDay);
  if (!now) return;
  sample.buyers += 1;
  const h = sampleHash(customer.customerId);
  const last = sample.rows.at(-1);
  if (sample.rows.length >= sample.size && last && last[0] <= h) return;
  const calibrationDay = asOfDay - sample.holdoutWeeks * 7;
  const calibration = rfmOfDays(days, calibrationDay);
  const row: SampleRow = [
    h,
    now.frequency,
    Math.round(now.recency * 7),
    Math.round(now.T * 7),
    now.purchaseDays,
    Math.round(now.meanSpendMinor * 100) / 100,
    calibration?.frequency ?? 0,
    calibration ? Math.round(calibration.recency * 7) : 0,
    calibration ? Math.round(calibration.T * 7) : -1,
    calibration ? purchaseDaysBetween(days, calibrationDay, asOfDay) : 0,
  ];
  insertSorted(sample.rows, row);
  if (sample.rows.length > sample.size) sample.rows.pop();
}

function insertSorted(rows: SampleRow[], row: SampleRow) {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const at = rows[mid];
    if (at && at[0] < row[0]) lo = mid + 1;
    else hi = mid;
  }
  rows.splice(lo, 0, row);
}

/** The sample of two disjoint parts of the base (segments of one pass). */
export function mergeModelSamples(a: ModelSample, b: ModelSample): ModelSample {
  const rows = [...a.rows, ...b.rows].sort((x, y) => x[0] - y[0]).slice(0, a.size);
  return { ...a, buyers: a.buyers + b.buyers, rows };
}

export const ModelFitStatusSchema = z.enum(['fitted', 'kept-previous', 'none']);

/** What the weekly pass stores with the snapshot (report.model) and as the model in force. */
export const BaseModelSchema = z.object({
  /** the as-of instant of the pass that produced this record */
  asOf: InstantSchema,
  /**
   * fitted: parameters from this pass; kept-previous: this pass's fit failed or was degenerate (problem), the
   * parameters are those fitted as of `fittedAsOf`; none: no usable fit yet (too few buyers)
   */
  status: ModelFitStatusSchema,
  problem: z.string().optional(),
  /** the as-of of the pass whose parameters these are (the model's id) */
  fittedAsOf: InstantSchema.optional(),
  buyers: count,
  sampled: count,
  repeatBuyers: count,
  paretoNbd: ParetoNbdFitSchema.optional(),
  bgnbd: BgNbdFitSchema.optional(),
  gammaGamma: GammaGammaFitSchema.optional(),
  /** the self-check: fitted on the sample as of `holdoutWeeks` before, predicted vs actual purchase days since */
  holdout: HoldoutReportSchema.nullable().default(null),
  settings: ModelSettingsSchema,
});
export type BaseModel = z.infer<typeof BaseModelSchema>;

/** The sample's customers as the models see them, as of the pass (`now`) or as of the calibration end. */
function summaries(sample: ModelSample, at: 'now' | 'calibration'): CustomerSummary[] {
  const out: CustomerSummary[] = [];
  const asOfDay = dayOf(sample.asOf);
  const calibrationDay = asOfDay - sample.holdoutWeeks * 7;
  for (const [h, x, tx, T, , mean, cx, ctx, cT, holdout] of sample.rows) {
    if (at === 'calibration' && cT < 0) continue;
    const first = new Date((at === 'now' ? asOfDay - T : calibrationDay - cT) * DAY_MS).toISOString().slice(0, 10);
    out.push(
      at === 'now'
        ? {
            customerId: String(h),
            firstPurchase: first,
            frequency: x,
            recency: tx / 7,
            T: T / 7,
            // Gamma-Gamma sees every purchase day's mean (see customer-rfm.ts) with their count.
            monetaryValue: mean,
          }
        : {
            customerId: String(h),
            firstPurchase: first,
            frequency: cx,
            recency: ctx / 7,
            T: cT / 7,
            monetaryValue: mean,
            holdoutPurchases: holdout,
          },
    );
  }
  return out;
}

/** Spend rows for Gamma-Gamma: every purchase day of the buyers with more than one (count, mean). */
function spendRows(sample: ModelSample) {
  return sample.rows
    .filter((row) => row[4] > 1 && row[5] > 0)
    .map((row) => ({ frequency: row[4], monetaryValue: row[5] }));
}

/** Why a fit cannot be used for scoring, or undefined when it can. */
function unusable(fit: { converged: boolean; problem?: string | undefined } | undefined, name: string) {
  if (!fit) return `${name}: not fitted`;
  return fit.converged ? undefined : `${name}: ${fit.problem ?? 'did not converge'}`;
}

/**
 * Fits the models on the pass's sample. Primary course: enough buyers → Pareto/NBD, BG/NBD and Gamma-Gamma on the
 * sample as of the pass; the same on the sample as of the calibration end, scored against the holdout since.
 * Alternate: too few buyers, or a fit that did not converge (or a Gamma-Gamma with q ≤ 1: no finite mean spend) →
 * the previous good model's parameters are kept and `problem` says why ("none" when there is no previous one).
 */
export function fitBaseModel(sample: ModelSample, settings: ModelSettings, previous?: BaseModel): BaseModel {
  const base = {
    asOf: sample.asOf,
    buyers: sample.buyers,
    sampled: sample.rows.length,
    repeatBuyers: sample.rows.filter((r) => r[1] > 0).length,
    settings,
  };
  const keep = (problem: string): BaseModel => {
    const good = previous && previous.status !== 'none' ? previous : undefined;
    if (!good) return { ...base, status: 'none', problem, holdout: null };
    return {
      ...base,
      status: 'kept-previous',
      problem,
      ...(good.fittedAsOf ? { fittedAsOf: good.fittedAsOf } : {}),
      ...(good.paretoNbd ? { paretoNbd: good.paretoNbd } : {}),
      ...(good.bgnbd ? { bgnbd: good.bgnbd } : {}),
      ...(good.gammaGamma ? { gammaGamma: good.gammaGamma } : {}),
      holdout: good.holdout,
    };
  };
  if (sample.buyers < settings.minBuyers) {
    return keep(`${sample.buyers} buyers: at least ${settings.minBuyers} are needed for a fit`);
  }
  const current = summaries(sample, 'now');
  let paretoNbd: BaseModel['paretoNbd'];
  let bgnbd: BaseModel['bgnbd'];
  let gammaGamma: BaseModel['gammaGamma'];
  try {
    paretoNbd = fitParetoNbd(current);
    bgnbd = fitBgNbd(current);
    gammaGamma = fitGammaGamma(spendRows(sample));
  } catch (error) {
    return keep(`fit failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const problem =
    unusable(paretoNbd, 'Pareto/NBD') ??
    unusable(gammaGamma, 'Gamma-Gamma') ??
    (gammaGamma.params.q <= 1 ? 'Gamma-Gamma: q ≤ 1 (no finite mean spend)' : undefined);
  if (problem) return keep(problem);
  return {
    ...base,
    status: 'fitted',
    fittedAsOf: sample.asOf,
    paretoNbd,
    bgnbd,
    gammaGamma,
    holdout: selfCheck(sample, settings),
  };
}

/** The models fitted as of the calibration end and compared with the purchase days since (null: too few buyers). */
function selfCheck(sample: ModelSample, settings: ModelSettings) {
  const calibration = summaries(sample, 'calibration');
  if (calibration.length < settings.minBuyers) return null;
  const calibrationEnd = new Date((dayOf(sample.asOf) - sample.holdoutWeeks * 7) * DAY_MS).toISOString().slice(0, 10);
  try {
    return predictCustomerBase(calibration, {
      calibrationEnd,
      horizonWeeks: sample.holdoutWeeks,
      valuation: settings.valuation,
      overdueThreshold: 0.5,
      holdout: true,
    }).holdout;
  } catch {
    return null;
  }
}

/** The model a job scores with: the parameters in force and how to use them. */
export interface ScoringModel {
  /** the as-of of the pass that fitted the parameters (the model's id, stored with each score) */
  fittedAsOf: string;
  paretoNbd: NonNullable<BaseModel['paretoNbd']>['params'];
  gammaGamma: NonNullable<BaseModel['gammaGamma']>['params'];
  horizonDays: number;
  valuation: ModelSettings['valuation'];
}

/** The scoring model of a stored base model; undefined when it has no usable parameters. */
export function scoringModelOf(model: BaseModel | undefined): ScoringModel | undefined {
  if (!model || model.status === 'none' || !model.paretoNbd || !model.gammaGamma || !model.fittedAsOf) return undefined;
  return {
    fittedAsOf: model.fittedAsOf,
    paretoNbd: model.paretoNbd.params,
    gammaGamma: model.gammaGamma.params,
    horizonDays: model.settings.horizonDays,
    valuation: model.settings.valuation,
  };
}

/** A customer's score, stored on the customer by the job that computed it. */
export const CustomerScoreRecordSchema = z.object({
  /** when the score was computed (P(alive) is as of this instant) */
  at: InstantSchema,
  /** the model's id (BaseModel.fittedAsOf) */
  model: InstantSchema,
  pAlive: z.number().min(0).max(1),
  /** expected purchase days in the model's horizon (horizonDays after `at`) */
  expectedPurchases: z.number().nonnegative(),
  /** discounted expected spend over the valuation months, minor units */
  expectedValueMinor: z.number().int().nonnegative(),
  /**
   * What the chance of having lost the customer costs: their expected value if still alive times the chance they
   * are not, E[value | alive] · (1 − P(alive)) = expectedValue · (1 − P(alive)) / P(alive). Minor units.
   */
  valueAtRiskMinor: z.number().int().nonnegative(),
});
export type CustomerScoreRecord = z.infer<typeof CustomerScoreRecordSchema>;

/** The model's view of a customer at an instant, from their aggregates; undefined before any purchase. */
export function scoreRfm(model: ScoringModel, rfm: CustomerRfm, at: string): CustomerScoreRecord {
  const c = { frequency: rfm.frequency, recency: rfm.recency, T: rfm.T };
  const pAlive = paretoNbdPAlive(model.paretoNbd, c);
  const spend = gammaGammaExpectedSpend(model.gammaGamma, {
    frequency: rfm.purchaseDays,
    monetaryValue: rfm.meanSpendMinor,
  });
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
