import type { CampaignResults, UpliftEstimate } from '../domain/campaign-results.ts';
import { formatMinor } from '../domain/money.ts';
import { escapeHtmlText } from './cohort-html.ts';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
/** Percentage points with a sign: the uplift and its interval are differences of rates. */
const pts = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`);
const interval = (u: UpliftEstimate) =>
  u.uplift === null ? 'n/a' : `${pts(u.uplift)} pts (95% CI ${pts(u.low)} to ${pts(u.high)} pts)`;

const cell = 'padding:6px 8px;border:1px solid #d9dee3;font-family:Arial,Helvetica,sans-serif;font-size:13px;';

/** An email-safe HTML fragment (tables, inline styles) for the cohort report's campaign section. */
export function campaignResultsToHtml(results: CampaignResults): string {
  const headers = [
    'step',
    'eligible',
    'sent',
    'held out',
    'delivered',
    'bounced',
    'complained',
    'opened',
    'clicked',
    'unsubscribed',
    'reactivated',
    'revenue',
    'uplift',
  ];
  const rows = results.steps.map((s) =>
    [
      s.stepId,
      s.eligible,
      s.sent,
      s.heldOut,
      s.delivered,
      s.bounced,
      s.complained,
      s.opened,
      s.clicked,
      s.unsubscribed,
      `${s.reactivated} (${pct(s.uplift.treated.rate)}) vs ${s.heldOutReactivated} (${pct(s.uplift.holdout.rate)})`,
      formatMinor(s.reactivationRevenueMinor, results.currency),
      interval(s.uplift),
    ]
      .map((v) => `<td style="${cell}background-color:#ffffff">${escapeHtmlText(String(v))}</td>`)
      .join(''),
  );
  const o = results.overall;
  return [
    `<h2 style="font-family:Arial,Helvetica,sans-serif;font-size:18px;margin:24px 0 8px">Win-back campaign “${escapeHtmlText(results.campaignId)}”</h2>`,
    `<p style="font-family:Arial,Helvetica,sans-serif;font-size:14px;margin:0 0 8px">Reactivation (purchase within ${results.attributionDays} days of a touch): treated ${o.treated.reactivated}/${o.treated.n} (${pct(o.treated.rate)}), hold-out ${o.holdout.reactivated}/${o.holdout.n} (${pct(o.holdout.rate)}). Uplift ${escapeHtmlText(interval(o))}. Reactivation revenue ${escapeHtmlText(formatMinor(o.reactivationRevenueMinor, results.currency))}.</p>`,
    `<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse">`,
    `<tr>${headers.map((h) => `<td style="${cell}background-color:#eef2f5;font-weight:bold">${h}</td>`).join('')}</tr>`,
    ...rows.map((r) => `<tr>${r}</tr>`),
    '</table>',
    `<p style="font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#52606d">Confidence interval: ${escapeHtmlText(o.method)}.</p>`,
  ].join('\n');
}

export function campaignResultsToText(results: CampaignResults): string {
  const o = results.overall;
  const lines = [
    `Campaign ${results.campaignId} as of ${results.asOf.slice(0, 10)} (attribution window ${results.attributionDays} days)`,
    `  reactivated: treated ${o.treated.reactivated}/${o.treated.n} (${pct(o.treated.rate)}), hold-out ${o.holdout.reactivated}/${o.holdout.n} (${pct(o.holdout.rate)}); uplift ${interval(o)}`,
    `  reactivation revenue ${formatMinor(o.reactivationRevenueMinor, results.currency)}`,
  ];
  for (const s of results.steps) {
    lines.push(
      `  ${s.stepId.padEnd(12)} eligible ${s.eligible}, sent ${s.sent}, held out ${s.heldOut}, delivered ${s.delivered}, bounced ${s.bounced}, complained ${s.complained}, opened ${s.opened}, clicked ${s.clicked}, unsubscribed ${s.unsubscribed}, reactivated ${s.reactivated} vs ${s.heldOutReactivated} held out`,
    );
  }
  lines.push(`  (${o.method})`);
  return lines.join('\n');
}
