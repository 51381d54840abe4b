import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dynamoStores, type Stores } from '../shared/adapters/build-adapters.ts';
import { type DynamoConnection, documentClient } from '../shared/adapters/dynamodb/client.ts';
import { type TableNames, tableNames } from '../shared/adapters/dynamodb/tables.ts';
import { sesClient, sesEmailSender } from '../shared/adapters/ses/ses-email-sender.ts';
import { describeIssues, errorMessage } from '../shared/domain/common.ts';
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
  /** the email templates folder (default: the one this package ships) */
  templatesDir: string;
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
    throw new Error(`config ${path}: ${errorMessage(error)}`);
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
  let lock: DataDirLock | undefined;
  let target: string;
  if (options.aws) {
    connection = { region: options.region };
    target = `AWS DynamoDB (${options.region ?? process.env.AWS_REGION ?? 'default region'})`;
  } else if (options.dynamodbEndpoint) {
    connection = { endpoint: options.dynamodbEndpoint, region: options.region };
    target = options.dynamodbEndpoint;
  } else {
    const path = memory ? undefined : join(options.dataDir, 'dynamodb');
    if (path) {
      await mkdir(path, { recursive: true });
      // One embedded database per data directory: a second command would find it locked (LevelDB) and fail.
      lock = await lockDataDir(options.dataDir);
    }
    try {
      embedded = await startDynaliteWorker(path);
    } catch (error) {
      await lock?.release();
      throw error;
    }
    connection = { endpoint: embedded.endpoint };
    target = path ? `embedded dynalite (${path})` : 'embedded dynalite (in memory)';
  }
  const client = documentClient(connection);
  const close = async () => {
    client.destroy();
    try {
      await embedded?.close();
    } finally {
      await lock?.release();
    }
  };
  try {
    if (!options.aws) await ensureTables(client, tables);
  } catch (error) {
    await close();
    throw error;
  }
  const stores = dynamoStores(client, tables, { indexShards: config.indexShards });
  return { config, tables, stores, target, close };
}

export interface DataDirLock {
  path: string;
  /** removes the lock file if it is still this process's; idempotent */
  release(): Promise<void>;
}

/** Data directories locked by this process (a pid alone cannot tell this process's lock from a stale one). */
const heldLocks = new Set<string>();

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // not held by this process (checked first): left by an earlier process
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

/** A Node system error's code (EEXIST, EPERM...). */
function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

const holderOf = async (path: string): Promise<number | undefined> => {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const pid = text === undefined ? Number.NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

/** A takeover guard older than this was left by a process that died while removing a stale lock. */
const STALE_GUARD_MS = 10_000;

/**
 * An exclusive lock on a data directory: `<dir>/lock` holding the owner's pid. The file is written under a private
 * name and then hard-linked into place (atomic, fails if it exists), so it never exists without its pid. If the
 * owner is alive the command fails at once. If it is dead (killed, crashed) the lock is stale and is taken over;
 * only one process at a time may remove a stale lock (holding `lock.takeover`) and it re-checks the owner first,
 * so a live lock is never removed.
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  await mkdir(dir, { recursive: true });
  const path = resolve(dir, 'lock');
  const guard = join(dir, 'lock.takeover');
  const inUse = (pid: number) =>
    new Error(
      `data directory ${dir} is in use by another clientele command (pid ${pid}); wait for it or use --data-dir`,
    );
  if (heldLocks.has(path)) throw inUse(process.pid);
  const mine = join(dir, `lock.${process.pid}.${randomUUID()}`);
  await writeFile(mine, `${process.pid}\n`, { flag: 'wx' });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await link(mine, path);
        break;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const holder = await holderOf(path);
      if (holder !== undefined && isAlive(holder)) throw inUse(holder);
      if (Date.now() > deadline) throw new Error(`data directory ${dir}: could not take the stale lock ${path}`);
      if (await takeGuard(guard)) {
        try {
          const owner = await holderOf(path);
          if (owner !== undefined && isAlive(owner)) throw inUse(owner);
          await rm(path, { force: true });
        } finally {
          await rm(guard, { force: true });
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
  heldLocks.add(path);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      heldLocks.delete(path);
      if ((await holderOf(path)) === process.pid) await rm(path, { force: true });
    },
  };
}

async function takeGuard(guard: string): Promise<boolean> {
  try {
    await writeFile(guard, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > STALE_GUARD_MS) await rm(guard, { force: true });
    return false;
  }
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
  const endpoint = options.sesEndpoint ?? local?.endpoint;
  if (endpoint === undefined) throw new Error('no SES endpoint'); // one of the two is always there
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
