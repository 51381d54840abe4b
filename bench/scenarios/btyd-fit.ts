/**
 * (Over 400 lines on purpose: the fits, the scoring timings and the sample-size study share one simulated base and
 * one result shape; split, each part would rebuild the base.)
 *
 * What fitting and scoring the buy-till-you-die models costs (docs/predictive.md, "Fit time and sample size").
 * Pure CPU in this process; no servers.
 *
 *  - Simulated bases with known parameters (shared/domain/btyd/simulate.ts): a Pareto/NBD base with CDNOW-like
 *    parameters and Gamma-Gamma spend, and a BG/NBD base with the published CDNOW BG/NBD parameters; first
 *    purchases uniform over `acquisitionWeeks`, purchases on whole days, up to the calibration end.
 *  - Each model fitted on the whole base of --customers (100k by default; 1M in the 1M run): fit time (median of
 *    3 when a fit takes under CHEAP_FIT_SECONDS), optimiser iterations, distinct (x, t_x, T) rows, convergence and
 *    the recovered parameters against the true ones. The same on the CDNOW sample and the full CDNOW file.
 *  - Scoring time per customer (P(alive), expected purchases over the jobs' 90-day horizon, discounted 12-month
 *    value, the P(alive) = 0.5 crossing the daily flag schedules by), per model.
 *  - Sample size: the cohort job fits on the bottom-k of a hash of the customer id (shared/domain/btyd/
 *    base-model.ts); here bottom-k samples of 2.5k … 100k of a 1M base, several hash salts each, with each fit's
 *    time and its error against the true parameters and on the scores of a fixed set of customers.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fitBgNbd } from '../../shared/domain/btyd/bg-nbd.ts';
import { type CdnowFormat, parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import { summariseCustomers } from '../../shared/domain/btyd/customer-summary.ts';
import { fitGammaGamma, gammaGammaExpectedSpend } from '../../shared/domain/btyd/gamma-gamma.ts';
import { fitParetoNbd } from '../../shared/domain/btyd/pareto-nbd.ts';
import {
  type BgNbdParams,
  type CustomerSummary,
  DEFAULT_VALUATION,
  type GammaGammaParams,
  type ParetoNbdParams,
} from '../../shared/domain/btyd/schemas.ts';
import {
  bgNbdModel,
  discountedValue,
  overdueAge,
  type PurchaseModel,
  paretoNbdModel,
} from '../../shared/domain/btyd/score.ts';
import { bgNbdProcess, paretoNbdProcess, simulateCustomers } from '../../shared/domain/btyd/simulate.ts';
import { prng } from '../../shared/seed/synthetic-base.ts';
import { AS_OF_DATE } from '../context.ts';
import { log, median, seconds } from '../measure.ts';

/** Pareto/NBD and Gamma-Gamma: the CDNOW estimates (docs/predictive.md), rounded. */
export const PARETO_TRUTH: ParetoNbdParams = { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 };
export const SPEND_TRUTH: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
/** BG/NBD: the CDNOW estimates of Fader, Hardie & Lee (2005). */
export const BG_TRUTH: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** The sample-size study's base, and the sizes the cohort job could fit on. */
export const STUDY_BASE = 1_000_000;
export const SAMPLE_SIZES = [2_500, 10_000, 40_000, 100_000] as const;
/** Bottom-k samples (hash salts) per size: more where a fit is cheap and the spread is wide. */
const REPLICATES: Record<number, number> = { 2500: 5, 10000: 5, 40000: 2, 100000: 1 };
/** The customers whose scores under the sample's parameters are compared with those under the true ones. */
const SCORED_CUSTOMERS = 20_000;
/** Customers scored for the scoring time (the first of the base). */
const TIMED_SCORES = 100_000;
/** A fit quicker than this is repeated: its time is the median of 3. */
const CHEAP_FIT_SECONDS = 5;
/** The jobs' default horizon of "expected purchases" (base-model.ts horizonDays). */
const HORIZON_WEEKS = 90 / 7;
const SEEDS = { pareto: 14, bg: 41 } as const;

type Model = 'bg-nbd' | 'pareto-nbd' | 'gamma-gamma';

export interface ParamError {
  /** a parameter, or a derived quantity the data identify better (mean rate r/α, mean spend pγ/(q−1), …) */
  name: string;
  truth: number;
  fitted: number;
  /** (fitted − truth) / truth */
  relativeError: number;
}

