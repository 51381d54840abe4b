import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { flagDormantIncremental } from '../shared/jobs/flag-dormant.ts';
import { storesFromEnv } from './adapters.ts';
import { asOfFromEvent } from './as-of.ts';
import { EngineConfigEnv, parseEnv } from './env.ts';
import { logger, metrics } from './powertools.ts';

const { ENGINE_CONFIG: config } = parseEnv(EngineConfigEnv);
const { FULL_PASS_STATE_MACHINE_ARN } = parseEnv(z.object({ FULL_PASS_STATE_MACHINE_ARN: z.string().min(1) }));
const stores = storesFromEnv(config.indexShards);
const sfn = new SFNClient({});

/**
 * The daily flag run: incremental (only customers with a stage check due). When a full pass is needed (first run,
 * after an import or a policy change) it starts the full-pass state machine instead, which fans the scan out over
 * segments and moves the watermark when every segment is merged.
 */
export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const { asOf, dryRun, full } = asOfFromEvent(event, new Date());
  const summary = await flagDormantIncremental(
    { customers: stores.customers, watermarks: stores.snapshots },
    {
      asOf,
      policy: config.policy,
      segments: config.scanSegments,
      dryRun,
      forceFull: full,
      delegateFullPass: async (reason) => {
        if (dryRun) return;
        // One execution per day and reason: a retried invocation finds it already started.
        const name = `flag-${asOf.slice(0, 10)}-${reason.replace(/[^a-z]+/g, '-')}`.slice(0, 80);
        try {
          await sfn.send(
            new StartExecutionCommand({
              stateMachineArn: FULL_PASS_STATE_MACHINE_ARN,
              name,
              input: JSON.stringify({ action: 'plan', job: 'flag', asOf, runId: name }),
            }),
          );
          logger.info('full pass started', { reason, execution: name });
        } catch (error) {
          if (!(error instanceof ExecutionAlreadyExists)) throw error;
          logger.info('full pass already started', { reason, execution: name });
        }
      },
    },
  );
  metrics.addMetric('CustomersScanned', MetricUnit.Count, summary.scanned);
  metrics.addMetric('CustomersFlagged', MetricUnit.Count, summary.changed);
  metrics.addMetric(summary.mode === 'full' ? 'FullPasses' : 'IncrementalPasses', MetricUnit.Count, 1);
  metrics.addMetric('InvalidItems', MetricUnit.Count, summary.invalid.length);
  metrics.publishStoredMetrics();
  const { invalid, failed, ...counts } = summary;
  logger.info('flag-dormant finished', {
    ...counts,
    invalid: invalid.length,
    failed: failed.length,
    failedIds: failed.slice(0, 50),
  });
  if (failed.length > 0) throw new Error(`${failed.length} customers could not be written`);
  return counts;
};
