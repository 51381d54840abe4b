import { dynamoStores, type Stores } from '../shared/adapters/build-adapters.ts';
import { documentClient } from '../shared/adapters/dynamodb/client.ts';
import { TABLE_ENV, type TableRole } from './env.ts';

/** The stores a table gives: the snapshots table also holds the full-pass checkpoints and the erasure registry. */
const ROLES: readonly TableRole[] = ['customers', 'orders', 'ledger', 'snapshots'];

type StoresOfRole<R extends TableRole> = R extends 'snapshots' ? 'snapshots' | 'runs' | 'erasures' : R;
type RoleIn<E> = { [R in TableRole]: (typeof TABLE_ENV)[R] extends keyof E ? R : never }[TableRole];
export type StoresFor<E> = Pick<Stores, StoresOfRole<RoleIn<E>>>;

/**
 * The DynamoDB stores of the tables a job's parsed environment names, built once per container. A store of a
 * table the function is not bound to is not there (its type says so), rather than failing on first use.
 */
export function storesFromEnv<E extends Partial<Record<(typeof TABLE_ENV)[TableRole], string>>>(
  env: E,
  indexShards: number,
): StoresFor<E> {
  // Tables not bound get a name that cannot exist; their stores are removed below before anyone sees them.
  const unbound = '(not bound to this function)';
  const all = dynamoStores(
    documentClient(),
    {
      customers: env.CUSTOMERS_TABLE ?? unbound,
      orders: env.ORDERS_TABLE ?? unbound,
      ledger: env.LEDGER_TABLE ?? unbound,
      snapshots: env.SNAPSHOTS_TABLE ?? unbound,
    },
    { indexShards },
  );
  const bound = new Set<string>();
  for (const role of ROLES) {
    if (env[TABLE_ENV[role]] === undefined) continue;
    bound.add(role);
    if (role === 'snapshots') bound.add('runs').add('erasures');
  }
  // cast: the entries kept are exactly the stores of the bound roles, which is what StoresFor<E> names.
  return Object.fromEntries(Object.entries(all).filter(([key]) => bound.has(key))) as StoresFor<E>;
}
