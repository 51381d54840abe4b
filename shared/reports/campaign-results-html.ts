import type { CampaignResult, CampaignResults, StepResults } from '../domain/campaign-results.ts';
import { formatMinor } from '../domain/money.ts';
import { escapeHtmlText } from './cohort-html.ts';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
/** Percentage points with a sign: the uplift and its interval are differences of rates. */
const pts = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`);
const count = (n: number) => n.toLocaleString('en-US');
const money = (v: number | null, currency: string) => (v === null ? 'n/a' : formatMinor(v, currency));
const signedMoney = (v: number | null, currency: string) =>
  v === null ? 'n/a' : `${v > 0 ? '+' : ''}${formatMinor(v, currency)}`;

/** The headline in one plain sentence: what assignment to the emails did, with its interval. */
export function headlineSentence(c: CampaignResult): string {
  const days = `${c.measurementDays} days`;
  if (c.uplift === null || c.low === null || c.high === null) {
    return `No estimate yet: it needs enrollments whose ${days} window has closed in both arms (treated ${count(c.treated.n)}, hold-out ${count(c.holdout.n)}).`;
  }
  const size = Math.abs(c.uplift * 100).toFixed(1);
  const direction = c.uplift >= 0 ? 'more' : 'less';
  const sentence = `Customers assigned to emails bought ${size} pt ${direction} often within ${days} of enrollment than the hold-out (${pct(c.treated.rate)} of ${count(c.treated.n)} vs ${pct(c.holdout.rate)} of ${count(c.holdout.n)}); 95% interval ${pts(c.low)} to ${pts(c.high)} pt.`;
  const verdict =
    c.low > 0
      ? ' The emails raised purchases.'
      : c.high < 0
        ? ' The emails lowered purchases.'
        : ' The interval includes zero: no clear difference either way.';
  return sentence + verdict;
}

function revenueSentence(c: CampaignResult, currency: string): string {
  return `Revenue per enrolled customer within ${c.measurementDays} days: treated ${money(c.treated.revenuePerEnrolledMinor, currency)}, hold-out ${money(c.holdout.revenuePerEnrolledMinor, currency)}; difference ${signedMoney(c.revenueDifferencePerEnrolledMinor, currency)} (95% interval ${signedMoney(c.revenueDifferenceLowMinor, currency)} to ${signedMoney(c.revenueDifferenceHighMinor, currency)}).`;
}

function openSentence(c: CampaignResult): string {
  const open = c.openWindows.treated + c.openWindows.holdout;
  const legacy = c.legacyEnrollments
    ? ` ${count(c.legacyEnrollments)} enrollments predate enrollment records: their arm and date come from their first step entry.`
    : '';
  return `${count(c.enrolled)} enrolled; ${count(open)} (${count(c.openWindows.treated)} treated, ${count(c.openWindows.holdout)} hold-out) are still inside their ${c.measurementDays}-day window and not counted yet.${legacy}`;
}

const STEP_HEADERS = (attributionDays: number) => [
  'step',
  'sent',
  'failed',
  'unknown',
  'released',
  'held out',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'unsubscribed after it',
  `purchased within ${attributionDays} days of the send`,
];

const stepCells = (s: StepResults) => [
  s.stepId,
  s.sent,
  s.failed,
  s.unknown,
  s.released,
  s.heldOut,
  s.delivered,
  s.opened,
  s.clicked,
  s.bounced,
  s.complained,
  s.unsubscribed,
  s.purchasedAfter,
];

const STEPS_NOTE =
  'Descriptive, not a randomized comparison: who reaches a step depends on what happened before it (purchases end the sequence, unsubscribes stop it, the frequency cap delays it).';

const font = 'font-family:Arial,Helvetica,sans-serif;';
const cell = `padding:6px 8px;border:1px solid #d9dee3;${font}font-size:13px;`;
const paragraph = (text: string, style = 'font-size:14px;margin:0 0 8px') =>
  `<p style="${font}${style}">${escapeHtmlText(text)}</p>`;

function campaignToHtml(c: CampaignResult, currency: string): string {
  const rows = c.steps.map((s) =>
    stepCells(s)
      .map((v) => `<td style="${cell}background-color:#ffffff">${escapeHtmlText(String(v))}</td>`)
      .join(''),
  );
  return [
    `<h2 style="${font}font-size:18px;margin:24px 0 8px">Campaign “${escapeHtmlText(c.campaignId)}” (intent-to-treat)</h2>`,
    `<p style="${font}font-size:15px;font-weight:bold;margin:0 0 8px">${escapeHtmlText(headlineSentence(c))}</p>`,
    paragraph(revenueSentence(c, currency)),
    paragraph(openSentence(c)),
    paragraph(`Per step. ${STEPS_NOTE}`, 'font-size:13px;margin:12px 0 4px;color:#52606d'),
    `<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse">`,
    `<tr>${STEP_HEADERS(c.attributionDays)
      .map((h) => `<td style="${cell}background-color:#eef2f5;font-weight:bold">${escapeHtmlText(h)}</td>`)
      .join('')}</tr>`,
    ...rows.map((r) => `<tr>${r}</tr>`),
    '</table>',
    paragraph(
      `Every enrolled customer counts in the arm drawn at enrollment, whatever happened to their emails; the outcome is a purchase within ${c.measurementDays} days of enrollment. Rate interval: ${c.method}. Revenue interval: ${c.revenueMethod}.`,
      'font-size:12px;margin:8px 0 0;color:#52606d',
    ),
  ].join('\n');
}

/** An email-safe HTML fragment (tables, inline styles, no scripts) for the cohort report's campaign section. */
export function campaignResultsToHtml(results: CampaignResults): string {
  return results.campaigns.map((c) => campaignToHtml(c, results.currency)).join('\n');
}

export function campaignResultsToText(results: CampaignResults): string {
  const lines: string[] = [];
  for (const c of results.campaigns) {
    lines.push(
      `Campaign ${c.campaignId} as of ${results.asOf.slice(0, 10)} (intent-to-treat, ${c.measurementDays}-day window after enrollment)`,
      `  ${headlineSentence(c)}`,
      `  ${revenueSentence(c, results.currency)}`,
      `  ${openSentence(c)}`,
      `  Per step. ${STEPS_NOTE}`,
    );
    for (const s of c.steps) {
      lines.push(
        `    ${s.stepId.padEnd(12)} sent ${s.sent}, failed ${s.failed}, unknown ${s.unknown}, released ${s.released}, held out ${s.heldOut}, delivered ${s.delivered}, opened ${s.opened}, clicked ${s.clicked}, bounced ${s.bounced}, complained ${s.complained}, unsubscribed after it ${s.unsubscribed}, purchased within ${c.attributionDays} days ${s.purchasedAfter}`,
      );
    }
    lines.push(`  (${c.method}; revenue: ${c.revenueMethod})`);
  }
  if (!results.campaigns.length) lines.push(`No campaigns configured (as of ${results.asOf.slice(0, 10)}).`);
  return lines.join('\n');
}
