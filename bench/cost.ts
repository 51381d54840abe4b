// Over 400 lines on purpose: the one monthly bill of the deployed design (every priced line at each size), kept
// in one place so its rows are read, and checked, together; its inputs live in cost-bill.ts and cost-assumptions.ts.
import { type BillInputs, type FeedbackUnits, type RestOfBill, restOfBill } from './cost-bill.ts';
import {
  DAYS_PER_MONTH,
  ITEM_OVERHEAD_BYTES,
  PRICES,
  usdGbs,
  usdLambdaRequests,
  usdRead,
  usdScheduler,
  usdSqs,
  usdTransitions,
  usdWrite,
} from './prices.ts';
import type { StackInventory } from './template.ts';

/**
 * Monthly AWS cost of the deployed design (incremental daily flag, weekly cohort full pass through Step Functions,
 * hourly win-back planner on the due index, SQS-fed sender), from the bench's measured DynamoDB capacity units and
 * durations per unit of work, times modelled volumes at 1M and 10M customers. No free tier is applied anywhere.
 * The core (the four jobs' DynamoDB, Lambda, Step Functions, SQS, Scheduler) is here; the rest of the bill (the
 * fixed items of the synthesized stack, events, SES feedback, logs, traces, metrics, backups) is in cost-bill.ts.
 */
export const LAMBDA_TIMEOUT_SECONDS = 15 * 60;
/** functions/full-pass.ts SEGMENT_TIME_BUDGET_SECONDS default: a segment invocation checkpoints and returns after it. */
export const SEGMENT_TIME_BUDGET_SECONDS = 600;
/** Lambda allocates CPU in proportion to memory: 1,769 MB = one vCPU. */
export const MB_PER_VCPU = 1769;
/** Months of ledger entries kept: the ledger items carry no expiresAt today, so they accumulate; a year assumed. */
export const LEDGER_MONTHS_KEPT = 12;

/** SQS requests per email (assumption): 0.1 SendMessageBatch (planner, 10 a call) + 0.1 ReceiveMessage + 0.1
 * DeleteMessageBatch (the Lambda event source, batches of 10). */
export const SQS_REQUESTS_PER_EMAIL = 0.3;
/** Idle long polling of the event source (assumption): 5 pollers × one 20-second ReceiveMessage each, all month. */
export const SQS_IDLE_REQUESTS_PER_MONTH = 5 * 3 * 60 * 24 * DAYS_PER_MONTH;

/**
 * State transitions of one full-pass execution (Standard workflow; Distributed Map children of type STANDARD are
 * billed the same way): Plan, Segments (map start and end), Merge ≈ 4; per child execution start and end 2; per
 * segment invocation loop 3 (Segment task, SegmentDone? choice, SegmentComplete or the loop back).
 */
export function fullPassTransitions(segments: number, invocations: number): number {
  return 4 + 2 * segments + 3 * invocations;
}

/** A KEYS_ONLY customer index entry, names included: customerId (18 B for c0001234) + shard (17–23 B) + instant (35 B). */
export const KEYS_ONLY_ENTRY_BYTES = 75;

/**
 * Per-unit figures for the design in the template (capacity units as the local server reported them; adjusted
 * where the measuring runs had other customer index projections, see `projection`).
 */
