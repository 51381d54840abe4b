import { performance } from 'node:perf_hooks';
import { ensureTables } from '../../cli/local-servers.ts';
import { dynamoStores, type Stores } from '../../shared/adapters/build-adapters.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { DEFAULT_MODEL_SETTINGS } from '../../shared/domain/btyd/base-model.ts';
import { DEFAULT_POLICY, type LifecyclePolicy, LifecyclePolicySchema } from '../../shared/domain/lifecycle.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormant } from '../../shared/jobs/flag-dormant.ts';
import { AS_OF_DATE, type BenchContext, CURRENCY, INDEX_SHARDS, SEGMENTS } from '../context.ts';
import { addSnapshots, type CommandCounts, sumCounts } from '../counting.ts';
import { int, log, pick, seconds, timed } from '../measure.ts';
import { customerChunks } from '../seed.ts';

/** Daily incremental runs measured after the first full pass (asOf + 1 … + DAILY_RUNS days). */
export const DAILY_RUNS = 30;
/** The scenario's bases (one per variant, the same customers) are this share of --customers: 20,000 at 100,000. */
export const FLAG_ADAPTIVE_SHARE = 0.2;

export type VariantName = 'fixed' | 'fixed-scored' | 'adaptive';

const VARIANTS: readonly { name: VariantName; label: string; policy: LifecyclePolicy; model: boolean }[] = [
  { name: 'fixed', label: 'fixed policy, no model', policy: DEFAULT_POLICY, model: false },
  { name: 'fixed-scored', label: 'fixed policy with the model (scores)', policy: DEFAULT_POLICY, model: true },
  {
    name: 'adaptive',
    label: 'adaptive policy',
    policy: LifecyclePolicySchema.parse({ mode: 'adaptive' }),
    model: true,
  },
];

export interface FlagAdaptiveRun {
  asOf: string;
  mode: string;
  scanned: number;
  changed: number;
  refreshed: number;
  unchanged: number;
  scored: number;
  itemsRead: number;
  readUnits: number;
  queries: number;
  getItems: number;
  writeRequests: number;
  writeUnits: number;
  /** calls of loadModel (each one GetItem of the model item) */
  modelReads: number;
  seconds: number;
}

export interface FlagAdaptiveVariant {
  name: VariantName;
  label: string;
  policyMode: string;
  /** the model in force (its fit's as-of and status), absent without one */
  model?: {
    asOf: string;
    status: string;
    buyers: number;
    repeatBuyers: number;
    sampled: number;
    cohortSeconds: number;
  };
  fullPass: FlagAdaptiveRun & { stages: Record<string, number> };
  daily: FlagAdaptiveRun[];
  totals: {
    runs: number;
    changed: number;
    scanned: number;
    /** customers read by the daily runs whose stage did not change */
    readUnchanged: number;
    itemsRead: number;
    readUnits: number;
    writeRequests: number;
    writeUnits: number;
    modelReads: number;
    getItems: number;
    queries: number;
    scored: number;
    transitions: Record<string, number>;
  };
  readsPerChanged: number;
  readUnitsPerChanged: number;
  writesPerChanged: number;
  writeUnitsPerChanged: number;
  /** customers read that did not change, per customer of the base per day */
  readUnchangedPerCustomerDay: number;
  modelReadsPerRun: number;
  /** items read per day beyond the changed customers (watermark, model, empty pages), per customer per day */
  overheadReadsPerCustomerDay: number;
  /** after the last daily run: customers holding a score, and the score's fields */
  stored: { customers: number; withScore: number; scoreFields: string[]; scoreModels: string[] };
  requests: Record<string, CommandCounts>;
}

export interface FlagAdaptiveResult {
  customers: number;
  share: number;
  asOf: string;
  dailyRuns: number;
  variants: FlagAdaptiveVariant[];
  /** per variant vs the fixed policy without a model: items read per customer per day more than the baseline */
  extraReadsPerCustomerDay: Record<VariantName, number>;
  /** the same, beyond what the variant's own changed customers explain (its overhead minus the baseline's) */
  extraOverheadReadsPerCustomerDay: Record<VariantName, number>;
}

type Summary = Awaited<ReturnType<typeof flagDormant>>;

