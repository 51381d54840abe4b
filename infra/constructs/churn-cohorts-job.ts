import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bindTables, JobDeadLetterQueue, JobSchedule, jobEnvironment, type MonitoredJob } from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { FullPassJob } from './full-pass-job.ts';
import { handlerEntry, type JobFunction } from './job-function.ts';

export interface ChurnCohortsJobProps extends ScheduledJobProps {
  readonly reportsBucket: s3.IBucket;
  /** Allows s3:PutObject under cohorts/ in the reports bucket (ClienteleData.reportsWriterPolicy). */
  readonly reportsWriterPolicy: iam.IManagedPolicy;
  /** Segments processed at the same time (the Distributed Map's MaxConcurrency). */
  readonly maxConcurrency: number;
}

/**
 * churn-cohorts: the weekly cohort matrices, snapshot, reports and campaign results, as its own full-pass state
 * machine started by its schedule. It reads customers and never writes them (no PutItem/UpdateItem/DeleteItem).
 * Grants: customers Scan (+ DescribeTable to size the fan-out) and BatchGetItem (the campaign's customers), orders
 * Query, ledger Scan/Query (campaign results), snapshots (checkpoints and the cohort snapshot), the reports writer.
 */
export class ChurnCohortsJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly fullPass: FullPassJob;
  readonly stateMachine: FullPassJob['stateMachine'];
  /** Failed deliveries of the cohort schedule. */
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: ChurnCohortsJobProps) {
    super(scope, id);
    const tables = bindTables(props.tables, {
      customers: { actions: ['dynamodb:Scan', 'dynamodb:DescribeTable', 'dynamodb:BatchGetItem'] },
      orders: { actions: ['dynamodb:Query'] },
      ledger: { actions: ['dynamodb:Scan', 'dynamodb:Query'] },
      snapshots: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
      },
    });
    this.fullPass = new FullPassJob(this, 'FullPass', {
      ...props,
      jobName: 'churn-cohorts',
      entry: handlerEntry('churn-cohorts.ts'),
      description: 'Churn cohorts: plan, one scan segment, merge (reports to S3); run by its state machine',
      environment: jobEnvironment('churn-cohorts', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        REPORTS_BUCKET: props.reportsBucket.bucketName,
      }),
    });
    this.job = this.fullPass.job;
    this.stateMachine = this.fullPass.stateMachine;
    tables.grant(this.job.role);
    this.job.role.addManagedPolicy(props.reportsWriterPolicy);

    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.schedule = new JobSchedule(this, 'Schedule', {
      stateMachine: this.stateMachine,
      input: { action: 'plan' },
      expression: props.expression,
      timeZone: props.timeZone,
      group: props.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      enabled: props.scheduleEnabled,
      description: 'clientele churn-cohorts (its full-pass state machine)',
    });
  }
}
