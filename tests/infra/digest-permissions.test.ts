/**
 * The cohort job's grants for the digest (issue 13): with recipients configured, the merge function may send as the
 * sender address only, on the configured identity and configuration set, and read cohorts/<date>/report.html to
 * presign the report link; with a reportBaseUrl it reads nothing; without recipients it holds neither. Its failure
 * count is published and alarmed only where a digest is configured. cdk-nag stays clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  buildClientele,
  dataAccess,
  logicalId,
  resourceLabel,
  resourcesOf,
  roleStatements,
  type Statement,
} from './helpers.ts';

const BASE = {
  stageName: 'dev',
  senderAddress: 'hello@mail.example.com',
  sesConfigurationSetName: 'clientele-dev-mail',
  engine: { currency: 'EUR', winback: { shopName: 'Example Shop' } },
};
const PRESIGNED = { ...BASE, engine: { ...BASE.engine, digest: { recipients: ['marketing@example.com'] } } };
const CONFIGURED_URL = {
  ...BASE,
  engine: {
    ...BASE.engine,
    digest: { recipients: ['marketing@example.com'], reportBaseUrl: 'https://reports.example.com/' },
  },
};
const PAUSED = {
  ...BASE,
  engine: { ...BASE.engine, digest: { recipients: ['marketing@example.com'], enabled: false } },
};

function build(input: Record<string, unknown>) {
  const built = buildClientele(input);
  const jobs = Template.fromStack(built.stacks.jobs);
  const data = Template.fromStack(built.stacks.data);
  const cohorts = built.stacks.jobs.churnCohorts;
  const roleId = logicalId(cohorts.job.role);
  const role = jobs.toJSON().Resources[roleId];
  const fn = jobs.toJSON().Resources[logicalId(cohorts.job.function)];
  return {
    ...built,
    jobs,
    data,
    statements: roleStatements(jobs, roleId),
    managedPolicies: JSON.stringify(role.Properties.ManagedPolicyArns),
    environment: fn.Properties.Environment.Variables as Record<string, unknown>,
    alarms: Object.values(jobs.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties),
  };
}

type Built = ReturnType<typeof build>;
let presigned: Built;
let configuredUrl: Built;
let none: Built;
let paused: Built;

beforeAll(() => {
  presigned = build(PRESIGNED);
  configuredUrl = build(CONFIGURED_URL);
  none = build(BASE);
  paused = build(PAUSED);
});

const sesAccess = (b: Built) =>
  Object.fromEntries(Object.entries(dataAccess(b.statements)).filter(([label]) => label.startsWith('ses:')));
const sendStatements = (b: Built) => b.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));

describe('churn-cohorts digest permissions', () => {
  it('sends as the sender address only, on the configured identity and configuration set', () => {
    for (const b of [presigned, configuredUrl]) {
      expect(sesAccess(b)).toEqual({
        'ses:identity/mail.example.com': ['ses:SendEmail'],
        'ses:configuration-set': ['ses:SendEmail'],
      });
      const send = sendStatements(b);
      expect(send).toHaveLength(1);
      expect(actionsOf(send[0] as Statement)).toEqual(['ses:SendEmail']);
      expect(send[0]?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@mail.example.com' } });
      // The configuration set is the stack's own (a reference to it, not a wildcard).
      expect(JSON.stringify(resourcesOf(send[0] as Statement))).toContain(':configuration-set/');
      expect(JSON.stringify(resourcesOf(send[0] as Statement))).not.toContain('*');
      expect(b.environment.SENDER_ADDRESS).toBe('hello@mail.example.com');
      expect(b.environment.SES_CONFIGURATION_SET).toBeDefined();
    }
  });

  it('may read report.html under cohorts/ to presign the link, and nothing else, only without reportBaseUrl', () => {
    const link = Object.entries(presigned.data.findResources('AWS::IAM::ManagedPolicy')).find(([, p]) =>
      String(p.Properties.Description).includes('presign'),
    );
    expect(link).toBeDefined();
    const [linkId, linkPolicy] = link as [string, { Properties: { PolicyDocument: { Statement: Statement[] } } }];
    expect(
      linkPolicy.Properties.PolicyDocument.Statement.map((s) => [actionsOf(s), JSON.stringify(s.Resource)]),
    ).toEqual([
      [['s3:GetObject'], expect.stringMatching(/DataReportsBucket[^"]*","Arn"\]\},"\/cohorts\/\*\/report\.html"/)],
    ]);
    expect(presigned.managedPolicies).toContain(linkId);
    expect(presigned.managedPolicies).toContain('DataReportsLinkPolicy');
    expect(presigned.managedPolicies).toContain('DataReportsWriterPolicy');
    // A configured base URL needs no presigning: the role cannot read reports.
    expect(configuredUrl.managedPolicies).not.toContain('DataReportsLinkPolicy');
    // No inline statement grants any S3 read either way.
    for (const b of [presigned, configuredUrl]) {
      expect(b.statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:'))).toEqual([]);
    }
  });

  it('holds no SES or report-read permission and no sender variable without recipients or when paused', () => {
    for (const b of [none, paused]) {
      expect(sesAccess(b)).toEqual({});
      expect(sendStatements(b)).toEqual([]);
      expect(b.managedPolicies).not.toContain('DataReportsLinkPolicy');
      expect(b.environment.SENDER_ADDRESS).toBeUndefined();
      expect(b.environment.SES_CONFIGURATION_SET).toBeUndefined();
    }
    // No other role gains SES sending as a side effect: only winback-send and (with a digest) churn-cohorts send.
    const senders = (b: Built) =>
      Object.entries(b.jobs.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => actionsOf(s).includes('ses:SendEmail')),
        )
        .map(([, p]) => JSON.stringify(p.Properties.Roles));
    expect(senders(none)).toHaveLength(1);
    expect(senders(presigned)).toHaveLength(2);
  });

  it('publishes DigestFailures and alarms on it where a digest is configured, and only there', () => {
    const digestAlarms = (b: Built) => b.alarms.filter((a) => a.MetricName === 'DigestFailures');
    expect(presigned.environment.PUBLISHED_METRICS).toBe('DigestFailures');
    expect(digestAlarms(presigned)).toEqual([
      expect.objectContaining({
        AlarmName: 'clientele-dev-churn-cohorts-digest-failures',
        Namespace: 'clientele',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Statistic: 'Sum',
        Dimensions: [{ Name: 'service', Value: 'clientele-dev-churn-cohorts' }],
      }),
    ]);
    for (const b of [none, paused]) {
      expect(b.environment.PUBLISHED_METRICS).toBe('');
      expect(digestAlarms(b)).toEqual([]);
    }
  });

  it('labels the grants readably (helpers) and leaves no cdk-nag finding', () => {
    const labels = presigned.statements.flatMap((s) => resourcesOf(s).map(resourceLabel));
    expect(labels).toEqual(expect.arrayContaining(['ses:identity/mail.example.com', 'ses:configuration-set']));
    for (const b of [presigned, configuredUrl]) {
      expect(new AwsSolutionsChecks(b.app).validateScope(b.app).violations).toEqual([]);
      const assembly = b.app.synth();
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? [])).toEqual([]);
    }
  });
});
