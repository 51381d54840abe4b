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
import { dayOf, purchaseDaysBetween, purchaseDaysOf, rfmOfDays } from './customer-rfm.ts';
import { fitGammaGamma } from './gamma-gamma.ts';
import { type BaseModel, type ModelSettings, spendModelProblem } from './model-record.ts';
import { fitParetoNbd } from './pareto-nbd.ts';
import { predictCustomerBase } from './predict.ts';
import type { CustomerSummary } from './schemas.ts';

export * from './model-record.ts';

const DAY_MS = 86_400_000;
const count = z.number().int().nonnegative();

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
  const problem = unusable(paretoNbd, 'Pareto/NBD');
  if (problem) return keep(problem);
  // A spend model that cannot be used (e.g. every customer always spends the same: no spread within customers to
  // identify it) does not stop the purchase model: values then use each customer's own mean spend.
  const spendProblem = spendModelProblem(gammaGamma);
  return {
    ...base,
    status: 'fitted',
    ...(spendProblem ? { spendProblem: `${spendProblem}; expected values use each customer's own mean spend` } : {}),
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
