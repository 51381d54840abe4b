import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { type AttributeValue, type DynamoDBClient, ScanCommand as RawScanCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { customerAsOf } from '../../shared/domain/as-of.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import type { Customer } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import type { CustomerRepository, SegmentRunStore } from '../../shared/ports.ts';
import type { BaseSetup } from '../base.ts';
import { type BenchContext, CURRENCY, SEGMENTS } from '../context.ts';
import type { CommandCounts } from '../counting.ts';
import { log, median, pick, seconds, timed } from '../measure.ts';

export interface CohortsResult {
  segments: number;
  repeats: number;
  bareScanSeconds: number[];
  cohortSeconds: number[];
  bestBareScanSeconds: number;
  bestCohortSeconds: number;
  cohortCpuSeconds: number[];
  bareScanCpuSeconds: number[];
  /** median client CPU of the cohort job / of the bare scan: the job's own work, independent of the server */
  cpuRatio: number;
  ratio: number;
  /** each cohort run / the bare scan run next to it (the order alternates) */
  pairRatios: number[];
  medianPairRatio: number;
  scannedItems: number;
  mergeCheck: { singlePassCustomers: number; complete: boolean; equal: boolean };
  checkpoints: {
    loads: number;
    saves: number;
    merges: number;
    storedBytes: number;
    secondsPerRun: number[];
    /** summed over the segments, which run side by side: an upper bound of the wall time they add */
    shareOfSegmentTime: number;
    readUnits: number;
    writeUnits: number;
  };
  requests: Record<string, CommandCounts>;
}

/** The I/O floor: the same parallel segments paged through with the low-level client, no unmarshalling or parsing. */
async function bareScan(raw: DynamoDBClient, table: string, segments: number): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let n = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await raw.send(
          new RawScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: segments,
            ExclusiveStartKey: startKey,
          }),
        );
        n += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Times every call of a checkpoint store (the DynamoDB one in the bench): the overhead the in-memory one avoids. */
function timedRuns(inner: SegmentRunStore) {
  const stats = { loads: 0, saves: 0, merges: 0, seconds: 0 };
  const time = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      stats.seconds += seconds(start);
    }
  };
  const store: SegmentRunStore = {
    loadSegment(runId, segment) {
      stats.loads += 1;
      return time(() => inner.loadSegment(runId, segment));
    },
    saveSegment(runId, checkpoint) {
      stats.saves += 1;
      return time(() => inner.saveSegment(runId, checkpoint));
    },
    loadSegments(runId) {
      stats.merges += 1;
      return time(() => inner.loadSegments(runId));
    },
  };
  return { store, stats };
}

/**
 * churn-cohorts on the main base as of D+Δ (DynamoDB checkpoints, as in AWS) against a bare parallel Scan of the
 * same table (the I/O floor), --repeats times in alternating order; the merge check (segmented = single-pass
 * computeCohorts over everyone the last run read) and the checkpoint overhead.
 */
