import { performance } from 'node:perf_hooks';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CommandCounts } from './counting.ts';

/** Progress goes to stderr, so `npm run bench > results.md` keeps only the report. */
export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
export const seconds = (startMs: number) => (performance.now() - startMs) / 1000;
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Wall time, and this process's CPU time (the client side: SDK, schema parsing, the job; with dynalite also the
 * server, which runs on a worker thread of this process). */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, seconds: seconds(start), cpuSeconds: (used.user + used.system) / 1e6 };
}

/** A fixed CPU-bound loop, to compare this machine's single-core speed with others (~0.1 s on a current laptop). */
export function calibrationLoopSeconds(): number {
  const start = performance.now();
  let sum = 0;
  for (let i = 0; i < 1e8; i++) sum += i;
  if (sum < 0) throw new Error('unreachable');
  return seconds(start);
}

/** The sum of one counter field over the given command names (all commands when none are given). */
export const pick = (counts: Record<string, CommandCounts>, key: keyof CommandCounts, ...commands: string[]) =>
  Object.entries(counts)
    .filter(([name]) => commands.length === 0 || commands.includes(name))
    .reduce((n, [, c]) => n + c[key], 0);

export const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // NaN only for no values (an index out of range).
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
};

const jsonBytes = (item: unknown) => Buffer.byteLength(JSON.stringify(item));

export interface ItemSample {
  avg: number;
  /** average of the items in the win-back GSI (`winbackShard` set) */
  avgIndexed: number;
  sample: number;
  /** share of the sampled items carrying each customer GSI's partition key (projection ALL: a full copy each) */
  gsiShares: { nextCheck: number; dormancy: number; winbackDue: number };
}

/**
 * Average JSON size of the first `limit` items of a Scan (hash order: an unbiased sample), and the share of items
 * that carry each GSI's partition key.
 */
export async function sampleItems(client: DynamoDBDocumentClient, table: string, limit: number): Promise<ItemSample> {
  const all: number[] = [];
  const indexed: number[] = [];
  const shares = { nextCheck: 0, dormancy: 0, winbackDue: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, Limit: limit }));
    for (const item of page.Items ?? []) {
      const bytes = jsonBytes(item);
      all.push(bytes);
      if (item.winbackShard) indexed.push(bytes);
      if (item.checkShard) shares.nextCheck += 1;
      if (item.winbackShard) shares.dormancy += 1;
      if (item.winbackDueShard) shares.winbackDue += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && all.length < limit);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const n = Math.max(1, all.length);
  return {
    avg: avg(all),
    avgIndexed: avg(indexed),
    sample: all.length,
    gsiShares: { nextCheck: shares.nextCheck / n, dormancy: shares.dormancy / n, winbackDue: shares.winbackDue / n },
  };
}
