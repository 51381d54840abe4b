import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bindTables, JobDeadLetterQueue, JobSchedule, jobEnvironment, type MonitoredJob } from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { FullPassJob } from './full-pass-job.ts';
import { handlerEntry, type JobFunction } from './job-function.ts';
import { grantSendAsSender } from './winback-send-job.ts';

export interface ChurnCohortsJobProps extends ScheduledJobProps {
  readonly reportsBucket: s3.IBucket;
  /** Allows s3:PutObject under cohorts/ in the reports bucket (ClienteleData.reportsWriterPolicy). */
  readonly reportsWriterPolicy: iam.IManagedPolicy;
  /** Segments processed at the same time (the Distributed Map's MaxConcurrency). */
  readonly maxConcurrency: number;
  /**
   * The digest the merge step sends to `engine.digest.recipients` after the pass; absent when no digest is
   * configured (no recipients, or `enabled: false`): then the role gets no SES or read permission for it.
   */
  readonly digest?: ChurnCohortsDigestProps;
}

export interface ChurnCohortsDigestProps {
  /** From address of the digest; the only address the function may send as (`ses:FromAddress` condition). */
  readonly senderAddress: string;
  /** Verified SES identity (domain or address) the sender belongs to. */
  readonly sesIdentity: string;
  /** SES configuration set the digest is sent through (reputation metrics; its events carry no customer tag). */
  readonly configurationSetName: string;
  /**
   * Allows s3:GetObject of cohorts/<date>/report.html (ClienteleData.reportsLinkPolicy), to presign the report
   * link; absent when `engine.digest.reportBaseUrl` is configured (nothing to presign).
   */
  readonly reportsLinkPolicy?: iam.IManagedPolicy;
}

/**
 * churn-cohorts: the weekly cohort matrices, snapshot, reports and campaign results, as its own full-pass state
 * machine started by its schedule. It reads customers and never writes them (no PutItem/UpdateItem/DeleteItem).
 * Grants: customers Scan (+ DescribeTable to size the fan-out) and BatchGetItem (the campaign's customers), orders
 * Query, ledger Scan/Query (campaign results), snapshots (checkpoints and the cohort snapshot), the reports writer;
 * with a digest, ses:SendEmail on the identity and configuration set as the sender address only, and (to presign
 * the report link, without reportBaseUrl) s3:GetObject of the report files. Plan, segments and merge are one
 * function, so the segment workers hold these too; they never send (fullPassHandler calls finish only on merge).
 */
export class ChurnCohortsJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly fullPass: FullPassJob;
  readonly stateMachine: FullPassJob['stateMachine'];
  /** Failed deliveries of the cohort schedule. */
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;
  /** DigestFailures above 0: the digest after a pass failed (the pass itself succeeded). Only with a digest. */
  readonly countAlarms: MonitoredJob['countAlarms'];

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
      ...(props.digest ? { alarmedMetrics: ['DigestFailures'] } : {}),
      description: 'Churn cohorts: plan, one scan segment, merge (reports to S3); run by its state machine',
      environment: jobEnvironment('churn-cohorts', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        REPORTS_BUCKET: props.reportsBucket.bucketName,
        ...(props.digest
          ? { SENDER_ADDRESS: props.digest.senderAddress, SES_CONFIGURATION_SET: props.digest.configurationSetName }
          : {}),
      }),
    });
    this.job = this.fullPass.job;
    this.stateMachine = this.fullPass.stateMachine;
    tables.grant(this.job.role);
    this.job.role.addManagedPolicy(props.reportsWriterPolicy);
    this.countAlarms = props.digest
      ? [
          {
            metric: 'DigestFailures',
            name: 'digest-failures',
            description:
              'churn-cohorts: the digest to the marketing team did not reach every recipient (the snapshot and ' +
              'reports are stored); see the digest field of the "churn-cohorts finished" log line',
          },
        ]
      : [];
    if (props.digest) {
      grantSendAsSender(this.job.role, props.digest, 'SendDigestAsSenderOnly');
      if (props.digest.reportsLinkPolicy) this.job.role.addManagedPolicy(props.digest.reportsLinkPolicy);
    }

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
