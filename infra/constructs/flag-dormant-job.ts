import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
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

/**
 * flag-dormant: re-classifies every customer's lifecycle stage daily (scan + versioned put on customers).
 * Grants: customers Scan, GetItem, PutItem. Nothing else.
 */
export class FlagDormantJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('flag-dormant.ts'),
      jobName: 'flag-dormant',
      stageName: props.stageName,
      description: 'Re-classifies lifecycle stages and flags dormant customers',
      environment: baseEnvironment(props),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // A full scan of a large customer base; Lambda's maximum.
      timeout: Duration.minutes(15),
      onFailure: this.deadLetterQueue,
    });
    // Query on the next-check index: the incremental daily run; Scan: the full pass (first run, policy change).
    grantTable(
      this.job.role,
      props.tables.customers,
      ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      [NEXT_CHECK_INDEX],
    );
    // The watermark item (last successful as-of and policy fingerprint).
    grantTable(this.job.role, props.tables.snapshots, ['dynamodb:GetItem', 'dynamodb:PutItem']);
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
