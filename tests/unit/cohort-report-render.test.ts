import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { type Customer, CustomerSchema } from '../../shared/domain/customer.ts';
import { STAGES } from '../../shared/domain/lifecycle.ts';
import { addMonths } from '../../shared/domain/time.ts';
import { cohortReportToCsv, csvField, minorToMajorString } from '../../shared/reports/cohort-csv.ts';
import { cohortReportToHtml, escapeHtmlText, heatColour, transitionLabel } from '../../shared/reports/cohort-html.ts';

const AS_OF = '2024-03-15T23:59:59.999Z';
const GENERATED_AT = '2024-03-16T02:00:00.000Z';
const HEADER =
  'cohort,cohort_size,period,month,complete,retained,retention,churn,orders,revenue,revenue_retention,cumulative_revenue_per_customer,average_order_value';

function customer(input: Record<string, unknown>): Customer {
  return CustomerSchema.parse({ currency: 'USD', ...input });
}

/** Cohort 2024-01: c1 (Jan+Feb), c2 (Jan); cohort 2024-02: c3 (Feb+Mar); cohort 2024-03: c4; one prospect. */
function fixture(): Customer[] {
  return [
    customer({
      customerId: 'c1',
      orderCount: 2,
      firstPurchaseAt: '2024-01-05T10:00:00Z',
      lastPurchaseAt: '2024-02-07T10:00:00Z',
      revenueMinor: 1734,
      months: {
        '2024-01': { orders: 1, revenueMinor: 1234, firstDay: 5, lastDay: 5 },
        '2024-02': { orders: 1, revenueMinor: 500, firstDay: 7, lastDay: 7 },
      },
      stage: 'active',
      stageSince: '2024-02-07T10:00:00Z',
      transitions: [
        { from: null, to: 'new', at: '2024-01-05T10:00:00Z', reason: 'first purchase' },
        { from: 'new', to: 'active', at: '2024-02-07T10:00:00Z', reason: 'repeat purchase' },
      ],
    }),
    customer({
      customerId: 'c2',
      orderCount: 2,
      firstPurchaseAt: '2024-01-10T10:00:00Z',
      lastPurchaseAt: '2024-01-20T10:00:00Z',
      revenueMinor: 2000,
      months: { '2024-01': { orders: 2, revenueMinor: 2000, firstDay: 10, lastDay: 20 } },
      stage: 'at_risk',
      stageSince: '2024-03-10T10:00:00Z',
      transitions: [{ from: 'active', to: 'at_risk', at: '2024-03-10T10:00:00Z', reason: 'idle' }],
    }),
    customer({
      customerId: 'c3',
      orderCount: 2,
      firstPurchaseAt: '2024-02-02T10:00:00Z',
      lastPurchaseAt: '2024-03-10T10:00:00Z',
      revenueMinor: 3000,
      months: {
        '2024-02': { orders: 1, revenueMinor: 1000, firstDay: 2, lastDay: 2 },
        '2024-03': { orders: 1, revenueMinor: 2000, firstDay: 10, lastDay: 10 },
      },
      stage: 'active',
    }),
    customer({
      customerId: 'c4',
      orderCount: 1,
      firstPurchaseAt: '2024-03-05T10:00:00Z',
      lastPurchaseAt: '2024-03-05T10:00:00Z',
      revenueMinor: 999,
      months: { '2024-03': { orders: 1, revenueMinor: 999, firstDay: 5, lastDay: 5 } },
      stage: 'new',
    }),
    customer({ customerId: 'p1' }),
  ];
}

function report(): CohortReport {
  return computeCohorts(fixture(), AS_OF, 'USD', GENERATED_AT);
}

function heatCells(html: string, kind: string): string[] {
  return [...html.matchAll(new RegExp(`<td data-heatmap="${kind}"[^>]*>([^<]*)</td>`, 'g'))].map((m) => m[1] ?? '');
}

