import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOB_ENV, type JobWithEnv, TABLE_ENV } from '../../functions/env.ts';
import type { ClienteleStacks } from '../../infra/clientele.ts';
import { type DeploymentConfig, loadDeploymentConfig, parseDeploymentConfig } from '../../infra/config.ts';
import type { MonitoredJob } from '../../infra/constructs/common.ts';
import { ClienteleData } from '../../infra/constructs/data.ts';
import type { FlagDormantJob } from '../../infra/constructs/flag-dormant-job.ts';
import { PROJECT_ROOT } from '../../infra/constructs/job-function.ts';
import { failuresAlarmedElsewhere } from '../../infra/constructs/monitoring.ts';
import { DEFAULT_UNSUBSCRIBE_CONCURRENCY, UnsubscribeEndpoint } from '../../infra/constructs/unsubscribe-endpoint.ts';
import type { WinbackEmailJob } from '../../infra/constructs/winback-email-job.ts';
import { BUILT_TEMPLATES_FILE } from '../../infra/templates.ts';
import {
  NEXT_CHECK_INDEX,
  PENDING_CLAIMS_INDEX,
  tableDefinitions,
  tableNames,
  WINBACK_DUE_INDEX,
  WINBACK_INDEX,
} from '../../shared/adapters/dynamodb/tables.ts';
import { EngineConfigSchema } from '../../shared/domain/config.ts';
import {
  actionsOf,
  allStatements,
  buildClientele,
  dataAccess,
  logicalId,
  READ,
  READ_WRITE,
  resourceLabel,
  resourcesOf,
  roleStatements,
  SECRET_READ,
  type Statement,
} from './helpers.ts';

const DEV_INPUT = {
  stageName: 'dev',
  senderAddress: 'hello@mail.example.com',
  alarmEmail: 'ops@example.com',
  schedules: { timeZone: 'Europe/Berlin', flagDormant: 'cron(30 1 * * ? *)' },
  logRetentionDays: 14,
  reportRetentionDays: 90,
  maxSendRate: 10,
  engine: { currency: 'EUR', winback: { shopName: 'Example Shop' } },
};
const PROD_INPUT = {
  stageName: 'prod',
  senderAddress: 'news@example.com',
  sesIdentity: 'example.com',
  reportsAccessLogs: true,
  schedules: { winbackEnabled: false },
  tracing: true,
};

interface Built {
  app: App;
  config: DeploymentConfig;
  stacks: ClienteleStacks;
  data: Template;
  jobs: Template;
}

function build(input: Record<string, unknown>): Built {
  const { app, config, stacks } = buildClientele(input);
  return { app, config, stacks, data: Template.fromStack(stacks.data), jobs: Template.fromStack(stacks.jobs) };
}

let dev: Built;
let prod: Built;

beforeAll(() => {
  dev = build(DEV_INPUT);
  prod = build(PROD_INPUT);
});

function jobsOf(stacks: ClienteleStacks): Record<string, MonitoredJob> {
  const { jobs } = stacks;
  return {
    'flag-dormant': jobs.flagDormant,
    'flag-full-pass': jobs.flagDormant.fullPass,
    'churn-cohorts': jobs.churnCohorts,
    'winback-email': jobs.winbackEmail,
    'winback-send': jobs.winbackSend,
    'record-activity': jobs.recordActivity,
    'ses-feedback': jobs.sesFeedback,
    unsubscribe: jobs.unsubscribe,
  };
}

