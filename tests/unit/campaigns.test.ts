import { describe, expect, it } from 'vitest';
import {
  type CampaignInput,
  ENROLLMENT_STEP,
  episodesOf,
  nextCampaignAction,
  nextCampaignDueAt,
} from '../../shared/domain/campaign.ts';
import { EngineConfigSchema } from '../../shared/domain/config.ts';
import { type Customer, CustomerSchema, reclassify } from '../../shared/domain/customer.ts';
import { isHeldOutEnrollment } from '../../shared/domain/sending-policy.ts';
import { addDays } from '../../shared/domain/time.ts';
import type { LedgerEntry } from '../../shared/domain/winback.ts';

const NOW = '2026-06-30T12:00:00.000Z';
const campaignsOf = (campaigns: CampaignInput[], holdoutPercent = 0) =>
  EngineConfigSchema.parse({ campaigns, sending: { holdoutPercent } });

const steps = (prefix: string) => [
  { id: `${prefix}-1`, offsetDays: 0, template: 'miss-you' as const },
  { id: `${prefix}-2`, offsetDays: 10, template: 'offer' as const },
];
const THREE: CampaignInput[] = [
  { id: 'second', trigger: { type: 'stage', stage: 'new', afterDays: 21 }, steps: steps('second'), priority: 1 },
  { id: 'risk', trigger: { type: 'stage', stage: 'at_risk' }, steps: steps('risk'), priority: 2 },
  { id: 'back', trigger: { type: 'stage', stage: 'dormant' }, steps: steps('back'), priority: 3 },
  { id: 'last', trigger: { type: 'stage', stage: 'lost' }, steps: steps('last'), priority: 4 },
];

function customer(overrides: Partial<Customer>): Customer {
  return CustomerSchema.parse({
    customerId: 'c1',
    currency: 'USD',
    email: 'c1@example.com',
    consent: { marketing: true, at: '2025-01-01T00:00:00.000Z', source: 'checkout' },
    orderCount: 1,
    ...overrides,
  });
}

const enrollment = (campaignId: string, episode: string, arm: 'treated' | 'holdout', at: string): LedgerEntry => ({
  customerId: 'c1',
  key: `${campaignId}#${episode}#${ENROLLMENT_STEP}`,
  campaignId,
  episode,
  stepId: ENROLLMENT_STEP,
  status: 'enrolled',
  arm,
  claimedAt: at,
  runAsOf: at,
  runId: 'r',
});
const step = (campaignId: string, episode: string, stepId: string, status: LedgerEntry['status'], at: string) => ({
  ...enrollment(campaignId, episode, 'treated', at),
  key: `${campaignId}#${episode}#${stepId}`,
  stepId,
  status,
  arm: undefined,
});

