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
  /** winback-email (publishes EmailsSent per step). */
  readonly winback: JobFunction;
  /** Step ids of the win-back sequence, one EmailsSent line each. */
  readonly winbackSteps: string[];
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

    const alarm = (id: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    for (const { job, deadLetterQueue } of props.jobs) {
      const name = pascal(job.jobName);
      alarm(`${name}Errors`, {
        alarmName: `clientele-${props.stageName}-${job.jobName}-errors`,
        alarmDescription: `${job.jobName} failed; see log group ${job.logGroup.logGroupName}`,
        metric: job.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      if (deadLetterQueue) {
        alarm(`${name}DeadLetters`, {
          alarmName: `clientele-${props.stageName}-${job.jobName}-dead-letters`,
          alarmDescription: `${job.jobName}: events or invocations landed in its dead-letter queue`,
          metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
        });
      }
    }

    const bounceRate = sesMetric('Reputation.BounceRate', cloudwatch.Stats.MAXIMUM);
    const complaintRate = sesMetric('Reputation.ComplaintRate', cloudwatch.Stats.MAXIMUM);
    alarm('BounceRate', {
      alarmName: `clientele-${props.stageName}-ses-bounce-rate`,
      alarmDescription: 'SES account bounce rate above 5 %: stop campaigns and clean the list',
      metric: bounceRate,
      threshold: BOUNCE_RATE_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('ComplaintRate', {
      alarmName: `clientele-${props.stageName}-ses-complaint-rate`,
      alarmDescription: 'SES account complaint rate above 0.1 %: stop campaigns and review consent and content',
      metric: complaintRate,
      threshold: COMPLAINT_RATE_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

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
        title: 'Win-back emails sent per step (per day)',
        left: props.winbackSteps.map((step) => appMetric(props.winback, 'EmailsSent', { step }).with({ label: step })),
        stacked: true,
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
  }
}

/** Account-level SES metric (no dimensions), hourly. */
function sesMetric(metricName: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic, period: Duration.hours(1), label });
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());
}
