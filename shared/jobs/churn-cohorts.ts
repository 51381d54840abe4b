import * as z from 'zod';
import { memorySegmentRuns } from '../adapters/memory/segment-runs.ts';
import { runConcurrently } from '../concurrency.ts';
import { customerAsOf, needsOrdersAsOf } from '../domain/as-of.ts';
import {
  accumulateShape,
  type BaseShape,
  emptyShapePartial,
  finalizeShape,
  mergeShapePartials,
  ShapePartialSchema,
} from '../domain/base-shape.ts';
import {
  addToSample,
  type BaseModel,
  emptyModelSample,
  fitBaseModel,
  ModelSampleSchema,
  type ModelSettings,
  mergeModelSamples,
} from '../domain/btyd/base-model.ts';
import { customerScorer } from '../domain/btyd/model-scoring.ts';
import {
  addToScoreDistribution,
  emptyScoreDistribution,
  mergeScoreDistributions,
  type ScoreDistribution,
  ScoreDistributionSchema,
} from '../domain/btyd/score-distribution.ts';
import type { Campaign } from '../domain/campaign.ts';
import type { CampaignResults } from '../domain/campaign-results.ts';
import {
  accumulate,
  type CohortPartial,
  CohortPartialSchema,
  type CohortReport,
  emptyPartial,
  finalizeCohorts,
  mergePartials,
} from '../domain/cohort.ts';
import type { Customer } from '../domain/customer.ts';
import type { LifecyclePolicy } from '../domain/lifecycle.ts';
import { minorDigits } from '../domain/money.ts';
import type { SendingPolicy } from '../domain/sending-policy.ts';
import type {
  CustomerRepository,
  InvalidItem,
  OrderRepository,
  ReportSink,
  SegmentRunStore,
  SnapshotStore,
} from '../ports.ts';
import { campaignResultsToHtml } from '../reports/campaign-results-html.ts';
import { cohortReportToCsv } from '../reports/cohort-csv.ts';
import { cohortReportToHtml } from '../reports/cohort-html.ts';
import { type CampaignResultsDeps, computeCampaignResults } from './campaign-results.ts';
import { previousCohortReport } from './digest.ts';
import {
  capListed,
  type FullPassRun,
  type FullPassWorker,
  ListedSchema,
  type MergedFullPass,
  runFullPass,
  type ScanProgress,
} from './full-pass.ts';
import { modelInForce } from './model-in-force.ts';

const CohortPassStateSchema = z.object({
  partial: CohortPartialSchema,
  shape: ShapePartialSchema,
  /** customers whose orders were read because they bought after the as-of instant (0 in a pass as of now) */
  ordersRead: z.number().int().nonnegative(),
  /** the predictive model's fitting sample (absent when the model is off) */
  sample: ModelSampleSchema.optional(),
  /** the base scored with the model in force at the start of the pass (absent before the first fit) */
  scores: ScoreDistributionSchema.optional(),
  invalid: z.array(ListedSchema),
  omitted: z.number().int().nonnegative(),
});
/** A cohort full pass's partial result: the additive matrix and base shape so far, and the invalid items met. */
export type CohortPassState = z.infer<typeof CohortPassStateSchema>;

/** The cohort job's name in full-pass runs (run ids, checkpoints). */
export const COHORTS_JOB = 'cohorts';
/** Customers whose orders are read at once when a past as-of date needs them. */
const ORDER_READS_IN_FLIGHT = 8;

/** What the cohort pass reads: the stored customers, and the orders of those who bought after a past as-of date. */
export interface CohortPassSource {
  currency: string;
  policy: LifecyclePolicy;
  orders: Pick<OrderRepository, 'listForCustomer'>;
  /** the predictive model: its settings and the model in force (read once per pass); omitted: no model */
  model?: CohortModelSource;
}

export interface CohortModelSource {
  settings: ModelSettings;
  /** the stored model in force (SnapshotStore.loadModel) */
  load(): Promise<BaseModel | undefined>;
}

