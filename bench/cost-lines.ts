import type { ScaledCost } from './cost.ts';
import { SQS_IDLE_REQUESTS_PER_MONTH } from './cost.ts';
import { usdGbs, usdLambdaRequests, usdSqs } from './prices.ts';

/**
 * The monthly bill as line items that add up to the total (SES excluded), the same for the design as it is and for
 * the frozen "before" figures, so the two can be set side by side, and what each change made since is worth.
 */
export interface CostLines {
  /** DynamoDB reads and writes of the scheduled jobs: flag, cohorts, win-back planner and sender */
  scheduledDynamodb: number;
  /** their Lambda compute and requests, Step Functions, SQS per email, Scheduler */
  scheduledCompute: number;
  /** DynamoDB reads and writes of the event handlers: record-activity, ses-feedback, unsubscribe */
  eventDynamodb: number;
  /** their Lambda compute and requests */
  eventLambda: number;
  /** PutEvents of the order events to the custom bus */
  putEvents: number;
  /** the customers' entries in their three indexes */
  indexStorage: number;
  /** customers, ledger and orders (the base tables) */
  storage: number;
  pitr: number;
  logs: number;
  xray: number;
  metrics: number;
  alarms: number;
  dashboards: number;
  kmsKeys: number;
  secrets: number;
  /** the send queue's event source polling while idle */
  idlePolling: number;
}

export type CostLine = keyof CostLines;

/** Which lines do not grow with the base (custom metrics do a little: prorated by the hours they have data). */
export const FIXED_LINES: readonly CostLine[] = ['alarms', 'dashboards', 'kmsKeys', 'secrets', 'idlePolling'];

export const LINE_LABELS: Record<CostLine, string> = {
  scheduledDynamodb: 'DynamoDB reads and writes of flag, cohorts, planner, sender',
  scheduledCompute: 'their Lambda, Step Functions, SQS, Scheduler',
  eventDynamodb: 'DynamoDB of record-activity, ses-feedback, unsubscribe',
  eventLambda: 'their Lambda (order events, SES events, unsubscribe requests)',
  putEvents: 'PutEvents (order events)',
  indexStorage: 'storage: the customer index entries',
  storage: 'storage: customers, ledger, orders',
  pitr: 'point-in-time recovery',
  logs: 'CloudWatch Logs',
  xray: 'X-Ray traces',
  metrics: 'custom metrics (prorated by the hour)',
  alarms: 'alarms',
  dashboards: 'dashboard',
  kmsKeys: 'KMS key (alarm topic)',
  secrets: 'secret (unsubscribe key)',
  idlePolling: 'idle polling of the send queue',
};

export function costLines(x: ScaledCost): CostLines {
  const b = x.bill;
  const idle = usdSqs(SQS_IDLE_REQUESTS_PER_MONTH);
  const unsubscribeLambda = usdGbs(b.unsubscribe.gbSeconds) + usdLambdaRequests(b.volumes.unsubscribeRequestsPerMonth);
  return {
    scheduledDynamodb: x.dynamodb.readsUsd + x.dynamodb.writesUsd,
    scheduledCompute:
      x.lambda.computeUsd + x.lambda.requestsUsd + x.stepFunctions.usd + x.scheduler.usd + (x.sqs.usd - idle),
    eventDynamodb: b.recordActivity.dynamodbUsd + b.sesFeedback.dynamodbUsd + (b.unsubscribe.usd - unsubscribeLambda),
    eventLambda: b.recordActivity.lambdaUsd + b.sesFeedback.lambdaUsd + unsubscribeLambda,
    putEvents: b.recordActivity.putEventsUsd,
    indexStorage: b.gsiStorageUsd,
    storage: x.dynamodb.storageUsd - b.gsiStorageUsd + b.ordersStorage.usd,
    pitr: b.pitr.usd,
    logs: b.logs.usd,
    xray: b.xray.usd,
    metrics: b.metrics.usd,
    alarms: b.fixed.alarmsUsd,
    dashboards: b.fixed.dashboardsUsd,
    kmsKeys: b.fixed.kmsUsd,
    secrets: b.fixed.secretsUsd,
    idlePolling: idle,
  };
}

export const sumLines = (lines: CostLines, only?: readonly CostLine[]): number =>
  Object.entries(lines).reduce((sum, [line, usd]) => sum + (!only || only.some((l) => l === line) ? usd : 0), 0);

/** The goals of the issue "Scale to 10 million customers" (issue 10), SES excluded. */
export const GOALS = {
  /** all in at 1M customers, per month */
  allInAt1mUsd: 8,
  /** per additional 1M customers at 10M (between the 1M and 10M columns), per month */
  perAdditionalMillionAt10mUsd: 4,
} as const;

