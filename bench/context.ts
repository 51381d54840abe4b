import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalServer, startDynaliteWorker, startDynamoDbLocal, startLocalSes } from '../cli/local-servers.ts';
import { parseDeploymentConfig } from '../infra/config.ts';
import { documentClient } from '../shared/adapters/dynamodb/client.ts';
import { DEFAULT_ENGINE_CONFIG } from '../shared/domain/config.ts';
import type { BaseSetup } from './base.ts';
import { DynamoCounter } from './counting.ts';

/** The scenarios, in the order a run executes them (cost last: it reads what the others measured). */
export const SCENARIOS = [
  'flag',
  'flag-adaptive',
  'winback',
  'cohorts',
  'sends',
  'bundles',
  'import-cdnow',
  'btyd-fit',
  'cost',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Target = 'dynamodb-local' | 'dynalite';

export interface BenchOptions {
  scenarios: ScenarioName[];
  customers: number;
  target: Target;
  sendRate: number;
  /** customers due for a first win-back email in the sends scenario (default: EMAILS_SHARE of the base) */
  emails: number;
  repeats: number;
  classifyWithJob: boolean;
  /** the win-back scenario's own base (default: WINBACK_BASE_SHARE of the base) */
  winbackCustomers: number;
  sendConcurrency: number;
  cdnowFile: string;
  /** order.placed events recorded after the CDNOW import */
  orderEvents: number;
  /** btyd-fit: weeks over which the simulated customers' first purchases are spread (up to the calibration end) */
  btydAcquisitionWeeks: number;
  /** where results.json and results.md are read, merged and written */
  out: string;
}

/** The seeded history ends on D; every scenario classifies as of D or a few days after. */
export const AS_OF_DATE = '2025-06-30';
export const CURRENCY = 'USD';
export const SEGMENTS = DEFAULT_ENGINE_CONFIG.scanSegments;
export const INDEX_SHARDS = DEFAULT_ENGINE_CONFIG.indexShards;
export const WINBACK = DEFAULT_ENGINE_CONFIG.winback;
export const SENDING = DEFAULT_ENGINE_CONFIG.sending;
/** The flag's as-of step is chosen so that about this share of the base changes stage. */
export const TARGET_CHANGE_SHARE = 0.01;
export const ITEM_SIZE_SAMPLE = 2_000;
export const WATERMARK_JOB = 'flag-dormant';
/**
 * The win-back base is this share of --customers (20,000 at the 100,000 default, as every earlier run used), so its
 * catch-up, index and sender figures grow with the base instead of being the same at every size.
 */
export const WINBACK_BASE_SHARE = 0.2;
/** The sends scenario emails this share of --customers (2,000 at the default, as every earlier run sent). */
export const EMAILS_SHARE = 0.02;
/** infra/config.ts default schedules: win-back `cron(5 * * * ? *)` (hourly), cohorts `cron(0 6 ? * MON *)` (weekly). */
export const WINBACK_RUNS_PER_DAY = 24;
/** The deployment defaults (maxSendRate, senderConcurrency, schedules), as `cdk deploy` resolves them. */
export const DEPLOYMENT = parseDeploymentConfig({ senderAddress: 'bench@example.com' });
export const PLAN_INTERVAL_MINUTES = 60;
/** The win-back schedule is enabled at this UTC hour of the catch-up day. */
export const CATCH_UP_FROM_HOUR = 13;

export interface BenchDynamo {
  server: LocalServer;
  endpoint: string;
  /** the document client every adapter uses, with the counter attached */
  client: DynamoDBDocumentClient;
  /** a low-level client (the bare scan) */
  raw: DynamoDBClient;
  heapMb: number | null;
}

/**
 * What the scenarios share: the options, one DynamoDB counter, the local servers (started on first use and closed
 * once at the end) and the main seeded base (seeded once, for the scenarios that need it).
 */
export class BenchContext {
  readonly counter = new DynamoCounter();
  /** set once the DynamoDB of --target is up */
  startedDynamo?: BenchDynamo;
  private dynamoStarted?: Promise<BenchDynamo>;
  private sesStarted?: Promise<LocalServer>;
  private baseSeeded?: Promise<BaseSetup>;
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(
    readonly options: BenchOptions,
    private readonly seedBase: (ctx: BenchContext) => Promise<BaseSetup>,
  ) {}

  /** The DynamoDB of --target (DynamoDB Local gets ~4 GB per 1M customers, never below 2 GB). */
  dynamo(): Promise<BenchDynamo> {
    this.dynamoStarted ??= (async () => {
      const heapMb =
        this.options.target === 'dynalite'
          ? null
          : Math.max(2048, Math.ceil(((this.options.customers / 1_000_000) * 4096) / 256) * 256);
      const server = heapMb === null ? await startDynaliteWorker() : await startDynamoDbLocal(undefined, heapMb);
      this.closers.push(() => server.close());
      const client = documentClient({ endpoint: server.endpoint });
      const raw = new DynamoDBClient({
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      this.closers.push(
        () => client.destroy(),
        () => raw.destroy(),
      );
      this.counter.attach(client);
      this.startedDynamo = { server, endpoint: server.endpoint, client, raw, heapMb };
      return this.startedDynamo;
    })();
    return this.dynamoStarted;
  }

  ses(): Promise<LocalServer> {
    this.sesStarted ??= startLocalSes().then((server) => {
      this.closers.push(() => server.close());
      return server;
    });
    return this.sesStarted;
  }

  /** The main base (--customers), seeded and classified once per run. */
  base(): Promise<BaseSetup> {
    this.baseSeeded ??= this.seedBase(this);
    return this.baseSeeded;
  }

  /** Registers something to close at the end (a scenario's own server or client). */
  onClose(close: () => Promise<void> | void): void {
    this.closers.push(close);
  }

  /** Closes everything in reverse order of opening; safe to call twice. */
  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // A server that is already gone is closed.
      }
    }
  }
}
