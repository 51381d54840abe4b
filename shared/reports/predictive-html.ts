import type { BaseModel } from '../domain/btyd/base-model.ts';
import { DEFAULT_VALUATION, type HoldoutReport, type HoldoutRow } from '../domain/btyd/schemas.ts';
import {
  type CohortScores,
  mergeScoreDistributions,
  P_ALIVE_BINS,
  type ScoreDistribution,
  VALUE_BOUNDS,
} from '../domain/btyd/score-distribution.ts';
import type { CohortReport } from '../domain/cohort.ts';
import { formatMinor } from '../domain/money.ts';
import { bar, explain, integer, percent, STYLE, table, td } from './base-shape-html.ts';
import { escapeHtmlText as esc, heatColour } from './cohort-html.ts';
import {
  auc3,
  aucVerdict,
  day,
  decimals,
  GROUPS,
  holdoutTotalsSentence,
  modelStatusSentence,
  SCORES,
} from './predictive-sentences.ts';

/**
 * The predictive section of the report: the model in force and its fit, its self-check on the base's own recent
 * holdout, the P(alive) and expected-value distribution per cohort, and the customers with the most value at risk
 * (ids only). An HTML fragment in the base-shape section's styles (classes `bs-*`, plus a few `pm-*`), inline SVG
 * bars with titles, no script, no external asset; every part has a line a marketer can forward, and every verdict
 * is computed from the numbers shown. Pure: no I/O, no clock.
 */

export const PREDICTIVE_EXPLAIN = {
  intro:
    'From each buyer’s own history (how often they bought, how long ago), the models estimate the chance they are still a customer and what they will likely spend.',
  pAlive:
    'P(alive) is the chance a buyer would still buy at their usual rate. It is not the chance they buy next month: a once-a-year buyer can be 95% alive and still unlikely to buy in the next four weeks.',
  docs: 'What P(alive) does and does not mean, the models’ assumptions and how they were checked on published data: docs/predictive.md.',
  fit: 'Three standard models: Pareto/NBD scores the customers below, BG/NBD is the second opinion on how often people buy, Gamma-Gamma estimates what a purchase is worth.',
  logLikelihood:
    'Log-likelihood: how well the parameters explain the sample (higher is better; comparable only between fits on the same customers). A fit that did not converge is not used.',
  holdout:
    'The models are fitted again on the history up to the start of a recent holdout only, then asked how many purchase days each group of customers would have since; “actual” is what really happened.',
  auc: 'How well each score picks out who bought again in the holdout: the chance that a random customer who did scores higher than one who did not (0.5 is a coin toss, 1 is perfect).',
  cohorts:
    'Each bar splits a cohort’s buyers into ten bands of P(alive), from 0–10% (light) to 90–100% (dark). Expected alive adds up the chances: how many of them the model expects are still customers.',
  value:
    'Expected value: what buyers are expected to spend in the coming months, discounted to today’s money. Value at risk: what they would bring if still customers, times the chance they are gone; high for valuable buyers gone quiet.',
  topAtRisk:
    'The buyers whose loss would cost the most: the first to win back, personally if you can. Ids only: look them up in your own system.',
} as const;

const PM_STYLE = `<style>
.pm .pm-status{font-size:15px;font-weight:bold;margin:8px 0}
.pm .pm-param{white-space:nowrap;margin-right:10px}
.pm td{white-space:nowrap}
.pm td.bs-name small,.pm td.pm-params{white-space:normal}
.pm td.pm-params{min-width:90px}
.pm td svg.pm-dist{min-width:120px}
.pm .pm-legend{display:flex;flex-wrap:wrap;gap:4px 10px;margin:6px 0;font-size:12px}
.pm .pm-legend span{display:inline-flex;align-items:center;gap:4px}
.pm .pm-legend svg{display:inline-block}
.pm tr.pm-total td{font-weight:bold;background:#eef2f5}
</style>`;

const significant = (v: number) => new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(v);
const row = (cells: string[], cls = '') => `<tr${cls ? ` class="${cls}"` : ''}>${cells.join('')}</tr>`;
const text = (value: string, name = false) => td(esc(value), name);

type Fit = NonNullable<BaseModel['paretoNbd'] | BaseModel['bgnbd'] | BaseModel['gammaGamma']>;

