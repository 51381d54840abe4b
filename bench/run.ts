/**
 * `npm run bench -- [--scenarios flag,import-cdnow] [--customers N] ...` (`--help` lists everything).
 *
 * Measures the deployed design on local servers through the real adapters and jobs. Each scenario (bench/scenarios/)
 * takes the bench context and returns its typed result; this runner runs the selected ones in order, merges their
 * sections into <out>/results.json (a run replaces the sections it measured and keeps the others) and renders
 * <out>/results.md (also printed). Timeline of the seeded scenarios: D = 2025-06-30, the seeded history ends there.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { tableDefinitions, tableNames } from '../shared/adapters/dynamodb/tables.ts';
import { seedBase } from './base.ts';
import {
  BenchContext,
  type BenchOptions,
  DEPLOYMENT,
  EMAILS_SHARE,
  INDEX_SHARDS,
  SCENARIOS,
  type ScenarioName,
  SEGMENTS,
  type Target,
  WINBACK_BASE_SHARE,
} from './context.ts';
import { calibrationLoopSeconds, log, seconds } from './measure.ts';
import { renderMarkdown } from './report.ts';
import { type BenchResults, loadResults, type RunInfo, saveResults } from './results.ts';
import { btydFitScenario, mergeBtydFit, STUDY_BASE } from './scenarios/btyd-fit.ts';
import { bundleSizes } from './scenarios/bundles.ts';
import { cohortsScenario } from './scenarios/cohorts.ts';
import { costScenario } from './scenarios/cost.ts';
import { flagScenario } from './scenarios/flag.ts';
import { FLAG_ADAPTIVE_SHARE, flagAdaptiveScenario } from './scenarios/flag-adaptive.ts';
import { importCdnowScenario } from './scenarios/import-cdnow.ts';
import { sendsScenario } from './scenarios/sends.ts';
import { winbackScenario } from './scenarios/winback.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CDNOW_FILES: readonly [shared: string, local: string] = [
  join(ROOT, '..', 'shared', 'data', 'cdnow', 'CDNOW_master.txt'),
  join(ROOT, 'data', 'cdnow', 'CDNOW_master.txt'),
];

const DESCRIPTIONS: Record<ScenarioName, string> = {
  flag: 'seed --customers, then the daily flag at D+Δ: full pass (dry) vs incremental run, reads per change',
  'flag-adaptive':
    `own bases (${FLAG_ADAPTIVE_SHARE * 100}% of --customers, one per variant): cohort pass stores the model, then ` +
    'the flag (full pass + 30 daily runs) fixed without/with the model and adaptive: reads and writes per change',
  winback: 'own base (--winback-customers): catch-up day, planner dry runs (due index vs window), 24 hourly runs',
  cohorts: 'churn-cohorts with DynamoDB checkpoints vs a bare parallel Scan, --repeats times; merge check',
  sends: 'send --emails first steps to aws-ses-v2-local at --send-rate; then their SES events through ses-feedback',
  bundles: 'minified size of every Lambda bundle (esbuild, the options of job-function.ts)',
  'import-cdnow': 'import --cdnow-file into a fresh dynalite, first flag pass, --order-events events + redeliveries',
  'btyd-fit':
    `BG/NBD, Pareto/NBD, Gamma-Gamma fitted on --customers simulated customers and on CDNOW; scoring time; ` +
    `bottom-k samples of ${STUDY_BASE.toLocaleString('en-US')}: fit time and error per sample size (CPU only)`,
  cost: 'the monthly bill at 100k, 1M and 10M from the latest measured sections and the synthesized stack',
};

type Runner = (ctx: BenchContext, results: BenchResults, run: string) => Promise<void>;

const RUNNERS: Record<ScenarioName, Runner> = {
  async flag(ctx, r, run) {
    const base = await ctx.base();
    r.base = { run, ...base.result };
    r.flag = { run, ...(await flagScenario(ctx, base)) };
  },
  async 'flag-adaptive'(ctx, r, run) {
    r.flagAdaptive = { run, ...(await flagAdaptiveScenario(ctx)) };
  },
  async winback(ctx, r, run) {
    r.winback = { run, ...(await winbackScenario(ctx)) };
  },
  async cohorts(ctx, r, run) {
    const base = await ctx.base();
    r.base = { run, ...base.result };
    r.cohorts = { run, ...(await cohortsScenario(ctx, base)) };
  },
  async sends(ctx, r, run) {
    r.sends = { run, ...(await sendsScenario(ctx)) };
  },
  async bundles(_ctx, r, run) {
    r.bundles = { run, ...(await bundleSizes(ROOT)) };
  },
  async 'import-cdnow'(ctx, r, run) {
    r.importCdnow = { run, ...(await importCdnowScenario(ctx)) };
  },
  async 'btyd-fit'(ctx, r, run) {
    const { customers, cdnowFile, btydAcquisitionWeeks: acquisitionWeeks } = ctx.options;
    const measured = await btydFitScenario({ root: ROOT, customers, cdnowFile, acquisitionWeeks });
    r.btydFit = { run, ...mergeBtydFit(r.btydFit, measured, run) };
  },
  async cost(_ctx, r, run) {
    r.cost = { run, ...costScenario(ROOT, r) };
  },
};

/** The projection of the customer indexes in the table definitions the local tables are created from. */
function customerIndexProjection(): string {
  const names = tableNames('bench');
  const customers = tableDefinitions(names).find((t) => t.TableName === names.customers);
  const projections = new Set((customers?.GlobalSecondaryIndexes ?? []).map((g) => g.Projection?.ProjectionType));
  return [...projections].join(', ') || 'none';
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function scenarioList(value: string): ScenarioName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.includes('all')) return [...SCENARIOS];
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s === n));
  if (unknown.length || names.length === 0) {
    throw new InvalidArgumentError(
      `unknown scenario ${unknown.join(', ') || '(none)'}; choose from ${SCENARIOS.join(', ')}`,
    );
  }
  return SCENARIOS.filter((s) => names.includes(s));
}

