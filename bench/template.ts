import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addClienteleStacks } from '../infra/clientele.ts';
import { parseDeploymentConfig } from '../infra/config.ts';
import { EmailFeedbackSchema } from '../shared/domain/email-feedback.ts';

/**
 * What a deployment is made of, read from the synthesized CloudFormation templates (the same app, config and
 * cdk.json feature flags as `npm run synth`, with bundling skipped as in tests/infra/helpers.ts) and from the
 * handlers' EMF metric calls, so the cost model's fixed items cannot drift from the stack.
 */
export interface StackInventory {
  configFile: string;
  stageName: string;
  resourceCounts: Record<string, number>;
  alarms: { name: string; namespace: string; metric: string }[];
  dashboards: number;
  /** custom metrics (the Powertools namespace) the dashboards graph or the alarms watch */
  usedCustomMetrics: string[];
  /** custom metrics a dashboard graphs that no handler publishes */
  unpublishedDashboardMetrics: string[];
  functions: FunctionInventory[];
  kmsKeys: number;
  secrets: number;
  tables: { logicalId: string; pitr: boolean; indexes: string[] }[];
  stateMachines: { tracing: boolean; logLevel: string }[];
  eventBuses: number;
  logGroups: number;
  logRetentionDays: number[];
  metricsNamespace: string;
  /** one entry per billed custom metric: name × dimension set (Powertools' `service` = the function) */
  customMetrics: { job: string; service: string; name: string }[];
}

export interface FunctionInventory {
  logicalId: string;
  /** the Powertools service name, clientele-<stage>-<job> */
  service: string;
  /** the job name, also the handler's file name in functions/ */
  job: string;
  memoryMb: number;
  tracingActive: boolean;
  /** EMF log lines per invocation (a handler calling publishStoredMetrics writes one) */
  emfLinesPerInvocation: number;
  metrics: string[];
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** Metric names built at run time, by handler file: the values the template's placeholder takes. */
const DYNAMIC_METRIC_NAMES: Record<string, { pattern: RegExp; names: () => string[] }> = {
  // `Email_${String(mapped.feedback.type)}`: one metric per SES event type the configuration set publishes.
  'ses-feedback.ts': {
    pattern: /^`Email_\$\{[^}]+\}`$/,
    names: () => EmailFeedbackSchema.shape.type.options.map((type) => `Email_${type}`),
  },
};

/** Calls that would add dimension sets this count does not know about. */
const DIMENSION_CALLS = /\b(addDimension|addDimensions|setDefaultDimensions|defaultDimensions|singleMetric)\b/;

/** The first argument of every `metrics.addMetric(` call, as source text. */
function firstArguments(source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(/metrics\.addMetric\(/g)) {
    let i = (match.index ?? 0) + match[0].length;
    let depth = 0;
    let quote: string | undefined;
    let text = '';
    for (; i < source.length; i++) {
      const ch = source[i] as string;
      if (quote) {
        if (ch === '\\') {
          text += ch + (source[i + 1] ?? '');
          i += 1;
          continue;
        }
        if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
      else if ('([{'.includes(ch)) depth += 1;
      else if (')]}'.includes(ch)) depth -= 1;
      else if (ch === ',' && depth === 0) break;
      text += ch;
    }
    out.push(text.trim());
  }
  return out;
}

/** The metric names a handler file can publish. Fails on a name it cannot enumerate (update this file then). */
export function metricNames(file: string, source: string): string[] {
  const names = new Set<string>();
  for (const arg of firstArguments(source)) {
    const dynamic = DYNAMIC_METRIC_NAMES[file];
    if (arg.startsWith('`') && dynamic?.pattern.test(arg)) {
      for (const name of dynamic.names()) names.add(name);
      continue;
    }
    // A name, or a choice between names (`cond ? 'A' : 'B'`: the names are the branches, not the condition).
    const branches = arg.includes('?') ? arg.slice(arg.indexOf('?') + 1) : arg;
    const literals = [...branches.matchAll(/'([^']+)'|"([^"]+)"/g)].map((m) => m[1] ?? m[2] ?? '');
    if (arg.includes('`') || literals.length === 0 || (arg.includes('?') && literals.length !== 2)) {
      throw new Error(`bench/template.ts cannot enumerate the metric name ${arg} in functions/${file}`);
    }
    for (const name of literals) names.add(name);
  }
  return [...names].sort();
}

/** Synthesizes both stacks of the example deployment and lists what the cost model needs. */
export function stackInventory(root: string, configFile = 'infra/config.example.json'): StackInventory {
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  } as ConstructorParameters<typeof App>[0]);
  const config = parseDeploymentConfig(JSON.parse(readFileSync(join(root, configFile), 'utf8')));
  addClienteleStacks(app, config);
  const resources = app
    .synth()
    .stacks.flatMap((s) => Object.entries((s.template as { Resources: Record<string, CfnResource> }).Resources));
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const props = (r: CfnResource) => r.Properties ?? {};

