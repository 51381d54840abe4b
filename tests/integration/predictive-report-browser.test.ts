import { describe, expect, it } from 'vitest';
import { type BaseModel, DEFAULT_MODEL_SETTINGS } from '../../shared/domain/btyd/base-model.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { cohortReportToHtml } from '../../shared/reports/cohort-html.ts';
import { inspectPage, useBrowser, WIDTHS } from '../helpers/browser.ts';
import { syntheticCustomers } from '../unit/base-shape-fixtures.ts';
import { cdnowPredictiveReport, fitOn, scoresOf } from '../unit/predictive-fixtures.ts';

// Real fits on the CDNOW sample (3 cohorts, self-checked on its 39-week holdout). The demo's synthetic base has
// many cohorts but its own fit fails (Gamma-Gamma does not identify p on its spend): rendered once as it is (status
// "none"), and once scored with the CDNOW model so the cohort table has the length of a real base's.
const { report: cdnow } = cdnowPredictiveReport();
const cdnowModel = cdnow.model as BaseModel;
const END = '2025-06-30T23:59:59.999Z';
const { customers } = syntheticCustomers(3000, END);
const base = computeCohorts(customers, END, 'USD', END);
// More buyers required than the base has: the pass records why there is no model (status "none").
const unfitted: CohortReport = {
  ...base,
  model: fitOn(customers, END, { ...DEFAULT_MODEL_SETTINGS, minBuyers: 100_000 }),
};
const manyCohorts: CohortReport = { ...base, model: cdnowModel, scores: scoresOf(customers, cdnowModel, END) };

const browser = useBrowser();

const distributionBars = (html: string) =>
  html.match(/<svg class="pm-dist"[^>]*role="img"[^>]*aria-label="[^"]+"><title>/g) ?? [];

describe('the predictive section of the report in a real browser', () => {
  for (const [name, report] of [
    ['predictive-cdnow', cdnow],
    ['predictive-many-cohorts', manyCohorts],
  ] as const) {
    const html = cohortReportToHtml(report);
    for (const width of WIDTHS) {
      it(`${name}: the report fits ${width} px and shows the fit, the self-check, the cohorts and the top at risk`, async () => {
        const layout = await inspectPage(browser(), html, width, `${name}-report`);
        expect(layout.overflowing).toEqual([]);
        expect(layout.scrollWidth).toBeLessThanOrEqual(width);
        for (const text of [
          'Predictions: who is likely to buy again',
          'Fitted on',
          'Does it work on our own data?',
          'Does it rank who buys again better than recency?',
          'Most value at risk',
          'docs/predictive.md',
        ]) {
          expect(layout.text).toContain(text);
        }
      });
    }

    it(`${name}: one titled P(alive) bar per cohort and the total, inline SVG only`, () => {
      const cohorts = Object.keys(report.scores?.cohorts ?? {}).length;
      expect(cohorts).toBeGreaterThan(0);
      expect(distributionBars(html)).toHaveLength(cohorts + 1);
      expect(html).not.toMatch(/<script|<img|<link|https?:\/\/(?!www\.w3\.org)/);
    });
  }

  it('a base the model could not be fitted on: the reason, no tables, fits 375 px', async () => {
    expect(unfitted.model?.status).toBe('none');
    const layout = await inspectPage(browser(), cohortReportToHtml(unfitted), 375, 'predictive-none-report');
    expect(layout.overflowing).toEqual([]);
    expect(layout.text).toContain(`Not fitted yet because ${unfitted.model?.problem}.`);
    expect(layout.text).not.toContain('Most value at risk');
  });
});
