import type { ScaledCost } from './cost.ts';
import {
  BEFORE,
  type CostLine,
  type CostLines,
  costLines,
  DONE,
  FIXED_LINES,
  GOALS,
  goalFigures,
  LINE_LABELS,
  sumLines,
} from './cost-lines.ts';
import { dec, int, pct, table, usd } from './format.ts';
import { PRICES } from './prices.ts';
import { type BenchResults, sectionRun } from './results.ts';
import { COST_MODEL_VERSION, type CostResult } from './scenarios/cost.ts';

const usd2 = (n: number) => `$${dec(n, 2)}`;

const signed = (n: number) => (Math.abs(n) < 0.005 ? '$0.00' : `${n < 0 ? '−' : '+'}${usd2(Math.abs(n))}`);
const linesNow = (cost: CostResult) => cost.scaled.map((x) => ({ customers: x.customers, lines: costLines(x) }));
const beforeAt = (customers: number) => BEFORE.bySize.find((b) => b.customers === customers)?.lines;
/** A line's share of each additional 1M customers between the 1M and 10M columns. */
const perMillionAt10m = (bySize: { customers: number; lines: CostLines }[], line: CostLine) => {
  const [m1, m10] = [bySize.find((s) => s.customers === 1e6), bySize.find((s) => s.customers === 1e7)];
  return m1 && m10 ? (m10.lines[line] - m1.lines[line]) / 9 : 0;
};

/** The goals, before (BEFORE), now, and with the recommendations that are left. */
export function goalsTable(cost: CostResult): string {
  const before = goalFigures(BEFORE.bySize);
  const now = goalFigures(linesNow(cost));
  const i1 = cost.scaled.findIndex((x) => x.customers === 1e6);
  const i10 = cost.scaled.findIndex((x) => x.customers === 1e7);
  const [w1, w10] = [cost.withRecommendationsUsd[i1] ?? 0, cost.withRecommendationsUsd[i10] ?? 0];
  const met = (ok: boolean) => (ok ? '**yes**' : '**no**');
  return table(
    ['goal (SES excluded)', `before (${BEFORE.commit})`, 'now', 'met now?', 'with the recommendations left'],
    [
      [
        `≤ $${GOALS.allInAt1mUsd} a month all in at 1M customers`,
        usd2(before.allInAt1mUsd),
        `**${usd2(now.allInAt1mUsd)}**`,
        met(now.allInMet),
        usd2(w1),
      ],
      [
        `≤ $${GOALS.perAdditionalMillionAt10mUsd} per additional 1M customers at 10M`,
        usd2(before.perAdditionalMillionAt10mUsd),
        `**${usd2(now.perAdditionalMillionAt10mUsd)}**`,
        met(now.perMillionMet),
        usd2((w10 - w1) / 9),
      ],
    ],
  );
}

/** The recommendations made since BEFORE: the lines each acts on, before minus now, per size and per additional 1M. */
export function doneTable(cost: CostResult): string {
  const now = linesNow(cost);
  const before = now.map((n) => ({ customers: n.customers, lines: beforeAt(n.customers) }));
  const withLines = before.flatMap((b) => (b.lines ? [{ customers: b.customers, lines: b.lines }] : []));
  const known = withLines.length === before.length ? withLines : undefined;
  const effect = (lines: readonly CostLine[], i: number) => {
    const b = before[i]?.lines;
    const n = now[i]?.lines;
    return b && n ? sumLines(n, lines) - sumLines(b, lines) : 0;
  };
  const perMillion = (lines: readonly CostLine[]) =>
    known ? lines.reduce((d, line) => d + perMillionAt10m(now, line) - perMillionAt10m(known, line), 0) : 0;
  const all = DONE.flatMap((d) => d.lines);
  return table(
    ['change made', 'lines of the bill', ...now.map((n) => `at ${int(n.customers)}`), 'per additional 1M at 10M'],
    [
      ...DONE.map((d) => [
        d.change,
        d.lines.map((l) => LINE_LABELS[l]).join('; '),
        ...now.map((_, i) => signed(effect(d.lines, i))),
        signed(perMillion(d.lines)),
      ]),
      ['**all of them**', '', ...now.map((_, i) => `**${signed(effect(all, i))}**`), `**${signed(perMillion(all))}**`],
    ],
  );
}

