/**
 * Monthly AWS cost of the CURRENT design, from the bench's counted DynamoDB work and measured durations, scaled
 * linearly (plain extrapolation, not a measurement) to larger bases. No free tier is applied anywhere.
 */
export const PRICES = {
  source:
    'AWS DynamoDB pricing page, on-demand, us-east-1 (prices after the November 2024 on-demand price cut); ' +
    'AWS Lambda pricing page (arm64, us-east-1); Amazon EventBridge pricing page (Scheduler); Amazon SES pricing page',
  dynamodbUsdPerMillionReadRequestUnits: 0.125,
  dynamodbUsdPerMillionWriteRequestUnits: 0.625,
  dynamodbUsdPerGbMonth: 0.25,
  lambdaArm64UsdPerGbSecond: 0.0000133334,
  lambdaUsdPerMillionRequests: 0.2,
  schedulerUsdPerMillionInvocations: 1.0,
  sesUsdPer1000Emails: 0.1,
  sqsUsd: 0,
  stepFunctionsUsd: 0,
} as const;

export const DAYS_PER_MONTH = 30;
export const WEEKS_PER_MONTH = DAYS_PER_MONTH / 7;
export const LAMBDA_TIMEOUT_SECONDS = 15 * 60;
/** Lambda allocates CPU in proportion to memory: 1,769 MB = one vCPU. */
export const MB_PER_VCPU = 1769;
/** DynamoDB's per-item storage overhead (base table and each index). */
const ITEM_OVERHEAD_BYTES = 100;

/** Per-run figures measured at the bench size. */
export interface MeasuredRuns {
  customers: number;
  avgCustomerItemBytes: number;
  /** share of customers carrying winbackShard (dormant or lost), i.e. also stored in the GSI */
  indexedShare: number;
  avgLedgerItemBytes: number;
  flag: {
    seconds: number;
    itemsRead: number;
    /** customer writes per day (measured changes / as-of step) */
    writesPerDay: number;
    indexedWritesPerDay: number;
    memoryMb: number;
    /** client CPU per scanned item (SDK, schema parsing, classification), measured in this process */
    cpuMicrosPerItem: number;
  };
  winbackQuery: { seconds: number; itemsRead: number; ledgerKeys: number; runsPerDay: number; memoryMb: number };
  cohorts: { seconds: number; itemsRead: number; snapshotWrites: number; memoryMb: number };
  /** modelled steady-state emails per day at the bench size */
  emailsPerDay: number;
  ledgerWritesPerEmail: number;
  maxSendRate: number;
}

export interface ScaledCost {
  customers: number;
  dynamodb: {
    readRequestUnitsPerMonth: number;
    readUnitsByJob: { flag: number; winback: number; cohorts: number };
    writeRequestUnitsPerMonth: number;
    storageGb: number;
    readsUsd: number;
    writesUsd: number;
    storageUsd: number;
  };
  lambda: {
    flagSecondsPerRun: number;
    /** client CPU × N on the vCPU share of the flag function: a lower bound that ignores every I/O wait */
    flagCpuFloorSecondsPerRun: number;
    cohortsSecondsPerRun: number;
    winbackSecondsPerDay: number;
    gbSecondsPerMonth: number;
    requestsPerMonth: number;
    computeUsd: number;
    requestsUsd: number;
  };
  scheduler: { invocationsPerMonth: number; usd: number };
  sqsUsd: number;
  stepFunctionsUsd: number;
  totalWithoutSesUsd: number;
  ses: { emailsPerMonth: number; usd: number; hoursOfSendingPerDay: number };
  limits: {
    /** yes: even the CPU floor exceeds 15 min; likely: the extrapolated local wall time does; no: neither */
    flagRunExceeds15Minutes: 'yes' | 'likely' | 'no';
    cohortsRunExceeds15Minutes: boolean;
  };
}

/** Scan/Query: item sizes are summed per page and rounded up to 4 KB; eventually consistent = half a unit. */
const scanRru = (bytesPerItem: number) => (bytesPerItem / 4096) * 0.5;
/** BatchGet (eventually consistent by default): each item rounded up to 4 KB, half a unit; a missing key too. */
const getRru = (bytesPerItem: number) => Math.ceil(bytesPerItem / 4096) * 0.5;
/** Writes: 1 unit per started KB of the item. */
const wru = (bytesPerItem: number) => Math.ceil(bytesPerItem / 1024);

