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
 * The customer indexes hold keys only (customerId + the index keys, ~70 B an entry); the repository reads the items
 * from the table after the index query (BatchGetItem, strongly consistent). With ALL, every customer write rewrote
 * its ~1 KB item in each index it is in (2 WRU per copy over 1 KB); with KEYS_ONLY an index is written only when its
 * key attributes change (entering, moving in or leaving it), and it stores ~70 B instead of a full copy. INCLUDE
 * would buy nothing: the queries filter on their key attributes only, and every caller needs the whole, current item
 * anyway (the jobs write it back on the version they read).
 *
 * The pending-claims index of the ledger stays ALL: a ledger entry (~240 B) is in it only between its claim and its
 * SES outcome, and is written into and out of it by the key change itself, so KEYS_ONLY would save no write unit
 * and cost reconcile a read per entry.
 */
export const CUSTOMER_INDEX_PROJECTION = { ProjectionType: 'KEYS_ONLY' } as const;

/**
 * Key schemas, shared by the local servers and (as documentation) by the CDK stack, which declares the same keys.
 *  customers: customerId; GSIs projecting keys only (CUSTOMER_INDEX_PROJECTION):
 *             GSI winbackShard (`ws#NN`, only set while dormantSince is) + dormantSince;
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
          Projection: CUSTOMER_INDEX_PROJECTION,
        },
        {
          IndexName: NEXT_CHECK_INDEX,
          KeySchema: [
            { AttributeName: 'checkShard', KeyType: 'HASH' },
            { AttributeName: 'nextCheckAt', KeyType: 'RANGE' },
          ],
          Projection: CUSTOMER_INDEX_PROJECTION,
        },
        {
          IndexName: WINBACK_DUE_INDEX,
          KeySchema: [
            { AttributeName: 'winbackDueShard', KeyType: 'HASH' },
            { AttributeName: 'winbackDueAt', KeyType: 'RANGE' },
          ],
          Projection: CUSTOMER_INDEX_PROJECTION,
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
