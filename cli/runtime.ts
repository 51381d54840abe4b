import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dynamoStores, type Stores } from '../shared/adapters/build-adapters.ts';
import { type DynamoConnection, documentClient } from '../shared/adapters/dynamodb/client.ts';
import { type TableNames, tableNames } from '../shared/adapters/dynamodb/tables.ts';
import { sesClient, sesEmailSender } from '../shared/adapters/ses/ses-email-sender.ts';
import { describeIssues } from '../shared/domain/common.ts';
import { type EngineConfig, EngineConfigSchema } from '../shared/domain/config.ts';
import type { EmailSender } from '../shared/ports.ts';
import { ensureTables, type LocalServer, startDynaliteWorker, startLocalSes } from './local-servers.ts';

/** Options every command shares; each has an environment variable too. */
export interface GlobalOptions {
  dynamodbEndpoint?: string;
  sesEndpoint?: string;
  aws?: boolean;
  region?: string;
  tablePrefix: string;
  dataDir: string;
  config?: string;
  json?: boolean;
  progress?: boolean;
}

export interface Runtime {
  config: EngineConfig;
  tables: TableNames;
  stores: Stores;
  /** human-readable description of where data lives */
  target: string;
  close(): Promise<void>;
}

export async function loadConfig(path: string | undefined): Promise<EngineConfig> {
  if (!path) return EngineConfigSchema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`config ${path}: ${(error as Error).message}`);
  }
  const parsed = EngineConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`config ${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Where DynamoDB is:
 *  --aws                  real DynamoDB in the current AWS account and region (tables from `cdk deploy`);
 *  --dynamodb-endpoint U  a DynamoDB-compatible server (DynamoDB Local, dynalite), tables created if missing;
 *  (default)              an embedded dynalite persisted in `<data-dir>/dynamodb`, so commands share data.
 */
export async function openRuntime(options: GlobalOptions, memory = false): Promise<Runtime> {
  const config = await loadConfig(options.config);
  const tables = tableNames(options.tablePrefix);
  let connection: DynamoConnection;
  let embedded: LocalServer | undefined;
  let target: string;
  if (options.aws) {
    connection = { region: options.region };
    target = `AWS DynamoDB (${options.region ?? process.env.AWS_REGION ?? 'default region'})`;
  } else if (options.dynamodbEndpoint) {
    connection = { endpoint: options.dynamodbEndpoint, region: options.region };
    target = options.dynamodbEndpoint;
  } else {
    const path = memory ? undefined : join(options.dataDir, 'dynamodb');
    if (path) await mkdir(path, { recursive: true });
    embedded = await startDynaliteWorker(path);
    connection = { endpoint: embedded.endpoint };
    target = path ? `embedded dynalite (${path})` : 'embedded dynalite (in memory)';
  }
  const client = documentClient(connection);
  if (!options.aws) await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: config.indexShards });
  return {
    config,
    tables,
    stores,
    target,
    async close() {
      client.destroy();
      await embedded?.close();
    },
  };
}

export interface EmailRuntime {
  sender: EmailSender;
  /** URL of the local inbox when sending to an embedded SES */
  inboxUrl?: string;
  local?: LocalServer;
  close(): Promise<void>;
}

/** SES: --aws → real SES; --ses-endpoint → that server; default → an embedded aws-ses-v2-local. */
export async function openEmail(options: GlobalOptions, configurationSet?: string): Promise<EmailRuntime> {
  if (options.aws) {
    const client = sesClient({ region: options.region, configurationSetName: configurationSet });
    return { sender: sesEmailSender(client, configurationSet), close: async () => client.destroy() };
  }
  const local = options.sesEndpoint ? undefined : await startLocalSes();
  const endpoint = options.sesEndpoint ?? (local as LocalServer).endpoint;
  const client = sesClient({ endpoint, region: options.region });
  return {
    sender: sesEmailSender(client),
    inboxUrl: `${endpoint}/`,
    ...(local ? { local } : {}),
    async close() {
      client.destroy();
      await local?.close();
    },
  };
}

export function newRunId(): string {
  return randomUUID();
}
