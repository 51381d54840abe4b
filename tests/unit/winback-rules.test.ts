import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Customer, CustomerSchema, withWinbackReview } from '../../shared/domain/customer.ts';
import { DEFAULT_POLICY } from '../../shared/domain/lifecycle.ts';
import { nextSendWindowStart, SendingPolicySchema } from '../../shared/domain/sending-policy.ts';
import { addDays, daysBetween } from '../../shared/domain/time.ts';
import {
  episodeOf,
  ledgerKey,
  nextWinbackDueAt,
  nextWinbackStep,
  type WinbackConfig,
  WinbackConfigSchema,
  WinbackTaskSchema,
  winbackIneligibility,
} from '../../shared/domain/winback.ts';

const DORMANT_SINCE = '2024-03-01T00:00:00.000Z';
const config: WinbackConfig = WinbackConfigSchema.parse({}); // miss-you 0, offer 14, last-chance 30; max age 120

function dormant(overrides: Record<string, unknown> = {}): Customer {
  return CustomerSchema.parse({
    customerId: 'c1',
    currency: 'USD',
    email: 'ana@example.com',
    consent: { marketing: true, at: '2023-01-01T00:00:00Z', source: 'signup' },
    orderCount: 1,
    lastPurchaseAt: '2023-12-02T00:00:00Z',
    stage: 'dormant',
    stageSince: DORMANT_SINCE,
    dormantSince: DORMANT_SINCE,
    ...overrides,
  });
}

const day = (n: number, time = '00:00:00.000') => `${addDays(DORMANT_SINCE, n).slice(0, 10)}T${time}Z`;
const none = new Map<string, string>();

describe('nextWinbackStep: eligibility', () => {
  it.each([
    ['an active customer is not-dormant', { stage: 'active', dormantSince: undefined }, 'not-dormant'],
    ['a dormant stage without dormantSince is not-dormant', { dormantSince: undefined }, 'not-dormant'],
    ['an at_risk customer with a stale dormantSince is not-dormant', { stage: 'at_risk' }, 'not-dormant'],
    [
      'a suppressed customer is suppressed',
      { suppression: { reason: 'unsubscribed', at: DORMANT_SINCE } },
      'suppressed',
    ],
    [
      'suppression is reported before missing consent',
      { suppression: { reason: 'complaint', at: DORMANT_SINCE }, consent: undefined },
      'suppressed',
    ],
    ['without a consent record there is no-consent', { consent: undefined }, 'no-consent'],
    [
      'withdrawn consent is no-consent',
      { consent: { marketing: false, at: '2023-06-01T00:00:00Z', source: 'prefs' } },
      'no-consent',
    ],
    ['consent is reported before a missing email', { consent: undefined, email: undefined }, 'no-consent'],
    ['without an email there is no-valid-email', { email: undefined }, 'no-valid-email'],
  ])('%s', (_name, overrides, skip) => {
    const c = dormant(overrides);
    expect(nextWinbackStep(c, none, day(0), config)).toEqual({ skip });
    expect(winbackIneligibility(c)).toBe(skip);
  });

  it('a lost customer still in the episode is eligible', () => {
    const c = dormant({ stage: 'lost' });
    expect(winbackIneligibility(c)).toBeUndefined();
    expect(nextWinbackStep(c, none, day(0), config)).toMatchObject({ index: 0, step: { id: 'miss-you' } });
  });
});

