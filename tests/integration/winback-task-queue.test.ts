/**
 * The SQS adapter for planned win-back sends, against the embedded fauxqs SQS emulator, and with faults injected
 * (a batch call that partly fails) through aws-sdk-client-mock.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsWinbackTaskQueue } from '../../shared/adapters/sqs/winback-task-queue.ts';
import { type WinbackTask, WinbackTaskSchema } from '../../shared/domain/winback.ts';
import { startLocalSqs } from '../helpers/local-aws.ts';

const task = (n: number): WinbackTask => ({
  customerId: `c-${String(n).padStart(3, '0')}`,
  campaignId: 'winback',
  episode: '2026-03-01',
  stepId: 'miss-you',
  runAsOf: '2026-06-01T10:05:00.000Z',
  runId: 'run-1',
});

let sqs: Awaited<ReturnType<typeof startLocalSqs>>;
beforeAll(async () => {
  sqs = await startLocalSqs('queue-test');
});
afterAll(async () => {
  await sqs?.close();
});

describe('win-back tasks on SQS', () => {
  it('puts every task on the queue once, ten to a batch call, as a schema-valid body with no address', async () => {
    const tasks = Array.from({ length: 25 }, (_, i) => task(i));
    const failed = await sqsWinbackTaskQueue(sqs.client, sqs.queueUrl).enqueue(tasks);
    expect(failed).toEqual([]);
    const received = await sqs.drain();
    const bodies = received.map((m) => WinbackTaskSchema.parse(JSON.parse(m.body)));
    expect(bodies.map((b) => b.customerId).sort()).toEqual(tasks.map((t) => t.customerId));
    expect(received.map((m) => m.body).join('')).not.toContain('@');
  });

  it('retries only the entries a batch call reports as failed, and returns those that keep failing', async () => {
    const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    const attempts = new Map<string, number>();
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      const failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
      for (const e of input.Entries) {
        const id = (JSON.parse(e.MessageBody) as WinbackTask).customerId;
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        // c-001 fails once; c-007 always fails.
        if ((id === 'c-001' && n === 1) || id === 'c-007')
          failed.push({ Id: e.Id, Code: 'InternalError', SenderFault: false });
      }
      return { Successful: [], Failed: failed };
    });
    const failed = await sqsWinbackTaskQueue(client, 'https://sqs.us-east-1.amazonaws.com/1/q').enqueue(
      Array.from({ length: 12 }, (_, i) => task(i)),
    );
    expect(failed.map((t) => t.customerId)).toEqual(['c-007']);
    expect(attempts.get('c-001')).toBe(2);
    expect(attempts.get('c-007')).toBe(4);
    expect(attempts.get('c-000')).toBe(1);
    const batchSizes = mock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length ?? 0);
    expect(Math.max(...batchSizes)).toBe(10);
  });
});
