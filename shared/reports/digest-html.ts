/**
 * The weekly digest as an email: the figures that moved, the average retention curve, the campaign headlines and a
 * link to the full report. Email clients do not render SVG (Gmail, Outlook) and a PNG would need a browser at send
 * time, so the chart is a table of bars with inline styles: every client draws it, it scales to a phone, it prints,
 * and it adds about 3 KB. No scripts, no images, no external CSS. The text comes from the locale's table
 * (digest-copy.ts); numbers, money, months and dates are formatted with Intl for the locale.
 */
import type { CampaignResult, CampaignResults } from '../domain/campaign-results.ts';
import type { DigestContent, DigestFigure } from '../domain/digest.ts';
import { formatMinor } from '../domain/money.ts';
import { escapeHtml } from '../email/text-safety.ts';
import { countPhrase, DIGEST_COPY, type DigestCopy, digestLanguage } from './digest-copy.ts';

export interface DigestInput {
  content: DigestContent;
  /** campaign results of the same pass; campaigns with nobody enrolled are left out */
  campaigns?: CampaignResults | undefined;
  /** https link to the full report */
  reportUrl: string;
  /** when the link stops working at the latest (a presigned URL); absent for a link that does not expire */
  reportUrlExpiresAt?: string | undefined;
  /** BCP 47 tag: the language of the text (digest-copy.ts) and the format of numbers, money and dates */
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

function formatters(locale: string, currency: string, copy: DigestCopy) {
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dateTime = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  });
  const monthName = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const points = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
    signDisplay: 'always',
  });
  const unsignedPoints = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
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
    if (f.unit === 'ratio') return `${points.format(f.change * 100)} ${copy.points}`;
    const sign = f.change > 0 ? '+' : f.change < 0 ? '−' : '±';
    const abs =
      f.unit === 'money'
        ? formatMinor(Math.round(Math.abs(f.change)), currency, locale)
        : number.format(Math.abs(f.change));
    const relative = f.previous !== 0 ? ` (${percent.format(f.change / Math.abs(f.previous))})` : '';
    return `${sign}${abs}${relative}`;
  };
  return {
    value,
    change,
    date: (iso: string) => date.format(new Date(iso)),
    dateTime: (iso: string) => dateTime.format(new Date(iso)),
    /** `YYYY-MM` as the locale names the month with its year ("March 2024", "2024년 3월") */
    month: (key: string) => monthName.format(new Date(`${key}-15T00:00:00.000Z`)),
    percent,
    number,
    /** a difference of rates in points, with its unit */
    points: (v: number, signed: boolean) => `${(signed ? points : unsignedPoints).format(v * 100)} ${copy.points}`,
  };
}

type Formatters = ReturnType<typeof formatters>;

/** The campaign's intent-to-treat headline in the digest's language (the report's own text is English). */
export function campaignHeadline(c: CampaignResult, copy: DigestCopy, f: Formatters, locale: string): string {
  const days = countPhrase(copy.days, c.measurementDays, f.number.format(c.measurementDays), locale);
  if (c.uplift === null || c.low === null || c.high === null) {
    return copy.campaign.noEstimate({
      days,
      treated: f.number.format(c.treated.n),
      holdout: f.number.format(c.holdout.n),
    });
  }
  const rate = (v: number | null) => (v === null ? '–' : f.percent.format(v));
  const sentence = copy.campaign.estimate({
    uplift: f.points(Math.abs(c.uplift), false),
    more: c.uplift >= 0,
    days,
    treatedRate: rate(c.treated.rate),
    treatedN: f.number.format(c.treated.n),
    holdoutRate: rate(c.holdout.rate),
    holdoutN: f.number.format(c.holdout.n),
    confidence: new Intl.NumberFormat(locale, { style: 'percent' }).format(0.95),
    low: f.points(c.low, true),
    high: f.points(c.high, true),
  });
  const verdict = c.low > 0 ? copy.campaign.raised : c.high < 0 ? copy.campaign.lowered : copy.campaign.unclear;
  return `${sentence} ${verdict}`;
}

