#!/usr/bin/env node
// Over 400 lines on purpose: the command table of the CLI (every command's options, help and dispatch) in one place;
// the work of each command lives in commands.ts, data-commands.ts, templates.ts and predict.ts.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EmailSchema } from '../shared/domain/common.ts';
import { endOfDay } from '../shared/domain/time.ts';
import { configuredReportUrl } from '../shared/jobs/digest.ts';
import { recordActivity } from '../shared/jobs/record-activity.ts';
import { campaignResultsToText } from '../shared/reports/campaign-results-html.ts';
import { asDate, effectShare, positiveInt, positiveNumber } from './args.ts';
import { loadScoringModel, runCohorts, runDigest, runFlag, runImport, runResults, runWinback } from './commands.ts';
import { registerDataCommands } from './data-commands.ts';
import { type DemoOptions, runDemo } from './demo.ts';
import { withDemoCampaigns } from './demo-campaigns.ts';
import { erasureKeyFor } from './erasure-key.ts';
import type { LocalServer } from './local-servers.ts';
import { localUnsubscribeSecret, startLocalUnsubscribe } from './local-unsubscribe.ts';
import { registerPredictCommand } from './predict.ts';
import { printCohorts, printFlag, printImport, printWinback } from './print.ts';
import { progress } from './progress.ts';
import { printRecordSummary, readEventsFile, summariseEventsFile } from './read-events.ts';
import { type GlobalOptions, newRunId, openEmail, openRuntime } from './runtime.ts';
import { BUILT_IN_TEMPLATES_DIR, loadTemplates, registerTemplateCommands } from './templates.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A --to address: checked here, so a typo fails before anything runs. */
const EmailArgument = {
  parse(v: string): string {
    const parsed = EmailSchema.safeParse(v);
    if (!parsed.success) throw new InvalidArgumentError('not an email address');
    return parsed.data;
  },
};

const today = () => new Date().toISOString().slice(0, 10);

/*
 * The options commander passes each command's action: the ones declared on that command, after their argParsers
 * and defaults (a flag without a value is `true` when given, absent otherwise).
 */
type DemoCommandOptions = Omit<DemoOptions, 'unsubscribe' | 'templates'> & { keepOpen?: boolean };
interface ImportCommandOptions {
  format: 'csv' | 'cdnow';
  customers?: string;
  orders?: string;
  asOf?: string;
}
interface FlagCommandOptions {
  asOf: string;
  dryRun?: boolean;
  full?: boolean;
  parallelism?: number;
}
interface CohortsCommandOptions {
  asOf: string;
  out: string;
  parallelism?: number;
  runId?: string;
}
interface ResultsCommandOptions {
  asOf: string;
}
interface WinbackCommandOptions {
  asOf: string;
  dryRun?: boolean;
  full?: boolean;
  from: string;
  maxSendRate: number;
  unsubscribeUrl?: string;
  keepOpen?: boolean;
}

