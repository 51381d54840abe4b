import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  baseEnvironment,
  grantTable,
  JobDeadLetterQueue,
  JobSchedule,
  type MonitoredJob,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

export interface ChurnCohortsJobProps extends ScheduledJobProps {
  readonly reportsBucket: s3.IBucket;
  /** Allows s3:PutObject under cohorts/ in the reports bucket (ClienteleData.reportsWriterPolicy). */
  readonly reportsWriterPolicy: iam.IManagedPolicy;
}

/**
 * churn-cohorts: weekly cohort retention snapshot and CSV/JSON/HTML reports.
 * Grants: customers Scan (read only), snapshots writes, and the reports writer policy (s3:PutObject under
 * `cohorts/` in the reports bucket).
 */
export class ChurnCohortsJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: ChurnCohortsJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('churn-cohorts.ts'),
      jobName: 'churn-cohorts',
      stageName: props.stageName,
      description: 'Computes churn cohorts and writes the cohort reports',
      environment: { ...baseEnvironment(props), REPORTS_BUCKET: props.reportsBucket.bucketName },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySize: 1024,
      // A full scan plus the aggregation in memory; Lambda's maximum.
      timeout: Duration.minutes(15),
      onFailure: this.deadLetterQueue,
    });
    // Scan for the cohorts; BatchGetItem, the orders Query and the ledger Scan for the campaign results section.
    grantTable(this.job.role, props.tables.customers, ['dynamodb:Scan', 'dynamodb:BatchGetItem']);
    grantTable(this.job.role, props.tables.orders, ['dynamodb:Query']);
    grantTable(this.job.role, props.tables.ledger, ['dynamodb:Scan']);
    grantTable(this.job.role, props.tables.snapshots, TABLE_WRITE_ACTIONS);
    this.job.role.addManagedPolicy(props.reportsWriterPolicy);
    this.schedule = new JobSchedule(this, 'Schedule', {
      function: this.job.function,
      expression: props.expression,
      timeZone: props.timeZone,
      group: props.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      enabled: props.scheduleEnabled,
      description: 'clientele churn-cohorts',
    });
  }
}
