import * as z from 'zod';
import { describeIssues } from '../shared/domain/common.ts';
import { EngineConfigSchema } from '../shared/domain/config.ts';

/** Environment every handler may read. Each handler parses only what it needs, at cold start. */
export const TablesEnv = z.object({
  CUSTOMERS_TABLE: z.string().min(1),
  ORDERS_TABLE: z.string().min(1),
  LEDGER_TABLE: z.string().min(1),
  SNAPSHOTS_TABLE: z.string().min(1),
});

export const EngineConfigEnv = z.object({
  /** The engine configuration as JSON (set by the CDK stack from its validated config). */
  ENGINE_CONFIG: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(EngineConfigSchema),
});

export const WinbackEnv = z.object({
  SENDER_ADDRESS: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  MAX_SEND_RATE: z.coerce.number().positive().default(14),
});

/** The win-back planner hands tasks to the senders through this queue. */
export const WinbackQueueEnv = z.object({
  WINBACK_QUEUE_URL: z.string().regex(/^https?:\/\/\S+$/, 'must be an SQS queue URL'),
  /** the sender's SQS event source maxConcurrency: each sender instance gets MAX_SEND_RATE / this */
  SENDER_CONCURRENCY: z.coerce.number().int().min(2).max(1000).default(2),
  /** minutes between planner runs: a run plans no more than the senders can send in that time */
  PLAN_INTERVAL_MINUTES: z.coerce.number().int().positive().default(60),
});

/** One-click unsubscribe: the public endpoint's URL and the HMAC secret's ARN in Secrets Manager. */
export const UnsubscribeEnv = z.object({
  UNSUBSCRIBE_BASE_URL: z.url().optional(),
  UNSUBSCRIBE_SECRET_ARN: z.string().min(1),
  UNSUBSCRIBE_MAILTO: z.email().optional(),
});

export const ReportsEnv = z.object({ REPORTS_BUCKET: z.string().min(1) });

/** Parses `process.env`; a missing or wrong variable fails the cold start with its name. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** What EventBridge Scheduler sends (the stack sets `scheduledTime` from `<aws.scheduler.scheduled-time>`). */
export const ScheduledJobEventSchema = z
  .object({
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    /** override: run as of this date (YYYY-MM-DD), e.g. for a manual re-run */
    asOf: z.iso.date().optional(),
    dryRun: z.boolean().optional(),
    /** a full pass instead of the incremental one (flag: every customer; win-back: every recent episode) */
    full: z.boolean().optional(),
  })
  .passthrough();
