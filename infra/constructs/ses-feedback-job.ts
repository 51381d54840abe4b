import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import {
  bindTables,
  type JobCommonProps,
  JobDeadLetterQueue,
  jobEnvironment,
  type MonitoredJob,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/** Detail types SES publishes to EventBridge for the event types the configuration set sends. */
export const SES_FEEDBACK_DETAIL_TYPES = [
  'Email Sent',
  'Email Bounced',
  'Email Complaint Received',
  'Email Delivered',
  'Email Opened',
  'Email Clicked',
  'Email Rejected',
  'Email Delivery Delayed',
];

export interface SesFeedbackJobProps extends JobCommonProps {
  /** Only events of emails sent through this configuration set are routed (another stage has its own). */
  readonly configurationSetName: string;
}

/**
 * ses-feedback: applies SES bounces, complaints, deliveries, opens, clicks, rejects and delays (published by the
 * configuration set to the default bus) to the customers and the send ledger.
 * Grants: customers and ledger read/write.
 */
export class SesFeedbackJob extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly deadLetterQueue: JobDeadLetterQueue;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SesFeedbackJobProps) {
    super(scope, id);
    this.deadLetterQueue = new JobDeadLetterQueue(this, 'DeadLetterQueue');
    const access = { actions: [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS] };
    const tables = bindTables(props.tables, { customers: access, ledger: access });
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('ses-feedback.ts'),
      jobName: 'ses-feedback',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'Applies SES delivery, bounce and complaint events',
      environment: jobEnvironment('ses-feedback', { ...tables.environment, ENGINE_CONFIG: props.engineConfigJson }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.seconds(30),
      onFailure: this.deadLetterQueue,
    });
    tables.grant(this.job.role);

    // SES event destinations can only publish to the default bus; a rule without eventBus is on the default bus.
    this.rule = new events.Rule(this, 'Rule', {
      description: `SES events of configuration set ${props.configurationSetName} to ses-feedback`,
      eventPattern: {
        source: ['aws.ses'],
        detailType: SES_FEEDBACK_DETAIL_TYPES,
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSetName] } } },
      },
      targets: [
        new targets.LambdaFunction(this.job.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
