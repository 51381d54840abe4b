import { performance } from 'node:perf_hooks';
import { ensureTables } from '../cli/local-servers.ts';
import { dynamoStores, type Stores } from '../shared/adapters/build-adapters.ts';
import { type TableNames, tableNames } from '../shared/adapters/dynamodb/tables.ts';
import { reclassify } from '../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../shared/domain/lifecycle.ts';
import { addDays, endOfDay } from '../shared/domain/time.ts';
import { flagDormant, policyFingerprint } from '../shared/jobs/flag-dormant.ts';
import {
  AS_OF_DATE,
  type BenchContext,
  CURRENCY,
  INDEX_SHARDS,
  ITEM_SIZE_SAMPLE,
  SEGMENTS,
  TARGET_CHANGE_SHARE,
  WATERMARK_JOB,
} from './context.ts';
import { sumCounts } from './counting.ts';
import { int, log, sampleItems, seconds, timed } from './measure.ts';
import { ChangeForecast, customerChunks } from './seed.ts';

/** The main base as seeded: what the flag and cohort scenarios read. */
export interface BaseResult {
  customers: number;
  seconds: number;
  itemsPerSecond: number;
  avgCustomerItemBytes: number;
  avgIndexedItemBytes: number;
  itemSizeSample: number;
  /** share of the base with marketing consent and an address */
  consentShare: number;
  /** classified at seed time by the pure rule (false: by the flag job, --classify-with-job) */
  preclassified: boolean;
  initialFlag: {
    asOf: string;
    method: string;
    seconds: number;
    changed: number;
    writeRequests: number;
    writeUnits: number;
    watermark: string;
  };
}

export interface BaseSetup {
  tables: TableNames;
  stores: Stores;
  forecast: ChangeForecast;
  /** D, end of day */
  asOf: string;
  /** the as-of step that changes ~1% of the base, and D + that step */
  deltaDays: number;
  asOf2: string;
  result: BaseResult;
}

/**
 * Seeds --customers synthetic customers (BatchWrite), every one classified as of D by the pure rule the flag applies
 * (reclassify), and sets the flag's watermark to D with the policy fingerprint, as a successful full pass leaves it;
 * `--classify-with-job` instead seeds raw customers and runs the initial classification through
 * flagDormant (a full pass that writes everyone and leaves the watermark; ~3 more minutes at 100k).
 */
export async function seedBase(ctx: BenchContext): Promise<BaseSetup> {
  const { client } = await ctx.dynamo();
  const { counter, options } = ctx;
  const tables = tableNames('bench');
  await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: INDEX_SHARDS });
  const asOf = endOfDay(AS_OF_DATE);
  const forecast = new ChangeForecast(asOf, DEFAULT_POLICY);
  const preclassified = !options.classifyWithJob;
  counter.reset();
  const seedStart = performance.now();
  let pending: Promise<void> = Promise.resolve();
  for (const chunk of customerChunks(options.customers, asOf, CURRENCY)) {
    for (const c of chunk) forecast.add(c);
    await pending;
    // Pre-classified: stored as the initial full pass would store them (same pure rule, nextCheckAt and
    // winbackDueAt included), so the seed's writes are that pass's writes.
    pending = stores.customers.seedMany(preclassified ? chunk.map((c) => reclassify(c, asOf, DEFAULT_POLICY)) : chunk);
    if (forecast.customers % 100_000 === 0) log(`seeded ${int(forecast.customers)}`);
  }
  await pending;
  const seedSeconds = seconds(seedStart);
  const seedCounts = sumCounts(counter.snapshot());
  log(`seed: ${int(forecast.customers)} customers in ${seedSeconds.toFixed(1)} s`);

  let initialFlag: BaseResult['initialFlag'];
  if (preclassified) {
    await stores.snapshots.setWatermark(WATERMARK_JOB, { asOf, settings: policyFingerprint(DEFAULT_POLICY) });
    initialFlag = {
      asOf,
      method: 'pre-classified at seed time by reclassify; watermark set with setWatermark',
      seconds: seedSeconds,
      changed: forecast.customers,
      writeRequests: seedCounts.writeRequests,
      writeUnits: seedCounts.writeUnits,
      watermark: '',
    };
  } else {
    counter.reset();
    const initial = await timed(() =>
      flagDormant(
        { customers: stores.customers, watermarks: stores.snapshots },
        { asOf, policy: DEFAULT_POLICY, segments: SEGMENTS },
      ),
    );
    const initialCounts = sumCounts(counter.snapshot());
    if (initial.value.mode !== 'full') throw new Error(`the initial classification ran ${initial.value.mode}`);
    initialFlag = {
      asOf,
      method: `flagDormant: ${initial.value.mode} pass (${initial.value.reason})`,
      seconds: initial.seconds,
      changed: initial.value.changed,
      writeRequests: initialCounts.writeRequests,
      writeUnits: initialCounts.writeUnits,
      watermark: '',
    };
  }
  const watermark = await stores.snapshots.getWatermark(WATERMARK_JOB);
  if (watermark?.asOf !== asOf) {
    throw new Error(`the initial classification left no watermark at ${asOf}: ${JSON.stringify(watermark)}`);
  }
  initialFlag.watermark = watermark.asOf;
  log(
    `initial classification (${initialFlag.method}): ${int(initialFlag.changed)} classified, ` +
      `${int(initialFlag.writeUnits)} WRU, ${initialFlag.seconds.toFixed(1)} s; watermark ${watermark.asOf}`,
  );
  const sizes = await sampleItems(client, tables.customers, ITEM_SIZE_SAMPLE);
  const deltaDays = forecast.pickDelta(TARGET_CHANGE_SHARE);
  return {
    tables,
    stores,
    forecast,
    asOf,
    deltaDays,
    asOf2: endOfDay(addDays(asOf, deltaDays).slice(0, 10)),
    result: {
      customers: forecast.customers,
      seconds: seedSeconds,
      itemsPerSecond: forecast.customers / seedSeconds,
      avgCustomerItemBytes: sizes.avg,
      avgIndexedItemBytes: sizes.avgIndexed,
      itemSizeSample: sizes.sample,
      consentShare: forecast.withConsentAndEmail / Math.max(1, forecast.customers),
      preclassified,
      initialFlag,
    },
  };
}
