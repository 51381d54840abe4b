import { bundleBudget } from '../infra/bundle-budget.ts';
import { BEFORE, sumLines } from './cost-lines.ts';
import { sumCounts } from './counting.ts';
import { dec, int, pct, table } from './format.ts';
import { btydFitSection } from './report-btyd.ts';
import { costSection } from './report-cost.ts';
import { flagAdaptiveGoals, flagAdaptiveSection } from './report-flag-adaptive.ts';
import { importCdnowSection } from './report-import.ts';
import { bundlesSection, cohortsSection, flagSection, GOALS, sendsSection, winbackSection } from './report-sections.ts';
import { type BenchResults, sectionParts, sectionRun } from './results.ts';
import { MAX_BUNDLE_BYTES } from './scenarios/bundles.ts';

interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

/** The issues' goals, from whichever sections are present. */
export function goals(r: BenchResults): Goal[] {
  const out: Goal[] = [];
  const { flag, cohorts, sends, bundles, importCdnow, cost } = r;
  if (flag) {
    const x = flag.incremental.readsPerChanged;
    out.push({
      goal: `flag: items read per changed customer ≤ ${GOALS.flagReadsPerChanged}`,
      measured: `${dec(x, 2)} (incremental daily run; full pass ${dec(flag.fullPass.readsPerChanged, 1)})`,
      met: x <= GOALS.flagReadsPerChanged,
    });
  }
  if (r.flagAdaptive) out.push(...flagAdaptiveGoals(r.flagAdaptive));
  if (cohorts) {
    out.push({
      goal: `cohort time ≤ ${GOALS.cohortRatio}× the bare parallel Scan`,
      measured:
        `${dec(cohorts.ratio, 2)}× best of each (median of paired runs ${dec(cohorts.medianPairRatio, 2)}×; with ` +
        `DynamoDB checkpoints); merge ${cohorts.mergeCheck.equal ? 'equal' : 'NOT EQUAL'}`,
      met: cohorts.ratio <= GOALS.cohortRatio && cohorts.mergeCheck.equal && cohorts.mergeCheck.complete,
    });
  }
  if (sends) {
    const share = sends.achievedRate / sends.maxSendRate;
    out.push({
      goal: `send rate ≥ ${GOALS.sendRateShare * 100}% of configured, 0 throttles, 0 duplicates`,
      measured:
        `${dec(sends.achievedRate, 1)}/s of ${sends.maxSendRate}/s (${pct(share, 1)}), ${sends.throttles} throttles, ` +
        `${sends.duplicates} duplicates`,
      met: share >= GOALS.sendRateShare && sends.throttles === 0 && sends.duplicates === 0,
    });
  }
  if (bundles) {
    const max = Math.max(...bundles.bundles.map((b) => b.bytes));
    out.push({
      goal: `every Lambda bundle ≤ ${MAX_BUNDLE_BYTES / 1024} KB (winback-send, carrying the Liquid renderer: ≤ ${bundleBudget('winback-send') / 1024} KB)`,
      measured: `largest ${dec(max / 1024, 1)} KB (${bundles.bundles.length} handlers)`,
      met: bundles.bundles.every((b) => b.withinBudget),
    });
  }
  if (importCdnow) {
    const e = importCdnow.eventsOnTarget ?? importCdnow.events;
    out.push({
      goal: 'after an import the first full flag pass writes nothing; an order event costs 3 requests, a redelivery 1',
      measured:
        `${int(importCdnow.flag.putItems)} PutItems for ${int(importCdnow.flag.itemsRead)} read; ` +
        `${dec(e.orderEvents.requestsPer, 2)} and ${dec(e.redeliveries.requestsPer, 2)} requests per event ` +
        `(import ${dec(importCdnow.import.seconds, 1)} s, was ~${importCdnow.before.importSeconds} s)`,
      met: importCdnow.flag.putItems === 0 && e.orderEvents.requestsPer <= 3 && e.redeliveries.requestsPer <= 1,
    });
  }
  const at = (n: number) => cost?.scaled.find((x) => x.customers === n);
  const oneM = at(1_000_000);
  const tenM = at(10_000_000);
  const before = (n: number) => {
    const lines = BEFORE.bySize.find((x) => x.customers === n)?.lines;
    return lines ? sumLines(lines) : Number.NaN;
  };
  if (cost && oneM && tenM) {
    const perExtra = (tenM.totalWithoutSesUsd - oneM.totalWithoutSesUsd) / 9;
    const perExtraBefore = (before(10_000_000) - before(1_000_000)) / 9;
    const i1 = cost.scaled.indexOf(oneM);
    const i10 = cost.scaled.indexOf(tenM);
    const withRecs1 = cost.withRecommendationsUsd[i1] ?? Number.NaN;
    const withRecsExtra = ((cost.withRecommendationsUsd[i10] ?? Number.NaN) - withRecs1) / 9;
    const recs = cost.recommendations.length > 0;
    out.push(
      {
        goal: `≤ $${GOALS.usdAllInAt1M} a month all in at 1M customers, SES excluded (issue 10)`,
        measured:
          `**$${dec(oneM.totalWithoutSesUsd, 2)}** (before: $${dec(before(1_000_000), 2)})` +
          (recs ? `; with the recommendations below $${dec(withRecs1, 2)}` : ''),
        met: oneM.totalWithoutSesUsd <= GOALS.usdAllInAt1M,
      },
      {
        goal: `≤ $${GOALS.usdPerAdditional1MAt10M} per additional 1M customers at 10M (issue 10)`,
        measured:
          `**$${dec(perExtra, 2)}** (before: $${dec(perExtraBefore, 2)})` +
          (recs ? `; with the recommendations below $${dec(withRecsExtra, 2)}` : ''),
        met: perExtra <= GOALS.usdPerAdditional1MAt10M,
      },
      {
        goal: `≤ $${GOALS.usdPer1MCustomersPerMonth} per 1M customers a month, SES excluded (issue "Scale to 10 million")`,
        measured: `$${dec(oneM.totalWithoutSesUsd, 2)} at 1M, $${dec(tenM.totalWithoutSesUsd / 10, 2)} per 1M at 10M (all in)`,
        met:
          oneM.totalWithoutSesUsd <= GOALS.usdPer1MCustomersPerMonth &&
          tenM.totalWithoutSesUsd / 10 <= GOALS.usdPer1MCustomersPerMonth,
      },
    );
  }
  return out;
}

