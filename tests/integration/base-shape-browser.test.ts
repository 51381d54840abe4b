import { describe, expect, it } from 'vitest';
import { computeShape } from '../../shared/domain/base-shape.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { renderBaseShapeSection } from '../../shared/reports/base-shape-html.ts';
import { inspectPage, useBrowser, WIDTHS } from '../helpers/browser.ts';
import { syntheticCustomers } from '../unit/base-shape-fixtures.ts';

const END = '2025-06-30T23:59:59.999Z';
const { customers } = syntheticCustomers(4000, END);
const now = computeShape(customers, END, 'USD');
const before = computeShape(customers, endOfDay('2025-05-31'), 'USD');

/** The section alone in a minimal page, as the report embeds it. */
const page = (fragment: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Base shape</title></head><body style="margin:0;padding:12px;background:#f4f6f8">${fragment}</body></html>`;

const browser = useBrowser();

describe('the base-shape section in a real browser', () => {
  for (const width of WIDTHS) {
    it(`fits ${width} px with movement, and shows its figures and bars`, async () => {
      const layout = await inspectPage(browser(), page(renderBaseShapeSection(now, before)), width, 'base-shape');
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      expect(layout.text).toContain('The shape of the base');
      expect(layout.text).toContain('Champions');
      expect(layout.text).toMatch(/Verdict: (tall|broad)/);
      expect(layout.text).toContain('Since 2025-05-31');
    });
  }

  it('fits 375 px for a base with no buyers yet', async () => {
    const empty = computeShape([], END, 'USD');
    const layout = await inspectPage(browser(), page(renderBaseShapeSection(empty)), 375, 'base-shape-empty');
    expect(layout.overflowing).toEqual([]);
    expect(layout.text).toContain('No revenue yet');
  });
});
