/** A month's purchase days as a bit set (MonthActivity.days). Pure; no imports at run time, so any module can use it. */
import type { MonthActivity } from './customer.ts';

/** The bit of day-of-month `day` (1–31) in MonthActivity.days. */
export function dayBit(day: number): number {
  return 1 << (day - 1);
}

/** A month's purchase days as a bit set; for a month recorded before `days` existed, its first and last day. */
export function dayMaskOf(month: Pick<MonthActivity, 'days' | 'firstDay' | 'lastDay'>): number {
  return month.days ?? dayBit(month.firstDay) | dayBit(month.lastDay);
}
