/**
 * The report's charts as inline SVG: no script, no external asset, a <title> and <desc> for screen readers, dark
 * strokes and a dash pattern besides colour (the average is a thick solid line, the cohorts thin ones), so a
 * printout in black and white still reads. Pure. Hand-written: a charting library would bring a DOM or a canvas to
 * draw three line charts and one bar chart, and none emits static accessible SVG without a browser.
 */
import type { CohortReport } from '../domain/cohort.ts';
import { retentionCurve } from '../domain/digest.ts';
import { STAGES, type Stage } from '../domain/lifecycle.ts';
import { addMonths } from '../domain/time.ts';
import { escapeHtml as escapeHtmlText } from '../email/text-safety.ts';

export interface Series {
  label: string;
  /** [x, y] points; y in [0, max] */
  points: readonly (readonly [number, number])[];
  emphasis?: boolean;
}

const WIDTH = 640;
const HEIGHT = 280;
const PAD = { left: 48, right: 16, top: 16, bottom: 40 };
const AVERAGE = '#01575d';
const COHORT = '#7fa9ac';
const GRID = '#d0d7de';
const INK = '#1f2328';

const n1 = (v: number) => Math.round(v * 10) / 10;

function svgOpen(id: string, title: string, desc: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" style="max-width:${WIDTH}px;height:auto;display:block" role="img" aria-labelledby="${id}-t ${id}-d" data-chart="${id}"><title id="${id}-t">${escapeHtmlText(title)}</title><desc id="${id}-d">${escapeHtmlText(desc)}</desc>`;
}

/** A line chart of ratios against months since the first purchase; the y axis runs from 0 to `yMax`. */
export function lineChart(
  id: string,
  title: string,
  desc: string,
  series: readonly Series[],
  options: { xMax: number; yMax: number; xLabel: string },
): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (v: number) => n1(PAD.left + (options.xMax > 0 ? (v / options.xMax) * plotW : 0));
  const y = (v: number) => n1(PAD.top + plotH - (Math.min(v, options.yMax) / options.yMax) * plotH);
  const parts = [svgOpen(id, title, desc)];
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const v = (options.yMax * i) / ticks;
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="${GRID}" stroke-width="1"/>`,
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${Math.round(v * 100)}%</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(options.xMax / 12));
  for (let k = 0; k <= options.xMax; k += step) {
    parts.push(
      `<text x="${x(k)}" y="${HEIGHT - PAD.bottom + 16}" font-size="11" text-anchor="middle" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${k}</text>`,
    );
  }
  parts.push(
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 6}" font-size="12" text-anchor="middle" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${escapeHtmlText(options.xLabel)}</text>`,
  );
  // Cohorts first, the emphasised series (the average) drawn last, on top.
  const ordered = [...series].sort((a, b) => Number(Boolean(a.emphasis)) - Number(Boolean(b.emphasis)));
  for (const s of ordered) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px)} ${y(py)}`).join(' ');
    const stroke = s.emphasis
      ? `stroke="${AVERAGE}" stroke-width="3"`
      : `stroke="${COHORT}" stroke-width="1.25" stroke-dasharray="4 2"`;
    parts.push(
      `<path d="${d}" fill="none" ${stroke} data-series="${escapeHtmlText(s.label)}"><title>${escapeHtmlText(s.label)}</title></path>`,
    );
    if (s.emphasis) {
      for (const [px, py] of s.points) parts.push(`<circle cx="${x(px)}" cy="${y(py)}" r="3" fill="${AVERAGE}"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Upper bound of the y axis: the largest value rounded up to a tenth, at least 10%. */
function axisMax(values: readonly number[], cap = Number.POSITIVE_INFINITY): number {
  const top = Math.min(cap, Math.max(0.1, ...values));
  return Math.ceil(top * 10) / 10;
}

/**
 * Retention per cohort by months since the first purchase (periods 1 on; the month of the first purchase is 100%
 * by definition), complete months only, with the size-weighted average over the cohorts that completed each month.
 */
export function retentionChart(report: CohortReport): string {
  const cohorts: Series[] = report.cohorts.map((row) => ({
    label: `Cohort ${row.cohort}`,
    points: row.periods.flatMap((p) =>
      p && p.period > 0 && p.complete && p.retention !== null ? [[p.period, p.retention] as const] : [],
    ),
  }));
  const curve = retentionCurve(report, Math.max(0, report.maxPeriods - 1));
  const average: Series = {
    label: 'Average (weighted by cohort size)',
    points: curve.map((p) => [p.period, p.retention] as const),
    emphasis: true,
  };
  const all = [...cohorts, average];
  const xMax = Math.max(1, ...all.flatMap((s) => s.points.map(([k]) => k)));
  const yMax = axisMax(all.flatMap((s) => s.points.map(([, v]) => v)));
  const first = curve[0];
  const desc = first
    ? `Thick line: on average ${Math.round(first.retention * 1000) / 10}% of a cohort bought again in month 1; thin dashed lines: one cohort each. Complete months only.`
    : 'No cohort has completed a month after its first yet.';
  return lineChart('retention-curves', 'Retention by months since the first purchase', desc, all, {
    xMax,
    yMax,
    xLabel: 'Months since the first purchase',
  });
}

