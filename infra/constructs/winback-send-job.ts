import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentOf } from '../../functions/env.ts';
import { templatesAsset } from '../templates.ts';
import { bindTables, type JobCommonProps, JobDeadLetterQueue, jobEnvironment, type MonitoredJob } from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/** Messages per sender invocation (the SQS event source's batch size). */
export const SEND_BATCH_SIZE = 10;
/** Deliveries of a task before it moves to the dead-letter queue. */
export const SEND_MAX_RECEIVE_COUNT = 3;
/** AWS's guidance for SQS event sources: a visibility timeout of at least 6 times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface WinbackSendJobProps extends JobCommonProps {
  /** The compiled templates (infra/templates.ts), packaged beside the handler as `templates.json`. */
  readonly templatesFile: string;
  /** From address; the only address the function may send as (`ses:FromAddress` condition). */
  readonly senderAddress: string;
  /** Verified SES identity (domain or address) the sender belongs to. */
  readonly sesIdentity: string;
  /** SES configuration set every email is sent through (event publishing). */
  readonly configurationSetName: string;
  /** Emails per second, across all sender instances. */
  readonly maxSendRate: number;
  /** Sender instances at most (the event source's maxConcurrency); each sends at maxSendRate / this. */
  readonly senderConcurrency: number;
  /** Shortest time between two planner runs, in minutes. */
  readonly planIntervalMinutes: number;
  /** Base URL of the unsubscribe endpoint (the function URL). */
  readonly unsubscribeBaseUrl: string;
  /** HMAC key the unsubscribe links are signed with. */
  readonly unsubscribeSecret: secretsmanager.ISecret;
}

/**
 * Timeout of one sender invocation: three times what a full batch takes at one instance's share of the send rate
 * (SES throttling retries take slots from the same pacer), at least 2 minutes, at most Lambda's 15.
 */
export function senderTimeout(maxSendRate: number, senderConcurrency: number): Duration {
  const batchSeconds = SEND_BATCH_SIZE / (maxSendRate / senderConcurrency);
  return Duration.seconds(Math.min(900, Math.max(120, Math.ceil(batchSeconds * 3))));
}

/**
 * winback-send: sends the win-back tasks the planner (winback-email) puts on an SQS queue, ten per invocation,
 * with partial batch responses (Powertools batch); a task failing 3 times moves to the dead-letter queue. The event
 * source's maxConcurrency bounds the instances, so the total rate stays at maxSendRate.
 * Grants: customers GetItem and UpdateItem (frequency-cap slot, due step), ledger read/write, secret read, the
 * queue (consume), ses:SendEmail on the configured identity and configuration set only as the sender address,
 * ses:GetAccount (the send quota).
 */
export class WinbackSendJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  /** The task queue the planner sends to. */
  readonly queue: sqs.Queue;
  /** Tasks that failed SEND_MAX_RECEIVE_COUNT times. */
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly workQueue: { readonly queue: sqs.IQueue; readonly maxAge: Duration };
  /** WINBACK_QUEUE_URL, SENDER_CONCURRENCY, PLAN_INTERVAL_MINUTES: the same values for planner and sender. */
  readonly queueEnvironment: Required<
    Pick<EnvironmentOf<'winback-email'>, 'WINBACK_QUEUE_URL' | 'SENDER_CONCURRENCY' | 'PLAN_INTERVAL_MINUTES'>
  >;

  constructor(scope: Construct, id: string, props: WinbackSendJobProps) {
    super(scope, id);
    const timeout = senderTimeout(props.maxSendRate, props.senderConcurrency);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // A message is hidden while an invocation works on it; 6x the timeout covers retries of throttled invokes.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: SEND_MAX_RECEIVE_COUNT },
    });
    // The planner queues no more than one interval's sends: older messages mean the senders are stuck.
    this.workQueue = { queue: this.queue, maxAge: Duration.minutes(2 * props.planIntervalMinutes) };
    this.queueEnvironment = {
      WINBACK_QUEUE_URL: this.queue.queueUrl,
      SENDER_CONCURRENCY: String(props.senderConcurrency),
      PLAN_INTERVAL_MINUTES: String(props.planIntervalMinutes),
    };

    // GetItem: the customer as it is now (changed since planned?); UpdateItem: the frequency-cap slot and the
    // next due step. No index, no Scan.
    const tables = bindTables(props.tables, {
      customers: { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
      ledger: {
        actions: [
          'dynamodb:Query',
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
      },
    });
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('winback-send.ts'),
      jobName: 'winback-send',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'Sends the queued win-back emails through SES',
      environment: jobEnvironment('winback-send', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        SENDER_ADDRESS: props.senderAddress,
        SES_CONFIGURATION_SET: props.configurationSetName,
        MAX_SEND_RATE: String(props.maxSendRate),
        SENDER_CONCURRENCY: this.queueEnvironment.SENDER_CONCURRENCY,
        UNSUBSCRIBE_BASE_URL: props.unsubscribeBaseUrl,
        UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn,
      }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout,
      assetFiles: [templatesAsset(props.templatesFile)],
    });
    this.job.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: SEND_BATCH_SIZE,
        reportBatchItemFailures: true,
        // The handler divides the rate by SENDER_CONCURRENCY: both come from the same value.
        maxConcurrency: props.senderConcurrency,
      }),
    );

    tables.grant(this.job.role);
    props.unsubscribeSecret.grantRead(this.job.role);
    grantSendAsSender(this.job.role, props);
    grantReadSendQuota(this.job.role);
  }
}

/** ses:SendEmail on the identity and configuration set, only with `ses:FromAddress` = the sender address. */
export function grantSendAsSender(
  role: iam.IRole,
  props: Pick<WinbackSendJobProps, 'sesIdentity' | 'configurationSetName' | 'senderAddress'>,
  sid = 'SendAsSenderOnly',
): void {
  const stack = Stack.of(role);
  const sesArn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions: ['ses:SendEmail'],
      resources: [sesArn('identity', props.sesIdentity), sesArn('configuration-set', props.configurationSetName)],
      conditions: { StringEquals: { 'ses:FromAddress': props.senderAddress } },
    }),
  );
}

/** The account's send quota (GetAccount supports no resource-level permissions and returns no customer data). */
export function grantReadSendQuota(role: iam.IRole): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'ReadSendQuota', actions: ['ses:GetAccount'], resources: ['*'] }),
  );
}