describe('nextWinbackStep: schedule', () => {
  it('step 0 is due on dormantSince and not a millisecond before', () => {
    expect(nextWinbackStep(dormant(), none, DORMANT_SINCE, config)).toEqual({
      step: config.steps[0],
      index: 0,
      dueAt: DORMANT_SINCE,
    });
    expect(nextWinbackStep(dormant(), none, addDays(DORMANT_SINCE, -1 / 86_400_000), config)).toEqual({
      skip: 'not-due-yet',
    });
  });

  it('step 1 is not due before its offset (14 days) after dormantSince', () => {
    const sent = new Map([['miss-you', day(0, '10:00:00.000')]]);
    expect(nextWinbackStep(dormant(), sent, day(13, '23:59:59.999'), config)).toEqual({ skip: 'not-due-yet' });
    expect(nextWinbackStep(dormant(), sent, day(14), config)).toEqual({
      step: config.steps[1],
      index: 1,
      dueAt: day(14),
    });
  });

  it('step 1 is not due before 14 days after the run that sent step 0 (spacing, day granularity)', () => {
    const sent = new Map([['miss-you', day(10, '10:00:05.000')]]); // step 0 went out late
    expect(nextWinbackStep(dormant(), sent, day(14, '10:00:00.000'), config)).toEqual({ skip: 'not-due-yet' });
    expect(nextWinbackStep(dormant(), sent, day(23, '23:59:59.999'), config)).toEqual({ skip: 'not-due-yet' });
    // a daily 10:00 run 14 days later is due even though the previous send finished seconds after 10:00
    expect(nextWinbackStep(dormant(), sent, day(24, '10:00:00.000'), config)).toEqual({
      step: config.steps[1],
      index: 1,
      dueAt: day(24),
    });
  });

  it('steps go out in configured order: the first unsent step is next', () => {
    const onlyOffer = new Map([['offer', day(14)]]);
    expect(nextWinbackStep(dormant(), onlyOffer, day(40), config)).toMatchObject({
      index: 0,
      step: { id: 'miss-you' },
    });
    const two = new Map([
      ['miss-you', day(0)],
      ['offer', day(14)],
    ]);
    expect(nextWinbackStep(dormant(), two, day(29), config)).toEqual({ skip: 'not-due-yet' });
    expect(nextWinbackStep(dormant(), two, day(30), config)).toEqual({
      step: config.steps[2],
      index: 2,
      dueAt: day(30),
    });
  });

  it('reports sequence-complete when every step was sent', () => {
    const all = new Map(config.steps.map((s) => [s.id, day(s.offsetDays)] as const));
    expect(nextWinbackStep(dormant(), all, day(31), config)).toEqual({ skip: 'sequence-complete' });
    expect(nextWinbackStep(dormant(), all, day(500), config)).toEqual({ skip: 'sequence-complete' });
  });

  it('episode-too-old blocks only starting a new sequence', () => {
    expect(nextWinbackStep(dormant(), none, day(120), config)).toMatchObject({ index: 0 });
    expect(nextWinbackStep(dormant(), none, day(121), config)).toEqual({ skip: 'episode-too-old' });
    const started = new Map([['miss-you', day(110)]]);
    expect(nextWinbackStep(dormant(), started, day(124), config)).toEqual({
      step: config.steps[1],
      index: 1,
      dueAt: day(124),
    });
  });

  it('property: a daily scheduler sends each step once, in order, after its offset and spaced by the offset gaps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 130 }),
        fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
        (firstRun, skipped) => {
          const customer = dormant();
          const sent = new Map<string, string>();
          const log: { id: string; at: string }[] = [];
          for (let d = firstRun; d < firstRun + 200; d++) {
            if (skipped[d - firstRun]) continue;
            const now = day(d, '10:00:00.000');
            const next = nextWinbackStep(customer, sent, now, config);
            if ('step' in next) {
              expect(next.dueAt <= now).toBe(true);
              sent.set(next.step.id, now);
              log.push({ id: next.step.id, at: now });
            }
          }
          if (firstRun > config.maxEpisodeAgeDays) expect(log).toEqual([]);
          expect(log.map((l) => l.id)).toEqual(config.steps.slice(0, log.length).map((s) => s.id));
          log.forEach((entry, i) => {
            const step = config.steps[i];
            expect(daysBetween(DORMANT_SINCE, entry.at)).toBeGreaterThanOrEqual(step?.offsetDays ?? 0);
            const prev = log[i - 1];
            const prevStep = config.steps[i - 1];
            if (prev && prevStep && step) {
              expect(daysBetween(prev.at, entry.at)).toBeGreaterThanOrEqual(step.offsetDays - prevStep.offsetDays);
            }
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('WinbackConfigSchema', () => {
  const step = (id: string, offsetDays: number) => ({ id, offsetDays, template: 'offer' });

  it('rejects duplicate step ids with a message on steps', () => {
    const r = WinbackConfigSchema.safeParse({ steps: [step('a', 0), step('a', 5)] });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['steps'], message: 'step ids must be unique' }),
    );
  });

  it.each([
    ['equal', [step('a', 5), step('b', 5)]],
    ['decreasing', [step('a', 10), step('b', 3)]],
  ])('rejects %s offsets with a message on steps', (_name, steps) => {
    const r = WinbackConfigSchema.safeParse({ steps });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['steps'], message: 'step offsets must increase' }),
    );
  });

  it('rejects an empty step list and a bad step id', () => {
    expect(WinbackConfigSchema.safeParse({ steps: [] }).success).toBe(false);
    const r = WinbackConfigSchema.safeParse({ steps: [step('Bad Id', 0)] });
    expect(r.error?.issues[0]?.path).toEqual(['steps', 0, 'id']);
  });

  it('accepts increasing offsets with unique ids', () => {
    expect(WinbackConfigSchema.safeParse({ steps: [step('a', 0), step('b', 1), step('c', 7)] }).success).toBe(true);
  });
});