export interface MeasuredRuns {
  customers: number;
  avgCustomerItemBytes: number;
  /** share of customers stored in each GSI */
  gsiShares: { nextCheck: number; dormancy: number; winbackDue: number };
  /**
   * The customer indexes: their projection in the template and in the runs that measured the write units; when
   * they differ the per-unit figures were estimated from the measured ones (`estimate`).
   */
  projection: { template: string; measured: string; estimate?: string };
  /** bytes of one customer index entry, overhead included (the item with ALL, its keys with KEYS_ONLY) */
  gsiEntryBytes: number;
  avgLedgerItemBytes: number;
  flag: {
    /** the incremental run covered this many days of changes */
    deltaDays: number;
    changed: number;
    readUnits: number;
    writeUnits: number;
    /** failed conditional writes (charged by DynamoDB; not reported by the local server) */
    failedWrites: number;
    seconds: number;
    memoryMb: number;
  };
  fullPass: {
    segments: number;
    itemsRead: number;
    readUnits: number;
    /** local wall time of the parallel pass */
    seconds: number;
    clientCpuMicrosPerItem: number;
    /** capacity units of the first full pass, which writes every customer (one-time) */
    initialWriteUnits: number;
    memoryMb: number;
  };
  cohorts: {
    runsPerMonth: number;
    segments: number;
    /** best local wall time of the pass (all segments in parallel) */
    seconds: number;
    itemsRead: number;
    scanReadUnits: number;
    checkpointReadUnits: number;
    checkpointWriteUnits: number;
    snapshotWriteUnits: number;
    clientCpuMicrosPerItem: number;
    memoryMb: number;
  };
  winback: {
    /** customers entering a dormancy episode per day at the bench size (measured at_risk>dormant / deltaDays) */
    dormantEntriesPerDay: number;
    /** share of the base with marketing consent and an address */
    consentShare: number;
    holdoutShare: number;
    steps: number;
    runsPerDay: number;
    /** per step taken (planned or held out) in the measured day, the fixed per-run part removed */
    plannerReadUnitsPerStep: number;
    plannerWriteUnitsPerStep: number;
    plannerSecondsPerStep: number;
    /** a run with nothing due */
    emptyRunReadUnits: number;
    emptyRunSeconds: number;
    /** per email sent by the sender (the ledger claim, one conditional customer write, the outcome) */
    senderReadUnitsPerEmail: number;
    senderWriteUnitsPerEmail: number;
    /** local wall time of one batch of 10 when SES answers at once (the sender's own work) */
    senderSecondsPerBatch: number;
    maxSendRate: number;
    senderConcurrency: number;
    plannerMemoryMb: number;
    senderMemoryMb: number;
    /**
     * The first day after install: the due index holds every customer in a dormancy episode (one-time). Measured on
     * the win-back base of `customers` customers.
     */
    catchUp: { customers: number; readUnits: number; writeUnits: number; emails: number };
    /** share of the planner's and sender's write units that are GSI copies */
    indexWriteShare: number;
  };
  /** stored orders and the order rate of the modelled base (the synthetic generator the bench seeds) */
  orders: { perCustomer: number; perCustomerPerMonth: number; avgItemBytes: number };
  /** record-activity per order.placed event (import-cdnow: GetItem + PutItem order + PutItem customer) */
  recordActivity: {
    measuredOn: string;
    requestsPerEvent: number;
    readUnitsPerEvent: number;
    writeUnitsPerEvent: number;
    localSecondsPerEvent: number;
  };
  /** ses-feedback per SES event, by the paths that differ (sends) */
  sesFeedback: FeedbackUnits;
  /** the synthesized stack (alarms, dashboards, functions, keys, secrets, tables, metrics) */
  inventory: StackInventory;
}

export interface ScaledCost {
  customers: number;
  volumes: {
    flagChangesPerDay: number;
    winbackStepsPerDay: number;
    emailsPerDay: number;
    cohortRunsPerMonth: number;
  };
  dynamodb: {
    readUnitsByJob: { flag: number; cohorts: number; planner: number; sender: number };
    writeUnitsByJob: { flag: number; cohorts: number; planner: number; sender: number };
    readRequestUnitsPerMonth: number;
    writeRequestUnitsPerMonth: number;
    storageGb: number;
    readsUsd: number;
    writesUsd: number;
    storageUsd: number;
  };
  lambda: {
    gbSecondsByJob: { flag: number; cohorts: number; planner: number; sender: number };
    gbSecondsPerMonth: number;
    requestsPerMonth: number;
    computeUsd: number;
    requestsUsd: number;
  };
  stepFunctions: { transitionsPerMonth: number; segmentInvocationsPerRun: number; usd: number };
  sqs: { requestsPerMonth: number; usd: number };
  scheduler: { invocationsPerMonth: number; usd: number };
  /** the items the model had before issue 10 (DynamoDB of the four jobs, their Lambda, Step Functions, SQS, Scheduler) */
  coreUsd: number;
  /** everything else a real bill has (see cost-bill.ts) */
  bill: RestOfBill;
  /** the part that does not grow with the base: the stack's fixed items and the idle polling of the send queue */
  fixedUsd: number;
  /** all in, SES excluded */
  totalWithoutSesUsd: number;
  byJobUsd: { flag: number; cohorts: number; winback: number; storage: number };
  ses: { emailsPerMonth: number; usd: number; hoursOfSendingPerDay: number };
  oneTime: { fullFlagPassUsd: number; winbackCatchUpUsd: number };
  limits: {
    /** the daily incremental flag run: local wall time scaled to its daily changes */
    flagIncrementalSecondsPerRun: number;
    /** one full-pass segment (N / segments items): local wall time per item × items (upper bound) */
    segmentSecondsUpper: number;
    /** the same from client CPU only on a 1024 MB Lambda's vCPU share (lower bound) */
    segmentSecondsLower: number;
    /** invocations a segment needs at the 600 s budget (upper bound) */
    invocationsPerSegment: number;
    /** wall time of a full pass in the state machine (all segments at once; upper bound) */
    fullPassMinutesUpper: number;
  };
}