/** What each additional 1M customers at 10M pays for, line by line (the lines that grow), before and now. */
export function perMillionTable(cost: CostResult): string {
  const now = linesNow(cost);
  const before = BEFORE.bySize;
  const growing = Object.entries(LINE_LABELS)
    .map(([line]) => line)
    .filter((l): l is CostLine => l in LINE_LABELS && !FIXED_LINES.some((f) => f === l));
  const total = growing.reduce((n, l) => n + perMillionAt10m(now, l), 0);
  return table(
    ['per additional 1M customers at 10M', 'before', 'now', 'share now'],
    [
      ...growing
        .map((l) => ({ l, n: perMillionAt10m(now, l) }))
        .sort((a, b) => b.n - a.n)
        .map(({ l, n }) => [LINE_LABELS[l], usd2(perMillionAt10m(before, l)), usd2(n), pct(n / total)]),
      [
        '**all**',
        `**${usd2(growing.reduce((n, l) => n + perMillionAt10m(before, l), 0))}**`,
        `**${usd2(total)}**`,
        '100%',
      ],
    ],
  );
}

/** The bill as line items, before (BEFORE) and now, side by side per size. */
export function beforeAfterTable(cost: CostResult): string {
  const now = linesNow(cost);
  const before = now.map((n) => beforeAt(n.customers));
  const cells = (pick: (lines: CostLines) => number) =>
    now.flatMap((n, i) => {
      const b = before[i];
      return [b ? usd2(pick(b)) : '—', usd2(pick(n.lines))];
    });
  const growing = (lines: CostLines) => sumLines(lines) - sumLines(lines, FIXED_LINES);
  const perExtra = (list: (CostLines | undefined)[]) =>
    list.map((lines, i) => {
      const prev = list[i - 1];
      const [n, p] = [now[i], now[i - 1]];
      return lines && prev && n && p
        ? usd2((sumLines(lines) - sumLines(prev)) / ((n.customers - p.customers) / 1e6))
        : '—';
    });
  const extraBefore = perExtra(before);
  const extraNow = perExtra(now.map((n) => n.lines));
  const lineOrder = Object.keys(LINE_LABELS).filter((k): k is CostLine => k in LINE_LABELS);
  return table(
    ['per month', ...now.flatMap((n) => [`${int(n.customers)} before`, `${int(n.customers)} now`])],
    [
      ...lineOrder.map((line) => [
        `${LINE_LABELS[line]}${FIXED_LINES.includes(line) ? ' (fixed)' : ''}`,
        ...cells((l) => l[line]),
      ]),
      ['**all in, SES excluded**', ...cells((l) => sumLines(l)).map((c) => `**${c}**`)],
      ['… fixed part (alarms, dashboard, key, secret, idle polling)', ...cells((l) => sumLines(l, FIXED_LINES))],
      ['… the part that grows with the base', ...cells(growing)],
      [
        '… per additional 1M customers (against the size before)',
        ...now.flatMap((_, i) => [extraBefore[i] ?? '—', extraNow[i] ?? '—']),
      ],
    ],
  );
}