const FITS: {
  key: 'paretoNbd' | 'bgnbd' | 'gammaGamma';
  name: string;
  role: string;
  symbols: Record<string, string>;
}[] = [
  {
    key: 'paretoNbd',
    name: 'Pareto/NBD',
    role: 'How often buyers buy and how long they stay; scores the customers below',
    symbols: { r: 'r', alpha: 'α', s: 's', beta: 'β' },
  },
  {
    key: 'bgnbd',
    name: 'BG/NBD',
    role: 'The same question with another assumption: a second opinion',
    symbols: { r: 'r', alpha: 'α', a: 'a', b: 'b' },
  },
  {
    key: 'gammaGamma',
    name: 'Gamma-Gamma',
    role: 'What a purchase is worth (spend per purchase day)',
    symbols: { p: 'p', q: 'q', gamma: 'γ' },
  },
];

function fitTable(model: BaseModel): string {
  const rows = FITS.flatMap(({ key, name, role, symbols }) => {
    const fit: Fit | undefined = model[key];
    if (!fit) return [];
    const params = Object.entries(fit.params)
      .map(([p, v]) => `<span class="pm-param">${esc(`${symbols[p] ?? p} = ${significant(v)}`)}</span>`)
      .join(' ');
    const detail = `${integer(fit.iterations)} iterations on ${integer(fit.distinctRows)} distinct histories`;
    const converged = fit.converged
      ? `yes<small>${esc(detail)}</small>`
      : `<strong>no</strong><small>${esc(`${fit.problem ?? 'did not converge'} (${detail})`)}</small>`;
    return [
      row([
        td(`<strong>${esc(name)}</strong><small>${esc(role)}</small>`, true),
        `<td class="bs-name pm-params">${params}</td>`,
        text(fit.logLikelihood === null ? 'not finite' : decimals(fit.logLikelihood, 2)),
        td(converged, true),
      ]),
    ];
  });
  return table(['Model', 'Parameters', 'Log-likelihood', 'Converged'], rows, 'Model parameters', [0, 1, 3]);
}

function settingsLine(model: BaseModel): string {
  const s = model.settings;
  return explain(
    `Sample of up to ${integer(s.sampleSize)} buyers; self-check on the last ${integer(s.holdoutWeeks)} weeks; expected purchases over ${integer(s.horizonDays)} days; value over ${integer(s.valuation.months)} months, discounted at ${decimals(s.valuation.annualDiscountRate * 100, 1)}% a year.`,
  );
}

function holdoutTable(h: HoldoutReport): string {
  const perCustomer = (v: number, n: number) => (n > 0 ? decimals(v / n, 2) : '—');
  const cells = (r: HoldoutRow) => [
    text(r.frequency === 'all' ? 'All' : r.frequency, true),
    text(integer(r.customers)),
    text(integer(r.actual)),
    text(integer(Math.round(r.bgnbd))),
    text(integer(Math.round(r.paretoNbd))),
    text(perCustomer(r.actual, r.customers)),
    text(perCustomer(r.bgnbd, r.customers)),
    text(perCustomer(r.paretoNbd, r.customers)),
  ];
  const rows = [...h.byFrequency.map((r) => row(cells(r))), row(cells(h.totals), 'pm-total')];
  return table(
    [
      `Repeat purchases by ${h.calibrationEnd}`,
      'Customers',
      'Actual',
      'BG/NBD',
      'Pareto/NBD',
      'Actual per customer',
      'BG/NBD per customer',
      'Pareto/NBD per customer',
    ],
    rows,
    'Predicted vs actual purchase days in the holdout',
  );
}

function aucTable(h: HoldoutReport): string {
  const cols = GROUPS.map(([g]) => h.auc[g]);
  const best = cols.map((a) =>
    Math.max(...[...SCORES.map(([k]) => a[k]), a.daysSinceLastPurchase].map((v) => v ?? -1)),
  );
  const cell = (v: number | null, i: number) =>
    td(v === null ? '—' : v === best[i] ? `<strong>${auc3(v)}</strong>` : auc3(v));
  const rows = [
    ...SCORES.map(([k, label]) => row([text(label, true), ...cols.map((a, i) => cell(a[k], i))])),
    row([
      text('Days since last purchase (the plain rule)', true),
      ...cols.map((a, i) => cell(a.daysSinceLastPurchase, i)),
    ]),
  ];
  return table(['Score', 'All customers', 'Repeat buyers only'], rows, 'ROC AUC against recency');
}

/** One colour per P(alive) band: the report's heat scale at the band's middle. */
const bandColour = (i: number) => heatColour((i + 0.5) / P_ALIVE_BINS).background;
const bandLabel = (i: number) => `${i * 10}–${(i + 1) * 10}%`;

