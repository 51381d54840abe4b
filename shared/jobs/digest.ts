/**
 * The weekly digest: after a cohort pass, the figures that moved since the previous snapshot, the retention curve
 * and the campaign headlines go to the configured staff recipients by email. Recipients are the marketing team
 * (`engine.digest.recipients`, or `--to` on the CLI), never customers: the addresses come from the configuration
 * only, never from the customers table, there is no consent logic, and the digest names no customer. A recipient
 * the provider refuses is counted and the others still get it.
 */
import type { CampaignResults } from '../domain/campaign-results.ts';
import type { CohortReport } from '../domain/cohort.ts';
import { type DigestConfig, digestContent } from '../domain/digest.ts';
import { addDays, daysBetween } from '../domain/time.ts';
import { EmailSendError, safeErrorName } from '../email/send-error.ts';
import type { EmailSender, SnapshotStore } from '../ports.ts';
import { type RenderedDigest, renderDigest } from '../reports/digest-html.ts';

/** Gmail clips a message above 102 KB; the digest stays under this. */
export const DIGEST_MAX_BYTES = 100 * 1024;
/** How far back the previous snapshot is looked for (a weekly pass finds it 7 days back). */
export const PREVIOUS_SNAPSHOT_DAYS = 35;

export class DigestTooLargeError extends Error {
  override name = 'DigestTooLargeError';
  constructor(readonly bytes: number) {
    super(`the digest is ${bytes} bytes, above ${DIGEST_MAX_BYTES} (Gmail clips it)`);
  }
}

export interface DigestDeps {
  snapshots: Pick<SnapshotStore, 'loadCohortReport'>;
  /** omitted: render only (the CLI's preview, tests) */
  email?: EmailSender;
}

export interface DigestJobInput {
  report: CohortReport;
  campaigns?: CampaignResults | undefined;
  config: DigestConfig;
  /** overrides config.recipients (the CLI's --to) */
  recipients?: readonly string[];
  from: string;
  /** the full report: a configured base URL, a presigned S3 URL, or a local file */
  reportUrl: string;
  /** when reportUrl stops working at the latest (a presigned URL) */
  reportUrlExpiresAt?: string | undefined;
  /** the subject's and header's title (the shop name) */
  title: string;
}

export interface DigestResult extends RenderedDigest {
  previousAsOf: string | null;
  bytes: number;
  recipients: number;
  sent: number;
  failed: { error: string }[];
  /** the previous snapshot could not be read (e.g. written by an older version): figures shown without change */
  previousUnreadable: boolean;
}

/** The newest stored snapshot in the `days` before asOf; unreadable snapshots are skipped and reported. */
export async function previousCohortReport(
  snapshots: Pick<SnapshotStore, 'loadCohortReport'>,
  asOf: string,
  days = PREVIOUS_SNAPSHOT_DAYS,
): Promise<{ report?: CohortReport; unreadable: boolean }> {
  let unreadable = false;
  for (let d = 1; d <= days; d++) {
    try {
      const report = await snapshots.loadCohortReport(addDays(asOf, -d));
      if (report) return { report, unreadable };
    } catch {
      unreadable = true;
    }
  }
  return { unreadable };
}

export async function sendDigest(deps: DigestDeps, input: DigestJobInput): Promise<DigestResult> {
  const previous = await previousCohortReport(deps.snapshots, input.report.asOf);
  const content = digestContent(input.report, previous.report);
  const rendered = renderDigest({
    content,
    campaigns: input.campaigns,
    reportUrl: input.reportUrl,
    reportUrlExpiresAt: input.reportUrlExpiresAt,
    locale: input.config.locale,
    title: input.title,
  });
  const bytes = Buffer.byteLength(rendered.html, 'utf8');
  if (bytes > DIGEST_MAX_BYTES) throw new DigestTooLargeError(bytes);
  const recipients = [...new Set(input.recipients ?? input.config.recipients)];
  let sent = 0;
  const failed: { error: string }[] = [];
  if (deps.email) {
    for (const to of recipients) {
      try {
        await deps.email.send({
          to,
          from: input.from,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          tags: { campaign: 'digest', step: 'weekly' },
        });
        sent += 1;
      } catch (error) {
        // The provider's message can quote the address: keep only the classified outcome, name and HTTP status.
        failed.push({ error: EmailSendError.of(error).message });
      }
    }
  }
  return {
    ...rendered,
    previousAsOf: content.previousAsOf,
    bytes,
    recipients: recipients.length,
    sent,
    failed,
    previousUnreadable: previous.unreadable && !previous.report,
  };
}

