import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import { AS_OF_DATE, CURRENCY, DEPLOYMENT, SENDING, WINBACK, WINBACK_RUNS_PER_DAY } from '../context.ts';
import { type MeasuredRuns, type ScaledCost, scaleCost } from '../cost.ts';
import { costAssumptions } from '../cost-assumptions.ts';
import { sumCounts } from '../counting.ts';
import { median, pick } from '../measure.ts';
import { PRICES, WEEKS_PER_MONTH } from '../prices.ts';
import { type Recommendation, recommendations } from '../recommendations.ts';
import type { BenchResults } from '../results.ts';
import { SEED_CHUNK } from '../seed.ts';
import { stackInventory } from '../template.ts';

/** The sizes the model is evaluated at. */
export const MODELLED_CUSTOMERS = [100_000, 1_000_000, 10_000_000];
/** Customers of the synthetic base the order rate is taken from (the first chunks the bench seeds). */
const ORDER_RATE_SAMPLE = 20_000;

export interface CostResult {
  /** the run each input section was measured in (its generatedAt) */
  sources: Record<string, string>;
  assumptions: string[];
  prices: typeof PRICES;
  measured: MeasuredRuns;
  scaled: ScaledCost[];
  recommendations: Recommendation[];
  /** all in, SES excluded, with every recommendation applied, per modelled size */
  withRecommendationsUsd: number[];
}

/** Orders per customer (stored history) and per customer-month (the 30 days to D) of the synthetic base. */
function syntheticOrderRates() {
  const end = endOfDay(AS_OF_DATE);
  const monthAgo = addDays(end, -30);
  let customers = 0;
  let orders = 0;
  let recent = 0;
  for (let k = 0; k * SEED_CHUNK < ORDER_RATE_SAMPLE; k++) {
    const base = syntheticBase({ customers: SEED_CHUNK, end, seed: 42 + k, currency: CURRENCY });
    customers += base.profiles.length;
    orders += base.orders.length;
    recent += base.orders.filter((o) => o.placedAt > monthAgo).length;
  }
  return { perCustomer: orders / customers, perCustomerPerMonth: recent / customers };
}

