import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  CustomerRepository,
  ErasureRegistry,
  OrderRepository,
  SegmentRunStore,
  SendLedger,
  SnapshotStore,
} from '../ports.ts';
import { dynamoCustomers } from './dynamodb/customer-repository.ts';
import { dynamoErasures } from './dynamodb/erasure-registry.ts';
import { dynamoOrders } from './dynamodb/order-repository.ts';
import { dynamoSegmentRuns } from './dynamodb/segment-runs.ts';
import { dynamoSendLedger } from './dynamodb/send-ledger.ts';
import { dynamoSnapshots } from './dynamodb/snapshot-store.ts';
import type { TableNames } from './dynamodb/tables.ts';

export interface Stores {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
  snapshots: SnapshotStore;
  /** full-pass checkpoints, in the snapshots table */
  runs: SegmentRunStore;
  /** keyed hashes of erased ids and addresses, in the snapshots table */
  erasures: ErasureRegistry;
}

/** The DynamoDB-backed stores, built the same way in Lambda handlers, the CLI and the tests. */
export function dynamoStores(
  client: DynamoDBDocumentClient,
  tables: TableNames,
  options: { indexShards: number; pageSize?: number },
): Stores {
  return {
    customers: dynamoCustomers(client, tables.customers, options),
    orders: dynamoOrders(client, tables.orders),
    ledger: dynamoSendLedger(client, tables.ledger),
    snapshots: dynamoSnapshots(client, tables.snapshots),
    runs: dynamoSegmentRuns(client, tables.snapshots),
    erasures: dynamoErasures(client, tables.snapshots),
  };
}
