import * as z from 'zod';
import { describeIssues } from '../../domain/common.ts';
import type { EmailFeedback } from '../../domain/email-feedback.ts';

const Tags = z.record(z.string(), z.array(z.string()));

/** The `detail` of an SES event delivered to EventBridge by a configuration set event destination. */
export const SesEventDetailSchema = z.object({
  eventType: z.string(),
  mail: z.object({ messageId: z.string(), timestamp: z.string(), tags: Tags.default({}) }),
  bounce: z.object({ bounceType: z.string(), timestamp: z.string().optional() }).optional(),
  complaint: z.object({ timestamp: z.string().optional() }).optional(),
  delivery: z.object({ timestamp: z.string().optional() }).optional(),
  open: z.object({ timestamp: z.string().optional() }).optional(),
  click: z.object({ timestamp: z.string().optional() }).optional(),
});

const TYPES: Record<string, EmailFeedback['type']> = {
  Send: 'send',
  Delivery: 'delivery',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Open: 'open',
  Click: 'click',
  Reject: 'reject',
  DeliveryDelay: 'delivery_delay',
};

/**
 * SES event → EmailFeedback. Returns a reason string for events that are not ours (no campaign tags) or of a
 * type the engine ignores (Rendering Failure, Subscription).
 */
export function feedbackFromSesEvent(detail: unknown): { feedback: Record<string, unknown> } | { ignored: string } {
  const parsed = SesEventDetailSchema.safeParse(detail);
  if (!parsed.success) return { ignored: `not an SES event: ${describeIssues(parsed.error)}` };
  const d = parsed.data;
  const type = TYPES[d.eventType];
  if (!type) return { ignored: `event type ${d.eventType} is not used` };
  const tag = (name: string) => d.mail.tags[name]?.[0];
  const encodedCustomer = tag('customer');
  const campaignId = tag('campaign');
  if (!encodedCustomer || !campaignId) return { ignored: 'email without clientele campaign tags' };
  const at =
    d.bounce?.timestamp ??
    d.complaint?.timestamp ??
    d.delivery?.timestamp ??
    d.open?.timestamp ??
    d.click?.timestamp ??
    d.mail.timestamp;
  return {
    feedback: {
      type,
      messageId: d.mail.messageId,
      at,
      customerId: Buffer.from(encodedCustomer, 'base64url').toString('utf8'),
      campaignId,
      episode: tag('episode'),
      stepId: tag('step'),
      ...(d.bounce ? { bounceType: d.bounce.bounceType } : {}),
    },
  };
}
