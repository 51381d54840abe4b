import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { NEXT_CHECK_INDEX } from '../../shared/adapters/dynamodb/tables.ts';
import {
  bindTables,
  type JobCommonProps,
  JobDeadLetterQueue,
  JobSchedule,
  jobEnvironment,
  type MonitoredJob,
} from './common.ts';
import { FullPassJob } from './full-pass-job.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

export interface ScheduledJobProps extends JobCommonProps {
  /** Scheduler expression, e.g. `cron(0 2 * * ? *)`. */
  readonly expression: string;
  /** IANA time zone of the expression. */
  readonly timeZone: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /**
   * Whether the schedule fires.
   * @default true
   */
  readonly scheduleEnabled?: boolean;
}

export interface FlagDormantJobProps extends ScheduledJobProps {
  /** Segments of its full pass processed at the same time. */
  readonly fullPassConcurrency: number;
}

/** The watermark item and the full-pass checkpoints, in snapshots. */
const SNAPSHOTS = { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'] };

/**
 * The flag job: the daily incremental re-classification (flag-dormant: customers whose next check fell due,
 * versioned put), and its own full pass (flag-full-pass: every customer, as a state machine), which the daily run
 * starts when it needs one (first run, after an import, a policy change).
 * Grants: daily — customers Query (next-check index), GetItem, PutItem; the watermark; StartExecution of its
 * state machine. Full pass — customers Scan (+ DescribeTable to size the fan-out), GetItem, PutItem; snapshots.
 */
export class FlagDormantJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;
  readonly fullPass: FullPassJob;

  constructor(scope: Construct, id: string, props: FlagDormantJobProps) {
    super(scope, id);
    const fullPassTables = bindTables(props.tables, {
      customers: { actions: ['dynamodb:Scan', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem'] },
      snapshots: SNAPSHOTS,
    });
    this.fullPass = new FullPassJob(this, 'FullPass', {
      ...props,
      jobName: 'flag-full-pass',
      entry: handlerEntry('flag-full-pass.ts'),
      description: 'The flag job full pass: plan, one scan segment, merge; run by its state machine',
      environment: jobEnvironment('flag-full-pass', {
        ...fullPassTables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
      }),
      maxConcurrency: props.fullPassConcurrency,
    });
    fullPassTables.grant(this.fullPass.job.role);

    // Query on the next-check index: the incremental daily run. No Scan: full passes run in the state machine.
    const tables = bindTables(props.tables, {
      customers: {
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        indexes: [NEXT_CHECK_INDEX],
      },
      snapshots: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
    });
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('flag-dormant.ts'),
      jobName: 'flag-dormant',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'Re-classifies lifecycle stages and flags dormant customers',
      environment: jobEnvironment('flag-dormant', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        FULL_PASS_STATE_MACHINE_ARN: this.fullPass.stateMachine.stateMachineArn,
      }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Reads grow with the customers that change that day; full passes run in the state machine. Lambda's
      // maximum still, for a catch-up after missed days.
      timeout: Duration.minutes(15),
      onFailure: this.deadLetterQueue,
    });
    tables.grant(this.job.role);
    this.fullPass.stateMachine.grantStartExecution(this.job.role);
    this.schedule = new JobSchedule(this, 'Schedule', {
      function: this.job.function,
      expression: props.expression,
      timeZone: props.timeZone,
      group: props.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      enabled: props.scheduleEnabled,
      description: 'clientele flag-dormant',
    });
  }
}
