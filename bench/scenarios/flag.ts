import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { flagDormant, flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import type { BaseSetup } from '../base.ts';
import { type BenchContext, SEGMENTS, WATERMARK_JOB } from '../context.ts';
import { type CommandCounts, sumCounts } from '../counting.ts';
import { int, log, pick, timed } from '../measure.ts';

export interface FlagResult {
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
}

/**
 * The daily flag at D+Δ (Δ chosen so ~1% of the base changes stage) on the main base: the full pass (dry run, for
 * comparison), then the incremental daily run on the next-check index. Items read and capacity units per changed
 * customer; both must find the same changes.
 */
export async function flagScenario(ctx: BenchContext, base: BaseSetup): Promise<FlagResult> {
  const { counter } = ctx;
  const { stores, asOf2, deltaDays, forecast } = base;
  counter.reset();
  const full = await timed(() =>
    flagDormantFullPass(
      { customers: stores.customers },
      { asOf: asOf2, policy: DEFAULT_POLICY, segments: SEGMENTS, dryRun: true },
    ),
  );
  const fullCounts = counter.snapshot();
  const fullRead = pick(fullCounts, 'itemsRead', 'Scan');
  log(
    `full pass (dry) as of D+${deltaDays}: ${int(full.value.changed)} would change, ${int(fullRead)} read, ` +
      `${full.seconds.toFixed(1)} s`,
  );

  counter.reset();
  const incremental = await timed(() =>
    flagDormant(
      { customers: stores.customers, watermarks: stores.snapshots },
      { asOf: asOf2, policy: DEFAULT_POLICY, segments: SEGMENTS },
    ),
  );
  const counts = counter.snapshot();
  const incr = incremental.value;
  if (incr.mode !== 'incremental') {
    throw new Error(`the daily run after the initial one should be incremental; it was full (${incr.reason})`);
  }
  const watermarkAfter = await stores.snapshots.getWatermark(WATERMARK_JOB);
  const total = sumCounts(counts);
  const changed = incr.changed;
  const agreement = {
    sameChanged: incr.changed === full.value.changed,
    sameTransitions: isDeepStrictEqual(incr.transitions, full.value.transitions),
  };
  log(
    `incremental flag as of D+${deltaDays}: ${int(changed)} changed, ${int(total.itemsRead)} items read ` +
      `(${(total.itemsRead / Math.max(1, changed)).toFixed(2)} per change), ${int(total.writeRequests)} ` +
      `writes, ${incremental.seconds.toFixed(1)} s; same changes as the full pass: ` +
      `${agreement.sameChanged && agreement.sameTransitions}`,
  );
  const perChanged = (n: number) => n / Math.max(1, changed);
  return {
    asOf: asOf2,
    deltaDays,
    forecastChanged: forecast.changesByDelta[deltaDays] ?? 0,
    incremental: {
      mode: incr.mode,
      since: incr.since ?? '',
      watermarkAfter: watermarkAfter?.asOf ?? '',
      changed,
      changedShare: changed / Math.max(1, forecast.customers),
      refreshed: incr.refreshed,
      unchanged: incr.unchanged,
      scanned: incr.scanned,
      seconds: incremental.seconds,
      clientCpuSeconds: incremental.cpuSeconds,
      itemsRead: total.itemsRead,
      queries: pick(counts, 'requests', 'Query'),
      writeRequests: total.writeRequests,
      readUnits: total.readUnitsBilled,
      writeUnits: total.writeUnits,
      conflicts: incr.conflicts,
      failed: incr.failed.length,
      readsPerChanged: perChanged(total.itemsRead),
      writesPerChanged: perChanged(total.writeRequests),
      readUnitsPerChanged: perChanged(total.readUnitsBilled),
      writeUnitsPerChanged: perChanged(total.writeUnits),
      transitions: incr.transitions,
      requests: counts,
    },
    fullPass: {
      dryRun: true,
      changed: full.value.changed,
      scanned: full.value.scanned,
      itemsRead: fullRead,
      readUnits: pick(fullCounts, 'readUnitsBilled'),
      readsPerChanged: fullRead / Math.max(1, full.value.changed),
      seconds: full.seconds,
      itemsPerSecond: full.value.scanned / full.seconds,
      clientCpuSeconds: full.cpuSeconds,
      clientCpuMicrosPerItem: (full.cpuSeconds / Math.max(1, full.value.scanned)) * 1e6,
      transitions: full.value.transitions,
      stages: full.value.stages,
      requests: fullCounts,
    },
    readRatio: fullRead / Math.max(1, total.itemsRead),
    agreement,
  };
}