/**
 * The cohort job's full-pass worker: accumulates each page into a partial cohort matrix and base shape; reads only.
 * Each customer is taken as they stood at the as-of instant (shared/domain/as-of.ts): a pass as of now reads no
 * order; as of a past date, the orders of each customer who bought after it are read, so every figure counts
 * purchases up to the as-of instant only.
 */
export function cohortsFullPass(source: CohortPassSource): FullPassWorker<CohortPassState> {
  const modelSource = source.model;
  const scoringModel = modelInForce(modelSource ? () => modelSource.load() : undefined);
  const minorPerMajor = 10 ** minorDigits(source.currency);
  return {
    job: COHORTS_JOB,
    schema: CohortPassStateSchema,
    initial: (run) => ({
      partial: emptyPartial(run.asOf, source.currency),
      shape: emptyShapePartial(run.asOf, source.currency),
      ordersRead: 0,
      ...(source.model?.settings.enabled ? { sample: emptyModelSample(run.asOf, source.model.settings) } : {}),
      invalid: [],
      omitted: 0,
    }),
    async visit(state, page) {
      const asOf = state.partial.asOf;
      const orders = new Map<string, Awaited<ReturnType<OrderRepository['listForCustomer']>>>();
      const needing = page.items.filter((c) => needsOrdersAsOf(c, asOf));
      await runConcurrently(needing, ORDER_READS_IN_FLIGHT, async (c) => {
        orders.set(c.customerId, await source.orders.listForCustomer(c.customerId));
      });
      state.ordersRead += needing.length;
      const model = state.sample ? await scoringModel(asOf) : undefined;
      if (model && !state.scores) state.scores = emptyScoreDistribution(asOf, model.fittedAsOf, source.currency);
      const scorer = model ? customerScorer(model) : undefined;
      for (const stored of page.items) {
        const customer: Customer = customerAsOf(stored, asOf, source.policy, orders.get(stored.customerId), scorer);
        accumulate(state.partial, customer);
        accumulateShape(state.shape, customer);
        if (customer.currency !== source.currency) continue;
        if (state.sample) addToSample(state.sample, customer);
        if (model && state.scores) addToScoreDistribution(state.scores, model, customer, minorPerMajor);
      }
      state.invalid.push(...page.invalid);
      state.omitted += capListed(state.invalid);
    },
    merge: (a, b) => ({
      partial: mergePartials(a.partial, b.partial),
      shape: mergeShapePartials(a.shape, b.shape),
      ordersRead: a.ordersRead + b.ordersRead,
      ...mergeOptional('sample', a.sample, b.sample, mergeModelSamples),
      ...mergeOptional('scores', a.scores, b.scores, mergeScores),
      invalid: [...a.invalid, ...b.invalid],
      omitted: a.omitted + b.omitted,
    }),
  };
}

function mergeOptional<K extends string, T>(key: K, a: T | undefined, b: T | undefined, merge: (x: T, y: T) => T) {
  const merged = a && b ? merge(a, b) : (a ?? b);
  return (merged ? { [key]: merged } : {}) as { [P in K]?: T };
}

/**
 * Segments scored with different models (a model saved by another pass while this one ran) cannot be added up:
 * the newer model's segments are kept and the distribution says it is incomplete.
 */
function mergeScores(a: ScoreDistribution, b: ScoreDistribution): ScoreDistribution {
  if (a.model !== b.model) return { ...(a.model > b.model ? a : b), incomplete: true };
  return mergeScoreDistributions(a, b);
}

export interface ChurnCohortsDeps {
  customers: CustomerRepository;
  /** read only for customers who bought after a past as-of date */
  orders: Pick<OrderRepository, 'listForCustomer'>;
  snapshots: SnapshotStore;
  /** full-pass checkpoints; in memory when omitted */
  runs?: SegmentRunStore;
  /** where report files go; omitted: files are not written */
  reports?: ReportSink;
  /** the campaigns whose results report.html includes; omitted: the report has no campaign section */
  campaign?: CampaignSource;
  /** fit the predictive model in the pass (`engine.model`); omitted: no model */
  modelSettings?: ModelSettings;
}

