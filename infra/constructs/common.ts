import { Aws, CfnElement, Duration, type RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { type EnvironmentOf, JOB_ENV, type JobWithEnv, TABLE_ENV, type TableRole } from '../../functions/env.ts';
import type { TableNames } from '../../shared/adapters/dynamodb/tables.ts';
import type { PublishedMetrics } from '../config.ts';
import type { JobFunction } from './job-function.ts';

/** The four tables by role. */
export type ClienteleTables = Record<keyof TableNames, dynamodb.Table>;

/** What every job construct receives from the stack. */
export interface JobCommonProps {
  readonly stageName: string;
  readonly tables: ClienteleTables;
  /** `ENGINE_CONFIG`: the validated engine configuration as JSON. */
  readonly engineConfigJson: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** X-Ray active tracing of the functions (and the full-pass state machine): `tracing` in the deployment config. */
  readonly tracing: boolean;
  /** Which metrics the functions publish (`metrics` in the deployment config). */
  readonly metrics?: PublishedMetrics;
}

/** A job started by something other than a person: it has a function and a dead-letter queue. */
export interface MonitoredJob {
  readonly job: JobFunction;
  /** Receives failed trigger deliveries, failed asynchronous invocations or failed queue messages; alarmed on. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** The queue the function consumes; alarmed on when its oldest message is older than `maxAge`. */
  readonly workQueue?: { readonly queue: sqs.IQueue; readonly maxAge: Duration };
  /** The state machine the function works for; alarmed on failed and timed-out executions. */
  readonly stateMachine?: sfn.IStateMachine;
  /**
   * Custom metrics of the job alarmed on when above 0 in 5 minutes (published: JobFunctionProps.alarmedMetrics),
   * e.g. a failure the job logs and counts without failing.
   */
  readonly countAlarms?: readonly { readonly metric: string; readonly name: string; readonly description: string }[];
}

/**
 * A job's environment, checked against its handler's contract (functions/env.ts JOB_ENV): a required variable
 * missing fails to compile; one the contract does not name fails the synth.
 */
export function jobEnvironment<J extends JobWithEnv>(job: J, values: EnvironmentOf<J>): Record<string, string> {
  const known = new Set(Object.keys(JOB_ENV[job].shape));
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!known.has(name)) throw new Error(`${job}: ${name} is not a variable of its environment contract`);
    if (typeof value === 'string') environment[name] = value;
  }
  return environment;
}

/** A job's access to one table: the actions, and the indexes they apply to (never `index/*`). */
export interface TableAccess {
  readonly actions: readonly string[];
  readonly indexes?: readonly string[];
}

/**
 * The tables a job uses, each paired once with its access: `environment` names them for the handler (only these:
 * a function never learns a table it may not touch), `grant` gives exactly these actions.
 */
export function bindTables<R extends TableRole>(
  tables: ClienteleTables,
  access: { readonly [K in R]: TableAccess },
): { environment: { [K in R as (typeof TABLE_ENV)[K]]: string }; grant(grantee: iam.IGrantable): void } {
  const entries: [TableRole, TableAccess][] = Object.entries<TableAccess>(access).flatMap(([role, a]) =>
    isTableRole(role) ? [[role, a]] : [],
  );
  const environment = Object.fromEntries(entries.map(([role]) => [TABLE_ENV[role], tables[role].tableName]));
  return {
    // cast: the entries are exactly TABLE_ENV[role] → table name for the roles of `access`, as the type states.
    environment: environment as { [K in R as (typeof TABLE_ENV)[K]]: string },
    grant(grantee) {
      for (const [role, a] of entries) grantTable(grantee, tables[role], [...a.actions], [...(a.indexes ?? [])]);
    },
  };
}

function isTableRole(role: string): role is TableRole {
  return role in TABLE_ENV;
}

/** The CloudFormation logical ID of an L2 construct's main resource (as cdk-nag prints it in finding IDs). */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const id: unknown = Stack.of(resource).resolve(resource.logicalId);
  if (typeof id !== 'string') throw new Error(`${construct.node.path}: logical ID did not resolve`);
  return id;
}

/** Item and query reads. No stream actions, no DescribeTable: the handlers need neither. */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'];
/** Item writes. No DeleteItem: no job deletes items (TTL expires ledger entries). */
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];

/**
 * Allows `actions` on one table (and on the named indexes only, never `index/*`), as an identity policy of the
 * grantee. Used instead of `table.grantReadWriteData()` so each job gets exactly the operations it performs.
 */
export function grantTable(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  actions: string[],
  indexNames: string[] = [],
): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [table.tableArn, ...indexNames.map((name) => `${table.tableArn}/index/${name}`)],
  });
}

/**
 * Dead-letter queue of one job (or of its work queue): SQS-managed encryption (EventBridge and Scheduler can
 * deliver to it without a KMS key policy), TLS-only access, 14 days to look at and redrive the failed events.
 */
export class JobDeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (of a schedule or rule target, of asynchronous invocations, or ' +
        'of a work queue).',
    });
  }
}

export interface JobScheduleProps {
  /** The target: a function (invoked asynchronously) or, instead, `stateMachine`. */
  readonly function?: lambda.IFunction;
  /** The target: a state machine (StartExecution), instead of `function`. */
  readonly stateMachine?: sfn.IStateMachine;
  /**
   * Fields of the input next to `scheduledTime`, e.g. `{ action: 'plan', job: 'cohorts' }`.
   * @default - none
   */
  readonly input?: Record<string, string>;
  /** `cron(...)` or `rate(...)`, evaluated in `timeZone`. */
  readonly expression: string;
  /** IANA time zone. */
  readonly timeZone: string;
  readonly group: scheduler.IScheduleGroup;
  readonly deadLetterQueue: sqs.IQueue;
  readonly description: string;
  /**
   * Whether the schedule fires.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * An EventBridge Scheduler schedule invoking a job (a function, or a state machine execution) with
 * `{...input, "scheduledTime": "<aws.scheduler.scheduled-time>"}`, so a late or retried run still computes "as of"
 * the planned time. Retries twice within an hour, then the event goes to the job's dead-letter queue.
 */
export class JobSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /**
   * The role Scheduler assumes; it may only invoke this job's function (or start executions of its state machine)
   * and send to its dead-letter queue.
   */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: JobScheduleProps) {
    super(scope, id);
    // One role per schedule (instead of the shared role the target creates at stack level), trusted only by
    // Scheduler acting for this account and this schedule group (confused-deputy protection).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': props.group.scheduleGroupArn },
        },
      }),
      description: props.description,
    });
    const { stateMachine } = props;
    const targetProps = {
      role: this.role,
      input: scheduler.ScheduleTargetInput.fromObject({
        ...props.input,
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
      }),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: props.deadLetterQueue,
    };
    const target =
      props.function && !stateMachine
        ? new LambdaInvoke(props.function, targetProps)
        : stateMachine && !props.function
          ? new StepFunctionsStartExecution(stateMachine, targetProps)
          : undefined;
    if (!target) throw new Error(`${this.node.path}: set exactly one of function and stateMachine`);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: props.description,
      enabled: props.enabled ?? true,
      scheduleGroup: props.group,
      schedule: scheduler.ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone)),
      target,
    });
    // states:StartExecution is granted on the state machine ARN itself: no wildcard to acknowledge.
    if (props.function) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.function)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction granted by function.grantInvoke(): the function ARN plus its qualified ARNs ' +
          '(versions and aliases) of this one function only.',
      });
    }
  }
}
