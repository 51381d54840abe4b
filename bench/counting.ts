import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What one command name did, as seen by the application (SDK retries are below this layer and not counted). */
export interface CommandCounts {
  requests: number;
  /** requests that ended in an error (a failed conditional write still consumes write capacity) */
  errors: number;
  /** Scan/Query: items DynamoDB evaluated (ScannedCount, the billing basis); Get/BatchGet: items returned */
  itemsRead: number;
  /** BatchGet: keys asked for (a key that is not found is still billed the minimum read) */
  keysRequested: number;
  /** items written: 1 per Put/Update/Delete, per processed request in a BatchWrite */
  writeRequests: number;
  /** BatchWrite requests returned unprocessed (re-sent by the adapter, counted again when re-sent) */
  unprocessed: number;
  /** customer writes whose new item carries `winbackShard`, i.e. that also write the win-back GSI */
  indexedWrites: number;
  /**
   * Read capacity units the server reported (ReturnConsumedCapacity INDEXES, injected into every request): table
   * and index reads, eventually or strongly consistent, item sizes rounded the way DynamoDB bills them.
   */
  readUnits: number;
  /**
   * Minimum reads the local servers do not report: a key asked for and not found (GetItem, BatchGetItem) is billed
   * 0.5 RCU (1 if strongly consistent) all the same.
   */
  missingKeyUnits: number;
  /** what brings every Query/Scan request to at least MIN_RCU_PER_QUERY (an empty query is reported as 0 locally) */
  queryFloorUnits: number;
  /** readUnits + missingKeyUnits + queryFloorUnits: the read units the model bills */
  readUnitsBilled: number;
  /** Write capacity units the server reported: the table write plus every GSI copy written (a key change: 2). */
  writeUnits: number;
  /** the part of readUnits consumed by reading a global secondary index */
  indexReadUnits: number;
  /** the part of writeUnits consumed by GSI copies */
  indexWriteUnits: number;
}

/** Minimum read units assumed per Query/Scan request (an empty query is reported as 0 by the local servers). */
export const MIN_RCU_PER_QUERY = 1;

const empty = (): CommandCounts => ({
  requests: 0,
  errors: 0,
  itemsRead: 0,
  keysRequested: 0,
  writeRequests: 0,
  unprocessed: 0,
  indexedWrites: 0,
  readUnits: 0,
  missingKeyUnits: 0,
  queryFloorUnits: 0,
  readUnitsBilled: 0,
  writeUnits: 0,
  indexReadUnits: 0,
  indexWriteUnits: 0,
});

/** The sum of two counts, field by field (every field: the return type requires each). */
const add = (a: CommandCounts, b: CommandCounts): CommandCounts => ({
  requests: a.requests + b.requests,
  errors: a.errors + b.errors,
  itemsRead: a.itemsRead + b.itemsRead,
  keysRequested: a.keysRequested + b.keysRequested,
  writeRequests: a.writeRequests + b.writeRequests,
  unprocessed: a.unprocessed + b.unprocessed,
  indexedWrites: a.indexedWrites + b.indexedWrites,
  readUnits: a.readUnits + b.readUnits,
  missingKeyUnits: a.missingKeyUnits + b.missingKeyUnits,
  queryFloorUnits: a.queryFloorUnits + b.queryFloorUnits,
  readUnitsBilled: a.readUnitsBilled + b.readUnitsBilled,
  writeUnits: a.writeUnits + b.writeUnits,
  indexReadUnits: a.indexReadUnits + b.indexReadUnits,
  indexWriteUnits: a.indexWriteUnits + b.indexWriteUnits,
});

type Item = Record<string, unknown>;

