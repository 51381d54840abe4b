import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { erasedEmailHash, erasureKeyFrom } from '../../shared/domain/erasure.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { eraseCustomer, exportCustomer } from '../../shared/jobs/privacy.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import { collect, freshEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const aws = useLocalAws();
const KEY = erasureKeyFrom('a deployment secret of at least thirty-two characters');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('privacy: export and erase', () => {
  it('exports everything held, then erases it, keeping only anonymous aggregates and the address hash', async () => {
    const env = await freshEnv(aws);
    const at = addDays(AS_OF, -100);
    for (const id of ['gone', 'stays']) {
      await recordActivity(
        { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now: at },
        [
          {
            type: 'customer.signed_up',
            eventId: `s-${id}`,
            customerId: id,
            occurredAt: at,
            email: `${id}@Example.com`,
            name: 'Ana Person',
            marketingConsent: true,
          },
          {
            type: 'order.placed',
            eventId: `o1-${id}`,
            customerId: id,
            occurredAt: at,
            orderId: `o1-${id}`,
            amountMinor: 1500,
            currency: 'USD',
          },
          {
            type: 'order.placed',
            eventId: `o2-${id}`,
            customerId: id,
            occurredAt: addDays(at, -40),
            orderId: `o2-${id}`,
            amountMinor: 500,
            currency: 'USD',
          },
        ],
      );
    }
    await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
    await winbackEmail(
      { customers: env.stores.customers, ledger: env.stores.ledger, email: env.email },
      {
        asOf: AS_OF,
        now: '2026-06-30T12:00:00.000Z',
        config: config.winback,
        sending: { ...config.sending, holdoutPercent: 0 },
        from: 'shop@example.com',
        templates: TEMPLATES,
        runId: 'r',
      },
    );
    const cohortsBefore = await churnCohorts(env.stores, {
      asOf: AS_OF,
      currency: 'USD',
      policy: DEFAULT_ENGINE_CONFIG.policy,
      segments: 1,
      generatedAt: AS_OF,
    });

    const exported = await exportCustomer(env.stores, 'gone');
    expect(exported.customer?.email).toBe('gone@example.com');
    expect(exported.customer?.name).toBe('Ana Person');
    expect(exported.orders.map((o) => o.orderId).sort()).toEqual(['o1-gone', 'o2-gone']);
    expect(exported.emailsSent.map((e) => e.status)).toEqual(['sent']);

    const erased = await eraseCustomer({ ...env.stores, erasureKey: KEY }, 'gone', AS_OF);
    expect(erased).toMatchObject({ found: true, ordersDeleted: 2, ledgerEntriesDeleted: 2 }); // the sent step and the enrollment record
    const after = await exportCustomer(env.stores, 'gone');
    expect(after).toEqual({ customer: null, orders: [], emailsSent: [], enrollments: [] });

    const everything = JSON.stringify([
      await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 })),
      await collect(env.stores.ledger.scanAll()),
    ]);
    expect(everything).not.toContain('gone@example.com');
    expect(everything).not.toContain('"gone"');
    expect(everything.match(/Ana Person/g)).toHaveLength(1); // only "stays" keeps a name
    const tombstone = await env.stores.customers.get(erased.tombstoneId as string);
    expect(tombstone?.email).toBeUndefined();
    expect(tombstone?.name).toBeUndefined();
    expect(tombstone?.suppression?.reason).toBe('erased');
    // Keyed: the address hash and the tombstone id cannot be recomputed without the deployment key.
    expect(tombstone?.erasedEmailHmac).toBe(erasedEmailHash(KEY, 'gone@example.com'));
    expect(everything).not.toContain(sha256('gone@example.com'));
    expect(everything).not.toContain(sha256('clientele-erasure:gone').slice(0, 32));

    // The cohort figures marketing already saw do not change.
    const cohortsAfter = await churnCohorts(env.stores, {
      asOf: AS_OF,
      currency: 'USD',
      policy: DEFAULT_ENGINE_CONFIG.policy,
      segments: 1,
      generatedAt: AS_OF,
    });
    expect(cohortsAfter.report.cohorts.map((c) => [c.cohort, c.size, c.periods.map((p) => p?.revenueMinor)])).toEqual(
      cohortsBefore.report.cohorts.map((c) => [c.cohort, c.size, c.periods.map((p) => p?.revenueMinor)]),
    );
    expect(await eraseCustomer({ ...env.stores, erasureKey: KEY }, 'gone', AS_OF)).toMatchObject({
      found: false,
      ordersDeleted: 0,
    });
  });
});
