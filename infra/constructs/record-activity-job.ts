import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import {
  baseEnvironment,
  grantTable,
  type JobCommonProps,
  JobDeadLetterQueue,
  type MonitoredJob,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/** The customer events record-activity understands (shared/domain/events.ts). */
export const CUSTOMER_EVENT_DETAIL_TYPES = ['customer.signed_up', 'order.placed', 'consent.changed'];

export interface RecordActivityJobProps extends JobCommonProps {
  /** The clientele bus the shop publishes customer events to. */
  readonly eventBus: events.IEventBus;
  /** `source` of the customer events. */
  readonly eventSource: string;
}

/**
 * record-activity: applies customer events (sign-ups, orders, consent changes) from the clientele bus.
 * Grants: customers and orders read/write.
 */
export class RecordActivityJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RecordActivityJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('record-activity.ts'),
      jobName: 'record-activity',
      stageName: props.stageName,
      description: 'Applies customer events from the clientele bus',
      environment: baseEnvironment(props),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.seconds(30),
      onFailure: this.deadLetterQueue,
    });
    grantTable(this.job.role, props.tables.customers, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);
    grantTable(this.job.role, props.tables.orders, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);

    this.rule = new events.Rule(this, 'Rule', {
      description: 'clientele customer events to record-activity',
      eventBus: props.eventBus,
      eventPattern: { source: [props.eventSource], detailType: CUSTOMER_EVENT_DETAIL_TYPES },
      targets: [
        new targets.LambdaFunction(this.job.function, {
          // Delivery to Lambda is retried for up to 2 hours, then the event lands in the dead-letter queue.
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
