/**
 * Customer bases drawn from the models themselves, with known parameters: for the recovery tests (a fit must find
 * the parameters it was simulated with) and the bench (fit time and sample size on a base of a million). Pure and
 * deterministic: the random source is passed in (shared/seed/synthetic-base.ts `prng(seed)`), so the same seed
 * gives the same base.
 *
 * Each customer's first purchase falls uniformly in an acquisition window that starts `observedWeeks` before the
 * calibration end; their purchases are a model's process from then on, rounded to whole days (several on one day
 * are one purchase, the first day's included), up to the calibration end. Time is in weeks, as the models expect.
 */
import { dayNumber } from './customer-summary.ts';
import type { BgNbdParams, CustomerSummary, GammaGammaParams, ParetoNbdParams } from './schemas.ts';

/** Uniform on [0, 1). */
export type Random = () => number;

/** Given the time of the last purchase (weeks since the first), the next one, or null once the customer is gone. */
export type PurchaseProcess = (t: number) => number | null;

/** Draws one customer's latent traits and returns their purchase process. */
export type CustomerProcess = (u: Random) => PurchaseProcess;

function normal(u: Random): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (shape < 1 via the u^(1/shape) boost). */
export function gammaVariate(u: Random, shape: number, rate: number): number {
  if (shape < 1) return gammaVariate(u, shape + 1, rate) * u() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v = (1 + c * x) ** 3;
    if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export const exponentialVariate = (u: Random, rate: number) => -Math.log(1 - u()) / rate;

/** Pareto/NBD: Poisson purchases at λ ~ Gamma(r, α) until an exponential lifetime of rate μ ~ Gamma(s, β). */
export const paretoNbdProcess =
  (truth: ParetoNbdParams): CustomerProcess =>
  (u) => {
    const lambda = gammaVariate(u, truth.r, truth.alpha);
    const death = exponentialVariate(u, gammaVariate(u, truth.s, truth.beta));
    return (t) => {
      const at = t + exponentialVariate(u, lambda);
      return at > death ? null : at;
    };
  };

/** BG/NBD: Poisson purchases at λ ~ Gamma(r, α); after each repeat purchase, gone with chance p ~ Beta(a, b). */
export const bgNbdProcess =
  (truth: BgNbdParams): CustomerProcess =>
  (u) => {
    const lambda = gammaVariate(u, truth.r, truth.alpha);
    const x = gammaVariate(u, truth.a, 1);
    const p = x / (x + gammaVariate(u, truth.b, 1));
    let alive = true;
    return (t) => {
      if (!alive) return null;
      const at = t + exponentialVariate(u, lambda);
      if (u() < p) alive = false;
      return at;
    };
  };

export interface SimulationOptions {
  customers: number;
  /** weeks from the start of the acquisition window to the calibration end (the oldest customer's T) */
  observedWeeks: number;
  /** first purchases are uniform over the first `acquisitionWeeks` of them */
  acquisitionWeeks: number;
  /** the calibration end (YYYY-MM-DD): sets each customer's first purchase date */
  calibrationEnd: string;
  /** spend per repeat purchase day ~ Gamma(p, ν), ν ~ Gamma(q, γ) per customer; without it monetaryValue is 0 */
  spend?: GammaGammaParams;
  /** customer ids are `${idPrefix}${index}` (default `c`) */
  idPrefix?: string;
}

const DAY_MS = 86_400_000;
/** Weeks on whole days. */
const wholeDays = (weeks: number) => Math.floor(weeks * 7) / 7;

/** The base, one summary per customer in index order, drawn from `process` with the random source `u`. */
export function simulateCustomers(options: SimulationOptions, process: CustomerProcess, u: Random): CustomerSummary[] {
  const end = dayNumber(options.calibrationEnd);
  const prefix = options.idPrefix ?? 'c';
  const { observedWeeks, acquisitionWeeks, spend } = options;
  const out: CustomerSummary[] = new Array(options.customers);
  for (let i = 0; i < options.customers; i++) {
    const T = wholeDays(observedWeeks - acquisitionWeeks * u());
    const next = process(u);
    let t = 0;
    let frequency = 0;
    let recency = 0;
    for (;;) {
      const at = next(t);
      if (at === null || at > T) break;
      t = at;
      // A purchase on a day that already has one (the first purchase's day included) is the same purchase.
      if (wholeDays(at) > recency) {
        frequency++;
        recency = wholeDays(at);
      }
    }
    let monetaryValue = 0;
    if (spend && frequency > 0) {
      const nu = gammaVariate(u, spend.q, spend.gamma);
      let total = 0;
      for (let k = 0; k < frequency; k++) total += gammaVariate(u, spend.p, nu);
      monetaryValue = total / frequency;
    }
    out[i] = {
      customerId: `${prefix}${i}`,
      firstPurchase: new Date((end - Math.round(T * 7)) * DAY_MS).toISOString().slice(0, 10),
      frequency,
      recency,
      T,
      monetaryValue,
    };
  }
  return out;
}