interface CliOptions {
  scenarios: ScenarioName[];
  customers: number;
  target: Target;
  winbackCustomers?: number;
  emails?: number;
  sendRate: number;
  sendConcurrency: number;
  repeats: number;
  classifyWithJob?: boolean;
  cdnowFile: string;
  orderEvents: number;
  btydAcquisitionWeeks: number;
  out: string;
}

async function main(cli: CliOptions): Promise<void> {
  const options: BenchOptions = {
    ...cli,
    classifyWithJob: cli.classifyWithJob ?? false,
    winbackCustomers: cli.winbackCustomers ?? Math.max(1, Math.round(cli.customers * WINBACK_BASE_SHARE)),
    emails: cli.emails ?? Math.max(1, Math.round(cli.customers * EMAILS_SHARE)),
    cdnowFile: resolve(cli.cdnowFile),
  };
  if (options.scenarios.includes('import-cdnow') && !existsSync(options.cdnowFile)) {
    throw new Error(`--cdnow-file ${options.cdnowFile} does not exist`);
  }
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const jsonPath = join(outDir, 'results.json');
  const results = loadResults(jsonPath);
  const runStart = performance.now();
  const generatedAt = new Date().toISOString();
  const info: RunInfo = {
    generatedAt,
    runSeconds: 0,
    scenarios: options.scenarios,
    machine: {
      cpus: availableParallelism(),
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: loadavg(),
      calibrationLoopSeconds: calibrationLoopSeconds(),
      loadAverageAtEnd: [],
    },
    params: {
      customers: options.customers,
      target: options.target,
      scanSegments: SEGMENTS,
      indexShards: INDEX_SHARDS,
      dynamodbLocalHeapMb: null,
      customerIndexProjection: customerIndexProjection(),
      deployment: {
        maxSendRate: DEPLOYMENT.maxSendRate,
        senderConcurrency: DEPLOYMENT.senderConcurrency,
        winbackSchedule: DEPLOYMENT.schedules.winback,
        flagSchedule: DEPLOYMENT.schedules.flagDormant,
        cohortSchedule: DEPLOYMENT.schedules.churnCohorts,
      },
    },
  };
  results.runs.push(info);
  log(
    `${options.scenarios.join(', ')}: ${options.customers.toLocaleString('en-US')} customers on ${options.target}; ` +
      `results merged into ${jsonPath}`,
  );
  const ctx = new BenchContext(options, seedBase);
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the local servers`);
    void ctx.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Written after every scenario, so a failure later in the run keeps what was measured before it.
  const write = () => {
    info.runSeconds = seconds(runStart);
    info.machine.loadAverageAtEnd = loadavg();
    info.params.dynamodbLocalHeapMb = ctx.startedDynamo?.heapMb ?? null;
    saveResults(jsonPath, results);
    const markdown = renderMarkdown(loadResults(jsonPath));
    writeFileSync(join(outDir, 'results.md'), markdown);
    return markdown;
  };
  try {
    for (const name of options.scenarios) {
      const start = performance.now();
      log(`── ${name}`);
      await RUNNERS[name](ctx, results, generatedAt);
      write();
      log(`── ${name} done in ${seconds(start).toFixed(1)} s`);
    }
  } finally {
    await ctx.close();
  }
  process.stdout.write(`${write()}\n`);
  log(`wrote ${jsonPath} and results.md in ${(info.runSeconds / 60).toFixed(1)} min`);
}

const program = new Command('npm run bench --')
  .description(
    'Measures clientele on local servers (DynamoDB Local or dynalite, aws-ses-v2-local) through the real ' +
      'adapters and jobs, and writes <out>/results.json and <out>/results.md. A run replaces the sections of the ' +
      'scenarios it runs and keeps the others.',
  )
  .addOption(
    new Option('--scenarios <list>', 'comma-separated scenarios to run, in the order below, or "all"')
      .argParser(scenarioList)
      .default([...SCENARIOS], 'all'),
  )
  .addOption(
    new Option('--customers <n>', 'the main base (flag, cohorts); sizes the win-back base and the sends')
      .argParser(positiveInt)
      .default(100_000),
  )
  .addOption(
    new Option('--target <server>', 'the local DynamoDB (dynalite reports no GSI capacity)')
      .choices(['dynamodb-local', 'dynalite'])
      .default('dynamodb-local'),
  )
  .addOption(
    new Option(
      '--winback-customers <n>',
      `the win-back base (default: ${WINBACK_BASE_SHARE * 100}% of --customers)`,
    ).argParser(positiveInt),
  )
  .addOption(
    new Option(
      '--emails <n>',
      `first steps the sends scenario sends (default: ${EMAILS_SHARE * 100}% of --customers)`,
    ).argParser(positiveInt),
  )
  .addOption(new Option('--send-rate <r>', 'emails per second (the pacer)').argParser(positiveNumber).default(50))
  .addOption(new Option('--send-concurrency <n>', 'sends in flight').argParser(positiveInt).default(10))
  .addOption(new Option('--repeats <n>', 'cohort runs and bare scans, each').argParser(positiveInt).default(3))
  .option('--classify-with-job', 'classify the seeded base with the flag job (a full pass), not at seed time')
  .addOption(
    new Option('--cdnow-file <path>', 'CDNOW_master.txt for import-cdnow').default(
      CDNOW_FILES.find((f) => existsSync(f)) ?? CDNOW_FILES[1],
      '../shared/data/cdnow/CDNOW_master.txt, else data/cdnow/CDNOW_master.txt',
    ),
  )
  .addOption(
    new Option('--order-events <n>', 'order.placed events recorded after the CDNOW import')
      .argParser(positiveInt)
      .default(1_000),
  )
  .addOption(
    new Option('--btyd-acquisition-weeks <n>', 'btyd-fit: weeks the simulated first purchases are spread over')
      .argParser(positiveInt)
      .default(104),
  )
  .addOption(new Option('--out <dir>', 'where results.json is merged and results.md written').default('bench'))
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Scenarios (in run order):
${SCENARIOS.map((s) => `  ${s.padEnd(14)}${DESCRIPTIONS[s]}`).join('\n')}

Examples:
  npm run bench                                              everything at 100,000 customers (~13 min)
  npm run bench -- --scenarios import-cdnow,cost              the CDNOW import (~1 min) and the cost model
  npm run bench -- --scenarios flag-adaptive                  the daily scoring's reads, 3 × 20,000 (~12 min)
  npm run bench -- --scenarios btyd-fit                       model fits at 100,000 and the sample sizes
  npm run bench -- --scenarios btyd-fit --customers 1000000   the fits at 1M (kept beside the 100k ones)
  npm run bench -- --scenarios flag,cohorts --customers 10000 --out /tmp/bench   a quick run, kept apart
  npm run bench -- --customers 1000000 --target dynalite      the 1M run`,
  )
  .action(async (cli: CliOptions) => {
    await main(cli);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
