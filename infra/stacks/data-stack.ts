import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from '../config.ts';
import { ClienteleData } from '../constructs/data.ts';

export interface ClienteleDataStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

/**
 * Stateful resources only (tables, reports bucket, unsubscribe secret). Deployed separately from the functions,
 * so the jobs stack can be changed, destroyed and recreated without touching data.
 */
export class ClienteleDataStack extends Stack {
  readonly data: ClienteleData;

  constructor(scope: Construct, id: string, props: ClienteleDataStackProps) {
    super(scope, id, {
      description: `clientele ${props.config.stageName}: DynamoDB tables, reports bucket, unsubscribe secret`,
      terminationProtection: props.config.production,
      ...props,
    });
    const { config } = props;
    this.data = new ClienteleData(this, 'Data', {
      stageName: config.stageName,
      production: config.production,
      reportRetentionDays: config.reportRetentionDays,
      reportsAccessLogs: config.reportsAccessLogs,
    });

    const { tables } = this.data;
    new CfnOutput(this, 'CustomersTableName', { value: tables.customers.tableName });
    new CfnOutput(this, 'OrdersTableName', { value: tables.orders.tableName });
    new CfnOutput(this, 'LedgerTableName', { value: tables.ledger.tableName });
    new CfnOutput(this, 'SnapshotsTableName', { value: tables.snapshots.tableName });
    new CfnOutput(this, 'ReportsBucketName', { value: this.data.reportsBucket.bucketName });
  }
}