/** All in at 1M and per additional 1M between 1M and 10M, from the bill's lines at each size. */
export function goalFigures(bySize: { customers: number; lines: CostLines }[]) {
  const at = (n: number) => bySize.find((s) => s.customers === n);
  const [m1, m10] = [at(1_000_000), at(10_000_000)];
  if (!m1 || !m10) throw new Error('the goals need the 1M and 10M columns');
  const allInAt1mUsd = sumLines(m1.lines);
  const perAdditionalMillionAt10mUsd = (sumLines(m10.lines) - allInAt1mUsd) / 9;
  return {
    allInAt1mUsd,
    perAdditionalMillionAt10mUsd,
    allInMet: allInAt1mUsd <= GOALS.allInAt1mUsd,
    perMillionMet: perAdditionalMillionAt10mUsd <= GOALS.perAdditionalMillionAt10mUsd,
  };
}

/**
 * The bill as docs/scaling.md last gave it (commit 8f9c551, the cost run of 2026-12-02T02:21:27Z: X-Ray tracing
 * Active on the 7 functions and the state machine, 26 custom metrics, the dashboard, the alarm topic's KMS key, 18
 * alarms, Lambda platform log lines, 512 MB event handlers, a customer write per SES delivery, customer indexes
 * projecting ALL), recomputed into the lines above from that run's results.json. Frozen here: the design it
 * describes is gone from the template.
 */
export const BEFORE = {
  commit: '8f9c551',
  run: '2026-12-02T02:21:27.174Z',
  alarms: 18,
  customMetrics: 26,
  functions: 7,
  bySize: [
    {
      customers: 100_000,
      lines: {
        scheduledDynamodb: 0.1815,
        scheduledCompute: 0.0278,
        eventDynamodb: 0.1207,
        eventLambda: 0.0386,
        putEvents: 0.0276,
        indexStorage: 0.0282,
        storage: 0.0595,
        pitr: 0.0476,
        logs: 0.0373,
        xray: 0.2289,
        metrics: 2.5491,
        alarms: 1.8,
        dashboards: 3,
        kmsKeys: 1,
        secrets: 0.4,
        idlePolling: 0.2592,
      },
    },
    {
      customers: 1_000_000,
      lines: {
        scheduledDynamodb: 1.8031,
        scheduledCompute: 0.2472,
        eventDynamodb: 1.2071,
        eventLambda: 0.3857,
        putEvents: 0.2759,
        indexStorage: 0.2817,
        storage: 0.5947,
        pitr: 0.4758,
        logs: 0.3685,
        xray: 2.1704,
        metrics: 3.7166,
        alarms: 1.8,
        dashboards: 3,
        kmsKeys: 1,
        secrets: 0.4,
        idlePolling: 0.2592,
      },
    },
    {
      customers: 10_000_000,
      lines: {
        scheduledDynamodb: 18.0187,
        scheduledCompute: 2.4414,
        eventDynamodb: 12.0711,
        eventLambda: 3.8574,
        putEvents: 2.7585,
        indexStorage: 2.8172,
        storage: 5.9474,
        pitr: 4.7579,
        logs: 3.6806,
        xray: 15.4334,
        metrics: 4.6074,
        alarms: 1.8,
        dashboards: 3,
        kmsKeys: 1,
        secrets: 0.4,
        idlePolling: 0.2592,
      },
    },
  ] satisfies { customers: number; lines: CostLines }[],
};

/**
 * The recommendations of docs/scaling.md made since BEFORE, each with the lines of the bill it acts on: its effect
 * is those lines before minus now. The lines also move with the re-measured sections (a new bench run after the
 * change), so an effect is the change and the re-measurement together; where two changes share a line they are
 * one row.
 */
export const DONE: { change: string; lines: CostLine[] }[] = [
  { change: 'X-Ray tracing off by default (`tracing` in the deployment config)', lines: ['xray'] },
  {
    change: 'only the alarmed metrics published (`metrics: "alarmed"`, PUBLISHED_METRICS; 26 → the alarmed ones)',
    lines: ['metrics'],
  },
  { change: 'the dashboard opt-in (`dashboard: false`)', lines: ['dashboards'] },
  { change: 'no customer-managed KMS key on the alarm topic', lines: ['kmsKeys'] },
  {
    change:
      'no Errors alarm where a dead-letter queue or a state-machine alarm covers the function (net of the alarms ' +
      'the second state machine added)',
    lines: ['alarms'],
  },
  {
    change: 'Lambda system log level WARN (no platform.start/report lines; fewer EMF lines with fewer metrics)',
    lines: ['logs'],
  },
  { change: '256 MB for record-activity, ses-feedback, unsubscribe (was 512 MB)', lines: ['eventLambda'] },
  {
    change:
      'KEYS_ONLY customer GSIs (items read after the index query) and ses-feedback without the no-op customer ' +
      'write on a Delivery',
    lines: ['scheduledDynamodb', 'eventDynamodb', 'indexStorage'],
  },
];