/** What the figures mean, from the sections present. */
function notes(r: BenchResults): string[] {
  const out: string[] = [];
  const { flag, winback: wb } = r;
  if (flag) {
    out.push(
      `Flag: the incremental run read ${dec(flag.incremental.readsPerChanged, 2)} items per changed customer against ` +
        `${dec(flag.fullPass.readsPerChanged, 1)} for the full pass at the same as-of (D+${flag.deltaDays} d, ~1% of ` +
        'the base changing). The as-of step covers several days; a daily run changes about a third as many ' +
        'customers and reads proportionally fewer. Orders are not seeded: flag-dormant and churn-cohorts read only ' +
        'the customers table (aggregates).',
    );
  }
  if (wb) {
    const peak = wb.day.runs.reduce((a, b) => (b.candidates > a.candidates ? b : a));
    const tooOld = wb.catchUp.runs.reduce((n, x) => n + (x.skipped['episode-too-old'] ?? 0), 0);
    const entries = wb.flag.transitions['at_risk>dormant'] ?? 0;
    const sent = Math.max(1, wb.day.totals.sent);
    const perEmail = (command: string) => (wb.day.senderRequests[command]?.writeUnits ?? 0) / sent;
    const writes = sumCounts(wb.day.senderRequests, wb.day.plannerRequests);
    const indexShare = writes.indexWriteUnits / Math.max(1, writes.writeUnits);
    const t = wb.day.totals;
    const projection = r.runs.find((x) => x.generatedAt === wb.run)?.params.customerIndexProjection ?? 'ALL';
    out.push(
      `Win-back dry runs at the same instant: the due index read ${int(wb.dryRuns.due.candidates)} customers for ` +
        `${int(wb.dryRuns.due.due)} due steps (${dec(wb.dryRuns.due.readsPerDue, 2)} per due step); the old dormancy ` +
        `window read ${int(wb.dryRuns.full.candidates)} for ${int(wb.dryRuns.full.due)} (${dec(wb.dryRuns.full.readsPerDue, 1)} per due step).`,
      `On the win-back base the flag at D+${wb.flag.deltaDays} opened ${int(entries)} dormancy episodes; the next day ` +
        `took ${int(t.stepsTaken)} first steps (${pct(t.stepsTaken / Math.max(1, entries))}; the model uses the ` +
        `base's share with consent and address, ${pct(r.base?.consentShare ?? wb.consentShare)}).`,
      `Over the measured day the planner read ${int(t.plannerItemsRead)} customers (index items) for ` +
        `${int(t.stepsTaken)} steps taken: quiet hours make a customer due at 00:05 UTC (night in every seeded time ` +
        `zone) be read again when their local window opens; the peak run (${peak.at.slice(11, 16)} UTC) read ` +
        `${int(peak.candidates)}. ${t.emptyRuns} of 24 runs had nothing due and read ${int(t.emptyRunItemsRead)} items.`,
      `The catch-up day after install read ${int(wb.catchUp.totals.candidates)} customers and sent ` +
        `${int(wb.catchUp.totals.sent)} first steps (one-time cost): the classification gives every customer in a ` +
        `dormancy episode winbackDueAt = dormantSince, also episodes too old for the sequence (${int(tooOld)} of the ` +
        `customers read, ${pct(tooOld / Math.max(1, wb.catchUp.totals.candidates))}), which the planner reads once ` +
        'and removes from the index.',
      `Win-back writes: ${dec(wb.day.rates.senderWriteUnitsPerEmail, 1)} WRU per email in the sender (claim put ` +
        `${dec(perEmail('PutItem'), 1)}, updates ${dec(perEmail('UpdateItem'), 1)}: frequency-cap slot, ledger ` +
        `completion, winbackDueAt) + ${dec(wb.day.rates.plannerWriteUnitsPerStep, 1)} WRU per step in the planner ` +
        `(lease, quiet-hours reschedule, hold-out claim), against ~5 if every write cost 1 unit: ${pct(indexShare)} ` +
        'of them are GSI copies. ' +
        (projection === 'ALL'
          ? 'In this run the customer GSIs projected ALL: a customer update rewrites the item in each customer GSI it ' +
            'is in (next-check, winback-by-dormant-since, winback-due), a new winbackDueAt moves it within ' +
            'winback-due (delete + put), and customer items of ~1 KB round up to 2 WRU per copy.'
          : `In this run the customer GSIs projected ${projection}: an index entry is written only when its keys ` +
            'change (a new winbackDueAt moves it within winback-due: delete + put, 1 WRU each).'),
      'The simulated days run the planner and the sender code of the Lambdas (durable queue semantics: planned ' +
        'customers are leased) with SES replaced by an in-process stand-in; the send-rate measurement uses ' +
        'aws-ses-v2-local through winbackEmail, whose pacer is the only rate limit (the local SES never throttles).',
    );
  }
  if (r.cohorts) {
    out.push(
      'Bare scan = the same segments with the low-level client (the SDK still parses the JSON response); the ' +
        'cohort job adds unmarshalling, schema validation, accumulation and the DynamoDB checkpoints.',
    );
  }
  if (r.importCdnow) {
    out.push(
      'CDNOW import: dynalite reports the capacity of the table written, not of its GSI copies; the order events ' +
        'are measured again on DynamoDB Local (when it is the target) for the cost model.',
    );
  }
  const targets = new Set(r.runs.map((x) => x.params.target));
  out.push(
    'Local wall times are an upper bound for AWS: DynamoDB Local gets slower per item as the table grows and ' +
      'shares these 2 cores with the job; the client CPU (no I/O) is the lower bound.',
    targets.has('dynalite')
      ? 'dynalite reports table capacity only (no GSI writes): write units of a dynalite run are too low; use dynamodb-local.'
      : 'Capacity units are those DynamoDB Local reports; in the cases checked by hand they follow the documented ' +
          'rules (reads per 4 KB, writes per 1 KB, one write per GSI copy, a GSI key change as delete + put). Missing ' +
          'keys (0.5 RCU each) and failed conditional writes (1 WRU per KB) are added by the bench.',
  );
  if (r.bundles) {
    out.push(
      'Lambda bundles are built in memory by esbuild with the options of infra/constructs/job-function.ts; cdk was not called.',
    );
  }
  return out;
}

