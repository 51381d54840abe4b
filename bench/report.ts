import type { BundleSize } from './bundles.ts';
import { type MeasuredRuns, PRICES, type ScaledCost } from './cost.ts';
import type { CommandCounts } from './counting.ts';

export const GOAL_READS_PER_CHANGED = 1.5;

export const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export interface BenchResults {
  generatedAt: string;
  runSeconds: number;
  machine: {
    cpus: number;
    node: string;
    platform: string;
    loadAverageAtStart: number[];
    /** wall time of a 1e8-iteration empty loop (single-core speed; ~0.1 s on a current laptop core) */
    calibrationLoopSeconds: number;
    loadAverageAtEnd: number[];
  };
  params: {
    customers: number;
    target: string;
    scanSegments: number;
    indexShards: number;
    sendRate: number;
    emails: number;
    repeats: number;
    preclassified: boolean;
    dynamodbLocalHeapMb: number | null;
  };
  seed: {
    customers: number;
    seconds: number;
    itemsPerSecond: number;
    avgCustomerItemBytes: number;
    avgIndexedItemBytes: number;
    itemSizeSample: number;
    consentShare: number;
  };
  initialFlag: { asOf: string; seconds: number; scanned: number; changed: number; writeRequests: number };
  flag: {
    design: string;
    asOf: string;
    deltaDays: number;
    forecastChanged: number;
    changed: number;
    changedShare: number;
    scanned: number;
    seconds: number;
    itemsPerSecond: number;
    /** CPU time of this process during the run (client side; with dynalite including the server thread) */
    clientCpuSeconds: number;
    clientCpuMicrosPerItem: number;
    itemsRead: number;
    writeRequests: number;
    indexedWrites: number;
    conflicts: number;
    failed: number;
    readsPerChanged: number;
    writesPerChanged: number;
    goalReadsPerChanged: number;
    changeProportionalDesign: string;
    transitions: Record<string, number>;
    stages: Record<string, number>;
    requests: Record<string, CommandCounts>;
  };
  winbackQuery: {
    asOf: string;
    seconds: number;
    candidates: number;
    due: number;
    itemsRead: number;
    ledgerKeys: number;
    requests: Record<string, CommandCounts>;
  };
  cohorts: {
    segments: number;
    bareScanSeconds: number[];
    cohortSeconds: number[];
    bestBareScanSeconds: number;
    bestCohortSeconds: number;
    cohortCpuSeconds: number[];
    bareScanCpuSeconds: number[];
    /** median client CPU of the cohort job / of the bare scan: the job's own work, independent of the server */
    cpuRatio: number;
    ratio: number;
    scannedItems: number;
    mergeCheck: { singlePassCustomers: number; equal: boolean };
    requests: Record<string, CommandCounts>;
  };
  sending: {
    emailsDue: number;
    maxSendRate: number;
    sent: number;
    elapsedSeconds: number;
    achievedRate: number;
    throttles: number;
    failed: number;
    unknownOutcome: number;
    storedEmails: number;
    distinctRecipients: number;
    duplicates: number;
    rerunSent: number;
    ledgerWritesPerEmail: number;
    avgLedgerItemBytes: number;
    requests: Record<string, CommandCounts>;
  };
  bundles: BundleSize[];
  cost: {
    assumptions: string[];
    prices: typeof PRICES;
    measured: MeasuredRuns;
    scaled: ScaledCost[];
  };
  limits: {
    flagItemsPerSecond: number;
    flagCpuMicrosPerItem: number;
    /** client CPU per item × 10M ÷ the vCPU share of a 512 MB Lambda: a lower bound that ignores I/O waits */
    flagCpuFloorMinutesFor10M: number;
    cpuIncludesServer: boolean;
    flagMinutesFor10M: number;
    flag10MExceeds15Minutes: boolean;
    sesHoursFor1MEmails: Record<string, number>;
  };
  notes: string[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const dec = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number) => `$${n < 10 ? dec(n, 2) : int(n)}`;
const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

export function renderMarkdown(r: BenchResults): string {
  const f = r.flag;
  const c = r.cohorts;
  const s = r.sending;
  const costCols = r.cost.scaled.map((x) => `${int(x.customers)} customers`);
  const costRow = (label: string, pick: (x: ScaledCost) => string) => [label, ...r.cost.scaled.map(pick)];
  const lines = [
    `# clientele bench — ${int(r.params.customers)} customers on ${r.params.target}`,
    '',
    `Generated ${r.generatedAt}; total run ${dec(r.runSeconds / 60, 1)} min on ${r.machine.cpus} cores, Node ${r.machine.node}` +
      `${r.params.dynamodbLocalHeapMb ? `, DynamoDB Local -Xmx${r.params.dynamodbLocalHeapMb}m` : ''}; ` +
      `${r.params.scanSegments} scan segments, ${r.params.indexShards} index shards; load average ` +
      `${r.machine.loadAverageAtStart.map((l) => dec(l, 1)).join('/')} at start, ` +
      `${r.machine.loadAverageAtEnd.map((l) => dec(l, 1)).join('/')} at end; a 1e8-iteration empty loop takes ` +
      `${dec(r.machine.calibrationLoopSeconds, 2)} s here. Local servers, not AWS: durations are ` +
      'this machine against a local DynamoDB; counts of items and requests are what the code does.',
    '',
    '## Results',
    '',
    table(
      ['measure', 'value'],
      [
        ['seed (putMany, BatchWrite)', `${int(r.seed.customers)} customers in ${dec(r.seed.seconds, 1)} s`],
        [
          'avg customer item (JSON)',
          `${int(r.seed.avgCustomerItemBytes)} B (in GSI: ${int(r.seed.avgIndexedItemBytes)} B)`,
        ],
        [
          `initial flag as of D = ${r.initialFlag.asOf.slice(0, 10)} (everyone classified)`,
          r.params.preclassified
            ? `pre-classified at seed time by the same rule; flagDormant wrote ${int(r.initialFlag.writeRequests)} ` +
              `(${dec(r.initialFlag.seconds, 1)} s)`
            : `${int(r.initialFlag.writeRequests)} written in ${dec(r.initialFlag.seconds, 1)} s`,
        ],
        [
          `flag as of D+${f.deltaDays} d: changed`,
          `${int(f.changed)} (${dec(f.changedShare * 100, 2)}% of base; forecast ${int(f.forecastChanged)})`,
        ],
        ['flag: items read (Scan ScannedCount)', int(f.itemsRead)],
        ['flag: write requests', int(f.writeRequests)],
        [
          '**flag: items read per changed customer**',
          `**${dec(f.readsPerChanged, 1)}** (goal ≤ ${f.goalReadsPerChanged}; not built)`,
        ],
        ['flag: write requests per changed customer', dec(f.writesPerChanged, 2)],
        ['flag: duration / scan throughput', `${dec(f.seconds, 1)} s / ${int(f.itemsPerSecond)} items/s`],
        [
          'flag: client CPU (this process)',
          `${dec(f.clientCpuSeconds, 1)} s = ${dec(f.clientCpuMicrosPerItem, 0)} µs per item scanned`,
        ],
        [
          'win-back run (dry): index items read / ledger keys',
          `${int(r.winbackQuery.itemsRead)} / ${int(r.winbackQuery.ledgerKeys)} in ${dec(r.winbackQuery.seconds, 1)} s`,
        ],
        [`bare parallel Scan (${c.segments} segments, floor)`, `${dec(c.bestBareScanSeconds, 2)} s`],
        [`churn-cohorts (${c.segments} segments)`, `${dec(c.bestCohortSeconds, 2)} s`],
        [
          '**cohorts / bare scan** (wall, best of each)',
          `**${dec(c.ratio, 2)}×** (runs: ${c.cohortSeconds.map((x) => dec(x, 1)).join(', ')} s vs ` +
            `${c.bareScanSeconds.map((x) => dec(x, 1)).join(', ')} s)`,
        ],
        [
          `cohorts / bare scan (client CPU, median${r.limits.cpuIncludesServer ? ', incl. the dynalite thread' : ''})`,
          `${dec(c.cpuRatio, 2)}× (${dec(median(c.cohortCpuSeconds), 1)} s vs ${dec(median(c.bareScanCpuSeconds), 1)} s)`,
        ],
        [
          'merge check: segmented = single-pass computeCohorts',
          `${c.mergeCheck.equal ? 'equal' : 'NOT EQUAL'} (${int(c.mergeCheck.singlePassCustomers)} customers)`,
        ],
        ['win-back send: sent / due', `${int(s.sent)} / ${int(s.emailsDue)}`],
        [
          '**achieved send rate**',
          `**${dec(s.achievedRate, 1)}/s** vs limit ${s.maxSendRate}/s (${dec(s.elapsedSeconds, 1)} s)`,
        ],
        ['throttles (local SES never throttles)', int(s.throttles)],
        ['duplicates (emails per recipient > 1)', `${int(s.duplicates)} (${int(s.distinctRecipients)} recipients)`],
        ['rerun of the same send: sent', int(s.rerunSent)],
        ['ledger writes per email', dec(s.ledgerWritesPerEmail, 2)],
      ],
    ),
    '',
    '## Lambda bundles (esbuild, minified index.mjs, same options as job-function.ts)',
    '',
    table(
      ['function', 'bytes', 'KB'],
      r.bundles.map((b) => [b.function, int(b.bytes), dec(b.bytes / 1024, 1)]),
    ),
    '',
    '## Monthly cost of the current design (linear extrapolation of the measured run)',
    '',
    table(
      ['', ...costCols],
      [
        costRow('DynamoDB read units / month', (x) => int(x.dynamodb.readRequestUnitsPerMonth)),
        costRow('… of which flag / win-back / cohorts', (x) =>
          [x.dynamodb.readUnitsByJob.flag, x.dynamodb.readUnitsByJob.winback, x.dynamodb.readUnitsByJob.cohorts]
            .map((u) => `${dec((u / x.dynamodb.readRequestUnitsPerMonth) * 100, 0)}%`)
            .join(' / '),
        ),
        costRow('DynamoDB write units / month', (x) => int(x.dynamodb.writeRequestUnitsPerMonth)),
        costRow('DynamoDB reads', (x) => usd(x.dynamodb.readsUsd)),
        costRow('DynamoDB writes', (x) => usd(x.dynamodb.writesUsd)),
        costRow('DynamoDB storage', (x) => `${usd(x.dynamodb.storageUsd)} (${dec(x.dynamodb.storageGb, 1)} GB)`),
        costRow('Lambda GB-seconds / month', (x) => int(x.lambda.gbSecondsPerMonth)),
        costRow('Lambda compute + requests', (x) => usd(x.lambda.computeUsd + x.lambda.requestsUsd)),
        costRow(
          'EventBridge Scheduler',
          (x) => `${usd(x.scheduler.usd)} (${int(x.scheduler.invocationsPerMonth)} inv.)`,
        ),
        costRow('SQS / Step Functions', () => '$0 (not used)'),
        costRow('**total without SES**', (x) => `**${usd(x.totalWithoutSesUsd)}**`),
        costRow('SES (separate)', (x) => `${usd(x.ses.usd)} (${int(x.ses.emailsPerMonth)} emails)`),
        costRow(
          'flag run in one Lambda (local wall time × N)',
          (x) => `${dec(x.lambda.flagSecondsPerRun / 60, 1)} min`,
        ),
        costRow(
          `flag run, CPU floor in a 512 MB Lambda${r.limits.cpuIncludesServer ? ' (incl. dynalite thread)' : ''}`,
          (x) => `${dec(x.lambda.flagCpuFloorSecondsPerRun / 60, 1)} min`,
        ),
        costRow(
          'flag run exceeds 15 min?',
          (x) =>
            (x.limits.flagRunExceeds15Minutes === 'no' ? 'no' : `**${x.limits.flagRunExceeds15Minutes}**`) +
            (x.limits.cohortsRunExceeds15Minutes ? ' (cohorts too)' : ''),
        ),
      ],
    ),
    '',
    `Full flag scan of 10M in one Lambda at the measured ${int(r.limits.flagItemsPerSecond)} items/s: ` +
      `${dec(r.limits.flagMinutesFor10M, 1)} min (${r.limits.flag10MExceeds15Minutes ? 'exceeds' : 'within'} the ` +
      '15-minute limit). CPU floor, ignoring all I/O waits: ' +
      `${dec(r.limits.flagCpuMicrosPerItem, 0)} µs of client CPU per item measured here × 10M on the ` +
      `${dec(512 / 1769, 2)} vCPU of a 512 MB Lambda = ${dec(r.limits.flagCpuFloorMinutesFor10M, 1)} min` +
      `${r.limits.cpuIncludesServer ? ' (dynalite: includes the server thread)' : ''}. ` +
      `Sending 1M emails: ${Object.entries(r.limits.sesHoursFor1MEmails)
        .map(([rate, h]) => `${dec(h, 1)} h at ${rate}/s`)
        .join(', ')}.`,
    '',
    `Prices (${PRICES.source}): DynamoDB on-demand $${PRICES.dynamodbUsdPerMillionReadRequestUnits} per million read ` +
      `request units, $${PRICES.dynamodbUsdPerMillionWriteRequestUnits} per million write request units, ` +
      `$${PRICES.dynamodbUsdPerGbMonth}/GB-month; Lambda arm64 $${PRICES.lambdaArm64UsdPerGbSecond} per GB-second, ` +
      `$${PRICES.lambdaUsdPerMillionRequests} per million requests; EventBridge Scheduler ` +
      `$${PRICES.schedulerUsdPerMillionInvocations} per million invocations; SES $${PRICES.sesUsdPer1000Emails} per ` +
      '1,000 emails; SQS and Step Functions $0 (not in the current design). No free tier applied.',
    '',
    'Assumptions:',
    '',
    ...r.cost.assumptions.map((a) => `- ${a}`),
    '',
    'Notes:',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}
