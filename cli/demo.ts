import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { CustomerEvent } from '../shared/domain/events.ts';
import { STAGES, zeroPerStage } from '../shared/domain/lifecycle.ts';
import { addDays, endOfDay } from '../shared/domain/time.ts';
import type { TemplateRenderer } from '../shared/email/templates/render.ts';
import type { FlagDormantSummary } from '../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../shared/jobs/import-customers.ts';
import { recordActivity } from '../shared/jobs/record-activity.ts';
import type { WinbackSummary } from '../shared/jobs/winback-email.ts';
import { campaignResultsToText } from '../shared/reports/campaign-results-html.ts';
import { holdoutTotalsSentence, modelStatusSentence } from '../shared/reports/predictive-sentences.ts';
import { syntheticBase } from '../shared/seed/synthetic-base.ts';
import { loadScoringModel, runCohorts, runDigest, runFlag, runResults, runWinback } from './commands.ts';
import { EffectPlanter, printRecovery, recoveryOf } from './demo-campaigns.ts';
import { printCohorts, printFlag, printStages, printWinback } from './print.ts';
import type { Progress } from './progress.ts';
import type { EmailRuntime, Runtime } from './runtime.ts';

export interface DemoOptions {
  customers: number;
  asOf: string;
  seed: number;
  out: string;
  from: string;
  /** days before as-of that are replayed as daily runs, one every `stepDays` */
  replayDays: number;
  stepDays: number;
  maxSendRate: number;
  /** the planted effect of a campaign's treated arm on buying within its window (absolute; demo-campaigns.ts) */
  effect: number;
  unsubscribe?: { baseUrl: string; secret: string } | undefined;
  templates: TemplateRenderer;
}

/** Where the demo sends the digest when engine.digest.recipients is empty: a staff address of the demo shop. */
export const DEMO_DIGEST_RECIPIENT = 'marketing@example.com';

export interface DemoResult {
  customers: number;
  ordersImported: number;
  eventsRecorded: number;
  runs: { day: string; flag: FlagDormantSummary; winback: WinbackSummary }[];
  emailsSent: Record<string, number>;
  cohorts: { cohorts: number; customersWithPurchase: number; files: string[] };
  /** the weekly digest, written to out/digest.html and sent to the local inbox */
  digest: { file: string; bytes: number; sent: number };
  /** per campaign: the planted effect, its exact sample value, and what the report measured */
  recovery: ReturnType<typeof recoveryOf>;
  seconds: number;
}

/**
 * The whole retention loop on a synthetic base: import history, then replay the last weeks as scheduled runs
 * (purchases arrive as events → flag → win-back), then the cohort report. Deterministic for a seed and date.
 */