export interface BtydFitTiming {
  model: Model;
  /** one fit (the median of `runs`) */
  seconds: number;
  runs: number;
  iterations: number;
  distinctRows: number;
  converged: boolean;
  problem?: string;
  logLikelihood: number | null;
  params: Record<string, number>;
  /** against the simulation's true parameters (simulated bases only) */
  errors?: ParamError[];
}

export interface BtydBaseFits {
  /** `simulated` or the CDNOW file */
  data: string;
  customers: number;
  repeatBuyers: number;
  fits: BtydFitTiming[];
  /** the bench run that measured these fits (sizes are kept across runs: the 1M run adds its own) */
  run?: string;
}

export interface ScoringTiming {
  model: 'bg-nbd' | 'pareto-nbd';
  customers: number;
  /** microseconds per customer, each measure alone (median of 3 passes) */
  pAliveMicros: number;
  expectedPurchasesMicros: number;
  /** discounted 12-month value, Gamma-Gamma spend included */
  valueMicros: number;
  /** the age at which P(alive) falls below 0.5 with no purchase (what the adaptive flag schedules by) */
  crossingMicros: number;
}

export interface SampleSizeRow {
  model: Model;
  size: number;
  replicates: number;
  converged: number;
  medianSeconds: number;
  medianIterations: number;
  medianDistinctRows: number;
  /** per parameter (and derived quantity): median and largest |relative error| over the replicates */
  errors: { name: string; medianAbs: number; maxAbs: number }[];
  /**
   * Scores of SCORED_CUSTOMERS customers under the sample's parameters vs the true ones (median over replicates):
   * mean |ΔP(alive)| and the relative error of their total expected purchases over the horizon; Gamma-Gamma: the
   * relative error of their mean expected spend.
   */
  pAliveMeanAbsDiff: number | null;
  expectedTotalRelError: number;
}

export interface BtydFitResult {
  simulation: {
    calibrationEnd: string;
    acquisitionWeeks: number;
    seeds: typeof SEEDS;
    truth: { paretoNbd: ParetoNbdParams; bgNbd: BgNbdParams; gammaGamma: GammaGammaParams };
  };
  /** whole-base fits by size (simulated), newest run per size */
  bases: BtydBaseFits[];
  cdnow: BtydBaseFits[];
  scoring: ScoringTiming[];
  samples: { base: number; scoredCustomers: number; horizonWeeks: number; rows: SampleSizeRow[] };
}

export interface BtydFitOptions {
  root: string;
  customers: number;
  acquisitionWeeks: number;
  cdnowFile: string;
}

type Fit = ReturnType<typeof fitBgNbd> | ReturnType<typeof fitParetoNbd> | ReturnType<typeof fitGammaGamma>;

/** The parameters and the derived quantities compared with the truth. */
function withDerived(model: Model, p: Record<string, number>): Record<string, number> {
  const get = (k: string) => p[k] ?? Number.NaN;
  if (model === 'gamma-gamma') return { ...p, 'pγ/(q−1)': (get('p') * get('gamma')) / (get('q') - 1) };
  if (model === 'bg-nbd') return { ...p, 'r/α': get('r') / get('alpha'), 'a/(a+b)': get('a') / (get('a') + get('b')) };
  return { ...p, 'r/α': get('r') / get('alpha'), 's/β': get('s') / get('beta') };
}

function paramErrors(model: Model, fitted: Record<string, number>, truth: Record<string, number>): ParamError[] {
  const f = withDerived(model, fitted);
  return Object.entries(withDerived(model, truth)).map(([name, t]) => {
    const v = f[name] ?? Number.NaN;
    return { name, truth: t, fitted: v, relativeError: (v - t) / t };
  });
}

/** One fit, timed; repeated (median of 3) when it is cheap. The fits are deterministic: the runs agree. */
function timeFit(model: Model, runFit: () => Fit, truth?: Record<string, number>): BtydFitTiming {
  const times: number[] = [];
  let result: Fit | undefined;
  do {
    const start = performance.now();
    result = runFit();
    times.push(seconds(start));
  } while (times.length < 3 && (times[0] ?? 0) < CHEAP_FIT_SECONDS);
  return {
    model,
    seconds: median(times),
    runs: times.length,
    iterations: result.iterations,
    distinctRows: result.distinctRows,
    converged: result.converged,
    ...(result.problem ? { problem: result.problem } : {}),
    logLikelihood: result.logLikelihood,
    params: { ...result.params },
    ...(truth ? { errors: paramErrors(model, result.params, truth) } : {}),
  };
}

const repeatBuyers = (customers: readonly CustomerSummary[]) => customers.filter((c) => c.frequency > 0).length;

