import { describeIssues } from '../shared/domain/common.ts';
import { endOfDay } from '../shared/domain/time.ts';
import { ScheduledJobEventSchema } from './env.ts';

/** The run's as-of instant: an explicit `asOf` date, else the scheduled time, else now. */
export function asOfFromEvent(event: unknown, now: Date): { asOf: string; dryRun: boolean; full: boolean } {
  const parsed = ScheduledJobEventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`invalid scheduled event: ${describeIssues(parsed.error)}`);
  const { asOf, scheduledTime, dryRun, full } = parsed.data;
  const flags = { dryRun: dryRun ?? false, full: full ?? false };
  if (asOf) return { asOf: endOfDay(asOf), ...flags };
  return { asOf: scheduledTime ? new Date(scheduledTime).toISOString() : now.toISOString(), ...flags };
}
