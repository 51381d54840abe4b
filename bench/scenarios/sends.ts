import * as z from 'zod';
import { ensureTables } from '../../cli/local-servers.ts';
import { BUILT_IN_TEMPLATES_DIR, loadTemplates } from '../../cli/templates.ts';
import { dynamoStores, type Stores } from '../../shared/adapters/build-adapters.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { sesClient, sesEmailSender } from '../../shared/adapters/ses/ses-email-sender.ts';
import { runConcurrently } from '../../shared/concurrency.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import type { EmailFeedback } from '../../shared/domain/email-feedback.ts';
import { SendingPolicySchema } from '../../shared/domain/sending-policy.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import type { LedgerEntry } from '../../shared/domain/winback.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { type WinbackSummary, winbackEmail } from '../../shared/jobs/winback-email.ts';
import { AS_OF_DATE, type BenchContext, CURRENCY, INDEX_SHARDS, ITEM_SIZE_SAMPLE, WINBACK } from '../context.ts';
import { type CommandCounts, type DynamoCounter, sumCounts } from '../counting.ts';
import { int, log, pick, sampleItems, timed } from '../measure.ts';
import { dormantCustomers } from '../seed.ts';

/**
 * The SES event types whose handling differs (the others take the same path as one of these; see FEEDBACK_PATH in
 * cost-bill.ts): send resolves the claim; delivery also records on the ledger and reads the customer (written only
 * when it had soft bounces); open records on the ledger; a transient bounce reads and writes the customer.
 */
export const MEASURED_FEEDBACK = ['send', 'delivery', 'open', 'bounce'] as const;
export type MeasuredFeedback = (typeof MEASURED_FEEDBACK)[number];

export interface FeedbackCost {
  events: number;
  requests: number;
  /** failed conditional writes (a `send` event finds its claim resolved already): billed, not reported locally */
  failedWrites: number;
  readUnits: number;
  writeUnits: number;
  requestsByCommand: Record<string, CommandCounts>;
}

export interface SendsResult {
  emailsDue: number;
  maxSendRate: number;
  sendConcurrency: number;
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
  /** ses-feedback (applySesFeedback, one event per Lambda invocation in AWS) per event type, on the emails sent */
  feedback?: Partial<Record<MeasuredFeedback, FeedbackCost>>;
}

/** What aws-ses-v2-local's /store answers (the part read here). */
const SesStoreSchema = z.object({
  emails: z.array(z.object({ destination: z.object({ to: z.array(z.string()) }) })),
});

const stepTotal = (
  summary: WinbackSummary,
  key: 'due' | 'sent' | 'deferred' | 'failed' | 'unknownOutcome' | 'throttled',
) => Object.values(summary.steps).reduce((n, s) => n + s[key], 0);

/** Applies one SES event of `type` per sent email, the way the ses-feedback Lambda does (one event an invocation). */
async function measureFeedback(
  stores: Stores,
  counter: DynamoCounter,
  sent: LedgerEntry[],
  type: MeasuredFeedback,
): Promise<FeedbackCost> {
  const events: EmailFeedback[] = sent.map((e) => ({
    type,
    messageId: e.messageId ?? e.key,
    at: e.sentAt ?? e.claimedAt,
    customerId: e.customerId,
    campaignId: e.campaignId,
    episode: e.episode,
    stepId: e.stepId,
    ...(type === 'bounce' ? { bounceType: 'Transient' as const } : {}),
  }));
  counter.reset();
  await runConcurrently(events, 8, async (event) => {
    const summary = await applySesFeedback(
      { customers: stores.customers, ledger: stores.ledger, policy: DEFAULT_ENGINE_CONFIG.feedback },
      [event],
    );
    if (summary.rejected.length)
      throw new Error(`ses-feedback rejected a ${type} event: ${summary.rejected[0]?.error}`);
  });
  const counts = counter.snapshot();
  const total = sumCounts(counts);
  return {
    events: events.length,
    requests: total.requests,
    failedWrites: pick(counts, 'errors', 'UpdateItem', 'PutItem'),
    readUnits: total.readUnitsBilled,
    writeUnits: total.writeUnits,
    requestsByCommand: counts,
  };
}

/**
 * Sending through winbackEmail (planner + sender in-process) against aws-ses-v2-local: --emails customers who
 * became dormant the day before D (default EMAILS_SHARE of --customers), all due for the first step; achieved rate,
 * throttles, duplicates, a rerun (sends nothing); then the SES events of those emails (send, delivery, open) through
 * applySesFeedback, counted per event type for the cost model.
 */
