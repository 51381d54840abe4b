import {
  REGULAR_LAPSE_FACTOR,
  REGULAR_MAX_VARIATION,
  REGULAR_MIN_MEAN_DAYS,
  REGULAR_MIN_ORDERS,
} from '../domain/base-shape.ts';
import { TALL_GINI } from '../domain/base-shape-concentration.ts';
import type { BaseShape, Group } from '../domain/base-shape-finalize.ts';
import { compareShapes, type ShapeMovement } from '../domain/base-shape-movement.ts';
import { formatMinor } from '../domain/money.ts';
import type { Segment } from '../domain/rfm.ts';
import { escapeHtmlText as esc } from './cohort-html.ts';

/**
 * The "shape of the base" section of the report: an HTML fragment carrying its own small <style> (classes prefixed
 * `bs-`), no scripts, no external assets, inline SVG bars with titles. Every figure has a one-line explanation a
 * marketer can forward. Fits a 375 px screen: tables sit in horizontally scrolling wrappers. Pure: no I/O, no clock.
 */

export const SEGMENT_COPY: Record<Segment, { label: string; meaning: string }> = {
  champions: {
    label: 'Champions',
    meaning: 'Bought recently, buy often and spend the most: reward them, do not discount them.',
  },
  loyal: { label: 'Loyal', meaning: 'Buy regularly and spend well: the audience for launches, reviews and referrals.' },
  potential_loyalists: {
    label: 'Potential loyalists',
    meaning: 'Recent buyers with a little history: one or two more purchases make them loyal.',
  },
  new: {
    label: 'New',
    meaning: 'Bought for the first time, very recently, and little so far: make the first weeks count.',
  },
  promising: { label: 'Promising', meaning: 'Fairly recent, one small purchase so far: nudge them towards a second.' },
  need_attention: {
    label: 'Need attention',
    meaning: 'Middling on every count and no longer recent: a timely offer keeps them.',
  },
  about_to_sleep: {
    label: 'About to sleep',
    meaning: 'Bought a while ago, rarely and little: they drift off without a reason to return.',
  },
  at_risk: {
    label: 'At risk',
    meaning: 'Used to buy often and spend well, but not for a long time: win them back now.',
  },
  cant_lose: {
    label: 'Can’t lose them',
    meaning: 'Among the biggest, most frequent buyers, yet gone quiet the longest: reach out personally.',
  },
  hibernating: {
    label: 'Hibernating',
    meaning: 'Long since their last small, rare purchase: cheap reminders at most.',
  },
  lost: { label: 'Lost', meaning: 'Gone the longest and bought the least: one last try, then let go.' },
};

export const EXPLAIN = {
  prospects: 'Prospects signed up but have not bought yet: they are left out of every figure below.',
  rfm: 'Each buyer is scored 1–5 on how recently they bought (R), how often (F) and how much they spent (M), against the rest of the base; the groups combine R with the average of F and M.',
  scores:
    'A score is 1 plus the number of fifths of buyers strictly behind you, so ties share a score (everyone with one order has the same F).',
  concentration:
    'How much of the revenue to date comes from the biggest buyers: the top 1%, 10% and 20% of buyers by revenue.',
  gini: 'The Gini coefficient: 0 when every buyer spends the same, close to 1 when one buyer brings nearly everything.',
  verdict: `Tall when the Gini is ${TALL_GINI} or more: revenue rests on a few big buyers, and losing one hurts. Broad below that: many small buyers carry the base.`,
  repeat:
    'One-off buyers have bought once; repeat buyers came back at least once. Repeat revenue is what retention protects.',
  intervals:
    'For each repeat buyer, the average number of days between their orders (from first to last purchase, spread over the gaps).',
  regulars: `Subscription-like regulars: at least ${REGULAR_MIN_ORDERS} orders at a steady rhythm (gaps vary by at most ${Math.round(REGULAR_MAX_VARIATION * 100)}% of their average, which is at least ${REGULAR_MIN_MEAN_DAYS} days). On schedule while the last purchase is at most ${REGULAR_LAPSE_FACTOR} average gaps ago, lapsed after that.`,
  undetermined:
    'Undetermined: enough orders, but a month with three or more of them, and the stored customer keeps only the first and last purchase day of each month, so the rhythm is unknown.',
} as const;

