import { flagFullPass } from '../shared/jobs/flag-classifier.ts';
import { finishFlagFullPass } from '../shared/jobs/flag-dormant.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { fullPassHandler } from './full-pass-handler.ts';

const env = parseEnv(JOB_ENV['flag-full-pass']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);

/** The flag job's full pass (every customer re-classified), run by its state machine; the merge moves the watermark. */
export const handler = fullPassHandler('flag-full-pass', {
  deps: stores,
  worker: flagFullPass(
    {
      customers: stores.customers,
      ...(config.model.enabled ? { loadModel: () => stores.snapshots.loadModel() } : {}),
    },
    { policy: config.policy },
  ),
  configuredSegments: config.scanSegments,
  segmentBudgetSeconds: env.SEGMENT_TIME_BUDGET_SECONDS,
  async finish(merged) {
    const { summary, watermarkMoved } = await finishFlagFullPass(stores.snapshots, merged, config.policy);
    const { invalid, failed, ...counts } = summary;
    return {
      result: {
        job: merged.run.job,
        runId: merged.run.runId,
        scanned: summary.scanned,
        changed: summary.changed,
        watermarkMoved,
      },
      message: 'flag-dormant full pass finished',
      log: {
        runId: merged.run.runId,
        ...counts,
        invalid: invalid.length,
        failed: failed.length,
        failedIds: failed.slice(0, 50),
        watermarkMoved,
      },
      metrics: {
        CustomersScanned: summary.scanned,
        CustomersFlagged: summary.changed,
        FullPasses: 1,
        InvalidItems: invalid.length + (summary.omitted ?? 0),
      },
      failure: failed.length > 0 ? `${failed.length} customers could not be written` : undefined,
    };
  },
});
