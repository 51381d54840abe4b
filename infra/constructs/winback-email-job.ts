import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PENDING_CLAIMS_INDEX, WINBACK_DUE_INDEX, WINBACK_INDEX } from '../../shared/adapters/dynamodb/tables.ts';
import {
  bindTables,
  JobDeadLetterQueue,
  JobSchedule,
  jobEnvironment,
  type MonitoredJob,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { handlerEntry, JobFunction } from './job-function.ts';
import { grantReadSendQuota, type WinbackSendJob } from './winback-send-job.ts';

export interface WinbackEmailJobProps extends ScheduledJobProps {
  /** From address (the planner renders nothing, but parses the same win-back settings as the sender). */
  readonly senderAddress: string;
  /** SES configuration set (the send quota is read through the same client settings as the sender's). */
  readonly configurationSetName: string;
  /** Emails per second; the planner queues at most 90 % of what this rate sends in one interval. */
  readonly maxSendRate: number;
  /** The sender: its task queue and the queue settings shared by planner and sender. */
  readonly sender: WinbackSendJob;
}

/**
 * winback-email: the hourly win-back planner. Reads the customers with a step due (the `winback-due` index; the
 * `winback-by-dormant-since` index for a full run), releases stale claims, and queues one task per send for
 * winback-send. It sends no email itself.
 * Grants: customers read (table and the two win-back indexes) and UpdateItem (the next due instant), ledger
 * read/write (+ pending-claims index), sqs:SendMessage on the task queue, ses:GetAccount (the send quota).
 */
export class WinbackEmailJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: WinbackEmailJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    // UpdateItem on customers: the instant the next step falls due (winbackDueAt), nothing else is written. The
    // pending-claims index: reconciliation of sends whose outcome was unknown. Snapshots: the due-index marker.
    const tables = bindTables(props.tables, {
      customers: {
        actions: [...TABLE_READ_ACTIONS, 'dynamodb:UpdateItem'],
        indexes: [WINBACK_INDEX, WINBACK_DUE_INDEX],
      },
      ledger: { actions: [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS], indexes: [PENDING_CLAIMS_INDEX] },
      snapshots: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
    });
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('winback-email.ts'),
      jobName: 'winback-email',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'Plans the due win-back emails and queues them for winback-send',
      environment: jobEnvironment('winback-email', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        SENDER_ADDRESS: props.senderAddress,
        SES_CONFIGURATION_SET: props.configurationSetName,
        MAX_SEND_RATE: String(props.maxSendRate),
        ...props.sender.queueEnvironment,
      }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Reads only due customers and queues at most one interval's sends; sending happens in winback-send.
      timeout: Duration.minutes(5),
      onFailure: this.deadLetterQueue,
    });
    tables.grant(this.job.role);
    // SendMessageBatch is authorised as sqs:SendMessage.
    props.sender.queue.grant(this.job.role, 'sqs:SendMessage');
    grantReadSendQuota(this.job.role);

    this.schedule = new JobSchedule(this, 'Schedule', {
      function: this.job.function,
      expression: props.expression,
      timeZone: props.timeZone,
      group: props.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      enabled: props.scheduleEnabled,
      description: 'clientele winback-email',
    });
  }
}