export async function cohortsScenario(ctx: BenchContext, base: BaseSetup): Promise<CohortsResult> {
  const { client, raw } = await ctx.dynamo();
  const { counter, options } = ctx;
  const { stores, tables, asOf2 } = base;
  const generatedAt = asOf2;
  const bareScanSeconds: number[] = [];
  const bareScanCpuSeconds: number[] = [];
  const cohortSeconds: number[] = [];
  const cohortCpuSeconds: number[] = [];
  const checkpointSeconds: number[] = [];
  let scannedItems = 0;
  let segmented: CohortReport | undefined;
  let cohortCounts: Record<string, CommandCounts> = {};
  let checkpointStats = { loads: 0, saves: 0, merges: 0, seconds: 0 };
  let checkpointBytes = 0;
  const runBare = async () => {
    const bare = await timed(() => bareScan(raw, tables.customers, SEGMENTS));
    bareScanSeconds.push(bare.seconds);
    bareScanCpuSeconds.push(bare.cpuSeconds);
    scannedItems = bare.value;
  };
  // The last cohort run also keeps every customer its segments read (a reference per item, no extra read), for
  // the single-pass computeCohorts of the merge check; the bare scan's count checks that nothing was missed.
  const everyone: Customer[] = [];
  const keeping: CustomerRepository = {
    ...stores.customers,
    async *scan(segment, from) {
      for await (const page of stores.customers.scan(segment, from)) {
        everyone.push(...page.items);
        yield page;
      }
    },
  };
  const runCohorts = async (i: number) => {
    const runs = timedRuns(stores.runs);
    const runId = `bench-cohorts-${i}`;
    const customers = i === options.repeats - 1 ? keeping : stores.customers;
    counter.reset();
    const run = await timed(() =>
      churnCohorts(
        { customers, orders: stores.orders, snapshots: stores.snapshots, runs: runs.store },
        { asOf: asOf2, currency: CURRENCY, policy: DEFAULT_POLICY, segments: SEGMENTS, generatedAt, runId },
      ),
    );
    cohortCounts = counter.snapshot();
    cohortSeconds.push(run.seconds);
    cohortCpuSeconds.push(run.cpuSeconds);
    checkpointSeconds.push(runs.stats.seconds);
    checkpointStats = runs.stats;
    segmented = run.value.report;
    const stored = await client.send(
      new QueryCommand({
        TableName: tables.snapshots,
        KeyConditionExpression: 'snapshotId = :id',
        ExpressionAttributeValues: { ':id': `run#${runId}` },
      }),
    );
    checkpointBytes = (stored.Items ?? []).reduce(
      (n, item) => n + (item.state instanceof Uint8Array ? item.state.byteLength : 0),
      0,
    );
  };
  // Alternating order, so a server warming up or a neighbour's load does not always favour the same side.
  for (let i = 0; i < options.repeats; i++) {
    if (i % 2 === 0) {
      await runBare();
      await runCohorts(i);
    } else {
      await runCohorts(i);
      await runBare();
    }
    log(`bare scan ${bareScanSeconds.at(-1)?.toFixed(2)} s, cohorts ${cohortSeconds.at(-1)?.toFixed(2)} s`);
  }
  // One single-pass computeCohorts over everyone the last segmented run read; its result must equal the merge.
  const distinct = new Set(everyone.map((c) => c.customerId)).size;
  const single = computeCohorts(
    everyone.map((c) => customerAsOf(c, asOf2, DEFAULT_POLICY)),
    asOf2,
    CURRENCY,
    generatedAt,
  );
  const mergeCheck = {
    singlePassCustomers: everyone.length,
    /** every customer read exactly once by the segments (the bare scan counted the table independently) */
    complete: distinct === everyone.length && everyone.length === scannedItems,
    // the cohort matrix (the base shape beside it in the snapshot has its own merge test)
    equal: isDeepStrictEqual({ ...segmented, baseShape: undefined }, { ...single, baseShape: undefined }),
  };
  everyone.length = 0;
  log(`merge check: ${mergeCheck.equal ? 'equal' : 'NOT EQUAL'}`);

  const bestCohortIndex = cohortSeconds.indexOf(Math.min(...cohortSeconds));
  const pairRatios = cohortSeconds.map((x, i) => x / (bareScanSeconds[i] ?? Number.NaN));
  return {
    segments: SEGMENTS,
    repeats: options.repeats,
    bareScanSeconds,
    cohortSeconds,
    bestBareScanSeconds: Math.min(...bareScanSeconds),
    bestCohortSeconds: Math.min(...cohortSeconds),
    cohortCpuSeconds,
    bareScanCpuSeconds,
    cpuRatio: median(cohortCpuSeconds) / median(bareScanCpuSeconds),
    ratio: Math.min(...cohortSeconds) / Math.min(...bareScanSeconds),
    pairRatios,
    medianPairRatio: median(pairRatios),
    scannedItems,
    mergeCheck,
    checkpoints: {
      loads: checkpointStats.loads,
      saves: checkpointStats.saves,
      merges: checkpointStats.merges,
      storedBytes: checkpointBytes,
      secondsPerRun: checkpointSeconds,
      shareOfSegmentTime:
        (checkpointSeconds[bestCohortIndex] ?? 0) / (SEGMENTS * (cohortSeconds[bestCohortIndex] ?? 1)),
      readUnits: pick(cohortCounts, 'readUnitsBilled', 'GetItem', 'Query'),
      writeUnits: pick(cohortCounts, 'writeUnits', 'PutItem'),
    },
    requests: cohortCounts,
  };
}
