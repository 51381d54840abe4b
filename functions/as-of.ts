import { describeIssues } from '../shared/domain/common.ts';
import { endOfDay } from '../shared/domain/time.ts';
import { ScheduledJobEventSchema } from './env.ts';

/**
 * The one as-of rule of the handlers: an explicit `asOf` (a date means the end of that day, an instant is taken as
 * it is), else the time the schedule planned the run (a late or retried run still computes as of it), else now.
 */
export function asOfInstant(
  when: { asOf?: string | undefined; scheduledTime?: string | undefined },
  now: Date,
): string {
  if (when.asOf) return when.asOf.length === 10 ? endOfDay(when.asOf) : new Date(when.asOf).toISOString();
  return when.scheduledTime ? new Date(when.scheduledTime).toISOString() : now.toISOString();
}

/** A scheduled job's event: its as-of instant and flags. */
export function asOfFromEvent(event: unknown, now: Date): { asOf: string; dryRun: boolean; full: boolean } {
  const parsed = ScheduledJobEventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`invalid scheduled event: ${describeIssues(parsed.error)}`);
  const { dryRun, full } = parsed.data;
  return { asOf: asOfInstant(parsed.data, now), dryRun: dryRun ?? false, full: full ?? false };
}