function arrow(f: DigestFigure): { symbol: string; colour: string } {
  if (f.change === null || f.change === 0) return { symbol: '', colour: '#4b5563' };
  return f.change > 0 ? { symbol: '▲', colour: '#166534' } : { symbol: '▼', colour: '#b91c1c' };
}

export function renderDigest(input: DigestInput): RenderedDigest {
  const { content, locale } = input;
  const language = digestLanguage(locale);
  const copy = DIGEST_COPY[language];
  // Korean breaks lines between words (eojeol), not inside them, as the customer emails do.
  const wordBreak = language === 'ko' ? 'word-break:keep-all;' : '';
  const f = formatters(locale, content.currency, copy);
  const asOf = f.date(content.asOf);
  const since = content.previousAsOf ? copy.since(f.date(content.previousAsOf)) : copy.firstDigest;
  const subject = copy.subject({ title: input.title, date: asOf });
  const heading = copy.heading(asOf);
  const figuresHeading = content.previousAsOf ? copy.movedHeading : copy.firstHeading;
  const month = f.month(content.month);
  const inProgress = content.inProgress
    ? copy.inProgress({
        month: f.month(content.inProgress.month),
        day: f.number.format(content.inProgress.day),
        days: f.number.format(content.inProgress.days),
        last: month,
      })
    : '';
  const campaigns = (input.campaigns?.campaigns ?? [])
    .filter((c) => c.enrolled > 0)
    .map((c) => ({ id: c.campaignId, headline: campaignHeadline(c, copy, f, locale) }));
  const linkUntil = input.reportUrlExpiresAt ? copy.linkUntil(f.dateTime(input.reportUrlExpiresAt)) : '';
  const peak = Math.max(0.0001, ...content.retentionCurve.map((p) => p.retention));
  const figureText = (fig: DigestFigure) => copy.figures[fig.id];

  const figureRows = content.moved
    .map((fig) => {
      const a = arrow(fig);
      const change = f.change(fig);
      const text = figureText(fig);
      return `<tr><td style="padding:10px 0;border-bottom:1px solid #e5e7eb;vertical-align:top"><div style="font-size:14px;color:#111827;font-weight:bold">${escapeHtml(text.label(month))}</div><div style="font-size:12px;color:#6b7280;line-height:16px">${escapeHtml(text.explanation)}</div></td><td style="padding:10px 0 10px 12px;border-bottom:1px solid #e5e7eb;text-align:right;vertical-align:top;white-space:nowrap"><div style="font-size:18px;color:#111827;font-weight:bold">${escapeHtml(f.value(fig, fig.value))}</div>${change ? `<div style="font-size:12px;color:${a.colour}">${a.symbol} ${escapeHtml(change)}</div>` : ''}</td></tr>`;
    })
    .join('');
  const inProgressHtml = inProgress
    ? `<p style="margin:8px 0 0;font-size:12px;line-height:16px;color:#6b7280">${escapeHtml(inProgress)}</p>`
    : '';

  const curveRows = content.retentionCurve
    .map((p) => {
      const width = Math.max(1, Math.round((p.retention / peak) * 100));
      return `<tr><td style="padding:3px 8px 3px 0;font-size:12px;color:#4b5563;white-space:nowrap;width:64px">${escapeHtml(copy.period(f.number.format(p.period)))}</td><td style="padding:3px 0"><table role="presentation" width="${width}%" cellpadding="0" cellspacing="0" style="border-collapse:collapse"><tr><td style="background:${BAR_COLOUR};height:14px;line-height:14px;font-size:0">&nbsp;</td></tr></table></td><td style="padding:3px 0 3px 8px;font-size:12px;color:#111827;text-align:right;white-space:nowrap;width:52px">${escapeHtml(f.percent.format(p.retention))}</td></tr>`;
    })
    .join('');
  const chart = content.retentionCurve.length
    ? `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse" aria-label="${escapeHtml(copy.curveLabel)}">${curveRows}</table>`
    : `<p style="font-size:14px;color:#4b5563">${escapeHtml(copy.noCurve)}</p>`;

  const campaignHtml = campaigns.length
    ? campaigns
        .map(
          (c) =>
            `<p style="margin:0 0 10px;font-size:14px;line-height:20px"><strong>${escapeHtml(c.id)}</strong>: ${escapeHtml(c.headline)}</p>`,
        )
        .join('')
    : `<p style="margin:0;font-size:14px;color:#4b5563">${escapeHtml(copy.noCampaigns)}</p>`;

  const section = (title: string, body: string) =>
    `<tr><td style="padding:20px 24px 4px"><h2 style="margin:0 0 8px;font-size:16px;line-height:22px;color:#111827">${escapeHtml(title)}</h2>${body}</td></tr>`;
  const linkUntilHtml = linkUntil
    ? `<p style="margin:8px 0 0;font-size:12px;line-height:16px;color:#6b7280">${escapeHtml(linkUntil)}</p>`
    : '';

  const html = `<!doctype html><html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head><body style="margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#1f2937;${wordBreak}"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;background:#f3f4f6"><tr><td align="center" style="padding:16px 8px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;max-width:600px;background:#ffffff;border-radius:8px;${wordBreak}"><tr><td style="padding:24px 24px 0"><div style="font-size:12px;color:#6b7280;letter-spacing:1px;text-transform:uppercase">${escapeHtml(input.title)}</div><h1 style="margin:4px 0 0;font-size:22px;line-height:28px;color:#111827">${escapeHtml(heading)}</h1><div style="font-size:13px;color:#6b7280;margin-top:4px">${escapeHtml(since)}</div></td></tr>${section(
    figuresHeading,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${figureRows}</table>${inProgressHtml}`,
  )}${section(copy.curveHeading, `${chart}<p style="margin:8px 0 0;font-size:12px;color:#6b7280">${escapeHtml(copy.curveNote)}</p>`)}${section(copy.campaignsHeading, campaignHtml)}<tr><td style="padding:20px 24px 24px"><a href="${escapeHtml(input.reportUrl)}" style="display:inline-block;background:#111827;color:#ffffff;text-decoration:none;font-weight:bold;font-size:15px;padding:12px 20px;border-radius:6px">${escapeHtml(copy.openReport)}</a>${linkUntilHtml}<p style="margin:16px 0 0;font-size:11px;line-height:16px;color:#6b7280">${escapeHtml(copy.footer)}</p></td></tr></table></td></tr></table></body></html>`;

  const text = [
    input.title,
    `${heading} (${since})`,
    '',
    figuresHeading,
    ...content.moved.map((fig) => {
      const change = f.change(fig);
      const t = figureText(fig);
      return `- ${t.label(month)}: ${f.value(fig, fig.value)}${change ? ` (${change})` : ''}. ${t.explanation}.`;
    }),
    ...(inProgress ? [inProgress] : []),
    '',
    copy.curveHeading,
    ...content.retentionCurve.map(
      (p) =>
        `  ${copy.period(f.number.format(p.period))}  ${'█'.repeat(Math.max(1, Math.round((p.retention / peak) * 30)))} ${f.percent.format(p.retention)}`,
    ),
    copy.curveNote,
    '',
    copy.campaignsHeading,
    ...(campaigns.length ? campaigns.map((c) => `- ${c.id}: ${c.headline}`) : [`- ${copy.noCampaigns}`]),
    '',
    `${copy.fullReport}: ${input.reportUrl}`,
    ...(linkUntil ? [linkUntil] : []),
    '',
    copy.footer,
    '',
  ].join('\n');
  return { subject, html, text };
}