  const resourceCounts: Record<string, number> = {};
  for (const [, r] of resources) resourceCounts[r.Type] = (resourceCounts[r.Type] ?? 0) + 1;

  const handlerDir = join(root, 'functions');
  for (const file of readdirSync(handlerDir).filter((f) => f.endsWith('.ts'))) {
    if (DIMENSION_CALLS.test(readFileSync(join(handlerDir, file), 'utf8'))) {
      throw new Error(
        `functions/${file} sets metric dimensions: bench/template.ts counts one set (service) per function`,
      );
    }
  }
  let metricsNamespace = 'clientele';
  const functions: FunctionInventory[] = ofType('AWS::Lambda::Function').map(([logicalId, r]) => {
    const p = props(r);
    const env = ((p.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}) as Record<
      string,
      string
    >;
    const service = env.POWERTOOLS_SERVICE_NAME ?? '';
    metricsNamespace = env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace;
    const job = service.replace(`clientele-${config.stageName}-`, '');
    const file = `${job}.ts`;
    if (!service || !existsSync(join(handlerDir, file))) {
      throw new Error(`function ${logicalId} (service ${service || 'unset'}) has no handler functions/${file}`);
    }
    const source = readFileSync(join(handlerDir, file), 'utf8');
    return {
      logicalId,
      service,
      job,
      memoryMb: Number(p.MemorySize ?? 128),
      tracingActive: (p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
      emfLinesPerInvocation: source.includes('publishStoredMetrics()') ? 1 : 0,
      metrics: metricNames(file, source),
    };
  });
  const customMetrics = functions.flatMap((f) => f.metrics.map((name) => ({ job: f.job, service: f.service, name })));

  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => ({
    name: String(props(r).AlarmName ?? ''),
    namespace: String(props(r).Namespace ?? 'metric math'),
    metric: String(props(r).MetricName ?? ''),
  }));
  const dashboardText = ofType('AWS::CloudWatch::Dashboard')
    .map(([, r]) => JSON.stringify(props(r).DashboardBody))
    .join('');
  const graphed = new Set(
    [...dashboardText.matchAll(new RegExp(`\\\\"${metricsNamespace}\\\\",\\\\"([A-Za-z0-9_.]+)\\\\"`, 'g'))].map(
      (m) => m[1] as string,
    ),
  );
  for (const a of alarms) if (a.namespace === metricsNamespace) graphed.add(a.metric);
  const published = new Set(customMetrics.map((m) => m.name));

  return {
    configFile,
    stageName: config.stageName,
    resourceCounts,
    alarms,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    usedCustomMetrics: [...graphed].filter((m) => published.has(m)).sort(),
    unpublishedDashboardMetrics: [...graphed].filter((m) => !published.has(m)).sort(),
    functions,
    kmsKeys: ofType('AWS::KMS::Key').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    tables: ofType('AWS::DynamoDB::Table').map(([logicalId, r]) => ({
      logicalId,
      pitr:
        (props(r).PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined)
          ?.PointInTimeRecoveryEnabled === true,
      indexes: (
        (props(r).GlobalSecondaryIndexes ?? []) as { IndexName: string; Projection: { ProjectionType: string } }[]
      ).map((g) => `${g.IndexName} (${g.Projection.ProjectionType})`),
    })),
    stateMachines: ofType('AWS::StepFunctions::StateMachine').map(([, r]) => ({
      tracing: (props(r).TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true,
      logLevel: String((props(r).LoggingConfiguration as { Level?: string } | undefined)?.Level ?? 'OFF'),
    })),
    eventBuses: ofType('AWS::Events::EventBus').length,
    logGroups: ofType('AWS::Logs::LogGroup').length,
    logRetentionDays: ofType('AWS::Logs::LogGroup').map(([, r]) => Number(props(r).RetentionInDays ?? 0)),
    metricsNamespace,
    customMetrics,
  };
}
