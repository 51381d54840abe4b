import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type JobCommonProps, logicalIdOf, type MonitoredJob } from './common.ts';
import { FULL_PASS_TIMEOUT, fullPassDefinition } from './full-pass-definition.ts';
import { JobFunction } from './job-function.ts';

/** A segment worker checkpoints and returns after this long, well before the timeout. */
export const SEGMENT_TIME_BUDGET = Duration.minutes(10);
/** Bounds a run, including a segment that never reports done. */
export const FULL_PASS_EXECUTION_TIMEOUT = Duration.hours(12);

export interface FullPassJobProps extends JobCommonProps {
  /** The job's full-pass function: its name (JOB_METRICS key) and its handler in functions/. */
  readonly jobName: 'flag-full-pass' | 'churn-cohorts';
  readonly entry: string;
  readonly description: string;
  /** The function's environment (from jobEnvironment: checked against the job's contract). */
  readonly environment: Record<string, string>;
  /** Segments processed at the same time (the Distributed Map's MaxConcurrency). */
  readonly maxConcurrency: number;
  /** Metrics alarmed on besides ALARMED_METRICS (JobFunctionProps.alarmedMetrics). */
  readonly alarmedMetrics?: readonly string[];
}

/**
 * A job's full pass over the customers table, as a Step Functions Standard workflow of its own: Plan -> Distributed
 * Map over the scan segments (each segment's worker is called again until it reports done, resuming from its
 * checkpoint in the snapshots table) -> Merge. The engine knows no job: the function is the job's (its worker and
 * merge step), with exactly the job's grants, given by the job's construct (FlagDormantJob, ChurnCohortsJob).
 * A failed execution can be redriven: finished segments are not run again, unfinished ones resume.
 */
export class FullPassJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FullPassJobProps) {
    super(scope, id);
    this.job = new JobFunction(this, 'Job', {
      entry: props.entry,
      jobName: props.jobName,
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      alarmedMetrics: props.alarmedMetrics,
      description: props.description,
      environment: { ...props.environment, SEGMENT_TIME_BUDGET_SECONDS: String(SEGMENT_TIME_BUDGET.toSeconds()) },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySize: 1024,
      timeout: FULL_PASS_TIMEOUT,
    });
    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `clientele-${props.stageName}-${props.jobName}`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `clientele ${props.jobName}: plan, one worker per scan segment (resumable), merge`,
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
  }

  private acknowledgeWildcards(): void {
    const fn = logicalIdOf(this.job.function);
    // How cdk-nag prints the executions of this state machine (the name is the 7th field of its ARN); partition,
    // region and account are literals when the stack has an environment, `<AWS::...>` otherwise.
    const stack = Stack.of(this);
    const pseudo = (value: string) => {
      const resolved: unknown = stack.resolve(value);
      if (typeof resolved === 'string') return resolved;
      const ref = resolved && typeof resolved === 'object' && 'Ref' in resolved ? resolved.Ref : undefined;
      if (typeof ref !== 'string')
        throw new Error(`${this.node.path}: ${value} resolved to neither a string nor a Ref`);
      return `<${ref}>`;
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
          "lambda:InvokeFunction granted by the LambdaInvoke tasks: the job's full-pass function ARN plus its qualified " +
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
