import type { BundleReport } from './bundles.ts';
import {
  type MeasuredRuns,
  PRICES,
  type ScaledCost,
  SQS_IDLE_REQUESTS_PER_MONTH,
  SQS_REQUESTS_PER_EMAIL,
} from './cost.ts';
import type { CommandCounts } from './counting.ts';
import type { HourlyRun, SimDay } from './winback-sim.ts';

/** The issue's goals ("Scale to 10 million customers"). */
export const GOALS = {
  flagReadsPerChanged: 1.5,
  cohortRatio: 1.2,
  sendRateShare: 0.95,
  usdPer1MCustomersPerMonth: 5,
} as const;

export const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

type CompactRun = Omit<HourlyRun, 'plannerCounts' | 'senderCounts'>;
type DayRates = {
  emptyRunReadUnits: number;
  emptyRunSeconds: number;
  emptyRunQueries: number;
  plannerItemsReadPerStep: number;
  plannerReadUnitsPerStep: number;
  plannerWriteUnitsPerStep: number;
  plannerSecondsPerStep: number;
  senderReadUnitsPerEmail: number;
  senderWriteUnitsPerEmail: number;
  senderRequestsPerEmail: number;
};
interface DryRun {
  mode: 'due' | 'full';
  seconds: number;
  candidates: number;
  due: number;
  customerItemsRead: number;
  ledgerKeys: number;
  readUnits: number;
  readsPerDue: number;
  skipped: Record<string, number>;
  requests: Record<string, CommandCounts>;
}

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
    sendConcurrency: number;
    emails: number;
    repeats: number;
    preclassified: boolean;
    winbackCustomers: number;
    dynamodbLocalHeapMb: number | null;
    deployment: {
      maxSendRate: number;
      senderConcurrency: number;
      winbackSchedule: string;
      flagSchedule: string;
      cohortSchedule: string;
    };
  };
  goals: { goal: string; measured: string; met: boolean }[];
  seed: {
    customers: number;
    seconds: number;
    itemsPerSecond: number;
    avgCustomerItemBytes: number;
    avgIndexedItemBytes: number;
    itemSizeSample: number;
    gsiShares: { nextCheck: number; dormancy: number; winbackDue: number };
    consentShare: number;
  };
  initialFlag: {
    asOf: string;
    method: string;
    seconds: number;
    changed: number;
    writeRequests: number;
    writeUnits: number;
    watermark: string;
  };
  flag: {
    asOf: string;
    deltaDays: number;
    forecastChanged: number;
    incremental: {
      mode: string;
      since: string;
      watermarkAfter: string;
      changed: number;
      changedShare: number;
      refreshed: number;
      unchanged: number;
      scanned: number;
      seconds: number;
      clientCpuSeconds: number;
      itemsRead: number;
      queries: number;
      writeRequests: number;
      readUnits: number;
      writeUnits: number;
      conflicts: number;
      failed: number;
      readsPerChanged: number;
      writesPerChanged: number;
      readUnitsPerChanged: number;
      writeUnitsPerChanged: number;
      transitions: Record<string, number>;
      requests: Record<string, CommandCounts>;
    };
    fullPass: {
      dryRun: boolean;
      changed: number;
      scanned: number;
      itemsRead: number;
      readUnits: number;
      readsPerChanged: number;
      seconds: number;
      itemsPerSecond: number;
      clientCpuSeconds: number;
      clientCpuMicrosPerItem: number;
      transitions: Record<string, number>;
      stages: Record<string, number>;
      requests: Record<string, CommandCounts>;
    };
    /** items read by the full pass / by the incremental run */
    readRatio: number;
    /** the incremental run found exactly the changes the full pass finds */
    agreement: { sameChanged: boolean; sameTransitions: boolean };
  };
  winback: {
    /** the win-back base (its own tables) */
    customers: number;
    flag: { changed: number; transitions: Record<string, number> };
    dryRuns: { at: string; due: DryRun; full: DryRun };
    catchUp: { day: string; totals: SimDay['totals']; rates: DayRates; runs: CompactRun[] };
    day: {
      day: string;
      totals: SimDay['totals'];
      rates: DayRates;
      runs: CompactRun[];
      plannerRequests: Record<string, CommandCounts>;
      senderRequests: Record<string, CommandCounts>;
    };
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
    /** each cohort run / the bare scan run next to it (the order alternates) */
    pairRatios: number[];
    medianPairRatio: number;
    scannedItems: number;
    mergeCheck: { singlePassCustomers: number; complete: boolean; equal: boolean };
    checkpoints: {
      loads: number;
      saves: number;
      merges: number;
      storedBytes: number;
      secondsPerRun: number[];
      shareOfSegmentTime: number;
      readUnits: number;
      writeUnits: number;
    };
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
    rerunCandidates: number;
    writeRequestsPerEmail: number;
    writeUnitsPerEmail: number;
    avgLedgerItemBytes: number;
    requests: Record<string, CommandCounts>;
  };
  bundles: BundleReport;
  cost: {
    assumptions: string[];
    prices: typeof PRICES;
    measured: MeasuredRuns;
    scaled: ScaledCost[];
  };
  notes: string[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const dec = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (n: number, digits = 0) => `${dec(n * 100, digits)}%`;
const usd = (n: number) => `$${n < 10 ? dec(n, 2) : int(n)}`;
const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

export function renderMarkdown(r: BenchResults): string {
  const inc = r.flag.incremental;
  const fp = r.flag.fullPass;
  const c = r.cohorts;
  const s = r.sending;
  const wb = r.winback;
  const dt = wb.day.totals;
  const dr = wb.day.rates;
  const cu = wb.catchUp.totals;
  const m = r.cost.measured;
  const costCols = r.cost.scaled.map((x) => `${int(x.customers)} customers`);
  const costRow = (label: string, pickCost: (x: ScaledCost) => string) => [label, ...r.cost.scaled.map(pickCost)];
  const busiest = wb.day.runs.reduce((a, b) => (b.candidates > a.candidates ? b : a));
  const lines = [
    `# clientele bench — ${int(r.params.customers)} customers on ${r.params.target}`,
    '',
    `Generated ${r.generatedAt}; total run ${dec(r.runSeconds / 60, 1)} min on ${r.machine.cpus} cores, Node ${r.machine.node}` +
      `${r.params.dynamodbLocalHeapMb ? `, DynamoDB Local -Xmx${r.params.dynamodbLocalHeapMb}m` : ''}; ` +
      `${r.params.scanSegments} scan segments, ${r.params.indexShards} index shards; load average ` +
      `${r.machine.loadAverageAtStart.map((l) => dec(l, 1)).join('/')} at start, ` +
      `${r.machine.loadAverageAtEnd.map((l) => dec(l, 1)).join('/')} at end; a 1e8-iteration empty loop takes ` +
      `${dec(r.machine.calibrationLoopSeconds, 2)} s here. Local servers, not AWS: durations are ` +
      'this machine against a local DynamoDB; counts of items, requests and capacity units are what the code does.',
    '',
    '## Goals (issue "Scale to 10 million customers")',
    '',
    table(
      ['goal', 'measured', 'met?'],
      r.goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : '**no**']),
    ),
    '',
    '## Results',
    '',
    table(
      ['measure', 'value'],
      [
        ['seed (seedMany, BatchWrite)', `${int(r.seed.customers)} customers in ${dec(r.seed.seconds, 1)} s`],
        [
          'avg customer item (JSON) / share of customers in each GSI (projection ALL)',
          `${int(r.seed.avgCustomerItemBytes)} B; next-check ${pct(r.seed.gsiShares.nextCheck)}, ` +
            `winback-by-dormant-since ${pct(r.seed.gsiShares.dormancy)}, winback-due ${pct(r.seed.gsiShares.winbackDue, 1)} ` +
            '(win-back base after its measured day)',
        ],
        [
          `initial classification as of D = ${r.initialFlag.asOf.slice(0, 10)}`,
          `${r.initialFlag.method}: ${int(r.initialFlag.writeRequests)} written (${int(r.initialFlag.writeUnits)} WRU) ` +
            `in ${dec(r.initialFlag.seconds, 1)} s; watermark ${r.initialFlag.watermark}`,
        ],
        [
          `flag as of D+${r.flag.deltaDays} d: changed`,
          `${int(inc.changed)} (${dec(inc.changedShare * 100, 2)}% of base; forecast ${int(r.flag.forecastChanged)})`,
        ],
        [
          '**incremental flag: items read per changed customer**',
          `**${dec(inc.readsPerChanged, 2)}** (${int(inc.itemsRead)} items in ${int(inc.queries)} queries of the ` +
            `next-check index since ${inc.since.slice(0, 10)}; goal ≤ ${GOALS.flagReadsPerChanged})`,
        ],
        [
          'incremental flag: write requests / capacity units per changed customer',
          `${dec(inc.writesPerChanged, 2)} writes; ${dec(inc.readUnitsPerChanged, 2)} RRU + ` +
            `${dec(inc.writeUnitsPerChanged, 1)} WRU (GSI copies included)`,
        ],
        [
          'incremental flag: duration / watermark after',
          `${dec(inc.seconds, 1)} s / ${inc.watermarkAfter}; ${int(inc.refreshed)} refreshed, ${inc.conflicts} conflicts, ` +
            `${inc.failed} failed`,
        ],
        [
          'full pass at the same as-of (dry run): items read per changed customer',
          `${dec(fp.readsPerChanged, 1)} (${int(fp.itemsRead)} read for ${int(fp.changed)} changes; ` +
            `${dec(fp.seconds, 1)} s, ${int(fp.itemsPerSecond)} items/s, ${dec(fp.clientCpuMicrosPerItem, 0)} µs client CPU per item)`,
        ],
        [
          '**full pass reads / incremental reads**',
          `**${dec(r.flag.readRatio, 0)}×**; same changes found: ` +
            `${r.flag.agreement.sameChanged && r.flag.agreement.sameTransitions ? 'yes' : '**NO**'} ` +
            `(count ${r.flag.agreement.sameChanged ? '=' : '≠'}, transitions ${r.flag.agreement.sameTransitions ? '=' : '≠'})`,
        ],
        [
          `**win-back planner, dry run at ${wb.dryRuns.at.slice(0, 16)}Z: customers read per due step (due index)**`,
          `**${dec(wb.dryRuns.due.readsPerDue, 2)}** (${int(wb.dryRuns.due.candidates)} read, ${int(wb.dryRuns.due.due)} due, ` +
            `${int(wb.dryRuns.due.ledgerKeys)} ledger keys, ${dec(wb.dryRuns.due.seconds, 1)} s)`,
        ],
        [
          'the same with the old dormancy window (`full: true`)',
          `${dec(wb.dryRuns.full.readsPerDue, 1)} (${int(wb.dryRuns.full.candidates)} read, ${int(wb.dryRuns.full.due)} due, ` +
            `${int(wb.dryRuns.full.ledgerKeys)} ledger keys, ${dec(wb.dryRuns.full.seconds, 1)} s)`,
        ],
        [
          `win-back day ${wb.day.day} (24 hourly runs, win-back base of ${int(wb.customers)}): customers read per step taken`,
          `${dec(dr.plannerItemsReadPerStep, 2)} (${int(dt.plannerItemsRead)} read, ${int(dt.stepsTaken)} steps: ` +
            `${int(dt.planned)} sent + ${int(dt.heldOut)} held out; busiest run ${busiest.at.slice(11, 16)} read ` +
            `${int(busiest.candidates)})`,
        ],
        [
          '**hourly runs with nothing due: items read per run**',
          `**${dec(dt.emptyRuns ? dt.emptyRunItemsRead / dt.emptyRuns : 0, 1)}** (${dt.emptyRuns} of 24 runs; ` +
            `${dec(dr.emptyRunQueries, 0)} empty shard queries each, ${dec(dr.emptyRunSeconds * 1000, 0)} ms)`,
        ],
        [
          'planner / sender capacity units',
          `planner ${dec(dr.plannerReadUnitsPerStep, 2)} RRU + ${dec(dr.plannerWriteUnitsPerStep, 1)} WRU per step; ` +
            `sender ${dec(dr.senderReadUnitsPerEmail, 2)} RRU + ${dec(dr.senderWriteUnitsPerEmail, 1)} WRU per email ` +
            `(${dec(dr.senderRequestsPerEmail, 1)} requests)`,
        ],
        [
          `catch-up day ${wb.catchUp.day} after install (one-time; schedule enabled 13:00 UTC)`,
          `${int(cu.candidates)} customers read, ${int(cu.sent)} sent, ${int(cu.heldOut)} held out, ` +
            `${int(cu.plannerReadUnits + cu.senderReadUnits)} RRU + ${int(cu.plannerWriteUnits + cu.senderWriteUnits)} WRU, ` +
            `${dec(cu.seconds, 1)} s`,
        ],
        [`bare parallel Scan (${c.segments} segments, floor)`, `${dec(c.bestBareScanSeconds, 2)} s`],
        [`churn-cohorts (${c.segments} segments, DynamoDB checkpoints)`, `${dec(c.bestCohortSeconds, 2)} s`],
        [
          '**cohorts / bare scan** (wall, best of each)',
          `**${dec(c.ratio, 2)}×** (runs: ${c.cohortSeconds.map((x) => dec(x, 1)).join(', ')} s vs ` +
            `${c.bareScanSeconds.map((x) => dec(x, 1)).join(', ')} s)`,
        ],
        [
          'cohorts / bare scan, paired runs (each cohort run / the bare scan next to it)',
          `${c.pairRatios.map((x) => `${dec(x, 2)}×`).join(', ')}; median **${dec(c.medianPairRatio, 2)}×**`,
        ],
        [
          `cohorts / bare scan (client CPU, median${r.params.target === 'dynalite' ? ', incl. the dynalite thread' : ''})`,
          `${dec(c.cpuRatio, 2)}× (${dec(median(c.cohortCpuSeconds), 1)} s vs ${dec(median(c.bareScanCpuSeconds), 1)} s)`,
        ],
        [
          'checkpoint overhead (DynamoDB `stores.runs` vs in-memory)',
          `${c.checkpoints.loads} loads + ${c.checkpoints.saves} saves + ${c.checkpoints.merges} merge read per run, ` +
            `${dec(c.checkpoints.storedBytes / 1024, 1)} KB stored (gzip); ` +
            `${c.checkpoints.secondsPerRun.map((x) => dec(x, 2)).join(', ')} s summed over segments = ` +
            `${pct(c.checkpoints.shareOfSegmentTime, 1)} of segment time`,
        ],
        [
          'merge check: segmented = single-pass computeCohorts',
          `${c.mergeCheck.equal ? 'equal' : 'NOT EQUAL'} (${int(c.mergeCheck.singlePassCustomers)} customers, ` +
            `${c.mergeCheck.complete ? 'each read once by the segments, as many as the bare scan counted' : '**segments missed or repeated customers**'})`,
        ],
        ['win-back send (winbackEmail, aws-ses-v2-local): sent / due', `${int(s.sent)} / ${int(s.emailsDue)}`],
        [
          '**achieved send rate**',
          `**${dec(s.achievedRate, 1)}/s** vs limit ${s.maxSendRate}/s (${pct(s.achievedRate / s.maxSendRate)}, ` +
            `${dec(s.elapsedSeconds, 1)} s, ${r.params.sendConcurrency} sends in flight)`,
        ],
        ['throttles (retried + deferred; the local SES never throttles)', int(s.throttles)],
        ['duplicates (emails per recipient > 1)', `${int(s.duplicates)} (${int(s.distinctRecipients)} recipients)`],
        ['rerun of the same send: sent', `${int(s.rerunSent)} (read ${int(s.rerunCandidates)} customers)`],
        [
          'write requests / WRU per email (in-process path, no lease)',
          `${dec(s.writeRequestsPerEmail, 2)} / ${dec(s.writeUnitsPerEmail, 1)}`,
        ],
      ],
    ),
    '',
    '## Lambda bundles (esbuild, minified index.mjs, same options as job-function.ts)',
    '',
    table(
      ['function', 'bytes', 'KB', `≤ ${dec(250, 0)} KB`, 'deployed by infra/'],
      r.bundles.bundles.map((b) => [
        b.function,
        int(b.bytes),
        dec(b.bytes / 1024, 1),
        b.withinBudget ? 'yes' : '**no**',
        b.deployed ? 'yes' : '**no**',
      ]),
    ),
    '',
    `Handlers are the functions/*.ts files exporting \`handler\`; ${r.bundles.missingHandlers.length ? `infra/ references missing handlers: ${r.bundles.missingHandlers.join(', ')}` : 'every handler infra/ deploys exists'}` +
      `${r.bundles.unknownFiles.length ? `; unexpected non-handler files: ${r.bundles.unknownFiles.join(', ')}` : ''}.`,
    '',
    '## Monthly cost of the deployed design',
    '',
    'Measured per unit of work at the bench size (capacity units, durations), times modelled volumes (see the ' +
      'assumptions: which inputs are measured and which are modelled).',
    '',
    table(
      ['', ...costCols],
      [
        costRow('flag changes / day · win-back steps / day · emails / day', (x) =>
          [x.volumes.flagChangesPerDay, x.volumes.winbackStepsPerDay, x.volumes.emailsPerDay].map(int).join(' · '),
        ),
        costRow('DynamoDB read units / month', (x) => int(x.dynamodb.readRequestUnitsPerMonth)),
        costRow('… flag / cohorts / planner / sender', (x) =>
          Object.values(x.dynamodb.readUnitsByJob)
            .map((u) => pct(u / x.dynamodb.readRequestUnitsPerMonth))
            .join(' / '),
        ),
        costRow('DynamoDB write units / month', (x) => int(x.dynamodb.writeRequestUnitsPerMonth)),
        costRow('… flag / cohorts / planner / sender', (x) =>
          Object.values(x.dynamodb.writeUnitsByJob)
            .map((u) => pct(u / x.dynamodb.writeRequestUnitsPerMonth))
            .join(' / '),
        ),
        costRow('DynamoDB reads', (x) => usd(x.dynamodb.readsUsd)),
        costRow('DynamoDB writes', (x) => usd(x.dynamodb.writesUsd)),
        costRow('DynamoDB storage', (x) => `${usd(x.dynamodb.storageUsd)} (${dec(x.dynamodb.storageGb, 1)} GB)`),
        costRow('Lambda GB-seconds / month', (x) => int(x.lambda.gbSecondsPerMonth)),
        costRow(
          'Lambda compute + requests',
          (x) => `${usd(x.lambda.computeUsd + x.lambda.requestsUsd)} (${int(x.lambda.requestsPerMonth)} inv.)`,
        ),
        costRow(
          'Step Functions (cohorts)',
          (x) => `${usd(x.stepFunctions.usd)} (${int(x.stepFunctions.transitionsPerMonth)} transitions)`,
        ),
        costRow('SQS', (x) => `${usd(x.sqs.usd)} (${int(x.sqs.requestsPerMonth)} requests)`),
        costRow(
          'EventBridge Scheduler',
          (x) => `${usd(x.scheduler.usd)} (${int(x.scheduler.invocationsPerMonth)} inv.)`,
        ),
        costRow('**total without SES**', (x) => `**${usd(x.totalWithoutSesUsd)}**`),
        costRow('… per 1M customers', (x) => usd(x.totalWithoutSesUsd / (x.customers / 1e6))),
        costRow('… by job: flag / cohorts / win-back / storage', (x) =>
          [x.byJobUsd.flag, x.byJobUsd.cohorts, x.byJobUsd.winback, x.byJobUsd.storage].map(usd).join(' / '),
        ),
        costRow('SES (separate)', (x) => `${usd(x.ses.usd)} (${int(x.ses.emailsPerMonth)} emails)`),
        costRow('one-time: first full flag pass', (x) => usd(x.oneTime.fullFlagPassUsd)),
        costRow('one-time: win-back catch-up day', (x) => usd(x.oneTime.winbackCatchUpUsd)),
        costRow(
          'daily incremental flag run (local wall × N)',
          (x) => `${dec(x.limits.flagIncrementalSecondsPerRun, 0)} s`,
        ),
        costRow(
          `full-pass segment (${m.cohorts.segments} segments): upper / lower bound`,
          (x) =>
            `${dec(x.limits.segmentSecondsUpper / 60, 1)} / ${dec(x.limits.segmentSecondsLower / 60, 1)} min ` +
            `(${x.limits.invocationsPerSegment} invocation${x.limits.invocationsPerSegment > 1 ? 's' : ''} of ≤ 10 min)`,
        ),
        costRow('SES sending time per day at the default 14/s', (x) => `${dec(x.ses.hoursOfSendingPerDay, 2)} h`),
      ],
    ),
    '',
    `Prices (${PRICES.source}): DynamoDB on-demand $${PRICES.dynamodbUsdPerMillionReadRequestUnits} per million ` +
      `read request units, $${PRICES.dynamodbUsdPerMillionWriteRequestUnits} per million write request units, ` +
      `$${PRICES.dynamodbUsdPerGbMonth}/GB-month; Lambda arm64 $${PRICES.lambdaArm64UsdPerGbSecond} per GB-second, ` +
      `$${PRICES.lambdaUsdPerMillionRequests} per million requests; Step Functions Standard ` +
      `$${PRICES.stepFunctionsUsdPer1000StateTransitions} per 1,000 state transitions; SQS ` +
      `$${PRICES.sqsUsdPerMillionRequests} per million requests (${SQS_REQUESTS_PER_EMAIL} per email + ` +
      `${int(SQS_IDLE_REQUESTS_PER_MONTH)} idle polls/month assumed); EventBridge Scheduler ` +
      `$${PRICES.schedulerUsdPerMillionInvocations} per million invocations; SES $${PRICES.sesUsdPer1000Emails} per ` +
      '1,000 emails. No free tier applied.',
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
