import { runConcurrently } from '../concurrency.ts';
import type { Campaign } from '../domain/campaign.ts';
import { type CampaignResults, campaignResults, type OrderTouchFacts } from '../domain/campaign-results.ts';
import type { SendingPolicy } from '../domain/sending-policy.ts';
import type { LedgerEntry } from '../domain/winback.ts';
import type { CustomerRepository, OrderRepository, SendLedger } from '../ports.ts';

export interface CampaignResultsDeps {
  customers: CustomerRepository;
  orders: OrderRepository;
  ledger: SendLedger;
}

export interface CampaignResultsInput {
  asOf: string;
  /** the configured campaigns (`config.campaigns`): one result each, in this order */
  campaigns: readonly Campaign[];
  sending: SendingPolicy;
  currency: string;
}

/**
 * Primary course:
 *  1. read the send ledger once (every entry of the configured campaigns: enrollment records and step entries);
 *  2. read the enrolled customers (unsubscribes) and their orders;
 *  3. compute each campaign's intent-to-treat results (pure, domain/campaign-results.ts).
 */
export async function computeCampaignResults(
  deps: CampaignResultsDeps,
  input: CampaignResultsInput,
): Promise<CampaignResults> {
  const configured = new Set(input.campaigns.map((c) => c.id));
  const entries: LedgerEntry[] = [];
  for await (const page of deps.ledger.scanAll()) {
    for (const e of page.items) if (configured.has(e.campaignId)) entries.push(e);
  }
  // Every customer with an entry is enrolled (an enrollment record, or a legacy episode's step entries).
  const enrolled = [...new Set(entries.map((e) => e.customerId))];
  const customers = await deps.customers.getMany(enrolled);
  const orders = new Map<string, OrderTouchFacts[]>();
  await runConcurrently(enrolled, 16, async (customerId) => {
    orders.set(customerId, await deps.orders.listForCustomer(customerId));
  });
  return campaignResults(entries, customers, orders, {
    asOf: input.asOf,
    campaigns: input.campaigns,
    attributionDays: input.sending.attributionDays,
    currency: input.currency,
  });
}
