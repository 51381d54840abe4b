/**
 * The digest in every language in headless Chromium at phone width: longer words (German compounds, Russian) and
 * other scripts (Korean) must not overflow 375 px; the link's expiry note is there. Screenshots in test-artifacts/.
 */
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeShape } from '../../shared/domain/base-shape.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { digestContent } from '../../shared/domain/digest.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { DIGEST_COPY, DIGEST_LANGUAGES } from '../../shared/reports/digest-copy.ts';
import { renderDigest } from '../../shared/reports/digest-html.ts';
import { inspectPage, launchBrowser } from '../helpers/browser.ts';
import { syntheticCustomers } from '../unit/base-shape-fixtures.ts';

const END = '2025-06-18T23:59:59.999Z';
const { customers } = syntheticCustomers(2000, END);
const reportAt = (asOf: string): CohortReport => ({
  ...computeCohorts(customers, asOf, 'USD', asOf),
  baseShape: computeShape(customers, asOf, 'USD'),
});
const content = digestContent(reportAt(END), reportAt(endOfDay('2025-06-11')));

let browser: Browser;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ browser, close } = await launchBrowser());
});
afterAll(async () => {
  await close?.();
});

describe('the digest in every language in a real browser', () => {
  for (const locale of DIGEST_LANGUAGES) {
    it(`${locale}: fits 375 px and shows the figures, the curve, the link and its expiry`, async () => {
      const digest = renderDigest({
        content,
        reportUrl: 'https://reports.example.com/cohorts/2025-06-18/report.html',
        reportUrlExpiresAt: '2025-06-19T06:00:00.000Z',
        locale,
        title: 'Example Shop',
      });
      const copy = DIGEST_COPY[locale];
      const layout = await inspectPage(browser, digest.html, 375, `digest-${locale}`);
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(375);
      for (const text of [copy.movedHeading, copy.period('1'), copy.openReport, copy.campaignsHeading]) {
        expect(layout.text).toContain(text);
      }
      expect(digest.text).toContain(copy.linkUntil('').slice(0, 6));
    });
  }
});