/** The three fits; on simulated bases (`bg` drawn from BG/NBD, `pareto` from Pareto/NBD) against the truth. */
function fitAll(
  label: string,
  data: { pareto: readonly CustomerSummary[]; bg: readonly CustomerSummary[]; simulated: boolean },
): BtydFitTiming[] {
  const { pareto, bg, simulated } = data;
  const fits = [
    timeFit('bg-nbd', () => fitBgNbd(bg), simulated ? BG_TRUTH : undefined),
    timeFit('pareto-nbd', () => fitParetoNbd(pareto), simulated ? PARETO_TRUTH : undefined),
    timeFit('gamma-gamma', () => fitGammaGamma(pareto), simulated ? SPEND_TRUTH : undefined),
  ];
  for (const f of fits) {
    log(
      `btyd ${label}: ${f.model} ${f.seconds.toFixed(2)} s (${f.runs} run${f.runs > 1 ? 's' : ''}), ` +
        `${f.iterations} iterations, ${f.distinctRows} rows${f.converged ? '' : `, NOT converged: ${f.problem}`}`,
    );
  }
  return fits;
}

/** Microseconds per customer of `score` over `customers` (median of 3 passes). */
function microsPerCustomer(customers: readonly CustomerSummary[], score: (c: CustomerSummary) => number): number {
  const times: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < 3; pass++) {
    const start = performance.now();
    for (const c of customers) sink += score(c);
    times.push(seconds(start));
  }
  if (Number.isNaN(sink)) log('btyd scoring: a score was NaN');
  return (median(times) * 1e6) / customers.length;
}

function scoringTimes(
  model: ScoringTiming['model'],
  purchase: PurchaseModel,
  spend: GammaGammaParams,
  customers: readonly CustomerSummary[],
): ScoringTiming {
  const timing: ScoringTiming = {
    model,
    customers: customers.length,
    pAliveMicros: microsPerCustomer(customers, (c) => purchase.pAlive(c)),
    expectedPurchasesMicros: microsPerCustomer(customers, (c) => purchase.expectedPurchases(c, HORIZON_WEEKS)),
    valueMicros: microsPerCustomer(customers, (c) =>
      discountedValue(purchase, c, gammaGammaExpectedSpend(spend, c), DEFAULT_VALUATION),
    ),
    crossingMicros: microsPerCustomer(customers, (c) => overdueAge(purchase, c, 0.5) ?? 0),
  };
  const total = timing.pAliveMicros + timing.expectedPurchasesMicros + timing.valueMicros;
  log(`btyd scoring ${model}: ${total.toFixed(1)} µs per customer (+ ${timing.crossingMicros.toFixed(1)} µs crossing)`);
  return timing;
}

/**
 * The customers' indexes by ascending hash of their id: a prefix of k is the bottom-k sample. Salt 0 hashes the
 * id alone (sha256, first 32 bits, as base-model.ts sampleHash); other salts give independent samples.
 */
function hashOrder(customers: readonly CustomerSummary[], salt: number): Uint32Array {
  const hashes = new Uint32Array(customers.length);
  customers.forEach((c, i) => {
    const key = salt === 0 ? c.customerId : `${salt}:${c.customerId}`;
    hashes[i] = createHash('sha256').update(key).digest().readUInt32BE(0);
  });
  const order = Uint32Array.from(customers.keys());
  return order.sort((a, b) => (hashes[a] ?? 0) - (hashes[b] ?? 0) || a - b);
}

const take = (customers: readonly CustomerSummary[], order: Uint32Array, k: number) =>
  Array.from(order.subarray(0, k), (i) => customers[i] as CustomerSummary);

const sum = (xs: Iterable<number>) => {
  let total = 0;
  for (const x of xs) total += x;
  return total;
};

/** How far the scores under `fitted` are from those under the true model, on `scored`. */
function scoreError(
  scored: readonly CustomerSummary[],
  truth: PurchaseModel,
  fitted: PurchaseModel,
): { pAlive: number; expected: number } {
  let dp = 0;
  let eTruth = 0;
  let eFitted = 0;
  for (const c of scored) {
    dp += Math.abs(fitted.pAlive(c) - truth.pAlive(c));
    eTruth += truth.expectedPurchases(c, HORIZON_WEEKS);
    eFitted += fitted.expectedPurchases(c, HORIZON_WEEKS);
  }
  return { pAlive: dp / scored.length, expected: (eFitted - eTruth) / eTruth };
}

interface Replicate {
  fit: Fit;
  seconds: number;
  errors: ParamError[];
  pAlive: number | null;
  expected: number;
}

