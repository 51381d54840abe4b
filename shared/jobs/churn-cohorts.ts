import * as z from 'zod';
import { memorySegmentRuns } from '../adapters/memory/segment-runs.ts';
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
import type { SendingPolicy } from '../domain/sending-policy.ts';
import type { CustomerRepository, InvalidItem, ReportSink, SegmentRunStore, SnapshotStore } from '../ports.ts';
import { campaignResultsToHtml } from '../reports/campaign-results-html.ts';
import { cohortReportToCsv } from '../reports/cohort-csv.ts';
import { cohortReportToHtml } from '../reports/cohort-html.ts';
import { type CampaignResultsDeps, computeCampaignResults } from './campaign-results.ts';
import {
  capListed,
  type FullPassRun,
  type FullPassWorker,
  ListedSchema,
  type MergedFullPass,
  runFullPass,
  type ScanProgress,
} from './full-pass.ts';

const CohortPassStateSchema = z.object({
  partial: CohortPartialSchema,
  invalid: z.array(ListedSchema),
  omitted: z.number().int().nonnegative(),
});
/** A cohort full pass's partial result: the additive matrix so far, and the invalid items met. */
export type CohortPassState = z.infer<typeof CohortPassStateSchema>;

/** The cohort job's name in full-pass runs (run ids, checkpoints). */
export const COHORTS_JOB = 'cohorts';

/** The cohort job's full-pass worker: accumulates each page into a partial cohort matrix; reads only. */
export function cohortsFullPass(currency: string): FullPassWorker<CohortPassState> {
  return {
    job: COHORTS_JOB,
    schema: CohortPassStateSchema,
    initial: (run) => ({ partial: emptyPartial(run.asOf, currency), invalid: [], omitted: 0 }),
    async visit(state, page) {
      for (const customer of page.items) accumulate(state.partial, customer);
      state.invalid.push(...page.invalid);
      state.omitted += capListed(state.invalid);
    },
    merge: (a, b) => ({
      partial: mergePartials(a.partial, b.partial),
      invalid: [...a.invalid, ...b.invalid],
      omitted: a.omitted + b.omitted,
    }),
  };
}

export interface ChurnCohortsDeps {
  customers: CustomerRepository;
  snapshots: SnapshotStore;
  /** full-pass checkpoints; in memory when omitted */
  runs?: SegmentRunStore;
  /** where report files go; omitted: files are not written */
  reports?: ReportSink;
  /** the campaigns whose results report.html includes; omitted: the report has no campaign section */
  campaign?: CampaignSource;
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
  segments: number;
  /** segments run at once in this process (default: all) */
  parallelism?: number;
  /** resume this run's checkpoints (default: a new run) */
  runId?: string;
  generatedAt: string;
}

export interface ChurnCohortsResult {
  report: CohortReport;
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
    cohortsFullPass(input.currency),
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
  deps: Pick<ChurnCohortsDeps, 'snapshots' | 'reports' | 'campaign'>,
  merged: MergedFullPass<CohortPassState>,
  input: Pick<ChurnCohortsInput, 'generatedAt' | 'currency'>,
): Promise<ChurnCohortsResult> {
  const { partial, invalid, omitted } = merged.state;
  const campaign = deps.campaign
    ? await computeCampaignResults(deps.campaign, {
        asOf: merged.run.asOf,
        campaigns: deps.campaign.campaigns,
        sending: deps.campaign.sending,
        currency: input.currency,
      })
    : undefined;
  const enrolled = campaign?.campaigns.some((c) => c.enrolled > 0) ? campaign : undefined;
  const published = await publishCohorts(deps, partial, {
    generatedAt: input.generatedAt,
    ...(enrolled ? { campaignSummaryHtml: campaignResultsToHtml(enrolled) } : {}),
  });
  return { ...published, ...(campaign ? { campaign } : {}), scanned: merged.scanned, invalid, omitted };
}

async function publishCohorts(
  deps: Pick<ChurnCohortsDeps, 'snapshots' | 'reports'>,
  partial: CohortPartial,
  input: { generatedAt: string; campaignSummaryHtml?: string },
): Promise<{ report: CohortReport; files: string[] }> {
  const report = finalizeCohorts(partial, input.generatedAt);
  await deps.snapshots.saveCohortReport(report);
  const files: string[] = [];
  if (deps.reports) {
    files.push(await deps.reports.write('cohorts.json', `${JSON.stringify(report, null, 2)}\n`, 'application/json'));
    files.push(await deps.reports.write('cohorts.csv', cohortReportToCsv(report), 'text/csv; charset=utf-8'));
    files.push(
      await deps.reports.write(
        'report.html',
        cohortReportToHtml(report, input.campaignSummaryHtml ? { campaignSummary: input.campaignSummaryHtml } : {}),
        'text/html; charset=utf-8',
      ),
    );
  }
  return { report, files };
}

/** The cohort run's summary line: ids and counts only; per campaign its enrollments and uplift (null until closed). */
export function cohortsRunSummary(run: FullPassRun, result: ChurnCohortsResult) {
  const { report, files, scanned, invalid, omitted } = result;
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
    cohorts: report.cohorts.length,
    customersWithPurchase: report.customersWithPurchase,
    invalid: invalid.length + omitted,
    files,
    campaigns,
  };
}
