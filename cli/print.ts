import type { CohortReport } from '../shared/domain/cohort.ts';
import { STAGES, type Stage } from '../shared/domain/lifecycle.ts';
import { formatMinor } from '../shared/domain/money.ts';
import type { FlagDormantSummary } from '../shared/jobs/flag-dormant.ts';
import type { WinbackSummary } from '../shared/jobs/winback-email.ts';
import { partialMonthNote } from '../shared/reports/cohort-html.ts';
import type { ImportResult } from './commands.ts';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '' : `${(v * 100).toFixed(1)}%`);
const n = (v: number) => v.toLocaleString('en-US');

export function printImport(r: ImportResult): string {
  const lines = [
    `Rows read ${n(r.rowsRead)}: accepted ${n(r.rowsAccepted)}, rejected ${n(r.rowsRejected)}`,
    `Customers ${n(r.import.customers)}: created ${n(r.import.createdCustomers)}, updated ${n(r.import.updatedCustomers)}, already imported ${n(r.import.alreadyImported)}`,
    `Orders applied ${n(r.import.ordersApplied)}, duplicates skipped ${n(r.import.duplicateOrders)}, rejected ${n(r.import.rejected.length)}`,
  ];
  const reasons = [
    ...r.rejected.map((x) => `  ${x.file}:${x.line}  ${x.error}`),
    ...r.import.rejected.map((x) => `  customer ${x.customerId}${x.orderId ? ` order ${x.orderId}` : ''}  ${x.error}`),
  ];
  if (reasons.length) lines.push('Rejected (first 20):', ...reasons.slice(0, 20));
  return lines.join('\n');
}

export function printStages(stages: Record<Stage, number>): string {
  return STAGES.map((s) => `${s} ${n(stages[s])}`).join(' · ');
}

export function printFlag(s: FlagDormantSummary): string {
  const transitions = Object.entries(s.transitions)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replace('>', ' → ')} ${n(v)}`)
    .join(', ');
  return [
    `Flag as of ${s.asOf.slice(0, 10)}${s.dryRun ? ' (dry run)' : ''} [${s.mode}${s.reason ? `: ${s.reason}` : ''}${s.since ? ` since ${s.since.slice(0, 10)}` : ''}]: read ${n(s.scanned)}, changed ${n(s.changed)}, next check refreshed ${n(s.refreshed)}, unchanged ${n(s.unchanged)}, conflicts retried ${n(s.conflicts)}, invalid ${n(s.invalid.length)}, failed ${n(s.failed.length)}`,
    `  stages of the customers read: ${printStages(s.stages)}`,
    transitions ? `  transitions: ${transitions}` : '  transitions: none',
  ].join('\n');
}

/** A cohort excerpt: the first `rows` cohorts and `periods` periods of retention. */
export function printCohorts(report: CohortReport, rows = 8, periods = 8): string {
  const shown = report.cohorts.slice(-rows);
  const width = Math.min(periods, report.maxPeriods);
  const header = ['cohort ', '  size', ...Array.from({ length: width }, (_, k) => `   M${k}`.padStart(7))].join(' ');
  const body = shown.map((row) =>
    [
      row.cohort,
      String(row.size).padStart(6),
      ...row.periods.slice(0, width).map((p) => (p ? pct(p.retention) + (p.complete ? ' ' : '*') : '').padStart(7)),
    ].join(' '),
  );
  const partial = partialMonthNote(report);
  const ltv = shown.map((row) => {
    const reached = row.periods.filter((p) => p !== null);
    const last = reached.at(-1);
    return `${row.cohort}: ${last ? formatMinor(Math.round(last.cumulativeRevenuePerCustomerMinor), report.currency) : '-'}`;
  });
  return [
    `Cohorts as of ${report.asOf.slice(0, 10)}: ${report.cohorts.length} cohorts, ${n(report.customersWithPurchase)} customers with a purchase, ${n(report.prospects)} prospects`,
    `Retention by months since first purchase (latest ${shown.length} cohorts):`,
    header,
    ...body,
    `LTV to date per customer: ${ltv.join(' · ')}`,
    ...(partial ? [`* ${partial}`] : []),
  ].join('\n');
}

export function printWinback(s: WinbackSummary): string {
  const steps = Object.entries(s.steps).map(
    ([id, c]) =>
      `  ${id.padEnd(12)} ${s.dryRun ? `audience ${n(c.due)}` : `due ${n(c.due)}, sent ${n(c.sent)}, held out ${n(c.heldOut)}, quiet hours ${n(c.quietHours)}, capped ${n(c.capped)}, throttled ${n(c.throttled)}, deferred ${n(c.deferred)}, failed ${n(c.failed)}, unknown ${n(c.unknownOutcome)}, already claimed ${n(c.alreadyClaimed)}, dropped ${n(c.dropped)}`}`,
  );
  const skipped = Object.entries(s.skipped)
    .map(([k, v]) => `${k} ${n(v ?? 0)}`)
    .join(', ');
  return [
    `Campaigns ${s.campaignId} as of ${s.asOf.slice(0, 10)}${s.dryRun ? ' (dry run: nothing sent or written)' : ''}: ${n(s.candidates)} customers read (${s.mode === 'full' ? 'every recent dormancy episode' : 'something due'})`,
    ...steps,
    `  not emailed: ${skipped || 'none'}`,
    `  next look moved on for ${n(s.rescheduled)}; left due for the next run: ${n(s.leftForNextRun + s.enqueueFailed)}`,
  ].join('\n');
}