function sampleStudy(
  paretoBase: readonly CustomerSummary[],
  bgBase: readonly CustomerSummary[],
): BtydFitResult['samples'] {
  const scoredPareto = paretoBase.slice(0, SCORED_CUSTOMERS);
  const scoredBg = bgBase.slice(0, SCORED_CUSTOMERS);
  const repeatScored = scoredPareto.filter((c) => c.frequency > 0);
  const meanSpend = (p: GammaGammaParams) =>
    sum(repeatScored.map((c) => gammaGammaExpectedSpend(p, c))) / repeatScored.length;
  const byKey = new Map<string, Replicate[]>();
  const maxReplicates = Math.max(...Object.values(REPLICATES));
  for (let salt = 0; salt < maxReplicates; salt++) {
    const start = performance.now();
    const paretoOrder = hashOrder(paretoBase, salt);
    const bgOrder = hashOrder(bgBase, salt);
    log(
      `btyd samples: salt ${salt}, hash order of 2 × ${paretoBase.length} customers in ${seconds(start).toFixed(1)} s`,
    );
    for (const size of SAMPLE_SIZES) {
      if (salt >= (REPLICATES[size] ?? 1)) continue;
      const pareto = take(paretoBase, paretoOrder, size);
      const bg = take(bgBase, bgOrder, size);
      const runs: [
        Model,
        () => Fit,
        Record<string, number>,
        (f: Fit) => Omit<Replicate, 'fit' | 'seconds' | 'errors'>,
      ][] = [
        [
          'bg-nbd',
          () => fitBgNbd(bg),
          BG_TRUTH,
          (f) => {
            const e = scoreError(scoredBg, bgNbdModel(BG_TRUTH), bgNbdModel(f.params as BgNbdParams));
            return { pAlive: e.pAlive, expected: e.expected };
          },
        ],
        [
          'pareto-nbd',
          () => fitParetoNbd(pareto),
          PARETO_TRUTH,
          (f) => {
            const e = scoreError(
              scoredPareto,
              paretoNbdModel(PARETO_TRUTH),
              paretoNbdModel(f.params as ParetoNbdParams),
            );
            return { pAlive: e.pAlive, expected: e.expected };
          },
        ],
        [
          'gamma-gamma',
          () => fitGammaGamma(pareto),
          SPEND_TRUTH,
          (f) => ({
            pAlive: null,
            expected: meanSpend(f.params as GammaGammaParams) / meanSpend(SPEND_TRUTH) - 1,
          }),
        ],
      ];
      for (const [model, runFit, truth, scores] of runs) {
        const t0 = performance.now();
        const result = runFit();
        const replicate: Replicate = {
          fit: result,
          seconds: seconds(t0),
          errors: paramErrors(model, result.params, truth),
          ...scores(result),
        };
        const key = `${model}|${size}`;
        byKey.set(key, [...(byKey.get(key) ?? []), replicate]);
        log(
          `btyd samples: ${model} on ${size} (salt ${salt}) ${replicate.seconds.toFixed(2)} s, ` +
            `${result.distinctRows} rows, expected ${(replicate.expected * 100).toFixed(1)}%` +
            (result.converged ? '' : `, NOT converged: ${result.problem}`),
        );
      }
    }
  }
  const rows: SampleSizeRow[] = [];
  for (const model of ['bg-nbd', 'pareto-nbd', 'gamma-gamma'] as const) {
    for (const size of SAMPLE_SIZES) {
      const reps = byKey.get(`${model}|${size}`) ?? [];
      const names = reps[0]?.errors.map((e) => e.name) ?? [];
      const abs = (name: string) =>
        reps.map((r) => Math.abs(r.errors.find((e) => e.name === name)?.relativeError ?? 0));
      rows.push({
        model,
        size,
        replicates: reps.length,
        converged: reps.filter((r) => r.fit.converged).length,
        medianSeconds: median(reps.map((r) => r.seconds)),
        medianIterations: median(reps.map((r) => r.fit.iterations)),
        medianDistinctRows: median(reps.map((r) => r.fit.distinctRows)),
        errors: names.map((name) => ({ name, medianAbs: median(abs(name)), maxAbs: Math.max(...abs(name)) })),
        pAliveMeanAbsDiff: model === 'gamma-gamma' ? null : median(reps.map((r) => r.pAlive ?? 0)),
        expectedTotalRelError: median(reps.map((r) => Math.abs(r.expected))),
      });
    }
  }
  return { base: paretoBase.length, scoredCustomers: SCORED_CUSTOMERS, horizonWeeks: HORIZON_WEEKS, rows };
}

