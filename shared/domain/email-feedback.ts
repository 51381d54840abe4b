import * as z from 'zod';
import { CustomerIdSchema, InstantSchema } from './common.ts';

/** What SES tells us about a sent email, reduced to what the engine acts on (adapter-neutral). */
export const EmailFeedbackSchema = z.object({
  type: z.enum(['send', 'delivery', 'bounce', 'complaint', 'open', 'click', 'reject', 'delivery_delay']),
  messageId: z.string().min(1).max(200),
  at: InstantSchema,
  customerId: CustomerIdSchema,
  campaignId: z.string().min(1).max(64),
  episode: z.string().min(1).max(32),
  stepId: z.string().min(1).max(32),
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).optional(),
});
export type EmailFeedback = z.infer<typeof EmailFeedbackSchema>;

export const FeedbackPolicySchema = z.object({
  /** transient bounces in a row after which an address is suppressed */
  softBounceLimit: z.number().int().min(1).max(20).default(3),
});
export type FeedbackPolicy = z.infer<typeof FeedbackPolicySchema>;
