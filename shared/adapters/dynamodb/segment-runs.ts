import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { describeIssues } from '../../domain/common.ts';
import type { SegmentCheckpoint, SegmentRunStore } from '../../ports.ts';

/** Checkpoints expire two weeks after their last write (the snapshots table's TTL attribute `expiresAt`). */
const KEEP_SECONDS = 14 * 86_400;

const CheckpointItemSchema = z.object({
  segment: z.number().int().nonnegative(),
  done: z.boolean(),
  cursor: z.string().optional(),
  scanned: z.number().int().nonnegative(),
  /** gzipped JSON: a cohort partial of many years stays far below the 400 KB item limit */
  state: z.instanceof(Uint8Array),
});

/** Full-pass checkpoints in the snapshots table: `run#<runId>` / `segment#000042`. */
export function dynamoSegmentRuns(client: DynamoDBDocumentClient, table: string): SegmentRunStore {
  const id = (runId: string) => `run#${runId}`;
  const part = (segment: number) => `segment#${String(segment).padStart(6, '0')}`;
  const parse = (raw: Record<string, unknown>): SegmentCheckpoint => {
    const item = CheckpointItemSchema.safeParse(raw);
    if (!item.success) {
      throw new Error(`stored checkpoint ${String(raw.snapshotId)} ${String(raw.part)}: ${describeIssues(item.error)}`);
    }
    const { state: gzipped, cursor, ...rest } = item.data;
    // The job that reads the state validates it.
    const state: unknown = JSON.parse(gunzipSync(gzipped).toString('utf8'));
    return { ...rest, ...(cursor ? { cursor } : {}), state };
  };
  return {
    async loadSegment(runId, segment) {
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { snapshotId: id(runId), part: part(segment) }, ConsistentRead: true }),
      );
      return result.Item ? parse(result.Item) : undefined;
    },
    async saveSegment(runId, checkpoint) {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: {
            snapshotId: id(runId),
            part: part(checkpoint.segment),
            segment: checkpoint.segment,
            done: checkpoint.done,
            ...(checkpoint.cursor ? { cursor: checkpoint.cursor } : {}),
            scanned: checkpoint.scanned,
            state: gzipSync(JSON.stringify(checkpoint.state)),
            expiresAt: Math.floor(Date.now() / 1000) + KEEP_SECONDS,
          },
        }),
      );
    },
    async loadSegments(runId) {
      const out: SegmentCheckpoint[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName: table,
          KeyConditionExpression: 'snapshotId = :id AND begins_with(part, :p)',
          ExpressionAttributeValues: { ':id': id(runId), ':p': 'segment#' },
          ConsistentRead: true,
        },
      );
      for await (const result of pages) for (const item of result.Items ?? []) out.push(parse(item));
      return out;
    },
  };
}
