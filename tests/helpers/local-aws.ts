import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, inject } from 'vitest';
import {
  ensureTables,
  type LocalServer,
  startDynalite,
  startDynaliteWorker,
  startDynamoDbLocal,
  startLocalSes,
} from '../../cli/local-servers.ts';
import { dynamoStores, type Stores } from '../../shared/adapters/build-adapters.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';
import { type TableNames, tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { sesClient, sesEmailSender } from '../../shared/adapters/ses/ses-email-sender.ts';
import type { EmailSender } from '../../shared/ports.ts';

/**
 * Which DynamoDB the integration suite talks to: the embedded dynalite (default) or AWS's DynamoDB Local
 * (`DYNAMODB_TARGET=dynamodb-local`, Java 17). Both are real servers behind the real adapters.
 */
export const DYNAMODB_TARGET = process.env.DYNAMODB_TARGET === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

export interface LocalAws {
  dynamo: LocalServer;
  ses: LocalServer;
  close(): Promise<void>;
}

export interface LocalAwsOptions {
  /**
   * dynalite on a worker thread of its own (startDynaliteWorker, as the CLI's embedded database), so the database and
   * the test's client work on separate cores: for files that move tens of thousands of items (the CDNOW import).
   * Otherwise dynalite runs in the test's thread. No effect with DYNAMODB_TARGET=dynamodb-local (its own process).
   */
  dynaliteOnWorker?: boolean;
}

/**
 * The run's DynamoDB Local (tests/global-setup.ts), shared by the files of the run: closing it is the run's job.
 * None when the run has none (another target, or a config without the global setup): each file then starts its own.
 */
function sharedDynamoDbLocal(): LocalServer | undefined {
  const endpoint = DYNAMODB_TARGET === 'dynamodb-local' ? inject('dynamodbLocalEndpoint') : undefined;
  return endpoint ? { endpoint, close: async () => undefined } : undefined;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const dynamo =
    DYNAMODB_TARGET === 'dynamodb-local'
      ? (sharedDynamoDbLocal() ?? (await startDynamoDbLocal()))
      : options.dynaliteOnWorker
        ? await startDynaliteWorker()
        : await startDynalite();
  const ses = await startLocalSes();
  return {
    dynamo,
    ses,
    async close() {
      await ses.close();
      await dynamo.close();
    },
  };
}

export interface TestEnv {
  tables: TableNames;
  stores: Stores;
  email: EmailSender;
  client: ReturnType<typeof documentClient>;
}

/** Fresh tables with a unique prefix, so tests in one file never see each other's data. */
export async function freshEnv(aws: LocalAws, indexShards = 4): Promise<TestEnv> {
  const client = documentClient({ endpoint: aws.dynamo.endpoint });
  const tables = tableNames(`t${randomUUID().slice(0, 8)}`);
  await ensureTables(client, tables);
  return {
    tables,
    client,
    stores: dynamoStores(client, tables, { indexShards, pageSize: 100 }),
    email: sesEmailSender(sesClient({ endpoint: aws.ses.endpoint, requestTimeoutMs: 5_000 })),
  };
}

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  headers?: { name: string; value: string }[];
  at: number;
}

export async function sentEmails(aws: LocalAws): Promise<StoredEmail[]> {
  const res = await fetch(`${aws.ses.endpoint}/store`);
  const body = (await res.json()) as { emails: StoredEmail[] };
  return body.emails;
}

export async function clearEmails(aws: LocalAws): Promise<void> {
  await fetch(`${aws.ses.endpoint}/clear-store`, { method: 'POST' });
}

export async function collect<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page.items);
  return all;
}

/**
 * SQS and S3 on the embedded fauxqs emulator (one local port): a queue for the planner → sender path and a bucket
 * for reports. S3 uses virtual-hosted-style names (`<bucket>.s3.localhost`), resolved to 127.0.0.1 by fauxqs's
 * DNS hook while the server runs.
 */
export async function startLocalSqs(queueName = 'winback-tasks', bucket = 'reports') {
  const { startFauxqs, interceptLocalhostDns } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const restoreDns = interceptLocalhostDns();
  server.createBucket(bucket);
  const endpoint = `http://127.0.0.1:${server.port}`;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials });
  const s3Endpoint = `http://s3.localhost:${server.port}`;
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', credentials });
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queueName }));
  return {
    endpoint,
    client,
    queueUrl: QueueUrl as string,
    s3Endpoint,
    bucket,
    /** Keys of the objects in the bucket. */
    async objects(): Promise<string[]> {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    },
    /** Takes every visible message off the queue (deleting them), as the Lambda event source would. */
    async drain(): Promise<{ messageId: string; body: string; receiptHandle: string }[]> {
      const out: { messageId: string; body: string; receiptHandle: string }[] = [];
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) return out;
        for (const m of Messages) {
          out.push({ messageId: m.MessageId ?? '', body: m.Body ?? '', receiptHandle: m.ReceiptHandle ?? '' });
          await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
    },
    async close() {
      await server.stop();
      restoreDns();
    },
  };
}

/**
 * The local servers for one test file: started before its tests, stopped after them. The returned object reads
 * through to the running servers, so tests use it like the result of `startLocalAws()`.
 */
export function useLocalAws(options: LocalAwsOptions = {}): LocalAws {
  let started: LocalAws | undefined;
  beforeAll(async () => {
    started = await startLocalAws(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  const running = () => {
    if (!started) throw new Error('the local servers start in beforeAll: use them inside a test');
    return started;
  };
  return {
    get dynamo() {
      return running().dynamo;
    },
    get ses() {
      return running().ses;
    },
    close: () => running().close(),
  };
}
