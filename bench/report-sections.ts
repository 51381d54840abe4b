import { dec, int, pct, table } from './format.ts';
import { median } from './measure.ts';
import type { BenchResults } from './results.ts';
import { MEASURED_FEEDBACK } from './scenarios/sends.ts';

/** Flag reads per changed customer, cohort time ratio, send rate share: the issue "Scale to 10 million customers". */
export const GOALS = {
  flagReadsPerChanged: 1.5,
  cohortRatio: 1.2,
  sendRateShare: 0.95,
  usdPer1MCustomersPerMonth: 5,
  /** issue 10: all in, SES excluded, at 1M customers */
  usdAllInAt1M: 8,
  /** issue 10: per additional 1M customers at 10M */
  usdPerAdditional1MAt10M: 4,
} as const;

/** "100,000 customers on dynamodb-local, run of 2026-11-23T18:16Z" */
export function runLabel(r: BenchResults, run: string): string {
  const info = r.runs.find((x) => x.generatedAt === run);
  return info ? `${int(info.params.customers)} customers on ${info.params.target}, run of ${run.slice(0, 16)}Z` : run;
}

export function flagSection(r: BenchResults): string[] {
  const { base, flag, winback } = r;
  if (!base || !flag) return [];
  const inc = flag.incremental;
  const fp = flag.fullPass;
  const shares = winback?.gsiShares;
  return [
    `## Flag (${runLabel(r, flag.run)})`,
    '',
    table(
      ['measure', 'value'],
      [
        ['seed (seedMany, BatchWrite)', `${int(base.customers)} customers in ${dec(base.seconds, 1)} s`],
        [
          'avg customer item (JSON) / share of customers in each GSI (projection ALL)',
          `${int(base.avgCustomerItemBytes)} B` +
            (shares
              ? `; next-check ${pct(shares.nextCheck)}, winback-by-dormant-since ${pct(shares.dormancy)}, ` +
                `winback-due ${pct(shares.winbackDue, 1)} (win-back base after its measured day)`
              : ''),
        ],
        [
          `initial classification as of D = ${base.initialFlag.asOf.slice(0, 10)}`,
          `${base.initialFlag.method}: ${int(base.initialFlag.writeRequests)} written (${int(base.initialFlag.writeUnits)} WRU) ` +
            `in ${dec(base.initialFlag.seconds, 1)} s; watermark ${base.initialFlag.watermark}`,
        ],
        [
          `flag as of D+${flag.deltaDays} d: changed`,
          `${int(inc.changed)} (${dec(inc.changedShare * 100, 2)}% of base; forecast ${int(flag.forecastChanged)})`,
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
          `**${dec(flag.readRatio, 0)}×**; same changes found: ` +
            `${flag.agreement.sameChanged && flag.agreement.sameTransitions ? 'yes' : '**NO**'} ` +
            `(count ${flag.agreement.sameChanged ? '=' : '≠'}, transitions ${flag.agreement.sameTransitions ? '=' : '≠'})`,
        ],
      ],
    ),
    '',
  ];
}

export function winbackSection(r: BenchResults): string[] {
  const wb = r.winback;
  if (!wb) return [];
  const dt = wb.day.totals;
  const dr = wb.day.rates;
  const cu = wb.catchUp.totals;
  const busiest = wb.day.runs.reduce((a, b) => (b.candidates > a.candidates ? b : a));
  return [
    `## Win-back (${runLabel(r, wb.run)}; win-back base ${int(wb.customers)} = ${pct(wb.share)} of it)`,
    '',
    table(
      ['measure', 'value'],
      [
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
          `win-back day ${wb.day.day} (24 hourly runs): customers read per step taken`,
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
      ],
    ),
    '',
  ];
}

export function cohortsSection(r: BenchResults): string[] {
  const c = r.cohorts;
  if (!c) return [];
  const dynalite = r.runs.find((x) => x.generatedAt === c.run)?.params.target === 'dynalite';
  return [
    `## Cohorts (${runLabel(r, c.run)})`,
    '',
    table(
      ['measure', 'value'],
      [
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
          `cohorts / bare scan (client CPU, median${dynalite ? ', incl. the dynalite thread' : ''})`,
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
      ],
    ),
    '',
  ];
}

export function sendsSection(r: BenchResults): string[] {
  const s = r.sends;
  if (!s) return [];
  const feedbackRows = s.feedback
    ? MEASURED_FEEDBACK.map((type) => {
        const f = s.feedback?.[type];
        const per = (n: number) => dec(n / Math.max(1, f?.events ?? 1), 2);
        return [
          `ses-feedback, one \`${type}\` event per email sent`,
          f
            ? `${per(f.requests)} requests, ${per(f.readUnits)} RRU + ${per(f.writeUnits)} WRU per event ` +
              `(+${per(f.failedWrites)} failed conditional writes; ${int(f.events)} events)`
            : 'not measured',
        ];
      })
    : [['ses-feedback per SES event', 'not measured in this run (measured since the scenario split)']];
  return [
    `## Sends (${runLabel(r, s.run)})`,
    '',
    table(
      ['measure', 'value'],
      [
        ['win-back send (winbackEmail, aws-ses-v2-local): sent / due', `${int(s.sent)} / ${int(s.emailsDue)}`],
        [
          '**achieved send rate**',
          `**${dec(s.achievedRate, 1)}/s** vs limit ${s.maxSendRate}/s (${pct(s.achievedRate / s.maxSendRate)}, ` +
            `${dec(s.elapsedSeconds, 1)} s, ${s.sendConcurrency} sends in flight)`,
        ],
        ['throttles (retried + deferred; the local SES never throttles)', int(s.throttles)],
        ['duplicates (emails per recipient > 1)', `${int(s.duplicates)} (${int(s.distinctRecipients)} recipients)`],
        ['rerun of the same send: sent', `${int(s.rerunSent)} (read ${int(s.rerunCandidates)} customers)`],
        [
          'write requests / WRU per email (in-process path, no lease)',
          `${dec(s.writeRequestsPerEmail, 2)} / ${dec(s.writeUnitsPerEmail, 1)}`,
        ],
        ...feedbackRows,
      ],
    ),
    '',
  ];
}

export function bundlesSection(r: BenchResults): string[] {
  const b = r.bundles;
  if (!b) return [];
  return [
    `## Lambda bundles (esbuild, minified index.mjs, same options as job-function.ts; run of ${b.run.slice(0, 16)}Z)`,
    '',
    table(
      ['function', 'bytes', 'KB', 'within budget (250 KB; winback-send 300 KB)', 'deployed by infra/'],
      b.bundles.map((x) => [
        x.function,
        int(x.bytes),
        dec(x.bytes / 1024, 1),
        x.withinBudget ? 'yes' : '**no**',
        x.deployed ? 'yes' : '**no**',
      ]),
    ),
    '',
    `Handlers are the functions/*.ts files exporting \`handler\`; ${b.missingHandlers.length ? `infra/ references missing handlers: ${b.missingHandlers.join(', ')}` : 'every handler infra/ deploys exists'}` +
      `${b.unknownFiles.length ? `; unexpected non-handler files: ${b.unknownFiles.join(', ')}` : ''}.`,
    '',
  ];
}