const program = new Command('clientele')
  .description(
    'Retention jobs for your customer base: import customers and orders, flag dormant customers, compute churn cohorts, send win-back emails.\n' +
      'Runs locally with no AWS (embedded DynamoDB and SES), against DynamoDB Local, or against your AWS account (--aws).',
  )
  .addOption(
    new Option('--dynamodb-endpoint <url>', 'DynamoDB-compatible endpoint (e.g. DynamoDB Local)').env(
      'CLIENTELE_DYNAMODB_ENDPOINT',
    ),
  )
  .addOption(
    new Option('--ses-endpoint <url>', 'SES v2-compatible endpoint (e.g. aws-ses-v2-local)').env(
      'CLIENTELE_SES_ENDPOINT',
    ),
  )
  .addOption(new Option('--aws', 'use real DynamoDB and SES in the current AWS account/region').env('CLIENTELE_AWS'))
  .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION'))
  .addOption(
    new Option('--table-prefix <prefix>', 'table name prefix (<prefix>-customers, ...)')
      .default('clientele')
      .env('CLIENTELE_TABLE_PREFIX'),
  )
  .addOption(
    new Option('--data-dir <dir>', 'where the embedded DynamoDB keeps its data between commands')
      .default('.clientele')
      .env('CLIENTELE_DATA_DIR'),
  )
  .addOption(
    new Option('--config <file>', 'engine configuration JSON (currency, policy, win-back sequence)').env(
      'CLIENTELE_CONFIG',
    ),
  )
  .addOption(
    new Option('--templates-dir <dir>', 'the email templates folder (templates/README.md)')
      .default(BUILT_IN_TEMPLATES_DIR, 'the templates this package ships')
      .env('CLIENTELE_TEMPLATES_DIR'),
  )
  .option('--json', 'print the machine-readable result on stdout')
  .option('--no-progress', 'hide progress bars')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  npm start                                         the demo: synthetic base, flag, cohorts, win-back on local servers
  clientele import --format cdnow --as-of 1998-06-30 data/cdnow/CDNOW_master.txt
  clientele cohorts --as-of 1998-06-30 --json
  clientele winback --dry-run --json
  clientele --dynamodb-endpoint http://127.0.0.1:8000 flag --as-of 2026-11-23`,
  );

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const emit = (json: unknown, text: string) => {
  if (globals().json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else process.stdout.write(`${text}\n`);
};
const bars = () => progress(globals().progress !== false && !globals().json);

program
  .command('demo')
  .description('seed a synthetic customer base on embedded servers and run import → flag → cohorts → win-back')
  .addOption(new Option('--customers <n>', 'customers to generate').argParser(positiveInt).default(12_000))
  .addOption(
    new Option('--as-of <date>', 'last day of the simulated history').argParser(asDate).default(today(), 'today'),
  )
  .addOption(new Option('--seed <n>', 'random seed').argParser(positiveInt).default(42))
  .option('--out <dir>', 'where report files go', 'out')
  .option('--from <address>', 'sender address', 'Clientele Demo <winback@example.com>')
  .addOption(new Option('--replay-days <n>', 'days replayed as scheduled runs').argParser(positiveInt).default(32))
  .addOption(new Option('--step-days <n>', 'days between replayed runs').argParser(positiveInt).default(16))
  .addOption(new Option('--max-send-rate <n>', 'emails per second').argParser(positiveNumber).default(200))
  .addOption(
    new Option(
      '--effect <p>',
      "the planted effect of a campaign's emails: assignment to the treated arm raises the chance of a purchase " +
        'within the outcome window by this much (absolute, e.g. 0.03 = 3 points); the report must recover it',
    )
      .argParser(effectShare)
      .default(0.03),
  )
  .option('--keep-open', 'keep the local SES inbox running and print its URL')
  .action(async (o: DemoCommandOptions) => {
    const g = globals();
    const rt = await openRuntime(g, !g.dynamodbEndpoint);
    // Without a config file the demo runs its three campaigns (second purchase, at risk, win-back).
    if (!g.config) rt.config = withDemoCampaigns(rt.config);
    const templates = await loadTemplates(g.templatesDir);
    const email = await openEmail(g);
    const secret = await localUnsubscribeSecret(undefined);
    const unsubscribe = await startLocalUnsubscribe(rt.stores.customers, secret, templates.bundle.pages);
    const log = (s: string) => {
      if (!g.json) process.stdout.write(`${s}\n`);
    };
    try {
      const result = await runDemo(
        rt,
        email,
        { ...o, templates, unsubscribe: { baseUrl: unsubscribe.endpoint, secret } },
        bars(),
        log,
      );
      log(`Reports: ${result.cohorts.files.join(', ')}`);
      log(`Done in ${result.seconds} s.`);
      if (g.json) emit(result, '');
      if (o.keepOpen && email.inboxUrl) {
        process.stdout.write(
          `\nLocal SES inbox: ${email.inboxUrl}  (sent mail as JSON: ${email.inboxUrl}store)\nPress Ctrl+C to stop.\n`,
        );
        await new Promise(() => undefined);
      } else if (email.inboxUrl) {
        log('Run with --keep-open to read the emails in the local SES inbox.');
      }
    } finally {
      await unsubscribe.close();
      await email.close();
      await rt.close();
    }
  });

program
  .command('import')
  .description('bulk import customers and orders (CSV) or a CDNOW transaction file')
  .addOption(new Option('--format <format>', 'input format').choices(['csv', 'cdnow']).default('csv'))
  .option(
    '--customers <file>',
    'customers.csv (customer_id,email,name,locale,time_zone,signed_up_at,marketing_consent,consent_at,consent_source)',
  )
  .option('--orders <file>', 'orders.csv (order_id,customer_id,placed_at,amount,currency)')
  .argument('[file]', 'CDNOW_master.txt for --format cdnow')
  .addOption(
    new Option('--as-of <date>', 'classify imported customers as of this date (stage, next check)')
      .argParser(asDate)
      .default(undefined, 'now'),
  )
  .action(async (file: string | undefined, o: ImportCommandOptions) => {
    const rt = await openRuntime(globals());
    try {
      const result = await runImport(
        rt,
        {
          format: o.format,
          customersFile: o.customers,
          ordersFile: o.orders,
          cdnowFile: file,
          ...(o.asOf ? { asOf: endOfDay(o.asOf) } : {}),
          erasureKey: await erasureKeyFor(globals()),
        },
        bars(),
      );
      emit(result, printImport(result));
    } finally {
      await rt.close();
    }
  });

program
  .command('record')
  .description('apply customer events (JSON lines: customer.signed_up, order.placed, consent.changed)')
  .argument('<file>', 'file with one JSON event per line')
  .action(async (file: string) => {
    const rt = await openRuntime(globals());
    try {
      const read = await readEventsFile(file);
      const activity = await recordActivity(
        {
          customers: rt.stores.customers,
          orders: rt.stores.orders,
          policy: rt.config.policy,
          currency: rt.config.currency,
          now: new Date().toISOString(),
          model: await loadScoringModel(rt),
          erasures: { registry: rt.stores.erasures, key: await erasureKeyFor(globals()) },
        },
        read.events,
      );
      const summary = summariseEventsFile(read, activity);
      emit(summary, printRecordSummary(summary));
    } finally {
      await rt.close();
    }
  });

program
  .command('flag')
  .description('classify every customer as of a date and record stage changes (dormant, lost, reactivated, ...)')
  .addOption(new Option('--as-of <date>', 'classification date').argParser(asDate).default(today(), 'today'))
  .option('--dry-run', 'classify and count, write nothing')
  .option('--full', 'read every customer (otherwise only those whose next check fell due since the last run)')
  .addOption(parallelismOption())
  .action(async (o: FlagCommandOptions) => {
    const rt = await openRuntime(globals());
    try {
      const summary = await runFlag(rt, endOfDay(o.asOf), bars(), Boolean(o.dryRun), Boolean(o.full), o.parallelism);
      emit(summary, printFlag(summary));
    } finally {
      await rt.close();
    }
  });

program
  .command('cohorts')
  .description('compute the churn cohort table; store a snapshot; write cohorts.csv, cohorts.json and report.html')
  .addOption(new Option('--as-of <date>', 'report date').argParser(asDate).default(today(), 'today'))
  .option('--out <dir>', 'where report files go', 'out')
  .addOption(parallelismOption())
  .option('--run-id <id>', "resume this run's segment checkpoints (an interrupted run prints its id)")
  .action(async (o: CohortsCommandOptions) => {
    const rt = await openRuntime(globals());
    try {
      // Segment checkpoints are kept under the run id, so an interrupted run can be resumed.
      const runId = o.runId ?? `cohorts-${o.asOf}-${newRunId().slice(-8)}`;
      process.stderr.write(`cohorts run ${runId} (if interrupted, resume with --run-id ${runId})\n`);
      const result = await runCohorts(rt, endOfDay(o.asOf), o.out, bars(), new Date().toISOString(), {
        ...(o.parallelism ? { parallelism: o.parallelism } : {}),
        runId,
      });
      emit(
        { ...result.report, files: result.files, invalid: result.invalid },
        `${printCohorts(result.report, 24, 19)}\nReports: ${result.files.join(', ')}`,
      );
    } finally {
      await rt.close();
    }
  });

registerDataCommands(program, { globals, emit, bars });

interface DigestCommandOptions {
  to: string[];
  asOf: string;
  from: string;
  out: string;
  reportUrl?: string;
}

program
  .command('digest')
  .description(
    "send the weekly digest (the figures that moved, the retention curve, the campaigns) to staff addresses now; the as-of date's stored snapshot, or a cohort pass when there is none",
  )
  .requiredOption(
    '--to <address...>',
    'staff recipients (the marketing team; never a customer address)',
    (v: string, all: string[] = []) => [...all, EmailArgument.parse(v)],
  )
  .addOption(new Option('--as-of <date>', 'report date').argParser(asDate).default(today(), 'today'))
  .option('--from <address>', 'sender address (a verified SES identity in AWS)', 'Clientele <reports@example.com>')
  .option('--out <dir>', 'where report.html and digest.html go', 'out')
  .option(
    '--report-url <url>',
    'link to the full report (default: <engine.digest.reportBaseUrl>cohorts/<date>/report.html, else the local file)',
  )
  .action(async (o: DigestCommandOptions) => {
    const g = globals();
    const rt = await openRuntime(g);
    const email = await openEmail(g);
    try {
      const asOf = endOfDay(o.asOf);
      let report = await rt.stores.snapshots.loadCohortReport(asOf);
      if (!report) {
        process.stderr.write(`no snapshot as of ${o.asOf}: computing the cohorts (report in ${o.out})\n`);
        report = (await runCohorts(rt, asOf, o.out, bars(), new Date().toISOString())).report;
      }
      const base = rt.config.digest.reportBaseUrl;
      const reportUrl =
        o.reportUrl ?? (base ? configuredReportUrl(base, asOf) : pathToFileURL(resolve(o.out, 'report.html')).href);
      const result = await runDigest(rt, email.sender, {
        report,
        campaigns: await runResults(rt, asOf),
        to: o.to,
        from: o.from,
        reportUrl,
        outFile: join(o.out, 'digest.html'),
      });
      const { html: _html, text, ...summary } = result;
      emit(
        { ...summary, file: join(o.out, 'digest.html') },
        `${text}\nDigest: ${join(o.out, 'digest.html')} (${Math.round(result.bytes / 1024)} KB), sent ${result.sent} of ${result.recipients}${result.failed.length ? `, failed ${result.failed.length}` : ''}${email.inboxUrl ? ` (local inbox ${email.inboxUrl})` : ''}`,
      );
      if (result.failed.length) process.exitCode = 1;
    } finally {
      await email.close();
      await rt.close();
    }
  });

program
  .command('results')
  .description(
    'campaign results per campaign: intent-to-treat uplift vs hold-out (closed windows), revenue, descriptive step counts',
  )
  .addOption(new Option('--as-of <date>', 'count activity up to this date').argParser(asDate).default(today(), 'today'))
  .action(async (o: ResultsCommandOptions) => {
    const rt = await openRuntime(globals());
    try {
      const results = await runResults(rt, endOfDay(o.asOf));
      emit(results, campaignResultsToText(results));
    } finally {
      await rt.close();
    }
  });

program
  .command('winback')
  .description('send the due win-back step to each dormant customer (consent, valid address, not suppressed)')
  .addOption(new Option('--as-of <date>', 'run date').argParser(asDate).default(today(), 'today'))
  .option('--dry-run', 'report the audience per step and render samples; send and write nothing')
  .option('--full', 'read every customer in a recent dormancy episode (otherwise only those with a step due)')
  .option('--from <address>', 'sender address (a verified SES identity in AWS)', 'Clientele <winback@example.com>')
  .addOption(
    new Option('--max-send-rate <n>', 'emails per second (your SES quota)').argParser(positiveNumber).default(14),
  )
  .addOption(
    new Option(
      '--unsubscribe-url <url>',
      'public one-click unsubscribe endpoint (the stack output); local: an embedded one',
    ).env('CLIENTELE_UNSUBSCRIBE_URL'),
  )
  .option('--keep-open', 'keep the embedded SES inbox and unsubscribe endpoint running and print their URLs')
  .action(async (o: WinbackCommandOptions) => {
    const g = globals();
    // Every marketing email carries a working unsubscribe link: in AWS the deployed endpoint and its secret
    // (CLIENTELE_UNSUBSCRIBE_SECRET), locally an embedded endpoint with a secret kept in the data directory.
    const remoteSecret = process.env.CLIENTELE_UNSUBSCRIBE_SECRET;
    if ((g.aws || o.unsubscribeUrl) && !o.dryRun && (!o.unsubscribeUrl || !remoteSecret)) {
      throw new Error(
        'sending needs --unsubscribe-url and CLIENTELE_UNSUBSCRIBE_SECRET (the deployed endpoint and its secret)',
      );
    }
    const templates = await loadTemplates(g.templatesDir);
    const rt = await openRuntime(g);
    const email = await openEmail(g);
    const secret = remoteSecret ?? (await localUnsubscribeSecret(g.dynamodbEndpoint ? undefined : g.dataDir));
    let local: LocalServer | undefined;
    let baseUrl: string;
    if (o.unsubscribeUrl) baseUrl = o.unsubscribeUrl;
    else {
      local = await startLocalUnsubscribe(rt.stores.customers, secret, templates.bundle.pages);
      // An empty --unsubscribe-url (CLIENTELE_UNSUBSCRIBE_URL='') starts the embedded endpoint yet is passed on as ''.
      baseUrl = o.unsubscribeUrl ?? local.endpoint;
    }
    try {
      const summary = await runWinback(
        rt,
        email.sender,
        {
          asOf: endOfDay(o.asOf),
          from: o.from,
          templates,
          runId: newRunId(),
          dryRun: Boolean(o.dryRun),
          full: Boolean(o.full),
          maxSendRate: o.maxSendRate,
          unsubscribe: { baseUrl, secret },
          now: new Date().toISOString(),
        },
        bars(),
      );
      const samples = summary.samples.map(
        (s) => `\n--- sample ${s.stepId} (${s.locale}) for ${s.customerId}\nSubject: ${s.subject}\n\n${s.text}`,
      );
      emit(summary, printWinback(summary) + samples.join(''));
      if (o.keepOpen && email.inboxUrl) {
        process.stdout.write(
          `\nLocal SES inbox: ${email.inboxUrl}\nUnsubscribe endpoint: ${baseUrl}\nPress Ctrl+C to stop.\n`,
        );
        await new Promise(() => undefined);
      }
    } finally {
      await local?.close();
      await email.close();
      await rt.close();
    }
  });

registerTemplateCommands(program, globals, emit);
registerPredictCommand(program, globals, emit);

/** Segments of a full pass worked on at once in this process (the Step Functions fan-out's MaxConcurrency). */
function parallelismOption() {
  return new Option('--parallelism <n>', 'scan segments processed at once (default: all of them)').argParser(
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
      return n;
    },
  );
}

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`clientele: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
