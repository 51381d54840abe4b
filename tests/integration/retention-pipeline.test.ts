import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { localReportSink } from '../../shared/adapters/fs/local-report-sink.ts';
import { ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import type { Customer } from '../../shared/domain/customer.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import type { CustomerRepository } from '../../shared/ports.ts';
import { syntheticBase } from '../../shared/seed/synthetic-base.ts';
import {
  clearEmails,
  collect,
  DYNAMODB_TARGET,
  freshEnv,
  sentEmails,
  type TestEnv,
  useLocalAws,
} from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const FROM = 'Shop <winback@example.com>';

const aws = useLocalAws();
// The synthetic bases reuse addresses, and the local SES store is shared by the file's tests.
beforeEach(async () => {
  await clearEmails(aws);
});

async function seeded(customers = 400): Promise<{ env: TestEnv; base: ReturnType<typeof syntheticBase> }> {
  const env = await freshEnv(aws);
  const base = syntheticBase({ customers, end: AS_OF, seed: 7 });
  await importCustomers(
    { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
    { profiles: base.profiles, orders: base.orders, chunkSize: 100, asOf: AS_OF, now: AS_OF },
  );
  return { env, base };
}

const flag = (env: TestEnv, asOf: string, dryRun = false) =>
  flagDormantFullPass({ customers: env.stores.customers }, { asOf, policy: config.policy, segments: 3, dryRun });

// These tests are about the pipeline, not hold-outs: everyone eligible is treated. Runs send at 15:00 UTC,
// inside the 09:00–20:00 local window for every time zone of the synthetic base.
const sending = { ...config.sending, holdoutPercent: 0 };
const winback = (env: TestEnv, asOf: string, runId: string, dryRun = false) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
    {
      asOf,
      now: `${asOf.slice(0, 10)}T15:00:00.000Z`,
      config: config.winback,
      sending,
      from: FROM,
      templates: TEMPLATES,
      runId,
      dryRun,
      maxSendRate: 500,
    },
  );

const allCustomers = (env: TestEnv) => collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
const allLedger = (env: TestEnv) => collect(env.stores.ledger.scanAll());
const sentTo = async (env: TestEnv) => {
  const ids = new Set((await allCustomers(env)).map((c) => c.email));
  return (await sentEmails(aws)).filter((e) => ids.has(e.destination.to[0]));
};

describe(`retention pipeline on ${DYNAMODB_TARGET} and aws-ses-v2-local`, () => {
  it('imports, flags, computes cohorts and sends win-back emails end to end', async () => {
    const { env, base } = await seeded();
    const flagged = await flag(env, AS_OF);
    expect(flagged.scanned).toBe(400);
    // Customers are classified at import (as of AS_OF): the first flag pass reads everyone and writes no one.
    expect(flagged.changed).toBe(0); // was: 400 writes, the first classification of every customer
    expect(Object.values(flagged.stages).reduce((a, b) => a + b, 0)).toBe(400);
    expect(flagged.stages.dormant).toBeGreaterThan(0);
    expect(flagged.stages.prospect).toBe(base.profiles.length - new Set(base.orders.map((o) => o.customerId)).size);

    const out = await mkdtemp(join(tmpdir(), 'clientele-'));
    const cohorts = await churnCohorts(
      { ...env.stores, reports: localReportSink(out) },
      { asOf: AS_OF, currency: 'USD', policy: DEFAULT_ENGINE_CONFIG.policy, segments: 3, generatedAt: AS_OF },
    );
    const buyers = new Set(base.orders.map((o) => o.customerId)).size;
    expect(cohorts.report.customersWithPurchase).toBe(buyers);
    expect(cohorts.report.cohorts.reduce((a, c) => a + c.size, 0)).toBe(buyers);
    expect(await env.stores.snapshots.loadCohortReport(AS_OF)).toEqual(cohorts.report);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(JSON.parse(await readFile(join(out, 'cohorts.json'), 'utf8')).cohorts).toHaveLength(
      cohorts.report.cohorts.length,
    );
    expect((await readFile(join(out, 'cohorts.csv'), 'utf8')).split('\n')[0]).toContain('cohort,cohort_size,period');

    const summary = await winback(env, AS_OF, 'run-1');
    const sent = summary.steps['miss-you']?.sent ?? 0;
    expect(sent).toBeGreaterThan(0);
    const mails = await sentTo(env);
    expect(mails).toHaveLength(sent);
    const customers = new Map((await allCustomers(env)).map((c) => [c.email, c]));
    const ledger = await allLedger(env);
    for (const mail of mails) {
      const customer = customers.get(mail.destination.to[0]) as Customer;
      expect(customer.consent?.marketing).toBe(true);
      expect(['dormant', 'lost']).toContain(customer.stage);
      expect(mail.body.text?.length).toBeGreaterThan(20);
      expect(mail.body.html).toContain('<html');
      const entry = ledger.find((e) => e.customerId === customer.customerId && e.stepId !== ENROLLMENT_STEP);
      expect(entry?.status).toBe('sent');
      expect(entry?.messageId).toBe(mail.messageId);
    }
  });

  it('changes nothing when flag and win-back run again for the same date', async () => {
    const { env } = await seeded(200);
    await flag(env, AS_OF);
    const first = await winback(env, AS_OF, 'run-1');
    const before = await allCustomers(env);
    const mailsBefore = (await sentTo(env)).length;

    const again = await flag(env, AS_OF);
    const second = await winback(env, AS_OF, 'run-2');
    expect(again.changed).toBe(0);
    expect(Object.values(second.steps).reduce((a, s) => a + s.sent, 0)).toBe(0);
    expect(first.steps['miss-you']?.sent).toBeGreaterThan(0);
    expect((await sentTo(env)).length).toBe(mailsBefore);
    const after = await allCustomers(env);
    expect(after.map((c) => c.version).sort()).toEqual(before.map((c) => c.version).sort());
  });

  it('dry runs report the audience and write or send nothing', async () => {
    const { env } = await seeded(200);
    await flag(env, AS_OF);
    const versions = (await allCustomers(env)).map((c) => `${c.customerId}:${c.version}`).sort();
    const mails = (await sentTo(env)).length;

    const flagDry = await flag(env, addDays(AS_OF, 60), true);
    const dry = await winback(env, AS_OF, 'dry', true);

    expect(flagDry.changed).toBeGreaterThan(0);
    expect(dry.steps['miss-you']?.due).toBeGreaterThan(0);
    expect(dry.samples.length).toBeGreaterThan(0);
    expect(dry.samples[0]?.html).toContain('<html');
    expect((await allCustomers(env)).map((c) => `${c.customerId}:${c.version}`).sort()).toEqual(versions);
    expect(await allLedger(env)).toHaveLength(0);
    expect((await sentTo(env)).length).toBe(mails);
  });

  it('never lets a stale "dormant" overwrite a purchase that lands during flagging', async () => {
    const env = await freshEnv(aws);
    const record = (events: unknown[], now: string) =>
      recordActivity(
        { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now },
        events,
      );
    const last = addDays(AS_OF, -100);
    await record(
      [
        {
          type: 'order.placed',
          eventId: 'e1',
          customerId: 'c1',
          occurredAt: last,
          orderId: 'o1',
          amountMinor: 1000,
          currency: 'USD',
        },
      ],
      last,
    );
    // A repository that lets a purchase land between the flag job's read and its write.
    let injected = false;
    const racing: CustomerRepository = {
      ...env.stores.customers,
      async saveIfVersion(customer, expected) {
        if (!injected && customer.customerId === 'c1') {
          injected = true;
          await record(
            [
              {
                type: 'order.placed',
                eventId: 'e2',
                customerId: 'c1',
                occurredAt: addDays(AS_OF, -1),
                orderId: 'o2',
                amountMinor: 500,
                currency: 'USD',
              },
            ],
            AS_OF,
          );
        }
        return env.stores.customers.saveIfVersion(customer, expected);
      },
    };
    const summary = await flagDormantFullPass(
      { customers: racing },
      { asOf: AS_OF, policy: config.policy, segments: 1 },
    );
    const stored = await env.stores.customers.get('c1');
    expect(injected).toBe(true);
    expect(summary.conflicts).toBe(1);
    expect(stored?.stage).not.toBe('dormant');
    expect(stored?.orderCount).toBe(2);
    expect(stored?.lastPurchaseAt).toBe(addDays(AS_OF, -1));
  });

  it('sends each step once when two win-back runs race for the same day', async () => {
    const { env } = await seeded(300);
    await flag(env, AS_OF);
    const audience = (await winback(env, AS_OF, 'dry', true)).steps['miss-you']?.due ?? 0;
    const [a, b] = await Promise.all([winback(env, AS_OF, 'run-a'), winback(env, AS_OF, 'run-b')]);
    const sent = (a.steps['miss-you']?.sent ?? 0) + (b.steps['miss-you']?.sent ?? 0);
    expect(audience).toBeGreaterThan(10);
    expect(sent).toBe(audience);
    const mails = await sentTo(env);
    expect(mails).toHaveLength(sent);
    expect(new Set(mails.map((m) => m.destination.to[0])).size).toBe(mails.length);
  });

  it('walks a dormant customer through the sequence and stops when they come back', async () => {
    const env = await freshEnv(aws);
    const record = (events: unknown[], now: string) =>
      recordActivity(
        { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now },
        events,
      );
    const start = addDays(AS_OF, -200);
    for (const id of ['stay', 'back']) {
      await record(
        [
          {
            type: 'customer.signed_up',
            eventId: `s-${id}`,
            customerId: id,
            occurredAt: start,
            email: `${id}@example.com`,
            name: 'Ana',
            locale: 'de',
            marketingConsent: true,
          },
          {
            type: 'order.placed',
            eventId: `o-${id}`,
            customerId: id,
            occurredAt: start,
            orderId: `o-${id}`,
            amountMinor: 2500,
            currency: 'USD',
          },
        ],
        start,
      );
    }
    const dormantDay = addDays(start, config.policy.dormantAfterDays);
    const stepsOf = async (id: string) =>
      (await allLedger(env)).filter((e) => e.customerId === id && e.status === 'sent').map((e) => e.stepId);
    const day = (n: number) => endOfDay(addDays(dormantDay, n).slice(0, 10));

    await flag(env, day(0));
    await winback(env, day(0), 'd0');
    expect(await stepsOf('stay')).toEqual(['miss-you']);
    await flag(env, day(13));
    await winback(env, day(13), 'd13');
    expect(await stepsOf('stay')).toEqual(['miss-you']); // not before 14 days
    await flag(env, day(14));
    await winback(env, day(14), 'd14');
    expect((await stepsOf('stay')).sort()).toEqual(['miss-you', 'offer']);
    // "back" buys again: reactivated, out of the sequence.
    await record(
      [
        {
          type: 'order.placed',
          eventId: 'o2',
          customerId: 'back',
          occurredAt: day(20),
          orderId: 'o2',
          amountMinor: 900,
          currency: 'USD',
        },
      ],
      day(20),
    );
    expect((await env.stores.customers.get('back'))?.stage).toBe('reactivated');
    await flag(env, day(30));
    await winback(env, day(30), 'd30');
    expect((await stepsOf('stay')).sort()).toEqual(['last-chance', 'miss-you', 'offer']);
    expect((await stepsOf('back')).sort()).toEqual(['miss-you', 'offer']);
    const german = (await sentTo(env)).filter((m) => m.destination.to[0] === 'stay@example.com');
    expect(german).toHaveLength(3);
    for (const m of german) expect(m.body.html).toContain('lang="de"');
  });

  it('emails each customer in their language by the fallback chain and records the locale used on the ledger', async () => {
    const env = await freshEnv(aws);
    const start = addDays(AS_OF, -200);
    const customers: [string, string, string][] = [
      ['nb-no', 'nb-NO', 'nb'],
      ['no', 'no', 'nb'],
      ['da-dk', 'da-DK', 'da'],
      ['ko-kr', 'ko-KR', 'ko'],
      ['ru', 'ru', 'ru'],
      ['de-at', 'de-AT', 'de'],
      ['pt-br', 'pt-BR', 'en'],
    ];
    await recordActivity(
      {
        customers: env.stores.customers,
        orders: env.stores.orders,
        policy: config.policy,
        currency: 'USD',
        now: start,
      },
      customers.flatMap(([id, locale]) => [
        {
          type: 'customer.signed_up',
          eventId: `s-${id}`,
          customerId: id,
          occurredAt: start,
          email: `${id}@example.com`,
          locale,
          timeZone: 'Europe/Berlin',
          marketingConsent: true,
        },
        {
          type: 'order.placed',
          eventId: `o-${id}`,
          customerId: id,
          occurredAt: start,
          orderId: `o-${id}`,
          amountMinor: 2500,
          currency: 'USD',
        },
      ]),
    );
    const day = endOfDay(addDays(start, config.policy.dormantAfterDays).slice(0, 10));
    await flag(env, day);
    await winback(env, day, 'languages');
    const sent = (await allLedger(env)).filter((e) => e.status === 'sent');
    expect(Object.fromEntries(sent.map((e) => [e.customerId, e.locale]))).toEqual(
      Object.fromEntries(customers.map(([id, , used]) => [id, used])),
    );
    const mails = await sentTo(env);
    for (const [id, , used] of customers) {
      const mail = mails.find((m) => m.destination.to[0] === `${id}@example.com`);
      expect(mail?.body.html, id).toContain(`<html lang="${used}"`);
    }
  });

  it('applies each event once, keeps the newest consent and never moves the last purchase back', async () => {
    const env = await freshEnv(aws);
    const deps = {
      customers: env.stores.customers,
      orders: env.stores.orders,
      policy: config.policy,
      currency: 'USD',
      now: AS_OF,
    };
    const order = (eventId: string, orderId: string, at: string, amountMinor = 1000) => ({
      type: 'order.placed',
      eventId,
      customerId: 'c9',
      occurredAt: at,
      orderId,
      amountMinor,
      currency: 'USD',
    });
    const first = await recordActivity(deps, [
      order('e1', 'o1', '2026-06-01T10:00:00Z'),
      order('e1', 'o1', '2026-06-01T10:00:00Z'), // same event twice
      order('e2', 'o1', '2026-06-01T10:00:00Z'), // same order under a new event id
      order('e3', 'o0', '2026-03-01T10:00:00Z', 300), // older order, late
      {
        type: 'consent.changed',
        eventId: 'k2',
        customerId: 'c9',
        occurredAt: '2026-06-10T00:00:00Z',
        marketing: false,
        source: 'preference-center',
      },
      {
        type: 'consent.changed',
        eventId: 'k1',
        customerId: 'c9',
        occurredAt: '2026-05-10T00:00:00Z',
        marketing: true,
        source: 'checkout',
      },
      {
        type: 'order.placed',
        eventId: 'bad',
        customerId: 'c9',
        occurredAt: 'yesterday',
        orderId: 'x',
        amountMinor: -5,
        currency: 'XYZ',
      },
    ]);
    const again = await recordActivity(deps, [order('e1', 'o1', '2026-06-01T10:00:00Z')]);
    const c = await env.stores.customers.get('c9');
    expect(first.applied).toBe(4);
    expect(first.duplicates).toBe(2);
    expect(first.rejected).toHaveLength(1);
    expect(first.rejected[0]?.error).toMatch(/occurredAt/);
    expect(first.rejected[0]?.error).toMatch(/amountMinor/);
    expect(first.rejected[0]?.error).toMatch(/currency/);
    expect(again.duplicates).toBe(1);
    expect(c?.orderCount).toBe(2);
    expect(c?.revenueMinor).toBe(1300);
    expect(c?.firstPurchaseAt).toBe('2026-03-01T10:00:00.000Z');
    expect(c?.lastPurchaseAt).toBe('2026-06-01T10:00:00.000Z');
    expect(c?.consent).toEqual({ marketing: false, at: '2026-06-10T00:00:00.000Z', source: 'preference-center' });
  });
});