describe('ledger keys', () => {
  it('episodeOf is the UTC date of dormantSince, undefined when not dormant', () => {
    expect(episodeOf(dormant({ dormantSince: '2024-03-01T23:30:00-02:00' }))).toBe('2024-03-02');
    expect(episodeOf(dormant())).toBe('2024-03-01');
    expect(episodeOf(dormant({ dormantSince: undefined }))).toBeUndefined();
  });

  it('ledgerKey is campaign#episode#step', () => {
    expect(ledgerKey('winback', '2024-03-01', 'offer')).toBe('winback#2024-03-01#offer');
    const c = dormant();
    expect(ledgerKey(config.campaignId, episodeOf(c) ?? '', 'miss-you')).toBe('winback#2024-03-01#miss-you');
  });
});

describe('nextWinbackDueAt: when the hourly planner should look at the customer again', () => {
  it('is the instant the next step falls due, and nothing once no step can be due', () => {
    expect(nextWinbackDueAt(dormant(), none, day(0), config)).toBe(DORMANT_SINCE);
    const first = new Map([['miss-you', day(3, '10:00:00.000')]]);
    expect(nextWinbackDueAt(dormant(), first, day(3, '10:00:00.000'), config)).toBe(day(17));
    const all = new Map(config.steps.map((s) => [s.id, day(s.offsetDays)] as const));
    expect(nextWinbackDueAt(dormant(), all, day(40), config)).toBeUndefined();
    expect(nextWinbackDueAt(dormant({ consent: undefined }), none, day(0), config)).toBeUndefined();
    expect(nextWinbackDueAt(dormant(), none, day(121), config)).toBeUndefined();
  });

  it('property: a planner that looks only at the due instant sends what a daily look at everyone sends', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }), (delays) => {
        // Each step is claimed `delay` days after it fell due (quiet hours, a missed run): both planners see it.
        const customer = dormant();
        const everyDay = new Map<string, string>();
        const dueOnly = new Map<string, string>();
        let dueAt = nextWinbackDueAt(customer, dueOnly, day(0), config);
        const late = { everyDay: 0, dueOnly: 0 };
        for (let d = 0; d < 200; d++) {
          const now = day(d, '10:00:00.000');
          const a = nextWinbackStep(customer, everyDay, now, config);
          if ('step' in a && late.everyDay++ >= (delays[a.index] ?? 0)) {
            everyDay.set(a.step.id, now);
            late.everyDay = 0;
          }
          if (dueAt && dueAt <= now) {
            const b = nextWinbackStep(customer, dueOnly, now, config);
            if ('step' in b && late.dueOnly++ >= (delays[b.index] ?? 0)) {
              dueOnly.set(b.step.id, now);
              late.dueOnly = 0;
            }
            dueAt = nextWinbackDueAt(customer, dueOnly, now, config);
          }
        }
        expect([...dueOnly]).toEqual([...everyDay]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('withWinbackReview: what makes a customer due for a win-back look', () => {
  it('a new dormancy episode, consent or an address during one; leaving the episode clears it', () => {
    const before = dormant({ consent: undefined, winbackDueAt: undefined });
    const consented = withWinbackReview(
      before,
      {
        ...before,
        consent: { marketing: true, at: '2024-03-05T00:00:00Z', source: 'prefs' },
      },
      DEFAULT_POLICY,
    );
    expect(consented.winbackDueAt).toBe(DORMANT_SINCE);
    const withoutEmail = dormant({ email: undefined });
    expect(withWinbackReview(withoutEmail, dormant(), DEFAULT_POLICY).winbackDueAt).toBe(DORMANT_SINCE);
    // Nothing that opens the gate: unchanged (the planner moved it on to the next step's date).
    const later = dormant({ winbackDueAt: day(14) });
    expect(withWinbackReview(later, { ...later, name: 'Ana' }, DEFAULT_POLICY).winbackDueAt).toBe(day(14));
    const reactivated = { ...later, stage: 'reactivated' as const, dormantSince: undefined };
    expect(withWinbackReview(later, reactivated, DEFAULT_POLICY).winbackDueAt).toBeUndefined();
    expect('winbackDueAt' in withWinbackReview(later, reactivated, DEFAULT_POLICY)).toBe(false);
  });
});

describe('nextSendWindowStart', () => {
  const policy = SendingPolicySchema.parse({});
  it('is the instant itself inside the window, else the next local 09:00, to the quarter hour', () => {
    expect(nextSendWindowStart('2024-03-04T10:00:00.000Z', 'UTC', policy)).toBe('2024-03-04T10:00:00.000Z');
    expect(nextSendWindowStart('2024-03-04T21:10:00.000Z', 'UTC', policy)).toBe('2024-03-05T09:00:00.000Z');
    // Kolkata is UTC+05:30: 09:00 there is 03:30 UTC.
    expect(nextSendWindowStart('2024-03-04T20:00:00.000Z', 'Asia/Kolkata', policy)).toBe('2024-03-05T03:30:00.000Z');
    // New York on the day clocks go forward (2024-03-10): 09:00 EDT is 13:00 UTC.
    expect(nextSendWindowStart('2024-03-10T02:00:00.000Z', 'America/New_York', policy)).toBe(
      '2024-03-10T13:00:00.000Z',
    );
    expect(nextSendWindowStart('2024-03-04T23:00:00.000Z', 'UTC', { ...policy, quietHours: null })).toBe(
      '2024-03-04T23:00:00.000Z',
    );
  });
});

describe('WinbackTaskSchema: the SQS message between planner and sender', () => {
  const valid = {
    customerId: 'c-1',
    campaignId: 'winback',
    episode: '2024-03-01',
    stepId: 'miss-you',
    runAsOf: '2024-03-01T10:05:00.000Z',
    runId: 'req-1',
  };
  it.each([
    ['an address as customer id', { customerId: 'ana@example.com' }, 'customerId'],
    ['an episode that is not a date', { episode: '2024-03-01T00:00:00Z' }, 'episode'],
    ['a step id with spaces', { stepId: 'Miss You' }, 'stepId'],
    ['a campaign id with upper case', { campaignId: 'WinBack' }, 'campaignId'],
    ['a run as-of that is not an instant', { runAsOf: 'yesterday' }, 'runAsOf'],
    ['an empty run id', { runId: '' }, 'runId'],
  ])('rejects %s, naming the field', (_name, change, field) => {
    const parsed = WinbackTaskSchema.safeParse({ ...valid, ...change });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
  it('accepts a planned task', () => {
    expect(WinbackTaskSchema.parse(valid)).toEqual(valid);
  });
});
