import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type JobName, publishedMetricsEnv } from '../../functions/metrics.ts';
import type { PublishedMetrics } from '../config.ts';

/** Repository root (this file is infra/constructs/job-function.ts). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a handler module in functions/. */
export function handlerEntry(file: string): string {
  return join(PROJECT_ROOT, 'functions', file);
}

export type JobLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
/** Levels of the Lambda platform's own log lines (platform.start, platform.report, ...). */
export type SystemLogLevel = 'DEBUG' | 'INFO' | 'WARN';

/** Memory of a function when its construct does not set one: 512 MB. */
export const DEFAULT_MEMORY_MB = 512;
/**
 * The event handlers (an EventBridge event or an HTTP request each, a few DynamoDB calls): I/O-bound work billed per
 * GB-second, so half the default memory. The scheduled jobs keep 512 MB (or set their own).
 */
export const JOB_MEMORY_MB: Partial<Record<JobName, number>> = {
  'record-activity': 256,
  'ses-feedback': 256,
  unsubscribe: 256,
};

const APPLICATION_LOG_LEVEL: Record<JobLogLevel, lambda.ApplicationLogLevel> = {
  DEBUG: lambda.ApplicationLogLevel.DEBUG,
  INFO: lambda.ApplicationLogLevel.INFO,
  WARN: lambda.ApplicationLogLevel.WARN,
  ERROR: lambda.ApplicationLogLevel.ERROR,
};

const SYSTEM_LOG_LEVEL: Record<SystemLogLevel, lambda.SystemLogLevel> = {
  DEBUG: lambda.SystemLogLevel.DEBUG,
  INFO: lambda.SystemLogLevel.INFO,
  WARN: lambda.SystemLogLevel.WARN,
};

export interface JobFunctionProps {
  /** Absolute path of the handler module (see {@link handlerEntry}); it must export `handler`. */
  readonly entry: string;
  /**
   * The job (a key of JOB_METRICS in functions/metrics.ts): part of the function name and the Powertools service
   * name, and what PUBLISHED_METRICS is computed for.
   */
  readonly jobName: JobName;
  /** Stage name; the function is named `clientele-<stage>-<jobName>`. */
  readonly stageName: string;
  /**
   * Function description shown in the console.
   * @default - `clientele <jobName> (<stage>)`
   */
  readonly description?: string;
  /**
   * Environment variables of this job, added to the Powertools and Node variables set here.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Memory in MB; also scales CPU, which the minified bundle's cold start and zod parsing benefit from.
   * @default - JOB_MEMORY_MB[jobName] (256 for the event handlers), otherwise DEFAULT_MEMORY_MB (512)
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one invocation.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Powertools and Lambda application log level.
   * @default 'INFO'
   */
  readonly logLevel?: JobLogLevel;
  /**
   * Level of the Lambda platform's log lines. WARN leaves out platform.start and platform.report (about 700 B of
   * every invocation, ~40% of the log bytes); duration, memory and errors stay in the AWS/Lambda metrics.
   * @default 'WARN'
   */
  readonly systemLogLevel?: SystemLogLevel;
  /**
   * CloudWatch namespace of the Powertools metrics.
   * @default 'clientele'
   */
  readonly metricsNamespace?: string;
  /**
   * Which of the job's metrics the function publishes (`metrics` in the deployment config), passed to the handler
   * as PUBLISHED_METRICS: `alarmed`, those in ALARMED_METRICS (none for most jobs); `all`, `*`.
   * @default 'alarmed'
   */
  readonly metrics?: PublishedMetrics;
  /**
   * Metrics of the job this deployment alarms on besides ALARMED_METRICS, published whatever `metrics` says (the
   * construct that asks for them creates their alarm, see MonitoredJob.countAlarms).
   * @default - none
   */
  readonly alarmedMetrics?: readonly string[];
  /**
   * Queue receiving asynchronous invocations (Scheduler, EventBridge) that still fail after the retries;
   * the function role gets `sqs:SendMessage` on it.
   * @default - no asynchronous invocation settings (synchronous callers such as a function URL)
   */
  readonly onFailure?: sqs.IQueue;
  /**
   * Retries of a failed asynchronous invocation (only with `onFailure`). Jobs are idempotent, so a retry is safe.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long an asynchronous invocation may wait in Lambda's queue (only with `onFailure`).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * Concurrency reserved for the function: both a guaranteed share and a cap, so a flood of invocations can neither
   * use up the account's concurrency (which the other jobs need) nor be starved by them.
   * @default - none (the function draws on the account's unreserved concurrency)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * X-Ray active tracing. Off unless asked for: traces are billed per function and per invocation and the
   * handlers log a summary with counts and ids for every run.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Files copied into the function's asset beside `index.mjs` after bundling (e.g. the compiled templates): the
   * handler reads them relative to its own module. Part of the asset hash, so a changed file redeploys.
   * @default - none
   */
  readonly assetFiles?: readonly AssetFile[];
}

