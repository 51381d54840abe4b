import * as z from 'zod';
import { ModelSettingsSchema } from './btyd/model-record.ts';
import { type Campaign, CampaignSchema, resolveCampaigns } from './campaign.ts';
import { DigestConfigSchema } from './digest.ts';
import { FeedbackPolicySchema } from './email-feedback.ts';
import { LifecyclePolicySchema } from './lifecycle.ts';
import { CurrencySchema } from './money.ts';
import { SendingPolicySchema } from './sending-policy.ts';
import { WinbackConfigSchema } from './winback.ts';

/** Engine configuration shared by the CLI, the Lambda handlers and the CDK app. */
const EngineConfigFields = z.object({
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
  /**
   * Lifecycle campaigns (campaign.ts). Absent: the win-back alone, from `winback` (its id, steps and offer), as
   * before campaigns existed, so a deployment keeps its ledger history.
   */
  campaigns: z.array(CampaignSchema).min(1).max(20).optional(),
  /** The weekly digest email to the marketing team, sent after each cohort pass (digest.ts). */
  digest: DigestConfigSchema.prefault({}),
  /**
   * The predictive model (docs/predictive.md): fitted in the weekly cohort pass, used by the daily flag to score
   * customers and, with `policy.mode: "adaptive"`, to classify them.
   */
  model: ModelSettingsSchema.prefault({}),
});

/**
 * The parsed engine config: `campaigns` resolved (defaults filled in) and the stages they trigger on written into
 * the lifecycle policy (so the jobs that change stages know which entries open an episode). The output parses
 * again to itself (the stack passes it to the functions as JSON).
 */
export const EngineConfigSchema = EngineConfigFields.superRefine((c, ctx) => {
  const campaigns = c.campaigns ?? [];
  const ids = campaigns.map((x) => x.id);
  if (new Set(ids).size !== ids.length)
    ctx.addIssue({ code: 'custom', message: 'campaign ids must be unique', path: ['campaigns'] });
  const steps = campaigns.flatMap((x) => x.steps.map((s) => s.id));
  if (new Set(steps).size !== steps.length)
    ctx.addIssue({
      code: 'custom',
      message: 'step ids must be unique across campaigns (reports and logs name a step by its id)',
      path: ['campaigns'],
    });
}).transform((c): Omit<typeof c, 'campaigns'> & { campaigns: Campaign[] } => {
  const campaigns = resolveCampaigns(c.campaigns, c.winback, c.sending);
  const campaignStages = [...new Set(campaigns.map((x) => x.trigger.stage))].sort();
  return { ...c, policy: { ...c.policy, campaignStages }, campaigns };
});
export type EngineConfig = z.output<typeof EngineConfigSchema>;
export const DEFAULT_ENGINE_CONFIG: EngineConfig = EngineConfigSchema.parse({});