/** Any non-null object: its properties, read by name, are unknown values. */
const isItem = (value: unknown): value is Item => typeof value === 'object' && value !== null;
const asRecord = (value: unknown): Item => (isItem(value) ? value : {});
const countIn = (byTable: unknown): number =>
  Object.values(asRecord(byTable)).reduce<number>((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** Total and index capacity units of a ConsumedCapacity answer (one object, or one per table for batches). */
function consumed(output: Item): { total: number; index: number } {
  const raw = output.ConsumedCapacity;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  let total = 0;
  let index = 0;
  for (const c of list.map(asRecord)) {
    total += Number(c.CapacityUnits ?? 0);
    for (const byIndex of [c.GlobalSecondaryIndexes, c.LocalSecondaryIndexes]) {
      for (const i of Object.values(asRecord(byIndex))) index += Number(asRecord(i).CapacityUnits ?? 0);
    }
  }
  return { total, index };
}

/**
 * Counts the DynamoDB work of the real adapters: a middleware on the document client (initialize step, so it sees
 * native items and one entry per logical call) adds up requests, items read, write requests and the capacity units
 * the server reports per command name. It asks every request for ReturnConsumedCapacity INDEXES (the adapters
 * never read that field, so their behaviour is unchanged).
 */
export class DynamoCounter {
  private counts = new Map<string, CommandCounts>();

  attach(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const counts = this.counts.get(name) ?? empty();
        this.counts.set(name, counts);
        counts.requests += 1;
        const input = asRecord(args.input);
        const measured =
          (READS.has(name) || WRITES.has(name)) && !input.ReturnConsumedCapacity
            ? { ...args, input: { ...args.input, ReturnConsumedCapacity: 'INDEXES' as const } }
            : args;
        try {
          const result = await next(measured);
          this.record(name, counts, input, asRecord(result.output));
          return result;
        } catch (error) {
          counts.errors += 1;
          if (name === 'PutItem' || name === 'UpdateItem' || name === 'DeleteItem') counts.writeRequests += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'benchDynamoCounter' },
    );
  }

  private record(name: string, counts: CommandCounts, input: Item, output: Item): void {
    const units = consumed(output);
    if (READS.has(name)) {
      counts.readUnits += units.total;
      counts.indexReadUnits += units.index;
      let extra = 0;
      if (name === 'Query' || name === 'Scan') {
        extra = Math.max(0, MIN_RCU_PER_QUERY - units.total);
        counts.queryFloorUnits += extra;
      } else if (name === 'GetItem' && !output.Item) {
        extra = input.ConsistentRead ? 1 : 0.5;
        counts.missingKeyUnits += extra;
      } else if (name === 'BatchGetItem') {
        for (const [table, request] of Object.entries(asRecord(input.RequestItems))) {
          const asked = asRecord(request);
          const keys = Array.isArray(asked.Keys) ? asked.Keys.length : 0;
          const found = asRecord(output.Responses)[table];
          const unprocessed = asRecord(asRecord(output.UnprocessedKeys)[table]).Keys;
          const missing =
            keys - (Array.isArray(found) ? found.length : 0) - (Array.isArray(unprocessed) ? unprocessed.length : 0);
          const each = asked.ConsistentRead ? 1 : 0.5;
          counts.missingKeyUnits += Math.max(0, missing) * each;
          extra += Math.max(0, missing) * each;
        }
      }
      counts.readUnitsBilled += units.total + extra;
    } else if (WRITES.has(name)) {
      counts.writeUnits += units.total;
      counts.indexWriteUnits += units.index;
    }
    switch (name) {
      case 'Scan':
      case 'Query':
        counts.itemsRead += Number(output.ScannedCount ?? output.Count ?? 0);
        break;
      case 'GetItem':
        counts.itemsRead += output.Item ? 1 : 0;
        break;
      case 'BatchGetItem': {
        counts.itemsRead += countIn(output.Responses);
        const requested = Object.values(asRecord(input.RequestItems)).map((t) => asRecord(t).Keys);
        counts.keysRequested += requested.reduce<number>((n, k) => n + (Array.isArray(k) ? k.length : 0), 0);
        break;
      }
      case 'BatchWriteItem': {
        const sent = countIn(input.RequestItems);
        const unprocessed = countIn(output.UnprocessedItems);
        counts.writeRequests += sent - unprocessed;
        counts.unprocessed += unprocessed;
        for (const list of Object.values(asRecord(input.RequestItems))) {
          for (const request of Array.isArray(list) ? list : []) {
            if (asRecord(asRecord(asRecord(request).PutRequest).Item).winbackShard) counts.indexedWrites += 1;
          }
        }
        break;
      }
      case 'PutItem':
        counts.writeRequests += 1;
        if (asRecord(input.Item).winbackShard) counts.indexedWrites += 1;
        break;
      case 'UpdateItem':
      case 'DeleteItem':
        counts.writeRequests += 1;
        break;
    }
  }

  reset(): void {
    this.counts.clear();
  }

  /** Counts per command name since the last reset. */
  snapshot(): Record<string, CommandCounts> {
    return Object.fromEntries(
      [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => [name, { ...c }]),
    );
  }

  total(): CommandCounts {
    return sumCounts(Object.fromEntries(this.counts));
  }
}

/** The sum over command names of one snapshot (or of several, added together). */
export function sumCounts(...snapshots: Record<string, CommandCounts>[]): CommandCounts {
  let sum = empty();
  for (const snapshot of snapshots) {
    for (const c of Object.values(snapshot)) sum = add(sum, c);
  }
  return sum;
}

/** Adds `b` into `a` per command name (for totals over several runs). */
export function addSnapshots(
  a: Record<string, CommandCounts>,
  b: Record<string, CommandCounts>,
): Record<string, CommandCounts> {
  const out: Record<string, CommandCounts> = {};
  for (const [name, c] of Object.entries(a)) out[name] = { ...c };
  for (const [name, c] of Object.entries(b)) out[name] = add(out[name] ?? empty(), c);
  return out;
}
