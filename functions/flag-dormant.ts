import { SFNClient } from '@aws-sdk/client-sfn';
import { sfnFullPassLauncher } from '../shared/adapters/sfn/full-pass-launcher.ts';
import { flagDormant } from '../shared/jobs/flag-dormant.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { asOfFromEvent } from './events.ts';
import { jobHandler } from './job-handler.ts';

const env = parseEnv(JOB_ENV['flag-dormant']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);
const launcher = sfnFullPassLauncher(new SFNClient({}), env.FULL_PASS_STATE_MACHINE_ARN);

/**
 * The daily flag run: incremental (only customers with a stage check due). When a full pass is needed (first run,
 * after an import or a policy change) it starts the flag job's full-pass state machine instead.
 */
export const handler = jobHandler('flag-dormant', async (event: unknown) => {
  const { asOf, dryRun, full } = asOfFromEvent(event, new Date());
  const summary = await flagDormant(
    {
      customers: stores.customers,
      watermarks: stores.snapshots,
      launcher,
      ...(config.model.enabled ? { loadModel: () => stores.snapshots.loadModel() } : {}),
    },
    { asOf, policy: config.policy, segments: config.scanSegments, dryRun, forceFull: full },
  );
  const { invalid, failed, ...counts } = summary;
  return {
    result: counts,
    log: { ...counts, invalid: invalid.length, failed: failed.length, failedIds: failed.slice(0, 50) },
    metrics: {
      CustomersScanned: summary.scanned,
      CustomersFlagged: summary.changed,
      ...(summary.delegated ? { FullPassesStarted: 1 } : { IncrementalPasses: summary.mode === 'incremental' ? 1 : 0 }),
      InvalidItems: invalid.length,
    },
    failure: failed.length > 0 ? `${failed.length} customers could not be written` : undefined,
  };
});