/** One full pass over N customers through the state machine: segment timing, invocations, Lambda and transitions. */
function fullPassAt(
  customers: number,
  m: { customers: number; seconds: number; segments: number; clientCpuMicrosPerItem: number; memoryMb: number },
) {
  const f = customers / m.customers;
  // Local: `segments` segments in parallel took `seconds`; one segment's items took `seconds` of wall time.
  const segmentSecondsUpper = m.seconds * f;
  const itemsPerSegment = customers / m.segments;
  const segmentSecondsLower = ((m.clientCpuMicrosPerItem * itemsPerSegment) / 1e6) * (MB_PER_VCPU / m.memoryMb);
  const invocationsPerSegment = Math.max(1, Math.ceil(segmentSecondsUpper / SEGMENT_TIME_BUDGET_SECONDS));
  const segmentInvocations = m.segments * invocationsPerSegment;
  const gbSeconds = m.segments * segmentSecondsUpper * (m.memoryMb / 1024);
  return {
    segmentSecondsUpper,
    segmentSecondsLower,
    invocationsPerSegment,
    segmentInvocations,
    lambdaRequests: segmentInvocations + 2,
    gbSeconds,
    transitions: fullPassTransitions(m.segments, segmentInvocations),
  };
}

export function scaleCost(m: MeasuredRuns, customers: number): ScaledCost {
  const f = customers / m.customers;
  const w = m.winback;

  // Volumes.
  const flagChangesPerDay = (m.flag.changed / m.flag.deltaDays) * f;
  const winbackStepsPerDay = w.dormantEntriesPerDay * f * w.consentShare * w.steps;
  const emailsPerDay = winbackStepsPerDay * (1 - w.holdoutShare);
  const plannerRunsPerMonth = w.runsPerDay * DAYS_PER_MONTH;
  const stepsPerMonth = winbackStepsPerDay * DAYS_PER_MONTH;
  const emailsPerMonth = emailsPerDay * DAYS_PER_MONTH;
  const changed = Math.max(1, m.flag.changed);

  // Flag, daily, incremental: work per changed customer, measured.
  const flagRead = DAYS_PER_MONTH * flagChangesPerDay * (m.flag.readUnits / changed);
  const failedWriteUnits = m.flag.failedWrites * Math.ceil(m.avgCustomerItemBytes / 1024);
  const flagWrite = DAYS_PER_MONTH * flagChangesPerDay * ((m.flag.writeUnits + failedWriteUnits) / changed);
  const flagGbs = DAYS_PER_MONTH * (m.flag.seconds / m.flag.deltaDays) * f * (m.flag.memoryMb / 1024);

  // Cohorts: full pass through the state machine.
  const c = m.cohorts;
  const pass = fullPassAt(customers, { ...c, customers: m.customers });
  const checkpointScale = pass.segmentInvocations / c.segments;
  const cohortsRead = c.runsPerMonth * (c.scanReadUnits * f + c.checkpointReadUnits * checkpointScale);
  const cohortsWrite = c.runsPerMonth * (c.checkpointWriteUnits * f + c.snapshotWriteUnits);
  const cohortsGbs = c.runsPerMonth * pass.gbSeconds;

  // Win-back planner (hourly) and sender (per email).
  const plannerRead = plannerRunsPerMonth * w.emptyRunReadUnits + stepsPerMonth * w.plannerReadUnitsPerStep;
  const plannerWrite = stepsPerMonth * w.plannerWriteUnitsPerStep;
  const plannerGbs =
    (plannerRunsPerMonth * w.emptyRunSeconds + stepsPerMonth * w.plannerSecondsPerStep) * (w.plannerMemoryMb / 1024);
  const senderRead = emailsPerMonth * w.senderReadUnitsPerEmail;
  const senderWrite = emailsPerMonth * w.senderWriteUnitsPerEmail;
  // Each instance sends at maxSendRate / senderConcurrency: a batch of 10 takes at least that long (paced).
  const batchSeconds = Math.max(w.senderSecondsPerBatch, 10 / (w.maxSendRate / w.senderConcurrency));
  const senderInvocations = emailsPerMonth / 10;
  const senderGbs = senderInvocations * batchSeconds * (w.senderMemoryMb / 1024);

  const readUnitsByJob = { flag: flagRead, cohorts: cohortsRead, planner: plannerRead, sender: senderRead };
  const writeUnitsByJob = { flag: flagWrite, cohorts: cohortsWrite, planner: plannerWrite, sender: senderWrite };
  const reads = flagRead + cohortsRead + plannerRead + senderRead;
  const writes = flagWrite + cohortsWrite + plannerWrite + senderWrite;

  const gsiCopies = m.gsiShares.nextCheck + m.gsiShares.dormancy + m.gsiShares.winbackDue;
  const gsiBytes = customers * gsiCopies * m.gsiEntryBytes;
  const storageBytes =
    customers * (m.avgCustomerItemBytes + ITEM_OVERHEAD_BYTES) +
    gsiBytes +
    stepsPerMonth * LEDGER_MONTHS_KEPT * (m.avgLedgerItemBytes + ITEM_OVERHEAD_BYTES);
  const storageGb = storageBytes / 2 ** 30;

  const gbSecondsByJob = { flag: flagGbs, cohorts: cohortsGbs, planner: plannerGbs, sender: senderGbs };
  const gbSeconds = flagGbs + cohortsGbs + plannerGbs + senderGbs;
  const lambdaRequests =
    DAYS_PER_MONTH + c.runsPerMonth * pass.lambdaRequests + plannerRunsPerMonth + senderInvocations;
  const transitions = c.runsPerMonth * pass.transitions;
  const sqsRequests = emailsPerMonth * SQS_REQUESTS_PER_EMAIL + SQS_IDLE_REQUESTS_PER_MONTH;
  const schedulerInvocations = DAYS_PER_MONTH + c.runsPerMonth + plannerRunsPerMonth;

  const dynamodb = {
    readUnitsByJob,
    writeUnitsByJob,
    readRequestUnitsPerMonth: reads,
    writeRequestUnitsPerMonth: writes,
    storageGb,
    readsUsd: usdRead(reads),
    writesUsd: usdWrite(writes),
    storageUsd: storageGb * PRICES.dynamodbUsdPerGbMonth,
  };
  const lambda = {
    gbSecondsByJob,
    gbSecondsPerMonth: gbSeconds,
    requestsPerMonth: lambdaRequests,
    computeUsd: usdGbs(gbSeconds),
    requestsUsd: usdLambdaRequests(lambdaRequests),
  };
  const stepFunctions = {
    transitionsPerMonth: transitions,
    segmentInvocationsPerRun: pass.segmentInvocations,
    usd: usdTransitions(transitions),
  };
  const sqs = { requestsPerMonth: sqsRequests, usd: usdSqs(sqsRequests) };
  const scheduler = {
    invocationsPerMonth: schedulerInvocations,
    usd: (schedulerInvocations / 1e6) * PRICES.schedulerUsdPerMillionInvocations,
  };
  const coreUsd =
    dynamodb.readsUsd +
    dynamodb.writesUsd +
    dynamodb.storageUsd +
    lambda.computeUsd +
    lambda.requestsUsd +
    stepFunctions.usd +
    sqs.usd +
    scheduler.usd;
  const byJobUsd = {
    flag:
      usdRead(flagRead) +
      usdWrite(flagWrite) +
      usdGbs(flagGbs) +
      usdLambdaRequests(DAYS_PER_MONTH) +
      usdScheduler(DAYS_PER_MONTH),
    cohorts:
      usdRead(cohortsRead) +
      usdWrite(cohortsWrite) +
      usdGbs(cohortsGbs) +
      usdLambdaRequests(c.runsPerMonth * pass.lambdaRequests) +
      stepFunctions.usd +
      usdScheduler(c.runsPerMonth),
    winback:
      usdRead(plannerRead + senderRead) +
      usdWrite(plannerWrite + senderWrite) +
      usdGbs(plannerGbs + senderGbs) +
      usdLambdaRequests(plannerRunsPerMonth + senderInvocations) +
      sqs.usd +
      usdScheduler(plannerRunsPerMonth),
    storage: dynamodb.storageUsd,
  };

  // One-time work: the first full flag pass (everyone read and written) and the win-back catch-up day.
  const fp = m.fullPass;
  const flagPass = fullPassAt(customers, { ...fp, customers: m.customers });
  const fullFlagPassUsd =
    usdRead(fp.readUnits * f) +
    usdWrite(fp.initialWriteUnits * f) +
    usdGbs(flagPass.gbSeconds) +
    usdLambdaRequests(flagPass.lambdaRequests) +
    usdTransitions(flagPass.transitions);
  const fc = customers / w.catchUp.customers;
  const catchUpInvocations = (w.catchUp.emails * fc) / 10;
  const winbackCatchUpUsd =
    usdRead(w.catchUp.readUnits * fc) +
    usdWrite(w.catchUp.writeUnits * fc) +
    usdGbs(catchUpInvocations * batchSeconds * (w.senderMemoryMb / 1024)) +
    usdLambdaRequests(catchUpInvocations) +
    usdSqs(w.catchUp.emails * fc * SQS_REQUESTS_PER_EMAIL);

  const billInputs: BillInputs = {
    customers,
    emailsPerMonth,
    invocationsByJob: {
      'flag-dormant': DAYS_PER_MONTH,
      // Full flag passes run after an import or a policy change only (one-time, below).
      'flag-full-pass': 0,
      'churn-cohorts': c.runsPerMonth * pass.lambdaRequests,
      'winback-email': plannerRunsPerMonth,
      'winback-send': senderInvocations,
    },
    // By the job a state machine is named after: the cohorts one runs weekly, the flag full pass one-time.
    stateMachinesByJob: {
      'churn-cohorts': { executions: c.runsPerMonth * (1 + c.segments), transitions },
      'flag-full-pass': { executions: 0, transitions: 0 },
    },
    // Backups cover the base tables (indexes are rebuilt on restore): customers and ledger here, orders in the bill.
    baseTableBytes:
      customers * (m.avgCustomerItemBytes + ITEM_OVERHEAD_BYTES) +
      stepsPerMonth * LEDGER_MONTHS_KEPT * (m.avgLedgerItemBytes + ITEM_OVERHEAD_BYTES),
    gsiCopyBytes: gsiBytes,
    winbackWriteUnits: plannerWrite + senderWrite,
  };
  const bill = restOfBill(m, billInputs);
  const fixedUsd = bill.fixed.usd + usdSqs(SQS_IDLE_REQUESTS_PER_MONTH);

  return {
    customers,
    volumes: { flagChangesPerDay, winbackStepsPerDay, emailsPerDay, cohortRunsPerMonth: c.runsPerMonth },
    dynamodb,
    lambda,
    stepFunctions,
    sqs,
    scheduler,
    coreUsd,
    bill,
    fixedUsd,
    totalWithoutSesUsd: coreUsd + bill.usd,
    byJobUsd,
    ses: {
      emailsPerMonth,
      usd: (emailsPerMonth / 1000) * PRICES.sesUsdPer1000Emails,
      hoursOfSendingPerDay: emailsPerDay / w.maxSendRate / 3600,
    },
    oneTime: { fullFlagPassUsd, winbackCatchUpUsd },
    limits: {
      flagIncrementalSecondsPerRun: (m.flag.seconds / m.flag.deltaDays) * f,
      segmentSecondsUpper: pass.segmentSecondsUpper,
      segmentSecondsLower: pass.segmentSecondsLower,
      invocationsPerSegment: pass.invocationsPerSegment,
      fullPassMinutesUpper: pass.segmentSecondsUpper / 60,
    },
  };
}
