import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BaseResult } from './base.ts';
import type { BtydFitResult } from './scenarios/btyd-fit.ts';
import type { BundleReport } from './scenarios/bundles.ts';
import type { CohortsResult } from './scenarios/cohorts.ts';
import type { CostResult } from './scenarios/cost.ts';
import type { FlagResult } from './scenarios/flag.ts';
import type { FlagAdaptiveResult } from './scenarios/flag-adaptive.ts';
import type { ImportCdnowResult } from './scenarios/import-cdnow.ts';
import type { SendsResult } from './scenarios/sends.ts';
import type { WinbackResult } from './scenarios/winback.ts';

/** One `npm run bench` invocation: where and how its sections were measured. */
export interface RunInfo {
  generatedAt: string;
  runSeconds: number;
  scenarios: string[];
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
    dynamodbLocalHeapMb: number | null;
    /** the projection of the customer indexes the local tables were created with (unset before it was recorded: ALL) */
    customerIndexProjection?: string;
    deployment: {
      maxSendRate: number;
      senderConcurrency: number;
      winbackSchedule: string;
      flagSchedule: string;
      cohortSchedule: string;
    };
  };
}

/** A section with the run (its generatedAt) that measured it. */
export type Stamped<T> = T & { run: string };

/**
 * bench/results.json: the latest result of every scenario, each stamped with its run. A run replaces the sections
 * it measured and keeps the others, so `--scenarios import-cdnow` adds to the last full run instead of erasing it.
 */
export interface BenchResults {
  runs: RunInfo[];
  base?: Stamped<BaseResult>;
  flag?: Stamped<FlagResult>;
  flagAdaptive?: Stamped<FlagAdaptiveResult>;
  winback?: Stamped<WinbackResult>;
  cohorts?: Stamped<CohortsResult>;
  sends?: Stamped<SendsResult>;
  bundles?: Stamped<BundleReport>;
  importCdnow?: Stamped<ImportCdnowResult>;
  btydFit?: Stamped<BtydFitResult>;
  cost?: Stamped<CostResult>;
}

export type SectionKey = Exclude<keyof BenchResults, 'runs'>;

/** The run a section (by its key in results.json) was measured in, if it is there. */
export function sectionRun(r: BenchResults, key: string): string | undefined {
  for (const [k, section] of Object.entries(r)) {
    if (k === key && section && typeof section === 'object' && 'run' in section && typeof section.run === 'string') {
      return section.run;
    }
  }
  return undefined;
}

/**
 * Parts of a section measured by another run than the section (the btyd-fit whole-base fits of another size, which
 * a run keeps), with the run each comes from.
 */
export function sectionParts(r: BenchResults): { run: string; part: string }[] {
  const b = r.btydFit;
  return (b?.bases ?? []).flatMap((x) =>
    x.run && x.run !== b?.run ? [{ run: x.run, part: `btydFit (fits at ${x.customers.toLocaleString('en-US')})` }] : [],
  );
}

/** The shape results.json had before the scenarios were split (one run, every section at the top level). */
interface LegacyResults {
  generatedAt: string;
  runSeconds: number;
  machine: RunInfo['machine'];
  params: RunInfo['params'] & { repeats: number; sendConcurrency: number; preclassified: boolean };
  seed: Omit<BaseResult, 'initialFlag' | 'preclassified'> & { gsiShares: WinbackResult['gsiShares'] };
  initialFlag: BaseResult['initialFlag'];
  flag: FlagResult;
  winback: Omit<WinbackResult, 'share' | 'consentShare' | 'gsiShares' | 'senderSecondsPerBatch' | 'flag'> & {
    flag: { changed: number; transitions: Record<string, number> };
  };
  cohorts: Omit<CohortsResult, 'repeats'>;
  sending: Omit<SendsResult, 'sendConcurrency' | 'feedback'>;
  bundles: BundleReport;
}

/** Every measured figure of a legacy file, in the current sections (nothing recomputed but the sender batch time). */
export function fromLegacy(old: LegacyResults): BenchResults {
  const run = old.generatedAt;
  const { gsiShares, ...seed } = old.seed;
  const params = old.params;
  const day = old.winback.day;
  return {
    runs: [
      {
        generatedAt: run,
        runSeconds: old.runSeconds,
        scenarios: ['flag', 'winback', 'cohorts', 'sends', 'bundles', 'cost'],
        machine: old.machine,
        params: {
          customers: params.customers,
          target: params.target,
          scanSegments: params.scanSegments,
          indexShards: params.indexShards,
          dynamodbLocalHeapMb: params.dynamodbLocalHeapMb,
          deployment: params.deployment,
        },
      },
    ],
    base: { run, ...seed, preclassified: params.preclassified, initialFlag: old.initialFlag },
    flag: { run, ...old.flag },
    winback: {
      run,
      ...old.winback,
      share: old.winback.customers / params.customers,
      // The old report took the consent share of the main base; the win-back base is its first chunks.
      consentShare: old.seed.consentShare,
      gsiShares,
      flag: { asOf: old.flag.asOf, deltaDays: old.flag.deltaDays, ...old.winback.flag },
      // The simulated days ran 4 sender batches side by side.
      senderSecondsPerBatch: (day.totals.senderSeconds * 4) / Math.max(1, day.totals.senderInvocations),
    },
    cohorts: { run, repeats: params.repeats, ...old.cohorts },
    sends: { run, sendConcurrency: params.sendConcurrency, ...old.sending },
    bundles: { run, ...old.bundles },
  };
}

export function loadResults(path: string): BenchResults {
  if (!existsSync(path)) return { runs: [] };
  // cast: the bench's own output (saveResults, or a legacy run); trusted, not validated (no schema for the sections).
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as BenchResults | LegacyResults;
  return 'runs' in parsed ? parsed : fromLegacy(parsed);
}

/** Writes the results, keeping only the runs some section still comes from. */
export function saveResults(path: string, results: BenchResults): void {
  const used = new Set([
    ...Object.keys(results).map((key) => sectionRun(results, key)),
    ...sectionParts(results).map((p) => p.run),
  ]);
  const kept = { ...results, runs: results.runs.filter((r) => used.has(r.generatedAt)) };
  writeFileSync(path, `${JSON.stringify(kept, null, 2)}\n`);
}
