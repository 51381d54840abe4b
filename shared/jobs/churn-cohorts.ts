import {
  accumulate,
  type CohortPartial,
  type CohortReport,
  emptyPartial,
  finalizeCohorts,
  mergePartials,
} from '../domain/cohort.ts';
import type { CustomerRepository, InvalidItem, ReportSink, SnapshotStore } from '../ports.ts';
import { cohortReportToCsv } from '../reports/cohort-csv.ts';
import { cohortReportToHtml } from '../reports/cohort-html.ts';
import { forEachCustomerSegment, type ScanProgress } from './scan-all.ts';

export interface ChurnCohortsDeps {
  customers: CustomerRepository;
  snapshots: SnapshotStore;
  /** where report files go; omitted: files are not written */
  reports?: ReportSink;
}

export interface ChurnCohortsInput extends ScanProgress {
  asOf: string;
  currency: string;
  segments: number;
  generatedAt: string;
  /** an HTML fragment (campaign results) to include in report.html */
  campaignSummaryHtml?: string;
}

export interface ChurnCohortsResult {
  report: CohortReport;
  scanned: number;
  invalid: InvalidItem[];
  files: string[];
}

/**
 * Primary course:
 *  1. scan customers in parallel segments, each building a partial cohort matrix of additive counts;
 *  2. merge the partials (exactly the single-pass result: every figure is a sum) and derive ratios;
 *  3. persist the snapshot in DynamoDB and write CSV, JSON and HTML reports.
 */
export async function churnCohorts(deps: ChurnCohortsDeps, input: ChurnCohortsInput): Promise<ChurnCohortsResult> {
  const partials: CohortPartial[] = Array.from({ length: input.segments }, () =>
    emptyPartial(input.asOf, input.currency),
  );
  const { scanned, invalid } = await forEachCustomerSegment(
    deps.customers,
    input.segments,
    async (page, segment) => {
      const partial = partials[segment] as CohortPartial;
      for (const customer of page) accumulate(partial, customer);
    },
    input,
  );
  const merged = partials.reduce(mergePartials, emptyPartial(input.asOf, input.currency));
  const report = finalizeCohorts(merged, input.generatedAt);
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
  return { report, scanned, invalid, files };
}