export async function sendsScenario(ctx: BenchContext): Promise<SendsResult> {
  const { client } = await ctx.dynamo();
  const ses = await ctx.ses();
  const { counter, options } = ctx;
  const sesApi = sesClient({ endpoint: ses.endpoint, requestTimeoutMs: 10_000 });
  ctx.onClose(() => sesApi.destroy());
  const email = sesEmailSender(sesApi);
  const asOf = endOfDay(AS_OF_DATE);
  const tables = tableNames('bench-send');
  await ensureTables(client, tables);
  const stores = dynamoStores(client, tables, { indexShards: INDEX_SHARDS });
  await stores.customers.seedMany(dormantCustomers(options.emails, asOf, CURRENCY));
  const sendInput = {
    asOf,
    now: asOf,
    config: WINBACK,
    sending: SendingPolicySchema.parse({ holdoutPercent: 0, quietHours: null, frequencyCapDays: 0 }),
    from: 'bench@example.com',
    templates: await loadTemplates(BUILT_IN_TEMPLATES_DIR),
    maxSendRate: options.sendRate,
    // One SQS batch's worth in flight, as one sender instance processes a batch of 10 side by side; the pacer
    // alone decides the rate. (The CLI default, 4, is latency-bound at 50/s against local servers.)
    sendConcurrency: options.sendConcurrency,
    unsubscribe: { baseUrl: 'https://unsubscribe.example.com/', secret: 'bench-unsubscribe-secret-0123456789' },
  };
  const deps = { customers: stores.customers, ledger: stores.ledger, email };
  counter.reset();
  const send = await timed(() => winbackEmail(deps, { ...sendInput, runId: 'bench-send' }));
  const sendCounts = counter.snapshot();
  const rerun = await winbackEmail(deps, { ...sendInput, runId: 'bench-send-rerun' });
  const sent = stepTotal(send.value, 'sent');
  const store = SesStoreSchema.parse(await (await fetch(`${ses.endpoint}/store`)).json());
  const perRecipient = new Map<string, number>();
  for (const e of store.emails) {
    for (const to of e.destination.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  }
  const duplicates = [...perRecipient.values()].reduce((n, k) => n + Math.max(0, k - 1), 0);
  const ledgerSizes = await sampleItems(client, tables.ledger, ITEM_SIZE_SAMPLE);
  log(`sending: ${sent} sent in ${send.seconds.toFixed(1)} s, ${duplicates} duplicates`);

  const sentEntries: LedgerEntry[] = [];
  for await (const page of stores.ledger.scanAll()) {
    sentEntries.push(...page.items.filter((e) => e.status === 'sent' && e.messageId));
  }
  const feedback: Partial<Record<MeasuredFeedback, FeedbackCost>> = {};
  for (const type of MEASURED_FEEDBACK) {
    const f = await measureFeedback(stores, counter, sentEntries, type);
    feedback[type] = f;
    log(
      `ses-feedback ${type}: ${int(f.events)} events, ${(f.requests / Math.max(1, f.events)).toFixed(2)} requests, ` +
        `${(f.readUnits / Math.max(1, f.events)).toFixed(2)} RRU + ${(f.writeUnits / Math.max(1, f.events)).toFixed(2)} ` +
        `WRU per event (+${(f.failedWrites / Math.max(1, f.events)).toFixed(2)} failed conditional writes)`,
    );
  }
  return {
    emailsDue: stepTotal(send.value, 'due'),
    maxSendRate: options.sendRate,
    sendConcurrency: options.sendConcurrency,
    sent,
    elapsedSeconds: send.seconds,
    achievedRate: sent / send.seconds,
    throttles: stepTotal(send.value, 'throttled') + stepTotal(send.value, 'deferred'),
    failed: stepTotal(send.value, 'failed'),
    unknownOutcome: stepTotal(send.value, 'unknownOutcome'),
    storedEmails: store.emails.length,
    distinctRecipients: perRecipient.size,
    duplicates,
    rerunSent: stepTotal(rerun, 'sent'),
    rerunCandidates: rerun.candidates,
    writeRequestsPerEmail: pick(sendCounts, 'writeRequests') / Math.max(1, sent),
    writeUnitsPerEmail: pick(sendCounts, 'writeUnits') / Math.max(1, sent),
    avgLedgerItemBytes: ledgerSizes.avg,
    requests: sendCounts,
    feedback,
  };
}