async function seed(ctx: BenchContext, prefix: string, customers: number, asOf: string): Promise<Stores> {
  const { client } = await ctx.dynamo();
  const tables = tableNames(prefix);
  await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: INDEX_SHARDS });
  // Raw customers, unclassified: the first flag run (no watermark) is the full pass that classifies and scores them.
  for (const chunk of customerChunks(customers, asOf, CURRENCY)) await stores.customers.seedMany(chunk);
  return stores;
}

async function storedScores(stores: Stores): Promise<FlagAdaptiveVariant['stored']> {
  const fields = new Set<string>();
  const models = new Set<string>();
  let customers = 0;
  let withScore = 0;
  for (let segment = 0; segment < SEGMENTS; segment++) {
    for await (const page of stores.customers.scan({ segment, totalSegments: SEGMENTS })) {
      for (const c of page.items) {
        customers += 1;
        if (!c.score) continue;
        withScore += 1;
        models.add(c.score.model);
        for (const k of Object.keys(c.score)) fields.add(k);
      }
    }
  }
  return { customers, withScore, scoreFields: [...fields].sort(), scoreModels: [...models].sort() };
}

/**
 * The daily scoring's added reads (issue 14) on a base of FLAG_ADAPTIVE_SHARE × --customers seeded three times (own
 * tables each): the fixed policy without a model, the fixed policy with the model in force (it only adds scores), and
 * the adaptive policy. The model variants first run the real cohort pass as of D with the default model settings,
 * which stores the model in force; then each variant's first flag run (a full pass: no watermark) and DAILY_RUNS
 * incremental runs at D+1 … D+30, counted per run: items read, capacity units, queries, writes, model reads.
 */
