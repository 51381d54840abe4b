import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import { AS_OF_DATE, CURRENCY, DEPLOYMENT, SENDING, WINBACK, WINBACK_RUNS_PER_DAY } from '../context.ts';
import { KEYS_ONLY_ENTRY_BYTES, type MeasuredRuns, type ScaledCost, scaleCost } from '../cost.ts';
import { costAssumptions } from '../cost-assumptions.ts';
import { sumCounts } from '../counting.ts';
import { median, pick } from '../measure.ts';
import { ITEM_OVERHEAD_BYTES, PRICES, WEEKS_PER_MONTH } from '../prices.ts';
import { type Recommendation, recommendations } from '../recommendations.ts';
import type { BenchResults } from '../results.ts';
import { SEED_CHUNK } from '../seed.ts';
import { stackInventory } from '../template.ts';
import type { FeedbackCost, MeasuredFeedback } from './sends.ts';

/** The sizes the model is evaluated at. */
export const MODELLED_CUSTOMERS = [100_000, 1_000_000, 10_000_000];
/** Customers of the synthetic base the order rate is taken from (the first chunks the bench seeds). */
const ORDER_RATE_SAMPLE = 20_000;

/**
 * The shape of CostResult: raised when it changes, so a cost section an older model wrote into results.json is
 * reported as such instead of rendered with missing fields (bench/report-cost.ts).
 */
export const COST_MODEL_VERSION = 2;

