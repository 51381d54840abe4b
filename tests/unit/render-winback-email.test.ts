/**
 * The campaign email as sent: the step's template from the built-in templates folder, in the customer's locale,
 * with the customer's name escaped and every link checked. Language-specific checks for each shipped locale are in
 * template-locales.test.ts; these are the properties every locale shares.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Customer, CustomerSchema } from '../../shared/domain/customer.ts';
import { type WinbackConfig, WinbackConfigSchema, type WinbackStep } from '../../shared/domain/winback.ts';
import { type RenderWinbackInput, renderWinbackEmail } from '../../shared/email/render-winback-email.ts';
import { localeChain, pickLocale } from '../../shared/email/templates/locale.ts';
import { escapeHtml } from '../../shared/email/text-safety.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const NOW = '2024-02-15T12:00:00.000Z';
const LAST_PURCHASE_45_DAYS = '2024-01-01T00:00:00.000Z';
const SHOP_URL = 'https://acme.example/welcome-back?utm_source=email&utm_campaign=winback';
const UNSUBSCRIBE_URL = 'https://acme.example/unsubscribe?token=abc&sig=x%22y';
const TEMPLATE_IDS = ['miss-you', 'offer', 'last-chance'] as const;
const LOCALES = TEMPLATES.locales('offer');

const config: WinbackConfig = WinbackConfigSchema.parse({
  shopName: 'Acme & Co',
  shopUrl: SHOP_URL,
  offerCode: 'SAVE20NOW',
  offerPercent: 20,
});

function stepFor(template: string): WinbackStep {
  return { id: template, offsetDays: 0, template };
}

function customer(overrides: Record<string, unknown> = {}): Customer {
  return CustomerSchema.parse({
    customerId: 'cust-1',
    currency: 'USD',
    email: 'ana@example.com',
    name: 'Ana',
    locale: 'en',
    lastPurchaseAt: LAST_PURCHASE_45_DAYS,
    orderCount: 3,
    ...overrides,
  });
}

function render(overrides: Partial<Omit<RenderWinbackInput, 'templates'>> = {}) {
  return renderWinbackEmail({
    customer: customer(),
    step: stepFor('offer'),
    config,
    now: NOW,
    templates: TEMPLATES,
    ...overrides,
  });
}

function decodeEntities(html: string): string {
  return html.replace(/&(#\d+|amp|lt|gt|quot);/g, (_, e: string) =>
    e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"' }[e] ?? ''),
  );
}

function tagNames(html: string): string[] {
  return [...html.matchAll(/<\/?([^\s>/]*)/g)].map((m) => (m[1] ?? '').toLowerCase()).sort();
}

describe('locale resolution: the fallback chain', () => {
  it('goes from the regional tag to the language, the macrolanguage, the campaign default and English', () => {
    expect(localeChain('nb-NO', undefined)).toEqual(['nb-no', 'nb', 'no', 'en']);
    expect(localeChain('nb-NO', 'da')).toEqual(['nb-no', 'nb', 'no', 'da', 'en']);
    expect(localeChain('no', undefined)).toEqual(['no', 'nb', 'en']);
    expect(localeChain('nn', undefined)).toEqual(['nn', 'no', 'nb', 'en']);
    expect(localeChain('de_AT', undefined)).toEqual(['de-at', 'de', 'en']);
    expect(localeChain(undefined, undefined)).toEqual(['en']);
    expect(localeChain('not a tag!', 'constructor')).toEqual(['en']);
  });

  it('picks the first variant the template has, and never swaps Danish and Norwegian', () => {
    expect(pickLocale(['en', 'nb', 'da'], 'nb-NO', undefined)).toBe('nb');
    expect(pickLocale(['en', 'nb', 'da'], 'no', undefined)).toBe('nb');
    expect(pickLocale(['en', 'da'], 'nb-NO', undefined)).toBe('en');
    expect(pickLocale(['en', 'da'], 'nb-NO', 'da')).toBe('da');
    expect(pickLocale(['en', 'nb'], 'da-DK', undefined)).toBe('en');
    expect(pickLocale(['en', 'de'], 'pt-BR', 'de')).toBe('de');
    expect(pickLocale(['en'], 'not a tag!', undefined)).toBe('en');
    expect(pickLocale(['en'], 'constructor', undefined)).toBe('en');
    expect(pickLocale(['de'], 'fr', undefined)).toBeUndefined();
  });

  it('renders the variant the chain picks and says which one it used', () => {
    expect(render({ customer: customer({ locale: 'xx' }) }).locale).toBe('en');
    expect(render({ customer: customer({ locale: 'en-GB' }) }).locale).toBe('en');
    for (const locale of LOCALES) {
      const email = render({ customer: customer({ locale: `${locale}-XX` }) });
      expect(email.locale).toBe(locale);
      expect(email.html).toContain(`lang="${locale}"`);
    }
  });

  it('uses the campaign default locale before English', () => {
    const other = LOCALES.find((l) => l !== 'en');
    if (!other) return; // only English shipped: nothing to prefer
    const email = render({ customer: customer({ locale: 'xx' }), config: { ...config, defaultLocale: other } });
    expect(email.locale).toBe(other);
  });

  it('fails loudly for a template that does not exist', () => {
    expect(() => render({ step: stepFor('no-such-template') })).toThrow(/unknown email template: no-such-template/);
  });
});

describe('renderWinbackEmail: every template in every shipped locale', () => {
  for (const locale of LOCALES) {
    for (const template of TEMPLATE_IDS) {
      it(`${template} in ${locale}`, () => {
        const email = render({
          customer: customer({ locale }),
          step: stepFor(template),
          unsubscribeUrl: UNSUBSCRIBE_URL,
        });
        expect(email.locale).toBe(locale);
        expect(email.subject.trim()).not.toBe('');
        expect(email.subject).toContain('Ana');
        expect(email.text).toContain('Ana');
        expect(email.html).toMatch(/^<!doctype html>/i);
        expect(email.html).toContain(`<bdi>Ana</bdi>`);
        if (template !== 'last-chance') expect(`${email.text}${email.html}`).toContain('45');
        // no markup in the text part (links are written as <https://…>)
        expect(email.text.replace(/<(?:https?|mailto):[^>\s]+>/g, '')).not.toMatch(/<\/?[a-z][^>]*>/i);
        expect(email.text).toContain(SHOP_URL);
        expect(email.text).toContain(UNSUBSCRIBE_URL);
        expect(email.html).toContain(`href="${escapeHtml(SHOP_URL)}"`);
        expect(email.html).toContain(`href="${escapeHtml(UNSUBSCRIBE_URL)}"`);
        for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(/\{\{|\{%|%\}|\}\}/);
        const withOffer = template !== 'miss-you';
        expect(`${email.text}${email.html}`.includes('SAVE20NOW')).toBe(withOffer);
        expect(/20\s?%/u.test(`${email.subject}${email.text}`)).toBe(withOffer);
      });
    }
  }

  it('without a name: a greeting that reads without one, and no empty name markup', () => {
    for (const locale of LOCALES) {
      for (const template of TEMPLATE_IDS) {
        const email = render({ customer: customer({ name: undefined, locale }), step: stepFor(template) });
        expect(email.html).not.toContain('<bdi>');
        expect(email.subject).not.toMatch(/^\s*[,،]/u);
        expect(email.subject).not.toMatch(/\s{2,}/u);
        expect(email.text).not.toMatch(/ ,/u);
      }
    }
    const english = render({ customer: customer({ name: ' \r\n\t ' }), step: stepFor('miss-you') });
    expect(english.text).toContain('Hi there,');
  });
});

describe('renderWinbackEmail: personalisation', () => {
  it('says how many days since the last purchase, pluralised and formatted for the language', () => {
    expect(render().text).toContain('It’s been 45 days since your last order at Acme & Co.');
    const oneDay = { lastPurchaseAt: '2024-02-14T10:00:00.000Z' };
    expect(render({ customer: customer(oneDay) }).text).toContain('It’s been 1 day since');
    const long = render({ customer: customer({ lastPurchaseAt: '2020-01-01T00:00:00.000Z' }) });
    expect(long.text).toContain('It’s been 1,506 days');
  });

  it('leaves out the days sentence without a last purchase', () => {
    const email = render({ customer: customer({ lastPurchaseAt: undefined }) });
    expect(email.text).not.toContain('since your last order');
    expect(email.html).not.toContain('since your last order');
  });

  it('addresses by first name, but Korean names (family name first) whole', () => {
    expect(render({ customer: customer({ name: 'Ana María López' }) }).subject).toMatch(/^Ana, /);
    if (LOCALES.includes('ko')) {
      const ko = render({ customer: customer({ name: '김민지', locale: 'ko' }) });
      expect(ko.subject).toContain('김민지');
    }
  });

  it('escapes hostile names in the HTML part and keeps them readable in the text part', () => {
    for (const name of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "O'Brien & <Sons>"]) {
      const email = render({ customer: customer({ name: name.replace(/ /g, '') }) });
      const first = name.replace(/ /g, '');
      expect(email.html).not.toContain(first);
      const bdi = /<bdi>([^<]*)<\/bdi>/.exec(email.html)?.[1] ?? '';
      expect(decodeEntities(bdi)).toBe(first);
      expect(email.html.toLowerCase()).not.toContain('<script');
      expect(email.html).not.toContain('<img');
      expect(email.text).toContain(`Hi ${first},`);
    }
  });

  it('keeps emoji and right-to-left names intact', () => {
    for (const name of ['Zoë👩🏽‍💻', 'مريم', 'שרה']) {
      const email = render({ customer: customer({ name }), step: stepFor('miss-you') });
      expect(email.subject.startsWith(`${name},`)).toBe(true);
      expect(email.html).toContain(`<bdi>${name}</bdi>`);
    }
  });

  it('strips CR/LF and bidi overrides from the name in the subject and shortens long names', () => {
    const email = render({ customer: customer({ name: 'Ana\r\nBcc: victim@example.com\u202e' }) });
    expect(email.subject).not.toMatch(/[\r\n\u202e]/u);
    expect(email.subject.startsWith('Ana, ')).toBe(true);
    const long = render({ customer: customer({ name: 'x'.repeat(200) }), step: stepFor('miss-you') });
    expect(long.subject.startsWith(`${'x'.repeat(39)}…,`)).toBe(true);
    expect(long.text).toContain(`Hi ${'x'.repeat(200)},`);
  });

  it('property: no markup, Liquid or header injection through the name, whatever it is, in any locale', () => {
    const hostile = fc.constantFrom(
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      "'; DROP TABLE customers; --",
      'Ana\r\nBcc: x@example.com',
      '\u202eevil',
      '{{ offer_code }} {% raw %}',
      '{{shop_name}}',
    );
    const name = fc
      .oneof(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ maxLength: 200 }),
        hostile,
      )
      .map((s) => s.slice(0, 200));
    const benign = new Map<string, string[]>();
    fc.assert(
      fc.property(name, fc.constantFrom(...TEMPLATE_IDS), fc.constantFrom(...LOCALES), (n, template, locale) => {
        const email = render({ customer: customer({ name: n, locale }), step: stepFor(template) });
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.subject).not.toMatch(/\p{Cc}/u);
        expect(email.html.toLowerCase()).not.toContain('<script');
        // the name adds no element: the tags are those of the same email for a plain name (or no name)
        const key = `${template}/${locale}`;
        let expected = benign.get(key);
        if (!expected) {
          expected = tagNames(render({ customer: customer({ locale }), step: stepFor(template) }).html);
          benign.set(key, expected);
        }
        const tags = tagNames(email.html).filter((t) => t !== 'bdi');
        expect(tags).toEqual(expected.filter((t) => t !== 'bdi'));
        if (!n.includes('SAVE20NOW') && template === 'miss-you') {
          expect(`${email.subject}${email.text}${email.html}`).not.toContain('SAVE20NOW');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderWinbackEmail: links and HTML shape', () => {
  it('includes the unsubscribe link only when given', () => {
    for (const locale of LOCALES) {
      const without = render({ customer: customer({ locale }) });
      expect(without.html).not.toContain('acme.example/unsubscribe');
      expect(without.text).not.toContain('acme.example/unsubscribe');
    }
    expect(render({ unsubscribeUrl: UNSUBSCRIBE_URL }).text).toContain(`Unsubscribe <${UNSUBSCRIBE_URL}>`);
  });

  it('explains why the email was sent', () => {
    const email = render();
    expect(email.text).toContain('you agreed to receive marketing emails from Acme & Co.');
    expect(email.html).toContain('you agreed to receive marketing emails from Acme &amp; Co.');
  });

  it('is a self-contained, table-based responsive document: no scripts, no remote images or styles', () => {
    for (const template of TEMPLATE_IDS) {
      const { html } = render({ step: stepFor(template), unsubscribeUrl: UNSUBSCRIBE_URL });
      expect(html).toContain('<table');
      expect(html).toContain('&amp;utm_campaign');
      expect(html).toContain('<meta name="viewport"');
      expect(html).not.toMatch(/<script|<link|src="http|url\(http/i);
      expect(html).toContain('<title>Acme &amp; Co</title>');
      expect(html.trimEnd().endsWith('</html>')).toBe(true);
      expect(Buffer.byteLength(html)).toBeLessThan(100 * 1024);
    }
  });

  it('rejects non-http links', () => {
    expect(() => render({ config: { ...config, shopUrl: 'javascript:alert(1)' } })).toThrow(/shopUrl/);
    expect(() => render({ unsubscribeUrl: 'javascript:alert(1)' })).toThrow(/unsubscribeUrl/);
    expect(() => render({ unsubscribeUrl: 'not a url' })).toThrow(/unsubscribeUrl/);
    expect(render({ unsubscribeUrl: 'mailto:unsubscribe@acme.example' }).html).toContain('mailto:');
  });

  it('does not expand Liquid found in values', () => {
    const email = render({ customer: customer({ name: '{{offer_code}}' }), step: stepFor('miss-you') });
    expect(email.text).toContain('Hi {{offer_code}},');
    expect(email.text).not.toContain('SAVE20NOW');
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml('plain ✓ 👍')).toBe('plain ✓ 👍');
  });
});
