import * as z from 'zod';
import { describeIssues } from '../shared/domain/common.ts';
import { endOfDay } from '../shared/domain/time.ts';
import { FullPassRunSchema, SegmentTaskSchema } from '../shared/jobs/full-pass.ts';

/** An explicit as-of override: the end of this date (YYYY-MM-DD) or this instant, e.g. for a manual re-run. */
const AsOfOverride = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional();
/** Set by EventBridge Scheduler (the stack maps `<aws.scheduler.scheduled-time>` to it). */
const ScheduledTime = z.iso.datetime({ offset: true }).optional();

/** What EventBridge Scheduler sends a scheduled job. */
export const ScheduledJobEventSchema = z
  .object({
    scheduledTime: ScheduledTime,
    asOf: AsOfOverride,
    dryRun: z.boolean().optional(),
    /** a full pass instead of the incremental one (flag: every customer; win-back: every recent episode) */
    full: z.boolean().optional(),
  })
  .passthrough();

/** The three steps of a job's full-pass state machine (plan, a Distributed Map over the segments, merge). */
export const FullPassEventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    scheduledTime: ScheduledTime,
    asOf: AsOfOverride,
    runId: z.string().optional(),
  }),
  SegmentTaskSchema.safeExtend({ action: z.literal('segment') }),
  FullPassRunSchema.extend({ action: z.literal('merge') }),
]);

function parseEvent<S extends z.ZodType>(schema: S, what: string, event: unknown): z.output<S> {
  const parsed = schema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`invalid ${what} event: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

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
  const parsed = parseEvent(ScheduledJobEventSchema, 'scheduled', event);
  return { asOf: asOfInstant(parsed, now), dryRun: parsed.dryRun ?? false, full: parsed.full ?? false };
}

/** A full-pass state machine's step; the plan step's as-of resolved by the same rule. */
export function parseFullPassEvent(event: unknown, now: Date) {
  const step = parseEvent(FullPassEventSchema, 'full-pass', event);
  return step.action === 'plan' ? { ...step, asOf: asOfInstant(step, now) } : step;
}
