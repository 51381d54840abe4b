/**
 * The weekly digest as an email: the figures that moved, the average retention curve, the campaign headlines and a
 * link to the full report. Email clients do not render SVG (Gmail, Outlook) and a PNG would need a browser at send
 * time, so the chart is a table of bars with inline styles: every client draws it, it scales to a phone, it prints,
 * and it adds about 3 KB. No scripts, no images, no external CSS. Numbers, money and dates in the digest's locale.
 */
import type { CampaignResults } from '../domain/campaign-results.ts';
import type { DigestContent, DigestFigure } from '../domain/digest.ts';
import { formatMinor } from '../domain/money.ts';
import { escapeHtml } from '../email/text-safety.ts';
import { headlineSentence } from './campaign-results-html.ts';

export interface DigestInput {
  content: DigestContent;
  /** campaign results of the same pass; campaigns with nobody enrolled are left out */
  campaigns?: CampaignResults | undefined;
  /** https link to the full report */
  reportUrl: string;
  locale: string;
  /** shown in the subject and header (e.g. the shop name) */
  title: string;
}

export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
}

const BAR_COLOUR = '#0b5d63';

function formatters(locale: string, currency: string) {
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const points = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    signDisplay: 'always',
  });
  const value = (f: DigestFigure, v: number | null) =>
    v === null
      ? '–'
      : f.unit === 'money'
        ? formatMinor(Math.round(v), currency, locale)
        : f.unit === 'ratio'
          ? percent.format(v)
          : number.format(v);
  const change = (f: DigestFigure): string => {
    if (f.change === null || f.previous === null) return '';
    if (f.unit === 'ratio') return `${points.format(f.change * 100)} pt`;
    const sign = f.change > 0 ? '+' : f.change < 0 ? '−' : '±';
    const abs =
      f.unit === 'money'
        ? formatMinor(Math.round(Math.abs(f.change)), currency, locale)
        : number.format(Math.abs(f.change));
    const relative = f.previous !== 0 ? ` (${percent.format(f.change / Math.abs(f.previous))})` : '';
    return `${sign}${abs}${relative}`;
  };
  return { value, change, date: (iso: string) => date.format(new Date(iso)), percent, number };
}

function arrow(f: DigestFigure): { symbol: string; colour: string } {
  if (f.change === null || f.change === 0) return { symbol: '', colour: '#4b5563' };
  return f.change > 0 ? { symbol: '▲', colour: '#166534' } : { symbol: '▼', colour: '#b91c1c' };
}