/** The section styles (classes `bs-*`), shared with the predictive section (predictive-html.ts). */
export const STYLE = `<style>
.bs{font-family:Arial,Helvetica,sans-serif;color:#1f2328;max-width:960px;margin:24px 0;line-height:1.4}
.bs h2{font-size:20px;margin:0 0 4px}
.bs h3{font-size:16px;margin:20px 0 4px}
.bs p{margin:4px 0;font-size:14px}
.bs .bs-explain{color:#57606a;font-size:13px}
.bs .bs-scroll{overflow-x:auto;max-width:100%;margin:8px 0}
.bs table{border-collapse:collapse;font-size:13px;min-width:100%}
.bs th,.bs td{border:1px solid #d0d7de;padding:4px 6px;text-align:right;vertical-align:top}
.bs th{background:#eef2f5}
.bs td.bs-name,.bs th.bs-name{text-align:left}
.bs td.bs-name small{display:block;color:#57606a;font-weight:normal;min-width:150px;max-width:260px}
.bs td svg{min-width:60px}
.bs .bs-tiles{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.bs .bs-tile{flex:1 1 140px;border:1px solid #d0d7de;border-radius:6px;padding:8px;background:#fff}
.bs .bs-big{font-size:22px;font-weight:bold;display:block}
.bs .bs-verdict{font-size:15px;font-weight:bold;margin:8px 0}
.bs svg{display:block}
.bs .bs-up{color:#116329}.bs .bs-down{color:#a40e26}
@media print{.bs .bs-scroll{overflow:visible}}
</style>`;

export const percent = (value: number) =>
  new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(value);
export const integer = (value: number) => new Intl.NumberFormat('en').format(value);
const signed = (value: number, text: string) => (value > 0 ? `+${text}` : value < 0 ? `−${text}` : text);
/** A change in percentage points, one decimal; a change that rounds to zero shows unsigned. */
const points = (change: number) => {
  const tenths = Math.round(change * 1000);
  return signed(tenths, `${(Math.abs(tenths) / 10).toFixed(1)} pt`);
};

/** A horizontal bar of `share` (0–1) with an accessible title; scales with its cell. */
export function bar(share: number, title: string, colour = '#01575d'): string {
  const width = Math.max(0, Math.min(100, share * 100)).toFixed(1);
  return `<svg width="100%" height="12" viewBox="0 0 100 12" preserveAspectRatio="none" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title><rect x="0" y="0" width="100" height="12" fill="#e6ebef"/><rect x="0" y="0" width="${width}" height="12" fill="${colour}"/></svg>`;
}

