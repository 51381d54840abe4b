import { dynamoStores } from '../shared/adapters/build-adapters.ts';
import { documentClient } from '../shared/adapters/dynamodb/client.ts';
import { parseEnv, TablesEnv } from './env.ts';

/** DynamoDB stores from the validated table environment, built once per container. */
export function storesFromEnv(indexShards: number) {
  const env = parseEnv(TablesEnv);
  return dynamoStores(
    documentClient(),
    {
      customers: env.CUSTOMERS_TABLE,
      orders: env.ORDERS_TABLE,
      ledger: env.LEDGER_TABLE,
      snapshots: env.SNAPSHOTS_TABLE,
    },
    { indexShards },
  );
}
