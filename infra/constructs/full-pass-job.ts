import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  baseEnvironment,
  grantTable,
  JobDeadLetterQueue,
  JobSchedule,
  logicalIdOf,
  type MonitoredJob,
} from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { FULL_PASS_TIMEOUT, fullPassDefinition } from './full-pass-definition.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/** A segment worker checkpoints and returns after this long, well before the timeout. */
export const SEGMENT_TIME_BUDGET = Duration.minutes(10);
/** Bounds a run, including a segment that never reports done. */
export const FULL_PASS_EXECUTION_TIMEOUT = Duration.hours(12);

export interface FullPassJobProps extends ScheduledJobProps {
  readonly reportsBucket: s3.IBucket;
  /** Allows s3:PutObject under cohorts/ in the reports bucket (ClienteleData.reportsWriterPolicy). */
  readonly reportsWriterPolicy: iam.IManagedPolicy;
  /** Segments processed at the same time (the Distributed Map's MaxConcurrency). */
  readonly maxConcurrency: number;
}

/**
 * full-pass: full passes over the customers table (flag: every customer; cohorts: the cohort matrices, snapshot,
 * reports and campaign results) as a Step Functions Standard workflow: Plan -> Distributed Map over the scan
 * segments (each segment's worker is called again until it reports done, resuming from its checkpoint in the
 * snapshots table) -> Merge. The cohort schedule starts it; flag-dormant starts it when it needs a full pass.
 * A failed execution can be redriven: finished segments are not run again, unfinished ones resume.
 * Grants: customers read and Put/UpdateItem (flag writes), orders Query and ledger Scan/Query (campaign results),
 * snapshots read/write, and the reports writer policy.
 */
export class FullPassJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly stateMachine: sfn.StateMachine;
  /** Failed deliveries of the cohort schedule. */
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FullPassJobProps) {
    super(scope, id);
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('full-pass.ts'),
      jobName: 'full-pass',
      stageName: props.stageName,
      tracing: props.tracing,
      description: 'Full passes (flag, cohorts): plan, one scan segment, merge; run by the full-pass state machine',
      environment: {
        ...baseEnvironment(props),
        REPORTS_BUCKET: props.reportsBucket.bucketName,
        SEGMENT_TIME_BUDGET_SECONDS: String(SEGMENT_TIME_BUDGET.toSeconds()),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySize: 1024,
      timeout: FULL_PASS_TIMEOUT,
    });
    const { customers, orders, ledger, snapshots } = props.tables;
    // Scan: the segments; Get/BatchGet/Query: re-reads and campaign results; Put/UpdateItem: flag writes (version
    // condition).
    grantTable(this.job.role, customers, [
      'dynamodb:Scan',
      // The plan sizes the fan-out from the table's item count.
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    grantTable(this.job.role, orders, ['dynamodb:Query']);
    grantTable(this.job.role, ledger, ['dynamodb:Scan', 'dynamodb:Query']);
    // Checkpoints, partial results, the flag watermark and the cohort snapshot.
    grantTable(this.job.role, snapshots, [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
    ]);
    this.job.role.addManagedPolicy(props.reportsWriterPolicy);

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `clientele-${props.stageName}-full-pass`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'clientele full pass: plan, one worker per scan segment (resumable), merge',
      definitionBody: sfn.DefinitionBody.fromChainable(
        fullPassDefinition(this, this.job.function, props.maxConcurrency),
      ),
      timeout: FULL_PASS_EXECUTION_TIMEOUT,
      tracingEnabled: props.tracing,
      // Every state transition, without execution data (inputs and outputs hold ids and counts only, but stay out).
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.acknowledgeWildcards();
    if (!props.tracing) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason:
          'X-Ray tracing is a deployment setting (`tracing`, off by default): every transition is logged to the ' +
          'state machine log group, and each worker logs a summary with counts and ids.',
      });
    }

    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.schedule = new JobSchedule(this, 'CohortsSchedule', {
      stateMachine: this.stateMachine,
      input: { action: 'plan', job: 'cohorts' },
      expression: props.expression,
      timeZone: props.timeZone,
      group: props.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      enabled: props.scheduleEnabled,
      description: 'clientele cohorts (full-pass state machine)',
    });
  }

  private acknowledgeWildcards(): void {
    const fn = logicalIdOf(this.job.function);
    // How cdk-nag prints the executions of this state machine (the name is the 7th field of its ARN); partition,
    // region and account are literals when the stack has an environment, `<AWS::...>` otherwise.
    const stack = Stack.of(this);
    const pseudo = (value: string) => {
      const resolved = stack.resolve(value) as unknown;
      return typeof resolved === 'string' ? resolved : `<${(resolved as { Ref: string }).Ref}>`;
    };
    const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalIdOf(this.stateMachine)}"}]}]}`;
    const [partition, region, account] = [stack.partition, stack.region, stack.account].map(pseudo);
    const executions = `arn:${partition}:states:${region}:${account}:execution:${name}`;
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery ' +
          '(logs:CreateLogDelivery, ...) of the state machine support no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${fn}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction granted by the LambdaInvoke tasks: the full-pass function ARN plus its qualified ' +
          'ARNs (versions and aliases) of this one function only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
        reason:
          'Distributed Map (added by CDK): states:DescribeExecution and StopExecution on the child executions of ' +
          'this state machine only, whose names Step Functions generates.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}/Segments:*]`,
        reason:
          'Distributed Map (added by CDK): states:RedriveExecution on the map runs labelled Segments of this state ' +
          'machine only (redriving a failed execution redrives its failed child executions).',
      },
    );
  }
}
