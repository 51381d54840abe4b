import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { runConcurrently } from '../../concurrency.ts';

const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET = 100;
const MAX_ROUNDS = 12;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter (AWS architecture blog), capped at 2 s. */
function backoff(round: number): number {
  return Math.random() * Math.min(2_000, 25 * 2 ** round);
}

/**
 * BatchWriteItem in chunks of 25, `concurrency` chunks in flight. The SDK retries throttled calls but not the
 * UnprocessedItems of a partly successful call; those are re-sent here with backoff until none are left.
 */
export async function batchWrite(
  client: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  concurrency = 4,
): Promise<void> {
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += MAX_BATCH_WRITE) chunks.push(requests.slice(i, i + MAX_BATCH_WRITE));
  await runConcurrently(chunks, concurrency, async (chunk) => {
    // As the SDK returns the unprocessed ones: each request with its Put or Delete part.
    let pending: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS)
        throw new Error(`${pending.length} items still unprocessed in ${table} after ${round} rounds`);
      if (round > 0) await sleep(backoff(round));
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = result.UnprocessedItems?.[table] ?? [];
    }
  });
}

/** BatchGetItem in chunks of 100 with the same retry of UnprocessedKeys. */
export async function batchGet(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: { concurrency?: number; consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const concurrency = options.concurrency ?? 4;
  // BatchGetItem rejects a request that names the same key twice.
  const unique = [...new Map(keys.map((k) => [JSON.stringify(k), k])).values()];
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < unique.length; i += MAX_BATCH_GET) chunks.push(unique.slice(i, i + MAX_BATCH_GET));
  const found: Record<string, unknown>[] = [];
  await runConcurrently(chunks, concurrency, async (chunk) => {
    let pending = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`${pending.length} keys still unprocessed in ${table}`);
      if (round > 0) await sleep(backoff(round));
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) } },
        }),
      );
      found.push(...(result.Responses?.[table] ?? []));
      pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  });
  return found;
}
