import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as z from 'zod';
import { ALARMED_METRICS, JOB_METRICS, type JobName } from '../functions/metrics.ts';
import { addClienteleStacks } from '../infra/clientele.ts';
import { parseDeploymentConfig } from '../infra/config.ts';
import { NEXT_CHECK_INDEX, WINBACK_DUE_INDEX, WINBACK_INDEX } from '../shared/adapters/dynamodb/tables.ts';
import { type EmailFeedback, EmailFeedbackSchema } from '../shared/domain/email-feedback.ts';

/**
 * What a deployment is made of, read from the synthesized CloudFormation templates (the same app, config and
 * cdk.json feature flags as `npm run synth`, with bundling skipped as in tests/infra/helpers.ts), so the cost
 * model's fixed items, memory sizes, log levels, index projections and billed metrics cannot drift from the stack.
 * Functions are found by name (`clientele-<stage>-<job>`, the job a key of JOB_METRICS), state machines by name
 * and count; nothing depends on a construct path or logical ID.
 */
export interface StackInventory {
  configFile: string;
  stageName: string;
  resourceCounts: Record<string, number>;
  alarms: { name: string; namespace: string; metric: string }[];
  dashboards: number;
  /** custom metrics (the Powertools namespace) the dashboards graph or the alarms watch */
  usedCustomMetrics: string[];
  /** custom metrics a dashboard graphs or an alarm watches that no function publishes */
  unpublishedDashboardMetrics: string[];
  functions: FunctionInventory[];
  kmsKeys: number;
  secrets: number;
  tables: TableInventory[];
  /** the projection of the customer indexes (next-check, winback-by-dormant-since, winback-due) */
  customerIndexProjection: string;
  stateMachines: { name: string; job: string; tracing: boolean; logLevel: string }[];
  /** the SES event types the configuration set publishes to EventBridge (each one a ses-feedback invocation) */
  sesEventTypes: EmailFeedback['type'][];
  eventBuses: number;
  logGroups: number;
  logRetentionDays: number[];
  metricsNamespace: string;
  /**
   * One entry per billed custom metric: name × dimension set (Powertools' `service` = the function); `alarmed` when
   * ALARMED_METRICS lists it for its job (published with `metrics: "alarmed"`, what the alarms and dashboard use).
   */
  customMetrics: { job: string; service: string; name: string; alarmed: boolean }[];
}

export interface TableInventory {
  logicalId: string;
  pitr: boolean;
  indexes: { name: string; projection: string }[];
}

export interface FunctionInventory {
  /** the function name, clientele-<stage>-<job> (also the Powertools service name) */
  service: string;
  /** the job (a key of JOB_METRICS in functions/metrics.ts) */
  job: JobName;
  memoryMb: number;
  tracingActive: boolean;
  /** LoggingConfig.SystemLogLevel (Lambda's default INFO when unset): platform.start/report lines below WARN */
  systemLogLevel: string;
  /** LoggingConfig.ApplicationLogLevel (INFO when unset): the summary line of every invocation is INFO */
  applicationLogLevel: string;
  /** EMF log lines per invocation: one when the function publishes any metric (functions/job-handler.ts) */
  emfLinesPerInvocation: number;
  /** the metrics it publishes: JOB_METRICS[job] filtered by its PUBLISHED_METRICS (`*` or unset: all) */
  metrics: string[];
}

const ResourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
});
const TemplateSchema = z.object({ Resources: z.record(z.string(), ResourceSchema).default({}) });
type Resource = z.output<typeof ResourceSchema>;

const CdkJsonSchema = z.object({ context: z.record(z.string(), z.unknown()).default({}) });

/** Variables whose value is a token (a Ref, a Join) are objects in the template: only strings are read here. */
const VariablesSchema = z.record(z.string(), z.unknown()).transform((vars) => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) if (typeof value === 'string') out[key] = value;
  return out;
});

const FunctionPropertiesSchema = z.object({
  FunctionName: z.string(),
  MemorySize: z.number().default(128),
  TracingConfig: z.object({ Mode: z.string().optional() }).optional(),
  LoggingConfig: z
    .object({ SystemLogLevel: z.string().optional(), ApplicationLogLevel: z.string().optional() })
    .optional(),
  Environment: z.object({ Variables: VariablesSchema.default({}) }).optional(),
});