/** A stacked bar of a cohort's P(alive) bands, light (probably gone) to dark (probably still buying). */
function distributionBar(label: string, bins: readonly number[]): string {
  const total = bins.reduce((a, b) => a + b, 0);
  const title = `${label}: P(alive) of ${integer(total)} buyers — ${bins.map((n, i) => `${bandLabel(i)}: ${integer(n)}`).join(', ')}`;
  let x = 0;
  const rects = bins.map((n, i) => {
    if (n === 0 || total === 0) return '';
    const w = (n / total) * 100;
    const rect = `<rect x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="14" fill="${bandColour(i)}" stroke="#ffffff" stroke-width="1" vector-effect="non-scaling-stroke"><title>${esc(`${label}, P(alive) ${bandLabel(i)}: ${integer(n)} buyers (${percent(n / total)})`)}</title></rect>`;
    x += w;
    return rect;
  });
  return `<svg class="pm-dist" width="100%" height="14" viewBox="0 0 100 14" preserveAspectRatio="none" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${rects.join('')}<rect x="0" y="0" width="100" height="14" fill="none" stroke="#57606a" stroke-width="1" vector-effect="non-scaling-stroke"/></svg>`;
}

function bandLegend(): string {
  const items = Array.from(
    { length: P_ALIVE_BINS },
    (_, i) =>
      `<span><svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect x="0.5" y="0.5" width="11" height="11" fill="${bandColour(i)}" stroke="#57606a"/></svg>${esc(bandLabel(i))}</span>`,
  );
  return `<div class="pm-legend" role="group" aria-label="P(alive) bands">${items.join('')}</div>`;
}

const ALL = '0000-00';
const distributionOf = (c: CohortScores): ScoreDistribution => ({
  asOf: '',
  model: '',
  currency: '',
  cohorts: { [ALL]: c },
  topAtRisk: [],
});

function cohortTable(cohorts: [string, CohortScores][], currency: string, months: number): string {
  const money = (minor: number) => formatMinor(Math.round(minor), currency);
  const cells = (label: string, c: CohortScores) => [
    text(label, true),
    text(integer(c.customers)),
    text(decimals(c.pAliveSum, 1)),
    text(percent(c.customers > 0 ? c.pAliveSum / c.customers : 0)),
    td(distributionBar(label, c.pAlive)),
    text(money(c.customers > 0 ? c.expectedValueMinor / c.customers : 0)),
    text(money(c.expectedValueMinor)),
    text(money(c.valueAtRiskMinor)),
  ];
  // All cohorts: the domain's own merge, with every cohort under one key.
  if (cohorts.length === 0) return explain('No buyer scored.');
  const total = cohorts.map(([, c]) => distributionOf(c)).reduce((a, b) => mergeScoreDistributions(a, b)).cohorts[ALL];
  if (!total) return explain('No buyer scored.');
  const rows = [...cohorts.map(([key, c]) => row(cells(key, c))), row(cells('All cohorts', total), 'pm-total')];
  return (
    table(
      [
        'Cohort',
        'Buyers',
        'Expected alive',
        'Share alive',
        'P(alive)',
        'Expected value per buyer',
        'Expected value',
        'Value at risk',
      ],
      rows,
      'P(alive) and expected value by cohort',
      [0, 4],
    ) +
    explain(`All cohorts together, by what each buyer is expected to spend over the next ${integer(months)} months:`) +
    valueTable(total.value, total.customers, currency, months)
  );
}

/** Buyers by expected value, over all cohorts, in the bands of VALUE_BOUNDS (major units). */
function valueTable(bins: readonly number[], customers: number, currency: string, months: number): string {
  const major = (v: number) =>
    new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v);
  const label = (i: number) => {
    const lo = VALUE_BOUNDS[i - 1];
    const hi = VALUE_BOUNDS[i];
    if (lo === undefined) return `under ${major(hi ?? 0)}`;
    return hi === undefined ? `${major(lo)} or more` : `${major(lo)} to under ${major(hi)}`;
  };
  const rows = bins.map((n, i) => {
    const share = customers > 0 ? n / customers : 0;
    return row([
      text(label(i), true),
      text(integer(n)),
      text(percent(share)),
      td(bar(share, `${label(i)}: ${percent(share)} of buyers`)),
    ]);
  });
  const head = `Expected ${integer(months)}-month value`;
  return table([head, 'Buyers', 'Share', ''], rows, `Buyers by expected ${integer(months)}-month value`);
}

