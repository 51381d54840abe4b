import type { ScaledCost } from './cost.ts';
import { SQS_IDLE_REQUESTS_PER_MONTH } from './cost.ts';
import { usdSqs } from './prices.ts';

/**
 * The monthly bill as line items that add up to the total (SES excluded), the same for the design as it is and for
 * the frozen "before" figures, so the two can be set side by side.
 */
export interface CostLines {
  /** DynamoDB reads and writes of the scheduled jobs: flag, cohorts, win-back planner and sender */
  scheduledDynamodb: number;
  /** their Lambda compute and requests, Step Functions, SQS per email, Scheduler */
  scheduledCompute: number;
  /** record-activity: DynamoDB, Lambda, PutEvents */
  recordActivity: number;
  /** ses-feedback (per SES event) and unsubscribe */
  sesFeedback: number;
  /** customers with their GSI entries, the ledger, orders */
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
  recordActivity: 'record-activity: DynamoDB, Lambda, PutEvents (order events)',
  sesFeedback: 'ses-feedback (SES events) and unsubscribe',
  storage: 'storage: customers and their index entries, ledger, orders',
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
  return {
    scheduledDynamodb: x.dynamodb.readsUsd + x.dynamodb.writesUsd,
    scheduledCompute:
      x.lambda.computeUsd + x.lambda.requestsUsd + x.stepFunctions.usd + x.scheduler.usd + (x.sqs.usd - idle),
    recordActivity: b.recordActivity.usd,
    sesFeedback: b.sesFeedback.usd + b.unsubscribe.usd,
    storage: x.dynamodb.storageUsd + b.ordersStorage.usd,
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

/**
 * The bill before the issue "The job as the unit of the house" (commit ac89ff3: 26 custom metrics, the dashboard,
 * the alarm topic's KMS key, 18 alarms, Lambda platform log lines, 512 MB event handlers, a customer write per
 * SES delivery, customer indexes projecting ALL), as the cost scenario computed it on 2026-12-02T02:34:57Z from
 * the same measured sections. Frozen here: the design it describes is gone from the template.
 */
export const BEFORE = {
  commit: 'ac89ff3',
  run: '2026-12-02T02:34:57.865Z',
  alarms: 18,
  customMetrics: 26,
  bySize: [
    {
      customers: 100_000,
      lines: {
        scheduledDynamodb: 0.1815,
        scheduledCompute: 0.0278,
        recordActivity: 0.1419,
        sesFeedback: 0.045,
        storage: 0.0876,
        pitr: 0.0476,
        logs: 0.0373,
        xray: 0,
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
        recordActivity: 1.4192,
        sesFeedback: 0.4495,
        storage: 0.8765,
        pitr: 0.4758,
        logs: 0.3685,
        xray: 0,
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
        recordActivity: 14.1919,
        sesFeedback: 4.4951,
        storage: 8.7646,
        pitr: 4.7579,
        logs: 3.6806,
        xray: 0,
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
