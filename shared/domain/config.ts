import * as z from 'zod';
import { FeedbackPolicySchema } from './email-feedback.ts';
import { LifecyclePolicySchema } from './lifecycle.ts';
import { CurrencySchema } from './money.ts';
import { SendingPolicySchema } from './sending-policy.ts';
import { WinbackConfigSchema } from './winback.ts';

/** Engine configuration shared by the CLI, the Lambda handlers and the CDK app. */
export const EngineConfigSchema = z.object({
  /** Reporting currency; orders in another currency are rejected (no FX conversion). */
  currency: CurrencySchema.default('USD'),
  policy: LifecyclePolicySchema.default(LifecyclePolicySchema.parse({})),
  winback: WinbackConfigSchema.default(WinbackConfigSchema.parse({})),
  feedback: FeedbackPolicySchema.default(FeedbackPolicySchema.parse({})),
  sending: SendingPolicySchema.default(SendingPolicySchema.parse({})),
  /** Number of shards of the sparse win-back index; spreads dormant customers over partitions. */
  indexShards: z.number().int().min(1).max(100).default(8),
  /** Parallel scan segments for full passes (flag, cohorts). */
  scanSegments: z.number().int().min(1).max(1000).default(4),
});
export type EngineConfig = z.infer<typeof EngineConfigSchema>;
export const DEFAULT_ENGINE_CONFIG: EngineConfig = EngineConfigSchema.parse({});