export async function flagAdaptiveScenario(ctx: BenchContext): Promise<FlagAdaptiveResult> {
  const { counter, options } = ctx;
  const customers = Math.max(1, Math.round(options.customers * FLAG_ADAPTIVE_SHARE));
  const asOf = endOfDay(AS_OF_DATE);
  const variants: FlagAdaptiveVariant[] = [];
  for (const v of VARIANTS) {
    const seedStart = performance.now();
    const stores = await seed(ctx, `bench-fa-${v.name}`, customers, asOf);
    log(`${v.name}: ${int(customers)} customers seeded in ${seconds(seedStart).toFixed(1)} s`);
    let model: FlagAdaptiveVariant['model'];
    if (v.model) {
      const cohorts = await timed(() =>
        churnCohorts(
          {
            customers: stores.customers,
            orders: stores.orders,
            snapshots: stores.snapshots,
            modelSettings: DEFAULT_MODEL_SETTINGS,
          },
          { asOf, currency: CURRENCY, policy: DEFAULT_POLICY, segments: SEGMENTS, generatedAt: asOf },
        ),
      );
      const inForce = await stores.snapshots.loadModel();
      if (!inForce)
        throw new Error(`${v.name}: the cohort pass stored no model (${JSON.stringify(cohorts.value.model)})`);
      if (inForce.status === 'none') throw new Error(`${v.name}: no usable model (${inForce.problem ?? ''})`);
      model = {
        asOf: inForce.asOf,
        status: inForce.status,
        buyers: inForce.buyers,
        repeatBuyers: inForce.repeatBuyers,
        sampled: inForce.sampled,
        cohortSeconds: cohorts.seconds,
      };
      log(
        `${v.name}: cohort pass stored the model as of ${inForce.asOf} (${model.status}) in ${cohorts.seconds.toFixed(1)} s`,
      );
    }
    let modelReads = 0;
    const deps = {
      customers: stores.customers,
      watermarks: stores.snapshots,
      ...(v.model
        ? {
            loadModel: () => {
              modelReads += 1;
              return stores.snapshots.loadModel();
            },
          }
        : {}),
    };
    let requests: Record<string, CommandCounts> = {};
    const runOnce = async (at: string, expected: 'full' | 'incremental') => {
      modelReads = 0;
      counter.reset();
      const run = await timed(() => flagDormant(deps, { asOf: at, policy: v.policy, segments: SEGMENTS }));
      const counts = counter.snapshot();
      const s: Summary = run.value;
      if (s.mode !== expected)
        throw new Error(`${v.name} at ${at}: expected a ${expected} run, got ${s.mode} (${s.reason})`);
      if (s.failed.length > 0) throw new Error(`${v.name} at ${at}: ${s.failed.length} customers failed`);
      const total = sumCounts(counts);
      const measured: FlagAdaptiveRun = {
        asOf: at,
        mode: s.mode,
        scanned: s.scanned,
        changed: s.changed,
        refreshed: s.refreshed,
        unchanged: s.unchanged,
        scored: s.scored,
        itemsRead: total.itemsRead,
        readUnits: total.readUnitsBilled,
        queries: pick(counts, 'requests', 'Query'),
        getItems: pick(counts, 'requests', 'GetItem'),
        writeRequests: total.writeRequests,
        writeUnits: total.writeUnits,
        modelReads,
        seconds: run.seconds,
      };
      return { measured, summary: s, counts };
    };
    const first = await runOnce(asOf, 'full');
    log(
      `${v.name}: full pass ${int(first.measured.changed)} changed, ${int(first.measured.scored)} scored, ` +
        `${int(first.measured.itemsRead)} read, ${first.measured.seconds.toFixed(1)} s`,
    );
    const daily: FlagAdaptiveRun[] = [];
    const transitions: Record<string, number> = {};
    for (let d = 1; d <= DAILY_RUNS; d++) {
      const { measured, summary, counts } = await runOnce(endOfDay(addDays(asOf, d).slice(0, 10)), 'incremental');
      daily.push(measured);
      requests = addSnapshots(requests, counts);
      for (const [k, n] of Object.entries(summary.transitions)) transitions[k] = (transitions[k] ?? 0) + n;
    }
    const sum = (k: keyof FlagAdaptiveRun) => daily.reduce((n, r) => n + Number(r[k]), 0);
    const changed = sum('changed');
    const scanned = sum('scanned');
    const itemsRead = sum('itemsRead');
    const totals: FlagAdaptiveVariant['totals'] = {
      runs: daily.length,
      changed,
      scanned,
      readUnchanged: scanned - changed,
      itemsRead,
      readUnits: sum('readUnits'),
      writeRequests: sum('writeRequests'),
      writeUnits: sum('writeUnits'),
      modelReads: sum('modelReads'),
      getItems: sum('getItems'),
      queries: sum('queries'),
      scored: sum('scored'),
      transitions,
    };
    const per = (n: number) => n / Math.max(1, changed);
    const perCustomerDay = (n: number) => n / customers / daily.length;
    const stored = await storedScores(stores);
    const variant: FlagAdaptiveVariant = {
      name: v.name,
      label: v.label,
      policyMode: v.policy.mode,
      ...(model ? { model } : {}),
      fullPass: { ...first.measured, stages: first.summary.stages },
      daily,
      totals,
      readsPerChanged: per(itemsRead),
      readUnitsPerChanged: per(totals.readUnits),
      writesPerChanged: per(totals.writeRequests),
      writeUnitsPerChanged: per(totals.writeUnits),
      readUnchangedPerCustomerDay: perCustomerDay(totals.readUnchanged),
      modelReadsPerRun: totals.modelReads / daily.length,
      overheadReadsPerCustomerDay: perCustomerDay(itemsRead - changed),
      stored,
      requests,
    };
    log(
      `${v.name}: ${DAILY_RUNS} daily runs, ${int(changed)} changed, ${int(itemsRead)} read ` +
        `(${variant.readsPerChanged.toFixed(2)} per changed), ${int(totals.writeRequests)} writes, ` +
        `${totals.modelReads} model reads; ${int(stored.withScore)} of ${int(stored.customers)} hold a score`,
    );
    variants.push(variant);
  }
  const baseline = variants.find((x) => x.name === 'fixed');
  const extra = (f: (x: FlagAdaptiveVariant) => number) =>
    Object.fromEntries(variants.map((x) => [x.name, baseline ? f(x) - f(baseline) : 0])) as Record<VariantName, number>;
  return {
    customers,
    share: FLAG_ADAPTIVE_SHARE,
    asOf,
    dailyRuns: DAILY_RUNS,
    variants,
    extraReadsPerCustomerDay: extra((x) => x.totals.itemsRead / customers / x.totals.runs),
    extraOverheadReadsPerCustomerDay: extra((x) => x.overheadReadsPerCustomerDay),
  };
}
