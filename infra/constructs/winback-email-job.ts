import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PENDING_CLAIMS_INDEX, WINBACK_INDEX } from '../../shared/adapters/dynamodb/tables.ts';
import {
  baseEnvironment,
  grantTable,
  JobDeadLetterQueue,
  JobSchedule,
  type MonitoredJob,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import type { ScheduledJobProps } from './flag-dormant-job.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

export interface WinbackEmailJobProps extends ScheduledJobProps {
  /** From address; the only address the function may send as (`ses:FromAddress` condition). */
  readonly senderAddress: string;
  /** Verified SES identity (domain or address) the sender belongs to. */
  readonly sesIdentity: string;
  /** SES configuration set every email is sent through (event publishing). */
  readonly configurationSetName: string;
  /** Emails per second. */
  readonly maxSendRate: number;
  /** Base URL of the unsubscribe endpoint (the function URL). */
  readonly unsubscribeBaseUrl: string;
  /** HMAC key the unsubscribe links are signed with. */
  readonly unsubscribeSecret: secretsmanager.ISecret;
}

/**
 * winback-email: sends the due win-back step to customers in a dormancy episode.
 * Grants: customers read (table and the winback index only), ledger read/write, secret read, and ses:SendEmail
 * on the configured identity and configuration set, only as the sender address.
 */
export class WinbackEmailJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly schedule: JobSchedule;

  constructor(scope: Construct, id: string, props: WinbackEmailJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('winback-email.ts'),
      jobName: 'winback-email',
      stageName: props.stageName,
      description: 'Sends the due win-back emails through SES',
      environment: {
        ...baseEnvironment(props),
        SENDER_ADDRESS: props.senderAddress,
        SES_CONFIGURATION_SET: props.configurationSetName,
        MAX_SEND_RATE: String(props.maxSendRate),
        UNSUBSCRIBE_BASE_URL: props.unsubscribeBaseUrl,
        UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Sending is throttled to maxSendRate; 15 minutes at 14/s is about 12,000 emails per run.
      timeout: Duration.minutes(15),
      onFailure: this.deadLetterQueue,
    });
    // UpdateItem on customers: the atomic frequency-cap slot (lastMarketingEmailAt), nothing else is written.
    grantTable(this.job.role, props.tables.customers, [...TABLE_READ_ACTIONS, 'dynamodb:UpdateItem'], [WINBACK_INDEX]);
    // The pending-claims index: reconciliation of sends whose outcome was unknown.
    grantTable(
      this.job.role,
      props.tables.ledger,
      [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      [PENDING_CLAIMS_INDEX],
    );
    props.unsubscribeSecret.grantRead(this.job.role);

    const stack = Stack.of(this);
    const sesArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.job.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendAsSenderOnly',
        actions: ['ses:SendEmail'],
        resources: [sesArn('identity', props.sesIdentity), sesArn('configuration-set', props.configurationSetName)],
        conditions: { StringEquals: { 'ses:FromAddress': props.senderAddress } },
      }),
    );

    // The account's send quota (GetAccount supports no resource-level permissions and returns no customer data).
    this.job.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadSendQuota', actions: ['ses:GetAccount'], resources: ['*'] }),
    );

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
