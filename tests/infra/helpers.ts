import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addClienteleStacks } from '../../infra/clientele.ts';
import { parseDeploymentConfig } from '../../infra/config.ts';
import { PROJECT_ROOT } from '../../infra/constructs/job-function.ts';

/** The feature flags from cdk.json, so the tests synthesize exactly what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * Builds both stacks from a configuration object, with cdk-nag registered and bundling skipped. CDK's built-in
 * CloudFormation schema validation is left to `npm run synth` (it costs ~8 s on its first run).
 */
export function buildClientele(input: Record<string, unknown>) {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const config = parseDeploymentConfig(input);
  const stacks = addClienteleStacks(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, stacks };
}

export function logicalId(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return (element.stack as Stack).getLogicalId(element);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Every statement of the inline policies attached to a role (by logical ID) in a template. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** Every statement in every IAM policy and role of a template (inline and managed). */
export function allStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const p of Object.values(template.findResources(type))) {
      statements.push(...(p.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const policy of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
      statements.push(...policy.PolicyDocument.Statement);
    }
  }
  return statements;
}

/**
 * A readable label for a policy resource of the jobs stack: `customers`, `customers/index/<name>`, `secret`,
 * `ses:identity/<name>`, `ses:configuration-set`, `log-group:<id>`, `queue:<id>`, `*`.
 */
export function resourceLabel(resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const table = /Data(Customers|Orders|Ledger|Snapshots)Table/.exec(text);
  if (table?.[1]) {
    const index = /\/index\/([^"]+)"/.exec(text);
    return `${table[1].toLowerCase()}${index ? `/index/${index[1]}` : ''}`;
  }
  if (text.includes('DataUnsubscribeSecret')) return 'secret';
  if (text.includes(':configuration-set/')) return 'ses:configuration-set';
  const identity = /:identity\/([^"]+)"/.exec(text);
  if (identity) return `ses:identity/${identity[1]}`;
  const getAtt = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(text);
  if (getAtt) return `arn:${getAtt[1]}`;
  return text;
}

/** Data-plane access of a role, as `{ label: sorted actions }` (DynamoDB, S3, SES, Secrets Manager). */
export function dataAccess(statements: Statement[]): Record<string, string[]> {
  const access: Record<string, Set<string>> = {};
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const actions = actionsOf(statement).filter((a) => /^(dynamodb|s3|ses|secretsmanager):/.test(a));
    if (actions.length === 0) continue;
    for (const resource of resourcesOf(statement)) {
      const label = resourceLabel(resource);
      access[label] ??= new Set();
      for (const action of actions) access[label].add(action);
    }
  }
  return Object.fromEntries(Object.entries(access).map(([label, actions]) => [label, [...actions].sort()]));
}

export const READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
export const WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
export const READ_WRITE = [...READ, ...WRITE].sort();
export const SECRET_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
