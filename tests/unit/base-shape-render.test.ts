import { describe, expect, it } from 'vitest';
import { type BaseShape, computeShape, regularityOf } from '../../shared/domain/base-shape.ts';
import { purchasesAsOf } from '../../shared/domain/base-shape-facts.ts';
import { SEGMENTS } from '../../shared/domain/rfm.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { EXPLAIN, renderBaseShapeSection, SEGMENT_COPY } from '../../shared/reports/base-shape-html.ts';
import { syntheticCustomers } from './base-shape-fixtures.ts';

const END = '2025-06-30T23:59:59.999Z';
const { customers, archetypes } = syntheticCustomers(3000, END);
const now = computeShape(customers, END, 'USD');
const before = computeShape(customers, endOfDay('2025-03-31'), 'USD');

describe('the base shape of the synthetic demo base', () => {
  it('counts the planted prospects apart from the buyers', () => {
    const prospects = [...archetypes.values()].filter((a) => a === 'prospect').length;
    expect(now.prospects).toBeGreaterThanOrEqual(prospects);
    expect(now.buyers + now.prospects).toBe(customers.length);
  });

  it('finds the planted subscription customers as regulars, and few others', () => {
    const regular = customers.filter((c) => {
      const facts = purchasesAsOf(c, END);
      if (!facts || facts.orders < 2) return false;
      const gap = (facts.lastDay - facts.firstDay) / (facts.orders - 1);
      return regularityOf(facts, gap, Math.floor(Date.parse(END) / 86_400_000) - facts.lastDay) === 'on_schedule';
    });
    const subscribers = regular.filter((c) => archetypes.get(c.customerId) === 'subscription').length;
    expect(regular.length).toBe(now.regulars.onSchedule.customers);
    expect(subscribers / regular.length).toBeGreaterThan(0.9);
    const planted = [...archetypes.values()].filter((a) => a === 'subscription').length;
    // A third of subscribers cancel (lapsed or too few orders): most of the rest are found.
    expect(subscribers).toBeGreaterThan(planted * 0.4);
  });

  it('sees the planted "tall" accounts at the top of the revenue', () => {
    const top1 = now.concentration.top[0];
    expect(top1?.percent).toBe(1);
    expect(top1?.share).toBeGreaterThan(0.2);
  });
});

describe('the base-shape report section', () => {
  const html = renderBaseShapeSection(now, before);

  it('names every segment with its one-line meaning and explains every figure', () => {
    const text = html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
    for (const segment of SEGMENTS) {
      expect(text).toContain(SEGMENT_COPY[segment].label);
      expect(text).toContain(SEGMENT_COPY[segment].meaning);
    }
    for (const line of Object.values(EXPLAIN)) expect(text).toContain(line);
    expect(html).toContain('Verdict:');
  });

  it('shows the movement since the previous report only when there is one', () => {
    expect(html).toContain('Since 2025-03-31');
    expect(renderBaseShapeSection(now)).not.toContain('Since ');
  });

  it('carries no script and no external asset, and wraps its tables for narrow screens', () => {
    expect(html).not.toMatch(/<script|javascript:|src=|href=|@import|url\(/i);
    const tables = html.match(/<table/g)?.length ?? 0;
    expect(tables).toBeGreaterThan(0);
    expect(html.match(/<div class="bs-scroll"><table/g)?.length).toBe(tables);
  });

  it('escapes every value it prints', () => {
    const hostile: BaseShape = { ...now, asOf: '<i>"1</i>' };
    const out = renderBaseShapeSection(hostile);
    expect(out).not.toContain('<i>');
    expect(out).toContain('&lt;i&gt;&quot;1&lt;/i&gt;');
  });

  it('says when segment sizes are estimates and by how much', () => {
    const exact = renderBaseShapeSection({ ...now, rfm: { ...now.rfm, uncertainCustomers: 0 } });
    expect(exact).toContain('Segment sizes are exact.');
    expect(renderBaseShapeSection({ ...now, rfm: { ...now.rfm, uncertainCustomers: 12 } })).toContain(
      'exact to within 12 buyers',
    );
  });
});
