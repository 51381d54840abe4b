import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ErasureEntry, ErasureEntrySchema } from '../../domain/erasure.ts';
import type { ErasureRegistry } from '../../ports.ts';
import { batchGet, batchWrite } from './batch.ts';

const PART = 'erasure';

/**
 * The erasure registry in the snapshots table: one item per keyed hash (`erasure#<hash>`), so a lookup is a key read
 * and no scan ever mixes these with customers. Entries are validated on write and on read.
 */
export function dynamoErasures(client: DynamoDBDocumentClient, table: string): ErasureRegistry {
  return {
    async record(entries) {
      await batchWrite(
        client,
        table,
        entries.map((e) => ({
          PutRequest: { Item: { snapshotId: `erasure#${e.hash}`, part: PART, ...ErasureEntrySchema.parse(e) } },
        })),
      );
    },
    async find(hashes) {
      if (hashes.length === 0) return [];
      const raw = await batchGet(
        client,
        table,
        hashes.map((h) => ({ snapshotId: `erasure#${h}`, part: PART })),
        { consistent: true },
      );
      const found: ErasureEntry[] = [];
      for (const item of raw) {
        const parsed = ErasureEntrySchema.safeParse(item);
        if (parsed.success) found.push(parsed.data);
      }
      return found;
    },
  };
}