function assertEmailSafe(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<style/i);
  expect(html).not.toMatch(/<link/i);
  expect(html).not.toMatch(/src="http/i);
  expect(html).not.toMatch(/href="http/i);
  expect(html).not.toMatch(/url\(/i);
  for (const tag of html.match(/<td\b[^>]*>/g) ?? []) expect(tag).toMatch(/style="[^"]*background-color:#[0-9a-f]{6}/);
}

describe('cohortReportToCsv', () => {
  const r = report();
  const csv = cohortReportToCsv(r);
  const lines = csv.split('\r\n');

  it('writes the exact header and one row per cohort × reached period', () => {
    expect(r.maxPeriods).toBe(3);
    expect(lines[0]).toBe(HEADER);
    expect(csv.endsWith('\r\n')).toBe(true);
    const reached = r.cohorts.reduce((n, c) => n + c.periods.filter((p) => p !== null).length, 0);
    expect(reached).toBe(6);
    expect(lines.slice(1, -1)).toHaveLength(reached);
    for (const line of lines.slice(1, -1)) expect(line.split(',')).toHaveLength(13);
  });

  it('formats ratios with 4 decimals and money in major units', () => {
    // Jan cohort, period 0: both retained, 3 orders, 32.34 revenue, LTV 16.17, AOV 10.78.
    expect(lines[1]).toBe('2024-01,2,0,2024-01,true,2,1.0000,0.0000,3,32.34,1.0000,16.17,10.78');
    // Period 1: one of two retained; revenue retention 500/3234; LTV (3234+500)/2 = 18.67.
    expect(lines[2]).toBe('2024-01,2,1,2024-02,true,1,0.5000,0.5000,1,5.00,0.1546,18.67,5.00');
    // Period 2 (month in progress): nobody retained; average order value is empty without orders.
    expect(lines[3]).toBe('2024-01,2,2,2024-03,false,0,0.0000,1.0000,0,0.00,0.0000,18.67,');
    expect(csv).toContain('2024-03,1,0,2024-03,false,1,1.0000,0.0000,1,9.99,1.0000,9.99,9.99');
  });

  it('uses the currency decimals (JPY has none)', () => {
    const yen = computeCohorts(
      [
        customer({
          customerId: 'j1',
          currency: 'JPY',
          orderCount: 1,
          firstPurchaseAt: '2024-03-01T00:00:00Z',
          lastPurchaseAt: '2024-03-01T00:00:00Z',
          revenueMinor: 1234,
          months: { '2024-03': { orders: 1, revenueMinor: 1234, firstDay: 1, lastDay: 1 } },
          stage: 'new',
        }),
      ],
      AS_OF,
      'JPY',
      GENERATED_AT,
    );
    expect(cohortReportToCsv(yen).split('\r\n')[1]).toBe(
      '2024-03,1,0,2024-03,false,1,1.0000,0.0000,1,1234,1.0000,1234,1234',
    );
  });

  it('converts minor units exactly and quotes per RFC 4180', () => {
    expect(minorToMajorString(5, 2)).toBe('0.05');
    expect(minorToMajorString(-1234, 2)).toBe('-12.34');
    expect(minorToMajorString(1616.5, 2)).toBe('16.17');
    expect(minorToMajorString(7, 3)).toBe('0.007');
    expect(minorToMajorString(null, 2)).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('renders only the header for an empty report', () => {
    expect(cohortReportToCsv(computeCohorts([], AS_OF, 'USD', GENERATED_AT))).toBe(`${HEADER}\r\n`);
  });
});

describe('cohortReportToHtml', () => {
  const r = report();
  const html = cohortReportToHtml(r, { title: 'Cohorts <Q1> & "more"', campaignSummary: '<p>Sent <b>12</b></p>' });

  it('is a complete, email-safe document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    assertEmailSafe(html);
  });

  it('escapes text and embeds the trusted campaign fragment verbatim', () => {
    expect(html).toContain('Cohorts &lt;Q1&gt; &amp; &quot;more&quot;');
    expect(html).not.toContain('<Q1>');
    expect(html).toContain('<p>Sent <b>12</b></p>');
    expect(escapeHtmlText(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('shows as-of date, definitions and totals', () => {
    expect(html).toContain(AS_OF);
    expect(html).toContain(escapeHtmlText(r.definitions));
    expect(html).toMatch(/Customers with a purchase<\/td><td[^>]*>4<\/td>/);
    expect(html).toMatch(/Prospects \(no purchase yet\)<\/td><td[^>]*>1<\/td>/);
    expect(html).toMatch(/Cohorts<\/td><td[^>]*>3<\/td>/);
  });

  it('renders the retention heatmap with percentages, colours and empty unreached cells', () => {
    const cells = heatCells(html, 'retention');
    expect(cells).toHaveLength(r.cohorts.length * r.maxPeriods);
    expect(cells.slice(0, 3)).toEqual(['100.0%', '50.0%', '0.0%*']);
    expect(cells.slice(3)).toEqual(['100.0%', '100.0%*', '', '100.0%*', '', '']);
    const nulls = r.cohorts.reduce((n, c) => n + c.periods.filter((p) => p === null).length, 0);
    expect(cells.filter((c) => c === '')).toHaveLength(nulls);
    expect(html).toContain(`background-color:${heatColour(0.5).background}`);
  });

  it('renders revenue retention, LTV, stages and transitions', () => {
    expect(heatCells(html, 'revenue-retention').slice(0, 3)).toEqual(['100.0%', '15.5%', '0.0%*']);
    expect(html).toContain('200.0%*'); // Feb cohort: 20.00 in March vs 10.00 in February
    expect(html).toContain('$16.17');
    expect(html).toContain('$18.67*');
    for (const stage of STAGES) expect(html).toContain(`>${stage}</th>`);
    expect(html).toContain('active → at_risk');
    expect(html).toContain('none → new');
    expect(html).toContain('new → active');
    expect(html).not.toContain('&gt;at_risk');
  });

  it('picks a sequential colour scale with readable text', () => {
    expect(heatColour(0)).toEqual({ background: '#ffffff', text: '#000000' });
    expect(heatColour(1).text).toBe('#ffffff');
    expect(heatColour(2.5)).toEqual(heatColour(1));
    const darkness = [0, 0.25, 0.5, 0.75, 1].map((t) => Number.parseInt(heatColour(t).background.slice(1, 3), 16));
    expect([...darkness].sort((a, b) => b - a)).toEqual(darkness);
    expect(transitionLabel('dormant>lost')).toBe('dormant → lost');
  });

  it('handles a report without cohorts', () => {
    const out = cohortReportToHtml(computeCohorts([customer({ customerId: 'p' })], AS_OF, 'USD', GENERATED_AT));
    assertEmailSafe(out);
    expect(out).toContain('No cohorts yet');
    expect(heatCells(out, 'retention')).toHaveLength(0);
  });
});

const BASE_MONTH = '2023-01';
const PROP_AS_OF = '2024-06-15T23:59:59.999Z';

const activityArb = fc.record({
  offset: fc.integer({ min: 0, max: 20 }),
  orders: fc.integer({ min: 1, max: 4 }),
  revenueMinor: fc.integer({ min: 0, max: 500_000 }),
  day: fc.integer({ min: 1, max: 28 }),
});

const customerArb = fc.record({
  activity: fc.array(activityArb, { maxLength: 6 }),
  stage: fc.constantFrom(...STAGES),
  transitions: fc.array(
    fc.record({
      from: fc.option(fc.constantFrom(...STAGES), { nil: null }),
      to: fc.constantFrom(...STAGES),
      offset: fc.integer({ min: 0, max: 20 }),
    }),
    { maxLength: 3 },
  ),
});
type CustomerInput = typeof customerArb extends fc.Arbitrary<infer T> ? T : never;

function buildCustomer(id: number, input: CustomerInput): Customer {
  const months: Record<string, { orders: number; revenueMinor: number; firstDay: number; lastDay: number }> = {};
  for (const a of input.activity) {
    const key = addMonths(BASE_MONTH, a.offset);
    const prev = months[key];
    months[key] = prev
      ? {
          orders: prev.orders + a.orders,
          revenueMinor: prev.revenueMinor + a.revenueMinor,
          firstDay: Math.min(prev.firstDay, a.day),
          lastDay: Math.max(prev.lastDay, a.day),
        }
      : { orders: a.orders, revenueMinor: a.revenueMinor, firstDay: a.day, lastDay: a.day };
  }
  const keys = Object.keys(months).sort();
  const first = keys[0];
  const last = keys.at(-1);
  const day = (k: string, d: number) => `${k}-${String(d).padStart(2, '0')}T12:00:00.000Z`;
  return customer({
    customerId: `r${id}`,
    orderCount: Object.values(months).reduce((n, m) => n + m.orders, 0),
    revenueMinor: Object.values(months).reduce((n, m) => n + m.revenueMinor, 0),
    firstPurchaseAt: first ? day(first, months[first]?.firstDay ?? 1) : undefined,
    lastPurchaseAt: last ? day(last, months[last]?.lastDay ?? 1) : undefined,
    months,
    stage: first ? input.stage : 'prospect',
    transitions: input.transitions.map((t) => ({
      from: t.from,
      to: t.to,
      at: day(addMonths(BASE_MONTH, t.offset), 3),
      reason: 'generated',
    })),
  });
}

describe('rendering random cohort reports', () => {
  it('renders CSV and HTML for any report without throwing, with one heatmap cell per cohort × period', () => {
    fc.assert(
      fc.property(fc.array(customerArb, { maxLength: 25 }), (inputs) => {
        const r = computeCohorts(
          inputs.map((input, i) => buildCustomer(i, input)),
          PROP_AS_OF,
          'USD',
          GENERATED_AT,
        );
        const csv = cohortReportToCsv(r);
        const reached = r.cohorts.reduce((n, c) => n + c.periods.filter((p) => p !== null).length, 0);
        expect(csv.split('\r\n')).toHaveLength(reached + 2);
        const html = cohortReportToHtml(r);
        assertEmailSafe(html);
        const cells = r.cohorts.length * r.maxPeriods;
        expect(heatCells(html, 'retention')).toHaveLength(cells);
        expect(heatCells(html, 'revenue-retention')).toHaveLength(cells);
        const nulls = r.cohorts.reduce((n, c) => n + c.periods.filter((p) => p === null).length, 0);
        expect(heatCells(html, 'retention').filter((c) => c === '')).toHaveLength(nulls);
      }),
      { numRuns: 150 },
    );
  });
});
