import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClienteleStacks } from '../../infra/clientele.ts';
import { type DeploymentConfig, parseDeploymentConfig, scheduleIntervalMinutes } from '../../infra/config.ts';
import { WINBACK_DUE_INDEX } from '../../shared/adapters/dynamodb/tables.ts';
import { actionsOf, buildClientele, logicalId, resourcesOf, roleStatements, type Statement } from './helpers.ts';

/**
 * Issue "Scale to 10 million customers": the win-back planner/sender split over SQS, the full-pass state machine
 * (Distributed Map over scan segments) and the data-model additions. Every number is read from the template.
 */

interface Built {
  config: DeploymentConfig;
  stacks: ClienteleStacks;
  data: Template;
  jobs: Template;
}

function build(input: Record<string, unknown>): Built {
  const { config, stacks } = buildClientele(input);
  return { config, stacks, data: Template.fromStack(stacks.data), jobs: Template.fromStack(stacks.jobs) };
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
type Props = Record<string, any>;

function resource(t: Template, id: string): Props {
  const found = t.toJSON().Resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

function functionNamed(t: Template, name: string): { id: string; props: Props } {
  const entry = Object.entries(t.findResources('AWS::Lambda::Function')).find(
    ([, f]) => f.Properties.FunctionName === name,
  );
  if (!entry) throw new Error(`no function ${name}`);
  return { id: entry[0], props: entry[1].Properties };
}

/** The state machine definition with every intrinsic (function ARN) replaced by a placeholder. */
function definitionOf(t: Template, stateMachineId: string): Props {
  const definition = resource(t, stateMachineId).Properties.DefinitionString;
  const text =
    typeof definition === 'string'
      ? definition
      : (definition['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'ARN')).join('');
  return JSON.parse(text);
}

const alarmsOf = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

let dev: Built;
/** Another operator's choices: more senders, a higher rate, a planner every 30 minutes, 40 segments at once. */
let custom: Built;
/** A low rate over many senders: a batch takes longer per instance, so the timeout (and visibility) grows. */
let slow: Built;

beforeAll(() => {
  dev = build({ senderAddress: 'hello@mail.example.com' });
  custom = build({
    senderAddress: 'hello@mail.example.com',
    maxSendRate: 100,
    senderConcurrency: 5,
    fullPassConcurrency: 40,
    schedules: { winback: 'cron(0/30 * * * ? *)' },
  });
  slow = build({ senderAddress: 'hello@mail.example.com', maxSendRate: 1, senderConcurrency: 10 });
});

describe('configuration', () => {
  it('defaults senderConcurrency to 2 and fullPassConcurrency to 16, within bounds', () => {
    expect(dev.config.senderConcurrency).toBe(2);
    expect(dev.config.fullPassConcurrency).toBe(16);
    const base = { senderAddress: 'a@example.com' };
    expect(() => parseDeploymentConfig({ ...base, senderConcurrency: 1 })).toThrow(/senderConcurrency/);
    expect(() => parseDeploymentConfig({ ...base, senderConcurrency: 1001 })).toThrow(/senderConcurrency/);
    expect(() => parseDeploymentConfig({ ...base, senderConcurrency: 2.5 })).toThrow(/senderConcurrency/);
    expect(() => parseDeploymentConfig({ ...base, fullPassConcurrency: 0 })).toThrow(/fullPassConcurrency/);
  });

  it('derives the shortest interval between runs of a schedule expression', () => {
    expect(scheduleIntervalMinutes('cron(5 * * * ? *)')).toBe(60);
    expect(scheduleIntervalMinutes('cron(0/15 * * * ? *)')).toBe(15);
    expect(scheduleIntervalMinutes('cron(*/20 * * * ? *)')).toBe(20);
    expect(scheduleIntervalMinutes('cron(0,45 * * * ? *)')).toBe(15);
    expect(scheduleIntervalMinutes('cron(0 9-17 * * ? *)')).toBe(60);
    expect(scheduleIntervalMinutes('cron(0 8-20/4 * * ? *)')).toBe(240);
    expect(scheduleIntervalMinutes('cron(0 10 * * ? *)')).toBe(1440);
    expect(scheduleIntervalMinutes('cron(0 6 ? * MON *)')).toBe(1440);
    expect(scheduleIntervalMinutes('rate(30 minutes)')).toBe(30);
    expect(scheduleIntervalMinutes('rate(2 hours)')).toBe(120);
    expect(scheduleIntervalMinutes('rate(1 day)')).toBe(1440);
    expect(scheduleIntervalMinutes('cron(abc * * * ? *)')).toBeUndefined();
    expect(scheduleIntervalMinutes('cron(0 25 * * ? *)')).toBeUndefined();
    expect(() =>
      parseDeploymentConfig({ senderAddress: 'a@example.com', schedules: { winback: 'cron(x * * * ? *)' } }),
    ).toThrow(/schedules\.winback: cannot tell the interval/);
  });
});

describe('data model', () => {
  it('gives the customers table the sparse winback-due index (winbackDueShard + winbackDueAt, keys only)', () => {
    const customers = Object.values(dev.data.findResources('AWS::DynamoDB::Table')).find(
      (t) => t.Properties.TableName === 'clientele-dev-customers',
    )?.Properties;
    const index = customers?.GlobalSecondaryIndexes.find((i: Props) => i.IndexName === WINBACK_DUE_INDEX);
    expect(WINBACK_DUE_INDEX).toBe('winback-due');
    expect(index).toEqual({
      IndexName: 'winback-due',
      KeySchema: [
        { AttributeName: 'winbackDueShard', KeyType: 'HASH' },
        { AttributeName: 'winbackDueAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
    expect(customers?.GlobalSecondaryIndexes).toHaveLength(3);
    expect(customers?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'winbackDueShard', AttributeType: 'S' },
        { AttributeName: 'winbackDueAt', AttributeType: 'S' },
      ]),
    );
  });

  it('expires snapshot items (segment checkpoints) through TTL on expiresAt', () => {
    dev.data.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'clientele-dev-snapshots',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('win-back: planner -> SQS -> sender', () => {
  const parts = (b: Built) => {
    const { winbackSend, winbackEmail } = b.stacks.jobs;
    const sender = functionNamed(b.jobs, 'clientele-dev-winback-send');
    const planner = functionNamed(b.jobs, 'clientele-dev-winback-email');
    const queue = resource(b.jobs, logicalId(winbackSend.queue)).Properties;
    const mappings = Object.values(b.jobs.findResources('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);
    return { winbackSend, winbackEmail, sender, planner, queue, mappings };
  };

  it('hides a message for at least 6 times the sender timeout (read from the template)', () => {
    for (const b of [dev, custom, slow]) {
      const { sender, queue } = parts(b);
      expect(sender.props.Timeout).toBeGreaterThan(0);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * sender.props.Timeout);
      expect(queue.VisibilityTimeout).toBeLessThanOrEqual(43_200); // SQS maximum
    }
    // A full batch at one instance's share of the rate fits the timeout three times over.
    const { sender } = parts(slow);
    expect(sender.props.Timeout).toBeGreaterThanOrEqual(3 * (10 / (1 / 10)));
    expect(parts(dev).sender.props.Timeout).toBe(120);
  });

  it('moves a task to an encrypted dead-letter queue after 3 receives; keeps tasks 4 days, dead letters 14', () => {
    const { winbackSend, queue } = parts(dev);
    const dlqId = logicalId(winbackSend.deadLetterQueue);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 });
    expect(queue.MessageRetentionPeriod).toBe(4 * 86_400);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(resource(dev.jobs, dlqId).Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
    for (const id of [logicalId(winbackSend.queue), dlqId]) {
      const policy = Object.values(dev.jobs.findResources('AWS::SQS::QueuePolicy')).find(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]),
      );
      expect(JSON.stringify(policy?.Properties.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('triggers the sender from the queue with partial batch responses and maxConcurrency = SENDER_CONCURRENCY', () => {
    for (const b of [dev, custom]) {
      const { winbackSend, sender, planner, mappings } = parts(b);
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0] as Props;
      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [logicalId(winbackSend.queue), 'Arn'] },
        FunctionName: { Ref: sender.id },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const env = sender.props.Environment.Variables;
      expect(mapping.ScalingConfig.MaximumConcurrency).toBe(Number(env.SENDER_CONCURRENCY));
      expect(mapping.ScalingConfig.MaximumConcurrency).toBe(b.config.senderConcurrency);
      expect(mapping.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
      // A batching window would have to be added to the visibility timeout; there is none.
      expect(mapping.MaximumBatchingWindowInSeconds ?? 0).toBe(0);
      // Planner and sender agree on the queue, the concurrency and the plan interval.
      const plannerEnv = planner.props.Environment.Variables;
      for (const name of ['SENDER_CONCURRENCY', 'MAX_SEND_RATE']) {
        expect(plannerEnv[name], name).toEqual(env[name]);
      }
      // The queue URL and the plan interval are the planner's; the sender's contract has neither.
      expect(plannerEnv.WINBACK_QUEUE_URL).toEqual({ Ref: logicalId(winbackSend.queue) });
      expect(env.WINBACK_QUEUE_URL).toBeUndefined();
      expect(env.PLAN_INTERVAL_MINUTES).toBeUndefined();
      expect(env.MAX_SEND_RATE).toBe(String(b.config.maxSendRate));
    }
    expect(parts(dev).planner.props.Environment.Variables.PLAN_INTERVAL_MINUTES).toBe('60');
    expect(parts(custom).planner.props.Environment.Variables.PLAN_INTERVAL_MINUTES).toBe('30');
  });

  it('lets the planner queue tasks (sqs:SendMessage) but not send email; it runs at most 5 minutes', () => {
    const { winbackEmail, winbackSend, planner } = parts(dev);
    const statements = roleStatements(dev.jobs, logicalId(winbackEmail.job.role));
    const actions = statements.flatMap(actionsOf);
    expect(actions).not.toContain('ses:SendEmail');
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    const send = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(send.flatMap(resourcesOf)).toContainEqual({ 'Fn::GetAtt': [logicalId(winbackSend.queue), 'Arn'] });
    expect(planner.props.Timeout).toBe(300);
    expect(Object.keys(planner.props.Environment.Variables)).not.toContain('UNSUBSCRIBE_SECRET_ARN');
  });

  it('lets the sender send only as the sender address, and read the send quota', () => {
    const { winbackSend, sender } = parts(dev);
    const statements = roleStatements(dev.jobs, logicalId(winbackSend.job.role));
    const send = statements.filter((s) => actionsOf(s).includes('ses:SendEmail'));
    expect(send).toHaveLength(1);
    expect(actionsOf(send[0] as Statement)).toEqual(['ses:SendEmail']);
    expect(send[0]?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@mail.example.com' } });
    expect(statements.filter((s) => actionsOf(s).includes('ses:GetAccount')).flatMap(resourcesOf)).toEqual(['*']);
    expect(sender.props.Environment.Variables).toMatchObject({
      SENDER_ADDRESS: 'hello@mail.example.com',
      UNSUBSCRIBE_SECRET_ARN: expect.anything(),
      UNSUBSCRIBE_BASE_URL: expect.anything(),
    });
  });

  it('alarms on sender errors, dead-lettered tasks and a queue older than two plan intervals', () => {
    for (const [b, intervalMinutes] of [
      [dev, 60],
      [custom, 30],
    ] as const) {
      const { winbackSend, sender } = parts(b);
      const topic = { Ref: logicalId(b.stacks.jobs.monitoring.topic) };
      const alarms = alarmsOf(b.jobs);
      const on = (metric: string, id: string) =>
        alarms.filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(`"${id}"`));
      // A failed send is retried from the queue and, after that, dead-lettered (alarmed below): no Errors alarm,
      // which would also fire on every transient failure a retry fixes.
      expect(on('Errors', sender.id)).toEqual([]);
      expect(on('ApproximateNumberOfMessagesVisible', logicalId(winbackSend.deadLetterQueue))).toMatchObject([
        { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [topic] },
      ]);
      expect(on('ApproximateAgeOfOldestMessage', logicalId(winbackSend.queue))).toMatchObject([
        { Threshold: 2 * intervalMinutes * 60, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [topic] },
      ]);
    }
  });
});

describe('full passes: Step Functions Distributed Map', () => {
  const parts = (b: Built) => {
    // Each full-pass job has its own state machine; the cohort job's is the one its schedule starts.
    const { churnCohorts, flagDormant } = b.stacks.jobs;
    const stateMachineId = logicalId(churnCohorts.stateMachine);
    const flagStateMachineId = logicalId(flagDormant.fullPass.stateMachine);
    return {
      fullPass: churnCohorts,
      flagDormant,
      stateMachineId,
      flagStateMachineId,
      definition: definitionOf(b.jobs, stateMachineId),
      flagDefinition: definitionOf(b.jobs, flagStateMachineId),
      worker: functionNamed(b.jobs, 'clientele-dev-churn-cohorts'),
      flagWorker: functionNamed(b.jobs, 'clientele-dev-flag-full-pass'),
    };
  };

  it('plans, maps the segments in DISTRIBUTED mode (MaxConcurrency from config), then merges', () => {
    for (const [b, definition] of [dev, custom].flatMap((b) => [
      [b, parts(b).definition] as const,
      [b, parts(b).flagDefinition] as const,
    ])) {
      expect(definition.StartAt).toBe('Plan');
      const plan = definition.States.Plan;
      expect(plan).toMatchObject({ Type: 'Task', Resource: 'ARN', Next: 'Segments' });
      const map = definition.States.Segments;
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.segments',
        MaxConcurrency: b.config.fullPassConcurrency,
        ResultPath: null,
        Next: 'Merge',
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
        ItemSelector: {
          action: 'segment',
          'job.$': '$.job',
          'runId.$': '$.runId',
          'asOf.$': '$.asOf',
          'totalSegments.$': '$.totalSegments',
          'segment.$': '$$.Map.Item.Value',
        },
      });
      expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
      expect(definition.States.Merge).toMatchObject({
        Type: 'Task',
        End: true,
        Parameters: {
          action: 'merge',
          'job.$': '$.job',
          'runId.$': '$.runId',
          'asOf.$': '$.asOf',
          'totalSegments.$': '$.totalSegments',
        },
      });
    }
    expect(parts(custom).definition.States.Segments.MaxConcurrency).toBe(40);
  });

  it('calls a segment again until it reports done (a loop through a Choice), retrying crashes and throttles', () => {
    const processor = parts(dev).definition.States.Segments.ItemProcessor;
    expect(processor.StartAt).toBe('Segment');
    const segment = processor.States.Segment;
    expect(segment).toMatchObject({ Type: 'Task', ResultPath: '$.result' });
    expect(segment.Parameters).toMatchObject({ action: 'segment', 'segment.$': '$.segment' });
    const choice = processor.States[segment.Next];
    expect(choice.Type).toBe('Choice');
    const notDone = choice.Choices.find((c: Props) => c.Variable === '$.result.done' && c.BooleanEquals === false);
    const done = choice.Choices.find((c: Props) => c.Variable === '$.result.done' && c.BooleanEquals === true);
    expect(notDone?.Next).toBe('Segment'); // the loop back: the worker resumes from its checkpoint
    expect(processor.States[done?.Next].Type).toBe('Succeed');
    const retried = segment.Retry.flatMap((r: Props) => r.ErrorEquals);
    for (const error of ['States.Timeout', 'States.TaskFailed', 'Lambda.TooManyRequestsException']) {
      expect(retried).toContain(error);
    }
    for (const retry of segment.Retry) expect(retry.BackoffRate).toBeGreaterThan(1);
  });

  it('runs STANDARD, logs every transition without execution data, traces, and times out', () => {
    const { stateMachineId, flagStateMachineId } = parts(dev);
    expect(resource(dev.jobs, flagStateMachineId).Properties.StateMachineName).toBe('clientele-dev-flag-full-pass');
    const props = resource(dev.jobs, stateMachineId).Properties;
    expect(props).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: 'clientele-dev-churn-cohorts',
      TracingConfiguration: { Enabled: false }, // tracing is off unless the configuration turns it on
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    expect(definitionOf(dev.jobs, stateMachineId).TimeoutSeconds).toBeGreaterThan(0);
  });

  it('lets the state machine invoke the worker and run its own child executions, nothing else', () => {
    const { fullPass, stateMachineId, worker } = parts(dev);
    const roleId = logicalId(fullPass.stateMachine.role as never);
    const statements = roleStatements(dev.jobs, roleId);
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.flatMap(resourcesOf).length).toBeGreaterThan(0);
    for (const arn of invoke.flatMap(resourcesOf)) expect(JSON.stringify(arn)).toContain(`"${worker.id}"`);
    const start = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(start.flatMap(resourcesOf)).toEqual([{ Ref: stateMachineId }]);
    const manage = statements.filter((s) => actionsOf(s).includes('states:DescribeExecution'));
    expect(manage.flatMap(actionsOf).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(JSON.stringify(manage.flatMap(resourcesOf))).toContain(stateMachineId);
  });

  it('gives the worker 15 minutes, a segment budget well inside it, the reports bucket and 1 GB', () => {
    const { worker } = parts(dev);
    const env = worker.props.Environment.Variables;
    expect(worker.props.Timeout).toBe(900);
    expect(worker.props.MemorySize).toBe(1024);
    expect(Number(env.SEGMENT_TIME_BUDGET_SECONDS)).toBeGreaterThan(0);
    // The handler also stops with 2 minutes left; the budget leaves at least that.
    expect(Number(env.SEGMENT_TIME_BUDGET_SECONDS)).toBeLessThanOrEqual(worker.props.Timeout - 120);
    expect(env.REPORTS_BUCKET).toBeDefined();
    expect(env.ENGINE_CONFIG).toBeDefined();
  });

  it('starts the cohorts from the schedule with the plan input, with retries and a dead-letter queue', () => {
    const { fullPass, stateMachineId } = parts(dev);
    const schedules = Object.values(dev.jobs.findResources('AWS::Scheduler::Schedule')).filter(
      (s) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify({ Ref: stateMachineId }),
    );
    expect(schedules).toHaveLength(1);
    const target = schedules[0]?.Properties.Target;
    expect(JSON.parse(target.Input)).toEqual({ action: 'plan', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(target).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(fullPass.deadLetterQueue), 'Arn'] } },
    });
    expect(schedules[0]?.Properties).toMatchObject({
      ScheduleExpression: dev.config.schedules.churnCohorts,
      ScheduleExpressionTimezone: dev.config.schedules.timeZone,
    });
    // No schedule invokes the cohorts Lambda directly: only through its state machine.
    const functionTargets = Object.values(dev.jobs.findResources('AWS::Scheduler::Schedule')).map((sch) =>
      JSON.stringify(sch.Properties.Target.Arn),
    );
    expect(functionTargets.filter((arn) => arn.includes(`"${parts(dev).worker.id}"`))).toEqual([]);
  });

  it('lets flag-dormant start full passes (StartExecution on this state machine) and no longer Scan', () => {
    const { flagDormant, flagStateMachineId: stateMachineId } = parts(dev);
    const flag = functionNamed(dev.jobs, 'clientele-dev-flag-dormant');
    expect(flag.props.Environment.Variables.FULL_PASS_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    const statements = roleStatements(dev.jobs, logicalId(flagDormant.job.role));
    const start = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(start.flatMap(resourcesOf)).toEqual([{ Ref: stateMachineId }]);
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });

  it('alarms on failed and timed-out executions of both state machines, to the alarm topic', () => {
    for (const stateMachineId of [parts(dev).stateMachineId, parts(dev).flagStateMachineId]) {
      const topic = { Ref: logicalId(dev.stacks.jobs.monitoring.topic) };
      const onStateMachine = alarmsOf(dev.jobs).filter(
        (a) => a.Namespace === 'AWS/States' && JSON.stringify(a.Dimensions).includes(`"${stateMachineId}"`),
      );
      expect(onStateMachine.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const alarm of onStateMachine) {
        expect(alarm).toMatchObject({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [topic],
        });
      }
    }
  });
});