describe('deployment configuration', () => {
  it('names the offending field when the sender address is invalid', () => {
    expect(() => parseDeploymentConfig({ senderAddress: 'not-an-address' })).toThrow(
      'clientele config: senderAddress: must be a valid email address',
    );
  });

  it('requires senderAddress and rejects unknown options and invalid values by field', () => {
    expect(() => parseDeploymentConfig({})).toThrow('clientele config: senderAddress: is required');
    expect(() => parseDeploymentConfig({ senderAddress: 'a@example.com', senderAdress: 'x' })).toThrow(
      'senderAdress: is not a known option',
    );
    expect(() => parseDeploymentConfig({ senderAddress: 'a@example.com', logRetentionDays: 31 })).toThrow(
      /logRetentionDays: must be one of 1, 3, 5/,
    );
    expect(() =>
      parseDeploymentConfig({ senderAddress: 'a@example.com', schedules: { timeZone: 'Mars/Olympus' } }),
    ).toThrow(/schedules\.timeZone: must be an IANA time zone/);
    expect(() => parseDeploymentConfig({ senderAddress: 'a@example.com', schedules: { winback: 'daily' } })).toThrow(
      /schedules\.winback: must be an EventBridge Scheduler expression/,
    );
    expect(() => parseDeploymentConfig({ senderAddress: 'a@example.com', sesIdentity: 'other.com' })).toThrow(
      /sesIdentity: must be the sender's domain/,
    );
    expect(() =>
      parseDeploymentConfig({ senderAddress: 'a@example.com', engine: { policy: { dormantAfterDays: 500 } } }),
    ).toThrow(/engine\.policy\.dormantAfterDays/);
  });

  it('derives the documented defaults', () => {
    const config = parseDeploymentConfig({ senderAddress: 'hello@mail.example.com' });
    expect(config).toMatchObject({
      stageName: 'dev',
      sesIdentity: 'mail.example.com',
      sesConfigurationSetName: 'clientele-dev',
      eventSource: 'clientele',
      schedules: {
        timeZone: 'UTC',
        flagDormant: 'cron(0 2 * * ? *)',
        churnCohorts: 'cron(0 6 ? * MON *)',
        winback: 'cron(5 * * * ? *)',
        winbackEnabled: true,
      },
      logRetentionDays: 30,
      reportRetentionDays: 365,
      reportsAccessLogs: false,
      maxSendRate: 14,
      senderConcurrency: 2,
      fullPassConcurrency: 16,
      production: false,
    });
    expect(config.alarmEmail).toBeUndefined();
    expect(config.engine).toEqual(EngineConfigSchema.parse({}));
    expect(parseDeploymentConfig({ senderAddress: 'a@example.com', stageName: 'prod' }).production).toBe(true);
    expect(
      parseDeploymentConfig({ senderAddress: 'a@example.com', stageName: 'prod', production: false }).production,
    ).toBe(false);
  });

  it('reads configFile and deep-merges the clientele context over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clientele-config-'));
    writeFileSync(
      join(dir, 'clientele.json'),
      JSON.stringify({ senderAddress: 'a@example.com', schedules: { timeZone: 'Europe/Paris' }, maxSendRate: 5 }),
    );
    const context: Record<string, unknown> = {
      configFile: 'clientele.json',
      clientele: JSON.stringify({ stageName: 'qa', schedules: { winback: 'cron(0 9 * * ? *)' } }),
    };
    const config = loadDeploymentConfig({ tryGetContext: (key) => context[key] }, dir);
    expect(config.stageName).toBe('qa');
    expect(config.maxSendRate).toBe(5);
    expect(config.schedules).toMatchObject({ timeZone: 'Europe/Paris', winback: 'cron(0 9 * * ? *)' });

    writeFileSync(join(dir, 'broken.json'), '{ nope');
    expect(() => loadDeploymentConfig({ tryGetContext: (k) => ({ configFile: 'broken.json' })[k] }, dir)).toThrow(
      /configFile .*broken\.json is not valid JSON/,
    );
    expect(() => loadDeploymentConfig({ tryGetContext: (k) => ({ configFile: 'missing.json' })[k] }, dir)).toThrow(
      /configFile: cannot read/,
    );
  });

  it('fails `cdk synth` (infra/app.ts) with the field name and no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'clientele-out-')),
        CDK_CONTEXT_JSON: JSON.stringify({ clientele: { senderAddress: 'nope' } }),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('clientele config: senderAddress: must be a valid email address');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('data stack', () => {
  it('declares exactly the keys and index of shared/adapters/dynamodb/tables.ts', () => {
    const tables = dev.data.findResources('AWS::DynamoDB::Table');
    const byName = new Map(Object.values(tables).map((t) => [t.Properties.TableName, t.Properties]));
    const expected = tableDefinitions(tableNames('clientele-dev'));
    expect([...byName.keys()].sort()).toEqual(expected.map((d) => d.TableName).sort());
    const sortByName = <T extends { AttributeName?: string }>(list: T[] = []) =>
      [...list].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));
    for (const definition of expected) {
      const actual = byName.get(definition.TableName);
      expect(actual.KeySchema, definition.TableName).toEqual(definition.KeySchema);
      expect(sortByName(actual.AttributeDefinitions), definition.TableName).toEqual(
        sortByName(definition.AttributeDefinitions),
      );
      expect(actual.GlobalSecondaryIndexes ?? [], definition.TableName).toEqual(
        (definition.GlobalSecondaryIndexes ?? []).map((index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        })),
      );
      expect(actual.BillingMode).toBe('PAY_PER_REQUEST');
    }
    expect(byName.get('clientele-dev-customers').GlobalSecondaryIndexes[0].IndexName).toBe(WINBACK_INDEX);
  });

  it('enables PITR and encryption on every table and TTL on the ledger and the snapshots', () => {
    const tables = Object.values(dev.data.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(4);
    for (const table of [...tables, ...Object.values(prod.data.findResources('AWS::DynamoDB::Table'))]) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true });
    }
    for (const table of ['ledger', 'snapshots']) {
      dev.data.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `clientele-dev-${table}`,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    }
    for (const table of ['customers', 'orders']) {
      const props = Object.values(dev.data.findResources('AWS::DynamoDB::Table')).find(
        (t) => t.Properties.TableName === `clientele-dev-${table}`,
      )?.Properties;
      expect(props?.TimeToLiveSpecification, table).toBeUndefined();
    }
  });

  it('retains and protects data in production only', () => {
    for (const table of Object.values(prod.data.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
    for (const table of Object.values(dev.data.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
    prod.data.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    prod.data.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    dev.data.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    expect(prod.stacks.data.terminationProtection).toBe(true);
    expect(dev.stacks.data.terminationProtection).toBe(false);
  });

  it('keeps reports in a private, encrypted, TLS-only bucket that expires them', () => {
    dev.data.resourceCountIs('AWS::S3::Bucket', 1);
    dev.data.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 90 })]) },
    });
    dev.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // reportsAccessLogs: a second bucket receives the reports bucket's access logs.
    prod.data.resourceCountIs('AWS::S3::Bucket', 2);
    prod.data.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'reports/' },
    });
  });

  it('generates a 64-character unsubscribe secret', () => {
    dev.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('outputs the table names and the reports bucket', () => {
    for (const output of [
      'CustomersTableName',
      'OrdersTableName',
      'LedgerTableName',
      'SnapshotsTableName',
      'ReportsBucketName',
    ]) {
      dev.data.hasOutput(output, {});
    }
  });
});

