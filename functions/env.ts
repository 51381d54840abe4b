import * as z from 'zod';
import type { TableNames } from '../shared/adapters/dynamodb/tables.ts';
import { describeIssues } from '../shared/domain/common.ts';
import { EngineConfigSchema } from '../shared/domain/config.ts';

/**
 * The environment contracts of the handlers: pure zod, no environment read here, so the CDK constructs import the
 * same schemas and the names are written once (infra/constructs/common.ts types a function's environment from its
 * job's contract: a variable renamed or added here fails to compile there).
 */

/** The variable that names each table, by role. A function gets only the tables its job is granted. */
export const TABLE_ENV = {
  customers: 'CUSTOMERS_TABLE',
  orders: 'ORDERS_TABLE',
  ledger: 'LEDGER_TABLE',
  snapshots: 'SNAPSHOTS_TABLE',
} as const satisfies Record<keyof TableNames, string>;
export type TableRole = keyof typeof TABLE_ENV;
export type TableEnvOf<R extends TableRole> = { [K in R as (typeof TABLE_ENV)[K]]: z.ZodString };

/** The table variables of `roles`. */
export function tablesEnv<const R extends TableRole>(...roles: R[]): z.ZodObject<TableEnvOf<R>> {
  const shape = Object.fromEntries(roles.map((role) => [TABLE_ENV[role], z.string().min(1)]));
  // cast: Object.fromEntries loses the key-to-role mapping that TableEnvOf states; the entries are exactly it.
  return z.object(shape) as unknown as z.ZodObject<TableEnvOf<R>>;
}

export const EngineConfigEnv = z.object({
  /** The engine configuration as JSON (set by the CDK stack from its validated config). */
  ENGINE_CONFIG: z
    .string()
    .default('{}')
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
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

const SecretEnv = UnsubscribeEnv.pick({ UNSUBSCRIBE_SECRET_ARN: true });

/** A full-pass worker checkpoints and returns after this long (its state machine calls it again). */
const SegmentBudgetEnv = z.object({
  SEGMENT_TIME_BUDGET_SECONDS: z.coerce.number().int().min(10).max(840).default(600),
});

/** Each job's contract: what its handler parses at cold start and its construct sets. */
export const JOB_ENV = {
  'flag-dormant': z.object({
    ...tablesEnv('customers', 'snapshots').shape,
    ...EngineConfigEnv.shape,
    /** the flag job's full-pass state machine, started when a full pass is needed */
    FULL_PASS_STATE_MACHINE_ARN: z.string().min(1),
  }),
  'flag-full-pass': z.object({
    ...tablesEnv('customers', 'snapshots').shape,
    ...EngineConfigEnv.shape,
    ...SegmentBudgetEnv.shape,
  }),
  'churn-cohorts': z
    .object({
      ...tablesEnv('customers', 'orders', 'ledger', 'snapshots').shape,
      ...EngineConfigEnv.shape,
      ...SegmentBudgetEnv.shape,
      REPORTS_BUCKET: z.string().min(1),
      // The digest to the marketing team (engine.digest): from this address, through this configuration set.
      ...WinbackEnv.pick({ SES_CONFIGURATION_SET: true }).shape,
      SENDER_ADDRESS: WinbackEnv.shape.SENDER_ADDRESS.optional(),
    })
    .superRefine((env, ctx) => {
      const { recipients, enabled } = env.ENGINE_CONFIG.digest;
      if (recipients.length > 0 && enabled && !env.SENDER_ADDRESS)
        ctx.addIssue({ code: 'custom', path: ['SENDER_ADDRESS'], message: 'required to send engine.digest' });
    }),
  'winback-email': z.object({
    ...tablesEnv('customers', 'ledger', 'snapshots').shape,
    ...EngineConfigEnv.shape,
    ...WinbackEnv.shape,
    ...WinbackQueueEnv.shape,
  }),
  'winback-send': z.object({
    ...tablesEnv('customers', 'ledger').shape,
    ...EngineConfigEnv.shape,
    ...WinbackEnv.shape,
    ...WinbackQueueEnv.pick({ SENDER_CONCURRENCY: true }).shape,
    ...UnsubscribeEnv.shape,
  }),
  'record-activity': z.object({
    ...tablesEnv('customers', 'orders', 'snapshots').shape,
    ...EngineConfigEnv.shape,
    ...SecretEnv.shape,
  }),
  'ses-feedback': z.object({ ...tablesEnv('customers', 'ledger').shape, ...EngineConfigEnv.shape }),
  unsubscribe: z.object({ ...tablesEnv('customers').shape, ...EngineConfigEnv.shape, ...SecretEnv.shape }),
} as const;
export type JobWithEnv = keyof typeof JOB_ENV;

/** What a construct sets for a job: every variable of the contract as a string, the required ones required. */
export type EnvironmentOf<J extends JobWithEnv> = { [K in keyof z.input<(typeof JOB_ENV)[J]>]: string };

/** Parses `process.env`; a missing or wrong variable fails the cold start with its name. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
