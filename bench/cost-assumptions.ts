import { KEYS_ONLY_ENTRY_BYTES, type MeasuredRuns } from './cost.ts';
import {
  EVENT_INVOCATION_SECONDS,
  LOG_BYTES,
  platformLinesLogged,
  SES_EVENTS_PER_EMAIL,
  UNSUBSCRIBES_PER_EMAIL,
} from './cost-bill.ts';
import { int } from './measure.ts';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES, WEEKS_PER_MONTH } from './prices.ts';
import { type BenchResults, sectionRun } from './results.ts';

const pct = (n: number, digits = 0) => `${(n * 100).toFixed(digits)}%`;

/** Every input of the model: what was measured (and where), and what is assumed. */
export function costAssumptions(m: MeasuredRuns, r: BenchResults): string[] {
  const w = m.winback;
  const inv = m.inventory;
  const run = (key: keyof BenchResults) => {
    const info = r.runs.find((x) => x.generatedAt === sectionRun(r, key));
    return info ? `${int(info.params.customers)} customers on ${info.params.target}` : 'an earlier run';
  };
  const events = Object.entries(SES_EVENTS_PER_EMAIL)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const traced = inv.functions.filter((f) => f.tracingActive).length;
  return [
    `MEASURED (flag, cohorts: ${run('flag')}; win-back: ${run('winback')}; sends and SES feedback: ${run('sends')}; ` +
      'capacity units as the local server reports them with ReturnConsumedCapacity INDEXES: item sizes rounded as ' +
      'DynamoDB bills, every GSI copy written counted on DynamoDB Local, a key change in an index counted twice): read ' +
      'and write units per changed customer of the incremental flag; read units per item of the cohort scan and its ' +
      'checkpoint writes; planner read/write units per win-back step and per run with nothing due; sender read/write ' +
      'units per email; ses-feedback units per SES event (send, delivery, open, transient bounce); item sizes and ' +
      'the share of customers in each GSI; local durations. Customer indexes: ' +
      `${m.projection.template} in the template, measured with ${m.projection.measured}` +
      (m.projection.estimate ? ` (ESTIMATE: ${m.projection.estimate}).` : '.'),
    `MEASURED (import-cdnow): record-activity per order.placed event, ${m.recordActivity.requestsPerEvent.toFixed(1)} ` +
      `requests, ${m.recordActivity.readUnitsPerEvent.toFixed(2)} RRU + ${m.recordActivity.writeUnitsPerEvent.toFixed(2)} ` +
      `WRU on ${m.recordActivity.measuredOn} (CDNOW customers as of 1998-06-30, most of them lapsed: a purchase moves ` +
      `them between indexes); order items of ${int(m.orders.avgItemBytes)} B. CDNOW customers carry no address or ` +
      "name (items under 1 KB) and the sends scenario's customers are small too, while the modelled base's items " +
      `are ~${int(m.avgCustomerItemBytes)} B: a customer write there can cost 2 WRU per copy where these cost 1, so ` +
      'the record-activity and ses-feedback write units may be up to twice too low.',
    `MODELLED: volumes at each size are the measured ones × N / ${int(m.customers)} — flag changes per day = ` +
      `measured changes / ${m.flag.deltaDays} (the as-of step); customers entering dormancy per day = measured ` +
      `at_risk>dormant / ${m.flag.deltaDays}; win-back steps per day = entries × ${pct(w.consentShare, 1)} ` +
      `with consent and address × ${w.steps} steps; emails = steps × (1 − ${pct(w.holdoutShare)} hold-out). The ` +
      'per-step planner work was measured on first steps (ineligible customers are read once per episode but are ' +
      'charged here per step: an overestimate).',
    `Order events: ${m.orders.perCustomerPerMonth.toFixed(3)} order.placed per customer and month and ` +
      `${m.orders.perCustomer.toFixed(2)} stored orders per customer (the synthetic base the bench seeds: its last ` +
      '30 days and its whole history); each event is one PutEvents to the custom bus and one record-activity ' +
      'invocation. Sign-up and consent events are not modelled (same price per event, far fewer). No redeliveries.',
    `SES events per email (assumption, ${Object.values(SES_EVENTS_PER_EMAIL)
      .reduce((a, b) => a + b, 0)
      .toFixed(2)} in all): ${events}; counted for the types the configuration set publishes ` +
      `(${inv.sesEventTypes.join(', ')}); each one ses-feedback invocation (SES publishes to the default bus: no ` +
      'PutEvents charge), priced by the measured path it takes (bounce and complaint read and write the customer; ' +
      'delivery reads it and records on the ledger, writing the customer only after soft bounces (not modelled: ' +
      'rare); open, click, reject record on the ledger; send and delay resolve the claim). ' +
      (r.sends?.feedback?.bounce
        ? 'Each path measured on its own (a transient bounce for the bounce path). '
        : 'Sends measured before the delivery change: the delivery path is that measurement without its customer ' +
          'PutItem, the bounce path the measurement itself. ') +
      `Unsubscribes: ${pct(UNSUBSCRIBES_PER_EMAIL, 1)} of emails, each a GET and a POST.`,
    `Event-driven invocations (record-activity, ses-feedback, unsubscribe) are billed ${EVENT_INVOCATION_SECONDS * 1000} ms ` +
      `each (assumption; measured locally ${(m.recordActivity.localSecondsPerEvent * 1000).toFixed(1)} ms per order event ` +
      `against a local server), at the memory of the synthesized function (${[
        'record-activity',
        'ses-feedback',
        'unsubscribe',
      ]
        .map((job) => `${job} ${inv.functions.find((f) => f.job === job)?.memoryMb ?? '?'} MB`)
        .join(', ')}); cold starts not counted.`,
    `Schedules (infra defaults): flag daily (${DAYS_PER_MONTH} incremental runs/month), cohorts weekly ` +
      `(${WEEKS_PER_MONTH.toFixed(2)} full passes/month through the state machine, ${m.cohorts.segments} segments = ` +
      `engine scanSegments), win-back planner hourly (${w.runsPerDay * DAYS_PER_MONTH} runs/month).`,
    `Query/Scan requests are charged at least 1 RCU each (local servers report 0 for an empty query; a run with ` +
      `nothing due makes ~${Math.round(w.emptyRunReadUnits)} such queries: the due index's shards and the pending-claims ` +
      'shards). Failed conditional writes are billed as writes (1 WRU per KB); the bench adds them.',
    'Lambda GB-seconds of the scheduled jobs = memory (from the synthesized template: ' +
      `flag ${m.flag.memoryMb} MB, churn-cohorts ${m.cohorts.memoryMb} MB, flag-full-pass ${m.fullPass.memoryMb} MB ` +
      `(one-time), planner ${w.plannerMemoryMb} MB, sender ` +
      `${w.senderMemoryMb} MB) × measured local duration. Full-pass segments: local wall time × N / bench size (an ` +
      'upper bound; the client-CPU lower bound is listed under limits), one invocation per 600 s of segment time. ' +
      `Sender: a batch of 10 takes at least 10 / (${w.maxSendRate}/s ÷ ${w.senderConcurrency} instances) = ` +
      `${(10 / (w.maxSendRate / w.senderConcurrency)).toFixed(2)} s (paced at the infra default maxSendRate).`,
    `Step Functions (Standard, Distributed Map children STANDARD; ${inv.stateMachines.length} state machines: ` +
      `${inv.stateMachines.map((sm) => sm.job).join(', ')}): transitions per full pass = 4 (plan, map start/end, ` +
      'merge) + 2 per child execution + 3 per segment invocation loop; the cohorts one runs weekly, a full flag ' +
      'pass only after an import or a policy change (one-time, below).',
    'SQS: 0.3 requests per email (0.1 SendMessageBatch of 10 by the planner, 0.1 ReceiveMessage and 0.1 ' +
      'DeleteMessageBatch by the Lambda event source for batches of 10) + idle long polling of the event source, ' +
      'assumed 5 pollers × one 20 s ReceiveMessage = 648,000 requests/month whatever the base (counted as fixed).',
    'Storage: customers × (item + 100 B) + customers × (share in next-check + share in winback-by-dormant-since + ' +
      `share in winback-due) × ${int(m.gsiEntryBytes)} B per index entry (the template's ${m.projection.template}: ` +
      `${m.projection.template === 'ALL' ? 'the item + 100 B' : `~${KEYS_ONLY_ENTRY_BYTES} B of keys + 100 B`}) + ` +
      '12 months of ledger entries (ledger items carry no expiresAt today) + ' +
      'stored orders × (order item + 100 B); snapshots and checkpoints excluded. Point-in-time recovery (on for ' +
      `${inv.tables.filter((t) => t.pitr).length} of ${inv.tables.length} tables in the template) at ` +
      `$${PRICES.dynamodbPitrUsdPerGbMonth}/GB-month of the base tables (customers, ledger, orders; not the indexes).`,
    `FIXED, from the synthesized template (${inv.configFile}): ${inv.alarms.length} alarms × ` +
      `$${PRICES.cloudwatchAlarmUsdPerMonth}, ${inv.dashboards} dashboard × $${PRICES.cloudwatchDashboardUsdPerMonth}, ` +
      `${inv.kmsKeys} KMS key × $${PRICES.kmsUsdPerKeyMonth}, ${inv.secrets} secret × ` +
      `$${PRICES.secretsManagerUsdPerSecretMonth}; their API calls (cached secret reads` +
      `${inv.kmsKeys ? ', key use by the alarm topic' : ''}) are cents and not counted. Log groups, the custom ` +
      'event bus, queues, the state machines and the schedules cost nothing while unused.',
    `Custom metrics: ${inv.customMetrics.length} (${inv.customMetrics.map((c) => `${c.name} of ${c.job}`).join(', ') || 'none'}: ` +
      "each function's JOB_METRICS (functions/metrics.ts) filtered by the PUBLISHED_METRICS the template gives it, " +
      '× the Powertools `service` dimension, the only one functions/job-handler.ts sets), $' +
      `${PRICES.cloudwatchCustomMetricUsdPerMonth}/metric-month prorated by the hour: a metric with n datapoints a ` +
      `month is charged for ${HOURS_PER_MONTH} × (1 − e^(−n/${HOURS_PER_MONTH})) hours (datapoints spread evenly: an ` +
      'upper bound). One datapoint per invocation of its function (a count of 0 is published too), except ' +
      'FullPassesStarted (0: after an import only), Email_<type> (SES events of that type), CustomersSuppressed ' +
      '(bounces and complaints) and Unsubscribed (POSTs).',
    `CloudWatch Logs: per invocation ${LOG_BYTES.systemPerInvocation} B of platform lines (only where the system ` +
      `log level is INFO or DEBUG; ${inv.functions.filter((f) => !platformLinesLogged(f.systemLogLevel)).length} of ` +
      `${inv.functions.length} functions log WARN and above) + one ` +
      `${LOG_BYTES.summaryLine} B summary line (application log level INFO) + ${LOG_BYTES.emfLine} B of EMF where ` +
      `the handler publishes metrics (${inv.functions
        .filter((f) => f.emfLinesPerInvocation > 0)
        .map((f) => f.job)
        .join(', ')}); ` +
      `${LOG_BYTES.stateMachineEvent} B per state transition (logging level ALL); $${PRICES.cloudwatchLogsIngestUsdPerGb}/GB ` +
      `ingested and $${PRICES.cloudwatchLogsStorageUsdPerGbMonth}/GB-month stored for the ` +
      `${Math.max(...inv.logRetentionDays)}-day retention (uncompressed: an upper bound).`,
    traced || inv.stateMachines.some((sm) => sm.tracing)
      ? `X-Ray: tracing is Active on ${traced} of ${inv.functions.length} functions and ` +
        `${inv.stateMachines.filter((sm) => sm.tracing).length} of ${inv.stateMachines.length} state machines; ` +
        'Lambda records the first request each second and 5% of the rest, per function (modelled with the ' +
        'invocations spread evenly, Poisson arrivals: an upper bound), at ' +
        `$${PRICES.xrayUsdPerMillionTracesRecorded} per million traces recorded.`
      : `X-Ray: tracing off on all ${inv.functions.length} functions and ${inv.stateMachines.length} state machines ` +
        '(the default `tracing: false`): no traces recorded.',
    'Not modelled: the S3 report files, data transfer, SES dedicated IPs or Virtual Deliverability Manager, CloudTrail.',
    'One-time (not in the monthly total): the first full flag pass (everyone read and written, through the state ' +
      'machine) and the win-back catch-up day after install (every customer in a dormancy episode read once; ' +
      'first steps of recent episodes sent).',
  ];
}
