import { addDays } from '../domain/time.ts';
import type { LedgerEntry } from '../domain/winback.ts';
import type { CustomerRepository, SendLedger } from '../ports.ts';

export interface ReconcileSummary {
  /** claims with no SES evidence after the grace period, released so a later run may send the step */
  released: number;
  /** claims still inside the grace period (SES events may yet arrive) */
  waiting: number;
  pending: Pick<LedgerEntry, 'customerId' | 'key' | 'claimedAt' | 'error'>[];
}

/**
 * A claim stays `claimed` when the run died or timed out around the SES call. SES emits a Send event for every
 * email it accepts, and the feedback job resolves such claims as sent within seconds. A claim with no event after
 * `graceHours` was therefore never accepted, and is released so the step can be sent: never twice.
 * A released customer is made due again at once. Release only where SES events are delivered (the deployed stack); without them (local runs) list only.
 */
export async function reconcileClaims(
  { ledger, customers }: { ledger: SendLedger; customers: CustomerRepository },
  input: { now: string; graceHours: number; release: boolean },
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { released: 0, waiting: 0, pending: [] };
  const cutoff = addDays(input.now, -input.graceHours / 24);
  for await (const page of ledger.pendingClaims(input.now)) {
    for (const e of page.items) {
      if (input.release && e.claimedAt <= cutoff) {
        const released = await ledger.resolveClaim(e.customerId, e.key, {
          status: 'released',
          error: `reconciled: no SES event within ${input.graceHours} h, not sent`,
        });
        if (!released) continue;
        summary.released += 1;
        // The released step is the customer's next step again: make them due so the next run sends it (any campaign's
        // episode: the planner decides, and removes the due instant if the episode has ended meanwhile).
        const customer = await customers.get(e.customerId);
        if (customer) await customers.setWinbackDue(customer.customerId, customer.dormantSince, input.now);
      } else {
        summary.waiting += 1;
        summary.pending.push({
          customerId: e.customerId,
          key: e.key,
          claimedAt: e.claimedAt,
          ...(e.error ? { error: e.error } : {}),
        });
      }
    }
  }
  return summary;
}
