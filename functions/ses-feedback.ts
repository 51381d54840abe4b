import * as z from 'zod';
import { feedbackFromSesEvent } from '../shared/adapters/ses/ses-event.ts';
import { applySesFeedback } from '../shared/jobs/ses-feedback.ts';
import { storesFromEnv } from './adapters.ts';
import { JOB_ENV, parseEnv } from './env.ts';
import { type JobOutcome, jobHandler } from './job-handler.ts';

const env = parseEnv(JOB_ENV['ses-feedback']);
const { ENGINE_CONFIG: config } = env;
const stores = storesFromEnv(env, config.indexShards);

const EventBridgeEnvelope = z.object({ 'detail-type': z.string(), detail: z.unknown() });

/** EventBridge rule target for SES configuration-set events (bounces, complaints, deliveries, opens, clicks). */
export const handler = jobHandler(
  'ses-feedback',
  async (event: unknown): Promise<JobOutcome<'ses-feedback', unknown>> => {
    const envelope = EventBridgeEnvelope.safeParse(event);
    const mapped = feedbackFromSesEvent(envelope.success ? envelope.data.detail : event);
    if ('ignored' in mapped) {
      return { result: { ignored: mapped.ignored }, message: 'ses event ignored', log: { reason: mapped.ignored } };
    }
    const { feedback } = mapped;
    const summary = await applySesFeedback({ ...stores, policy: config.feedback }, [feedback]);
    return {
      result: summary,
      message: 'ses feedback applied',
      log: { type: feedback.type, customerId: feedback.customerId, ...summary },
      metrics: { [`Email_${feedback.type}` as const]: 1, CustomersSuppressed: summary.suppressed },
    };
  },
);
