import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import type { EmailFeedback } from '../../shared/domain/email-feedback.ts';
import { ledgerKey } from '../../shared/domain/winback.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { collect, freshEnv, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';

const AT = '2026-06-30T10:00:00.000Z';
const CAMPAIGN = 'winback';
const EPISODE = '2026-03-01';
const STEP = 'miss-you';

const aws = useLocalAws();

/** Counts the write requests the adapters send, by table and command (a middleware on the real client). */
function countWrites(env: TestEnv): Map<string, number> {
  const writes = new Map<string, number>();
  env.client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      if (['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(name)) {
        const input: object = args.input;
        const table = 'TableName' in input && input.TableName === env.tables.customers ? 'customers' : 'other';
        writes.set(`${table} ${name}`, (writes.get(`${table} ${name}`) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' },
  );
  return writes;
}

const customerWrites = (writes: Map<string, number>) =>
  [...writes].filter(([key]) => key.startsWith('customers ')).reduce((n, [, count]) => n + count, 0);

async function customerWithSentEmail(env: TestEnv, customerId: string): Promise<void> {
  await recordActivity(
    {
      customers: env.stores.customers,
      orders: env.stores.orders,
      policy: DEFAULT_ENGINE_CONFIG.policy,
      currency: 'USD',
      now: AT,
    },
    [
      {
        type: 'customer.signed_up',
        eventId: `s-${customerId}`,
        customerId,
        occurredAt: AT,
        email: `${customerId}@example.com`,
        marketingConsent: true,
      },
    ],
  );
  await env.stores.ledger.claim({
    customerId,
    key: ledgerKey(CAMPAIGN, EPISODE, STEP),
    campaignId: CAMPAIGN,
    episode: EPISODE,
    stepId: STEP,
    status: 'sent',
    claimedAt: AT,
    runAsOf: AT,
    runId: 'run-1',
    sentAt: AT,
    messageId: `m-${customerId}`,
  });
}

const feedback = (customerId: string, type: EmailFeedback['type'], extra: Partial<EmailFeedback> = {}) => ({
  type,
  messageId: `m-${customerId}`,
  at: AT,
  customerId,
  campaignId: CAMPAIGN,
  episode: EPISODE,
  stepId: STEP,
  ...extra,
});

describe('ses-feedback: deliveries write the customer only when they change it', () => {
  it('a delivery to a customer with no soft bounce writes the ledger only, also when applied twice', async () => {
    const env = await freshEnv(aws);
    await customerWithSentEmail(env, 'd1');
    const before = await env.stores.customers.get('d1');
    const writes = countWrites(env);
    const deps = { customers: env.stores.customers, ledger: env.stores.ledger, policy: DEFAULT_ENGINE_CONFIG.feedback };

    const first = await applySesFeedback(deps, [feedback('d1', 'delivery')]);
    const second = await applySesFeedback(deps, [feedback('d1', 'delivery', { at: '2026-06-30T11:00:00.000Z' })]);

    expect(first).toMatchObject({ applied: 1, duplicates: 0, rejected: [] });
    expect(second).toMatchObject({ applied: 1, rejected: [] });
    expect(customerWrites(writes)).toBe(0);
    const after = await env.stores.customers.get('d1');
    expect(after?.version).toBe(before?.version);
    expect(after?.softBounces).toBe(0);
    const [entry] = await collect(env.stores.ledger.scanAll());
    // The first delivery time stays recorded; the second changes nothing.
    expect(entry?.deliveredAt).toBe(AT);
  });

  it('a delivery after soft bounces resets the count with one customer write; a redelivery writes nothing', async () => {
    const env = await freshEnv(aws);
    await customerWithSentEmail(env, 'd2');
    const deps = { customers: env.stores.customers, ledger: env.stores.ledger, policy: DEFAULT_ENGINE_CONFIG.feedback };
    await applySesFeedback(deps, [feedback('d2', 'bounce', { messageId: 'b1', bounceType: 'Transient' })]);
    expect((await env.stores.customers.get('d2'))?.softBounces).toBe(1);

    const writes = countWrites(env);
    const delivered = await applySesFeedback(deps, [feedback('d2', 'delivery')]);
    expect(delivered).toMatchObject({ applied: 1, duplicates: 0 });
    expect(customerWrites(writes)).toBe(1);
    expect((await env.stores.customers.get('d2'))?.softBounces).toBe(0);

    const again = await applySesFeedback(deps, [feedback('d2', 'delivery')]);
    expect(again).toMatchObject({ applied: 0, duplicates: 1 });
    expect(customerWrites(writes)).toBe(1);
  });

  it('bounces and complaints still write the customer', async () => {
    const env = await freshEnv(aws);
    await customerWithSentEmail(env, 'd3');
    const deps = { customers: env.stores.customers, ledger: env.stores.ledger, policy: DEFAULT_ENGINE_CONFIG.feedback };
    const writes = countWrites(env);
    const summary = await applySesFeedback(deps, [feedback('d3', 'complaint')]);
    expect(summary).toMatchObject({ applied: 1, suppressed: 1 });
    expect(customerWrites(writes)).toBe(1);
    expect((await env.stores.customers.get('d3'))?.suppression?.reason).toBe('complaint');
  });
});