const AlarmPropertiesSchema = z.object({
  AlarmName: z.string().default(''),
  Namespace: z.string().default('metric math'),
  MetricName: z.string().default(''),
});

const TablePropertiesSchema = z.object({
  PointInTimeRecoverySpecification: z.object({ PointInTimeRecoveryEnabled: z.boolean().optional() }).optional(),
  GlobalSecondaryIndexes: z
    .array(
      z.object({ IndexName: z.string(), Projection: z.object({ ProjectionType: z.string().default('KEYS_ONLY') }) }),
    )
    .default([]),
});

const StateMachinePropertiesSchema = z.object({
  StateMachineName: z.string().default(''),
  TracingConfiguration: z.object({ Enabled: z.boolean().optional() }).optional(),
  LoggingConfiguration: z.object({ Level: z.string().optional() }).optional(),
});

const EventDestinationPropertiesSchema = z.object({
  EventDestination: z.object({
    Enabled: z.boolean().default(true),
    MatchingEventTypes: z.array(z.string()).default([]),
  }),
});

const LogGroupPropertiesSchema = z.object({ RetentionInDays: z.number().default(0) });

/** SES's event type names in a configuration set (camelCase) → the engine's feedback types. */
const SES_EVENT_TYPE: Record<string, EmailFeedback['type'] | undefined> = Object.fromEntries(
  EmailFeedbackSchema.shape.type.options.map((type) => [
    type.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()),
    type,
  ]),
);

const CUSTOMER_INDEXES = [NEXT_CHECK_INDEX, WINBACK_INDEX, WINBACK_DUE_INDEX];

function isJobName(job: string): job is JobName {
  return Object.hasOwn(JOB_METRICS, job);
}

/** The metrics a function publishes: `PUBLISHED_METRICS` as functions/job-handler.ts reads it. */
export function publishedMetrics(job: JobName, published: string | undefined): string[] {
  const known: readonly string[] = JOB_METRICS[job];
  const value = (published ?? '*').trim();
  if (value === '*') return [...known];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`PUBLISHED_METRICS of ${job} names ${unknown.join(', ')}: not in JOB_METRICS`);
  return names;
}

