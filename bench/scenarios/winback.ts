import { performance } from 'node:perf_hooks';
import { ensureTables } from '../../cli/local-servers.ts';
import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { reclassify } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormant, policyFingerprint } from '../../shared/jobs/flag-dormant.ts';
import { planWinback } from '../../shared/jobs/winback-plan.ts';
import type { WinbackTaskQueue } from '../../shared/ports.ts';
import {
  AS_OF_DATE,
  type BenchContext,
  CATCH_UP_FROM_HOUR,
  CURRENCY,
  DEPLOYMENT,
  INDEX_SHARDS,
  ITEM_SIZE_SAMPLE,
  PLAN_INTERVAL_MINUTES,
  SEGMENTS,
  SENDING,
  TARGET_CHANGE_SHARE,
  WATERMARK_JOB,
  WINBACK,
} from '../context.ts';
import type { CommandCounts } from '../counting.ts';
import { int, log, pick, sampleItems, seconds, timed } from '../measure.ts';
import { ChangeForecast, customerChunks } from '../seed.ts';
import {
  compactRun,
  type DayRates,
  dayRates,
  nullEmailSender,
  type SimDay,
  type SimInput,
  simulateDay,
} from '../winback-sim.ts';

export interface DryRun {
  mode: 'due' | 'full';
  seconds: number;
  candidates: number;
  due: number;
  customerItemsRead: number;
  ledgerKeys: number;
  readUnits: number;
  readsPerDue: number;
  /** customers skipped, per reason (Ineligibility; reasons with none are absent) */
  skipped: Partial<Record<string, number>>;
  requests: Record<string, CommandCounts>;
}

type CompactRun = ReturnType<typeof compactRun>;

export interface WinbackResult {
  /** the win-back base (its own tables) */
  customers: number;
  /** its size as a share of --customers */
  share: number;
  /** share of the win-back base with marketing consent and an address */
  consentShare: number;
  /** share of the win-back base in each customer GSI after its measured day */
  gsiShares: { nextCheck: number; dormancy: number; winbackDue: number };
  flag: { asOf: string; deltaDays: number; changed: number; transitions: Record<string, number> };
  dryRuns: { at: string; due: DryRun; full: DryRun };
  catchUp: { day: string; totals: SimDay['totals']; rates: DayRates; runs: CompactRun[] };
  day: {
    day: string;
    totals: SimDay['totals'];
    rates: DayRates;
    runs: CompactRun[];
    plannerRequests: Record<string, CommandCounts>;
    senderRequests: Record<string, CommandCounts>;
  };
  /** local wall time of one sender batch of 10 when SES answers at once (the sender's own work) */
  senderSecondsPerBatch: number;
}

/**
 * Win-back on its own base of --winback-customers (default WINBACK_BASE_SHARE of --customers), seeded and classified
 * like the main one in its own tables: the catch-up day D+1 (hourly runs from 13:05 UTC shaped like the deployed
 * planner + SQS sender, SES replaced by an in-process stand-in), which works off the backlog every fresh install has
 * (one-time, reported apart); the incremental flag at D+Δ; at D+Δ+1 00:05 dry runs of the planner on the due index
 * and on the old dormancy window (`full`), then the 24 hourly runs of that day: reads per due step, reads of runs
 * with nothing due, sender work per email.
 */
