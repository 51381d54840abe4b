import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { localReportSink } from '../shared/adapters/fs/local-report-sink.ts';
import { type ScoringModel, scoringModelOf } from '../shared/domain/btyd/model-record.ts';
import type { CampaignResults } from '../shared/domain/campaign-results.ts';
import type { CohortReport } from '../shared/domain/cohort.ts';
import type { TemplateRenderer } from '../shared/email/templates/render.ts';
import {
  type Parsed,
  parseCdnow,
  parseCustomersCsv,
  parseOrdersCsv,
  type RejectedRow,
} from '../shared/import/parse-files.ts';
import type { CustomerCsvRow, OrderRecord } from '../shared/import/rows.ts';
import { computeCampaignResults } from '../shared/jobs/campaign-results.ts';
import { type CheckSummary, checkInvariants } from '../shared/jobs/check-invariants.ts';
import { type ChurnCohortsResult, churnCohorts } from '../shared/jobs/churn-cohorts.ts';
import { type DigestResult, sendDigest } from '../shared/jobs/digest.ts';
import { type FlagDormantSummary, flagDormant } from '../shared/jobs/flag-dormant.ts';
import { segmentsFor } from '../shared/jobs/full-pass.ts';
import { type ImportSummary, importCustomers } from '../shared/jobs/import-customers.ts';
import { type WinbackSummary, winbackEmail } from '../shared/jobs/winback-email.ts';
import type { EmailSender } from '../shared/ports.ts';
import type { Progress } from './progress.ts';
import type { Runtime } from './runtime.ts';

export interface ImportFiles {
  format: 'csv' | 'cdnow';
  customersFile?: string;
  ordersFile?: string;
  cdnowFile?: string;
  /** the instant imported customers are classified at (default: now) */
  asOf?: string;
  /** the deployment's erasure key: consent older than an erasure of the id or address is not imported */
  erasureKey?: string;
}

export interface ImportResult {
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  rejected: RejectedRow[];
  import: ImportSummary;
}

/** Parses the files (bad rows reported, good rows kept) and imports what is valid. */
export async function runImport(rt: Runtime, files: ImportFiles, bars: Progress): Promise<ImportResult> {
  const empty = <T>(): Parsed<T> => ({ records: [], rejected: [], lines: 0 });
  const now = new Date().toISOString();
  const reading = bars.bar('reading rows', 0);
  let read = 0;
  const onRow = () => {
    read += 1;
    if (read % 1000 === 0) {
      reading.setTotal(read);
      reading.update(read);
    }
  };
  let profiles = empty<CustomerCsvRow>();
  let orders = empty<OrderRecord>();
  if (files.format === 'cdnow') {
    if (!files.cdnowFile) throw new Error('import --format cdnow needs a FILE');
    orders = await parseCdnow(files.cdnowFile, { now, onRow });
  } else {
    if (files.customersFile) profiles = await parseCustomersCsv(files.customersFile, { now, onRow });
    if (files.ordersFile) orders = await parseOrdersCsv(files.ordersFile, { now, onRow });
  }
  reading.setTotal(read);
  reading.update(read);
  const writing = bars.bar('importing customers', 1);
  const summary = await importCustomers(
    {
      customers: rt.stores.customers,
      orders: rt.stores.orders,
      currency: rt.config.currency,
      policy: rt.config.policy,
      watermarks: rt.stores.snapshots,
      ...(files.erasureKey ? { erasures: { registry: rt.stores.erasures, key: files.erasureKey } } : {}),
    },
    {
      profiles: profiles.records,
      orders: orders.records,
      now,
      asOf: files.asOf ?? now,
      onProgress: (done, total) => {
        writing.setTotal(total);
        writing.update(done);
      },
    },
  );
  const rejected = [...profiles.rejected, ...orders.rejected];
  return {
    rowsRead: profiles.lines + orders.lines,
    rowsAccepted: profiles.records.length + orders.records.length,
    rowsRejected: rejected.length,
    rejected,
    import: summary,
  };
}

/** The predictive model in force (`engine.model.enabled`), for the commands that record activity. */
export async function loadScoringModel(rt: Runtime): Promise<ScoringModel | undefined> {
  return rt.config.model.enabled ? scoringModelOf(await rt.stores.snapshots.loadModel()) : undefined;
}

export async function runFlag(
  rt: Runtime,
  asOf: string,
  bars: Progress,
  dryRun = false,
  forceFull = false,
  parallelism?: number,
): Promise<FlagDormantSummary> {
  const bar = bars.bar(`flag ${asOf.slice(0, 10)}`, 0);
  let seen = 0;
  // A full pass runs the same segment workers as the Step Functions fan-out, `parallelism` at a time.
  return flagDormant(
    {
      customers: rt.stores.customers,
      watermarks: rt.stores.snapshots,
      runs: rt.stores.runs,
      ...(rt.config.model.enabled ? { loadModel: () => rt.stores.snapshots.loadModel() } : {}),
    },
    {
      asOf,
      policy: rt.config.policy,
      segments: segmentsFor(await rt.stores.customers.approximateCount(), rt.config.scanSegments),
      ...(parallelism ? { parallelism } : {}),
      dryRun,
      forceFull,
      onPage: (n) => {
        seen += n;
        bar.setTotal(seen);
        bar.update(seen);
      },
    },
  );
}