export function scaleCost(m: MeasuredRuns, customers: number): ScaledCost {
  const f = customers / m.customers;
  const flagRuns = DAYS_PER_MONTH;
  const winbackRuns = m.winbackQuery.runsPerDay * DAYS_PER_MONTH;
  const cohortRuns = WEEKS_PER_MONTH;

  const readUnitsByJob = {
    flag: flagRuns * m.flag.itemsRead * f * scanRru(m.avgCustomerItemBytes),
    winback:
      winbackRuns *
      (m.winbackQuery.itemsRead * f * scanRru(m.avgCustomerItemBytes) +
        m.winbackQuery.ledgerKeys * f * getRru(m.avgLedgerItemBytes)),
    cohorts: cohortRuns * m.cohorts.itemsRead * f * scanRru(m.avgCustomerItemBytes),
  };
  const reads = readUnitsByJob.flag + readUnitsByJob.winback + readUnitsByJob.cohorts;
  const emailsPerDay = m.emailsPerDay * f;
  const writes =
    DAYS_PER_MONTH *
      (m.flag.writesPerDay * f * wru(m.avgCustomerItemBytes) +
        m.flag.indexedWritesPerDay * f * wru(m.avgCustomerItemBytes) +
        emailsPerDay * m.ledgerWritesPerEmail * wru(m.avgLedgerItemBytes)) +
    cohortRuns * m.cohorts.snapshotWrites;
  const storageBytes =
    customers * (m.avgCustomerItemBytes + ITEM_OVERHEAD_BYTES) * (1 + m.indexedShare) +
    emailsPerDay * DAYS_PER_MONTH * (m.avgLedgerItemBytes + ITEM_OVERHEAD_BYTES);
  const storageGb = storageBytes / 2 ** 30;

  const flagSeconds = m.flag.seconds * f;
  const flagCpuFloorSeconds = ((m.flag.cpuMicrosPerItem * customers) / 1e6) * (MB_PER_VCPU / m.flag.memoryMb);
  const cohortsSeconds = m.cohorts.seconds * f;
  const winbackSecondsPerDay = m.winbackQuery.runsPerDay * m.winbackQuery.seconds * f + emailsPerDay / m.maxSendRate;
  const gbSeconds =
    flagRuns * flagSeconds * (m.flag.memoryMb / 1024) +
    cohortRuns * cohortsSeconds * (m.cohorts.memoryMb / 1024) +
    DAYS_PER_MONTH * winbackSecondsPerDay * (m.winbackQuery.memoryMb / 1024);
  const invocations = flagRuns + winbackRuns + cohortRuns;

  const dynamodb = {
    readRequestUnitsPerMonth: reads,
    readUnitsByJob,
    writeRequestUnitsPerMonth: writes,
    storageGb,
    readsUsd: (reads / 1e6) * PRICES.dynamodbUsdPerMillionReadRequestUnits,
    writesUsd: (writes / 1e6) * PRICES.dynamodbUsdPerMillionWriteRequestUnits,
    storageUsd: storageGb * PRICES.dynamodbUsdPerGbMonth,
  };
  const lambda = {
    flagSecondsPerRun: flagSeconds,
    flagCpuFloorSecondsPerRun: flagCpuFloorSeconds,
    cohortsSecondsPerRun: cohortsSeconds,
    winbackSecondsPerDay,
    gbSecondsPerMonth: gbSeconds,
    requestsPerMonth: invocations,
    computeUsd: gbSeconds * PRICES.lambdaArm64UsdPerGbSecond,
    requestsUsd: (invocations / 1e6) * PRICES.lambdaUsdPerMillionRequests,
  };
  const scheduler = {
    invocationsPerMonth: invocations,
    usd: (invocations / 1e6) * PRICES.schedulerUsdPerMillionInvocations,
  };
  const totalWithoutSesUsd =
    dynamodb.readsUsd +
    dynamodb.writesUsd +
    dynamodb.storageUsd +
    lambda.computeUsd +
    lambda.requestsUsd +
    scheduler.usd;
  const emailsPerMonth = emailsPerDay * DAYS_PER_MONTH;
  return {
    customers,
    dynamodb,
    lambda,
    scheduler,
    sqsUsd: PRICES.sqsUsd,
    stepFunctionsUsd: PRICES.stepFunctionsUsd,
    totalWithoutSesUsd,
    ses: {
      emailsPerMonth,
      usd: (emailsPerMonth / 1000) * PRICES.sesUsdPer1000Emails,
      hoursOfSendingPerDay: emailsPerDay / m.maxSendRate / 3600,
    },
    limits: {
      flagRunExceeds15Minutes:
        flagCpuFloorSeconds > LAMBDA_TIMEOUT_SECONDS ? 'yes' : flagSeconds > LAMBDA_TIMEOUT_SECONDS ? 'likely' : 'no',
      cohortsRunExceeds15Minutes: cohortsSeconds > LAMBDA_TIMEOUT_SECONDS,
    },
  };
}
