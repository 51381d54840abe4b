import { type EmailFeedback, EmailFeedbackSchema } from '../shared/domain/email-feedback.ts';
import type { MeasuredRuns } from './cost.ts';
import {
  HOURS_PER_MONTH,
  ITEM_OVERHEAD_BYTES,
  PRICES,
  usdGbs,
  usdLambdaRequests,
  usdRead,
  usdWrite,
} from './prices.ts';
import type { FunctionInventory } from './template.ts';

/** The paths an SES event takes through applySesFeedback (shared/jobs/ses-feedback.ts), each measured. */
export type FeedbackPath = 'send' | 'delivery' | 'open' | 'bounce';
/** Per SES event on a path: requests and capacity units, `writeUnits` including the failed conditional writes. */
export interface FeedbackPathUnits {
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** the part of writeUnits that failed conditional writes cost (resolving a claim already resolved) */
  failedWriteUnits: number;
}
/** ses-feedback's measured units per event, by path. */
export type FeedbackUnits = Record<FeedbackPath, FeedbackPathUnits>;

/**
 * The rest of a real bill, next to the four jobs' core (cost.ts): the fixed items of the synthesized stack (alarms,
 * dashboards, KMS keys, secrets), EMF custom metrics, CloudWatch Logs, X-Ray traces, point-in-time recovery, order
 * storage, and the event-driven functions (record-activity per order event with its PutEvents, ses-feedback per
 * SES event, unsubscribe per click).
 */

/** SES events per email sent, by type (assumption; ~2.5 in all): every email a Send and nearly every one a Delivery. */
export const SES_EVENTS_PER_EMAIL: Record<EmailFeedback['type'], number> = {
  send: 1,
  delivery: 0.97,
  open: 0.4,
  click: 0.1,
  bounce: 0.02,
  delivery_delay: 0.01,
  complaint: 0.001,
  reject: 0.001,
};
/** The measured path each SES event type takes through applySesFeedback (shared/jobs/ses-feedback.ts). */
export const FEEDBACK_PATH: Record<EmailFeedback['type'], FeedbackPath> = {
  // resolve the claim only
  send: 'send',
  delivery_delay: 'send',
  // resolve + record on the ledger + read the customer (written only if it had soft bounces: rarely)
  delivery: 'delivery',
  // resolve + record on the ledger + read and write the customer
  bounce: 'bounce',
  complaint: 'bounce',
  // resolve + record on the ledger
  open: 'open',
  click: 'open',
  reject: 'open',
};

/** SES events per email of the types the configuration set publishes (the others never reach ses-feedback). */
export function publishedSesEvents(published: readonly EmailFeedback['type'][]): [EmailFeedback['type'], number][] {
  return EmailFeedbackSchema.shape.type.options
    .filter((type) => published.includes(type))
    .map((type) => [type, SES_EVENTS_PER_EMAIL[type]]);
}
/** Emails whose recipient unsubscribes (assumption): each a GET (confirmation page) and a POST (RFC 8058). */
export const UNSUBSCRIBES_PER_EMAIL = 0.005;
/** Billed duration of one event-driven invocation (assumption: 3 DynamoDB calls + handler, warm). */
export const EVENT_INVOCATION_SECONDS = 0.1;
/**
 * CloudWatch Logs bytes (assumptions, JSON log format): the platform.start and platform.report lines of an
 * invocation (where the system log level lets them through), one Powertools summary line (measured locally at
 * ~570 B with the Lambda context), one EMF line where the handler publishes metrics (~350 B for 3 metrics; fewer
 * metrics make it shorter, not counted), and one Step Functions
 * execution-history event per state transition (logging level ALL, no execution data).
 */
export const LOG_BYTES = { systemPerInvocation: 700, summaryLine: 600, emfLine: 350, stateMachineEvent: 400 } as const;

export interface BillInputs {
  customers: number;
  emailsPerMonth: number;
  /** invocations of the scheduled jobs' functions (cost.ts), by job */
  invocationsByJob: Record<string, number>;
  /** executions (with Distributed Map children) and state transitions per month, by the job a state machine runs */
  stateMachinesByJob: Record<string, { executions: number; transitions: number }>;
  /** the customers and ledger tables without their indexes (what point-in-time recovery is billed on) */
  baseTableBytes: number;
  /** the customers' GSI copies */
  gsiCopyBytes: number;
  winbackWriteUnits: number;
}