export function renderDigest(input: DigestInput): RenderedDigest {
  const { content, locale } = input;
  const f = formatters(locale, content.currency);
  const asOf = f.date(content.asOf);
  const since = content.previousAsOf ? `since ${f.date(content.previousAsOf)}` : 'first digest: nothing to compare yet';
  const subject = `${input.title}: retention digest for ${asOf}`;
  const campaigns = (input.campaigns?.campaigns ?? []).filter((c) => c.enrolled > 0);
  const peak = Math.max(0.0001, ...content.retentionCurve.map((p) => p.retention));

  const figureRows = content.moved
    .map((fig) => {
      const a = arrow(fig);
      const change = f.change(fig);
      return `<tr><td style="padding:10px 0;border-bottom:1px solid #e5e7eb;vertical-align:top"><div style="font-size:14px;color:#111827;font-weight:bold">${escapeHtml(fig.label)}</div><div style="font-size:12px;color:#6b7280;line-height:16px">${escapeHtml(fig.explanation)}</div></td><td style="padding:10px 0 10px 12px;border-bottom:1px solid #e5e7eb;text-align:right;vertical-align:top;white-space:nowrap"><div style="font-size:18px;color:#111827;font-weight:bold">${escapeHtml(f.value(fig, fig.value))}</div>${change ? `<div style="font-size:12px;color:${a.colour}">${a.symbol} ${escapeHtml(change)}</div>` : ''}</td></tr>`;
    })
    .join('');

  const curveRows = content.retentionCurve
    .map((p) => {
      const width = Math.max(1, Math.round((p.retention / peak) * 100));
      return `<tr><td style="padding:3px 8px 3px 0;font-size:12px;color:#4b5563;white-space:nowrap;width:64px">Month ${p.period}</td><td style="padding:3px 0"><table role="presentation" width="${width}%" cellpadding="0" cellspacing="0" style="border-collapse:collapse"><tr><td style="background:${BAR_COLOUR};height:14px;line-height:14px;font-size:0">&nbsp;</td></tr></table></td><td style="padding:3px 0 3px 8px;font-size:12px;color:#111827;text-align:right;white-space:nowrap;width:52px">${escapeHtml(f.percent.format(p.retention))}</td></tr>`;
    })
    .join('');
  const chart = content.retentionCurve.length
    ? `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse" aria-label="Average retention by month since the first purchase">${curveRows}</table>`
    : '<p style="font-size:14px;color:#4b5563">No cohort has completed its second month yet.</p>';

  const campaignHtml = campaigns.length
    ? campaigns
        .map(
          (c) =>
            `<p style="margin:0 0 10px;font-size:14px;line-height:20px"><strong>${escapeHtml(c.campaignId)}</strong>: ${escapeHtml(headlineSentence(c))}</p>`,
        )
        .join('')
    : '<p style="margin:0;font-size:14px;color:#4b5563">No campaign has enrolled anyone yet.</p>';

  const section = (title: string, body: string) =>
    `<tr><td style="padding:20px 24px 4px"><h2 style="margin:0 0 8px;font-size:16px;line-height:22px;color:#111827">${escapeHtml(title)}</h2>${body}</td></tr>`;

  const html = `<!doctype html><html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head><body style="margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#1f2937"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;background:#f3f4f6"><tr><td align="center" style="padding:16px 8px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;max-width:600px;background:#ffffff;border-radius:8px"><tr><td style="padding:24px 24px 0"><div style="font-size:12px;color:#6b7280;letter-spacing:1px;text-transform:uppercase">${escapeHtml(input.title)}</div><h1 style="margin:4px 0 0;font-size:22px;line-height:28px;color:#111827">Retention digest for ${escapeHtml(asOf)}</h1><div style="font-size:13px;color:#6b7280;margin-top:4px">${escapeHtml(since)}</div></td></tr>${section(
    content.previousAsOf ? 'The numbers that moved' : 'This week’s numbers',
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${figureRows}</table>`,
  )}${section('Retention: share of a cohort buying again, by month since the first purchase', `${chart}<p style="margin:8px 0 0;font-size:12px;color:#6b7280">Average over the cohorts that have completed each month, weighted by cohort size.</p>`)}${section('Campaigns', campaignHtml)}<tr><td style="padding:20px 24px 24px"><a href="${escapeHtml(input.reportUrl)}" style="display:inline-block;background:#111827;color:#ffffff;text-decoration:none;font-weight:bold;font-size:15px;padding:12px 20px;border-radius:6px">Open the full report</a><p style="margin:16px 0 0;font-size:11px;line-height:16px;color:#6b7280">Every figure is defined in the full report. Sent to the marketing team (engine.digest.recipients); it names no customer.</p></td></tr></table></td></tr></table></body></html>`;

  const text = [
    `${input.title}: retention digest for ${asOf} (${since})`,
    '',
    content.previousAsOf ? 'The numbers that moved' : 'This week’s numbers',
    ...content.moved.map((fig) => {
      const change = f.change(fig);
      return `- ${fig.label}: ${f.value(fig, fig.value)}${change ? ` (${change})` : ''}. ${fig.explanation}.`;
    }),
    '',
    'Retention by month since the first purchase (average of the cohorts that completed it)',
    ...content.retentionCurve.map(
      (p) =>
        `  Month ${String(p.period).padStart(2)}  ${'█'.repeat(Math.max(1, Math.round((p.retention / peak) * 30)))} ${f.percent.format(p.retention)}`,
    ),
    '',
    'Campaigns',
    ...(campaigns.length
      ? campaigns.map((c) => `- ${c.campaignId}: ${headlineSentence(c)}`)
      : ['- No campaign has enrolled anyone yet.']),
    '',
    `Full report: ${input.reportUrl}`,
    '',
  ].join('\n');
  return { subject, html, text };
}