export async function winbackScenario(ctx: BenchContext): Promise<WinbackResult> {
  const { client } = await ctx.dynamo();
  const { counter, options } = ctx;
  const asOf = endOfDay(AS_OF_DATE);
  const tables = tableNames('bench-wb');
  await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: INDEX_SHARDS });
  const forecast = new ChangeForecast(asOf, DEFAULT_POLICY);
  const seedStart = performance.now();
  for (const chunk of customerChunks(options.winbackCustomers, asOf, CURRENCY)) {
    for (const c of chunk) forecast.add(c);
    await stores.customers.seedMany(chunk.map((c) => reclassify(c, asOf, DEFAULT_POLICY)));
  }
  await stores.snapshots.setWatermark(WATERMARK_JOB, { asOf, settings: policyFingerprint(DEFAULT_POLICY) });
  log(`win-back base: ${int(forecast.customers)} customers seeded in ${seconds(seedStart).toFixed(1)} s`);

  const simDeps = { stores, counter, email: nullEmailSender() };
  const simInput: SimInput = {
    config: WINBACK,
    sending: SENDING,
    // functions/winback-email.ts: 90% of what the senders can send in one interval; the lease: 3 intervals.
    maxTasks: Math.floor(DEPLOYMENT.maxSendRate * PLAN_INTERVAL_MINUTES * 60 * 0.9),
    leaseMinutes: PLAN_INTERVAL_MINUTES * 3,
    senderParallelism: 4,
  };
  const logRun = (label: string) => (r: SimDay['runs'][number]) => {
    if (r.candidates > 0 || r.planned > 0) {
      log(
        `${label} ${r.at.slice(11, 16)}: read ${int(r.candidates)}, due ${int(r.due)}, planned ${int(r.planned)}, ` +
          `held out ${int(r.heldOut)}, sent ${int(r.sender.outcomes.sent ?? 0)} ` +
          `(${(r.planner.seconds + r.sender.seconds).toFixed(1)} s)`,
      );
    }
  };
  const catchUpDay = addDays(asOf, 1).slice(0, 10);
  // Enabled at 13:00 UTC: inside the 09:00–20:00 window of every seeded time zone (New York to Berlin), so the
  // backlog is worked off in one run rather than spread over the windows' openings.
  const catchUp = await simulateDay(simDeps, simInput, catchUpDay, logRun('catch-up'), CATCH_UP_FROM_HOUR);
  log(`catch-up day ${catchUpDay}: ${int(catchUp.totals.sent)} sent in ${catchUp.totals.seconds.toFixed(1)} s`);

  // The daily flag at D+Δ: its new dormancy episodes are what falls due next.
  const deltaDays = forecast.pickDelta(TARGET_CHANGE_SHARE);
  const asOf2 = endOfDay(addDays(asOf, deltaDays).slice(0, 10));
  const flag = await flagDormant(
    { customers: stores.customers, watermarks: stores.snapshots },
    { asOf: asOf2, policy: DEFAULT_POLICY, segments: SEGMENTS },
  );
  if (flag.mode !== 'incremental') throw new Error(`win-back base: the flag ran ${flag.mode} (${flag.reason})`);
  log(`win-back base: flag as of D+${deltaDays} (incremental): ${int(flag.changed)} changed`);

  const measuredDay = addDays(asOf2, 1).slice(0, 10);
  const firstRunAt = `${measuredDay}T00:05:00.000Z`;
  const dropQueue: WinbackTaskQueue = { durable: false, enqueue: async () => [] };
  const dryRun = async (mode: 'due' | 'full'): Promise<DryRun> => {
    counter.reset();
    const run = await timed(() =>
      planWinback(
        { customers: stores.customers, ledger: stores.ledger, queue: dropQueue },
        {
          asOf: firstRunAt,
          now: firstRunAt,
          config: WINBACK,
          sending: SENDING,
          runId: `bench-dry-${mode}`,
          dryRun: true,
          ...(mode === 'full' ? { full: true } : {}),
        },
      ),
    );
    const counts = counter.snapshot();
    const summary = run.value;
    const due = Object.values(summary.steps).reduce((n, s) => n + s.due, 0);
    const result = {
      mode,
      seconds: run.seconds,
      candidates: summary.candidates,
      due,
      customerItemsRead: pick(counts, 'itemsRead', 'Query'),
      ledgerKeys: pick(counts, 'keysRequested', 'BatchGetItem'),
      readUnits: pick(counts, 'readUnitsBilled'),
      readsPerDue: summary.candidates / Math.max(1, due),
      skipped: summary.skipped,
      requests: counts,
    };
    log(
      `win-back dry run (${mode}) at ${firstRunAt}: read ${int(result.candidates)}, due ${int(due)} ` +
        `(${result.readsPerDue.toFixed(2)} reads per due), ${result.seconds.toFixed(1)} s`,
    );
    return result;
  };
  const dryDue = await dryRun('due');
  const dryFull = await dryRun('full');
  const day = await simulateDay(simDeps, simInput, measuredDay, logRun('day'));
  const rates = dayRates(day);
  log(
    `measured day ${measuredDay}: ${int(day.totals.stepsTaken)} steps, ${int(day.totals.sent)} sent, ` +
      `${rates.plannerItemsReadPerStep.toFixed(2)} items read per step; ${day.totals.emptyRuns} runs with nothing ` +
      `due read ${int(day.totals.emptyRunItemsRead)} items`,
  );
  const sizes = await sampleItems(client, tables.customers, ITEM_SIZE_SAMPLE);
  return {
    customers: forecast.customers,
    share: forecast.customers / Math.max(1, options.customers),
    consentShare: forecast.withConsentAndEmail / Math.max(1, forecast.customers),
    gsiShares: sizes.gsiShares,
    flag: { asOf: asOf2, deltaDays, changed: flag.changed, transitions: flag.transitions },
    dryRuns: { at: firstRunAt, due: dryDue, full: dryFull },
    catchUp: { day: catchUp.day, totals: catchUp.totals, rates: dayRates(catchUp), runs: catchUp.runs.map(compactRun) },
    day: {
      day: day.day,
      totals: day.totals,
      rates,
      runs: day.runs.map(compactRun),
      plannerRequests: day.plannerCounts,
      senderRequests: day.senderCounts,
    },
    senderSecondsPerBatch:
      (day.totals.senderSeconds * simInput.senderParallelism) / Math.max(1, day.totals.senderInvocations),
  };
}
