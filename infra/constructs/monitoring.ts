import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { MonitoredJob } from './common.ts';
import type { JobFunction } from './job-function.ts';

/** SES sending review starts at 5 % bounces (AWS may pause sending at 10 %). */
export const BOUNCE_RATE_THRESHOLD = 0.05;
/** SES sending review starts at 0.1 % complaints (AWS may pause sending at 0.5 %). */
export const COMPLAINT_RATE_THRESHOLD = 0.001;

export interface MonitoringProps {
  readonly stageName: string;
  readonly jobs: MonitoredJob[];
  /** flag-dormant (publishes CustomersFlagged). */
  readonly flagDormant: JobFunction;
  /** winback-send (publishes EmailsSent and EmailsFailed). */
  readonly winbackSend: JobFunction;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /** Keep the topic key when the stack is deleted. */
  readonly production: boolean;
}

/** Alarms to an encrypted SNS topic and the clientele dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key: a customer-managed key whose
    // policy lets CloudWatch use it is required.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `clientele ${props.stageName} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `clientele ${props.stageName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    /** Every alarm fires above its threshold within one period, to the topic (and tells it when it is OK again). */
    const alarm = (id: string, name: string, description: string, metric: cloudwatch.IMetric, threshold = 0) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmName: `clientele-${props.stageName}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    const fiveMinutes = { period: Duration.minutes(5) };
    const max = { ...fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM };
    const sum = { ...fiveMinutes, statistic: cloudwatch.Stats.SUM };
    for (const { job, deadLetterQueue, workQueue, stateMachine } of props.jobs) {
      const [id, name] = [pascal(job.jobName), job.jobName];
      alarm(
        `${id}Errors`,
        `${name}-errors`,
        `${name} failed; see log group ${job.logGroup.logGroupName}`,
        job.function.metricErrors(sum),
      );
      if (deadLetterQueue) {
        alarm(
          `${id}DeadLetters`,
          `${name}-dead-letters`,
          `${name}: events, invocations or messages landed in its dead-letter queue`,
          deadLetterQueue.metricApproximateNumberOfMessagesVisible(max),
        );
      }
      if (workQueue) {
        alarm(
          `${id}QueueAge`,
          `${name}-queue-age`,
          `${name}: oldest queued message older than ${workQueue.maxAge.toHumanString()} (consumers stuck or too slow)`,
          workQueue.queue.metricApproximateAgeOfOldestMessage(max),
          workQueue.maxAge.toSeconds(),
        );
      }
      if (stateMachine) {
        alarm(
          `${id}ExecutionsFailed`,
          `${name}-executions-failed`,
          `${name}: a state machine execution failed; fix the cause and redrive it (docs/deploy.md)`,
          stateMachine.metricFailed(sum),
        );
        alarm(
          `${id}ExecutionsTimedOut`,
          `${name}-executions-timed-out`,
          `${name}: a state machine execution timed out; redrive it (docs/deploy.md)`,
          stateMachine.metricTimedOut(sum),
        );
      }
    }

    const bounceRate = sesMetric('Reputation.BounceRate', cloudwatch.Stats.MAXIMUM);
    const complaintRate = sesMetric('Reputation.ComplaintRate', cloudwatch.Stats.MAXIMUM);
    alarm(
      'BounceRate',
      'ses-bounce-rate',
      'SES account bounce rate above 5 %: stop campaigns and clean the list',
      bounceRate,
      BOUNCE_RATE_THRESHOLD,
    );
    alarm(
      'ComplaintRate',
      'ses-complaint-rate',
      'SES account complaint rate above 0.1 %: stop campaigns and review consent and content',
      complaintRate,
      COMPLAINT_RATE_THRESHOLD,
    );

    const daily = Duration.days(1);
    const appMetric = (jobFn: JobFunction, metricName: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: jobFn.metricsNamespace,
        metricName,
        dimensionsMap: { service: jobFn.serviceName, ...dimensions },
        statistic: cloudwatch.Stats.SUM,
        period: daily,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `clientele-${props.stageName}`,
      defaultInterval: Duration.days(30),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Customers flagged (stage changes per day)',
        left: [
          appMetric(props.flagDormant, 'CustomersFlagged').with({ label: 'Flagged' }),
          appMetric(props.flagDormant, 'DormantCustomers').with({ label: 'Dormant', statistic: 'Maximum' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Win-back emails sent and failed (per day)',
        left: [
          appMetric(props.winbackSend, 'EmailsSent').with({ label: 'Sent' }),
          appMetric(props.winbackSend, 'EmailsFailed').with({ label: 'Failed or outcome unknown' }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'SES bounces and complaints (account, per hour)',
        left: [
          sesMetric('Bounce', cloudwatch.Stats.SUM, 'Bounces'),
          sesMetric('Complaint', cloudwatch.Stats.SUM, 'Complaints'),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'SES reputation (account)',
        left: [bounceRate.with({ label: 'Bounce rate' })],
        right: [complaintRate.with({ label: 'Complaint rate' })],
        leftAnnotations: [{ value: BOUNCE_RATE_THRESHOLD, label: 'bounce alarm', color: '#d62728' }],
        rightAnnotations: [{ value: COMPLAINT_RATE_THRESHOLD, label: 'complaint alarm', color: '#ff7f0e' }],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Job duration (max, ms)',
        left: props.jobs.map(({ job }) =>
          job.function.metricDuration({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.hours(1),
            label: job.jobName,
          }),
        ),
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
    const jobWidgets = props.jobs.flatMap(jobWidgetsOf);
    if (jobWidgets.length > 0) this.dashboard.addWidgets(...jobWidgets);
  }
}

/** A queue widget for a job with a work queue, an executions widget for a job with a state machine. */
function jobWidgetsOf({ job, workQueue, deadLetterQueue, stateMachine }: MonitoredJob): cloudwatch.IWidget[] {
  const widgets: cloudwatch.IWidget[] = [];
  const max = { period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM };
  if (workQueue) {
    const { queue, maxAge } = workQueue;
    widgets.push(
      new cloudwatch.GraphWidget({
        title: `${job.jobName} queue (messages; age of the oldest, s)`,
        left: [
          queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'Waiting' }),
          queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'In flight' }),
          ...(deadLetterQueue
            ? [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'DLQ' })]
            : []),
        ],
        right: [queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'Oldest (s)' })],
        rightAnnotations: [{ value: maxAge.toSeconds(), label: 'age alarm', color: '#d62728' }],
        width: 12,
      }),
    );
  }
  if (stateMachine) {
    const hourly = { period: Duration.hours(1) };
    widgets.push(
      new cloudwatch.GraphWidget({
        title: `${job.jobName} executions (per hour)`,
        left: [
          stateMachine.metricStarted({ ...hourly, statistic: cloudwatch.Stats.SUM, label: 'Started' }),
          stateMachine.metricSucceeded({ ...hourly, label: 'Succeeded' }),
          stateMachine.metricFailed({ ...hourly, label: 'Failed' }),
          stateMachine.metricTimedOut({ ...hourly, label: 'Timed out' }),
        ],
        width: 12,
      }),
    );
  }
  return widgets;
}

/** Account-level SES metric (no dimensions), hourly. */
function sesMetric(metricName: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic, period: Duration.hours(1), label });
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());
}
