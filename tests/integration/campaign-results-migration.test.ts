import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { localReportSink } from '../../shared/adapters/fs/local-report-sink.ts';
import { ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { CustomerSchema } from '../../shared/domain/customer.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import type { LedgerEntry } from '../../shared/domain/winback.ts';
import { computeCampaignResults } from '../../shared/jobs/campaign-results.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { DYNAMODB_TARGET, freshEnv, useLocalAws } from '../helpers/local-aws.ts';

/*
 * A deployment upgraded from before enrollment records: its ledger holds the single win-back campaign's step
 * entries (sent, failed, claimed, held out) and no `@enrollment` record. The results still count those episodes,
 * as legacy enrollments: the arm from the first entry, the enrollment instant the as-of of the run that wrote it.
 */
const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const EPISODE = '2026-01-01';
const RUN_1 = '2026-01-01T10:00:00.000Z'; // the planner run that found the first step due
const RUN_2 = '2026-01-15T10:00:00.000Z';

/** An entry as the win-back code before enrollment records wrote it. */
function entry(
  customerId: string,
  stepId: string,
  status: LedgerEntry['status'],
  runAsOf: string,
  claimedAt: string,
  extra: Partial<LedgerEntry> = {},
): LedgerEntry {
  return {
    customerId,
    key: `winback#${extra.episode ?? EPISODE}#${stepId}`,
    campaignId: 'winback',
    episode: EPISODE,
    stepId,
    status,
    claimedAt,
    runAsOf,
    runId: `run-${runAsOf.slice(0, 10)}`,
    ...(status === 'sent' ? { sentAt: claimedAt, messageId: `m-${customerId}-${stepId}`, deliveredAt: claimedAt } : {}),
    ...extra,
  };
}

describe(`campaign results over a ledger written before enrollment records (${DYNAMODB_TARGET})`, () => {
  const aws = useLocalAws();

  it('counts legacy episodes as enrollments with the right arms and outcomes', async () => {
    const env = await freshEnv(aws);
    const customer = (customerId: string, extra: Record<string, unknown> = {}) =>
      CustomerSchema.parse({
        customerId,
        currency: 'USD',
        email: `${customerId}@example.com`,
        consent: { marketing: true, at: '2025-01-01T00:00:00.000Z', source: 'checkout' },
        stage: 'dormant',
        dormantSince: `${EPISODE}T00:00:00.000Z`,
        ...extra,
      });
    await env.stores.customers.seedMany([
      customer('leg-t1'),
      customer('leg-t2'),
      customer('leg-t3', {
        consent: { marketing: false, at: '2026-01-02T08:00:00.000Z', source: 'unsubscribe:winback' },
      }),
      customer('leg-t4'),
      customer('leg-h1'),
      customer('leg-h2'),
      customer('new-t'),
      customer('open-h', { dormantSince: '2026-06-20T00:00:00.000Z' }),
    ]);
    const order = (customerId: string, orderId: string, placedAt: string, amountMinor: number) => ({
      customerId,
      orderId,
      placedAt,
      amountMinor,
      currency: 'USD',
      applied: true,
    });
    await env.stores.orders.putMany([
      order('leg-t1', 'o-before', '2025-09-01T00:00:00.000Z', 9900), // before the episode: not an outcome
      order('leg-t1', 'o-1', '2026-01-01T12:00:00.000Z', 2500), // after the run, before the send left: counts
      order('leg-t1', 'o-2', '2026-01-20T00:00:00.000Z', 500),
      order('leg-t3', 'o-late', '2026-04-01T00:00:00.000Z', 7000), // after the 60-day window
      order('leg-t4', 'o-1', '2026-01-20T00:00:00.000Z', 1000),
      order('leg-h1', 'o-1', '2026-02-10T00:00:00.000Z', 4000),
    ]);

    // The raw items, as the old planner and sender left them (document client, no adapter in between).
    const raw = [
      // quiet hours: the run at 10:00 planned it, it left at 15:00
      entry('leg-t1', 'miss-you', 'sent', RUN_1, '2026-01-01T15:00:00.000Z', { openedAt: '2026-01-01T18:00:00.000Z' }),
      entry('leg-t1', 'offer', 'sent', RUN_2, '2026-01-15T15:00:00.000Z'),
      entry('leg-t2', 'miss-you', 'failed', RUN_1, '2026-01-01T15:00:00.000Z', { error: 'MessageRejected' }),
      entry('leg-t3', 'miss-you', 'sent', RUN_1, '2026-01-01T15:00:00.000Z'),
      entry('leg-h1', 'miss-you', 'held_out', RUN_1, RUN_1),
      entry('leg-h1', 'offer', 'held_out', RUN_2, RUN_2),
      entry('leg-h2', 'miss-you', 'held_out', RUN_1, RUN_1),
      // an episode whose window is still open at asOf
      entry('open-h', 'miss-you', 'held_out', '2026-06-20T10:00:00.000Z', '2026-06-20T10:00:00.000Z', {
        episode: '2026-06-20',
        key: 'winback#2026-06-20#miss-you',
      }),
      // a campaign the deployment no longer has: ignored
      { ...entry('leg-t1', 'miss-you', 'sent', RUN_1, RUN_1), campaignId: 'old', key: `old#${EPISODE}#miss-you` },
    ];
    for (const item of raw) await env.client.send(new PutCommand({ TableName: env.tables.ledger, Item: item }));
    // An outcome still unknown, through the adapter (which keeps it in the pending-claims index).
    expect(await env.stores.ledger.claim(entry('leg-t4', 'miss-you', 'claimed', RUN_1, RUN_1))).toBe(true);
    // One episode enrolled by today's planner, beside the legacy ones.
    await env.stores.ledger.claim({
      ...entry('new-t', ENROLLMENT_STEP, 'enrolled', RUN_1, '2026-01-01T10:00:05.000Z'),
      arm: 'treated',
    });
    await env.client.send(
      new PutCommand({
        TableName: env.tables.ledger,
        Item: entry('new-t', 'miss-you', 'sent', RUN_1, '2026-01-01T15:00:00.000Z'),
      }),
    );

    const results = await computeCampaignResults(env.stores, {
      asOf: AS_OF,
      campaigns: config.campaigns,
      sending: config.sending,
      currency: 'USD',
    });
    expect(results.campaigns.map((c) => c.campaignId)).toEqual(['winback']);
    const [c] = results.campaigns;
    expect(c).toMatchObject({
      analysis: 'intent-to-treat',
      measurementDays: 60,
      enrolled: 8,
      legacyEnrollments: 7,
      openWindows: { treated: 0, holdout: 1 },
    });
    // treated: t1 (bought twice), t2 (failed), t3 (unsubscribed, bought too late), t4 (unknown, bought), new-t
    expect(c?.treated).toMatchObject({ n: 5, converted: 2, revenueMinor: 4000, revenuePerEnrolledMinor: 800 });
    expect(c?.holdout).toMatchObject({ n: 2, converted: 1, revenueMinor: 4000, revenuePerEnrolledMinor: 2000 });
    expect(c?.uplift).toBeCloseTo(2 / 5 - 1 / 2, 10);
    expect(c?.revenueDifferencePerEnrolledMinor).toBeCloseTo(-1200, 10);
    expect(c?.steps.map((s) => [s.stepId, s.sent, s.failed, s.unknown, s.heldOut, s.unsubscribed])).toEqual([
      ['miss-you', 3, 1, 1, 3, 1],
      ['offer', 1, 0, 0, 1, 0],
      ['last-chance', 0, 0, 0, 0, 0],
    ]);
    expect(c?.steps[0]).toMatchObject({ delivered: 3, opened: 1, purchasedAfter: 1, randomized: false });

    // The cohort job's report carries the same results, per campaign, labelled.
    const out = await mkdtemp(join(tmpdir(), 'clientele-results-'));
    const cohorts = await churnCohorts(
      {
        ...env.stores,
        reports: localReportSink(out),
        campaign: { ...env.stores, campaigns: config.campaigns, sending: config.sending },
      },
      { asOf: AS_OF, currency: 'USD', policy: config.policy, segments: 2, generatedAt: AS_OF },
    );
    expect(cohorts.campaign).toEqual(results);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Campaign “winback” (intent-to-treat)');
    expect(html).toContain('Customers assigned to emails bought 10.0 pt less often within 60 days');
    expect(html).toContain('not a randomized comparison');
    expect(html).toContain('7 enrollments predate enrollment records');
  });
});