/** The report file the digest links, under the folder the cohort job writes a pass's reports to. */
export const REPORT_FILE = 'report.html';

/** `cohorts/<as-of date>`: the folder (S3 key prefix) of one pass's reports. */
export function cohortReportFolder(asOf: string): string {
  return `cohorts/${asOf.slice(0, 10)}`;
}

/** The configured link to a pass's report: `<reportBaseUrl>cohorts/<as-of date>/report.html`. */
export function configuredReportUrl(reportBaseUrl: string, asOf: string): string {
  return new URL(`${cohortReportFolder(asOf)}/${REPORT_FILE}`, reportBaseUrl).href;
}

/** A link to a report file and, when it expires (a presigned URL), the instant it stops working at the latest. */
export interface ReportLink {
  url: string;
  expiresAt?: string;
}

/** Makes a time-limited link to a stored report file (a presigned S3 URL in AWS). */
export interface ReportLinker {
  link(key: string, hours: number): Promise<ReportLink>;
}

/**
 * A pass as of an instant more than this before now is a re-run for a past date: its digest is not mailed (the
 * team had that week's). A scheduled pass is as of its scheduled time, so a retried or redriven merge still sends.
 */
export const DIGEST_MAX_AGE_DAYS = 3;

export type CohortDigestOutcome =
  | { status: 'skipped'; reason: 'no recipients' | 'disabled' | 'past as-of' }
  | {
      status: 'sent' | 'partly sent' | 'failed';
      recipients: number;
      sent: number;
      /** error names only: a provider's message can quote an address */
      errors: string[];
      link: 'configured' | 'presigned';
      linkExpiresAt?: string;
      bytes?: number;
      previousAsOf?: string | null;
    };

export interface CohortDigestDeps extends DigestDeps {
  email: EmailSender;
  /** presigns the report link when no reportBaseUrl is configured */
  links?: ReportLinker;
}

export interface CohortDigestInput {
  report: CohortReport;
  campaigns?: CampaignResults | undefined;
  config: DigestConfig;
  from: string;
  title: string;
  now: string;
}

/**
 * The cohort job's digest, after the snapshot and reports are stored. Never throws: a failure is returned (and the
 * job logs and counts it), so a digest that cannot go out never fails the pass that made the snapshot.
 * Primary course:
 *  1. skip when nobody is configured, the digest is disabled, or the pass is a re-run for a past date;
 *  2. link the report: the configured base URL, else a presigned URL of cohorts/<date>/report.html;
 *  3. render it in the configured locale and send it to each recipient (sendDigest).
 */
export async function sendCohortDigest(deps: CohortDigestDeps, input: CohortDigestInput): Promise<CohortDigestOutcome> {
  const { config } = input;
  if (config.recipients.length === 0) return { status: 'skipped', reason: 'no recipients' };
  if (!config.enabled) return { status: 'skipped', reason: 'disabled' };
  if (daysBetween(input.report.asOf, input.now) > DIGEST_MAX_AGE_DAYS)
    return { status: 'skipped', reason: 'past as-of' };
  const recipients = new Set(config.recipients).size;
  const link = config.reportBaseUrl ? 'configured' : 'presigned';
  try {
    const key = `${cohortReportFolder(input.report.asOf)}/${REPORT_FILE}`;
    let reportLink: ReportLink;
    if (config.reportBaseUrl) reportLink = { url: configuredReportUrl(config.reportBaseUrl, input.report.asOf) };
    else if (deps.links) reportLink = await deps.links.link(key, config.linkHours);
    else throw new NoReportLinkError();
    const result = await sendDigest(deps, {
      report: input.report,
      campaigns: input.campaigns,
      config,
      from: input.from,
      reportUrl: reportLink.url,
      reportUrlExpiresAt: reportLink.expiresAt,
      title: input.title,
    });
    return {
      status: result.sent === result.recipients ? 'sent' : result.sent > 0 ? 'partly sent' : 'failed',
      recipients: result.recipients,
      sent: result.sent,
      errors: result.failed.map((f) => f.error),
      link,
      ...(reportLink.expiresAt ? { linkExpiresAt: reportLink.expiresAt } : {}),
      bytes: result.bytes,
      previousAsOf: result.previousAsOf,
    };
  } catch (error) {
    return { status: 'failed', recipients, sent: 0, errors: [safeErrorName(error)], link };
  }
}

class NoReportLinkError extends Error {
  override name = 'NoReportLinkError';
  constructor() {
    super('no engine.digest.reportBaseUrl and nothing to presign the report link with');
  }
}
