import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { NEXT_CHECK_INDEX } from '../../shared/adapters/dynamodb/tables.ts';
import {
  baseEnvironment,
  grantTable,
  type JobCommonProps,
  JobDeadLetterQueue,
  JobSchedule,
  type MonitoredJob,
} from './common.ts';
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
  /** The full-pass state machine: started (job `flag`) when the daily run needs a full pass. */
  readonly fullPassStateMachine: sfn.IStateMachine;
}

/**
 * flag-dormant: the daily incremental re-classification (customers whose next check fell due, versioned put).
 * When a full pass is needed (first run, after an import, a policy change) it starts the full-pass state machine
 * instead of scanning itself.
 * Grants: customers Query (next-check index), GetItem, PutItem; its watermark in snapshots; states:StartExecution
 * on the full-pass state machine. Nothing else.
 */
export class FlagDormantJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: FlagDormantJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('flag-dormant.ts'),
      jobName: 'flag-dormant',
      stageName: props.stageName,
      tracing: props.tracing,
      description: 'Re-classifies lifecycle stages and flags dormant customers',
      environment: {
        ...baseEnvironment(props),
        FULL_PASS_STATE_MACHINE_ARN: props.fullPassStateMachine.stateMachineArn,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Reads grow with the customers that change that day; full passes run in the state machine. Lambda's
      // maximum still, for a catch-up after missed days.
      timeout: Duration.minutes(15),
      onFailure: this.deadLetterQueue,
    });
    // Query on the next-check index: the incremental daily run. No Scan: full passes run in the state machine.
    grantTable(
      this.job.role,
      props.tables.customers,
      ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      [NEXT_CHECK_INDEX],
    );
    // The watermark item (last successful as-of and policy fingerprint).
    grantTable(this.job.role, props.tables.snapshots, ['dynamodb:GetItem', 'dynamodb:PutItem']);
    props.fullPassStateMachine.grantStartExecution(this.job.role);
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
