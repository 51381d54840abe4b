import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { EmailSchema, TimeZoneSchema } from '../shared/domain/common.ts';
import { EngineConfigSchema } from '../shared/domain/config.ts';

/**
 * Which custom metrics the functions publish (`PUBLISHED_METRICS`): `alarmed`, only those the alarms and the
 * dashboard use (ALARMED_METRICS in functions/metrics.ts); `all`, every count of every job (JOB_METRICS).
 */
export const PublishedMetricsSchema = z.enum(['alarmed', 'all']);
export type PublishedMetrics = z.output<typeof PublishedMetricsSchema>;

/** Context key holding the configuration object (cdk.json `context.clientele` or `-c clientele='{...}'`). */
export const CONFIG_CONTEXT_KEY = 'clientele';
/** Context key naming a JSON configuration file (`-c configFile=clientele.prod.json`), relative to the cwd. */
export const CONFIG_FILE_CONTEXT_KEY = 'configFile';

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** EventBridge Scheduler expression: `cron(min hour day-of-month month day-of-week year)` or `rate(n unit)`. */
const ScheduleExpressionSchema = z
  .string()
  .regex(
    /^(cron\((\S+ ){5}\S+\)|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\))$/,
    'must be an EventBridge Scheduler expression such as cron(0 2 * * ? *) or rate(1 day)',
  );

const SchedulesSchema = z.strictObject({
  /**
   * IANA time zone the cron expressions are evaluated in (daylight saving time is handled by Scheduler).
   * @default 'UTC'
   */
  timeZone: TimeZoneSchema.default('UTC'),
  /**
   * When flag-dormant runs.
   * @default 'cron(0 2 * * ? *)' (daily 02:00)
   */
  flagDormant: ScheduleExpressionSchema.default('cron(0 2 * * ? *)'),
  /**
   * When the churn cohorts are computed: starts the full-pass state machine with job `cohorts` (the key keeps
   * its name so existing configuration files stay valid).
   * @default 'cron(0 6 ? * MON *)' (Mondays 06:00)
   */
  churnCohorts: ScheduleExpressionSchema.default('cron(0 6 ? * MON *)'),
  /**
   * When the win-back planner (winback-email) runs. Hourly, because sends wait for each customer's local
   * 09:00–20:00 window (quiet hours): a single daily run would never reach time zones where that hour falls at
   * night. A run reads only customers with a step due (the `winback-due` index) and queues their sends for
   * winback-send. The shortest time between two runs is passed to the planner as PLAN_INTERVAL_MINUTES: a run
   * queues no more than the senders can send in that time.
   * @default 'cron(5 * * * ? *)' (every hour at :05)
   */
  winback: ScheduleExpressionSchema.default('cron(5 * * * ? *)'),
  /**
   * Whether the winback schedule is enabled. Deploy the first time with `false`, dry-run the job by hand
   * (docs/deploy.md), then set it to `true`.
   * @default true
   */
  winbackEnabled: z.boolean().default(true),
});

/** Domain name (`example.com`) or email address (`news@example.com`) verified in SES. */
const SesIdentitySchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .refine(
    (v) =>
      EmailSchema.safeParse(v).success ||
      /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/.test(v),
    'must be a domain name or an email address',
  );

