import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CustomerEventSchema } from '../../shared/domain/events.ts';
import { bindTables, type JobCommonProps, JobDeadLetterQueue, jobEnvironment, type MonitoredJob } from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/** The customer events record-activity understands: the event types of its schema (shared/domain/events.ts). */
export const CUSTOMER_EVENT_DETAIL_TYPES: string[] = CustomerEventSchema.options.map((event) => event.shape.type.value);

export interface RecordActivityJobProps extends JobCommonProps {
  /** The clientele bus the shop publishes customer events to. */
  readonly eventBus: events.IEventBus;
  /** `source` of the customer events. */
  readonly eventSource: string;
  /** The deployment secret the erasure key derives from (consent older than an erasure is dropped). */
  readonly unsubscribeSecret: secretsmanager.ISecret;
}

/**
 * record-activity: applies customer events (sign-ups, orders, consent changes) from the clientele bus.
 * Grants, exactly what the conditional-write protocol uses: customers GetItem/PutItem; orders GetItem/PutItem and
 * Query (a recompute from stored orders); snapshots BatchGetItem (the erasure registry) and GetItem (the predictive
 * model in force, read at most hourly); the secret, read.
 */
export class RecordActivityJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RecordActivityJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    const tables = bindTables(props.tables, {
      customers: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
      orders: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'] },
      // The erasure registry; the predictive model in force.
      snapshots: { actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'] },
    });
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('record-activity.ts'),
      jobName: 'record-activity',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'Applies customer events from the clientele bus',
      environment: jobEnvironment('record-activity', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn,
      }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.seconds(30),
      onFailure: this.deadLetterQueue,
    });
    tables.grant(this.job.role);
    props.unsubscribeSecret.grantRead(this.job.role);

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
