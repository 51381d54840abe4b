/**
 * The buy-till-you-die entities: one zod schema each, types inferred. Time is in weeks throughout (the unit of
 * the published CDNOW estimates), money in the currency's major units.
 */
import * as z from 'zod';

const positive = z.number().positive().finite();
const weeks = z.number().nonnegative().finite();

/** One customer's calibration summary: what the models see. */
export const CustomerSummarySchema = z
  .object({
    customerId: z.string().min(1),
    /** first purchase day (YYYY-MM-DD), the start of the customer's own clock */
    firstPurchase: z.iso.date(),
    /** repeat purchases: purchase days after the first, up to the calibration end */
    frequency: z.number().int().nonnegative(),
    /** t_x: weeks from the first purchase to the last one in the calibration period (0 with no repeat) */
    recency: weeks,
    /** T: weeks from the first purchase to the calibration end */
    T: weeks,
    /** mean value of the repeat purchase days (a purchase day's value is the sum of its transactions); 0 without */
    monetaryValue: z.number().nonnegative().finite(),
    /** purchase days after the calibration end, up to the holdout end (when the data has one) */
    holdoutPurchases: z.number().int().nonnegative().optional(),
  })
  .refine((c) => c.recency <= c.T, 'recency must not exceed T')
  .refine((c) => c.frequency > 0 || c.recency === 0, 'a customer with no repeat purchase has recency 0');
export type CustomerSummary = z.infer<typeof CustomerSummarySchema>;

/** BG/NBD (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, α); drop-out chance after each purchase ~ Beta(a, b). */
export const BgNbdParamsSchema = z.object({ r: positive, alpha: positive, a: positive, b: positive });
export type BgNbdParams = z.infer<typeof BgNbdParamsSchema>;

/** Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchase rate ~ Gamma(r, α); drop-out rate ~ Gamma(s, β). */
export const ParetoNbdParamsSchema = z.object({ r: positive, alpha: positive, s: positive, beta: positive });
export type ParetoNbdParams = z.infer<typeof ParetoNbdParamsSchema>;

/** Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): spend per purchase ~ Gamma(p, ν), ν ~ Gamma(q, γ). */
export const GammaGammaParamsSchema = z.object({ p: positive, q: positive, gamma: positive });
export type GammaGammaParams = z.infer<typeof GammaGammaParamsSchema>;

/** How a maximum-likelihood fit went; a degenerate fit says so here instead of throwing or passing silently. */
const fitDiagnostics = {
  /** the maximised log-likelihood; null when it was not finite */
  logLikelihood: z.number().finite().nullable(),
  /** optimiser iterations over every start and restart */
  iterations: z.number().int().nonnegative(),
  /** the optimiser met its tolerances, the likelihood is finite and no parameter sits at a bound */
  converged: z.boolean(),
  /** why not converged (absent when converged) */
  problem: z.string().optional(),
  /** distinct inputs the likelihood was evaluated on (identical customers are counted once, with a weight) */
  distinctRows: z.number().int().nonnegative(),
};

export const BgNbdFitSchema = z.object({ model: z.literal('bg-nbd'), params: BgNbdParamsSchema, ...fitDiagnostics });
export type BgNbdFit = z.infer<typeof BgNbdFitSchema>;

export const ParetoNbdFitSchema = z.object({
  model: z.literal('pareto-nbd'),
  params: ParetoNbdParamsSchema,
  ...fitDiagnostics,
});
export type ParetoNbdFit = z.infer<typeof ParetoNbdFitSchema>;

export const GammaGammaFitSchema = z.object({
  model: z.literal('gamma-gamma'),
  params: GammaGammaParamsSchema,
  ...fitDiagnostics,
});
export type GammaGammaFit = z.infer<typeof GammaGammaFitSchema>;

/** How future value is discounted: monthly, at the monthly rate equivalent to an annual one. */
export const ValuationSchema = z.object({
  /** annual discount rate, e.g. 0.10 for 10 % a year */
  annualDiscountRate: z.number().nonnegative().max(1),
  /** months of future purchases valued (12: one year) */
  months: z.number().int().positive().max(120),
});
export type Valuation = z.infer<typeof ValuationSchema>;
export const DEFAULT_VALUATION: Valuation = { annualDiscountRate: 0.1, months: 12 };

/** One model's view of one customer. */
export const CustomerScoreSchema = z.object({
  customerId: z.string().min(1),
  frequency: z.number().int().nonnegative(),
  recency: weeks,
  T: weeks,
  /** chance the customer is still "alive" (would buy again at their rate) at the calibration end */
  pAlive: z.number().min(0).max(1),
  /** expected purchase days in the next `horizonWeeks` */
  expectedTransactions: z.number().nonnegative().finite(),
  /** expected spend over the valuation months, discounted (see docs/predictive.md) */
  expectedValue: z.number().nonnegative().finite(),
  /**
   * The day by which, with no purchase after the last one, P(alive) (Pareto/NBD) falls below the overdue
   * threshold; may be before the calibration end (overdue already). Null when it does not fall that low within
   * ten years.
   */
  overdueAt: z.iso.date().nullable(),
});
export type CustomerScore = z.infer<typeof CustomerScoreSchema>;

/** Predicted vs actual purchase days in the holdout, for a group of customers. */
export const HoldoutRowSchema = z.object({
  /** calibration frequency: '0' … '6', '7+'; 'all' for the totals */
  frequency: z.string(),
  customers: z.number().int().nonnegative(),
  actual: z.number().int().nonnegative(),
  bgnbd: z.number().nonnegative(),
  paretoNbd: z.number().nonnegative(),
});
export type HoldoutRow = z.infer<typeof HoldoutRowSchema>;

/**
 * ROC AUC of each score for "buys again in the holdout": the chance a random buyer scores higher than a random
 * non-buyer, ties counting one half (Mann–Whitney). 0.5 is a coin; null when either group is empty.
 */
const auc = z.number().min(0).max(1).nullable();
export const HoldoutAucSchema = z.object({
  buyers: z.number().int().nonnegative(),
  nonBuyers: z.number().int().nonnegative(),
  bgnbdPAlive: auc,
  bgnbdExpectedTransactions: auc,
  paretoNbdPAlive: auc,
  paretoNbdExpectedTransactions: auc,
  /** the plain rule: fewer days since the last purchase = more likely to buy */
  daysSinceLastPurchase: auc,
});
export type HoldoutAuc = z.infer<typeof HoldoutAucSchema>;

export const HoldoutReportSchema = z.object({
  calibrationEnd: z.iso.date(),
  holdoutEnd: z.iso.date(),
  weeks: z.number().positive(),
  totals: HoldoutRowSchema,
  byFrequency: z.array(HoldoutRowSchema),
  auc: z.object({ all: HoldoutAucSchema, repeatBuyers: HoldoutAucSchema }),
});
export type HoldoutReport = z.infer<typeof HoldoutReportSchema>;
