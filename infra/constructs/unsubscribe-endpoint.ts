import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { templatesAsset } from '../templates.ts';
import { bindTables, type JobCommonProps, jobEnvironment, type MonitoredJob } from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

/**
 * The DynamoDB actions the unsubscribe handler performs, on the customers table only: the consistent read of the
 * customer (`customers.get`: GetItem) and the version-conditional write of the withdrawn consent
 * (`customers.saveIfVersion`: PutItem). No Scan, Query, batch or delete action, and no index.
 */
export const UNSUBSCRIBE_CUSTOMERS_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem'];

/** Default of {@link UnsubscribeEndpointProps.reservedConcurrency}. */
export const DEFAULT_UNSUBSCRIBE_CONCURRENCY = 10;

export interface UnsubscribeEndpointProps extends JobCommonProps {
  /** The compiled templates (infra/templates.ts), packaged beside the handler as `templates.json`. */
  readonly templatesFile: string;
  /** HMAC key the unsubscribe links are signed with; the handler verifies the signature. */
  readonly unsubscribeSecret: secretsmanager.ISecret;
  /**
   * Reserved concurrency of the function, a cap as well as a guarantee: the URL is public, and without a cap a
   * flood of requests could take the account's Lambda concurrency that the senders and the other jobs need.
   * Requests beyond the cap are throttled (HTTP 429). A request is one read and one write, so a few instances
   * serve real unsubscribe traffic. Lambda refuses a reservation that leaves the account fewer than 100
   * unreserved executions: on an account still at a low concurrency quota, raise the quota first.
   * @default 10
   */
  readonly reservedConcurrency?: number;
}

/**
 * unsubscribe: public Lambda function URL behind the List-Unsubscribe header (RFC 8058 one-click POST) and the
 * link in the email (GET confirmation page). Auth NONE by design: mailbox providers and recipients call it
 * without credentials; every request carries an HMAC-signed token the handler verifies.
 * Grants: customers GetItem and PutItem (nothing else, no index), secret read. Reserved concurrency caps it (see
 * `reservedConcurrency`).
 */
export class UnsubscribeEndpoint extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly functionUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: UnsubscribeEndpointProps) {
    super(scope, id);
    const reservedConcurrency = props.reservedConcurrency ?? DEFAULT_UNSUBSCRIBE_CONCURRENCY;
    if (
      !Token.isUnresolved(reservedConcurrency) &&
      !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 1)
    ) {
      throw new Error(`${this.node.path}: reservedConcurrency must be a positive integer, got ${reservedConcurrency}`);
    }
    // The customers table uses the AWS-managed key (TableEncryption.AWS_MANAGED in data.ts): no KMS grant needed.
    const tables = bindTables(props.tables, { customers: { actions: UNSUBSCRIBE_CUSTOMERS_ACTIONS } });
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('unsubscribe.ts'),
      jobName: 'unsubscribe',
      stageName: props.stageName,
      tracing: props.tracing,
      metrics: props.metrics,
      description: 'One-click unsubscribe endpoint (function URL)',
      environment: jobEnvironment('unsubscribe', {
        ...tables.environment,
        ENGINE_CONFIG: props.engineConfigJson,
        UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn,
      }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: reservedConcurrency,
      assetFiles: [templatesAsset(props.templatesFile)],
    });
    tables.grant(this.job.role);
    props.unsubscribeSecret.grantRead(this.job.role);
    this.functionUrl = this.job.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
  }
}
