import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type TableNames, tableDefinitions, tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { REPORT_FILE } from '../../shared/jobs/digest.ts';
import { type ClienteleTables, logicalIdOf } from './common.ts';

export type { ClienteleTables } from './common.ts';

/** Key prefix the cohorts merge (functions/churn-cohorts.ts) writes the reports under (`cohorts/<asOf date>/...`). */
export const COHORT_REPORT_PREFIX = 'cohorts/';
/** The report the digest links (`cohorts/<asOf date>/report.html`; shared/jobs/digest.ts REPORT_FILE). */
export const COHORT_REPORT_FILE = REPORT_FILE;

/** Attribute of the ledger items after which DynamoDB TTL deletes them (epoch seconds). */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
/**
 * Attribute of the snapshots items after which DynamoDB TTL deletes them (epoch seconds): set on the segment
 * checkpoints and partial results of full passes, never on cohort snapshots or the flag watermark.
 */
export const SNAPSHOTS_TTL_ATTRIBUTE = 'expiresAt';

export interface ClienteleDataProps {
  readonly stageName: string;
  /** Deletion protection and RemovalPolicy.RETAIN on everything that holds data. */
  readonly production: boolean;
  /** Days after which report objects expire. */
  readonly reportRetentionDays: number;
  /** Write S3 server access logs of the reports bucket to a dedicated log bucket. */
  readonly reportsAccessLogs: boolean;
}

/**
 * Everything stateful: the four DynamoDB tables (keys and index taken from shared/adapters/dynamodb/tables.ts, the
 * same definitions the local servers use), the reports bucket and the unsubscribe signing secret.
 */