export async function runDemo(
  rt: Runtime,
  email: EmailRuntime,
  o: DemoOptions,
  bars: Progress,
  log: (s: string) => void,
) {
  const started = performance.now();
  const asOf = endOfDay(o.asOf);
  const base = syntheticBase({ customers: o.customers, end: asOf, seed: o.seed, currency: rt.config.currency });
  const replayStart = addDays(asOf, -o.replayDays);
  const history = base.orders.filter((x) => x.placedAt <= replayStart);
  const live = base.orders.filter((x) => x.placedAt > replayStart).sort((a, b) => a.placedAt.localeCompare(b.placedAt));
  log(
    `Seeded ${o.customers.toLocaleString('en-US')} synthetic customers (seed ${o.seed}), ${base.orders.length.toLocaleString('en-US')} orders; data in ${rt.target}`,
  );

  const importBar = bars.bar('importing history', o.customers);
  const imported = await importCustomers(
    {
      customers: rt.stores.customers,
      orders: rt.stores.orders,
      currency: rt.config.currency,
      policy: rt.config.policy,
    },
    {
      // Who had signed up by then; later sign-ups arrive as events during the replay, like orders.
      profiles: base.profiles.filter((p) => !p.signed_up_at || p.signed_up_at <= replayStart),
      orders: history,
      // The history ends where the replay starts: classified as of then, the first replayed run writes only changes.
      asOf: replayStart,
      now: replayStart,
      onProgress: (done) => importBar.update(done),
    },
  );

  if (imported.rejected.length > 0)
    log(
      `Import rejected ${imported.rejected.length} records, e.g. ${imported.rejected[0]?.customerId}: ${imported.rejected[0]?.error}`,
    );

  // The weekly cohort pass before the replay fits the predictive model, so the replayed flag runs score the
  // customers they write and the final report shows the base scored with it (as in a deployment after a week).
  await runCohorts(rt, replayStart, undefined, bars, replayStart);

  const planter = new EffectPlanter(o.effect, o.seed, base.orders, rt.config, rt.config.currency);
  const runs: DemoResult['runs'] = [];
  const sentPerStep: Record<string, number> = {};
  let eventsRecorded = 0;
  let signedUpUntil = replayStart;
  for (let d = o.replayDays; d >= 0; d -= o.stepDays) {
    const day = endOfDay(addDays(asOf, -d).slice(0, 10));
    const signUps: CustomerEvent[] = base.profiles
      .filter((p) => p.signed_up_at && p.signed_up_at > signedUpUntil && p.signed_up_at <= day)
      .map((p) => ({
        type: 'customer.signed_up',
        eventId: `signup-${p.customer_id}`,
        customerId: p.customer_id,
        occurredAt: p.signed_up_at ?? day,
        ...(p.email ? { email: p.email } : {}),
        ...(p.name ? { name: p.name } : {}),
        ...(p.locale ? { locale: p.locale } : {}),
        ...(p.time_zone ? { timeZone: p.time_zone } : {}),
        ...(p.marketing_consent !== undefined ? { marketingConsent: p.marketing_consent } : {}),
        ...(p.consent_source ? { consentSource: p.consent_source } : {}),
      }));
    signedUpUntil = day;
    const events: CustomerEvent[] = live
      .filter((x) => x.placedAt <= day && x.placedAt > addDays(day, -o.stepDays))
      .map((x) => ({
        type: 'order.placed',
        eventId: `evt-${x.orderId}`,
        customerId: x.customerId,
        occurredAt: x.placedAt,
        orderId: x.orderId,
        amountMinor: x.amountMinor,
        currency: x.currency,
      }));
    if (d === o.replayDays)
      events.splice(0); // the first replay day starts from the imported history
    else events.push(...planter.ordersUpTo(day));
    events.unshift(...signUps);
    const recorded = await recordActivity(
      {
        customers: rt.stores.customers,
        orders: rt.stores.orders,
        policy: rt.config.policy,
        currency: rt.config.currency,
        now: day,
        model: await loadScoringModel(rt),
      },
      events,
      { concurrency: 16 },
    );
    eventsRecorded += recorded.applied;
    const flag = await runFlag(rt, day, bars);
    const winback = await runWinback(
      rt,
      email.sender,
      {
        asOf: day,
        from: o.from,
        templates: o.templates,
        runId: `demo-${day.slice(0, 10)}`,
        dryRun: false,
        maxSendRate: o.maxSendRate,
        unsubscribe: o.unsubscribe,
        // The simulated run sends at 15:00 UTC: inside the 09:00–20:00 window from New York to Berlin.
        now: `${day.slice(0, 10)}T15:00:00.000Z`,
      },
      bars,
    );
    await planter.afterRun(rt.stores.ledger);
    for (const [step, c] of Object.entries(winback.steps)) sentPerStep[step] = (sentPerStep[step] ?? 0) + c.sent;
    runs.push({ day: day.slice(0, 10), flag, winback });
  }
  const cohorts = await runCohorts(rt, asOf, o.out, bars, new Date().toISOString());
  bars.stop();
  const last = runs.at(-1);
  if (last) {
    log('');
    log(printFlag(last.flag));
    // The whole base: the cohort report counts every buyer's stage, and prospects separately.
    const stages = zeroPerStage();
    for (const row of cohorts.report.cohorts) for (const st of STAGES) stages[st] += row.stages[st] ?? 0;
    stages.prospect += cohorts.report.prospects;
    log(`Stages now (all ${o.customers.toLocaleString('en-US')} customers): ${printStages(stages)}`);
    log('');
    log(printCohorts(cohorts.report));
    if (cohorts.model) {
      log('');
      log(`Predictive model: ${modelStatusSentence(cohorts.model)}`);
      if (cohorts.model.holdout)
        log(
          `  Self-check on the last ${cohorts.model.holdout.weeks} weeks: ${holdoutTotalsSentence(cohorts.model.holdout)}`,
        );
    }
    log('');
    for (const r of runs) {
      const sent = Object.entries(r.winback.steps)
        .map(([k, c]) => `${k} ${c.sent}`)
        .join(', ');
      log(`  ${r.day}: purchases recorded, ${r.flag.changed} stage changes, emails sent: ${sent}`);
    }
    log(printWinback(last.winback));
    log(
      `Emails sent in total per step: ${Object.entries(sentPerStep)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    log('');
    if (cohorts.campaign) log(campaignResultsToText(cohorts.campaign));
  }
  // The results as `clientele results --json` gives them, the emails SES accepted, and the planted truth beside them.
  const campaigns = cohorts.campaign ?? (await runResults(rt, asOf));
  const truth = planter.truth(
    asOf,
    campaigns.campaigns.map((c) => c.campaignId),
  );
  const emailsSent = Object.values(sentPerStep).reduce((n, v) => n + v, 0);
  await mkdir(o.out, { recursive: true });
  const resultsFile = join(o.out, 'results.json');
  await writeFile(resultsFile, `${JSON.stringify({ ...campaigns, emailsSent, plantedEffect: truth }, null, 2)}\n`);
  log(printRecovery(campaigns, truth));
  log(`Results: ${resultsFile}`);
  // The weekly digest to the marketing team (a staff address, never a customer's), as the cohort job sends it.
  const digestFile = join(o.out, 'digest.html');
  const digest = await runDigest(rt, email.sender, {
    report: cohorts.report,
    campaigns: cohorts.campaign,
    to: rt.config.digest.recipients.length ? rt.config.digest.recipients : [DEMO_DIGEST_RECIPIENT],
    from: o.from,
    reportUrl: pathToFileURL(resolve(o.out, 'report.html')).href,
    outFile: digestFile,
  });
  log(
    `Digest: ${digestFile} (${Math.round(digest.bytes / 1024)} KB), sent to ${digest.sent} recipient(s) in the local inbox`,
  );
  const result: DemoResult = {
    customers: o.customers,
    ordersImported: imported.ordersApplied,
    eventsRecorded,
    runs,
    emailsSent: sentPerStep,
    cohorts: {
      cohorts: cohorts.report.cohorts.length,
      customersWithPurchase: cohorts.report.customersWithPurchase,
      files: cohorts.files,
    },
    digest: { file: digestFile, bytes: digest.bytes, sent: digest.sent },
    recovery: recoveryOf(campaigns, truth),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  return result;
}
