import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from './powertools.ts';

const processor = new BatchProcessor(EventType.SQS);

export interface SqsBatchOutcome {
  response: PartialItemFailureResponse;
  /** what the records reported, summed, plus `invalid` (records whose body did not parse) */
  counts: Record<string, number>;
}

/**
 * One SQS batch through Powertools' partial-batch processor, its records side by side. A record whose body does not
 * parse is counted, logged by message id and failed (redelivered, then dead-lettered); so is one whose handling
 * throws. Each handled record returns its counts; a wholly failed batch is reported too, not thrown.
 */
export async function processSqsBatch<T>(
  event: SQSEvent,
  context: Context,
  /** what a message holds, for the log line of an invalid one (`invalid <what>`) */
  what: string,
  parse: (record: SQSRecord) => { ok: true; task: T } | { ok: false; error: string },
  handle: (task: T) => Promise<Record<string, number>>,
): Promise<SqsBatchOutcome> {
  const counts: Record<string, number> = { invalid: 0 };
  const add = (key: string, n: number) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  const one = async (record: SQSRecord) => {
    const parsed = parse(record);
    if (!parsed.ok) {
      add('invalid', 1);
      logger.error(`invalid ${what}`, { messageId: record.messageId, error: parsed.error });
      throw new Error(parsed.error);
    }
    for (const [key, n] of Object.entries(await handle(parsed.task))) add(key, n);
  };
  const response = await processPartialResponse(event, one, processor, {
    context,
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
  return { response, counts };
}