export function renderMarkdown(r: BenchResults): string {
  const sized = new Set(['flag', 'flag-adaptive', 'winback', 'cohorts', 'sends', 'btyd-fit']);
  const sectionsOf = (run: string) => [
    ...Object.keys(r).filter((key) => key !== 'runs' && sectionRun(r, key) === run),
    ...sectionParts(r)
      .filter((p) => p.run === run)
      .map((p) => p.part),
  ];
  const runs = r.runs.map(
    (x) =>
      `- run of ${x.generatedAt.slice(0, 16)}Z (${x.scenarios.join(', ')}; sections still from it: ` +
      `${sectionsOf(x.generatedAt).join(', ')})` +
      `${x.scenarios.some((s) => sized.has(s)) ? ` at ${int(x.params.customers)} customers` : ''} on ` +
      `${x.params.target}; ${dec(x.runSeconds / 60, 1)} min on ` +
      `${x.machine.cpus} cores, Node ${x.machine.node}` +
      `${x.params.dynamodbLocalHeapMb ? `, DynamoDB Local -Xmx${x.params.dynamodbLocalHeapMb}m` : ''}; ` +
      `${x.params.scanSegments} scan segments, ${x.params.indexShards} index shards; load average ` +
      `${x.machine.loadAverageAtStart.map((l) => dec(l, 1)).join('/')} at start, ` +
      `${x.machine.loadAverageAtEnd.map((l) => dec(l, 1)).join('/')} at end; a 1e8-iteration empty loop takes ` +
      `${dec(x.machine.calibrationLoopSeconds, 2)} s.`,
  );
  const lines = [
    '# clientele bench',
    '',
    'Every section comes from the latest run of its scenario (`npm run bench -- --scenarios …` replaces the ' +
      'sections it measures and keeps the others). Local servers, not AWS: durations are this machine against a ' +
      'local DynamoDB; counts of items, requests and capacity units are what the code does. Runs:',
    '',
    ...runs,
    '',
    '## Goals',
    '',
    table(
      ['goal', 'measured', 'met?'],
      goals(r).map((g) => [g.goal, g.measured, g.met ? 'yes' : '**no**']),
    ),
    '',
    ...flagSection(r),
    ...flagAdaptiveSection(r),
    ...winbackSection(r),
    ...cohortsSection(r),
    ...sendsSection(r),
    ...importCdnowSection(r),
    ...btydFitSection(r),
    ...bundlesSection(r),
    ...costSection(r),
    'Notes:',
    '',
    ...notes(r).map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}
