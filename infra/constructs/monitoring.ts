import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ALARMED_METRICS, type JobName } from '../../functions/metrics.ts';
import type { MonitoredJob } from './common.ts';
import type { JobFunction } from './job-function.ts';

/** SES sending review starts at 5 % bounces (AWS may pause sending at 10 %). */
export const BOUNCE_RATE_THRESHOLD = 0.05;
/** SES sending review starts at 0.1 % complaints (AWS may pause sending at 0.5 %). */
export const COMPLAINT_RATE_THRESHOLD = 0.001;

export interface MonitoringProps {
  readonly stageName: string;
  readonly jobs: MonitoredJob[];
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /**
   * Whether to build the dashboard `clientele-<stage>` ($3 a month). The stack passes `dashboard` from the
   * deployment config, which defaults to false; the construct on its own keeps its dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

/**
 * Whether a failed invocation of the job's function is alarmed on elsewhere, so an Errors alarm would only repeat
 * it (and also fire on every transient failure that a retry then fixes): asynchronous invocations and queue
 * messages that still fail after their retries land in the dead-letter queue (alarmed); a function a state machine
 * calls fails the execution once the task's retries are used up (failed executions alarmed).
 */
export function failuresAlarmedElsewhere(job: MonitoredJob): boolean {
  return job.deadLetterQueue !== undefined || job.stateMachine !== undefined;
}

/** The metrics of a job that are always published (ALARMED_METRICS), whatever `metrics` says. */
function alarmedMetricsOf(jobName: JobName): readonly string[] {
  const alarmed: Partial<Record<JobName, readonly string[]>> = ALARMED_METRICS;
  return alarmed[jobName] ?? [];
}

/** Alarms to an SNS topic and, when asked for, the clientele dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard | undefined;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // No KMS key: a topic under the AWS-managed SNS key cannot receive CloudWatch alarms (CloudWatch is not allowed
    // to use that key), and a customer-managed key costs $1 a month to protect alarm names and states, which carry
    // no customer data. SNS still encrypts in transit: the topic policy refuses publishing without TLS.
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `clientele ${props.stageName} alarms`,
      enforceSSL: true,
    });
    // The topic policy the TLS rule creates replaces SNS's default one: allow this account's alarms to publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:clientele-${props.stageName}-*`,
          },
        },
      }),
    );
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'No server-side encryption on the alarm topic: its messages are CloudWatch alarm notifications (alarm ' +
        'name, state, threshold, metric), no customer data; CloudWatch cannot publish to a topic under the ' +
        'AWS-managed SNS key, and a customer-managed key would cost $1 a month for nothing to protect. ' +
        'Publishing requires TLS (topic policy).',
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
    for (const { job, deadLetterQueue, workQueue, stateMachine, countAlarms = [] } of props.jobs) {
      const [id, name] = [pascal(job.jobName), job.jobName];
      for (const counted of countAlarms) {
        alarm(
          `${id}${counted.metric}`,
          `${name}-${counted.name}`,
          counted.description,
          new cloudwatch.Metric({
            namespace: job.metricsNamespace,
            metricName: counted.metric,
            dimensionsMap: { service: job.serviceName },
            ...sum,
          }),
        );
      }
      if (!failuresAlarmedElsewhere({ job, deadLetterQueue, workQueue, stateMachine })) {
        alarm(
          `${id}Errors`,
          `${name}-errors`,
          `${name} failed; see log group ${job.logGroup.logGroupName}`,
          job.function.metricErrors(sum),
        );
      }
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

    this.dashboard = (props.dashboard ?? true) ? this.addDashboard(props, bounceRate, complaintRate) : undefined;
  }

  private addDashboard(
    props: MonitoringProps,
    bounceRate: cloudwatch.Metric,
    complaintRate: cloudwatch.Metric,
  ): cloudwatch.Dashboard {
    const daily = Duration.days(1);
    const appMetric = (jobFn: JobFunction, metricName: string) =>
      new cloudwatch.Metric({
        namespace: jobFn.metricsNamespace,
        metricName,
        dimensionsMap: { service: jobFn.serviceName },
        statistic: cloudwatch.Stats.SUM,
        period: daily,
        label: `${jobFn.jobName} ${metricName}`,
      });
    // Only metrics that are published whatever `metrics` says: the ALARMED_METRICS of each job.
    const published = (metricName: string) =>
      props.jobs
        .filter(({ job }) => alarmedMetricsOf(job.jobName).includes(metricName))
        .map(({ job }) => appMetric(job, metricName));

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `clientele-${props.stageName}`,
      defaultInterval: Duration.days(30),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Customers flagged (stage changes per day: daily run, full passes)',
        left: published('CustomersFlagged'),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Win-back emails sent and failed or outcome unknown (per day)',
        left: [...published('EmailsSent'), ...published('EmailsFailed')],
        width: 12,
      }),
    );
    dashboard.addWidgets(
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
    dashboard.addWidgets(
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
    if (jobWidgets.length > 0) dashboard.addWidgets(...jobWidgets);
    return dashboard;
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