async function cdnowFits(root: string, cdnowFile: string): Promise<BtydBaseFits[]> {
  const inputs: [string, string, CdnowFormat][] = [
    [
      'tests/fixtures/cdnow-sample/CDNOW_sample.txt',
      join(root, 'tests/fixtures/cdnow-sample/CDNOW_sample.txt'),
      'cdnow-sample',
    ],
    ['CDNOW_master.txt', cdnowFile, 'cdnow'],
  ];
  const out: BtydBaseFits[] = [];
  for (const [label, path, format] of inputs) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      log(`btyd: ${path} not found, its fits are skipped`);
      continue;
    }
    const { transactions } = parseCdnowTransactions(text, format);
    const customers = summariseCustomers(transactions, { calibrationEnd: '1997-09-30' });
    out.push({
      data: label,
      customers: customers.length,
      repeatBuyers: repeatBuyers(customers),
      fits: fitAll(label, { pareto: customers, bg: customers, simulated: false }),
    });
  }
  return out;
}

export async function btydFitScenario(options: BtydFitOptions): Promise<BtydFitResult> {
  const generated = Math.max(options.customers, STUDY_BASE);
  const simulation = {
    observedWeeks: options.acquisitionWeeks,
    acquisitionWeeks: options.acquisitionWeeks,
    calibrationEnd: AS_OF_DATE,
  };
  const start = performance.now();
  const paretoAll = simulateCustomers(
    { ...simulation, customers: generated, spend: SPEND_TRUTH },
    paretoNbdProcess(PARETO_TRUTH),
    prng(SEEDS.pareto),
  );
  const bgAll = simulateCustomers({ ...simulation, customers: generated }, bgNbdProcess(BG_TRUTH), prng(SEEDS.bg));
  log(`btyd: simulated 2 × ${generated.toLocaleString('en-US')} customers in ${seconds(start).toFixed(1)} s`);

  // The whole base of --customers: the first customers of the simulated ones (independent draws: any prefix is a
  // base of its own).
  const pareto = paretoAll.slice(0, options.customers);
  const bg = bgAll.slice(0, options.customers);
  const label = `${options.customers.toLocaleString('en-US')} simulated`;
  const base: BtydBaseFits = {
    data: 'simulated',
    customers: options.customers,
    repeatBuyers: repeatBuyers(pareto),
    fits: fitAll(label, { pareto, bg, simulated: true }),
  };
  const fitted = (model: Model) => base.fits.find((f) => f.model === model)?.params ?? {};
  const spend = fitted('gamma-gamma') as GammaGammaParams;
  const scored = pareto.slice(0, TIMED_SCORES);
  const scoring = [
    scoringTimes('bg-nbd', bgNbdModel(fitted('bg-nbd') as BgNbdParams), spend, bg.slice(0, TIMED_SCORES)),
    scoringTimes('pareto-nbd', paretoNbdModel(fitted('pareto-nbd') as ParetoNbdParams), spend, scored),
  ];
  const samples = sampleStudy(paretoAll.slice(0, STUDY_BASE), bgAll.slice(0, STUDY_BASE));
  const cdnow = await cdnowFits(options.root, options.cdnowFile);
  return {
    simulation: {
      calibrationEnd: AS_OF_DATE,
      acquisitionWeeks: options.acquisitionWeeks,
      seeds: SEEDS,
      truth: { paretoNbd: PARETO_TRUTH, bgNbd: BG_TRUTH, gammaGamma: SPEND_TRUTH },
    },
    bases: [base],
    cdnow,
    scoring,
    samples,
  };
}

/**
 * The new section, keeping the whole-base fits of the other sizes from the previous one (the 100k run and the
 * 1M run each add theirs), each stamped with the run that measured it.
 */
export function mergeBtydFit(
  previous: (BtydFitResult & { run: string }) | undefined,
  next: BtydFitResult,
  run: string,
): BtydFitResult {
  const measured = new Set(next.bases.map((b) => b.customers));
  // Fits of another simulation (window, seeds, truth) are not comparable: dropped.
  const same = JSON.stringify(previous?.simulation) === JSON.stringify(next.simulation);
  const kept = same ? (previous?.bases ?? []).filter((b) => !measured.has(b.customers) && b.run !== undefined) : [];
  const bases = [...kept, ...next.bases.map((b) => ({ ...b, run }))].sort((a, b) => a.customers - b.customers);
  return { ...next, bases };
}