describe('functions', () => {
  it('traces no function unless the configuration says so (tracing: true traces all seven)', () => {
    const modes = (built: Built) =>
      Object.values(built.jobs.findResources('AWS::Lambda::Function')).map(
        (fn) => (fn.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'none',
      );
    expect(new Set(modes(dev))).not.toContain('Active');
    expect(modes(prod)).toEqual(Array(8).fill('Active'));
  });

  it('runs every function on Node.js 22, arm64, ESM bundle, own log group', () => {
    const functions = Object.values(dev.jobs.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(8);
    const roles = new Set<string>();
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
      const env = fn.Properties.Environment.Variables;
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: fn.Properties.FunctionName,
        POWERTOOLS_METRICS_NAMESPACE: 'clientele',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      // Exactly the tables of the job's environment contract (functions/env.ts), no other.
      const job = String(fn.Properties.FunctionName).replace('clientele-dev-', '') as JobWithEnv;
      const contract = Object.values(TABLE_ENV).filter((name) => name in JOB_ENV[job].shape);
      expect(contract.length, job).toBeGreaterThan(0);
      expect(
        Object.keys(env)
          .filter((name) => name.endsWith('_TABLE'))
          .sort(),
        job,
      ).toEqual(contract.sort());
      expect(EngineConfigSchema.parse(JSON.parse(env.ENGINE_CONFIG))).toEqual(dev.config.engine);
      expect(env.ENGINE_CONFIG).toContain('"currency":"EUR"');
      roles.add(JSON.stringify(fn.Properties.Role));
      const logGroup = dev.jobs.toJSON().Resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.RetentionInDays).toBe(14);
    }
    expect(roles.size).toBe(8);
    expect(functions.map((f) => f.Properties.FunctionName).sort()).toEqual(
      [
        'churn-cohorts',
        'flag-dormant',
        'flag-full-pass',
        'record-activity',
        'ses-feedback',
        'unsubscribe',
        'winback-email',
        'winback-send',
      ].map((job) => `clientele-dev-${job}`),
    );
  });

  it('uses no AWS-managed policy', () => {
    for (const t of [dev.jobs, dev.data, prod.jobs]) {
      for (const role of Object.values(t.findResources('AWS::IAM::Role'))) {
        expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toContain(':iam::aws:policy/');
      }
    }
  });

  it('never grants DynamoDB, SES, S3 or Secrets Manager data actions on Resource "*"', () => {
    for (const t of [dev.jobs, dev.data, prod.jobs]) {
      for (const statement of allStatements(t)) {
        if (!resourcesOf(statement).includes('*')) continue;
        const actions = actionsOf(statement).sort();
        // ses:GetAccount (the send quota, read by winback-email and winback-send) has no resource-level
        // permissions and reads no data.
        if (actions.includes('ses:GetAccount')) {
          expect(actions).toEqual(['ses:GetAccount']);
          continue;
        }
        // The state machine's log delivery and X-Ray (Step Functions adds them; none is resource-scoped).
        if (actions.includes('logs:CreateLogDelivery')) {
          expect(actions.filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
          continue;
        }
        expect(actions.filter((a) => /^(dynamodb|ses|s3|secretsmanager):/.test(a))).toEqual([]);
        expect(actions).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
  });

  describe('least privilege per job', () => {
    const access = (job: string) => {
      const monitored = jobsOf(dev.stacks)[job];
      if (!monitored) throw new Error(job);
      return dataAccess(roleStatements(dev.jobs, logicalId(monitored.job.role)));
    };
    const SENDER = {
      'ses:identity/mail.example.com': ['ses:SendEmail'],
      'ses:configuration-set': ['ses:SendEmail'],
    };

    it('flag-dormant: customers without Scan (Query via next-check), its watermark in snapshots; nothing else', () => {
      const customers = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];
      expect(access('flag-dormant')).toEqual({
        customers,
        [`customers/index/${NEXT_CHECK_INDEX}`]: customers,
        snapshots: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      });
    });

    it('every job is granted exactly the tables its function is told about (bindTables pairs them)', () => {
      for (const [name, monitored] of Object.entries(jobsOf(dev.stacks))) {
        const fn = dev.jobs.toJSON().Resources[logicalId(monitored.job.function)];
        const told = Object.entries(TABLE_ENV)
          .filter(([, variable]) => variable in fn.Properties.Environment.Variables)
          .map(([role]) => role);
        const granted = Object.keys(access(name)).filter((key) => key in TABLE_ENV);
        expect(granted.sort(), name).toEqual(told.sort());
      }
    });

    it('flag-full-pass: scans and writes customers (versioned put), checkpoints and the watermark in snapshots', () => {
      expect(access('flag-full-pass')).toEqual({
        customers: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
        snapshots: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      });
    });

    it('churn-cohorts: cannot write customers; reads orders and ledger, checkpoints in snapshots, writes reports', () => {
      const cohorts = access('churn-cohorts');
      expect(cohorts).toEqual({
        customers: ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:Scan'],
        orders: ['dynamodb:Query'],
        ledger: ['dynamodb:Query', 'dynamodb:Scan'],
        snapshots: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      });
      // The cohort job's role holds no write action on the customers table (or any of its indexes).
      const own = roleStatements(dev.jobs, logicalId(dev.stacks.jobs.churnCohorts.job.role));
      const onCustomers = own.filter((st) =>
        resourcesOf(st).some((r) => resourceLabel(r).startsWith('customers') || resourceLabel(r) === '*'),
      );
      expect(onCustomers.length).toBeGreaterThan(0);
      for (const statement of onCustomers) {
        expect(
          actionsOf(statement).filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|Transact|\*)/.test(a)),
        ).toEqual([]);
      }
      const role = dev.jobs.toJSON().Resources[logicalId(dev.stacks.jobs.churnCohorts.job.role)];
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('DataReportsWriterPolicy');
      const writer = Object.values(dev.data.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
        String(p.Properties.Description).includes('write cohort reports'),
      );
      expect(writer).toHaveLength(1);
      // Without a digest the role holds only the writer (the report-link reader stays unattached).
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).not.toContain('DataReportsLinkPolicy');
      const statements = writer[0]?.Properties.PolicyDocument.Statement as Statement[];
      expect(statements.map((s) => [actionsOf(s), JSON.stringify(s.Resource)])).toEqual([
        [['s3:PutObject'], expect.stringMatching(/DataReportsBucket.*\/cohorts\/\*/)],
      ]);
    });

    it('winback-email (planner): customers read (+ the due update), ledger read/write, no sending, no secret', () => {
      const customersAccess = [...READ, 'dynamodb:UpdateItem'].sort();
      expect(access('winback-email')).toEqual({
        '*': ['ses:GetAccount'], // the send quota
        customers: customersAccess,
        [`customers/index/${WINBACK_INDEX}`]: customersAccess,
        [`customers/index/${WINBACK_DUE_INDEX}`]: customersAccess,
        ledger: READ_WRITE,
        [`ledger/index/${PENDING_CLAIMS_INDEX}`]: READ_WRITE,
        // The marker that the due index is populated (read every run, written once).
        snapshots: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      });
    });

    it('winback-send: SendEmail only as the sender, customers Get/Update, ledger read/write, the secret', () => {
      expect(access('winback-send')).toEqual({
        '*': ['ses:GetAccount'], // the send quota
        customers: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        ledger: [
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        secret: SECRET_READ,
        ...SENDER,
      });
      const send = roleStatements(dev.jobs, logicalId(dev.stacks.jobs.winbackSend.job.role)).filter((s) =>
        actionsOf(s).includes('ses:SendEmail'),
      );
      expect(send).toHaveLength(1);
      expect(send[0]?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@mail.example.com' } });
      expect(actionsOf(send[0] as Statement)).toEqual(['ses:SendEmail']);
    });

    it('record-activity: customers Get/Put, orders Get/Put/Query, the erasure registry and model, the secret', () => {
      expect(access('record-activity')).toEqual({
        customers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        orders: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        snapshots: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        secret: SECRET_READ,
      });
    });

    it('ses-feedback: customers and ledger read/write, no sending', () => {
      expect(access('ses-feedback')).toEqual({ customers: READ_WRITE, ledger: READ_WRITE });
    });

    it('unsubscribe: customers GetItem and PutItem only (no index) and the secret', () => {
      // The handler reads the customer (consistent GetItem) and writes it back with a version condition (PutItem).
      expect(access('unsubscribe')).toEqual({
        customers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        secret: SECRET_READ,
      });
    });

    it('unsubscribe: its role allows no Scan, Query, BatchWriteItem or DeleteItem on any resource', () => {
      const forbidden = ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'];
      // An IAM action pattern (`dynamodb:*`, `dynamodb:Batch*`, `*`) as a case-insensitive regular expression.
      const pattern = (action: string) => {
        const escaped = action.split('*').map((part) => part.replace(/\W/g, '\\$&'));
        return new RegExp(`^${escaped.join('.*')}$`, 'i');
      };
      for (const { jobs, stacks } of [dev, prod]) {
        const roleId = logicalId(stacks.jobs.unsubscribe.job.role);
        // No inline or managed policies on the role itself: everything it may do is in roleStatements.
        const role = jobs.toJSON().Resources[roleId];
        expect(role.Properties.Policies).toBeUndefined();
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
        const statements = roleStatements(jobs, roleId);
        expect(statements.length).toBeGreaterThan(0);
        for (const statement of statements) {
          expect(statement.Effect).toBe('Allow');
          expect(Object.keys(statement).filter((k) => k === 'NotAction' || k === 'NotResource')).toEqual([]);
          const allowed = actionsOf(statement).flatMap((action) =>
            forbidden.filter((f) => pattern(action).test(f)).map((f) => `${action} allows ${f}`),
          );
          expect(allowed, JSON.stringify(statement)).toEqual([]);
        }
      }
    });

    it('each role writes only to its own log group and uses only its own queues', () => {
      const { winbackSend } = dev.stacks.jobs;
      const taskQueue = `arn:${logicalId(winbackSend.queue)}`;
      const ownDeadLetters = (m: MonitoredJob) => ({
        // The Lambda destination grants queue.grantSendMessages().
        [`arn:${logicalId(m.deadLetterQueue as never)}`]: [
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
        ],
      });
      const jobs = jobsOf(dev.stacks);
      const expected: Record<string, Record<string, string[]>> = {
        // Failed asynchronous invocations (schedule, rule) go to the job's own dead-letter queue.
        'flag-dormant': ownDeadLetters(jobs['flag-dormant'] as MonitoredJob),
        'record-activity': ownDeadLetters(jobs['record-activity'] as MonitoredJob),
        'ses-feedback': ownDeadLetters(jobs['ses-feedback'] as MonitoredJob),
        // The planner also queues tasks, and only sends.
        'winback-email': { ...ownDeadLetters(jobs['winback-email'] as MonitoredJob), [taskQueue]: ['sqs:SendMessage'] },
        // The sender consumes the task queue (event source); SQS itself moves failed tasks to the dead-letter queue.
        'winback-send': {
          [taskQueue]: [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
          ],
        },
        // Called synchronously by the state machine; its schedule's dead-letter queue is Scheduler's.
        'flag-full-pass': {},
        'churn-cohorts': {},
        unsubscribe: {},
      };
      for (const [name, monitored] of Object.entries(jobs)) {
        const statements = roleStatements(dev.jobs, logicalId(monitored.job.role));
        const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
        expect(logs.flatMap(resourcesOf).map(resourceLabel), name).toEqual([
          `arn:${logicalId(monitored.job.logGroup)}`,
        ]);
        const sqs: Record<string, string[]> = {};
        for (const statement of statements) {
          const actions = actionsOf(statement).filter((a) => a.startsWith('sqs:'));
          for (const resource of actions.length ? resourcesOf(statement) : []) {
            sqs[resourceLabel(resource)] = [...(sqs[resourceLabel(resource)] ?? []), ...actions].sort();
          }
        }
        expect(sqs, name).toEqual(expected[name]);
      }
    });
  });

  it('exposes unsubscribe as a public function URL and passes it to winback-send', () => {
    dev.jobs.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(dev.stacks.jobs.unsubscribe.job.function), 'Arn'] },
    });
    dev.jobs.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'clientele-dev-winback-send',
      Environment: {
        Variables: Match.objectLike({
          SENDER_ADDRESS: 'hello@mail.example.com',
          SES_CONFIGURATION_SET: { Ref: Match.stringLikeRegexp('EmailConfigurationSet') },
          MAX_SEND_RATE: '10',
          UNSUBSCRIBE_BASE_URL: {
            'Fn::GetAtt': [Match.stringLikeRegexp('UnsubscribeJobFunctionFunctionUrl'), 'FunctionUrl'],
          },
          UNSUBSCRIBE_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
    // The planner renders and sends nothing: no unsubscribe settings.
    const planner = Object.values(dev.jobs.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.FunctionName === 'clientele-dev-winback-email',
    );
    expect(planner?.Properties.Environment.Variables).toMatchObject({
      SENDER_ADDRESS: 'hello@mail.example.com',
      MAX_SEND_RATE: '10',
    });
    expect(
      Object.keys(planner?.Properties.Environment.Variables ?? {}).filter((k) => k.startsWith('UNSUBSCRIBE')),
    ).toEqual([]);
  });

  it('reserves concurrency for unsubscribe (default 10) and for no other function', () => {
    for (const { jobs, stacks } of [dev, prod]) {
      const fn = jobs.toJSON().Resources[logicalId(stacks.jobs.unsubscribe.job.function)];
      expect(fn.Properties.FunctionName).toMatch(/-unsubscribe$/);
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(DEFAULT_UNSUBSCRIBE_CONCURRENCY);
      const reserved = Object.values(jobs.findResources('AWS::Lambda::Function'))
        .filter((f) => f.Properties.ReservedConcurrentExecutions !== undefined)
        .map((f) => f.Properties.FunctionName);
      expect(reserved).toEqual([fn.Properties.FunctionName]);
    }
    expect(DEFAULT_UNSUBSCRIBE_CONCURRENCY).toBe(10);
  });

  it('takes the unsubscribe reserved concurrency from its props and rejects a non-positive one', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'Unsubscribe');
    const data = new ClienteleData(stack, 'Data', {
      stageName: 'dev',
      production: false,
      reportRetentionDays: 30,
      reportsAccessLogs: false,
    });
    const common = {
      stageName: 'dev',
      tables: data.tables,
      engineConfigJson: JSON.stringify(dev.config.engine),
      logRetention: logs.RetentionDays.TWO_WEEKS,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      unsubscribeSecret: data.unsubscribeSecret,
      tracing: false,
      templatesFile: BUILT_TEMPLATES_FILE,
    };
    const endpoint = new UnsubscribeEndpoint(stack, 'Custom', { ...common, reservedConcurrency: 25 });
    const fn = Template.fromStack(stack).toJSON().Resources[logicalId(endpoint.job.function)];
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(25);
    for (const bad of [0, -1, 2.5]) {
      expect(() => new UnsubscribeEndpoint(stack, `Bad${bad}`, { ...common, reservedConcurrency: bad })).toThrow(
        /reservedConcurrency must be a positive integer/,
      );
    }
  });

  it('sends failed asynchronous invocations to the job dead-letter queue after 2 retries', () => {
    const configs = Object.values(dev.jobs.findResources('AWS::Lambda::EventInvokeConfig'));
    // Invoked asynchronously: the scheduled functions and the rule targets. Not winback-send (SQS event source,
    // its queue has a redrive policy), full-pass (called synchronously by the state machine) or unsubscribe.
    const asynchronous = ['flag-dormant', 'winback-email', 'record-activity', 'ses-feedback'];
    expect(configs).toHaveLength(asynchronous.length);
    for (const [name, monitored] of Object.entries(jobsOf(dev.stacks))) {
      if (!asynchronous.includes(name) || !monitored.deadLetterQueue) continue;
      dev.jobs.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(monitored.job.function) },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(monitored.deadLetterQueue), 'Arn'] } },
        },
      });
      expect(name).toBeTruthy();
    }
  });
});

