import { ConditionalCheckFailedException, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describeIssues } from '../../domain/common.ts';
import { type Customer, CustomerSchema } from '../../domain/customer.ts';
import { shardOf } from '../../domain/shard.ts';
import { addDays } from '../../domain/time.ts';
import type { CustomerRepository, InvalidItem, Page } from '../../ports.ts';
import { batchGet, batchWrite } from './batch.ts';
import { NEXT_CHECK_INDEX, WINBACK_DUE_INDEX, WINBACK_INDEX } from './tables.ts';

export interface CustomerRepositoryOptions {
  indexShards: number;
  /** Items per scan page and index keys per query page. */
  pageSize?: number;
}

/**
 * Keys per index query page when no page size is set. The customer indexes project keys only (~70 B an entry), so a
 * 1 MB query page would list ~15,000 customers; 1,000 keeps a page near the ~1,000 items of ~1 KB that a page of the
 * former ALL projection held (10 BatchGetItem requests of 100).
 */
export const INDEX_PAGE_KEYS = 1_000;

/** Runs a conditional write: true if it was applied, false if its condition did not hold. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Customers in DynamoDB. Items are read back through CustomerSchema, so a corrupt item is reported, not trusted. */
export function dynamoCustomers(
  client: DynamoDBDocumentClient,
  table: string,
  options: CustomerRepositoryOptions,
): CustomerRepository {
  const shardKey = (c: Customer) =>
    c.dormantSince ? `ws#${String(shardOf(c.customerId, options.indexShards)).padStart(2, '0')}` : undefined;
  const shard = (c: Customer) => String(shardOf(c.customerId, options.indexShards)).padStart(2, '0');
  const toItem = (c: Customer, version: number) => ({
    ...c,
    version,
    winbackShard: shardKey(c),
    checkShard: c.nextCheckAt ? `${c.nextCheckAt.slice(0, 10)}#${shard(c)}` : undefined,
    winbackDueShard: c.winbackDueAt ? `wd#${shard(c)}` : undefined,
  });
  const parse = (
    raw: Record<string, unknown>,
    invalid: InvalidItem[],
    inconsistent?: InvalidItem[],
  ): Customer | undefined => {
    const { winbackShard: _w, checkShard: _c, winbackDueShard: _d, ...item } = raw;
    const result = CustomerSchema.safeParse(item);
    if (result.success) {
      if (inconsistent) {
        // The sparse index keys are derived from the data on every write; a mismatch means an item written by
        // something other than this adapter (or a bug): `clientele check` reports it, `--repair` rewrites it.
        const expected = toItem(result.data, result.data.version);
        const wrong = (['winbackShard', 'checkShard', 'winbackDueShard'] as const).filter(
          (k) => raw[k] !== expected[k],
        );
        if (wrong.length)
          inconsistent.push({
            key: `customer ${result.data.customerId}`,
            error: `index keys ${wrong.join(', ')} do not match the stored data`,
          });
      }
      return result.data;
    }
    invalid.push({ key: `customer ${String(raw.customerId)}`, error: describeIssues(result.error) });
    return undefined;
  };
  const parseOrThrow = (raw: Record<string, unknown>) => {
    const invalid: InvalidItem[] = [];
    const customer = parse(raw, invalid);
    if (!customer) throw new Error(`stored ${invalid[0]?.key} is invalid: ${invalid[0]?.error}`);
    return customer;
  };
  const pageOf = (items: Record<string, unknown>[] | undefined): Page<Customer> => {
    const invalid: InvalidItem[] = [];
    const inconsistent: InvalidItem[] = [];
    const customers: Customer[] = [];
    for (const raw of items ?? []) {
      const c = parse(raw, invalid, inconsistent);
      if (c) customers.push(c);
    }
    return inconsistent.length ? { items: customers, invalid, inconsistent } : { items: customers, invalid };
  };

  /**
   * One index query, page by page: the customer indexes project keys only (tables.ts), so each page of keys is read
   * from the table with strongly consistent BatchGetItem (UnprocessedKeys retried with backoff in batchGet). A
   * consistent read is never older than the index entry that pointed to it, so re-checking the item against the
   * query's condition (`matches`, also applied to the index entry before fetching) is exact: an item the index still
   * lists although it no longer matches (GSIs are updated asynchronously) is skipped, and so is one deleted since.
   * The page keeps the index order; a page whose items were all skipped is still yielded (empty).
   */
  async function* indexed(
    query: Omit<QueryCommandInput, 'TableName'>,
    matches: (item: Record<string, unknown>) => boolean,
    /** a last say on a fetched item that matches (dueForCheck: not twice in one call) */
    accept: (item: Record<string, unknown>) => boolean = () => true,
  ): AsyncGenerator<Page<Customer>> {
    const pages = paginateQuery(
      { client, pageSize: options.pageSize ?? INDEX_PAGE_KEYS },
      { TableName: table, ...query },
    );
    for await (const result of pages) {
      const ids: string[] = [];
      for (const entry of result.Items ?? []) {
        if (typeof entry.customerId === 'string' && matches(entry)) ids.push(entry.customerId);
      }
      const fetched = new Map<string, Record<string, unknown>>();
      if (ids.length) {
        const items = await batchGet(
          client,
          table,
          ids.map((customerId) => ({ customerId })),
          { consistent: true },
        );
        for (const item of items) fetched.set(String(item.customerId), item);
      }
      const invalid: InvalidItem[] = [];
      const customers: Customer[] = [];
      for (const id of new Set(ids)) {
        const item = fetched.get(id);
        if (!item || !matches(item) || !accept(item)) continue;
        const customer = parse(item, invalid);
        if (customer) customers.push(customer);
      }
      yield { items: customers, invalid };
    }
  }

  return {
    async get(customerId) {
      const result = await client.send(new GetCommand({ TableName: table, Key: { customerId }, ConsistentRead: true }));
      return result.Item ? parseOrThrow(result.Item) : undefined;
    },
    async getMany(customerIds) {
      const unique = [...new Set(customerIds)];
      const raw = await batchGet(
        client,
        table,
        unique.map((customerId) => ({ customerId })),
        { consistent: true },
      );
      const found = new Map<string, Customer>();
      for (const item of raw) found.set(String(item.customerId), parseOrThrow(item));
      return found;
    },
    async saveIfVersion(customer, expectedVersion) {
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: toItem(customer, (expectedVersion ?? -1) + 1),
            ...(expectedVersion === null
              ? { ConditionExpression: 'attribute_not_exists(customerId)' }
              : {
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': expectedVersion },
                }),
          }),
        ),
      );
    },
    async reserveMarketingSlot(customerId, at, notAfter) {
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: table,
            Key: { customerId },
            UpdateExpression: 'SET lastMarketingEmailAt = :at, #v = #v + :one',
            // Consent and suppression are part of the condition: a withdrawal after the sender's read wins (I2).
            ConditionExpression:
              'attribute_exists(customerId) AND consent.marketing = :yes AND attribute_not_exists(suppression) AND (attribute_not_exists(lastMarketingEmailAt) OR lastMarketingEmailAt <= :cutoff)',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':at': at, ':cutoff': notAfter, ':one': 1, ':yes': true },
          }),
        ),
      );
    },
    async reserveSend(customerId, { at, notAfter, episode, dueAt }) {
      const dueShard = `wd#${String(shardOf(customerId, options.indexShards)).padStart(2, '0')}`;
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { customerId },
            UpdateExpression: dueAt
              ? 'SET lastMarketingEmailAt = :at, winbackDueAt = :due, winbackDueShard = :shard, #v = #v + :one'
              : 'SET lastMarketingEmailAt = :at, #v = #v + :one REMOVE winbackDueAt, winbackDueShard',
            // Consent, suppression, the cap and the episode in one condition: whatever changed since planning wins.
            ConditionExpression: [
              'attribute_exists(customerId) AND attribute_exists(email)',
              'consent.marketing = :yes AND attribute_not_exists(suppression)',
              '(attribute_not_exists(lastMarketingEmailAt) OR lastMarketingEmailAt <= :cutoff)',
              episode.stage === 'dormant'
                ? 'dormantSince = :start'
                : // no purchase since the episode began: a purchase ends it even where the stage stays the same
                  'stage = :stage AND stageSince = :start AND (attribute_not_exists(lastPurchaseAt) OR lastPurchaseAt <= :start)',
            ].join(' AND '),
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: {
              ':at': at,
              ':cutoff': notAfter,
              ':one': 1,
              ':yes': true,
              ':start': episode.start,
              ...(episode.stage === 'dormant' ? {} : { ':stage': episode.stage }),
              ...(dueAt ? { ':due': dueAt, ':shard': dueShard } : {}),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return result.Attributes ? parseOrThrow(result.Attributes) : undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
    async releaseMarketingSlot(customerId, at, previous) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { customerId },
            UpdateExpression: previous
              ? 'SET lastMarketingEmailAt = :previous, #v = #v + :one'
              : 'REMOVE lastMarketingEmailAt SET #v = #v + :one',
            ConditionExpression: 'lastMarketingEmailAt = :at',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':at': at, ':one': 1, ...(previous ? { ':previous': previous } : {}) },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
    async deleteIfVersion(customerId, expectedVersion) {
      return conditionally(() =>
        client.send(
          new DeleteCommand({
            TableName: table,
            Key: { customerId },
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': expectedVersion },
          }),
        ),
      );
    },
    async seedMany(customers) {
      await batchWrite(
        client,
        table,
        customers.map((c) => ({ PutRequest: { Item: toItem(c, c.version) } })),
      );
    },
    async approximateCount() {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      return Table?.ItemCount ?? 0;
    },
    async deleteMany(customerIds) {
      await batchWrite(
        client,
        table,
        customerIds.map((customerId) => ({ DeleteRequest: { Key: { customerId } } })),
      );
    },
    async *scan({ segment, totalSegments }, from) {
      const pages = paginateScan(
        {
          client,
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
          // The table's key is customerId alone, so the cursor is the last customer id read.
          ...(from ? { startingToken: { customerId: from } } : {}),
        },
        { TableName: table, Segment: segment, TotalSegments: totalSegments },
      );
      for await (const result of pages) {
        const page = pageOf(result.Items);
        const last = result.LastEvaluatedKey?.customerId;
        yield typeof last === 'string' ? { ...page, next: last } : page;
      }
    },
    async *dueForCheck(after, upTo) {
      // Customers the index still listed under an earlier day of the window although their check had moved to a
      // later one (the index lags the table): yielded there, skipped when their new partition lists them.
      const yieldedAhead = new Set<string>();
      // One partition per day and shard; the sort key bounds the instants exactly.
      for (
        let day = after.slice(0, 10);
        day <= upTo.slice(0, 10);
        day = addDays(`${day}T00:00:00.000Z`, 1).slice(0, 10)
      ) {
        for (let n = 0; n < options.indexShards; n++) {
          yield* indexed(
            {
              IndexName: NEXT_CHECK_INDEX,
              KeyConditionExpression: 'checkShard = :s AND nextCheckAt BETWEEN :after AND :upTo',
              ExpressionAttributeValues: {
                ':s': `${day}#${String(n).padStart(2, '0')}`,
                ':after': after,
                ':upTo': upTo,
              },
            },
            // BETWEEN is inclusive; the window is (after, upTo].
            (item) => typeof item.nextCheckAt === 'string' && item.nextCheckAt > after && item.nextCheckAt <= upTo,
            (item) => {
              const id = String(item.customerId);
              const itsDay = String(item.nextCheckAt).slice(0, 10);
              if (itsDay === day) return !yieldedAhead.delete(id);
              if (itsDay > day) yieldedAhead.add(id);
              return true;
            },
          );
        }
      }
    },
    async setWinbackDue(customerId, episodeStart, dueAt, expected) {
      const shardOfId = `wd#${String(shardOf(customerId, options.indexShards)).padStart(2, '0')}`;
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: table,
            Key: { customerId },
            UpdateExpression: dueAt
              ? 'SET winbackDueAt = :due, winbackDueShard = :shard, #v = #v + :one'
              : 'REMOVE winbackDueAt, winbackDueShard SET #v = #v + :one',
            // Only for the episode the decision was made for: a purchase or a new episode since then wins.
            ConditionExpression: [
              'attribute_exists(customerId)',
              episodeStart ? 'dormantSince = :episode' : 'attribute_not_exists(dormantSince)',
              ...(expected ? [expected.dueAt ? 'winbackDueAt = :expected' : 'attribute_not_exists(winbackDueAt)'] : []),
            ].join(' AND '),
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: {
              ':one': 1,
              ...(dueAt ? { ':due': dueAt, ':shard': shardOfId } : {}),
              ...(episodeStart ? { ':episode': episodeStart } : {}),
              ...(expected?.dueAt ? { ':expected': expected.dueAt } : {}),
            },
          }),
        ),
      );
    },
    async *dueForWinback(upTo) {
      for (let shard = 0; shard < options.indexShards; shard++) {
        yield* indexed(
          {
            IndexName: WINBACK_DUE_INDEX,
            KeyConditionExpression: 'winbackDueShard = :s AND winbackDueAt <= :upTo',
            ExpressionAttributeValues: { ':s': `wd#${String(shard).padStart(2, '0')}`, ':upTo': upTo },
          },
          (item) => typeof item.winbackDueAt === 'string' && item.winbackDueAt <= upTo,
        );
      }
    },
    async *dormantBetween(from, to) {
      for (let shard = 0; shard < options.indexShards; shard++) {
        yield* indexed(
          {
            IndexName: WINBACK_INDEX,
            KeyConditionExpression: 'winbackShard = :s AND dormantSince BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':s': `ws#${String(shard).padStart(2, '0')}`, ':from': from, ':to': to },
          },
          (item) => typeof item.dormantSince === 'string' && item.dormantSince >= from && item.dormantSince <= to,
        );
      }
    },
  };
}
