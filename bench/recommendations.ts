import type { MeasuredRuns, ScaledCost } from './cost.ts';
import { EVENT_INVOCATION_SECONDS, LOG_BYTES, SES_EVENTS_PER_EMAIL } from './cost-bill.ts';
import { PRICES, usdGbs, usdWrite } from './prices.ts';
import type { StackInventory } from './template.ts';

/** A change to infra/ (not made by the bench: others own it) and what it would save a month at each modelled size. */
export interface Recommendation {
  id: string;
  change: string;
  why: string;
  /** per modelled size, in the order of the scaled costs */
  savingUsd: number[];
  /** a rough estimate rather than a line item that disappears */
  estimate: boolean;
}

/** An Errors alarm of an asynchronously invoked function whose dead-letter queue is alarmed too. */
function duplicatedErrorAlarms(inv: StackInventory): string[] {
  const names = new Set(inv.alarms.map((a) => a.name));
  return inv.alarms
    .filter((a) => a.name.endsWith('-errors') && names.has(a.name.replace(/-errors$/, '-dead-letters')))
    .map((a) => a.name);
}

/** Items that cost money and buy little, from the synthesized stack and the modelled bill. */
export function recommendations(m: MeasuredRuns, scaled: ScaledCost[]): Recommendation[] {
  const inv = m.inventory;
  // A delivery event writes the customer (and every GSI copy) only to set softBounces to 0 and remember its id.
  const deliveryCustomerWriteUnits = Math.max(0, m.sesFeedback.delivery.writeUnits - m.sesFeedback.open.writeUnits);
  const deliveryWriteUsd = (x: ScaledCost) =>
    usdWrite(x.ses.emailsPerMonth * SES_EVENTS_PER_EMAIL.delivery * deliveryCustomerWriteUnits);
  const traced = inv.functions.filter((f) => f.tracingActive).length;
  const duplicated = duplicatedErrorAlarms(inv);
  const each = (pick: (x: ScaledCost) => number) => scaled.map(pick);
  const out: Recommendation[] = [
    {
      id: 'xray',
      change:
        traced === 0
          ? 'X-Ray tracing off by default (done: `tracing` in the deployment config turns it on while debugging)'
          : `X-Ray tracing off by default (Tracing.ACTIVE on ${traced} functions; the state machine traces too): ` +
            'a config switch to turn it on while debugging',
      why:
        `$${PRICES.xrayUsdPerMillionTracesRecorded} per million traces; Lambda records the first invocation each ` +
        'second and 5% of the rest, so at these rates nearly every event-driven invocation is a trace',
      savingUsd: each((x) => x.bill.xray.usd),
      estimate: false,
    },
    {
      id: 'metrics',
      change:
        `publish only the ${inv.usedCustomMetrics.length} custom metrics the alarms and dashboard use ` +
        `(${inv.usedCustomMetrics.join(', ')}) and keep the other ${inv.customMetrics.length - inv.usedCustomMetrics.length} ` +
        'as fields of the summary log line (Logs Insights can chart them)',
      why:
        `${inv.customMetrics.length} metrics (names × the per-function service dimension, ses-feedback alone ` +
        `${inv.customMetrics.filter((m) => m.job === 'ses-feedback').length}) at $${PRICES.cloudwatchCustomMetricUsdPerMonth} each per month with data every hour`,
      savingUsd: each((x) => x.bill.metrics.usd - x.bill.metrics.usedUsd),
      estimate: false,
    },
    {
      id: 'dashboard',
      change: 'the dashboard opt-in (config), or counted against the 3 free dashboards of the account',
      why: `$${PRICES.cloudwatchDashboardUsdPerMonth} per dashboard-month whatever the base size`,
      savingUsd: each((x) => x.bill.fixed.dashboardsUsd),
      estimate: false,
    },
    {
      id: 'kms',
      change:
        'no customer-managed key for the alarm topic: alarm notifications carry alarm names only, no personal data; ' +
        'acknowledge cdk-nag SNS2 with that reason',
      why: `$${PRICES.kmsUsdPerKeyMonth} per key-month, needed only because CloudWatch cannot publish to a topic under the AWS-managed SNS key`,
      savingUsd: each((x) => x.bill.fixed.kmsUsd),
      estimate: false,
    },
    {
      id: 'alarms',
      change: `drop the ${duplicated.length} Errors alarms of functions whose dead-letter queue is alarmed (${duplicated.join(', ')})`,
      why:
        'an asynchronous invocation that fails is retried; the dead-letter alarm fires when an event is really lost, ' +
        'the Errors alarm also on every retried transient failure',
      savingUsd: each(() => duplicated.length * PRICES.cloudwatchAlarmUsdPerMonth),
      estimate: false,
    },
    {
      id: 'secret',
      change: 'the unsubscribe HMAC key as an SSM SecureString standard parameter (Powertools parameters reads it)',
      why: `$${PRICES.secretsManagerUsdPerSecretMonth} per secret-month; it is rotated by hand anyway (docs/deploy.md)`,
      savingUsd: each((x) => x.bill.fixed.secretsUsd),
      estimate: false,
    },
    {
      id: 'system-logs',
      change: 'Lambda system log level WARN (LoggingConfig.SystemLogLevel): no platform.start/report lines',
      why:
        `~${LOG_BYTES.systemPerInvocation} B of the log bytes of every invocation; duration and memory stay in the ` +
        'AWS/Lambda metrics',
      savingUsd: each((x) => x.bill.logs.usd * x.bill.logs.systemShare),
      estimate: false,
    },
    {
      id: 'event-memory',
      change: '256 MB instead of 512 MB for record-activity, ses-feedback and unsubscribe',
      why:
        'each event is three DynamoDB calls and a little parsing: I/O-bound work billed per GB-second (the ' +
        `duration assumed here, ${EVENT_INVOCATION_SECONDS * 1000} ms, would have to hold at half the CPU)`,
      savingUsd: each((x) =>
        usdGbs(0.5 * (x.bill.recordActivity.gbSeconds + x.bill.sesFeedback.gbSeconds + x.bill.unsubscribe.gbSeconds)),
      ),
      estimate: true,
    },
    {
      id: 'delivery-write',
      change:
        'ses-feedback (shared/jobs/ses-feedback.ts): on a Delivery, write the customer only when softBounces is not ' +
        '0 already (the ledger still records the delivery)',
      why:
        `nearly every email gets a Delivery event, and its customer write (${deliveryCustomerWriteUnits.toFixed(1)} WRU ` +
        'measured, GSI copies included) changes nothing but the ring of recent event ids; applying it twice is harmless',
      savingUsd: each(deliveryWriteUsd),
      estimate: false,
    },
    {
      id: 'gsi-projection',
      change:
        'project keys only (or the few attributes the queries need) on the customer GSIs and read the items after the ' +
        'index query (BatchGetItem), as docs/scaling.md proposes',
      why:
        'every GSI projects ALL: a customer write rewrites the ~1 KB item (2 WRU) in each index it is in; a keys-only ' +
        'copy is 1 WRU and ~100 B stored (about half the index write units and most of the index storage)',
      // Without the Delivery customer writes the recommendation above removes already.
      savingUsd: each(
        (x) =>
          0.5 * (x.bill.indexedWriteUsd - m.winback.indexWriteShare * deliveryWriteUsd(x)) + 0.8 * x.bill.gsiStorageUsd,
      ),
      estimate: true,
    },
  ];
  if (inv.unpublishedDashboardMetrics.length) {
    out.push({
      id: 'dashboard-metric',
      change: `graph a published metric instead of ${inv.unpublishedDashboardMetrics.join(', ')} (no handler publishes it)`,
      why: 'the dashboard widget stays empty; free to fix',
      savingUsd: each(() => 0),
      estimate: false,
    });
  }
  return out;
}