/** Deployment configuration as written by the operator (before defaults are derived). */
export const DeploymentConfigInputSchema = z.strictObject({
  /**
   * Stage name; part of every resource name (`clientele-<stage>-...`). Lowercase letters, digits, dashes.
   * @default 'dev'
   */
  stageName: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be 1-20 lowercase letters, digits or dashes, starting with a letter')
    .default('dev'),
  /** From address of the win-back emails; its domain (or the address itself) must be verified in SES. Required. */
  senderAddress: EmailSchema,
  /**
   * The SES identity (domain or address) the sender belongs to; sending permission is scoped to it.
   * @default the domain of senderAddress
   */
  sesIdentity: SesIdentitySchema.optional(),
  /**
   * Name of the SES configuration set the stack creates (event publishing to EventBridge).
   * @default 'clientele-<stageName>'
   */
  sesConfigurationSetName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, dashes or underscores')
    .optional(),
  /**
   * `source` of the customer events on the `clientele-<stage>` bus that record-activity consumes.
   * @default 'clientele'
   */
  eventSource: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be letters, digits, dots, dashes or underscores')
    .refine((s) => !s.startsWith('aws.'), 'must not start with "aws." (reserved for AWS services)')
    .default('clientele'),
  /** Schedules of the three batch jobs. */
  schedules: SchedulesSchema.prefault({}),
  /**
   * Email address subscribed to the alarm topic (confirm the subscription email after deploying).
   * @default - no subscription; subscribe to the AlarmTopic yourself
   */
  alarmEmail: EmailSchema.optional(),
  /**
   * Retention of each function's log group, in days (a value CloudWatch Logs accepts).
   * @default 30
   */
  logRetentionDays: z
    .number()
    .int()
    .refine((d) => LOG_RETENTION_DAYS.some((days) => days === d), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  /**
   * Days after which cohort reports in the reports bucket expire.
   * @default 365
   */
  reportRetentionDays: z.number().int().min(1).max(3650).default(365),
  /**
   * Write S3 server access logs of the reports bucket to a separate log bucket.
   * @default false (reports are written by one role only; CloudTrail covers management events)
   */
  reportsAccessLogs: z.boolean().default(false),
  /**
   * Win-back emails per second; keep it at or below your SES account's maximum send rate.
   * @default 14
   */
  maxSendRate: z.number().positive().max(10_000).default(14),
  /**
   * Win-back sender instances at most: the maxConcurrency of the winback-send function's SQS event source, also
   * passed to it as SENDER_CONCURRENCY so each instance sends at maxSendRate / senderConcurrency and the total
   * stays at maxSendRate. An SQS event source needs at least 2.
   * @default 2
   */
  senderConcurrency: z.number().int().min(2).max(1000).default(2),
  /**
   * Scan segments of a full pass (flag full pass, cohorts) processed at the same time: the MaxConcurrency of the
   * state machine's Distributed Map, so at most this many full-pass Lambdas run per execution.
   * @default 16
   */
  fullPassConcurrency: z.number().int().min(1).max(1000).default(16),
  /**
   * X-Ray active tracing on every function and the full-pass state machine. Off by default: at 1M customers it is
   * about $2/month that buys nothing the handlers' summary logs do not already say; turn it on to debug latency.
   * @default false
   */
  tracing: z.boolean().default(false),
  /**
   * Custom metrics the functions publish. `alarmed`: only the metrics the alarms and the dashboard use
   * (CustomersFlagged, EmailsSent, EmailsFailed); every other count is a field of the job's summary log line, where
   * Logs Insights can chart it. `all`: every count as a metric, at $0.30 a month for each name and function
   * (about $3 more at 1M customers).
   * @default 'alarmed'
   */
  metrics: PublishedMetricsSchema.default('alarmed'),
  /**
   * The CloudWatch dashboard `clientele-<stage>` (flagged customers, emails, SES reputation, durations, queue,
   * executions). Off by default: $3 a month beyond the account's 3 free dashboards; the alarms do not need it.
   * @default false
   */
  dashboard: z.boolean().default(false),
  /**
   * Reserved concurrency of the public unsubscribe function: a flood of requests to the public URL can use at most
   * this many executions, never the account's concurrency the senders need (each request takes ~50 ms).
   * @default 10
   */
  unsubscribeConcurrency: z.number().int().min(1).max(1000).default(10),
  /**
   * Production safety: deletion protection and RemovalPolicy.RETAIN on tables, bucket, secret and logs.
   * @default stageName === 'prod'
   */
  production: z.boolean().optional(),
  /**
   * The email templates and unsubscribe-page strings (a folder such as this package's `templates/`, kept in your
   * own repository if you like), relative to the directory `cdk` runs in. Synth compiles and lints it (MJML to
   * HTML, every template × locale rendered with sample customers) and fails on any error; the compiled bundle is
   * packaged beside the winback-send and unsubscribe handlers as `templates.json`.
   * @default 'templates'
   */
  templatesDir: z.string().min(1).default('templates'),
  /** Engine configuration passed to every function as ENGINE_CONFIG (currency, policy, winback, shards). */
  engine: EngineConfigSchema.prefault({}),
});
export type DeploymentConfigInput = z.input<typeof DeploymentConfigInputSchema>;

/** The validated configuration with every default resolved. */
export const DeploymentConfigSchema = DeploymentConfigInputSchema.transform((c) => {
  const senderDomain = c.senderAddress.slice(c.senderAddress.lastIndexOf('@') + 1);
  return {
    ...c,
    sesIdentity: c.sesIdentity ?? senderDomain,
    sesConfigurationSetName: c.sesConfigurationSetName ?? `clientele-${c.stageName}`,
    production: c.production ?? c.stageName === 'prod',
  };
}).superRefine((c, ctx) => {
  const senderDomain = c.senderAddress.slice(c.senderAddress.lastIndexOf('@') + 1);
  const identity = c.sesIdentity;
  const covered = identity.includes('@')
    ? identity === c.senderAddress.toLowerCase()
    : senderDomain === identity || senderDomain.endsWith(`.${identity}`);
  if (!covered) {
    ctx.addIssue({
      code: 'custom',
      path: ['sesIdentity'],
      message: `must be the sender's domain, a parent domain of it, or the sender address (${c.senderAddress})`,
    });
  }
  if (scheduleIntervalMinutes(c.schedules.winback) === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['schedules', 'winback'],
      message: 'cannot tell the interval between runs from its minute and hour fields',
    });
  }
  // Lambda allows 4 KB of environment variables in total; ENGINE_CONFIG is the only large one.
  const engineJson = JSON.stringify(c.engine);
  if (engineJson.length > 3000) {
    ctx.addIssue({
      code: 'custom',
      path: ['engine'],
      message: `is ${engineJson.length} characters as JSON; it must stay under 3000 to fit the Lambda environment`,
    });
  }
});
export type DeploymentConfig = z.output<typeof DeploymentConfigSchema>;

