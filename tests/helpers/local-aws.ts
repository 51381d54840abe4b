import { randomUUID } from 'node:crypto';
import {
  ensureTables,
  type LocalServer,
  startDynalite,
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

export async function startLocalAws(): Promise<LocalAws> {
  const dynamo = DYNAMODB_TARGET === 'dynamodb-local' ? await startDynamoDbLocal() : await startDynalite();
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
