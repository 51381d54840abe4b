import type { CohortPeriod, CohortReport, CohortRow } from '../domain/cohort.ts';
import { STAGES } from '../domain/lifecycle.ts';
import { formatMinor } from '../domain/money.ts';
import { renderBaseShapeSection } from './base-shape-html.ts';
import { retentionChart, revenueRetentionChart, stageFlowChart } from './charts.ts';
import { renderPredictiveSection } from './predictive-html.ts';

/**
 * The cohort report as one self-contained HTML page: table layout with inline styles, inline SVG charts
 * (shared/reports/charts.ts) and the base-shape section (which brings its own <style> block); no script, no
 * external asset, so it opens from S3, a file or an attachment and prints. Pure: no I/O, no clock. The digest
 * (shared/reports/digest-html.ts) is the email version.
 */

export interface CohortHtmlOptions {
  title?: string;
  /** Pre-rendered, trusted HTML fragment embedded verbatim (the caller is responsible for escaping it). */
  campaignSummary?: string;
  /** the previous snapshot: the base shape's movement is shown against it */
  previous?: CohortReport | undefined;
}

/** Escapes text for use in element content and double- or single-quoted attribute values. */
export function escapeHtmlText(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

type Rgb = readonly [number, number, number];

const SCALE_LOW: Rgb = [255, 255, 255];
/** Dark teal, the top of the sequential scale. */
const SCALE_HIGH: Rgb = [1, 87, 93];
const UNREACHED_BG = '#e6e6e6';
const FONT = 'font-family:Arial,Helvetica,sans-serif;';
const BORDER = 'border:1px solid #d0d7de;';
const PAGE_BG = '#f4f6f8';
const CARD_BG = '#ffffff';
const HEAD_BG = '#eef2f5';
const TEXT = '#1f2328';

function hex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** sRGB relative luminance (WCAG 2). */
function luminance([r, g, b]: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/**
 * Colour of a heatmap cell for a ratio: linear white → dark teal, clamped to [0, 1] (so revenue retention
 * above 100% gets the top colour). Text is whichever of black/white contrasts more with the background.
 */
export function heatColour(ratio: number): { background: string; text: string } {
  const t = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  const mix = (lo: number, hi: number) => lo + (hi - lo) * t;
  const [lr, lg, lb] = SCALE_LOW;
  const [hr, hg, hb] = SCALE_HIGH;
  const rgb: Rgb = [mix(lr, hr), mix(lg, hg), mix(lb, hb)];
  const l = luminance(rgb);
  const contrastWhite = 1.05 / (l + 0.05);
  const contrastBlack = (l + 0.05) / 0.05;
  return { background: hex(rgb), text: contrastWhite >= contrastBlack ? '#ffffff' : '#000000' };
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function cellStyle(background: string, color = TEXT, align: 'left' | 'right' | 'center' = 'right'): string {
  return `${FONT}${BORDER}padding:4px 6px;font-size:12px;text-align:${align};background-color:${background};color:${color};white-space:nowrap;`;
}

function th(text: string, align: 'left' | 'right' | 'center' = 'center'): string {
  return `<th style="${cellStyle(HEAD_BG, TEXT, align)}font-weight:bold;">${escapeHtmlText(text)}</th>`;
}

function td(text: string, align: 'left' | 'right' | 'center' = 'right', background = CARD_BG): string {
  return `<td style="${cellStyle(background, TEXT, align)}">${escapeHtmlText(text)}</td>`;
}

function dataTable(headers: string[], rows: string[]): string {
  const head = `<tr>${headers.map((h, i) => th(h, i === 0 ? 'left' : 'center')).join('')}</tr>`;
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;${FONT}">${head}${rows.join('')}</table>`;
}

function periodHeaders(report: CohortReport): string[] {
  return Array.from({ length: report.maxPeriods }, (_, k) => `M${k}`);
}

function cohortLabelCells(row: CohortRow): string {
  return `${td(row.cohort, 'left', HEAD_BG)}${td(String(row.size), 'right', HEAD_BG)}`;
}

const INCOMPLETE_MARK = '*';

/** "month in progress: 1 of 31 days of 2026-12, figures so far", or undefined when the as-of month is complete. */
export function partialMonthNote(report: CohortReport): string | undefined {
  const open = report.cohorts.flatMap((r) => r.periods).find((p) => p !== null && !p.complete);
  if (!open) return undefined;
  const day = Number(report.asOf.slice(8, 10));
  const [y, m] = open.month.split('-').map(Number) as [number, number];
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${open.month} in progress (${day} of ${days} days, to ${report.asOf.slice(0, 10)}): its figures are so far, not a month's`;
}

type HeatmapKind = 'retention' | 'revenue-retention';

function heatCell(kind: HeatmapKind, p: CohortPeriod | null): string {
  if (!p) return `<td data-heatmap="${kind}" style="${cellStyle(UNREACHED_BG)}"></td>`;
  const value = kind === 'retention' ? p.retention : p.revenueRetention;
  const mark = p.complete ? '' : INCOMPLETE_MARK;
  if (value !== null && !p.complete) {
    // A month in progress is not coloured on the scale: its figure is so far, not comparable with whole months.
    const title = `${p.month}: month in progress, figures so far (${kind === 'retention' ? `${p.retained} retained` : `${percent(value)} of period-0 revenue`})`;
    return `<td data-heatmap="${kind}" data-partial="true" title="${escapeHtmlText(title)}" style="${cellStyle('#ffffff', '#57606a', 'center')}border:1px dashed #8c959f;font-style:italic;">${escapeHtmlText(percent(value) + mark)}</td>`;
  }
  if (value === null) {
    return `<td data-heatmap="${kind}" title="no period-0 revenue" style="${cellStyle(CARD_BG, '#6e7781', 'center')}">n/a</td>`;
  }
  const { background, text } = heatColour(value);
  const title =
    kind === 'retention' ? `${p.month}: ${p.retained} retained` : `${p.month}: ${percent(value)} of period-0 revenue`;
  return `<td data-heatmap="${kind}" title="${escapeHtmlText(title)}" style="${cellStyle(background, text, 'center')}">${escapeHtmlText(percent(value) + mark)}</td>`;
}

function heatmap(report: CohortReport, kind: HeatmapKind): string {
  const rows = report.cohorts.map(
    (row) => `<tr>${cohortLabelCells(row)}${row.periods.map((p) => heatCell(kind, p)).join('')}</tr>`,
  );
  return dataTable(['Cohort', 'Size', ...periodHeaders(report)], rows);
}

function legend(): string {
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const swatches = stops
    .map((t) => {
      const { background, text } = heatColour(t);
      return `<td style="${cellStyle(background, text, 'center')}">${escapeHtmlText(`${Math.round(t * 100)}%`)}</td>`;
    })
    .join('');
  const unreached = `<td style="${cellStyle(UNREACHED_BG, TEXT, 'center')}">not reached</td>`;
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;${FONT}"><tr>${swatches}${unreached}</tr></table>`;
}

function ltvTable(report: CohortReport): string {
  const rows = report.cohorts.map((row) => {
    const cells = row.periods
      .map((p) =>
        p
          ? td(formatMinor(p.cumulativeRevenuePerCustomerMinor, report.currency) + (p.complete ? '' : INCOMPLETE_MARK))
          : `<td style="${cellStyle(UNREACHED_BG)}"></td>`,
      )
      .join('');
    return `<tr>${cohortLabelCells(row)}${cells}</tr>`;
  });
  return dataTable(['Cohort', 'Size', ...periodHeaders(report)], rows);
}

function stagesTable(report: CohortReport): string {
  const totals = STAGES.map(() => 0);
  const rows = report.cohorts.map((row) => {
    const cells = STAGES.map((s, i) => {
      const n = row.stages[s] ?? 0;
      totals[i] = (totals[i] ?? 0) + n;
      return td(String(n));
    }).join('');
    return `<tr>${cohortLabelCells(row)}${cells}</tr>`;
  });
  const size = report.cohorts.reduce((sum, r) => sum + r.size, 0);
  rows.push(
    `<tr>${td('Total', 'left', HEAD_BG)}${td(String(size), 'right', HEAD_BG)}${totals.map((n) => td(String(n), 'right', HEAD_BG)).join('')}</tr>`,
  );
  return dataTable(['Cohort', 'Size', ...STAGES], rows);
}

/** "active>at_risk" → "active → at_risk". */
export function transitionLabel(key: string): string {
  const at = key.indexOf('>');
  return at < 0 ? key : `${key.slice(0, at)} → ${key.slice(at + 1)}`;
}

/** Transition counts per period index, summed over cohorts. */
export function transitionsByPeriod(report: CohortReport): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const row of report.cohorts) {
    row.periods.forEach((p, k) => {
      if (!p) return;
      for (const [key, n] of Object.entries(p.transitions)) {
        let counts = byKey.get(key);
        if (!counts) {
          counts = new Array<number>(report.maxPeriods).fill(0);
          byKey.set(key, counts);
        }
        counts[k] = (counts[k] ?? 0) + n;
      }
    });
  }
  return new Map([...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function transitionsTable(report: CohortReport): string {
  const byKey = transitionsByPeriod(report);
  if (byKey.size === 0) return paragraph('No lifecycle transitions recorded.');
  const rows = [...byKey.entries()].map(([key, counts]) => {
    const total = counts.reduce((a, b) => a + b, 0);
    return `<tr>${td(transitionLabel(key), 'left', HEAD_BG)}${counts.map((n) => td(String(n))).join('')}${td(String(total), 'right', HEAD_BG)}</tr>`;
  });
  return dataTable(['Transition', ...periodHeaders(report), 'Total'], rows);
}

function paragraph(text: string, extra = ''): string {
  return `<p style="${FONT}margin:0 0 8px 0;font-size:13px;line-height:1.5;color:${TEXT};${extra}">${escapeHtmlText(text)}</p>`;
}

function heading(text: string): string {
  return `<h2 style="${FONT}margin:0 0 8px 0;font-size:16px;color:${TEXT};">${escapeHtmlText(text)}</h2>`;
}

/** One full-width block of the card; the inner div scrolls horizontally where clients allow it. */
function section(content: string): string {
  return `<tr><td style="padding:16px 24px;background-color:${CARD_BG};${FONT}"><div style="overflow-x:auto;">${content}</div></td></tr>`;
}

function totalsTable(report: CohortReport): string {
  const rows: [string, string][] = [
    ['Customers with a purchase', String(report.customersWithPurchase)],
    ['Prospects (no purchase yet)', String(report.prospects)],
    ['Cohorts', String(report.cohorts.length)],
  ];
  if (report.skippedOtherCurrency > 0) {
    rows.push([`Skipped (currency other than ${report.currency})`, String(report.skippedOtherCurrency)]);
  }
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;${FONT}">${rows
    .map(([label, value]) => `<tr>${td(label, 'left', HEAD_BG)}${td(value)}</tr>`)
    .join('')}</table>`;
}

/** Renders the cohort report as a complete, self-contained, email-client-safe HTML document. */
export function cohortReportToHtml(report: CohortReport, options: CohortHtmlOptions = {}): string {
  const title = options.title ?? `Cohort report as of ${report.asOf.slice(0, 10)}`;
  const empty = report.cohorts.length === 0;
  const open = partialMonthNote(report);
  const note = `${open ? `${INCOMPLETE_MARK} ${open}; not coloured on the scale. ` : ''}Grey cells: period not reached yet.`;
  const sections = [
    section(
      `<h1 style="${FONT}margin:0 0 8px 0;font-size:22px;color:${TEXT};">${escapeHtmlText(title)}</h1>` +
        paragraph(
          `As of ${report.asOf} · generated ${report.generatedAt} · currency ${report.currency}`,
          'color:#57606a;',
        ) +
        paragraph(`Definitions: ${report.definitions}`, 'font-size:12px;color:#57606a;'),
    ),
    section(heading('Totals') + totalsTable(report)),
  ];
  if (options.campaignSummary !== undefined) {
    sections.push(section(heading('Campaigns') + options.campaignSummary));
  }
  if (empty) {
    sections.push(section(paragraph('No cohorts yet: no customer has purchased by the as-of date.')));
  } else {
    sections.push(
      section(
        heading('Retention curves') +
          paragraph('Share of each cohort buying again, by months since the first purchase; complete months only.') +
          retentionChart(report),
      ),
      section(
        heading('Retention by cohort') +
          heatmap(report, 'retention') +
          paragraph(note, 'margin-top:8px;font-size:12px;'),
      ),
      section(
        heading('Revenue retention curves') +
          paragraph("A month's revenue from a cohort over its first month's revenue; complete months only.") +
          revenueRetentionChart(report),
      ),
      section(heading('Revenue retention by cohort') + heatmap(report, 'revenue-retention')),
      section(
        heading('Colour scale') +
          legend() +
          paragraph('Revenue retention above 100% uses the 100% colour.', 'margin-top:8px;font-size:12px;'),
      ),
      section(heading('Cumulative revenue per customer (LTV to date)') + ltvTable(report)),
      section(heading(`Lifecycle stage as of ${report.asOf.slice(0, 10)} by cohort`) + stagesTable(report)),
      section(
        heading('Stage flow') +
          paragraph('Customers entering each lifecycle stage, per calendar month (all cohorts).') +
          stageFlowChart(report),
      ),
      section(heading('Lifecycle transitions by period (all cohorts)') + transitionsTable(report)),
    );
  }
  if (report.baseShape) {
    sections.push(section(renderBaseShapeSection(report.baseShape, options.previous?.baseShape)));
  }
  // The predictive model's section (docs/predictive.md), when the pass recorded a model.
  if (report.model) sections.push(section(renderPredictiveSection(report)));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtmlText(title)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background-color:${PAGE_BG};">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;background-color:${PAGE_BG};">`,
    `<tr><td align="center" style="padding:24px 8px;background-color:${PAGE_BG};">`,
    // Fixed layout at the page's width: a wide table scrolls inside its section instead of widening the page.
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;width:100%;max-width:1200px;table-layout:fixed;background-color:${CARD_BG};${BORDER}">`,
    ...sections,
    '</table>',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