export class DeploymentConfigError extends Error {
  override name = 'DeploymentConfigError';
}

/** Validates a configuration object; the error names each offending field, e.g. `senderAddress: ...`. */
export function parseDeploymentConfig(input: unknown): DeploymentConfig {
  const parsed = DeploymentConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...issue.path, key].join('.')}: is not a known option`);
    }
    const path = issue.path.length ? issue.path.join('.') : '(config)';
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return `${path}: ${missing ? 'is required' : issue.message}`;
  });
  throw new DeploymentConfigError(`clientele config: ${issues.join('; ')}`);
}

/** What the loader needs from a construct node; `app.node` satisfies it. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/**
 * Loads the configuration from the JSON file named by context `configFile` (if any), then applies the
 * object in context `clientele` on top of it (deep merge; arrays are replaced), then validates.
 */
export function loadDeploymentConfig(context: ContextSource, cwd: string = process.cwd()): DeploymentConfig {
  let merged: Record<string, unknown> = {};
  const file = context.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  if (file !== undefined) {
    if (typeof file !== 'string' || file.length === 0) {
      throw new DeploymentConfigError('clientele config: configFile: must be a path to a JSON file');
    }
    merged = asObject(readJson(isAbsolute(file) ? file : resolve(cwd, file)), `configFile ${file}`);
  }
  const inline = context.tryGetContext(CONFIG_CONTEXT_KEY);
  if (inline !== undefined) {
    const value = typeof inline === 'string' ? parseJson(inline, `context ${CONFIG_CONTEXT_KEY}`) : inline;
    merged = deepMerge(merged, asObject(value, `context ${CONFIG_CONTEXT_KEY}`));
  }
  return parseDeploymentConfig(merged);
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DeploymentConfigError(`clientele config: configFile: cannot read ${path}: ${messageOf(error)}`);
  }
  return parseJson(text, `configFile ${path}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch (error) {
    throw new DeploymentConfigError(`clientele config: ${what} is not valid JSON: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new DeploymentConfigError(`clientele config: ${what} must be a JSON object`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

const RATE_UNIT_MINUTES: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 };

/**
 * The shortest time between two runs of a Scheduler expression, in minutes: exact for `rate(...)`; for `cron(...)`
 * computed from the minute and hour fields over one day (so at most 1440: a weekly cron counts as daily, which
 * errs on the short side). The win-back planner plans no more than the senders can send in this time.
 * Undefined when the minute or hour field cannot be read.
 */
export function scheduleIntervalMinutes(expression: string): number | undefined {
  const rate = /^rate\((\d+) (\w+)\)$/.exec(expression);
  if (rate?.[1] && rate[2]) {
    const unit = RATE_UNIT_MINUTES[rate[2]];
    return unit === undefined ? undefined : Number(rate[1]) * unit;
  }
  const cron = /^cron\((\S+) (\S+) /.exec(expression);
  if (!cron?.[1] || !cron[2]) return undefined;
  const minutes = cronFieldValues(cron[1], 0, 59);
  const hours = cronFieldValues(cron[2], 0, 23);
  if (!minutes || !hours) return undefined;
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 + m)).sort((a, b) => a - b);
  const first = times[0];
  if (first === undefined) return undefined;
  // The gap from the last run of the day to the first run of the next day closes the cycle.
  let shortest = first + 1440 - (times[times.length - 1] ?? first);
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return shortest;
}

/**
 * Values of a cron minute or hour field (`*`, `5`, `1,2`, `1-5`, `*\/15`, `0/15`, `8-20/2`); undefined if it cannot
 * be read.
 */
function cronFieldValues(field: string, min: number, max: number): number[] | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!match?.[1]) return undefined;
    const start = match[1] === '*' ? min : Number(match[1]);
    const end = match[2] !== undefined ? Number(match[2]) : match[1] === '*' || match[3] !== undefined ? max : start;
    const step = match[3] !== undefined ? Number(match[3]) : 1;
    if (start < min || end > max || start > end || step < 1) return undefined;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values];
}
