import { describeIssues } from '../domain/common.ts';
import { rememberEvent } from '../domain/customer.ts';
import { EmailFeedbackSchema, type FeedbackPolicy } from '../domain/email-feedback.ts';
import { ledgerKey } from '../domain/winback.ts';
import type { CustomerRepository, SendLedger } from '../ports.ts';

export interface SesFeedbackDeps {
  customers: CustomerRepository;
  ledger: SendLedger;
  policy: FeedbackPolicy;
}

export interface SesFeedbackSummary {
  received: number;
  applied: number;
  suppressed: number;
  duplicates: number;
  rejected: { index: number; error: string }[];
}

const LEDGER_FIELD = {
  send: undefined,
  delivery: 'deliveredAt',
  bounce: 'bouncedAt',
  complaint: 'complainedAt',
  open: 'openedAt',
  click: 'clickedAt',
  reject: 'rejectedAt',
  delivery_delay: undefined,
} as const;

/**
 * Primary course, per feedback event:
 *  1. validate;
 *  2. resolve a claim whose SES outcome was unknown (any event but a reject proves acceptance); record the first
 *     delivery/open/click/bounce/complaint on the send-ledger entry (campaign statistics);
 *  3. complaint or permanent bounce: suppress the customer at once; transient bounce: count, suppress at the
 *     threshold; delivery resets the count. Each event id is remembered so a redelivery changes nothing.
 *     A delivery to a customer whose count is 0 already changes nothing: the customer is not written (nearly every
 *     email gets a delivery, and the write would rewrite the item and its index entries to remember the event id
 *     only). Applying such a delivery twice is harmless: it sets nothing either time, and the ledger keeps the
 *     first delivery time.
 */
export async function applySesFeedback(deps: SesFeedbackDeps, events: readonly unknown[]): Promise<SesFeedbackSummary> {
  const summary: SesFeedbackSummary = {
    received: events.length,
    applied: 0,
    suppressed: 0,
    duplicates: 0,
    rejected: [],
  };
  for (const [index, raw] of events.entries()) {
    const parsed = EmailFeedbackSchema.safeParse(raw);
    if (!parsed.success) {
      summary.rejected.push({ index, error: describeIssues(parsed.error) });
      continue;
    }
    const f = parsed.data;
    const key = ledgerKey(f.campaignId, f.episode, f.stepId);
    const field = LEDGER_FIELD[f.type];
    const status = field
      ? await deps.ledger.recordFirst(f.customerId, key, field, f.at, f.bounceType)
      : (await deps.ledger.get(f.customerId, key))?.status;
    // Any event but a reject proves SES accepted the email: a claim whose outcome was unknown (the run crashed or
    // timed out after the request left) is resolved as sent, so reconciliation never resends it. Only then: almost
    // always the sender recorded the outcome already, and a conditional write that fails is billed as a write.
    if (f.type !== 'reject' && status === 'claimed') {
      await deps.ledger.resolveClaim(f.customerId, key, { status: 'sent', messageId: f.messageId, sentAt: f.at });
    }
    const affectsCustomer = f.type === 'complaint' || f.type === 'bounce' || f.type === 'delivery';
    if (!affectsCustomer) {
      summary.applied += 1;
      continue;
    }
    const marker = `fb:${f.messageId}:${f.type}`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const customer = await deps.customers.get(f.customerId);
      if (!customer) break;
      if (customer.recentEventIds.includes(marker)) {
        summary.duplicates += 1;
        break;
      }
      if (f.type === 'delivery' && customer.softBounces === 0) {
        summary.applied += 1;
        break;
      }
      let next = rememberEvent(customer, marker);
      if (f.type === 'delivery') next = { ...next, softBounces: 0 };
      else if (f.type === 'complaint')
        next = { ...next, suppression: customer.suppression ?? { reason: 'complaint', at: f.at } };
      else if (f.bounceType === 'Permanent')
        next = { ...next, suppression: customer.suppression ?? { reason: 'bounce', at: f.at } };
      else {
        const softBounces = customer.softBounces + 1;
        next = {
          ...next,
          softBounces,
          suppression:
            customer.suppression ??
            (softBounces >= deps.policy.softBounceLimit ? { reason: 'bounce', at: f.at } : undefined),
        };
      }
      if (await deps.customers.saveIfVersion(next, customer.version)) {
        summary.applied += 1;
        if (!customer.suppression && next.suppression) summary.suppressed += 1;
        break;
      }
    }
  }
  return summary;
}