export async function runResults(rt: Runtime, asOf: string): Promise<CampaignResults> {
  return computeCampaignResults(
    { customers: rt.stores.customers, orders: rt.stores.orders, ledger: rt.stores.ledger },
    { asOf, campaigns: rt.config.campaigns, sending: rt.config.sending, currency: rt.config.currency },
  );
}

/** Cohorts plus, in report.html, the campaign results: the workflow the cohort state machine runs. */
export async function runCohorts(
  rt: Runtime,
  asOf: string,
  outDir: string | undefined,
  bars: Progress,
  generatedAt: string,
  run: { parallelism?: number; runId?: string } = {},
): Promise<ChurnCohortsResult> {
  const bar = bars.bar('cohorts', 0);
  let seen = 0;
  const { stores, config } = rt;
  return churnCohorts(
    {
      ...stores,
      ...(outDir ? { reports: localReportSink(outDir) } : {}),
      campaign: { ...stores, campaigns: config.campaigns, sending: config.sending },
      modelSettings: config.model,
    },
    {
      asOf,
      currency: config.currency,
      policy: config.policy,
      segments: segmentsFor(await stores.customers.approximateCount(), config.scanSegments),
      ...run,
      generatedAt,
      onPage: (n) => {
        seen += n;
        bar.setTotal(seen);
        bar.update(seen);
      },
    },
  );
}

export interface WinbackOptions {
  asOf: string;
  from: string;
  templates: TemplateRenderer;
  runId: string;
  dryRun: boolean;
  maxSendRate: number;
  unsubscribe?: { baseUrl: string; secret: string } | undefined;
  /** when the emails leave (quiet hours, frequency cap); the real clock unless simulating */
  now: string;
  /** read every customer in a recent dormancy episode, not only those with a step due */
  full?: boolean;
}

export async function runWinback(
  rt: Runtime,
  email: EmailSender,
  options: WinbackOptions,
  bars: Progress,
): Promise<WinbackSummary> {
  const bar = bars.bar(options.dryRun ? 'win-back (dry run)' : 'win-back', 0);
  let seen = 0;
  return winbackEmail(
    { customers: rt.stores.customers, ledger: rt.stores.ledger, email },
    {
      asOf: options.asOf,
      config: rt.config.winback,
      campaigns: rt.config.campaigns,
      sending: rt.config.sending,
      now: options.now,
      from: options.from,
      templates: options.templates,
      runId: options.runId,
      dryRun: options.dryRun,
      ...(options.full ? { full: true } : {}),
      maxSendRate: options.maxSendRate,
      ...(options.unsubscribe ? { unsubscribe: options.unsubscribe } : {}),
      onCandidate: () => {
        seen += 1;
        bar.setTotal(seen);
        bar.update(seen);
      },
    },
  );
}

/** `clientele check`: the invariants on this target; repairs classify at the flag watermark (or now). */
export async function runCheck(
  rt: Runtime,
  options: { repair: boolean; erasureKey?: string | undefined },
  bars: Progress,
): Promise<CheckSummary> {
  const now = new Date().toISOString();
  const watermark = await rt.stores.snapshots.getWatermark('flag-dormant');
  const bar = bars.bar(options.repair ? 'checking and repairing' : 'checking customers', 0);
  return checkInvariants(
    {
      customers: rt.stores.customers,
      orders: rt.stores.orders,
      ledger: rt.stores.ledger,
      policy: rt.config.policy,
      ...(options.erasureKey ? { erasures: { registry: rt.stores.erasures, key: options.erasureKey } } : {}),
    },
    {
      now,
      classifyAt: watermark?.asOf ?? now,
      repair: options.repair,
      onProgress: (done) => {
        bar.setTotal(done);
        bar.update(done);
      },
    },
  );
}

export function printCheck(summary: CheckSummary): string {
  const lines = summary.violations.map(
    (v) => `  ${v.invariant.padEnd(7)} ${v.key}: ${v.detail}${v.repaired ? '  [repaired]' : ''}`,
  );
  const counts = Object.entries(summary.byInvariant)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `Checked ${summary.customers.toLocaleString('en-US')} customers, ${summary.orders.toLocaleString('en-US')} orders, ${summary.ledgerEntries.toLocaleString('en-US')} send records.`,
    summary.violations.length === 0
      ? 'No violations.'
      : `${summary.violations.length} violation(s)${counts ? ` (${counts})` : ''}${summary.repaired ? `, ${summary.repaired} repaired` : ''}:`,
    ...lines,
  ].join('\n');
}

export interface DigestCommandInput {
  report: CohortReport;
  campaigns?: CampaignResults | undefined;
  /** the CLI's --to; otherwise engine.digest.recipients */
  to?: readonly string[];
  from: string;
  reportUrl: string;
  /** where the rendered digest is also written (out/digest.html) */
  outFile?: string;
}

/** Renders the digest of a cohort report and sends it through `sender` (local SES or SES). */
export async function runDigest(rt: Runtime, sender: EmailSender, input: DigestCommandInput): Promise<DigestResult> {
  const result = await sendDigest(
    { snapshots: rt.stores.snapshots, email: sender },
    {
      report: input.report,
      campaigns: input.campaigns,
      config: rt.config.digest,
      ...(input.to ? { recipients: input.to } : {}),
      from: input.from,
      reportUrl: input.reportUrl,
      title: 'clientele',
    },
  );
  if (input.outFile) {
    await mkdir(dirname(input.outFile), { recursive: true });
    await writeFile(input.outFile, result.html);
  }
  return result;
}