export const explain = (text: string) => `<p class="bs-explain">${esc(text)}</p>`;
const th = (text: string, name = false) => `<th${name ? ' class="bs-name"' : ''}>${esc(text)}</th>`;
export const td = (html: string, name = false) => `<td${name ? ' class="bs-name"' : ''}>${html}</td>`;
/** A table in a horizontally scrolling wrapper; the headers of `nameColumns` (text, not figures) align left. */
export const table = (head: string[], rows: string[], caption: string, nameColumns: readonly number[] = [0]) =>
  `<div class="bs-scroll"><table aria-label="${esc(caption)}"><thead><tr>${head.map((h, i) => th(h, nameColumns.includes(i))).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;

function changeCell(change: number, text: string): string {
  const cls = change > 0 ? ' class="bs-up"' : change < 0 ? ' class="bs-down"' : '';
  return `<span${cls}>${esc(text)}</span>`;
}

function segmentsTable(shape: BaseShape, movement: ShapeMovement | null): string {
  const money = (minor: number) => formatMinor(Math.round(minor), shape.currency);
  const head = ['Segment', 'Customers', 'Share of buyers', 'Revenue', 'Revenue share', ''];
  if (movement) {
    const since = movement.previousAsOf.slice(0, 10);
    head.push(`Customers since ${since}`, `Revenue share since ${since}`);
  }
  const rows = shape.rfm.segments.map((s) => {
    const copy = SEGMENT_COPY[s.segment];
    const moved = movement?.segments.find((m) => m.segment === s.segment);
    const cells = [
      td(`<strong>${esc(copy.label)}</strong><small>${esc(copy.meaning)}</small>`, true),
      td(esc(integer(s.customers))),
      td(esc(percent(s.share))),
      td(esc(money(s.revenueMinor))),
      td(esc(percent(s.revenueShare))),
      td(bar(s.revenueShare, `${copy.label}: ${percent(s.revenueShare)} of revenue`)),
    ];
    if (moved) {
      const shareChange = moved.revenueShareNow - moved.revenueShareBefore;
      cells.push(
        td(changeCell(moved.change, signed(moved.change, integer(Math.abs(moved.change))))),
        td(changeCell(Math.round(shareChange * 1000), points(shareChange))),
      );
    }
    return `<tr>${cells.join('')}</tr>`;
  });
  return table(head, rows, 'RFM value segments');
}

function scoresTable(shape: BaseShape): string {
  const { recency, frequency, monetary } = shape.rfm.scores;
  const range = (min: number | null, max: number | null, format: (v: number) => string) =>
    min === null || max === null ? '—' : min === max ? format(min) : `${format(min)} – ${format(max)}`;
  const days = (v: number) => `${integer(v)} d`;
  const money = (v: number) => formatMinor(v, shape.currency);
  const rows = ([5, 4, 3, 2, 1] as const).map((score) => {
    const at = <T extends { score: number }>(list: T[]) => list.find((r) => r.score === score);
    const r = at(recency);
    const f = at(frequency);
    const m = at(monetary);
    return `<tr>${[
      td(esc(String(score)), true),
      td(esc(range(r?.min ?? null, r?.max ?? null, days))),
      td(esc(range(f?.min ?? null, f?.max ?? null, integer))),
      td(esc(range(m?.min ?? null, m?.max ?? null, money))),
    ].join('')}</tr>`;
  });
  return table(
    ['Score', 'Recency: days since last purchase', 'Frequency: orders', 'Monetary: revenue'],
    rows,
    'What each score means',
  );
}

function concentrationBlock(shape: BaseShape, movement: ShapeMovement | null): string {
  const { top, gini, verdict } = shape.concentration;
  const tiles = top.map(
    (t) =>
      `<div class="bs-tile"><span class="bs-big">${esc(percent(t.share))}</span>${esc(`of revenue from the top ${t.percent}% (${integer(t.customers)} buyers)`)}${bar(t.share, `Top ${t.percent}% of buyers: ${percent(t.share)} of revenue`)}</div>`,
  );
  if (gini)
    tiles.push(
      `<div class="bs-tile"><span class="bs-big">${esc(gini.value.toFixed(2))}</span>${esc('Gini coefficient of revenue across buyers')}</div>`,
    );
  const verdictText =
    verdict === 'tall'
      ? 'Verdict: tall — a few big buyers carry the revenue.'
      : verdict === 'broad'
        ? 'Verdict: broad — many small buyers carry the revenue.'
        : 'No revenue yet: no verdict.';
  const moved =
    movement && movement.top10.before !== null && movement.top10.now !== null
      ? `<p>${esc(`Since ${movement.previousAsOf.slice(0, 10)}: top 10% share ${points(movement.top10.now - movement.top10.before)}`)}${movement.gini.before !== null && movement.gini.now !== null ? esc(`, Gini ${signed(movement.gini.now - movement.gini.before, Math.abs(movement.gini.now - movement.gini.before).toFixed(2))}`) : ''}.</p>`
      : '';
  return `<h3>Concentration</h3>${explain(EXPLAIN.concentration)}<div class="bs-tiles">${tiles.join('')}</div>${explain(EXPLAIN.gini)}<p class="bs-verdict">${esc(verdictText)}</p>${explain(EXPLAIN.verdict)}${moved}`;
}

function groupRows(shape: BaseShape, groups: [string, Group][]): string[] {
  return groups.map(
    ([name, g]) =>
      `<tr>${[
        td(esc(name), true),
        td(esc(integer(g.customers))),
        td(esc(percent(g.share))),
        td(esc(formatMinor(Math.round(g.revenueMinor), shape.currency))),
        td(esc(percent(g.revenueShare))),
        td(bar(g.revenueShare, `${name}: ${percent(g.revenueShare)} of revenue`)),
      ].join('')}</tr>`,
  );
}

const GROUP_HEAD = ['Buyers', 'Customers', 'Share of buyers', 'Revenue', 'Revenue share', ''];

function intervalLabel(from: number, to: number | null): string {
  if (to === null) return `${integer(from)} days or more`;
  if (from === 0) return `under ${to} days`;
  return `${integer(from)}–${integer(to - 1)} days`;
}

function intervalsBlock(shape: BaseShape): string {
  const { buckets, medianDays } = shape.intervals;
  const rows = buckets.map(
    (b) =>
      `<tr>${[
        td(esc(intervalLabel(b.fromDays, b.toDays)), true),
        td(esc(integer(b.customers))),
        td(esc(percent(b.share))),
        td(bar(b.share, `${intervalLabel(b.fromDays, b.toDays)}: ${percent(b.share)} of repeat buyers`)),
      ].join('')}</tr>`,
  );
  const median = medianDays === null ? 'No repeat buyers yet.' : `Median: ${integer(medianDays)} days between orders.`;
  return `<h3>Time between orders</h3>${explain(EXPLAIN.intervals)}${table(['Average gap', 'Repeat buyers', 'Share', ''], rows, 'Average days between orders')}<p>${esc(median)}</p>`;
}

/** The section: RFM segments, concentration, repeat vs one-off, intervals, regulars; `previous` adds movement. */
export function renderBaseShapeSection(shape: BaseShape, previous?: BaseShape): string {
  const movement = previous ? compareShapes(previous, shape) : null;
  const asOf = shape.asOf.slice(0, 10);
  const estimated =
    shape.estimatedCustomers > 0
      ? explain(
          `${integer(shape.estimatedCustomers)} buyers had orders on both sides of the as-of day within one month; their split is estimated.`,
        )
      : '';
  const uncertain =
    shape.rfm.uncertainCustomers > 0
      ? explain(
          `Segment sizes are exact to within ${integer(shape.rfm.uncertainCustomers)} buyers (${percent(shape.buyers > 0 ? shape.rfm.uncertainCustomers / shape.buyers : 0)}): the pass keeps a bounded summary, not every customer.`,
        )
      : explain('Segment sizes are exact.');
  const movedBuyers = movement
    ? `<p>${esc(`Since ${movement.previousAsOf.slice(0, 10)}: ${signed(movement.buyers.change, integer(Math.abs(movement.buyers.change)))} buyers, ${signed(movement.prospects.change, integer(Math.abs(movement.prospects.change)))} prospects.`)}</p>`
    : '';
  const { regulars } = shape;
  return [
    STYLE,
    `<section class="bs" aria-labelledby="bs-title">`,
    `<h2 id="bs-title">${esc('The shape of the base')}</h2>`,
    `<p>${esc(`As of ${asOf}: ${integer(shape.buyers)} buyers, ${formatMinor(shape.revenueMinor, shape.currency)} revenue to date; ${integer(shape.prospects)} prospects.`)}</p>`,
    explain(EXPLAIN.prospects),
    shape.skippedOtherCurrency > 0
      ? explain(`${integer(shape.skippedOtherCurrency)} buyers in another currency are left out.`)
      : '',
    estimated,
    movedBuyers,
    `<h3>Value segments (RFM)</h3>`,
    explain(EXPLAIN.rfm),
    segmentsTable(shape, movement),
    uncertain,
    explain(EXPLAIN.scores),
    scoresTable(shape),
    concentrationBlock(shape, movement),
    `<h3>Repeat and one-off buyers</h3>`,
    explain(EXPLAIN.repeat),
    table(
      GROUP_HEAD,
      groupRows(shape, [
        ['One-off', shape.repeat.oneOff],
        ['Repeat', shape.repeat.repeat],
      ]),
      'Repeat and one-off buyers',
    ),
    movement
      ? `<p>${esc(`Since ${movement.previousAsOf.slice(0, 10)}: repeat share ${points(movement.repeatShare.now - movement.repeatShare.before)}.`)}</p>`
      : '',
    intervalsBlock(shape),
    `<h3>Subscription-like regulars</h3>`,
    explain(EXPLAIN.regulars),
    table(
      GROUP_HEAD,
      groupRows(shape, [
        ['Regulars on schedule', regulars.onSchedule],
        ['Lapsed regulars', regulars.lapsed],
      ]),
      'Subscription-like regulars',
    ),
    `<p>${esc(`Undetermined: ${integer(regulars.undetermined)} buyers.`)}</p>`,
    explain(EXPLAIN.undetermined),
    `</section>`,
  ].join('\n');
}