export interface CostResult {
  /** COST_MODEL_VERSION of the model that wrote it (unset before version 2) */
  model?: number;
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

/** The customer index projection a run measured with (recorded since the projection became a choice: ALL before). */
function projectionOf(r: BenchResults, run: string | undefined): string {
  return r.runs.find((x) => x.generatedAt === run)?.params.customerIndexProjection ?? 'ALL';
}

/**
 * Write units of a flow measured with customer indexes projecting ALL, for KEYS_ONLY indexes (an estimate, an
 * upper bound): each index write of the measurement becomes one of at most 1 WRU (a keys-only entry is ~75 B;
 * items of `itemBytes` cost ceil(itemBytes / 1 KB) per copy). With KEYS_ONLY DynamoDB writes an index only when the
 * item's key attributes for it change, so the real figure is lower: measure it by running the scenario again.
 */
function keysOnlyWriteUnits(total: number, index: number, itemBytes: number): number {
  return total - index + index / Math.max(1, Math.ceil(itemBytes / 1024));
}

/** What the model needs from the measured sections (the latest of each), or which scenarios to run first. */
export function measuredRuns(root: string, r: BenchResults): MeasuredRuns {
  const { base, flag, winback, cohorts, sends, importCdnow } = r;
  const feedbackMeasured = sends?.feedback;
  const missing = Object.entries({
    flag: base && flag,
    winback,
    cohorts,
    sends: feedbackMeasured,
    'import-cdnow': importCdnow,
  })
    .filter(([, section]) => !section)
    .map(([name]) => name);
  if (!base || !flag || !winback || !cohorts || !feedbackMeasured || !importCdnow) {
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

  // The customer index projection of the template against the one each measuring run had.
  const template = inventory.customerIndexProjection;
  const measuredWith = {
    flag: projectionOf(r, flag.run),
    winback: projectionOf(r, winback.run),
    sends: projectionOf(r, sends.run),
    importCdnow: projectionOf(r, importCdnow.run),
  };
  const differing = Object.entries(measuredWith).filter(([, projection]) => projection !== template);
  const estimated = differing.map(([section]) => section);
  if (estimated.length && template !== 'KEYS_ONLY') {
    throw new Error(
      `the template's customer indexes project ${template}, the ${estimated.join(', ')} results were measured with ` +
        'other projections: run those scenarios again',
    );
  }
  const toTemplate = (section: keyof typeof measuredWith) => measuredWith[section] !== template;

  const inc = flag.incremental;
  const rates = winback.day.rates;
  const cohortCounts = cohorts.requests;
  const winbackWrites = sumCounts(winback.day.senderRequests, winback.day.plannerRequests);
  const winbackIndexShare = winbackWrites.indexWriteUnits / Math.max(1, winbackWrites.writeUnits);
  const events = importCdnow.eventsOnTarget ?? importCdnow.events;
  const itemBytes = base.avgCustomerItemBytes;

  // Flag: a keys-only next-check query is followed by a strongly consistent read of each item (1 RCU).
  const flagIndexWrites = pick(inc.requests, 'indexWriteUnits');
  const flagIndexItems = pick(inc.requests, 'itemsRead', 'Query');
  const flagReadUnits = inc.readUnits + (toTemplate('flag') ? flagIndexItems : 0);
  const flagWriteUnits = toTemplate('flag')
    ? keysOnlyWriteUnits(inc.writeUnits, flagIndexWrites, itemBytes)
    : inc.writeUnits;
  // Win-back: the due-index query is followed by reading the items (1 RCU each).
  const copyFactor = 1 / Math.max(1, Math.ceil(itemBytes / 1024));
  const winbackFactor = toTemplate('winback') ? keysOnlyWriteUnits(1, winbackIndexShare, itemBytes) : 1;
  const plannerExtraReads = toTemplate('winback') ? rates.plannerItemsReadPerStep : 0;
  const catchUp = winback.catchUp.totals;

  // ses-feedback per event and path. Runs before the bounce path was measured took the delivery path with a
  // customer write (reset softBounces): that is the bounce path; a delivery now writes no customer (shared/jobs/
  // ses-feedback.ts) unless it had soft bounces, so it is the measured delivery without its customer PutItem.
  // The sends scenario's customers are small (under 1 KB): their index copies cost 1 WRU each with either projection.
  const perEvent = (f: FeedbackCost, customerWrite = 0) => {
    const n = Math.max(1, f.events);
    // A failed conditional write is billed as a write of the item (ledger items are under 1 KB); not reported locally.
    return {
      requests: (f.requests - (customerWrite ? pick(f.requestsByCommand, 'requests', 'PutItem') : 0)) / n,
      readUnits: f.readUnits / n,
      writeUnits: (f.writeUnits + f.failedWrites - customerWrite) / n,
      failedWriteUnits: f.failedWrites / n,
    };
  };
  const need = (type: MeasuredFeedback): FeedbackCost => {
    const f = feedbackMeasured[type];
    if (!f) throw new Error(`the sends results have no ${type} feedback: run the sends scenario again`);
    return f;
  };
  const delivery = need('delivery');
  const sesFeedback = {
    send: perEvent(need('send')),
    open: perEvent(need('open')),
    delivery: feedbackMeasured.bounce
      ? perEvent(delivery)
      : perEvent(delivery, pick(delivery.requestsByCommand, 'writeUnits', 'PutItem')),
    bounce: perEvent(feedbackMeasured.bounce ?? delivery),
  };
  const orderEvents = events.orderEvents;
  const orderIndexWrites = pick(orderEvents.requestsByCommand, 'indexWriteUnits');

  return {
    customers: base.customers,
    avgCustomerItemBytes: itemBytes,
    gsiShares: winback.gsiShares,
    projection: {
      template,
      measured: [...new Set(Object.values(measuredWith))].join(', '),
      ...(estimated.length
        ? {
            estimate:
              `${estimated.join(', ')} measured with ${[...new Set(differing.map(([, projection]) => projection))].join(', ')}: ` +
              'their index write units are taken at 1 WRU per entry written (an upper bound: keys-only entries are ' +
              'written only when their keys change) and 1 RCU is added per item read through an index',
          }
        : {}),
    },
    gsiEntryBytes: (template === 'ALL' ? itemBytes : KEYS_ONLY_ENTRY_BYTES) + ITEM_OVERHEAD_BYTES,
    avgLedgerItemBytes: sends.avgLedgerItemBytes,
    flag: {
      deltaDays: flag.deltaDays,
      changed: inc.changed,
      readUnits: flagReadUnits,
      writeUnits: flagWriteUnits,
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
      memoryMb: memory('flag-full-pass'),
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
      memoryMb: memory('churn-cohorts'),
    },
    winback: {
      dormantEntriesPerDay: (inc.transitions['at_risk>dormant'] ?? 0) / flag.deltaDays,
      consentShare: base.consentShare,
      holdoutShare: SENDING.holdoutPercent / 100,
      steps: WINBACK.steps.length,
      runsPerDay: WINBACK_RUNS_PER_DAY,
      plannerReadUnitsPerStep: rates.plannerReadUnitsPerStep + plannerExtraReads,
      plannerWriteUnitsPerStep: rates.plannerWriteUnitsPerStep * winbackFactor,
      plannerSecondsPerStep: rates.plannerSecondsPerStep,
      emptyRunReadUnits: rates.emptyRunReadUnits,
      emptyRunSeconds: rates.emptyRunSeconds,
      senderReadUnitsPerEmail: rates.senderReadUnitsPerEmail,
      senderWriteUnitsPerEmail: rates.senderWriteUnitsPerEmail * winbackFactor,
      senderSecondsPerBatch: winback.senderSecondsPerBatch,
      maxSendRate: DEPLOYMENT.maxSendRate,
      senderConcurrency: DEPLOYMENT.senderConcurrency,
      plannerMemoryMb: memory('winback-email'),
      senderMemoryMb: memory('winback-send'),
      catchUp: {
        customers: winback.customers,
        readUnits:
          catchUp.plannerReadUnits + catchUp.senderReadUnits + (toTemplate('winback') ? catchUp.plannerItemsRead : 0),
        writeUnits: (catchUp.plannerWriteUnits + catchUp.senderWriteUnits) * winbackFactor,
        emails: catchUp.sent,
      },
      indexWriteShare: (winbackIndexShare * (toTemplate('winback') ? copyFactor : 1)) / winbackFactor,
    },
    orders: { ...syntheticOrderRates(), avgItemBytes: importCdnow.avgOrderItemBytes },
    recordActivity: {
      measuredOn: events.target,
      requestsPerEvent: orderEvents.requestsPer,
      readUnitsPerEvent: orderEvents.readUnitsPer,
      writeUnitsPerEvent: toTemplate('importCdnow')
        ? keysOnlyWriteUnits(orderEvents.writeUnits, orderIndexWrites, importCdnow.avgCustomerItemBytes) /
          Math.max(1, orderEvents.count)
        : orderEvents.writeUnitsPer,
      localSecondsPerEvent: orderEvents.seconds / Math.max(1, orderEvents.count),
    },
    sesFeedback,
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
    model: COST_MODEL_VERSION,
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
