/** On-demand list prices, us-east-1, no free tier applied anywhere. */
export const PRICES = {
  source:
    'AWS pricing pages, us-east-1: DynamoDB on-demand (after the November 2024 price cut) and point-in-time ' +
    'recovery, Lambda (arm64), EventBridge (custom events, Scheduler), SQS (standard queue), Step Functions ' +
    '(Standard workflows), CloudWatch (alarms, dashboards, custom metrics, Logs), X-Ray, KMS, Secrets Manager, ' +
    'SES (outbound email)',
  dynamodbUsdPerMillionReadRequestUnits: 0.125,
  dynamodbUsdPerMillionWriteRequestUnits: 0.625,
  dynamodbUsdPerGbMonth: 0.25,
  /** continuous backups, billed on the size of each table with PITR on */
  dynamodbPitrUsdPerGbMonth: 0.2,
  lambdaArm64UsdPerGbSecond: 0.0000133334,
  lambdaUsdPerMillionRequests: 0.2,
  schedulerUsdPerMillionInvocations: 1.0,
  /** PutEvents to a custom bus (per 64 KB chunk; AWS service events to the default bus are free) */
  eventBridgeUsdPerMillionEvents: 1.0,
  sqsUsdPerMillionRequests: 0.4,
  stepFunctionsUsdPer1000StateTransitions: 0.025,
  /** standard resolution, per alarm metric */
  cloudwatchAlarmUsdPerMonth: 0.1,
  cloudwatchDashboardUsdPerMonth: 3.0,
  /** the first 10,000 metrics; prorated by the hour, charged only for hours in which the metric receives data */
  cloudwatchCustomMetricUsdPerMonth: 0.3,
  cloudwatchLogsIngestUsdPerGb: 0.5,
  cloudwatchLogsStorageUsdPerGbMonth: 0.03,
  xrayUsdPerMillionTracesRecorded: 5.0,
  kmsUsdPerKeyMonth: 1.0,
  secretsManagerUsdPerSecretMonth: 0.4,
  sesUsdPer1000Emails: 0.1,
} as const;

/** DynamoDB's per-item storage overhead (base table and each index). */
export const ITEM_OVERHEAD_BYTES = 100;

export const DAYS_PER_MONTH = 30;
export const WEEKS_PER_MONTH = DAYS_PER_MONTH / 7;
/** CloudWatch prorates custom metrics over the hours of a month. */
export const HOURS_PER_MONTH = 730;

export const usdRead = (units: number) => (units / 1e6) * PRICES.dynamodbUsdPerMillionReadRequestUnits;
export const usdWrite = (units: number) => (units / 1e6) * PRICES.dynamodbUsdPerMillionWriteRequestUnits;
export const usdGbs = (gbs: number) => gbs * PRICES.lambdaArm64UsdPerGbSecond;
export const usdLambdaRequests = (n: number) => (n / 1e6) * PRICES.lambdaUsdPerMillionRequests;
export const usdScheduler = (n: number) => (n / 1e6) * PRICES.schedulerUsdPerMillionInvocations;
export const usdTransitions = (n: number) => (n / 1000) * PRICES.stepFunctionsUsdPer1000StateTransitions;
export const usdSqs = (n: number) => (n / 1e6) * PRICES.sqsUsdPerMillionRequests;
