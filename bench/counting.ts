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
}

const empty = (): CommandCounts => ({
  requests: 0,
  errors: 0,
  itemsRead: 0,
  keysRequested: 0,
  writeRequests: 0,
  unprocessed: 0,
  indexedWrites: 0,
});

type Item = Record<string, unknown>;
type ItemsByTable = Record<string, unknown[]>;

const asRecord = (value: unknown): Item => (value && typeof value === 'object' ? (value as Item) : {});
const countIn = (byTable: unknown): number =>
  Object.values(asRecord(byTable)).reduce<number>((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);

/**
 * Counts the DynamoDB work of the real adapters: a middleware on the document client (initialize step, so it sees
 * native items and one entry per logical call) adds up requests, items read and write requests per command name.
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
        try {
          const result = await next(args);
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
        for (const list of Object.values(asRecord(input.RequestItems) as ItemsByTable)) {
          for (const request of list) {
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
    const sum = empty();
    for (const c of this.counts.values()) {
      for (const key of Object.keys(sum) as (keyof CommandCounts)[]) sum[key] += c[key];
    }
    return sum;
  }
}