/**
 * Revenue retention: a period's revenue over the cohort's first-month revenue, per cohort and on average (the
 * revenue-weighted mean: all cohorts' revenue in period k over their period-0 revenue, cohorts with k complete).
 */
export function revenueRetentionChart(report: CohortReport): string {
  const cohorts: Series[] = report.cohorts.map((row) => ({
    label: `Cohort ${row.cohort}`,
    points: row.periods.flatMap((p) =>
      p && p.period > 0 && p.complete && p.revenueRetention !== null ? [[p.period, p.revenueRetention] as const] : [],
    ),
  }));
  const points: [number, number][] = [];
  for (let k = 1; k < report.maxPeriods; k++) {
    let revenue = 0;
    let base = 0;
    for (const row of report.cohorts) {
      const p = row.periods[k];
      const first = row.periods[0];
      if (!p?.complete || !first) continue;
      revenue += p.revenueMinor;
      base += first.revenueMinor;
    }
    if (base <= 0) break;
    points.push([k, revenue / base]);
  }
  const all = [...cohorts, { label: 'Average (weighted by first-month revenue)', points, emphasis: true }];
  const xMax = Math.max(1, ...all.flatMap((s) => s.points.map(([k]) => k)));
  const yMax = axisMax(
    all.flatMap((s) => s.points.map(([, v]) => v)),
    2,
  );
  const first = points[0];
  const desc = first
    ? `Thick line: on average month 1 brought ${Math.round(first[1] * 1000) / 10}% of the first month's revenue; thin dashed lines: one cohort each (above 200% drawn at 200%).`
    : 'No cohort has completed a month after its first yet.';
  return lineChart('revenue-retention', 'Revenue retention by months since the first purchase', desc, all, {
    xMax,
    yMax,
    xLabel: 'Months since the first purchase',
  });
}

const STAGE_COLOUR: Record<Stage, string> = {
  prospect: '#c9d1d9',
  new: '#6fb3b8',
  active: '#01575d',
  reactivated: '#3b8e4f',
  at_risk: '#e0a800',
  dormant: '#c2410c',
  lost: '#57606a',
};

/** Lifecycle transitions recorded per calendar month, by the stage entered (all cohorts). */
export function transitionsByMonth(report: CohortReport): { month: string; into: Record<Stage, number> }[] {
  const byMonth = new Map<string, Record<Stage, number>>();
  for (const row of report.cohorts) {
    row.periods.forEach((p, k) => {
      if (!p) return;
      const month = addMonths(row.cohort, k);
      for (const [key, n] of Object.entries(p.transitions)) {
        const to = key.slice(key.indexOf('>') + 1) as Stage;
        if (!STAGES.includes(to)) continue;
        const into = byMonth.get(month) ?? (Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>);
        into[to] += n;
        byMonth.set(month, into);
      }
    });
  }
  return [...byMonth.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([month, into]) => ({ month, into }));
}

/** Stacked bars: per calendar month, how many customers entered each lifecycle stage. */
export function stageFlowChart(report: CohortReport): string {
  const months = transitionsByMonth(report);
  const total = (m: (typeof months)[number]) => STAGES.reduce((a, s) => a + m.into[s], 0);
  const peak = Math.max(1, ...months.map(total));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom - 24;
  const used = STAGES.filter((s) => months.some((m) => m.into[s] > 0));
  const desc = months.length
    ? `Customers entering each stage per month, ${months[0]?.month} to ${months.at(-1)?.month}; most in one month: ${peak}.`
    : 'No lifecycle transitions recorded yet.';
  const parts = [svgOpen('stage-flow', 'Customers entering each lifecycle stage, by month', desc)];
  const slot = months.length ? plotW / months.length : plotW;
  const barW = Math.max(1, n1(slot * 0.7));
  months.forEach((m, i) => {
    let top = PAD.top + plotH;
    const x = n1(PAD.left + i * slot + (slot - barW) / 2);
    for (const s of used) {
      const h = (m.into[s] / peak) * plotH;
      if (h <= 0) continue;
      top -= h;
      parts.push(
        `<rect x="${x}" y="${n1(top)}" width="${barW}" height="${n1(h)}" fill="${STAGE_COLOUR[s]}" stroke="#ffffff" stroke-width="0.5"><title>${escapeHtmlText(`${m.month}: ${m.into[s]} entered ${s}`)}</title></rect>`,
      );
    }
    const step = Math.max(1, Math.ceil(months.length / 8));
    if (i % step === 0) {
      parts.push(
        `<text x="${n1(x + barW / 2)}" y="${PAD.top + plotH + 14}" font-size="10" text-anchor="middle" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${m.month}</text>`,
      );
    }
  });
  parts.push(
    `<text x="${PAD.left - 6}" y="${PAD.top + 8}" font-size="11" text-anchor="end" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${peak}</text>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + plotH}" font-size="11" text-anchor="end" fill="${INK}" font-family="Arial,Helvetica,sans-serif">0</text>`,
  );
  used.forEach((s, i) => {
    const x = PAD.left + i * 84;
    const y = HEIGHT - 14;
    parts.push(
      `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${STAGE_COLOUR[s]}"/>`,
      `<text x="${x + 14}" y="${y}" font-size="11" fill="${INK}" font-family="Arial,Helvetica,sans-serif">${s}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