describe('triggers', () => {
  const schedules = () => {
    const { flagDormant, churnCohorts, winbackEmail } = dev.stacks.jobs;
    const invoke = (job: FlagDormantJob | WinbackEmailJob) => ({
      arn: { 'Fn::GetAtt': [logicalId(job.job.function), 'Arn'] },
      input: { scheduledTime: '<aws.scheduler.scheduled-time>' },
      actions: ['lambda:InvokeFunction', 'sqs:SendMessage'],
    });
    return [
      { job: flagDormant, expression: 'cron(30 1 * * ? *)', ...invoke(flagDormant) },
      {
        job: churnCohorts,
        expression: 'cron(0 6 ? * MON *)',
        // The cohorts: an execution of the cohort job's own state machine.
        arn: { Ref: logicalId(churnCohorts.stateMachine) },
        input: { action: 'plan', scheduledTime: '<aws.scheduler.scheduled-time>' },
        actions: ['sqs:SendMessage', 'states:StartExecution'],
      },
      { job: winbackEmail, expression: 'cron(5 * * * ? *)', ...invoke(winbackEmail) },
    ];
  };

  it('schedules the batch jobs in the configured time zone with the scheduled time as input', () => {
    dev.jobs.resourceCountIs('AWS::Scheduler::Schedule', 3);
    for (const { expression, arn, input } of schedules()) {
      dev.jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'Europe/Berlin',
        GroupName: 'clientele-dev',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({ Arn: arn, Input: JSON.stringify(input) }),
      });
    }
    prod.jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('enables every schedule, except winback when schedules.winbackEnabled is false', () => {
    const states = (t: Template) =>
      Object.values(t.findResources('AWS::Scheduler::Schedule'))
        .map((s) => `${s.Properties.Description}:${s.Properties.State}`)
        .sort();
    expect(states(dev.jobs)).toEqual([
      'clientele churn-cohorts (its full-pass state machine):ENABLED',
      'clientele flag-dormant:ENABLED',
      'clientele winback-email:ENABLED',
    ]);
    expect(states(prod.jobs)).toEqual([
      'clientele churn-cohorts (its full-pass state machine):ENABLED',
      'clientele flag-dormant:ENABLED',
      'clientele winback-email:DISABLED',
    ]);
  });

  it('retries schedules twice within an hour, then uses an encrypted TLS-only dead-letter queue', () => {
    for (const { job, arn, actions } of schedules()) {
      const queueId = logicalId(job.deadLetterQueue);
      dev.jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: Match.objectLike({
          Arn: arn,
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      });
      expect(dev.jobs.toJSON().Resources[queueId].Properties).toMatchObject({ SqsManagedSseEnabled: true });
      dev.jobs.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      // The schedule's role may invoke this function (start this state machine) and send to this queue, nothing else.
      const scheduleRole = logicalId(job.schedule.role);
      const statements = roleStatements(dev.jobs, scheduleRole);
      expect(statements.flatMap(actionsOf).sort()).toEqual(actions);
      for (const statement of statements) {
        const expectedTarget = actionsOf(statement).includes('sqs:SendMessage')
          ? { 'Fn::GetAtt': [queueId, 'Arn'] }
          : arn;
        expect(resourcesOf(statement)[0]).toEqual(expectedTarget);
      }
      expect(JSON.stringify(statements)).not.toMatch(/"Resource":"\*"/);
    }
  });

  it('routes customer events from the clientele bus to record-activity with retries and a DLQ', () => {
    dev.jobs.hasResourceProperties('AWS::Events::EventBus', { Name: 'clientele-dev' });
    const { recordActivity, eventBus } = dev.stacks.jobs;
    dev.jobs.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(eventBus) },
      EventPattern: {
        source: ['clientele'],
        'detail-type': ['customer.signed_up', 'order.placed', 'consent.changed'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(recordActivity.job.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(recordActivity.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
  });

  it('publishes SES events to the default bus and routes them to ses-feedback', () => {
    dev.jobs.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'clientele-dev' });
    dev.jobs.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['send', 'bounce', 'complaint', 'delivery', 'open', 'click', 'reject', 'deliveryDelay'],
        EventBridgeDestination: { EventBusArn: { 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] } },
      },
    });
    dev.jobs.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const { sesFeedback } = dev.stacks.jobs;
    const rule = dev.jobs.toJSON().Resources[logicalId(sesFeedback.rule)].Properties;
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.ses'],
      // The names SES publishes to EventBridge (EventBridge events reference: "Email Complaint Received").
      'detail-type': [
        'Email Sent',
        'Email Bounced',
        'Email Complaint Received',
        'Email Delivered',
        'Email Opened',
        'Email Clicked',
        'Email Rejected',
        'Email Delivery Delayed',
      ],
      detail: {
        mail: { tags: { 'ses:configuration-set': [{ Ref: expect.stringMatching(/^EmailConfigurationSet/) }] } },
      },
    });
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(sesFeedback.job.function), 'Arn'] });
    expect(rule.Targets[0].DeadLetterConfig).toBeDefined();
  });
});

