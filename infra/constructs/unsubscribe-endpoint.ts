import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  baseEnvironment,
  grantTable,
  type JobCommonProps,
  type MonitoredJob,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from './common.ts';
import { handlerEntry, JobFunction } from './job-function.ts';

export interface UnsubscribeEndpointProps extends JobCommonProps {
  /** HMAC key the unsubscribe links are signed with; the handler verifies the signature. */
  readonly unsubscribeSecret: secretsmanager.ISecret;
}

/**
 * unsubscribe: public Lambda function URL behind the List-Unsubscribe header (RFC 8058 one-click POST) and the
 * link in the email (GET confirmation page). Auth NONE by design: mailbox providers and recipients call it
 * without credentials; every request carries an HMAC-signed token the handler verifies.
 * Grants: customers read/write, secret read.
 */
export class UnsubscribeEndpoint extends Construct implements MonitoredJob {
  readonly job: JobFunction;
  readonly functionUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: UnsubscribeEndpointProps) {
    super(scope, id);
    this.job = new JobFunction(this, 'Job', {
      entry: handlerEntry('unsubscribe.ts'),
      jobName: 'unsubscribe',
      stageName: props.stageName,
      description: 'One-click unsubscribe endpoint (function URL)',
      environment: { ...baseEnvironment(props), UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.seconds(10),
    });
    grantTable(this.job.role, props.tables.customers, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);
    props.unsubscribeSecret.grantRead(this.job.role);
    this.functionUrl = this.job.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
  }
}
