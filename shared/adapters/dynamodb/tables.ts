import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export interface TableNames {
  customers: string;
  orders: string;
  ledger: string;
  snapshots: string;
}

export function tableNames(prefix = 'clientele'): TableNames {
  return {
    customers: `${prefix}-customers`,
    orders: `${prefix}-orders`,
    ledger: `${prefix}-ledger`,
    snapshots: `${prefix}-snapshots`,
  };
}

/** Name of the sparse, sharded index listing customers in a dormancy episode. */
export const WINBACK_INDEX = 'winback-by-dormant-since';
/** Customers by the day their stage can next change (`checkShard` = `YYYY-MM-DD#NN`) and the exact instant. */
export const NEXT_CHECK_INDEX = 'next-check';
/** Customers with a win-back step due (`winbackDueShard` = `wd#NN`, sparse) by the instant it falls due. */
export const WINBACK_DUE_INDEX = 'winback-due';
/** Sparse index of ledger claims whose SES outcome is not known yet (`pendingShard` set only while claimed). */
export const PENDING_CLAIMS_INDEX = 'pending-claims';
export const PENDING_SHARDS = 4;

/**
 * Key schemas, shared by the local servers and (as documentation) by the CDK stack, which declares the same keys.
 *  customers: customerId; GSI winbackShard (`ws#NN`, only set while dormantSince is) + dormantSince;
 *             GSI checkShard (`YYYY-MM-DD#NN` of nextCheckAt, sparse) + nextCheckAt
 *             GSI winbackDueShard (`wd#NN`, only set while winbackDueAt is) + winbackDueAt
 *  orders:    customerId + orderId
 *  ledger:    customerId + key (`campaign#episode#step`); GSI pendingShard (`pc#N`, only while claimed) + claimedAt
 *  snapshots: snapshotId (`cohorts#<asOf>`) + part (`summary` | `cohort#YYYY-MM`)
 */
export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  const onDemand = { BillingMode: 'PAY_PER_REQUEST' as const };
  return [
    {
      TableName: names.customers,
      ...onDemand,
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'winbackShard', AttributeType: 'S' },
        { AttributeName: 'dormantSince', AttributeType: 'S' },
        { AttributeName: 'checkShard', AttributeType: 'S' },
        { AttributeName: 'nextCheckAt', AttributeType: 'S' },
        { AttributeName: 'winbackDueShard', AttributeType: 'S' },
        { AttributeName: 'winbackDueAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: WINBACK_INDEX,
          KeySchema: [
            { AttributeName: 'winbackShard', KeyType: 'HASH' },
            { AttributeName: 'dormantSince', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: NEXT_CHECK_INDEX,
          KeySchema: [
            { AttributeName: 'checkShard', KeyType: 'HASH' },
            { AttributeName: 'nextCheckAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: WINBACK_DUE_INDEX,
          KeySchema: [
            { AttributeName: 'winbackDueShard', KeyType: 'HASH' },
            { AttributeName: 'winbackDueAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    {
      TableName: names.orders,
      ...onDemand,
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'orderId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'orderId', KeyType: 'RANGE' },
      ],
    },
    {
      TableName: names.ledger,
      ...onDemand,
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'key', AttributeType: 'S' },
        { AttributeName: 'pendingShard', AttributeType: 'S' },
        { AttributeName: 'claimedAt', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'key', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: PENDING_CLAIMS_INDEX,
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'claimedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    {
      TableName: names.snapshots,
      ...onDemand,
      AttributeDefinitions: [
        { AttributeName: 'snapshotId', AttributeType: 'S' },
        { AttributeName: 'part', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'snapshotId', KeyType: 'HASH' },
        { AttributeName: 'part', KeyType: 'RANGE' },
      ],
    },
  ];
}
