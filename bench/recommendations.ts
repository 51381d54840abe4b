import type { MeasuredRuns, ScaledCost } from './cost.ts';
import { EVENT_INVOCATION_SECONDS, LOG_BYTES, platformLinesLogged, SES_EVENTS_PER_EMAIL } from './cost-bill.ts';
import { PRICES, usdGbs, usdLambdaRequests, usdRead, usdWrite } from './prices.ts';
import type { StackInventory } from './template.ts';

/** A change to infra/, functions/ or shared/ and what it would save a month at each modelled size. */
export interface Recommendation {
  id: string;
  change: string;
  why: string;
  /** per modelled size, in the order of the scaled costs */
  savingUsd: number[];
  /** a rough estimate rather than a line item that disappears */
  estimate: boolean;
}

/** The event handlers: one event or request an invocation, a few DynamoDB calls. */
const EVENT_HANDLERS = ['record-activity', 'ses-feedback', 'unsubscribe'];
const EVENT_HANDLER_MB = 256;

/** An Errors alarm of a function whose dead-letter queue is alarmed too (same name with -dead-letters). */
function duplicatedErrorAlarms(inv: StackInventory): string[] {
  const names = new Set(inv.alarms.map((a) => a.name));
  return inv.alarms
    .filter((a) => a.name.endsWith('-errors') && names.has(a.name.replace(/-errors$/, '-dead-letters')))
    .map((a) => a.name);
}

/**
 * Items that cost money and buy little, from the synthesized stack and the modelled bill. Each appears only while
 * the template still has what it would remove, so a change once made drops out of the list (its effect is in the
 * before/after table).
 */