export function costSection(r: BenchResults): string[] {
  const cost = r.cost;
  if (!cost) return [];
  if (cost.model !== COST_MODEL_VERSION) {
    return [
      '## Monthly cost of the deployed design',
      '',
      `The cost section in results.json (run ${cost.run}) was written by an earlier version of the model: run ` +
        '`npm run bench -- --scenarios cost` to recompute it from the measured sections.',
      '',
    ];
  }
  const scaled = cost.scaled;
  const inv = cost.measured.inventory;
  const row = (label: string, f: (x: ScaledCost, i: number) => string) => [label, ...scaled.map(f)];
  const stale = Object.entries(cost.sources)
    .filter(([key, run]) => sectionRun(r, key) !== run)
    .map(([key]) => key);
  const b = (x: ScaledCost) => x.bill;
  const perExtra = (x: ScaledCost, i: number) => {
    const prev = scaled[i - 1];
    return prev ? usd((x.totalWithoutSesUsd - prev.totalWithoutSesUsd) / ((x.customers - prev.customers) / 1e6)) : '—';
  };
  const projection = cost.measured.projection;
  return [
    '## Monthly cost of the deployed design',
    '',
    'Measured per unit of work (capacity units, durations), times modelled volumes, plus the fixed items of the ' +
      `synthesized stack (\`${inv.configFile}\`). Inputs: ${Object.entries(cost.sources)
        .map(([key, run]) => `${key} ${run.slice(0, 16)}Z`)
        .join(', ')}.` +
      (stale.length ? ` **Stale:** ${stale.join(', ')} measured again since; run \`--scenarios cost\`.` : ''),
    '',
    `Before: the bill docs/scaling.md gave (commit ${BEFORE.commit}, the cost run of ${BEFORE.run.slice(0, 16)}Z: ` +
      `${BEFORE.functions} functions with X-Ray tracing, ${BEFORE.customMetrics} custom metrics, the dashboard, the ` +
      `alarm topic's KMS key, ${BEFORE.alarms} alarms, platform log lines, 512 MB event handlers, a customer write ` +
      'per SES delivery, customer indexes projecting ALL; measured by the sections of 2026-11-23 and 2026-12-02). ' +
      `Now: the stack as synthesized (${inv.functions.length} functions, ${inv.stateMachines.length} state machines), ` +
      'from the sections listed above.',
    '',
    beforeAfterTable(cost),
    '',
    goalsTable(cost),
    '',
    '### Made since the figures before, and what each changed a month',
    '',
    'Each change with the lines of the bill it acts on (now minus before). The sections were measured again after ' +
      'the changes, so a line also moves with the new measurement; where two changes share a line they are one row.',
    '',
    doneTable(cost),
    '',
    '### What each additional 1M customers pays for (between the 1M and 10M columns)',
    '',
    perMillionTable(cost),
    '',
    `Customer indexes: ${projection.template} in the template, measured with ${projection.measured}` +
      (projection.estimate ? ` (**estimate**: ${projection.estimate}).` : '.'),
    '',
    table(
      ['', ...scaled.map((x) => `${int(x.customers)} customers`)],
      [
        row('flag changes / day · win-back steps / day · emails / day', (x) =>
          [x.volumes.flagChangesPerDay, x.volumes.winbackStepsPerDay, x.volumes.emailsPerDay].map(int).join(' · '),
        ),
        row('order events / month · SES events / month', (x) =>
          [b(x).volumes.orderEventsPerMonth, b(x).volumes.sesEventsPerMonth].map(int).join(' · '),
        ),
        row('DynamoDB read units / month (4 jobs)', (x) => int(x.dynamodb.readRequestUnitsPerMonth)),
        row('… flag / cohorts / planner / sender', (x) =>
          Object.values(x.dynamodb.readUnitsByJob)
            .map((u) => pct(u / x.dynamodb.readRequestUnitsPerMonth))
            .join(' / '),
        ),
        row('DynamoDB write units / month (4 jobs)', (x) => int(x.dynamodb.writeRequestUnitsPerMonth)),
        row('… flag / cohorts / planner / sender', (x) =>
          Object.values(x.dynamodb.writeUnitsByJob)
            .map((u) => pct(u / x.dynamodb.writeRequestUnitsPerMonth))
            .join(' / '),
        ),
        row('DynamoDB reads (4 jobs)', (x) => usd(x.dynamodb.readsUsd)),
        row('DynamoDB writes (4 jobs)', (x) => usd(x.dynamodb.writesUsd)),
        row(
          'DynamoDB storage (customers + GSI copies + ledger)',
          (x) => `${usd(x.dynamodb.storageUsd)} (${dec(x.dynamodb.storageGb, 1)} GB)`,
        ),
        row('Lambda GB-seconds / month (4 jobs)', (x) => int(x.lambda.gbSecondsPerMonth)),
        row(
          'Lambda compute + requests (4 jobs)',
          (x) => `${usd(x.lambda.computeUsd + x.lambda.requestsUsd)} (${int(x.lambda.requestsPerMonth)} inv.)`,
        ),
        row(
          `Step Functions (${inv.stateMachines.length} state machines; the weekly cohorts run)`,
          (x) => `${usd(x.stepFunctions.usd)} (${int(x.stepFunctions.transitionsPerMonth)} transitions)`,
        ),
        row('SQS', (x) => `${usd(x.sqs.usd)} (${int(x.sqs.requestsPerMonth)} requests)`),
        row('EventBridge Scheduler', (x) => `${usd(x.scheduler.usd)} (${int(x.scheduler.invocationsPerMonth)} inv.)`),
        row(
          '**the earlier model** (the rows above; issue "Scale to 10 million customers")',
          (x) => `**${usd(x.coreUsd)}**`,
        ),
        row('… per 1M customers (earlier model)', (x) => usd(x.coreUsd / (x.customers / 1e6))),
        row('record-activity: DynamoDB · Lambda · PutEvents', (x) =>
          [b(x).recordActivity.dynamodbUsd, b(x).recordActivity.lambdaUsd, b(x).recordActivity.putEventsUsd]
            .map(usd)
            .join(' · '),
        ),
        row(
          'ses-feedback: DynamoDB · Lambda; unsubscribe',
          (x) =>
            `${usd(b(x).sesFeedback.dynamodbUsd)} · ${usd(b(x).sesFeedback.lambdaUsd)}; ${usd(b(x).unsubscribe.usd)}`,
        ),
        row(
          'orders storage · point-in-time recovery',
          (x) =>
            `${usd(b(x).ordersStorage.usd)} (${dec(b(x).ordersStorage.gb, 1)} GB) · ${usd(b(x).pitr.usd)} (${dec(b(x).pitr.gb, 1)} GB)`,
        ),
        row('CloudWatch Logs (ingest + storage)', (x) => `${usd(b(x).logs.usd)} (${dec(b(x).logs.gb, 2)} GB)`),
        row('X-Ray traces', (x) => `${usd(b(x).xray.usd)} (${int(b(x).xray.traces)} traces)`),
        row(
          `custom metrics (${inv.customMetrics.length}, prorated by the hour; all hours)`,
          (x) => `${usd(b(x).metrics.usd)} (≤ ${usd(b(x).metrics.upperBoundUsd)})`,
        ),
        row(
          `fixed: ${inv.alarms.length} alarms · ${inv.dashboards} dashboard · ${inv.kmsKeys} KMS key · ${inv.secrets} secret`,
          (x) =>
            [b(x).fixed.alarmsUsd, b(x).fixed.dashboardsUsd, b(x).fixed.kmsUsd, b(x).fixed.secretsUsd]
              .map(usd)
              .join(' · '),
        ),
        row('**all in, without SES**', (x) => `**${usd(x.totalWithoutSesUsd)}**`),
        row(
          '… fixed part (stack items + idle queue polling) / the part that grows with the base',
          (x) => `${usd(x.fixedUsd)} / ${usd(x.totalWithoutSesUsd - x.fixedUsd)}`,
        ),
        row('… per additional 1M customers (against the column before)', perExtra),
        row('… by job (earlier model): flag / cohorts / win-back / storage', (x) =>
          [x.byJobUsd.flag, x.byJobUsd.cohorts, x.byJobUsd.winback, x.byJobUsd.storage].map(usd).join(' / '),
        ),
        row('**all in with every recommendation below**', (_, i) => `**${usd(cost.withRecommendationsUsd[i] ?? 0)}**`),
        row('… per additional 1M customers with them', (_, i) => {
          const [x, prev] = [cost.withRecommendationsUsd[i], cost.withRecommendationsUsd[i - 1]];
          const [n, p] = [scaled[i], scaled[i - 1]];
          return x !== undefined && prev !== undefined && n && p
            ? usd2((x - prev) / ((n.customers - p.customers) / 1e6))
            : '—';
        }),
        row('SES (separate)', (x) => `${usd(x.ses.usd)} (${int(x.ses.emailsPerMonth)} emails)`),
        row(
          'one-time: first full flag pass · win-back catch-up day',
          (x) => `${usd(x.oneTime.fullFlagPassUsd)} · ${usd(x.oneTime.winbackCatchUpUsd)}`,
        ),
        row('daily incremental flag run (local wall × N)', (x) => `${dec(x.limits.flagIncrementalSecondsPerRun, 0)} s`),
        row(
          `full-pass segment (${cost.measured.cohorts.segments} segments): upper / lower bound`,
          (x) =>
            `${dec(x.limits.segmentSecondsUpper / 60, 1)} / ${dec(x.limits.segmentSecondsLower / 60, 1)} min ` +
            `(${x.limits.invocationsPerSegment} invocation${x.limits.invocationsPerSegment > 1 ? 's' : ''} of ≤ 10 min)`,
        ),
        row('SES sending time per day at the default 14/s', (x) => `${dec(x.ses.hoursOfSendingPerDay, 2)} h`),
      ],
    ),
    '',
    '### Recommendations left (not made yet) and what each would save a month',
    '',
    cost.recommendations.length === 0
      ? 'None left in the template.'
      : table(
          ['change', 'why', ...scaled.map((x) => `at ${int(x.customers)}`)],
          cost.recommendations.map((rec) => [
            rec.change,
            rec.why,
            ...rec.savingUsd.map((s) => `${rec.estimate ? '~' : ''}${usd(s)}`),
          ]),
        ),
    '',
    `The stack as synthesized: ${inv.functions.length} functions (${inv.functions
      .map(
        (f) =>
          `${f.job} ${f.memoryMb} MB, system logs ${f.systemLogLevel}${f.tracingActive ? ', traced' : ''}` +
          `${f.metrics.length ? `, publishes ${f.metrics.join(', ')}` : ''}`,
      )
      .join('; ')}), ${inv.stateMachines.length} state machines (${inv.stateMachines.map((s) => s.job).join(', ')}), ` +
      `${inv.alarms.length} alarms, ${inv.dashboards} dashboards, ${inv.kmsKeys} KMS keys, ` +
      `${inv.secrets} secret, ${inv.tables.length} tables (${inv.tables.filter((t) => t.pitr).length} with PITR; ` +
      `indexes ${inv.tables
        .flatMap((t) => t.indexes)
        .map((i) => `${i.name} (${i.projection})`)
        .join(', ')}), ${inv.eventBuses} custom event bus, ${inv.logGroups} log groups, ` +
      `${inv.customMetrics.length} custom metrics, SES events published: ${inv.sesEventTypes.join(', ')}.`,
    '',
    `Prices (${PRICES.source}): DynamoDB $${PRICES.dynamodbUsdPerMillionReadRequestUnits} / ` +
      `$${PRICES.dynamodbUsdPerMillionWriteRequestUnits} per million read / write request units, ` +
      `$${PRICES.dynamodbUsdPerGbMonth}/GB-month, PITR $${PRICES.dynamodbPitrUsdPerGbMonth}/GB-month; Lambda arm64 ` +
      `$${PRICES.lambdaArm64UsdPerGbSecond} per GB-second, $${PRICES.lambdaUsdPerMillionRequests} per million requests; ` +
      `Step Functions Standard $${PRICES.stepFunctionsUsdPer1000StateTransitions} per 1,000 transitions; SQS ` +
      `$${PRICES.sqsUsdPerMillionRequests} per million requests; EventBridge Scheduler ` +
      `$${PRICES.schedulerUsdPerMillionInvocations} and PutEvents $${PRICES.eventBridgeUsdPerMillionEvents} per million; ` +
      `CloudWatch $${PRICES.cloudwatchAlarmUsdPerMonth} per alarm, $${PRICES.cloudwatchDashboardUsdPerMonth} per ` +
      `dashboard, $${PRICES.cloudwatchCustomMetricUsdPerMonth} per metric-month, Logs $${PRICES.cloudwatchLogsIngestUsdPerGb}/GB ` +
      `ingested + $${PRICES.cloudwatchLogsStorageUsdPerGbMonth}/GB-month; X-Ray $${PRICES.xrayUsdPerMillionTracesRecorded} ` +
      `per million traces; KMS $${PRICES.kmsUsdPerKeyMonth} per key-month; Secrets Manager ` +
      `$${PRICES.secretsManagerUsdPerSecretMonth} per secret-month; SES $${PRICES.sesUsdPer1000Emails} per 1,000 emails. ` +
      'No free tier applied.',
    '',
    'Assumptions:',
    '',
    ...cost.assumptions.map((a) => `- ${a}`),
    '',
  ];
}
