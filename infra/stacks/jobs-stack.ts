import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { type DeploymentConfig, scheduleIntervalMinutes } from '../config.ts';
import { ChurnCohortsJob } from '../constructs/churn-cohorts-job.ts';
import type { JobCommonProps } from '../constructs/common.ts';
import type { ClienteleData } from '../constructs/data.ts';
import { EmailSending } from '../constructs/email-sending.ts';
import { FlagDormantJob } from '../constructs/flag-dormant-job.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import { RecordActivityJob } from '../constructs/record-activity-job.ts';
import { SesFeedbackJob } from '../constructs/ses-feedback-job.ts';
import { UnsubscribeEndpoint } from '../constructs/unsubscribe-endpoint.ts';
import { WinbackEmailJob } from '../constructs/winback-email-job.ts';
import { WinbackSendJob } from '../constructs/winback-send-job.ts';

/** The RetentionDays member for a number of days (the config accepts only the periods CloudWatch Logs has). */
function retentionDays(days: number): logs.RetentionDays {
  for (const value of Object.values(logs.RetentionDays)) {
    // A numeric enum's values list its member names too.
    if (typeof value === 'number' && value === days) return value;
  }
  throw new Error(`logRetentionDays: ${days} is not a CloudWatch Logs retention period`);
}

export interface ClienteleJobsStackProps extends StackProps {
  readonly config: DeploymentConfig;
  /** The stateful resources (from the data stack). */
  readonly data: ClienteleData;
  /** The compiled templates (infra/templates.ts buildTemplates), packaged with winback-send and unsubscribe. */
  readonly templatesFile: string;
}

/**
 * Stateless resources: functions and their triggers, the win-back task queue, the full-pass state machines (one per
 * full-pass job), the event bus, SES configuration set, alarms, dashboard.
 */
export class ClienteleJobsStack extends Stack {
  readonly eventBus: events.EventBus;
  readonly flagDormant: FlagDormantJob;
  readonly churnCohorts: ChurnCohortsJob;
  readonly winbackEmail: WinbackEmailJob;
  readonly winbackSend: WinbackSendJob;
  readonly recordActivity: RecordActivityJob;
  readonly sesFeedback: SesFeedbackJob;
  readonly unsubscribe: UnsubscribeEndpoint;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ClienteleJobsStackProps) {
    super(scope, id, {
      description: `clientele ${props.config.stageName}: retention jobs, schedules, events, SES, alarms`,
      ...props,
    });
    const { config, data } = props;
    const stage = config.stageName;

    const common: JobCommonProps = {
      stageName: stage,
      tables: data.tables,
      engineConfigJson: JSON.stringify(config.engine),
      logRetention: retentionDays(config.logRetentionDays),
      logRemovalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      tracing: config.tracing,
      metrics: config.metrics,
    };

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: `clientele-${stage}`,
      description: `clientele ${stage}: customer events (sign-ups, orders, consent changes)`,
    });
    const scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: `clientele-${stage}`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const email = new EmailSending(this, 'Email', { configurationSetName: config.sesConfigurationSetName });
    const configurationSetName = email.configurationSet.configurationSetName;
    const scheduled = { ...common, timeZone: config.schedules.timeZone, scheduleGroup };

    this.unsubscribe = new UnsubscribeEndpoint(this, 'Unsubscribe', {
      ...common,
      unsubscribeSecret: data.unsubscribeSecret,
      reservedConcurrency: config.unsubscribeConcurrency,
      templatesFile: props.templatesFile,
    });
    const digest = config.engine.digest;
    this.churnCohorts = new ChurnCohortsJob(this, 'ChurnCohorts', {
      ...scheduled,
      expression: config.schedules.churnCohorts,
      reportsBucket: data.reportsBucket,
      reportsWriterPolicy: data.reportsWriterPolicy,
      maxConcurrency: config.fullPassConcurrency,
      ...(digest.recipients.length > 0 && digest.enabled
        ? {
            digest: {
              senderAddress: config.senderAddress,
              sesIdentity: config.sesIdentity,
              configurationSetName,
              ...(digest.reportBaseUrl ? {} : { reportsLinkPolicy: data.reportsLinkPolicy }),
            },
          }
        : {}),
    });
    this.flagDormant = new FlagDormantJob(this, 'FlagDormant', {
      ...scheduled,
      expression: config.schedules.flagDormant,
      fullPassConcurrency: config.fullPassConcurrency,
    });
    // The config validation guarantees an interval for a valid expression.
    const planIntervalMinutes = scheduleIntervalMinutes(config.schedules.winback) ?? 60;
    this.winbackSend = new WinbackSendJob(this, 'WinbackSend', {
      ...common,
      templatesFile: props.templatesFile,
      senderAddress: config.senderAddress,
      sesIdentity: config.sesIdentity,
      configurationSetName,
      maxSendRate: config.maxSendRate,
      senderConcurrency: config.senderConcurrency,
      planIntervalMinutes,
      unsubscribeBaseUrl: this.unsubscribe.functionUrl.url,
      unsubscribeSecret: data.unsubscribeSecret,
    });
    this.winbackEmail = new WinbackEmailJob(this, 'WinbackEmail', {
      ...scheduled,
      expression: config.schedules.winback,
      scheduleEnabled: config.schedules.winbackEnabled,
      senderAddress: config.senderAddress,
      configurationSetName,
      maxSendRate: config.maxSendRate,
      sender: this.winbackSend,
    });
    this.recordActivity = new RecordActivityJob(this, 'RecordActivity', {
      ...common,
      eventBus: this.eventBus,
      eventSource: config.eventSource,
      unsubscribeSecret: data.unsubscribeSecret,
    });
    this.sesFeedback = new SesFeedbackJob(this, 'SesFeedback', { ...common, configurationSetName });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stageName: stage,
      jobs: [
        this.flagDormant,
        this.flagDormant.fullPass,
        this.churnCohorts,
        this.winbackEmail,
        this.winbackSend,
        this.recordActivity,
        this.sesFeedback,
        this.unsubscribe,
      ],
      alarmEmail: config.alarmEmail,
      dashboard: config.dashboard,
    });

    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.unsubscribe.functionUrl.url });
    const { dashboard } = this.monitoring;
    if (dashboard) {
      new CfnOutput(this, 'DashboardUrl', {
        value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboard.dashboardName}`,
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'WinbackFunctionName', { value: this.winbackEmail.job.function.functionName });
    new CfnOutput(this, 'SesConfigurationSetName', { value: configurationSetName });
    new CfnOutput(this, 'WinbackQueueUrl', { value: this.winbackSend.queue.queueUrl });
    new CfnOutput(this, 'FlagFullPassStateMachineArn', {
      value: this.flagDormant.fullPass.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'CohortsStateMachineArn', { value: this.churnCohorts.stateMachine.stateMachineArn });
  }
}