export function recommendations(m: MeasuredRuns, scaled: ScaledCost[]): Recommendation[] {
  const inv = m.inventory;
  const each = (pick: (x: ScaledCost) => number) => scaled.map(pick);
  const out: Recommendation[] = [];
  const traced = inv.functions.filter((f) => f.tracingActive).length;
  if (traced || inv.stateMachines.some((s) => s.tracing)) {
    out.push({
      id: 'xray',
      change: `X-Ray tracing off (\`tracing: false\`; Tracing.ACTIVE on ${traced} functions)`,
      why: `$${PRICES.xrayUsdPerMillionTracesRecorded} per million traces; nearly every event-driven invocation is one`,
      savingUsd: each((x) => x.bill.xray.usd),
      estimate: false,
    });
  }
  const unalarmed = inv.customMetrics.filter((c) => !c.alarmed);
  if (unalarmed.length) {
    const alarmed = [...new Set(inv.customMetrics.filter((c) => c.alarmed).map((c) => c.name))];
    out.push({
      id: 'metrics',
      change:
        `\`metrics: "alarmed"\`: publish only the metrics the alarms and the dashboard use (${alarmed.join(', ')}); the ` +
        `other ${unalarmed.length} stay fields of the summary log line`,
      why: `${inv.customMetrics.length} metrics (names × function) at $${PRICES.cloudwatchCustomMetricUsdPerMonth} each per month with data every hour`,
      savingUsd: each((x) => x.bill.metrics.usd - x.bill.metrics.usedUsd),
      estimate: false,
    });
  }
  if (inv.dashboards) {
    out.push({
      id: 'dashboard',
      change: '`dashboard: false` (or counted against the 3 free dashboards of the account)',
      why: `$${PRICES.cloudwatchDashboardUsdPerMonth} per dashboard-month whatever the base size`,
      savingUsd: each((x) => x.bill.fixed.dashboardsUsd),
      estimate: false,
    });
  }
  if (inv.kmsKeys) {
    out.push({
      id: 'kms',
      change: 'no customer-managed key for the alarm topic (alarm notifications carry no customer data)',
      why: `$${PRICES.kmsUsdPerKeyMonth} per key-month`,
      savingUsd: each((x) => x.bill.fixed.kmsUsd),
      estimate: false,
    });
  }
  const duplicated = duplicatedErrorAlarms(inv);
  if (duplicated.length) {
    out.push({
      id: 'alarms',
      change: `drop the ${duplicated.length} Errors alarms of functions whose dead-letter queue is alarmed (${duplicated.join(', ')})`,
      why: 'the dead-letter alarm fires when an event is really lost, the Errors alarm also on every retried failure',
      savingUsd: each(() => duplicated.length * PRICES.cloudwatchAlarmUsdPerMonth),
      estimate: false,
    });
  }
  if (inv.functions.some((f) => platformLinesLogged(f.systemLogLevel))) {
    out.push({
      id: 'system-logs',
      change: 'Lambda system log level WARN (LoggingConfig.SystemLogLevel): no platform.start/report lines',
      why: `~${LOG_BYTES.systemPerInvocation} B of every invocation; duration and memory stay in the AWS/Lambda metrics`,
      savingUsd: each((x) => x.bill.logs.usd * x.bill.logs.systemShare),
      estimate: false,
    });
  }
  const bigHandlers = inv.functions.filter((f) => EVENT_HANDLERS.includes(f.job) && f.memoryMb > EVENT_HANDLER_MB);
  if (bigHandlers.length) {
    const share = (job: string) => {
      const fn = bigHandlers.find((f) => f.job === job);
      return fn ? 1 - EVENT_HANDLER_MB / fn.memoryMb : 0;
    };
    out.push({
      id: 'event-memory',
      change: `${EVENT_HANDLER_MB} MB for ${bigHandlers.map((f) => f.job).join(', ')}`,
      why: `I/O-bound work billed per GB-second (the ${EVENT_INVOCATION_SECONDS * 1000} ms assumed would have to hold at less CPU)`,
      savingUsd: each((x) =>
        usdGbs(
          share('record-activity') * x.bill.recordActivity.gbSeconds +
            share('ses-feedback') * x.bill.sesFeedback.gbSeconds +
            share('unsubscribe') * x.bill.unsubscribe.gbSeconds,
        ),
      ),
      estimate: true,
    });
  }
  // ses-feedback resolves the claim of every SES event but a reject with a conditional UpdateItem; the sender has
  // completed the claim long before, so nearly every one fails, and a failed conditional write is billed as a write.
  // An eventually consistent read (0.5 RCU) where no ledger field is recorded (send, delivery delay) would tell.
  const failing = Object.values(m.sesFeedback).some((p) => p.failedWriteUnits > 0);
  if (failing) {
    out.push({
      id: 'feedback-resolve',
      change:
        'ses-feedback: resolve a claim only when the ledger entry is still `claimed`, seen in the entry the ' +
        'ledger update returns (ReturnValues ALL_NEW) or, for Send and DeliveryDelay events, in an eventually ' +
        'consistent GetItem, instead of a conditional UpdateItem per event (shared/jobs/ses-feedback.ts, the ledger adapter)',
      why:
        'the sender completes the claim before SES answers, so the conditional write fails on nearly every SES ' +
        'event (measured: 1 failed write per event on every path), and DynamoDB bills a failed conditional write ' +
        'as a write',
      savingUsd: each(
        (x) => usdWrite(x.bill.sesFeedback.failedWriteUnits) - usdRead(0.5 * x.bill.sesFeedback.eventsByPath.send),
      ),
      estimate: true,
    });
  }
  if (inv.sesEventTypes.includes('send')) {
    const fb = inv.functions.find((f) => f.job === 'ses-feedback');
    const perEvent =
      usdGbs(EVENT_INVOCATION_SECONDS * ((fb?.memoryMb ?? 0) / 1024)) + usdLambdaRequests(1) + usdRead(0.5);
    out.push({
      id: 'send-events',
      change:
        'publish no SEND events from the configuration set (infra/: MatchingEventTypes); a later delivery, ' +
        'bounce, complaint, open or delay still proves acceptance (after the change above)',
      why:
        'a Send event only resolves a claim the sender has completed: one ses-feedback invocation and its log ' +
        'line per email',
      savingUsd: each((x) => {
        const sends = x.ses.emailsPerMonth * SES_EVENTS_PER_EMAIL.send;
        const logGb = (sends * x.bill.sesFeedback.logBytesPerEvent) / 2 ** 30;
        return sends * perEvent + logGb * PRICES.cloudwatchLogsIngestUsdPerGb;
      }),
      estimate: true,
    });
  }
  if (inv.secrets) {
    out.push({
      id: 'secret',
      change: 'the unsubscribe HMAC key as an SSM SecureString standard parameter (Powertools parameters reads it)',
      why: `$${PRICES.secretsManagerUsdPerSecretMonth} per secret-month; it is rotated by hand anyway (docs/deploy.md)`,
      savingUsd: each((x) => x.bill.fixed.secretsUsd),
      estimate: false,
    });
  }
  if (m.projection.template === 'ALL') {
    out.push({
      id: 'gsi-projection',
      change: 'project keys only on the customer GSIs and read the items after the index query',
      why:
        'with ALL a customer write rewrites the ~1 KB item (2 WRU) in each index it is in; a keys-only entry is ' +
        'written only when its keys change, 1 WRU and ~170 B stored',
      savingUsd: each((x) => 0.5 * x.bill.indexedWriteUsd + 0.8 * x.bill.gsiStorageUsd),
      estimate: true,
    });
  }
  if (inv.unpublishedDashboardMetrics.length) {
    out.push({
      id: 'dashboard-metric',
      change: `graph a published metric instead of ${inv.unpublishedDashboardMetrics.join(', ')} (no function publishes it)`,
      why: 'the dashboard widget stays empty; free to fix',
      savingUsd: each(() => 0),
      estimate: false,
    });
  }
  return out;
}