/** Where the campaign results come from: the ledger, the customers and their orders, and the campaigns. */
export interface CampaignSource extends CampaignResultsDeps {
  /** the configured campaigns (`config.campaigns`) */
  campaigns: readonly Campaign[];
  sending: SendingPolicy;
}

export interface ChurnCohortsInput extends ScanProgress {
  asOf: string;
  currency: string;
  /** the lifecycle policy the stage counts are classified with at the as-of instant */
  policy: LifecyclePolicy;
  segments: number;
  /** segments run at once in this process (default: all) */
  parallelism?: number;
  /** resume this run's checkpoints (default: a new run) */
  runId?: string;
  generatedAt: string;
}

export interface ChurnCohortsResult {
  report: CohortReport;
  /** the shape of the base as of the same instant (also stored in the snapshot: report.baseShape) */
  shape: BaseShape;
  /** customers whose orders were read because they bought after the as-of instant */
  ordersRead: number;
  /** the predictive model fitted in the pass or kept (when deps.modelSettings is given); also report.model */
  model?: BaseModel;
  /** the campaign results (when deps.campaign is given); report.html includes them once anyone is enrolled */
  campaign?: CampaignResults;
  scanned: number;
  invalid: InvalidItem[];
  /** invalid items counted but not listed (too many to list) */
  omitted: number;
  files: string[];
}

/**
 * Primary course:
 *  1. scan customers in parallel segments (the full-pass segment workers), each building a partial cohort matrix
 *     of additive counts;
 *  2. merge the partials (exactly the single-pass result: every figure is a sum) and derive ratios;
 *  3. persist the snapshot in DynamoDB and write CSV, JSON and HTML reports.
 */
export async function churnCohorts(deps: ChurnCohortsDeps, input: ChurnCohortsInput): Promise<ChurnCohortsResult> {
  const merged = await runFullPass(
    { customers: deps.customers, runs: deps.runs ?? memorySegmentRuns() },
    cohortsFullPass({
      currency: input.currency,
      policy: input.policy,
      orders: deps.orders,
      ...(deps.modelSettings
        ? { model: { settings: deps.modelSettings, load: () => deps.snapshots.loadModel() } }
        : {}),
    }),
    {
      asOf: input.asOf,
      totalSegments: input.segments,
      ...(input.runId ? { runId: input.runId } : {}),
      ...(input.parallelism ? { parallelism: input.parallelism } : {}),
      ...(input.onPage ? { onPage: input.onPage } : {}),
    },
  );
  return finishCohorts(deps, merged, input);
}

/**
 * Steps 2–3, also the merge step of the cohort job's state machine: the merged partial becomes the report, with the
 * campaign results beside it, stored and written out.
 */
export async function finishCohorts(
  deps: Pick<ChurnCohortsDeps, 'snapshots' | 'reports' | 'campaign' | 'modelSettings'>,
  merged: MergedFullPass<CohortPassState>,
  input: Pick<ChurnCohortsInput, 'generatedAt' | 'currency'>,
): Promise<ChurnCohortsResult> {
  const { partial, invalid, omitted, ordersRead } = merged.state;
  const shape = finalizeShape(merged.state.shape);
  const model = await fitAndKeepModel(deps.snapshots, merged.state, deps.modelSettings);
  const campaign = deps.campaign
    ? await computeCampaignResults(deps.campaign, {
        asOf: merged.run.asOf,
        campaigns: deps.campaign.campaigns,
        sending: deps.campaign.sending,
        currency: input.currency,
      })
    : undefined;
  const enrolled = campaign?.campaigns.some((c) => c.enrolled > 0) ? campaign : undefined;
  const published = await publishCohorts(deps, partial, shape, {
    generatedAt: input.generatedAt,
    ...(model ? { model } : {}),
    ...(merged.state.scores ? { scores: merged.state.scores } : {}),
    ...(enrolled ? { campaignSummaryHtml: campaignResultsToHtml(enrolled) } : {}),
  });
  return {
    ...published,
    shape,
    ordersRead,
    ...(model ? { model } : {}),
    ...(campaign ? { campaign } : {}),
    scanned: merged.scanned,
    invalid,
    omitted,
  };
}