/** A file packaged with a function: `source` (absolute path at synth) is copied to `<asset>/<name>`. */
export interface AssetFile {
  readonly source: string;
  readonly name: string;
}

/** One POSIX shell word: the bundling hooks run through a shell. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A clientele job function with the project's defaults set once: Node.js 22 on arm64, an ESM bundle built by the
 * local esbuild, its own log group and a role that holds nothing but write access to that log group (each job
 * construct adds exactly the grants its handler needs), optional X-Ray tracing and Powertools settings.
 */
export class JobFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly jobName: JobName;
  /** The Powertools service name, also the `service` dimension of the job's metrics. */
  readonly serviceName: string;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    super(scope, id);
    this.jobName = props.jobName;
    this.serviceName = `clientele-${props.stageName}-${props.jobName}`;
    this.metricsNamespace = props.metricsNamespace ?? 'clientele';
    const logLevel = props.logLevel ?? 'INFO';

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // An explicit role instead of the AWSLambdaBasicExecutionRole managed policy (which allows writing to
    // every log group in the account): this role may only write to the job's own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `clientele ${props.jobName} (${props.stageName})`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      functionName: this.serviceName,
      description: props.description ?? `clientele ${props.jobName} (${props.stageName})`,
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? JOB_MEMORY_MB[props.jobName] ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.role,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: APPLICATION_LOG_LEVEL[logLevel],
      systemLogLevelV2: SYSTEM_LOG_LEVEL[props.systemLogLevel ?? 'WARN'],
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: this.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: logLevel,
        // Which counts go out as custom metrics (functions/job-handler.ts); all of them are in the summary line.
        PUBLISHED_METRICS: publishedMetricsEnv(props.jobName, props.metrics ?? 'alarmed', props.alarmedMetrics),
        // Stack traces point into the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(props.onFailure
        ? {
            onFailure: new SqsDestination(props.onFailure),
            retryAttempts: props.retryAttempts ?? 2,
            maxEventAge: props.maxEventAge ?? Duration.hours(6),
          }
        : {}),
      bundling: {
        // The handlers and shared/ are ESM (import.meta.url, top-level code); emit ESM so nothing is rewritten
        // and the output is `index.mjs`.
        format: OutputFormat.ESM,
        // Prefer the ESM build of dependencies: esbuild tree-shakes ES modules far better than CommonJS.
        mainFields: ['module', 'main'],
        // Some dependencies are CommonJS and call require() for Node built-ins; an ESM bundle has no require,
        // so define one from import.meta.url.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // Smaller bundles load and parse faster on cold start.
        minify: true,
        // A separate .map file (not inlined) keeps the code file small while stack traces stay readable.
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Stack traces only need names and positions; leaving the sources out keeps the map small.
        sourcesContent: false,
        // Only syntax the Node.js 22 runtime supports natively: no down-levelling.
        target: 'node22',
        // The AWS SDK v3 comes from the Node.js 22 runtime. Bundling it was measured at 850-1,000 KB per function
        // (DynamoDB client + @smithy/core + credential providers alone are ~330 KB minified), four times the
        // 250 KB budget, and the runtime SDK supports every API we call (DynamoDB, SESv2 SendEmail, S3 PutObject,
        // Secrets Manager). Only @aws-sdk/* is external: everything else, including Powertools, is bundled.
        externalModules: ['@aws-sdk/*'],
        // Sources import `* as z from 'zod'`, which esbuild can tree-shake: Zod's locales and JSON-schema code
        // (~320 KB) stay out of the bundles.
        // Warnings and errors only; esbuild's per-file info output would flood the synth log.
        logLevel: LogLevel.WARNING,
        ...(props.assetFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) =>
                  (props.assetFiles ?? []).map(
                    (file) => `cp ${shellQuote(file.source)} ${shellQuote(join(outputDir, file.name))}`,
                  ),
              },
            }
          : {}),
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE, when `tracing` is on): xray:PutTraceSegments and xray:PutTelemetryRecords ' +
        'do not support resource-level permissions, so they must use Resource "*". The only other "*" statement is ' +
        'ses:GetAccount of winback-email and winback-send (the send quota), which has no resource-level ' +
        'permissions either.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The project pins Node.js 22 (the handlers, esbuild target and tests are verified on it); moving to ' +
        'Node.js 24 is a deliberate upgrade, not an automatic one.',
    });
  }
}
