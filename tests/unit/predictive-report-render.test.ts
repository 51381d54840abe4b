import { describe, expect, it } from 'vitest';
import type { BaseModel } from '../../shared/domain/btyd/base-model.ts';
import type { HoldoutAuc, HoldoutReport } from '../../shared/domain/btyd/schemas.ts';
import type { CohortReport } from '../../shared/domain/cohort.ts';
import { formatMinor } from '../../shared/domain/money.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { cohortReportToHtml } from '../../shared/reports/cohort-html.ts';
import { PREDICTIVE_EXPLAIN, renderPredictiveSection } from '../../shared/reports/predictive-html.ts';
import { aucVerdict, modelStatusSentence } from '../../shared/reports/predictive-sentences.ts';
import { CDNOW_SETTINGS, cdnowPredictiveReport, fitOn } from './predictive-fixtures.ts';

// Prepare: the CDNOW sample as stored customers, the models fitted on it as the weekly pass does, the base scored.
const { report, customers } = cdnowPredictiveReport();
const model = report.model as BaseModel;
const scores = report.scores as NonNullable<CohortReport['scores']>;
const holdout = model.holdout as HoldoutReport;
const html = renderPredictiveSection(report);

const decode = (s: string) =>
  s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
/** The visible text of the fragment: tags (and the SVG titles inside them) dropped, entities decoded. */
const visible = (fragment: string) =>
  decode(
    fragment
      .replace(/<title>.*?<\/title>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  );
/** The body rows of the table with this aria-label, as the visible text of each cell. */
function tableRows(fragment: string, caption: string): string[][] {
  const start = fragment.indexOf(`aria-label="${caption}"`);
  expect(start, caption).toBeGreaterThan(-1);
  const body = fragment.slice(fragment.indexOf('<tbody>', start), fragment.indexOf('</tbody>', start));
  return body
    .split('<tr')
    .slice(1)
    .map((tr) => [...tr.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => visible(m[1] ?? '').trim()));
}

const sig = (v: number) => new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(v);
const fixed = (v: number, digits: number) =>
  new Intl.NumberFormat('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const int = (v: number) => new Intl.NumberFormat('en').format(v);
const usd = (minor: number) => formatMinor(Math.round(minor), 'USD');

describe('the predictive section of the report, from real fits on the CDNOW sample', () => {
  it('says how the model was fitted, in plain words', () => {
    expect(model.status).toBe('fitted');
    expect(visible(html)).toContain(
      `Fitted on ${int(model.sampled)} sampled of ${int(model.buyers)} buyers as of 1998-06-30 (${int(model.repeatBuyers)} of them bought more than once).`,
    );
    expect(model.sampled).toBe(2357);
  });

  it('shows each model’s parameters, log-likelihood and convergence as fitted', () => {
    const rows = tableRows(html, 'Model parameters');
    const fits = [model.paretoNbd, model.bgnbd, model.gammaGamma];
    expect(rows).toHaveLength(3);
    rows.forEach((cells, i) => {
      const fit = fits[i];
      if (!fit) throw new Error('missing fit');
      for (const value of Object.values(fit.params)) expect(cells[1]).toContain(`= ${sig(value)}`);
      expect(cells[2]).toBe(fixed(fit.logLikelihood ?? Number.NaN, 2));
      expect(cells[3]).toBe(`yes ${int(fit.iterations)} iterations on ${int(fit.distinctRows)} distinct histories`);
    });
    expect(rows[0]?.[1]).toBe(
      `r = ${sig(model.paretoNbd?.params.r ?? 0)} α = ${sig(model.paretoNbd?.params.alpha ?? 0)} s = ${sig(model.paretoNbd?.params.s ?? 0)} β = ${sig(model.paretoNbd?.params.beta ?? 0)}`,
    );
  });

  it('shows the holdout table as the self-check computed it, per frequency and in total', () => {
    const rows = tableRows(html, 'Predicted vs actual purchase days in the holdout');
    const expected = [...holdout.byFrequency, holdout.totals].map((r) => [
      r.frequency === 'all' ? 'All' : r.frequency,
      int(r.customers),
      int(r.actual),
      int(Math.round(r.bgnbd)),
      int(Math.round(r.paretoNbd)),
      fixed(r.actual / r.customers, 2),
      fixed(r.bgnbd / r.customers, 2),
      fixed(r.paretoNbd / r.customers, 2),
    ]);
    expect(rows).toEqual(expected);
    // The CDNOW calibration of the paper: 1,882 actual purchase days in the 39 weeks.
    expect(holdout.calibrationEnd).toBe('1997-09-30');
    expect(holdout.totals.actual).toBe(1882);
    const off = (p: number) => fixed((Math.abs(p - 1882) / 1882) * 100, 1);
    expect(visible(html)).toContain(
      `Pareto/NBD predicted ${int(Math.round(holdout.totals.paretoNbd))} (${off(holdout.totals.paretoNbd)}% low), BG/NBD ${int(Math.round(holdout.totals.bgnbd))} (${off(holdout.totals.bgnbd)}% low).`,
    );
  });

  it('shows the AUCs to three decimals and says, from them, where the model does no better than recency', () => {
    const rows = tableRows(html, 'ROC AUC against recency');
    const keys = [
      'paretoNbdExpectedTransactions',
      'paretoNbdPAlive',
      'bgnbdExpectedTransactions',
      'bgnbdPAlive',
      'daysSinceLastPurchase',
    ] as const;
    expect(rows.map((cells) => cells.slice(1))).toEqual(
      keys.map((k) => [holdout.auc.all[k]?.toFixed(3), holdout.auc.repeatBuyers[k]?.toFixed(3)]),
    );
    const text = visible(html);
    const a = holdout.auc;
    expect(text).toContain(
      `BG/NBD P(alive) (${a.all.bgnbdPAlive?.toFixed(3)} vs ${a.all.daysSinceLastPurchase?.toFixed(3)} over all customers, worse than a coin toss;`,
    );
    expect(text).toContain('Rank by Pareto/NBD expected purchases: ahead of “days since last purchase” by');
    for (const sentence of aucVerdict(holdout.auc)) expect(text).toContain(sentence);
  });

  it('shows per cohort the scored buyers, expected alive, share, expected value per buyer and value at risk', () => {
    const rows = tableRows(html, 'P(alive) and expected value by cohort');
    const cohorts = Object.entries(scores.cohorts).sort(([x], [y]) => (x < y ? -1 : 1));
    expect(cohorts.map(([k]) => k)).toEqual(['1997-01', '1997-02', '1997-03']);
    const sum = (f: (c: (typeof cohorts)[number][1]) => number) => cohorts.reduce((s, [, c]) => s + f(c), 0);
    const all = {
      customers: sum((c) => c.customers),
      pAliveSum: sum((c) => c.pAliveSum),
      expectedValueMinor: sum((c) => c.expectedValueMinor),
      valueAtRiskMinor: sum((c) => c.valueAtRiskMinor),
    };
    expect(all.customers).toBe(customers.length);
    const expected = [...cohorts, ['All cohorts', all] as const].map(([label, c]) => [
      label,
      int(c.customers),
      fixed(c.pAliveSum, 1),
      pct(c.pAliveSum / c.customers),
      usd(c.expectedValueMinor / c.customers),
      usd(c.expectedValueMinor),
      usd(c.valueAtRiskMinor),
    ]);
    // Column 4 is the P(alive) bar: its title lists each band's count.
    expect(rows.map((cells) => [...cells.slice(0, 4), ...cells.slice(5)])).toEqual(expected);
    for (const [key, c] of cohorts) {
      const title = `${key}: P(alive) of ${int(c.customers)} buyers — ${c.pAlive.map((n, i) => `${i * 10}–${(i + 1) * 10}%: ${int(n)}`).join(', ')}`;
      expect(decode(html)).toContain(`aria-label="${title}"`);
    }
    const values = tableRows(html, 'Buyers by expected 12-month value');
    expect(values.map((cells) => cells[1])).toEqual(
      cohorts[0]?.[1].value.map((_, i) => int(sum((c) => c.value[i] ?? 0))),
    );
  });

  it('lists the top customers by value at risk, ids only, with P(alive) and money in the report’s currency', () => {
    const rows = tableRows(html, 'Customers with the most value at risk');
    expect(scores.topAtRisk).toHaveLength(20);
    expect(rows).toEqual(
      scores.topAtRisk.map((c, i) => [
        String(i + 1),
        c.customerId,
        formatMinor(c.valueAtRiskMinor, report.currency),
        pct(c.pAlive),
        formatMinor(c.expectedValueMinor, report.currency),
        c.cohort,
      ]),
    );
    // Nothing that looks like an address (the style sheet's @media aside).
    expect(html.replace(/<style>[\s\S]*?<\/style>/g, '')).not.toContain('@');
  });

  it('explains every part for a marketer and points to docs/predictive.md', () => {
    const text = visible(html);
    for (const line of Object.values(PREDICTIVE_EXPLAIN)) expect(text).toContain(line);
    expect(text).toContain('docs/predictive.md');
    expect(html).not.toMatch(/<script|<img|<link|https?:\/\/(?!www\.w3\.org)/);
  });

  it('is in the HTML report only when the report has a model', () => {
    expect(cohortReportToHtml(report)).toContain('Predictions: who is likely to buy again');
    const { model: _model, scores: _scores, ...without } = report;
    expect(cohortReportToHtml(without)).not.toContain('Predictions: who is likely to buy again');
  });
});

describe('the model status in plain words', () => {
  // A pass that sees too few buyers: 50 of the sample's customers, a week later.
  const later = endOfDay('1998-07-07');
  const few = customers.slice(0, 50);

  it('kept-previous: the date of the parameters kept and the reason, with their fit and self-check', () => {
    const kept = fitOn(few, later, CDNOW_SETTINGS, model);
    expect(kept.status).toBe('kept-previous');
    expect(modelStatusSentence(kept)).toBe(
      'Kept the parameters of 1998-06-30 because 50 buyers: at least 200 are needed for a fit.',
    );
    const text = visible(renderPredictiveSection({ ...report, model: kept, scores: undefined }));
    expect(text).toContain(modelStatusSentence(kept));
    expect(text).toContain('This pass, as of 1998-07-07: 50 buyers, 50 sampled.');
    expect(text).toContain(`r = ${sig(model.paretoNbd?.params.r ?? 0)}`);
    expect(text).toContain('The self-check of the fit of 1998-06-30, whose parameters are kept.');
    expect(text).toContain('No scores yet');
  });

  it('none: not fitted yet and why, and no tables', () => {
    const none = fitOn(few, later, CDNOW_SETTINGS);
    expect(none.status).toBe('none');
    expect(modelStatusSentence(none)).toBe('Not fitted yet because 50 buyers: at least 200 are needed for a fit.');
    const section = renderPredictiveSection({ ...report, model: none, scores: undefined });
    expect(visible(section)).toContain(modelStatusSentence(none));
    expect(section).not.toContain('<table');
  });
});

describe('the AUC verdict is computed from the numbers', () => {
  const aucs = (score: number, recency: number): HoldoutAuc => ({
    buyers: 10,
    nonBuyers: 10,
    bgnbdPAlive: score,
    bgnbdExpectedTransactions: score,
    paretoNbdPAlive: score,
    paretoNbdExpectedTransactions: score + 0.01,
    daysSinceLastPurchase: recency,
  });

  it('every score ahead of recency: says so, and names the best with its margin', () => {
    expect(aucVerdict({ all: aucs(0.8, 0.7), repeatBuyers: aucs(0.75, 0.7) })).toEqual([
      'Every model score ranks better than “days since last purchase”.',
      'Rank by Pareto/NBD expected purchases: ahead of “days since last purchase” by 0.110 over all customers and 0.060 among repeat buyers.',
    ]);
  });

  it('no score ahead of recency: names them all and says to rank by recency', () => {
    const [noBetter, advice] = aucVerdict({ all: aucs(0.4, 0.7), repeatBuyers: aucs(0.6, 0.7) });
    expect(noBetter).toContain('BG/NBD P(alive) (0.400 vs 0.700 over all customers, worse than a coin toss');
    expect(noBetter).toContain('Pareto/NBD expected purchases (0.410 vs 0.700');
    expect(advice).toBe('No model score beats “days since last purchase” everywhere on this data: rank by recency.');
  });

  it('a group with no buyers is left out; with none left, says there is nothing to compare', () => {
    const empty: HoldoutAuc = {
      ...aucs(0.5, 0.5),
      bgnbdPAlive: null,
      bgnbdExpectedTransactions: null,
      paretoNbdPAlive: null,
      paretoNbdExpectedTransactions: null,
      daysSinceLastPurchase: null,
    };
    expect(aucVerdict({ all: aucs(0.8, 0.7), repeatBuyers: empty })[1]).toBe(
      'Rank by Pareto/NBD expected purchases: ahead of “days since last purchase” by 0.110 over all customers.',
    );
    expect(aucVerdict({ all: empty, repeatBuyers: empty })).toEqual([
      'Too few customers bought again, or did not, in the holdout to compare rankings.',
    ]);
  });
});