export class ClienteleData extends Construct {
  readonly tables: ClienteleTables;
  readonly reportsBucket: s3.Bucket;
  readonly accessLogsBucket?: s3.Bucket;
  readonly unsubscribeSecret: secretsmanager.Secret;
  /**
   * Customer-managed policy allowing s3:PutObject under `cohorts/` in the reports bucket, attached to the
   * churn-cohorts role (its merge step). Defined here, next to the bucket, so the bucket ARN is not exported to the
   * jobs stack.
   */
  readonly reportsWriterPolicy: iam.ManagedPolicy;
  /**
   * Customer-managed policy allowing s3:GetObject of `cohorts/<date>/report.html` only: attached to the
   * churn-cohorts role when its digest links a presigned URL of the report (a presigned URL carries the signer's
   * permissions). Unattached otherwise.
   */
  readonly reportsLinkPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ClienteleDataProps) {
    super(scope, id);
    const removalPolicy = props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const names = tableNames(`clientele-${props.stageName}`);
    const definitions = tableDefinitions(names);

    const table = (role: keyof TableNames, logicalId: string, extra: Partial<dynamodb.TableProps> = {}) => {
      const definition = definitions.find((d) => d.TableName === names[role]);
      if (!definition) throw new Error(`no table definition for ${role}`);
      const created = new dynamodb.Table(this, logicalId, {
        ...keysOf(definition),
        tableName: names[role],
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: props.production,
        removalPolicy,
        ...extra,
      });
      for (const index of definition.GlobalSecondaryIndexes ?? []) {
        if (!index.IndexName) throw new Error(`${names[role]}: index without a name`);
        created.addGlobalSecondaryIndex({
          indexName: index.IndexName,
          ...keysOf({ KeySchema: index.KeySchema, AttributeDefinitions: definition.AttributeDefinitions }),
          projectionType: projectionOf(index.Projection?.ProjectionType),
        });
      }
      return created;
    };

    this.tables = {
      customers: table('customers', 'CustomersTable'),
      orders: table('orders', 'OrdersTable'),
      ledger: table('ledger', 'LedgerTable', { timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE }),
      snapshots: table('snapshots', 'SnapshotsTable', { timeToLiveAttribute: SNAPSHOTS_TTL_ATTRIBUTE }),
    };

    const secureBucket: s3.BucketProps = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
    };
    const expire = (days: number): s3.LifecycleRule[] => [
      { id: 'expire', expiration: Duration.days(days), abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ];

    if (props.reportsAccessLogs) {
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
        ...secureBucket,
        lifecycleRules: expire(props.reportRetentionDays),
      });
      Validations.of(this.accessLogsBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'This bucket is the server access log destination of the reports bucket; logging it would loop.',
      });
    }

    this.reportsBucket = new s3.Bucket(this, 'ReportsBucket', {
      ...secureBucket,
      lifecycleRules: expire(props.reportRetentionDays),
      ...(this.accessLogsBucket
        ? { serverAccessLogsBucket: this.accessLogsBucket, serverAccessLogsPrefix: 'reports/' }
        : {}),
    });
    if (!this.accessLogsBucket) {
      Validations.of(this.reportsBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs are opt-in (config reportsAccessLogs): the bucket is private, only the ' +
          'full-pass role can write to it, and CloudTrail records the bucket management events.',
      });
    }

    this.reportsWriterPolicy = new iam.ManagedPolicy(this, 'ReportsWriterPolicy', {
      description: `clientele ${props.stageName}: write cohort reports to the reports bucket`,
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [this.reportsBucket.arnForObjects(`${COHORT_REPORT_PREFIX}*`)],
        }),
      ],
    });
    Validations.of(this.reportsWriterPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.reportsBucket)}.Arn>/${COHORT_REPORT_PREFIX}*]`,
      reason:
        'Reports are written to date-named keys (cohorts/<asOf>/cohorts.csv, ...): the wildcard is limited to ' +
        'the cohorts/ prefix of this bucket and to s3:PutObject.',
    });

    const reports = `${COHORT_REPORT_PREFIX}*/${COHORT_REPORT_FILE}`;
    this.reportsLinkPolicy = new iam.ManagedPolicy(this, 'ReportsLinkPolicy', {
      description: `clientele ${props.stageName}: read the cohort report.html files, to presign the digest's link`,
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.reportsBucket.arnForObjects(reports)] }),
      ],
    });
    Validations.of(this.reportsLinkPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.reportsBucket)}.Arn>/${reports}]`,
      reason:
        'The digest links the report of its pass (cohorts/<asOf>/report.html) by a presigned URL: the wildcard is ' +
        'the date folder only, the file is report.html and the action s3:GetObject.',
    });

    this.unsubscribeSecret = new secretsmanager.Secret(this, 'UnsubscribeSecret', {
      description: `clientele ${props.stageName}: HMAC key signing the unsubscribe links in win-back emails`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.unsubscribeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'HMAC key of the unsubscribe links: rotating it would invalidate the links in every email already ' +
        'sent (RFC 8058 one-click unsubscribe must keep working), so it is rotated manually (see docs/deploy.md).',
    });
  }
}

type KeySource = Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions'>;

function keysOf(source: KeySource): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const attribute = (name: string | undefined): dynamodb.Attribute => {
    const definition = source.AttributeDefinitions?.find((a) => a.AttributeName === name);
    if (!name || !definition) throw new Error(`key attribute ${name} has no definition`);
    const type = {
      S: dynamodb.AttributeType.STRING,
      N: dynamodb.AttributeType.NUMBER,
      B: dynamodb.AttributeType.BINARY,
    }[definition.AttributeType ?? 'S'];
    return { name, type };
  };
  const hash = source.KeySchema?.find((k) => k.KeyType === 'HASH');
  const range = source.KeySchema?.find((k) => k.KeyType === 'RANGE');
  return {
    partitionKey: attribute(hash?.AttributeName),
    ...(range ? { sortKey: attribute(range.AttributeName) } : {}),
  };
}

function projectionOf(type: string | undefined): dynamodb.ProjectionType {
  if (type === 'KEYS_ONLY') return dynamodb.ProjectionType.KEYS_ONLY;
  if (type === 'INCLUDE') throw new Error('INCLUDE projections are not supported by the stack');
  return dynamodb.ProjectionType.ALL;
}
