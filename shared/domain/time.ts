/** Calendar helpers on UTC instants. Every function takes time as an argument; nothing here reads the clock. */

export const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (floored); negative when `to` is earlier. */
export function daysBetween(from: string | Date, to: string | Date): number {
  return Math.floor((toMs(to) - toMs(from)) / DAY_MS);
}

export function addDays(at: string | Date, days: number): string {
  return new Date(toMs(at) + days * DAY_MS).toISOString();
}

/** `YYYY-MM` of the UTC calendar month containing the instant. */
export function monthKey(at: string | Date): string {
  return new Date(toMs(at)).toISOString().slice(0, 7);
}

/** The month key `k` calendar months after `month` (k may be negative). */
export function addMonths(month: string, k: number): string {
  const [y, m] = parseMonth(month);
  const index = y * 12 + (m - 1) + k;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Number of calendar months from `from` to `to` (both `YYYY-MM`). */
export function monthsBetween(from: string, to: string): number {
  const [y1, m1] = parseMonth(from);
  const [y2, m2] = parseMonth(to);
  return (y2 - y1) * 12 + (m2 - m1);
}

/** First instant of the month after `month` (exclusive end of the month). */
export function monthEnd(month: string): string {
  return `${addMonths(month, 1)}-01T00:00:00.000Z`;
}

/** Day of month (1–31) in UTC. */
export function dayOfMonth(at: string | Date): number {
  return new Date(toMs(at)).getUTCDate();
}

/** `YYYY-MM-DD` → the last millisecond of that UTC day, so "as of a date" includes the whole date. */
export function endOfDay(date: string): string {
  const start = Date.parse(`${date}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== date) {
    throw new Error(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return new Date(start + DAY_MS - 1).toISOString();
}

function toMs(at: string | Date): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new Error(`invalid instant: ${String(at)}`);
  return ms;
}

function parseMonth(month: string): [number, number] {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) throw new Error(`invalid month key: ${month}`);
  return [Number(match[1]), Number(match[2])];
}