describe('monitoring', () => {
  const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('alarms on job errors no dead-letter queue or state machine alarm covers, and on every dead-letter queue', () => {
    const topic = { Ref: logicalId(dev.stacks.jobs.monitoring.topic) };
    for (const [name, monitored] of Object.entries(jobsOf(dev.stacks))) {
      const errors = alarms(dev.jobs).filter(
        (a) =>
          a.MetricName === 'Errors' &&
          JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(monitored.job.function) } }]),
      );
      // A failure that ends in an alarmed dead-letter queue or fails an alarmed execution is not alarmed twice.
      const covered = monitored.deadLetterQueue !== undefined || monitored.stateMachine !== undefined;
      expect(failuresAlarmedElsewhere(monitored), name).toBe(covered);
      expect(errors, name).toHaveLength(covered ? 0 : 1);
      for (const error of errors) {
        expect(error).toMatchObject({
          Namespace: 'AWS/Lambda',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [topic],
        });
      }
      if (!monitored.deadLetterQueue) continue;
      const queue = alarms(dev.jobs).filter(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(logicalId(monitored.deadLetterQueue as never)),
      );
      expect(queue, name).toHaveLength(1);
      expect(queue[0]).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic],
      });
    }
  });

  it('alarms on SES bounce rate above 5 % and complaint rate above 0.1 %', () => {
    const ses = alarms(dev.jobs).filter((a) => a.Namespace === 'AWS/SES');
    expect(ses.map((a) => [a.MetricName, a.Threshold, a.ComparisonOperator]).sort()).toEqual([
      ['Reputation.BounceRate', 0.05, 'GreaterThanThreshold'],
      ['Reputation.ComplaintRate', 0.001, 'GreaterThanThreshold'],
    ]);
  });

  it('alarm topic: no KMS key (alarm names only), TLS enforced, the stage alarms may publish, alarmEmail', () => {
    for (const t of [dev.jobs, prod.jobs]) {
      t.resourceCountIs('AWS::KMS::Key', 0);
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    }
    dev.jobs.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
            },
          }),
        ]),
      },
    });
    const policy = JSON.stringify(dev.jobs.findResources('AWS::SNS::TopicPolicy'));
    expect(policy).toContain(':alarm:clientele-dev-*');
    dev.jobs.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    prod.jobs.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('builds a dashboard when asked: flagged customers, emails sent, SES feedback, durations, queue, executions', () => {
    const withDashboard = build({ ...DEV_INPUT, dashboard: true });
    withDashboard.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    withDashboard.jobs.hasOutput('DashboardUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    const body = JSON.stringify(Object.values(withDashboard.jobs.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const text of [
      'CustomersFlagged',
      'EmailsSent',
      'EmailsFailed',
      'Reputation.BounceRate',
      'Complaint',
      'Duration',
      'ApproximateAgeOfOldestMessage',
      'ExecutionsFailed',
      'ExecutionsSucceeded',
    ]) {
      expect(body).toContain(text);
    }
    expect(body).toContain('clientele-dev-flag-dormant');
    expect(body).toContain('clientele-dev-winback-send');
    // Only metrics some handler publishes whatever `metrics` says (ALARMED_METRICS); no stock gauge.
    expect(body).not.toContain('DormantCustomers');
  });

  it('builds no dashboard by default (`dashboard: false`): $3 a month the alarms do not need', () => {
    expect(dev.config.dashboard).toBe(false);
    dev.jobs.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(dev.jobs.findOutputs('DashboardUrl'))).toEqual([]);
  });

  it('outputs the bus name, unsubscribe URL, task queue URL and state machine ARN', () => {
    dev.jobs.hasOutput('EventBusName', { Value: { Ref: logicalId(dev.stacks.jobs.eventBus) } });
    dev.jobs.hasOutput('UnsubscribeUrl', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('UnsubscribeJobFunctionFunctionUrl'), 'FunctionUrl'] },
    });
    dev.jobs.hasOutput('WinbackQueueUrl', { Value: { Ref: logicalId(dev.stacks.jobs.winbackSend.queue) } });
    dev.jobs.hasOutput('FlagFullPassStateMachineArn', {
      Value: { Ref: logicalId(dev.stacks.jobs.flagDormant.fullPass.stateMachine) },
    });
    dev.jobs.hasOutput('CohortsStateMachineArn', {
      Value: { Ref: logicalId(dev.stacks.jobs.churnCohorts.stateMachine) },
    });
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('has no unacknowledged finding, before and during synth', () => {
    for (const { app, stacks } of [dev, prod]) {
      expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
      // cdk-nag 3 reports through the policy-validation report, not annotations; synth fails on a violation.
      const assembly = app.synth();
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? [])).toEqual([]);
      for (const stack of [stacks.data, stacks.jobs]) {
        const annotations = Annotations.fromStack(stack);
        expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
        expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      }
    }
  });

  it('detects an unacknowledged finding (control)', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Control');
    new s3.Bucket(stack, 'Plain');
    const violations = new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName);
    expect(violations).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
