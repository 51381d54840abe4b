/** Number and table formatting for bench/results.md. */
export { int } from './measure.ts';

export const dec = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const pct = (n: number, digits = 0) => `${dec(n * 100, digits)}%`;
export const usd = (n: number) => `$${n < 10 ? dec(n, 2) : Math.round(n).toLocaleString('en-US')}`;

export const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
