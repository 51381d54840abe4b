import { runConcurrently } from '../concurrency.ts';
import { type CampaignResults, campaignResults, type OrderTouchFacts } from '../domain/campaign-results.ts';
import type { SendingPolicy } from '../domain/sending-policy.ts';
import type { LedgerEntry, WinbackConfig } from '../domain/winback.ts';
import type { CustomerRepository, OrderRepository, SendLedger } from '../ports.ts';

export interface CampaignResultsDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
}

/**
 * Primary course:
 *  1. read the send ledger (sent and held-out entries of the campaign);
 *  2. read those customers (unsubscribes) and their orders;
 *  3. attribute reactivations and compute treated-vs-hold-out uplift (pure).
 */
export async function computeCampaignResults(
  deps: CampaignResultsDeps,
  input: { asOf: string; winback: WinbackConfig; sending: SendingPolicy; currency: string },
): Promise<CampaignResults> {
  const entries: LedgerEntry[] = [];
  for await (const page of deps.ledger.scanAll()) {
    entries.push(...page.items.filter((e) => e.campaignId === input.winback.campaignId));
  }
  const touched = [
    ...new Set(entries.filter((e) => e.status === 'sent' || e.status === 'held_out').map((e) => e.customerId)),
  ];
  const customers = await deps.customers.getMany(touched);
  const orders = new Map<string, OrderTouchFacts[]>();
  await runConcurrently(touched, 16, async (customerId) => {
    orders.set(customerId, await deps.orders.listForCustomer(customerId));
  });
  return campaignResults(
    input.winback.campaignId,
    entries,
    customers,
    orders,
    input.winback.steps.map((s) => s.id),
    { asOf: input.asOf, attributionDays: input.sending.attributionDays, currency: input.currency },
  );
}