function topAtRiskTable(scores: NonNullable<CohortReport['scores']>, currency: string): string {
  const rows = scores.topAtRisk.map((c, i) =>
    row([
      text(String(i + 1)),
      text(c.customerId, true),
      text(formatMinor(c.valueAtRiskMinor, currency)),
      text(percent(c.pAlive)),
      text(formatMinor(c.expectedValueMinor, currency)),
      text(c.cohort, true),
    ]),
  );
  return table(
    ['#', 'Customer id', 'Value at risk', 'P(alive)', 'Expected value', 'Cohort'],
    rows,
    'Customers with the most value at risk',
    [1, 5],
  );
}

function scoresBlock(report: CohortReport): string {
  const { scores } = report;
  if (!scores)
    return `<h3>By cohort</h3>${explain('No scores yet: customers are scored from the pass after the first successful fit.')}`;
  const cohorts = Object.entries(scores.cohorts).sort(([a], [b]) => (a < b ? -1 : 1));
  const valuation = report.model?.settings.valuation ?? DEFAULT_VALUATION;
  const scored = explain(
    `Scored as of ${day(scores.asOf)} with the model fitted as of ${day(scores.model)}; expected value over the next ${integer(valuation.months)} months, discounted at ${decimals(valuation.annualDiscountRate * 100, 1)}% a year.`,
  );
  const top =
    scores.topAtRisk.length > 0 ? topAtRiskTable(scores, report.currency) : explain('No customer has value at risk.');
  return [
    `<h3>By cohort</h3>`,
    explain(PREDICTIVE_EXPLAIN.cohorts),
    explain(PREDICTIVE_EXPLAIN.value),
    scored,
    bandLegend(),
    cohortTable(cohorts, report.currency, valuation.months),
    `<h3>Most value at risk</h3>`,
    explain(PREDICTIVE_EXPLAIN.topAtRisk),
    top,
  ].join('\n');
}

function holdoutBlock(model: BaseModel): string {
  const h = model.holdout;
  const heading = `<h3>Does it work on our own data?</h3>`;
  if (!h) {
    return `${heading}${explain(`No self-check yet: too few buyers had bought ${integer(model.settings.holdoutWeeks)} weeks before the fit.`)}`;
  }
  const from =
    model.status === 'kept-previous' && model.fittedAsOf
      ? explain(`The self-check of the fit of ${day(model.fittedAsOf)}, whose parameters are kept.`)
      : '';
  return [
    heading,
    explain(PREDICTIVE_EXPLAIN.holdout),
    from,
    `<p>${esc(`Holdout: ${integer(h.weeks)} weeks from ${h.calibrationEnd} to ${h.holdoutEnd}. ${holdoutTotalsSentence(h)}`)}</p>`,
    holdoutTable(h),
    `<h3>Does it rank who buys again better than recency?</h3>`,
    explain(PREDICTIVE_EXPLAIN.auc),
    explain(
      `All customers: ${integer(h.auc.all.buyers)} bought again, ${integer(h.auc.all.nonBuyers)} did not; repeat buyers only: ${integer(h.auc.repeatBuyers.buyers)} and ${integer(h.auc.repeatBuyers.nonBuyers)}.`,
    ),
    aucTable(h),
    ...aucVerdict(h.auc).map((s) => `<p>${esc(s)}</p>`),
  ].join('\n');
}

/** The section, for a report with a model (cohortReportToHtml adds it only then). */
export function renderPredictiveSection(report: CohortReport): string {
  const model = report.model;
  if (!model) return '';
  const fitted = model.status !== 'none';
  return [
    STYLE,
    PM_STYLE,
    `<section class="bs pm" aria-labelledby="pm-title">`,
    `<h2 id="pm-title">${esc('Predictions: who is likely to buy again')}</h2>`,
    `<p>${esc(PREDICTIVE_EXPLAIN.intro)}</p>`,
    explain(PREDICTIVE_EXPLAIN.pAlive),
    explain(PREDICTIVE_EXPLAIN.docs),
    `<h3>The model and its fit</h3>`,
    `<p class="pm-status">${esc(modelStatusSentence(model))}</p>`,
    model.status === 'kept-previous'
      ? `<p>${esc(`This pass, as of ${day(model.asOf)}: ${integer(model.buyers)} buyers, ${integer(model.sampled)} sampled.`)}</p>`
      : '',
    fitted ? explain(PREDICTIVE_EXPLAIN.fit) + fitTable(model) + explain(PREDICTIVE_EXPLAIN.logLikelihood) : '',
    settingsLine(model),
    fitted ? holdoutBlock(model) : '',
    fitted || report.scores ? scoresBlock(report) : '',
    `</section>`,
  ].join('\n');
}