/**
 * Fits the predictive model on the pass's sample (shared/domain/btyd/base-model.ts) and makes it the model in force
 * when the pass is the newest (a report as of a past date never replaces the current model). A failed or degenerate
 * fit keeps the parameters in force and says why.
 */
async function fitAndKeepModel(
  snapshots: SnapshotStore,
  state: CohortPassState,
  settings: ModelSettings | undefined,
): Promise<BaseModel | undefined> {
  if (!state.sample || !settings?.enabled) return undefined;
  const inForce = await snapshots.loadModel();
  const model = fitBaseModel(state.sample, settings, inForce);
  if (!inForce || inForce.asOf <= model.asOf) await snapshots.saveModel(model);
  return model;
}

async function publishCohorts(
  deps: Pick<ChurnCohortsDeps, 'snapshots' | 'reports'>,
  partial: CohortPartial,
  shape: BaseShape,
  input: { generatedAt: string; campaignSummaryHtml?: string; model?: BaseModel; scores?: ScoreDistribution },
): Promise<{ report: CohortReport; files: string[] }> {
  const report: CohortReport = {
    ...finalizeCohorts(partial, input.generatedAt),
    baseShape: shape,
    ...(input.model ? { model: input.model } : {}),
    ...(input.scores ? { scores: input.scores } : {}),
  };
  // Read before this snapshot is saved: the base shape's movement is against the one before.
  const previous = deps.reports ? (await previousCohortReport(deps.snapshots, report.asOf)).report : undefined;
  await deps.snapshots.saveCohortReport(report);
  const files: string[] = [];
  if (deps.reports) {
    files.push(await deps.reports.write('cohorts.json', `${JSON.stringify(report, null, 2)}\n`, 'application/json'));
    files.push(await deps.reports.write('cohorts.csv', cohortReportToCsv(report), 'text/csv; charset=utf-8'));
    files.push(
      await deps.reports.write(
        'report.html',
        cohortReportToHtml(report, {
          previous,
          ...(input.campaignSummaryHtml ? { campaignSummary: input.campaignSummaryHtml } : {}),
        }),
        'text/html; charset=utf-8',
      ),
    );
  }
  return { report, files };
}

/** The cohort run's summary line: ids and counts only; per campaign its enrollments and uplift (null until closed). */
export function cohortsRunSummary(run: FullPassRun, result: ChurnCohortsResult) {
  const { report, files, scanned, invalid, omitted, ordersRead } = result;
  const campaigns = (result.campaign?.campaigns ?? []).map((c) => ({
    campaignId: c.campaignId,
    enrolled: c.enrolled,
    treated: c.treated.n,
    holdout: c.holdout.n,
    openWindows: c.openWindows.treated + c.openWindows.holdout,
    uplift: c.uplift,
  }));
  return {
    job: run.job,
    runId: run.runId,
    asOf: run.asOf,
    scanned,
    ordersRead,
    cohorts: report.cohorts.length,
    customersWithPurchase: report.customersWithPurchase,
    invalid: invalid.length + omitted,
    files,
    campaigns,
    ...(result.model
      ? {
          model: {
            status: result.model.status,
            fittedAsOf: result.model.fittedAsOf,
            sampled: result.model.sampled,
            logLikelihood: result.model.paretoNbd?.logLikelihood,
            ...(result.model.problem ? { problem: result.model.problem } : {}),
          },
        }
      : {}),
  };
}
