import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WinbackTask } from '../../domain/winback.ts';
import type { WinbackTaskQueue } from '../../ports.ts';

const BATCH = 10; // SQS SendMessageBatch limit
const MAX_ROUNDS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Win-back tasks on SQS, ten to a SendMessageBatch call. Entries SQS reports as failed (a batch call can partly
 * fail) are retried with backoff; those still failing are returned, never dropped silently: they stay due for the
 * planner's next run. Message bodies carry ids only, never an address.
 */
export function sqsWinbackTaskQueue(client: SQSClient, queueUrl: string): WinbackTaskQueue {
  return {
    durable: true,
    async enqueue(tasks) {
      const failed: WinbackTask[] = [];
      for (let start = 0; start < tasks.length; start += BATCH) {
        let pending = tasks.slice(start, start + BATCH);
        for (let round = 1; pending.length > 0; round++) {
          const entries = pending.map((task, i) => ({ Id: String(i), MessageBody: JSON.stringify(task) }));
          let failedIds: Set<string>;
          try {
            const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
            failedIds = new Set((result.Failed ?? []).map((f) => f.Id ?? ''));
          } catch (error) {
            if (round >= MAX_ROUNDS) throw error;
            failedIds = new Set(entries.map((e) => e.Id));
          }
          const retry = pending.filter((_, i) => failedIds.has(String(i)));
          if (retry.length > 0 && round >= MAX_ROUNDS) {
            failed.push(...retry);
            break;
          }
          pending = retry;
          if (pending.length > 0) await sleep(50 * 2 ** round);
        }
      }
      return failed;
    },
  };
}