/** What the model needs from the measured sections (the latest of each), or which scenarios to run first. */
export function measuredRuns(root: string, r: BenchResults): MeasuredRuns {
  const { base, flag, winback, cohorts, sends, importCdnow } = r;
  const missing = Object.entries({
    flag: base && flag,
    winback,
    cohorts,
    sends: sends?.feedback,
    'import-cdnow': importCdnow,
  })
    .filter(([, section]) => !section)
    .map(([name]) => name);
  if (!base || !flag || !winback || !cohorts || !sends?.feedback || !importCdnow) {
    throw new Error(
      `the cost model needs the results of ${missing.join(', ')}: run those scenarios first (or with cost)`,
    );
  }
  const inventory = stackInventory(root);
  const memory = (job: string) => {
    const fn = inventory.functions.find((f) => f.job === job);
    if (!fn) throw new Error(`the synthesized stack has no ${job} function`);
    return fn.memoryMb;
  };
  const inc = flag.incremental;
  const rates = winback.day.rates;
  const cohortCounts = cohorts.requests;
  const winbackWrites = sumCounts(winback.day.senderRequests, winback.day.plannerRequests);
  const events = importCdnow.eventsOnTarget ?? importCdnow.events;
  const perEvent = (key: 'requests' | 'readUnits' | 'writeUnits', type: 'send' | 'delivery' | 'open') => {
    const f = sends.feedback?.[type];
    if (!f) return 0;
    // A failed conditional write is billed as a write of the item (ledger items are under 1 KB); not reported locally.
    const extra = key === 'writeUnits' ? f.failedWrites : 0;
    return (f[key] + extra) / Math.max(1, f.events);
  };
  const feedback = (type: 'send' | 'delivery' | 'open') => ({
    requests: perEvent('requests', type),
    readUnits: perEvent('readUnits', type),
    writeUnits: perEvent('writeUnits', type),
  });
  return {
    customers: base.customers,
    avgCustomerItemBytes: base.avgCustomerItemBytes,
    gsiShares: winback.gsiShares,
    avgLedgerItemBytes: sends.avgLedgerItemBytes,
    flag: {
      deltaDays: flag.deltaDays,
      changed: inc.changed,
      readUnits: inc.readUnits,
      writeUnits: inc.writeUnits,
      failedWrites: inc.requests.PutItem?.errors ?? 0,
      seconds: inc.seconds,
      memoryMb: memory('flag-dormant'),
    },
    fullPass: {
      segments: cohorts.segments,
      itemsRead: flag.fullPass.itemsRead,
      readUnits: pick(flag.fullPass.requests, 'readUnitsBilled', 'Scan'),
      seconds: flag.fullPass.seconds,
      clientCpuMicrosPerItem: flag.fullPass.clientCpuMicrosPerItem,
      initialWriteUnits: base.initialFlag.writeUnits,
      memoryMb: memory('full-pass'),
    },
    cohorts: {
      runsPerMonth: WEEKS_PER_MONTH,
      segments: cohorts.segments,
      seconds: cohorts.bestCohortSeconds,
      itemsRead: pick(cohortCounts, 'itemsRead', 'Scan'),
      scanReadUnits: pick(cohortCounts, 'readUnitsBilled', 'Scan'),
      checkpointReadUnits: pick(cohortCounts, 'readUnitsBilled', 'GetItem', 'Query'),
      checkpointWriteUnits: pick(cohortCounts, 'writeUnits', 'PutItem'),
      snapshotWriteUnits: pick(cohortCounts, 'writeUnits', 'BatchWriteItem'),
      clientCpuMicrosPerItem: (median(cohorts.cohortCpuSeconds) / Math.max(1, cohorts.scannedItems)) * 1e6,
      memoryMb: memory('full-pass'),
    },
    winback: {
      dormantEntriesPerDay: (inc.transitions['at_risk>dormant'] ?? 0) / flag.deltaDays,
      consentShare: base.consentShare,
      holdoutShare: SENDING.holdoutPercent / 100,
      steps: WINBACK.steps.length,
      runsPerDay: WINBACK_RUNS_PER_DAY,
      plannerReadUnitsPerStep: rates.plannerReadUnitsPerStep,
      plannerWriteUnitsPerStep: rates.plannerWriteUnitsPerStep,
      plannerSecondsPerStep: rates.plannerSecondsPerStep,
      emptyRunReadUnits: rates.emptyRunReadUnits,
      emptyRunSeconds: rates.emptyRunSeconds,
      senderReadUnitsPerEmail: rates.senderReadUnitsPerEmail,
      senderWriteUnitsPerEmail: rates.senderWriteUnitsPerEmail,
      senderSecondsPerBatch: winback.senderSecondsPerBatch,
      maxSendRate: DEPLOYMENT.maxSendRate,
      senderConcurrency: DEPLOYMENT.senderConcurrency,
      plannerMemoryMb: memory('winback-email'),
      senderMemoryMb: memory('winback-send'),
      catchUp: {
        customers: winback.customers,
        readUnits: winback.catchUp.totals.plannerReadUnits + winback.catchUp.totals.senderReadUnits,
        writeUnits: winback.catchUp.totals.plannerWriteUnits + winback.catchUp.totals.senderWriteUnits,
        emails: winback.catchUp.totals.sent,
      },
      indexWriteShare: winbackWrites.indexWriteUnits / Math.max(1, winbackWrites.writeUnits),
    },
    orders: { ...syntheticOrderRates(), avgItemBytes: importCdnow.avgOrderItemBytes },
    recordActivity: {
      measuredOn: events.target,
      requestsPerEvent: events.orderEvents.requestsPer,
      readUnitsPerEvent: events.orderEvents.readUnitsPer,
      writeUnitsPerEvent: events.orderEvents.writeUnitsPer,
      localSecondsPerEvent: events.orderEvents.seconds / Math.max(1, events.orderEvents.count),
    },
    sesFeedback: { send: feedback('send'), delivery: feedback('delivery'), open: feedback('open') },
    inventory,
  };
}

/**
 * The monthly bill at 100k, 1M and 10M customers: measured units per unit of work (the latest flag, winback,
 * cohorts, sends and import-cdnow sections) × modelled volumes, plus the fixed items of the synthesized stack;
 * and what each recommendation would save.
 */
export function costScenario(root: string, r: BenchResults): CostResult {
  const measured = measuredRuns(root, r);
  const scaled = MODELLED_CUSTOMERS.map((n) => scaleCost(measured, n));
  const recs = recommendations(measured, scaled);
  const sources: Record<string, string> = {};
  for (const key of ['base', 'flag', 'winback', 'cohorts', 'sends', 'importCdnow'] as const) {
    const section = r[key];
    if (section) sources[key] = section.run;
  }
  return {
    sources,
    assumptions: costAssumptions(measured, r),
    prices: PRICES,
    measured,
    scaled,
    recommendations: recs,
    withRecommendationsUsd: scaled.map(
      (x, i) => x.totalWithoutSesUsd - recs.reduce((usd, rec) => usd + (rec.savingUsd[i] ?? 0), 0),
    ),
  };
}