/** One resource type's properties through its schema; the error names the resource. */
function propertiesOf<S extends z.ZodType>(schema: S, logicalId: string, resource: Resource): z.output<S> {
  const parsed = schema.safeParse(resource.Properties);
  if (!parsed.success) {
    throw new Error(`bench/template.ts cannot read ${resource.Type} ${logicalId}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Synthesizes both stacks of the example deployment and lists what the cost model needs. */
export function stackInventory(root: string, configFile = 'infra/config.example.json'): StackInventory {
  const cdkJson = CdkJsonSchema.parse(JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')));
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const config = parseDeploymentConfig(JSON.parse(readFileSync(join(root, configFile), 'utf8')));
  addClienteleStacks(app, config);
  const resources = app.synth().stacks.flatMap((s) => Object.entries(TemplateSchema.parse(s.template).Resources));
  const ofType = <S extends z.ZodType>(type: string, schema: S) =>
    resources
      .filter(([, r]) => r.Type === type)
      .map(([logicalId, r]) => ({ logicalId, p: propertiesOf(schema, logicalId, r) }));

  const resourceCounts: Record<string, number> = {};
  for (const [, r] of resources) resourceCounts[r.Type] = (resourceCounts[r.Type] ?? 0) + 1;

  const prefix = `clientele-${config.stageName}-`;
  let metricsNamespace = 'clientele';
  const functions: FunctionInventory[] = ofType('AWS::Lambda::Function', FunctionPropertiesSchema).map(
    ({ logicalId, p }) => {
      const env = p.Environment?.Variables ?? {};
      metricsNamespace = env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace;
      const job = p.FunctionName.startsWith(prefix) ? p.FunctionName.slice(prefix.length) : p.FunctionName;
      if (!isJobName(job)) {
        throw new Error(
          `function ${p.FunctionName} (${logicalId}): its job ${job} is not in JOB_METRICS (functions/metrics.ts)`,
        );
      }
      const metrics = publishedMetrics(job, env.PUBLISHED_METRICS);
      return {
        service: env.POWERTOOLS_SERVICE_NAME ?? p.FunctionName,
        job,
        memoryMb: p.MemorySize,
        tracingActive: p.TracingConfig?.Mode === 'Active',
        systemLogLevel: p.LoggingConfig?.SystemLogLevel ?? 'INFO',
        applicationLogLevel: p.LoggingConfig?.ApplicationLogLevel ?? 'INFO',
        emfLinesPerInvocation: metrics.length > 0 ? 1 : 0,
        metrics,
      };
    },
  );
  const alarmed: Partial<Record<JobName, readonly string[]>> = ALARMED_METRICS;
  const customMetrics = functions.flatMap((f) =>
    f.metrics.map((name) => ({
      job: f.job,
      service: f.service,
      name,
      alarmed: alarmed[f.job]?.includes(name) === true,
    })),
  );

  const alarms = ofType('AWS::CloudWatch::Alarm', AlarmPropertiesSchema).map(({ p }) => ({
    name: p.AlarmName,
    namespace: p.Namespace,
    metric: p.MetricName,
  }));
  const dashboards = resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard');
  // The body is a Fn::Join of JSON text and tokens: metric arrays read ["<namespace>","<name>",...] in it.
  const dashboardText = dashboards.map(([, r]) => JSON.stringify(r.Properties.DashboardBody)).join('');
  const graphed = new Set<string>();
  for (const m of dashboardText.matchAll(new RegExp(`\\\\"${metricsNamespace}\\\\",\\\\"([A-Za-z0-9_.]+)\\\\"`, 'g'))) {
    if (m[1]) graphed.add(m[1]);
  }
  for (const a of alarms) if (a.namespace === metricsNamespace) graphed.add(a.metric);
  const published = new Set(customMetrics.map((m) => m.name));

  const tables: TableInventory[] = ofType('AWS::DynamoDB::Table', TablePropertiesSchema).map(({ logicalId, p }) => ({
    logicalId,
    pitr: p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true,
    indexes: p.GlobalSecondaryIndexes.map((g) => ({ name: g.IndexName, projection: g.Projection.ProjectionType })),
  }));
  const customerProjections = new Set(
    tables
      .flatMap((t) => t.indexes)
      .filter((i) => CUSTOMER_INDEXES.includes(i.name))
      .map((i) => i.projection),
  );
  if (customerProjections.size !== 1) {
    throw new Error(
      `the customer indexes project ${[...customerProjections].join(' and ') || 'nothing'}: expected one projection`,
    );
  }

  const sesEventTypes = new Set<EmailFeedback['type']>();
  for (const { p } of ofType('AWS::SES::ConfigurationSetEventDestination', EventDestinationPropertiesSchema)) {
    if (!p.EventDestination.Enabled) continue;
    for (const name of p.EventDestination.MatchingEventTypes) {
      const type = SES_EVENT_TYPE[name];
      if (type) sesEventTypes.add(type);
    }
  }
  const logGroups = ofType('AWS::Logs::LogGroup', LogGroupPropertiesSchema);

  return {
    configFile,
    stageName: config.stageName,
    resourceCounts,
    alarms,
    dashboards: dashboards.length,
    usedCustomMetrics: [...graphed].filter((m) => published.has(m)).sort(),
    unpublishedDashboardMetrics: [...graphed].filter((m) => !published.has(m)).sort(),
    functions,
    kmsKeys: resourceCounts['AWS::KMS::Key'] ?? 0,
    secrets: resourceCounts['AWS::SecretsManager::Secret'] ?? 0,
    tables,
    customerIndexProjection: [...customerProjections][0] ?? 'ALL',
    stateMachines: ofType('AWS::StepFunctions::StateMachine', StateMachinePropertiesSchema).map(({ p }) => ({
      name: p.StateMachineName,
      job: p.StateMachineName.startsWith(prefix) ? p.StateMachineName.slice(prefix.length) : p.StateMachineName,
      tracing: p.TracingConfiguration?.Enabled === true,
      logLevel: p.LoggingConfiguration?.Level ?? 'OFF',
    })),
    sesEventTypes: EmailFeedbackSchema.shape.type.options.filter((t) => sesEventTypes.has(t)),
    eventBuses: resourceCounts['AWS::Events::EventBus'] ?? 0,
    logGroups: logGroups.length,
    logRetentionDays: logGroups.map(({ p }) => p.RetentionInDays),
    metricsNamespace,
    customMetrics,
  };
}