describe('campaigns in config', () => {
  it('defaults to the win-back alone, from engine.winback, and puts its trigger stage in the policy', () => {
    const config = EngineConfigSchema.parse({});
    expect(config.campaigns).toHaveLength(1);
    expect(config.campaigns[0]).toMatchObject({
      id: 'winback',
      trigger: { type: 'stage', stage: 'dormant', afterDays: 0 },
      holdoutPercent: 10,
      measurementDays: 60, // the last step's offset (30) + attributionDays (30)
      offerCode: 'COMEBACK15',
    });
    expect(config.policy.campaignStages).toEqual(['dormant']);
    // The parsed config parses again to itself (the stack hands it to the functions as JSON).
    expect(EngineConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('collects the trigger stages of every campaign; rejects duplicate campaign ids and step ids by field', () => {
    expect(campaignsOf(THREE).policy.campaignStages).toEqual(['at_risk', 'dormant', 'lost', 'new']);
    const twice = EngineConfigSchema.safeParse({ campaigns: [THREE[1], THREE[1]] });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues.map((i) => i.message)).toContain('campaign ids must be unique');
    const shared = EngineConfigSchema.safeParse({
      campaigns: [THREE[1], { ...THREE[2], steps: steps('risk') }],
    });
    expect(shared.error?.issues[0]?.message).toMatch(/step ids must be unique across campaigns/);
    const unknown = EngineConfigSchema.safeParse({ campaigns: [{ ...THREE[1], colour: 'red' }] });
    expect(unknown.error?.issues[0]?.path).toEqual(['campaigns', 0]);
    const badTrigger = EngineConfigSchema.safeParse({
      campaigns: [{ ...THREE[1], trigger: { type: 'stage', stage: 'active' } }],
    });
    expect(badTrigger.error?.issues[0]?.path).toEqual(['campaigns', 0, 'trigger', 'stage']);
  });
});

describe('nextCampaignAction: one enrollment at a time, the higher priority wins', () => {
  const { campaigns } = campaignsOf(THREE);
  const lostSince = '2026-06-13T00:00:00.000Z';
  const dormantSince = '2026-03-15T00:00:00.000Z'; // 107 days: within the 120-day age limit
  const lost = customer({ stage: 'lost', stageSince: lostSince, dormantSince });

  it('enrolls in the higher-priority campaign when two qualify at once, recording the other as outranked', () => {
    const action = nextCampaignAction(lost, episodesOf(lost, campaigns, []), NOW);
    expect(action).toMatchObject({ kind: 'enroll', arm: 'treated', outranked: ['back'] });
    expect(action.kind === 'enroll' && action.record.campaign.id).toBe('last');
  });

  it('goes on with an enrolled episode before enrolling anywhere else; after it, the next campaign may enroll', () => {
    const episode = dormantSince.slice(0, 10);
    const enrolledBack = [enrollment('back', episode, 'treated', dormantSince)];
    const first = nextCampaignAction(lost, episodesOf(lost, campaigns, enrolledBack), NOW);
    expect(first).toMatchObject({ kind: 'step', step: { id: 'back-1' }, arm: 'treated' });
    const backDone = [
      ...enrolledBack,
      step('back', episode, 'back-1', 'sent', dormantSince),
      step('back', episode, 'back-2', 'failed', addDays(dormantSince, 10)),
    ];
    const next = nextCampaignAction(lost, episodesOf(lost, campaigns, backDone), NOW);
    expect(next.kind === 'enroll' && next.record.campaign.id).toBe('last');
  });

  it('waits for the qualification instant (new for 21 days: no second order) and for the next step', () => {
    const firstOrder = '2026-06-20T00:00:00.000Z';
    const fresh = customer({ stage: 'new', stageSince: firstOrder, firstPurchaseAt: firstOrder });
    expect(nextCampaignAction(fresh, episodesOf(fresh, campaigns, []), NOW)).toEqual({
      kind: 'wait',
      dueAt: addDays(firstOrder, 21),
    });
    const later = addDays(firstOrder, 22);
    const records = episodesOf(fresh, campaigns, [enrollment('second', '2026-06-20', 'treated', later)]);
    expect(nextCampaignAction(fresh, records, later)).toMatchObject({ kind: 'step', step: { id: 'second-1' } });
    const sent = episodesOf(fresh, campaigns, [
      enrollment('second', '2026-06-20', 'treated', later),
      step('second', '2026-06-20', 'second-1', 'sent', later),
    ]);
    expect(nextCampaignDueAt(fresh, sent, later)).toBe(addDays(`${later.slice(0, 10)}T00:00:00.000Z`, 10));
  });

  it('keeps the arm drawn at enrollment: a hold-out enrollment records its steps, never sends', () => {
    const records = episodesOf(lost, campaigns, [enrollment('last', '2026-06-13', 'holdout', lostSince)]);
    expect(nextCampaignAction(lost, records, NOW)).toMatchObject({ kind: 'step', arm: 'holdout' });
  });

  it('draws the arm per enrollment (campaign, episode, customer), stable, at the campaign’s own percent', () => {
    const config = campaignsOf(THREE, 50);
    const ids = Array.from({ length: 400 }, (_, i) => `c${i}`);
    for (const id of ids) {
      const c = { ...lost, customerId: id };
      const action = nextCampaignAction(c, episodesOf(c, config.campaigns, []), NOW);
      const held = isHeldOutEnrollment(id, 'last', '2026-06-13', 50);
      expect(action).toMatchObject({ kind: 'enroll', arm: held ? 'holdout' : 'treated' });
    }
    // Near half held out; a customer's arms in two episodes agree about half the time (independent draws).
    const held = ids.filter((id) => isHeldOutEnrollment(id, 'last', '2026-06-13', 50)).length;
    expect(held).toBeGreaterThan(160);
    expect(held).toBeLessThan(240);
    const same = ids.filter(
      (id) => isHeldOutEnrollment(id, 'last', '2026-06-13', 50) === isHeldOutEnrollment(id, 'last', '2027-01-02', 50),
    ).length;
    expect(same).toBeGreaterThan(160);
    expect(same).toBeLessThan(240);
  });

  it('derives a legacy enrollment from step entries written before enrollments existed', () => {
    const episode = dormantSince.slice(0, 10);
    const [record] = episodesOf(customer({ stage: 'dormant', stageSince: dormantSince, dormantSince }), campaigns, [
      step('back', episode, 'back-1', 'held_out', '2026-03-02T10:00:00.000Z'),
    ]);
    expect(record?.enrollment).toEqual({ arm: 'holdout', at: '2026-03-02T10:00:00.000Z', legacy: true });
  });

  it('applies the audience at enrollment and the age limit; nothing without consent, an address or an episode', () => {
    const german = campaignsOf([{ ...THREE[1], audience: { locales: ['de'], minOrders: 2 } } as CampaignInput]);
    const atRisk = customer({ stage: 'at_risk', stageSince: '2026-06-25T00:00:00.000Z', locale: 'de-AT' });
    expect(nextCampaignAction(atRisk, episodesOf(atRisk, german.campaigns, []), NOW)).toEqual({
      kind: 'none',
      skip: 'not-in-audience',
    });
    const loyal = { ...atRisk, orderCount: 3 };
    expect(nextCampaignAction(loyal, episodesOf(loyal, german.campaigns, []), NOW).kind).toBe('enroll');
    const old = customer({
      stage: 'dormant',
      stageSince: '2025-01-01T00:00:00.000Z',
      dormantSince: '2025-01-01T00:00:00.000Z',
    });
    expect(nextCampaignAction(old, episodesOf(old, campaigns, []), NOW)).toEqual({
      kind: 'none',
      skip: 'episode-too-old',
    });
    const noConsent = { ...lost, consent: undefined };
    expect(nextCampaignAction(noConsent, episodesOf(noConsent, campaigns, []), NOW)).toEqual({
      kind: 'none',
      skip: 'no-consent',
    });
    const active = customer({ stage: 'active', stageSince: NOW });
    expect(nextCampaignAction(active, episodesOf(active, campaigns, []), NOW)).toEqual({
      kind: 'none',
      skip: 'not-dormant',
    });
  });
});

describe('campaign stages open episodes in the lifecycle', () => {
  it('entering a campaign stage makes the customer due; a purchase (leaving it) clears the due instant', () => {
    const { policy } = campaignsOf(THREE);
    const bought = customer({
      lastPurchaseAt: '2026-04-15T00:00:00.000Z',
      stage: 'active',
      stageSince: '2026-04-15T00:00:00.000Z',
    });
    const atRisk = reclassify(bought, NOW, policy); // 76 days idle: at risk (60)
    expect(atRisk.stage).toBe('at_risk');
    expect(atRisk.winbackDueAt).toBe(atRisk.stageSince);
    const again = reclassify({ ...atRisk, lastPurchaseAt: NOW, orderCount: 2 }, NOW, policy);
    expect(again.stage).toBe('active');
    expect(again.winbackDueAt).toBeUndefined();
    // The default policy (win-back alone) does not make an at-risk customer due.
    expect(reclassify(bought, NOW, EngineConfigSchema.parse({}).policy).winbackDueAt).toBeUndefined();
  });
});

describe('exit on purchase, for every trigger', () => {
  it('ends a reactivated episode at the next purchase although the stage stays reactivated', () => {
    const { campaigns } = campaignsOf([
      { id: 'welcome-back', trigger: { type: 'stage', stage: 'reactivated' }, steps: steps('welcome') },
    ]);
    const since = '2026-06-20T00:00:00.000Z';
    const back = customer({ stage: 'reactivated', stageSince: since, lastPurchaseAt: since, orderCount: 3 });
    expect(nextCampaignAction(back, episodesOf(back, campaigns, []), NOW).kind).toBe('enroll');
    const again = { ...back, lastPurchaseAt: '2026-06-25T00:00:00.000Z', orderCount: 4 };
    expect(episodesOf(again, campaigns, [])).toEqual([]);
    expect(nextCampaignAction(again, episodesOf(again, campaigns, []), NOW)).toEqual({
      kind: 'none',
      skip: 'not-dormant',
    });
  });
});
