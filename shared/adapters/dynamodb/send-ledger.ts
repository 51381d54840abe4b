import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describeIssues } from '../../domain/common.ts';
import { shardOf } from '../../domain/shard.ts';
import { type LedgerEntry, LedgerEntrySchema } from '../../domain/winback.ts';
import type { InvalidItem, LedgerUpdate, SendLedger } from '../../ports.ts';
import { batchGet, batchWrite } from './batch.ts';
import { PENDING_CLAIMS_INDEX, PENDING_SHARDS } from './tables.ts';

const pendingShardOf = (customerId: string) => `pc#${shardOf(customerId, PENDING_SHARDS)}`;

/** SET the given fields; leaving `claimed` removes the entry from the pending-claims index. */
function updateOf(customerId: string, key: string, update: LedgerUpdate) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [field, value] of Object.entries(update)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  const remove = update.status === 'claimed' ? '' : ' REMOVE pendingShard';
  return {
    TableName: '',
    Key: { customerId, key },
    UpdateExpression: `SET ${sets.join(', ')}${remove}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function dynamoSendLedger(client: DynamoDBDocumentClient, table: string): SendLedger {
  const parseAll = (items: Record<string, unknown>[] | undefined) => {
    const entries: LedgerEntry[] = [];
    const invalid: InvalidItem[] = [];
    const inconsistent: InvalidItem[] = [];
    for (const raw of items ?? []) {
      const parsed = LedgerEntrySchema.safeParse(raw);
      if (parsed.success) {
        entries.push(parsed.data);
        // The pending-claims index must list exactly the claims whose SES outcome is unknown.
        const expected = parsed.data.status === 'claimed' ? pendingShardOf(parsed.data.customerId) : undefined;
        if (raw.pendingShard !== expected)
          inconsistent.push({
            key: `ledger ${parsed.data.customerId}/${parsed.data.key}`,
            error: expected
              ? 'claimed but missing from the pending-claims index'
              : `${parsed.data.status} but still in the pending-claims index`,
          });
      } else
        invalid.push({
          key: `ledger ${String(raw.customerId)}/${String(raw.key)}`,
          error: describeIssues(parsed.error),
        });
    }
    return inconsistent.length ? { items: entries, invalid, inconsistent } : { items: entries, invalid };
  };
  return {
    async claim(entry) {
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: entry.status === 'claimed' ? { ...entry, pendingShard: pendingShardOf(entry.customerId) } : entry,
            // A released entry (SES refused for a transient reason) may be claimed again; any other may not.
            ConditionExpression: 'attribute_not_exists(#k) OR #s = :released',
            ExpressionAttributeNames: { '#k': 'key', '#s': 'status' },
            ExpressionAttributeValues: { ':released': 'released' },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async complete(customerId, key, update) {
      await client.send(new UpdateCommand({ ...updateOf(customerId, key, update), TableName: table }));
    },
    async resolveClaim(customerId, key, update) {
      const command = { ...updateOf(customerId, key, update), TableName: table };
      try {
        await client.send(
          new UpdateCommand({
            ...command,
            ConditionExpression: '#status = :claimedStatus',
            ExpressionAttributeNames: { ...command.ExpressionAttributeNames, '#status': 'status' },
            ExpressionAttributeValues: { ...command.ExpressionAttributeValues, ':claimedStatus': 'claimed' },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async *pendingClaims(claimedBefore) {
      for (let shard = 0; shard < PENDING_SHARDS; shard++) {
        const pages = paginateQuery(
          { client },
          {
            TableName: table,
            IndexName: PENDING_CLAIMS_INDEX,
            KeyConditionExpression: 'pendingShard = :s AND claimedAt <= :t',
            ExpressionAttributeValues: { ':s': `pc#${shard}`, ':t': claimedBefore },
          },
        );
        for await (const result of pages) {
          const page = parseAll(result.Items);
          yield { items: page.items.filter((e) => e.status === 'claimed'), invalid: page.invalid };
        }
      }
    },
    async forCustomer(customerId, prefix) {
      const entries: LedgerEntry[] = [];
      const pages = paginateQuery(
        { client },
        // DynamoDB refuses an empty string in a key condition (dynalite does not): no prefix, no begins_with.
        prefix
          ? {
              TableName: table,
              KeyConditionExpression: 'customerId = :c AND begins_with(#k, :p)',
              ExpressionAttributeNames: { '#k': 'key' },
              ExpressionAttributeValues: { ':c': customerId, ':p': prefix },
              ConsistentRead: true,
            }
          : {
              TableName: table,
              KeyConditionExpression: 'customerId = :c',
              ExpressionAttributeValues: { ':c': customerId },
              ConsistentRead: true,
            },
      );
      for await (const result of pages) {
        const page = parseAll(result.Items);
        if (page.invalid.length)
          throw new Error(`stored ${page.invalid[0]?.key} is invalid: ${page.invalid[0]?.error}`);
        entries.push(...page.items);
      }
      return entries;
    },
    async recordFirst(customerId, key, field, at, bounceType) {
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { customerId, key },
            UpdateExpression: `SET #f = if_not_exists(#f, :at)${bounceType ? ', bounceType = :bt' : ''}`,
            ConditionExpression: 'attribute_exists(#k)',
            ExpressionAttributeNames: { '#f': field, '#k': 'key' },
            ExpressionAttributeValues: { ':at': at, ...(bounceType ? { ':bt': bounceType } : {}) },
            // The status is not changed by this update: the new image's is the entry's.
            ReturnValues: 'ALL_NEW',
          }),
        );
        const status = LedgerEntrySchema.shape.status.safeParse(result.Attributes?.status);
        return status.success ? status.data : undefined;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return undefined;
      }
    },
    async get(customerId, key) {
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { customerId, key }, ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      const page = parseAll([result.Item]);
      if (page.invalid.length) throw new Error(`stored ${page.invalid[0]?.key} is invalid: ${page.invalid[0]?.error}`);
      return page.items[0];
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const raw = await batchGet(
        client,
        table,
        keys.map((k) => ({ customerId: k.customerId, key: k.key })),
      );
      const page = parseAll(raw);
      if (page.invalid.length) throw new Error(`stored ${page.invalid[0]?.key} is invalid: ${page.invalid[0]?.error}`);
      return page.items;
    },
    async deleteMany(keys) {
      await batchWrite(
        client,
        table,
        keys.map((k) => ({ DeleteRequest: { Key: { customerId: k.customerId, key: k.key } } })),
      );
    },
    async *scanAll() {
      for await (const result of paginateScan({ client }, { TableName: table })) yield parseAll(result.Items);
    },
  };
}