export interface RestOfBill {
  volumes: {
    orderEventsPerMonth: number;
    sesEventsPerMonth: number;
    unsubscribeRequestsPerMonth: number;
    invocationsByJob: Record<string, number>;
  };
  recordActivity: {
    readUnits: number;
    writeUnits: number;
    gbSeconds: number;
    dynamodbUsd: number;
    lambdaUsd: number;
    putEventsUsd: number;
    usd: number;
  };
  sesFeedback: {
    readUnits: number;
    writeUnits: number;
    /** the failed conditional writes among writeUnits */
    failedWriteUnits: number;
    /** SES events per month by the path they take */
    eventsByPath: Record<FeedbackPath, number>;
    /** CloudWatch Logs bytes of one invocation (what the log levels let through) */
    logBytesPerEvent: number;
    gbSeconds: number;
    dynamodbUsd: number;
    lambdaUsd: number;
    usd: number;
  };
  unsubscribe: { gbSeconds: number; usd: number };
  ordersStorage: { gb: number; usd: number };
  pitr: { gb: number; usd: number };
  logs: { gb: number; ingestUsd: number; storageUsd: number; usd: number; systemShare: number };
  xray: { traces: number; usd: number };
  /** usedUsd: the metrics ALARMED_METRICS lists (published with `metrics: "alarmed"`) */
  metrics: { count: number; upperBoundUsd: number; usd: number; usedUsd: number };
  fixed: {
    alarms: number;
    dashboards: number;
    kmsKeys: number;
    secrets: number;
    alarmsUsd: number;
    dashboardsUsd: number;
    kmsUsd: number;
    secretsUsd: number;
    usd: number;
  };
  /** the GSI share of the writes above (planner, sender, events, feedback), for the projection estimate */
  indexedWriteUsd: number;
  gsiStorageUsd: number;
  usd: number;
}

const GB = 2 ** 30;

const SECONDS_PER_MONTH = 30 * 86_400;
/** Lambda's fixed sampling with active tracing: the first request each second, then 5% of the rest. */
export const XRAY_RESERVOIR_PER_SECOND = 1;
export const XRAY_FIXED_RATE = 0.05;

/**
 * Traces a function records in a month with `n` invocations spread evenly (Poisson arrivals each second): the
 * reservoir takes min(arrivals, 1) a second, the fixed rate 5% of the others. Even spread is an upper bound.
 */
export function tracesRecorded(n: number): number {
  const lambda = n / SECONDS_PER_MONTH;
  const reservoir = 1 - Math.exp(-lambda * XRAY_RESERVOIR_PER_SECOND);
  return SECONDS_PER_MONTH * (reservoir + XRAY_FIXED_RATE * Math.max(0, lambda - reservoir));
}

/** Hours of a month in which a metric with `n` datapoints, spread evenly, receives data (an upper bound). */
export const activeHours = (n: number) => HOURS_PER_MONTH * (1 - Math.exp(-n / HOURS_PER_MONTH));

/** Whether INFO lines reach a log group at this level: Lambda's platform.start and platform.report (the system log
 * level), the handler's summary line (the application log level). */
const infoLogged = (level: string) => level === 'INFO' || level === 'DEBUG' || level === 'TRACE';
export const platformLinesLogged = (systemLogLevel: string) => infoLogged(systemLogLevel);
export const summaryLineLogged = (applicationLogLevel: string) => infoLogged(applicationLogLevel);

/** CloudWatch Logs bytes of one invocation of a function, by its log levels and the metrics it publishes. */
function logBytesPerInvocation(fn: FunctionInventory): number {
  // platform.start and platform.report are INFO lines: a system log level of WARN leaves them out.
  const system = platformLinesLogged(fn.systemLogLevel) ? LOG_BYTES.systemPerInvocation : 0;
  const summary = summaryLineLogged(fn.applicationLogLevel) ? LOG_BYTES.summaryLine : 0;
  // EMF lines are not filtered by the log level (Powertools Metrics writes them with its own console).
  return system + summary + fn.emfLinesPerInvocation * LOG_BYTES.emfLine;
}

