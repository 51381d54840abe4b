import { describe, expect, it } from 'vitest';
import { type Customer, CustomerSchema } from '../../shared/domain/customer.ts';
import { episodeOf, WinbackConfigSchema, winbackEligibility } from '../../shared/domain/winback.ts';
import { composeWinbackEmail } from '../../shared/jobs/winback-message.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const DORMANT_SINCE = '2024-03-01T00:00:00.000Z';
const config = WinbackConfigSchema.parse({});

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

describe('winbackEligibility: an eligible customer comes back as a recipient', () => {
  it('carries the address and the episode start, and the customer is otherwise unchanged', () => {
    const customer = dormant();
    const eligibility = winbackEligibility(customer);
    if (!('recipient' in eligibility)) throw new Error(`expected a recipient, got ${eligibility.skip}`);
    expect(eligibility.recipient).toEqual(customer);
    expect(episodeOf(eligibility.recipient)).toBe('2024-03-01');
    const step = config.steps[0];
    if (!step) throw new Error('the default campaign has steps');
    const { email } = composeWinbackEmail(eligibility.recipient, step, '2024-03-01', config, DORMANT_SINCE, {
      from: 'shop@example.com',
      templates: TEMPLATES,
    });
    expect(email.to).toBe('ana@example.com');
  });

  it('says why not otherwise', () => {
    expect(winbackEligibility(dormant({ email: undefined }))).toEqual({ skip: 'no-valid-email' });
    expect(winbackEligibility(dormant({ stage: 'active', dormantSince: undefined }))).toEqual({ skip: 'not-dormant' });
  });
});
