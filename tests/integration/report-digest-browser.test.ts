import { describe, expect, it } from 'vitest';
import { computeShape } from '../../shared/domain/base-shape.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { digestContent } from '../../shared/domain/digest.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { DIGEST_MAX_BYTES } from '../../shared/jobs/digest.ts';
import { cohortReportToHtml } from '../../shared/reports/cohort-html.ts';
import { renderDigest } from '../../shared/reports/digest-html.ts';
import { inspectPage, useBrowser, WIDTHS } from '../helpers/browser.ts';
import { syntheticCustomers } from '../unit/base-shape-fixtures.ts';

// Mid-month: the as-of month is in progress, so the report shows its partial marker.
const END = '2025-06-18T23:59:59.999Z';
const BEFORE = endOfDay('2025-06-11');
const { customers } = syntheticCustomers(4000, END);

function reportAt(asOf: string): CohortReport {
  return { ...computeCohorts(customers, asOf, 'USD', asOf), baseShape: computeShape(customers, asOf, 'USD') };
}
const report = reportAt(END);
const previous = reportAt(BEFORE);
const html = cohortReportToHtml(report, { previous });
const digest = renderDigest({
  content: digestContent(report, previous),
  reportUrl: 'https://reports.example.com/cohorts/2025-06-18/report.html',
  locale: 'en',
  title: 'Example shop',
});

const browser = useBrowser();

describe('the report and the digest in a real browser', () => {
  for (const width of WIDTHS) {
    it(`the report fits ${width} px and shows its charts, the partial month and the base shape`, async () => {
      const layout = await inspectPage(browser(), html, width, 'report');
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      for (const title of [
        'Retention curves',
        'Revenue retention curves',
        'Stage flow',
        'The shape of the base',
        '2025-06 in progress (18 of 30 days, to 2025-06-18)',
      ]) {
        expect(layout.text).toContain(title);
      }
    });

    it(`the digest fits ${width} px and shows the figures, the curve and the link`, async () => {
      const layout = await inspectPage(browser(), digest.html, width, 'digest');
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      expect(layout.text).toContain('The numbers that moved');
      expect(layout.text).toContain('Month 1');
      expect(layout.text).toContain('Open the full report');
    });
  }

  it('draws three charts with accessible titles, one line per cohort and the average', () => {
    const charts = html.match(/<svg [^>]*data-chart="([a-z-]+)"/g) ?? [];
    expect(charts).toHaveLength(3);
    const retention = html.slice(html.indexOf('data-chart="retention-curves"'));
    const lines = retention.slice(0, retention.indexOf('</svg>')).match(/<path /g) ?? [];
    expect(lines.length).toBe(report.cohorts.filter((c) => c.periods.some((p) => p?.period && p.complete)).length + 1);
    expect(html).not.toMatch(/<script|<img|https?:\/\/(?!www\.w3\.org)/);
  });

  it('keeps the digest under Gmail’s clipping size, with no script, image or style sheet', () => {
    expect(Buffer.byteLength(digest.html)).toBeLessThanOrEqual(DIGEST_MAX_BYTES);
    expect(digest.html).not.toMatch(/<script|<img|<link|<style/);
    expect(digest.text).toContain('Full report: https://reports.example.com/');
  });
});
