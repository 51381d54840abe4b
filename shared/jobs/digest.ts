/**
 * The weekly digest: after a cohort pass, the figures that moved since the previous snapshot, the retention curve
 * and the campaign headlines go to the configured staff recipients by email. Recipients are the marketing team
 * (`engine.digest.recipients`, or `--to` on the CLI), never customers: no consent logic, and the digest names no
 * customer. A recipient the provider refuses is counted and the others still get it.
 */
import type { CampaignResults } from '../domain/campaign-results.ts';
import type { CohortReport } from '../domain/cohort.ts';
import { type DigestConfig, digestContent } from '../domain/digest.ts';
import { addDays } from '../domain/time.ts';
import type { EmailSender, SnapshotStore } from '../ports.ts';
import { type RenderedDigest, renderDigest } from '../reports/digest-html.ts';

/** Gmail clips a message above 102 KB; the digest stays under this. */
export const DIGEST_MAX_BYTES = 100 * 1024;
/** How far back the previous snapshot is looked for (a weekly pass finds it 7 days back). */
export const PREVIOUS_SNAPSHOT_DAYS = 35;

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
    locale: input.config.locale,
    title: input.title,
  });
  const bytes = Buffer.byteLength(rendered.html, 'utf8');
  if (bytes > DIGEST_MAX_BYTES) throw new Error(`the digest is ${bytes} bytes, above ${DIGEST_MAX_BYTES}`);
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
        // The provider's message can quote the address: keep only the error's name.
        failed.push({ error: error instanceof Error ? error.name : 'Error' });
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
