import { describe, expect, it } from 'vitest';
import { type Customer, CustomerSchema } from '../../shared/domain/customer.ts';
import {
  episodeOf,
  TEMPLATE_KINDS,
  TemplateKindSchema,
  WinbackConfigSchema,
  winbackEligibility,
} from '../../shared/domain/winback.ts';
import { renderWinbackEmail } from '../../shared/email/render-winback-email.ts';
import { composeWinbackEmail } from '../../shared/jobs/winback-message.ts';

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
    const { email } = composeWinbackEmail(
      eligibility.recipient,
      step,
      '2024-03-01',
      config,
      DORMANT_SINCE,
      'shop@example.com',
      undefined,
    );
    expect(email.to).toBe('ana@example.com');
  });

  it('says why not otherwise', () => {
    expect(winbackEligibility(dormant({ email: undefined }))).toEqual({ skip: 'no-valid-email' });
    expect(winbackEligibility(dormant({ stage: 'active', dormantSince: undefined }))).toEqual({ skip: 'not-dormant' });
  });
});

describe('TEMPLATE_KINDS: every template kind states whether it shows the offer', () => {
  it('covers exactly the kinds of the schema', () => {
    expect(Object.keys(TEMPLATE_KINDS).sort()).toEqual([...TemplateKindSchema.options].sort());
  });

  it('the rendered email shows the code exactly for the kinds with the offer', () => {
    for (const template of TemplateKindSchema.options) {
      const { text } = renderWinbackEmail({
        customer: dormant(),
        step: { id: template, offsetDays: 0, template },
        config,
        now: DORMANT_SINCE,
      });
      expect(text.includes(config.offerCode)).toBe(TEMPLATE_KINDS[template].offer);
    }
  });
});