export function restOfBill(m: MeasuredRuns, x: BillInputs): RestOfBill {
  const inv = m.inventory;
  const functionOf = (job: string) => {
    const fn = inv.functions.find((f) => f.job === job);
    if (!fn) throw new Error(`the synthesized stack has no ${job} function`);
    return fn;
  };
  const memoryOf = (job: string) => functionOf(job).memoryMb;
  const perCustomerPerMonth = m.orders.perCustomerPerMonth;
  const orderEvents = x.customers * perCustomerPerMonth;
  const sesEventShares = publishedSesEvents(inv.sesEventTypes);
  const sesEventsPerEmail = (type: EmailFeedback['type']) => sesEventShares.find(([t]) => t === type)?.[1] ?? 0;
  const sesEvents = x.emailsPerMonth * sesEventShares.reduce((n, [, share]) => n + share, 0);
  const unsubscribes = x.emailsPerMonth * UNSUBSCRIBES_PER_EMAIL;
  const invocationsByJob: Record<string, number> = {
    ...x.invocationsByJob,
    'record-activity': orderEvents,
    'ses-feedback': sesEvents,
    unsubscribe: 2 * unsubscribes,
  };
  const unknown = inv.functions.filter((fn) => invocationsByJob[fn.job] === undefined).map((fn) => fn.job);
  if (unknown.length) throw new Error(`the cost model does not know how often ${unknown.join(', ')} runs`);

  const ra = m.recordActivity;
  const raRead = orderEvents * ra.readUnitsPerEvent;
  const raWrite = orderEvents * ra.writeUnitsPerEvent;
  const raGbs = orderEvents * EVENT_INVOCATION_SECONDS * (memoryOf('record-activity') / 1024);
  const recordActivity = {
    readUnits: raRead,
    writeUnits: raWrite,
    gbSeconds: raGbs,
    dynamodbUsd: usdRead(raRead) + usdWrite(raWrite),
    lambdaUsd: usdGbs(raGbs) + usdLambdaRequests(orderEvents),
    putEventsUsd: (orderEvents / 1e6) * PRICES.eventBridgeUsdPerMillionEvents,
    usd: 0,
  };
  recordActivity.usd = recordActivity.dynamodbUsd + recordActivity.lambdaUsd + recordActivity.putEventsUsd;

  let fbRead = 0;
  let fbWrite = 0;
  let fbFailed = 0;
  const eventsByPath: Record<FeedbackPath, number> = { send: 0, delivery: 0, open: 0, bounce: 0 };
  for (const [type, share] of sesEventShares) {
    const path = m.sesFeedback[FEEDBACK_PATH[type]];
    fbRead += x.emailsPerMonth * share * path.readUnits;
    fbWrite += x.emailsPerMonth * share * path.writeUnits;
    fbFailed += x.emailsPerMonth * share * path.failedWriteUnits;
    eventsByPath[FEEDBACK_PATH[type]] += x.emailsPerMonth * share;
  }
  const fbGbs = sesEvents * EVENT_INVOCATION_SECONDS * (memoryOf('ses-feedback') / 1024);
  const sesFeedback = {
    readUnits: fbRead,
    writeUnits: fbWrite,
    failedWriteUnits: fbFailed,
    eventsByPath,
    logBytesPerEvent: logBytesPerInvocation(functionOf('ses-feedback')),
    gbSeconds: fbGbs,
    dynamodbUsd: usdRead(fbRead) + usdWrite(fbWrite),
    lambdaUsd: usdGbs(fbGbs) + usdLambdaRequests(sesEvents),
    usd: 0,
  };
  sesFeedback.usd = sesFeedback.dynamodbUsd + sesFeedback.lambdaUsd;
  // A POST reads and writes the customer like a bounce event; a GET reads it.
  const d = m.sesFeedback.bounce;
  const unsubscribeGbs = 2 * unsubscribes * EVENT_INVOCATION_SECONDS * (memoryOf('unsubscribe') / 1024);
  const unsubscribeUsd =
    usdRead(unsubscribes * 2 * d.readUnits) +
    usdWrite(unsubscribes * d.writeUnits) +
    usdGbs(unsubscribeGbs) +
    usdLambdaRequests(2 * unsubscribes);

  const ordersBytes = x.customers * m.orders.perCustomer * (m.orders.avgItemBytes + ITEM_OVERHEAD_BYTES);
  const ordersStorage = { gb: ordersBytes / GB, usd: (ordersBytes / GB) * PRICES.dynamodbUsdPerGbMonth };
  const pitrTables = inv.tables.filter((t) => t.pitr).length;
  // Backed-up bytes: the base tables, if PITR is on for them (it is for all four in the stack).
  const pitrGb = pitrTables ? (x.baseTableBytes + ordersBytes) / GB : 0;
  const pitr = { gb: pitrGb, usd: pitrGb * PRICES.dynamodbPitrUsdPerGbMonth };

  let logBytes = 0;
  let systemBytes = 0;
  let traces = 0;
  for (const fn of inv.functions) {
    const n = invocationsByJob[fn.job] ?? 0;
    systemBytes += platformLinesLogged(fn.systemLogLevel) ? n * LOG_BYTES.systemPerInvocation : 0;
    logBytes += n * logBytesPerInvocation(fn);
    if (fn.tracingActive) traces += tracesRecorded(n);
  }
  for (const sm of inv.stateMachines) {
    const runs = x.stateMachinesByJob[sm.job];
    if (!runs) throw new Error(`the cost model does not know how often state machine ${sm.name} runs`);
    if (sm.logLevel === 'ALL') logBytes += runs.transitions * LOG_BYTES.stateMachineEvent;
    if (sm.tracing) traces += tracesRecorded(runs.executions);
  }
  const retentionMonths = Math.max(...inv.logRetentionDays, 0) / 30;
  const logs = {
    gb: logBytes / GB,
    ingestUsd: (logBytes / GB) * PRICES.cloudwatchLogsIngestUsdPerGb,
    // stored uncompressed for the retention period (an upper bound: CloudWatch bills the compressed size)
    storageUsd: (logBytes / GB) * retentionMonths * PRICES.cloudwatchLogsStorageUsdPerGbMonth,
    usd: 0,
    systemShare: systemBytes / Math.max(1, logBytes),
  };
  logs.usd = logs.ingestUsd + logs.storageUsd;
  const xray = { traces, usd: (traces / 1e6) * PRICES.xrayUsdPerMillionTracesRecorded };

  // Datapoints per metric and month: one per invocation of its function, except the metrics that only some
  // invocations publish.
  const datapoints = (job: string, name: string): number => {
    // Starts a full pass only after an import or a policy change.
    if (job === 'flag-dormant' && name === 'FullPassesStarted') return 0;
    if (job === 'ses-feedback' && name.startsWith('Email_')) {
      const type = EmailFeedbackSchema.shape.type.safeParse(name.slice('Email_'.length));
      return type.success ? x.emailsPerMonth * sesEventsPerEmail(type.data) : 0;
    }
    if (job === 'ses-feedback' && name === 'CustomersSuppressed') {
      return x.emailsPerMonth * (sesEventsPerEmail('bounce') + sesEventsPerEmail('complaint'));
    }
    if (job === 'unsubscribe' && name === 'Unsubscribed') return unsubscribes;
    return invocationsByJob[job] ?? 0;
  };
  const metricUsd = (list: typeof inv.customMetrics) =>
    list.reduce(
      (usd, metric) =>
        usd +
        (activeHours(datapoints(metric.job, metric.name)) / HOURS_PER_MONTH) * PRICES.cloudwatchCustomMetricUsdPerMonth,
      0,
    );
  const metrics = {
    count: inv.customMetrics.length,
    upperBoundUsd: inv.customMetrics.length * PRICES.cloudwatchCustomMetricUsdPerMonth,
    usd: metricUsd(inv.customMetrics),
    usedUsd: metricUsd(inv.customMetrics.filter((c) => c.alarmed)),
  };

  const fixed = {
    alarms: inv.alarms.length,
    dashboards: inv.dashboards,
    kmsKeys: inv.kmsKeys,
    secrets: inv.secrets,
    alarmsUsd: inv.alarms.length * PRICES.cloudwatchAlarmUsdPerMonth,
    dashboardsUsd: inv.dashboards * PRICES.cloudwatchDashboardUsdPerMonth,
    kmsUsd: inv.kmsKeys * PRICES.kmsUsdPerKeyMonth,
    secretsUsd: inv.secrets * PRICES.secretsManagerUsdPerSecretMonth,
    usd: 0,
  };
  fixed.usd = fixed.alarmsUsd + fixed.dashboardsUsd + fixed.kmsUsd + fixed.secretsUsd;

  const indexShare = m.winback.indexWriteShare;
  return {
    volumes: {
      orderEventsPerMonth: orderEvents,
      sesEventsPerMonth: sesEvents,
      unsubscribeRequestsPerMonth: 2 * unsubscribes,
      invocationsByJob,
    },
    recordActivity,
    sesFeedback,
    unsubscribe: { gbSeconds: unsubscribeGbs, usd: unsubscribeUsd },
    ordersStorage,
    pitr,
    logs,
    xray,
    metrics,
    fixed,
    indexedWriteUsd: usdWrite(indexShare * (x.winbackWriteUnits + raWrite + fbWrite)),
    gsiStorageUsd: (x.gsiCopyBytes / GB) * PRICES.dynamodbUsdPerGbMonth,
    usd:
      recordActivity.usd +
      sesFeedback.usd +
      unsubscribeUsd +
      ordersStorage.usd +
      pitr.usd +
      logs.usd +
      xray.usd +
      metrics.usd +
      fixed.usd,
  };
}
