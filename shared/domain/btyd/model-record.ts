/**
 * The predictive model's stored shapes: settings, the fitted model, a customer's score, the base's score
 * distribution. Schemas only (zod), because every Lambda parses customers and snapshots: the numerics that score
 * (model-scoring.ts) and fit (base-model.ts) are bundled only into the jobs that use them.
 */
import * as z from 'zod';
import { CustomerIdSchema, InstantSchema } from '../common.ts';
import {
  BgNbdFitSchema,
  DEFAULT_VALUATION,
  GammaGammaFitSchema,
  HoldoutReportSchema,
  ParetoNbdFitSchema,
  ValuationSchema,
} from './schemas.ts';

const count = z.number().int().nonnegative();

/** How the jobs fit and use the model (`engine.model` in the config). */
export const ModelSettingsSchema = z.object({
  /** fit the models in the weekly cohort pass (and score customers in the daily flag) */
  enabled: z.boolean().default(true),
  /**
   * Customers sampled for the fit (bottom-k by id hash). The sample travels in the full pass's checkpoints
   * (≤ 400 KB per item gzipped). Measured on a simulated 1M base (bench btyd-fit, docs/predictive.md): at 10,000
   * the purchase rate r/α is within ~4 % of the truth (a fit on all 1M: ~3 %, the day rounding's floor), the mean
   * spend within 0.3 %, P(alive) within 0.011 on average; the drop-out ratio s/β is looser (~10 %, up to 15 %).
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
  /** why the Gamma-Gamma fit is not used for expected values (they then use each customer's own mean spend) */
  spendProblem: z.string().optional(),
  paretoNbd: ParetoNbdFitSchema.optional(),
  bgnbd: BgNbdFitSchema.optional(),
  gammaGamma: GammaGammaFitSchema.optional(),
  /** the self-check: fitted on the sample as of `holdoutWeeks` before, predicted vs actual purchase days since */
  holdout: HoldoutReportSchema.nullable().default(null),
  settings: ModelSettingsSchema,
});
export type BaseModel = z.infer<typeof BaseModelSchema>;

/** The model a job scores with: the parameters in force and how to use them. */
export interface ScoringModel {
  /** the as-of of the pass that fitted the parameters (the model's id, stored with each score) */
  fittedAsOf: string;
  paretoNbd: NonNullable<BaseModel['paretoNbd']>['params'];
  /** the spend model; absent when its fit is not usable (spendModelProblem): each customer's own mean spend */
  gammaGamma?: NonNullable<BaseModel['gammaGamma']>['params'] | undefined;
  horizonDays: number;
  valuation: ModelSettings['valuation'];
}

/** Why a Gamma-Gamma fit cannot value customers (undefined when it can): not converged, or no finite mean (q ≤ 1). */
export function spendModelProblem(
  fit: { converged: boolean; problem?: string | undefined; params: { q: number } } | undefined,
): string | undefined {
  if (!fit) return 'Gamma-Gamma: not fitted';
  if (!fit.converged) return `Gamma-Gamma: ${fit.problem ?? 'did not converge'}`;
  return fit.params.q <= 1 ? 'Gamma-Gamma: q ≤ 1 (no finite mean spend)' : undefined;
}

/** The scoring model of a stored base model; undefined when it has no usable parameters. */
export function scoringModelOf(model: BaseModel | undefined): ScoringModel | undefined {
  if (!model || model.status === 'none' || !model.paretoNbd || !model.fittedAsOf) return undefined;
  const spend = model.gammaGamma && !spendModelProblem(model.gammaGamma) ? model.gammaGamma.params : undefined;
  return {
    fittedAsOf: model.fittedAsOf,
    paretoNbd: model.paretoNbd.params,
    ...(spend ? { gammaGamma: spend } : {}),
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

/** P(alive) bins: [0, 0.1), [0.1, 0.2), …, [0.9, 1]. */
export const P_ALIVE_BINS = 10;
/** Expected-value bin upper bounds in major units (the last bin is everything above the last bound). */
export const VALUE_BOUNDS = [1, 10, 25, 50, 100, 250, 500, 1000] as const;
/** Customers listed by value at risk. */
export const TOP_AT_RISK = 20;

export const CohortScoresSchema = z.object({
  customers: count,
  /** P(alive) histogram, P_ALIVE_BINS bins */
  pAlive: z.array(count).length(P_ALIVE_BINS),
  /** sum of P(alive): the expected number still alive */
  pAliveSum: z.number().nonnegative(),
  /** expected-value histogram by VALUE_BOUNDS (+1 bin above) */
  value: z.array(count).length(VALUE_BOUNDS.length + 1),
  expectedValueMinor: z.number().nonnegative(),
  valueAtRiskMinor: z.number().nonnegative(),
});
export type CohortScores = z.infer<typeof CohortScoresSchema>;

export const AtRiskCustomerSchema = z.object({
  customerId: CustomerIdSchema,
  cohort: z.string(),
  pAlive: z.number(),
  expectedValueMinor: z.number().int().nonnegative(),
  valueAtRiskMinor: z.number().int().nonnegative(),
});

export const ScoreDistributionSchema = z.object({
  asOf: InstantSchema,
  /** the model the customers were scored with (its fittedAsOf) */
  model: InstantSchema,
  currency: z.string(),
  /** first-purchase month → scores of its buyers */
  cohorts: z.record(z.string().regex(/^\d{4}-\d{2}$/), CohortScoresSchema),
  /** by value at risk, descending (ids only) */
  topAtRisk: z.array(AtRiskCustomerSchema).max(TOP_AT_RISK),
  /** some segments were scored with another model (a refit while the pass ran) and are left out */
  incomplete: z.boolean().optional(),
});
export type ScoreDistribution = z.infer<typeof ScoreDistributionSchema>;
