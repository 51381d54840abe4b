import { beforeEach, describe, expect, it } from 'vitest';
import { type CampaignInput, ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { EngineConfigSchema } from '../../shared/domain/config.ts';
import type { CustomerEvent } from '../../shared/domain/events.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import { clearEmails, collect, freshEnv, sentEmails, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const AS_OF = endOfDay('2026-06-30');
const steps = (prefix: string) => [
  { id: `${prefix}-1`, offsetDays: 0, template: 'miss-you' as const },
  { id: `${prefix}-2`, offsetDays: 10, template: 'offer' as const },
];
const CAMPAIGNS: CampaignInput[] = [
  { id: 'second', trigger: { type: 'stage', stage: 'new', afterDays: 21 }, steps: steps('second'), priority: 1 },
  { id: 'risk', trigger: { type: 'stage', stage: 'at_risk' }, steps: steps('risk'), priority: 2 },
  { id: 'back', trigger: { type: 'stage', stage: 'dormant' }, steps: steps('back'), priority: 3 },
  { id: 'last', trigger: { type: 'stage', stage: 'lost' }, steps: steps('last'), priority: 4 },
];
const config = EngineConfigSchema.parse({ campaigns: CAMPAIGNS, sending: { holdoutPercent: 0, frequencyCapDays: 0 } });

const aws = useLocalAws();
beforeEach(async () => {
  await clearEmails(aws);
});

/** Customers whose last (only) order was `daysAgo` days before the as-of, with consent and an address. */
async function base(customers: Record<string, number>): Promise<TestEnv> {
  const env = await freshEnv(aws);
  for (const [id, daysAgo] of Object.entries(customers)) {
    const at = addDays(AS_OF, -daysAgo);
    const events: CustomerEvent[] = [
      {
        type: 'customer.signed_up',
        eventId: `s-${id}`,
        customerId: id,
        occurredAt: at,
        email: `${id}@example.com`,
        marketingConsent: true,
      },
      {
        type: 'order.placed',
        eventId: `o-${id}`,
        customerId: id,
        occurredAt: at,
        orderId: `o-${id}`,
        amountMinor: 4200,
        currency: 'USD',
      },
    ];
    await recordActivity(
      { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now: at },
      events,
    );
  }
  await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
  return env;
}

const run = (env: TestEnv, runId: string, asOf = AS_OF) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
    {
      asOf,
      now: `${asOf.slice(0, 10)}T12:00:00.000Z`,
      config: config.winback,
      campaigns: config.campaigns,
      sending: config.sending,
      from: 'shop@example.com',
      templates: TEMPLATES,
      runId,
      maxSendRate: 500,
    },
  );

describe('lifecycle campaigns on dynalite', () => {
  it('enrolls each customer once, in the campaign its stage triggers; the higher priority wins when two qualify', async () => {
    // lost: dormant for 90 days (back qualifies, 110 days into the episode) and lost for 20 (last qualifies)
    const env = await base({ lost: 200, risk: 70, fresh: 25, dormant: 100, active: 5 });
    const summary = await run(env, 'r1');
    const ledger = await collect(env.stores.ledger.scanAll());
    const enrollments = ledger.filter((e) => e.stepId === ENROLLMENT_STEP);
    expect(enrollments.map((e) => [e.customerId, e.campaignId, e.arm]).sort()).toEqual([
      ['dormant', 'back', 'treated'],
      ['fresh', 'second', 'treated'],
      ['lost', 'last', 'treated'],
      ['risk', 'risk', 'treated'],
    ]);
    expect(enrollments.find((e) => e.customerId === 'lost')?.outranked).toEqual(['back']);
    expect(summary.campaigns.back).toMatchObject({ enrolled: 1, outranked: 1 });
    // The first step of each, sent once; the active customer has no episode.
    const mails = await sentEmails(aws);
    expect(mails.map((m) => m.destination.to[0]).sort()).toEqual([
      'dormant@example.com',
      'fresh@example.com',
      'lost@example.com',
      'risk@example.com',
    ]);
    expect(Object.fromEntries(Object.entries(summary.steps).map(([k, v]) => [k, v.sent]))).toEqual({
      'second-1': 1,
      'second-2': 0,
      'risk-1': 1,
      'risk-2': 0,
      'back-1': 1,
      'back-2': 0,
      'last-1': 1,
      'last-2': 0,
    });
  });

  it('racing planners: one enrollment per customer and episode, each step sent at most once', async () => {
    const ids = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, [200, 70, 25, 100][i % 4] ?? 100]));
    const env = await base(ids);
    await Promise.all([run(env, 'a'), run(env, 'b'), run(env, 'c')]);
    const ledger = await collect(env.stores.ledger.scanAll());
    const enrollments = ledger.filter((e) => e.stepId === ENROLLMENT_STEP);
    expect(new Set(enrollments.map((e) => e.customerId)).size).toBe(40);
    const counts = new Map<string, string[]>();
    for (const e of enrollments)
      counts.set(e.customerId, [...(counts.get(e.customerId) ?? []), `${e.campaignId}@${e.runId}`]);
    expect([...counts].filter(([, v]) => v.length > 1)).toEqual([]);
    expect(enrollments).toHaveLength(40);
    const mails = await sentEmails(aws);
    const sentSteps = ledger.filter((e) => e.status === 'sent');
    expect(mails).toHaveLength(sentSteps.length);
    expect(new Set(mails.map((m) => m.destination.to[0])).size).toBe(mails.length);
  });

  it('goes on with the enrolled sequence; after it ends another campaign may enroll; a purchase exits', async () => {
    const env = await base({ lost: 200, risk: 70 });
    await run(env, 'day-0');
    // Ten days on: the second step of each enrolled campaign, no other enrollment (one at a time).
    const later = endOfDay(addDays(AS_OF, 10).slice(0, 10));
    await recordActivity(
      {
        customers: env.stores.customers,
        orders: env.stores.orders,
        policy: config.policy,
        currency: 'USD',
        now: later,
      },
      [
        {
          type: 'order.placed',
          eventId: 'o2-risk',
          customerId: 'risk',
          occurredAt: addDays(AS_OF, 5),
          orderId: 'o2-risk',
          amountMinor: 1000,
          currency: 'USD',
        },
      ],
    );
    const summary = await run(env, 'day-10', later);
    expect(summary.steps['last-2']?.sent).toBe(1);
    // risk bought: its episode ended, no second step (exit on purchase); its enrollment stays for measurement
    expect(summary.steps['risk-2']?.sent).toBe(0);
    const ledger = await collect(env.stores.ledger.scanAll());
    expect(
      ledger
        .filter((e) => e.customerId === 'risk')
        .map((e) => e.stepId)
        .sort(),
    ).toEqual([ENROLLMENT_STEP, 'risk-1']);
    expect((await env.stores.customers.get('risk'))?.winbackDueAt).toBeUndefined();
    // lost's "last" sequence is complete; the dormancy episode's "back" campaign enrolls it next (the age allows).
    const lost = await env.stores.customers.get('lost');
    expect(lost?.winbackDueAt).toBeDefined();
  });
});
