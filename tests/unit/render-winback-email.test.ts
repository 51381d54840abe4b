import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Customer, CustomerSchema } from '../../shared/domain/customer.ts';
import { type WinbackConfig, WinbackConfigSchema, type WinbackStep } from '../../shared/domain/winback.ts';
import {
  escapeHtml,
  type RenderWinbackInput,
  renderWinbackEmail,
  resolveLocale,
  SUPPORTED_LOCALES,
} from '../../shared/email/render-winback-email.ts';

const NOW = '2024-02-15T12:00:00.000Z';
const LAST_PURCHASE_45_DAYS = '2024-01-01T00:00:00.000Z';
const SHOP_URL = 'https://acme.example/welcome-back?utm_source=email&utm_campaign=winback';
const UNSUBSCRIBE_URL = 'https://acme.example/unsubscribe?token=abc&sig=x%22y';
const TEMPLATES = ['miss-you', 'offer', 'last-chance'] as const;
const LOCALES = ['en', 'de', 'fr', 'es', 'nl'] as const;

const config: WinbackConfig = WinbackConfigSchema.parse({
  shopName: 'Acme & Co',
  shopUrl: SHOP_URL,
  offerCode: 'SAVE20NOW',
  offerPercent: 20,
});

function stepFor(template: WinbackStep['template']): WinbackStep {
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

function render(overrides: Partial<RenderWinbackInput> & { customer?: Customer } = {}) {
  return renderWinbackEmail({ customer: customer(), step: stepFor('offer'), config, now: NOW, ...overrides });
}

/** A phrase only that locale's copy of that template uses (checked case-insensitively in subject + text + html). */
const KNOWN: Record<(typeof LOCALES)[number], Record<(typeof TEMPLATES)[number], string>> = {
  en: { 'miss-you': 'we miss you', offer: 'welcome-back gift', 'last-chance': 'expires soon' },
  de: { 'miss-you': 'wir vermissen dich', offer: 'willkommensgeschenk', 'last-chance': 'läuft bald ab' },
  fr: { 'miss-you': 'vous nous manquez', offer: 'cadeau de bienvenue', 'last-chance': 'expire bientôt' },
  es: { 'miss-you': 'te echamos de menos', offer: 'regalo de bienvenida', 'last-chance': 'caduca pronto' },
  nl: { 'miss-you': 'we missen je', offer: 'welkomstcadeau', 'last-chance': 'verloopt binnenkort' },
};
const GREETING: Record<(typeof LOCALES)[number], string> = {
  en: 'Hi Ana,',
  de: 'Hallo Ana,',
  fr: 'Bonjour Ana,',
  es: 'Hola, Ana:',
  nl: 'Hallo Ana,',
};
const ALLOWED_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'body', 'div', 'table', 'tr', 'td']);
for (const tag of ['h1', 'p', 'a', 'bdi', 'br']) ALLOWED_TAGS.add(tag);

function tagNames(html: string): string[] {
  return [...html.matchAll(/<\/?([^\s>/]*)/g)].map((m) => (m[1] ?? '').toLowerCase());
}

describe('renderWinbackEmail: locales and templates', () => {
  it('supports en, de, fr, es, nl', () => {
    expect([...SUPPORTED_LOCALES].sort()).toEqual([...LOCALES].sort());
  });

  for (const locale of LOCALES) {
    for (const template of TEMPLATES) {
      it(`${template} in ${locale}`, () => {
        const email = render({ customer: customer({ locale }), step: stepFor(template) });
        expect(email.locale).toBe(locale);
        expect(email.subject.trim()).not.toBe('');
        expect(email.text.trim()).not.toBe('');
        expect(email.html).toMatch(/^<!DOCTYPE html>/);
        expect(email.html).toContain(`<html lang="${locale}"`);
        const all = `${email.subject}\n${email.text}\n${email.html}`.toLowerCase();
        expect(all).toContain(KNOWN[locale][template]);
        // no other language's copy of this template leaks in
        for (const other of LOCALES.filter((l) => l !== locale)) {
          expect(all).not.toContain(KNOWN[other][template]);
        }
        expect(email.text).toContain(GREETING[locale]);
        expect(email.html).toContain(escapeHtml(GREETING[locale]).replace('Ana', '<bdi>Ana</bdi>'));
        expect(email.text).toContain('45');
        expect(email.html).toContain('45');
        expect(email.text).not.toMatch(/<\/?[a-z][^>]*>/i);
      });
    }
  }

  it('falls back to English for an unsupported locale', () => {
    const email = render({ customer: customer({ locale: 'xx' }), step: stepFor('miss-you') });
    expect(email.locale).toBe('en');
    expect(email.subject).toContain('we miss you');
    expect(email.html).toContain('<html lang="en"');
  });

  it('uses the base language of a regional tag', () => {
    const email = render({ customer: customer({ locale: 'de-AT' }), step: stepFor('offer') });
    expect(email.locale).toBe('de');
    expect(email.text).toContain('Hallo Ana,');
    expect(resolveLocale('fr-CA')).toBe('fr');
    expect(resolveLocale('es_MX')).toBe('es');
    expect(resolveLocale('NL')).toBe('nl');
    expect(resolveLocale('pt-BR')).toBe('en');
    expect(resolveLocale('')).toBe('en');
    expect(resolveLocale('not a tag!')).toBe('en');
    expect(resolveLocale('constructor')).toBe('en');
  });
});

describe('renderWinbackEmail: personalisation', () => {
  it('uses a neutral greeting and subject without a name', () => {
    const email = render({ customer: customer({ name: undefined }), step: stepFor('miss-you') });
    expect(email.text.startsWith('Hi there,')).toBe(true);
    expect(email.subject).toBe('We miss you at Acme & Co');
    expect(email.html).not.toContain('<bdi>');
  });

  it('treats a name of only whitespace and control characters as no name', () => {
    const email = render({ customer: customer({ name: ' \r\n\t ' }), step: stepFor('miss-you') });
    expect(email.text.startsWith('Hi there,')).toBe(true);
  });

  it('says how many days since the last purchase, pluralised', () => {
    expect(render().text).toContain('It’s been 45 days since your last order at Acme & Co.');
    const oneDay = { lastPurchaseAt: '2024-02-14T10:00:00.000Z' };
    expect(render({ customer: customer(oneDay) }).text).toContain('It’s been 1 day since');
    expect(render({ customer: customer({ ...oneDay, locale: 'de' }) }).text).toContain('ist 1 Tag vergangen');
    expect(render({ customer: customer({ locale: 'de' }) }).text).toContain('sind 45 Tage vergangen');
    expect(render({ customer: customer({ ...oneDay, locale: 'fr' }) }).text).toContain('à 1 jour.');
    expect(render({ customer: customer({ ...oneDay, locale: 'es' }) }).text).toContain('Ha pasado 1 día');
    expect(render({ customer: customer({ locale: 'es' }) }).text).toContain('Han pasado 45 días');
    expect(render({ customer: customer({ ...oneDay, locale: 'nl' }) }).text).toContain('1 dag geleden');
    expect(render({ customer: customer({ locale: 'nl' }) }).text).toContain('45 dagen geleden');
  });

  it('formats large day counts for the locale', () => {
    const email = render({ customer: customer({ lastPurchaseAt: '2020-01-01T00:00:00.000Z' }) });
    expect(email.text).toContain('It’s been 1,506 days');
  });

  it('leaves out the days sentence without a last purchase', () => {
    const email = render({ customer: customer({ lastPurchaseAt: undefined }) });
    expect(email.text).not.toContain('since your last order');
    expect(email.html).not.toContain('since your last order');
  });

  it('escapes hostile names in the HTML part', () => {
    for (const name of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "O'Brien & <Sons>"]) {
      const email = render({ customer: customer({ name }) });
      expect(email.html).not.toContain(name);
      expect(email.html).toContain(`<bdi>${escapeHtml(name)}</bdi>`);
      expect(email.html.toLowerCase()).not.toContain('<script');
      expect(email.html).not.toContain('<img');
      expect(email.text).toContain(`Hi ${name},`);
    }
  });

  it('keeps emoji and right-to-left names intact', () => {
    for (const name of ['Zoë 👩🏽‍💻', 'مريم', 'שרה']) {
      const email = render({ customer: customer({ name }), step: stepFor('miss-you') });
      expect(email.subject).toBe(`${name}, we miss you`);
      expect(email.html).toContain(`<bdi>${name}</bdi>`);
    }
  });

  it('strips CR/LF and bidi overrides from the name in the subject and shortens long names', () => {
    const email = render({
      customer: customer({ name: 'Ana\r\nBcc: victim@example.com\u202e' }),
      step: stepFor('miss-you'),
    });
    expect(email.subject).toBe('Ana Bcc: victim@example.com, we miss you');
    const long = render({ customer: customer({ name: 'x'.repeat(200) }), step: stepFor('miss-you') });
    expect(long.subject).toBe(`${'x'.repeat(39)}…, we miss you`);
    expect(long.text).toContain(`Hi ${'x'.repeat(200)},`);
  });

  it('property: no markup or header injection through the name, whatever it is', () => {
    const hostile = fc.constantFrom(
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      "'; DROP TABLE customers; --",
      'Ana\r\nBcc: x@example.com',
      '\u202eevil',
      '{shop} {code} {name}',
    );
    const name = fc
      .oneof(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ maxLength: 200 }),
        hostile,
      )
      .map((s) => s.slice(0, 200));
    fc.assert(
      fc.property(name, fc.constantFrom(...TEMPLATES), fc.constantFrom(...LOCALES), (n, template, locale) => {
        const email = render({ customer: customer({ name: n, locale }), step: stepFor(template) });
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.subject).not.toMatch(/\p{Cc}/u);
        expect(email.html.toLowerCase()).not.toContain('<script');
        for (const tag of tagNames(email.html)) expect(ALLOWED_TAGS).toContain(tag);
        if (!n.includes('{')) expect(`${email.subject}${email.text}${email.html}`).not.toContain('{');
      }),
      { numRuns: 300 },
    );
  });

  it('property: the raw name never reaches the HTML when it contains < or "', () => {
    const name = fc
      .tuple(fc.string({ maxLength: 80 }), fc.constantFrom('<', '"'), fc.string({ unit: 'grapheme', maxLength: 80 }))
      .map(([a, special, b]) => `zq${a}${special}${b}`.slice(0, 200));
    fc.assert(
      fc.property(name, fc.constantFrom(...TEMPLATES), (n, template) => {
        const email = render({ customer: customer({ name: n }), step: stepFor(template) });
        expect(email.html).not.toContain(n);
        expect(email.html).not.toContain('<script');
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderWinbackEmail: offer, links and HTML shape', () => {
  it('shows the offer code in offer and last-chance, never in miss-you', () => {
    for (const locale of LOCALES) {
      for (const template of ['offer', 'last-chance'] as const) {
        const email = render({ customer: customer({ locale }), step: stepFor(template) });
        expect(email.text).toContain('SAVE20NOW');
        expect(email.html).toContain('SAVE20NOW');
        expect(`${email.subject}${email.text}`).toMatch(/20\s?%/u);
      }
      const missYou = render({ customer: customer({ locale }), step: stepFor('miss-you') });
      expect(`${missYou.subject}${missYou.text}${missYou.html}`).not.toContain('SAVE20NOW');
      expect(`${missYou.subject}${missYou.text}`).not.toMatch(/20\s?%/u);
    }
  });

  it('includes the unsubscribe link only when given', () => {
    for (const locale of LOCALES) {
      const without = render({ customer: customer({ locale }) });
      expect(without.html).not.toContain('unsubscribe');
      expect(without.text).not.toContain('unsubscribe');
      const withLink = render({ customer: customer({ locale }), unsubscribeUrl: UNSUBSCRIBE_URL });
      expect(withLink.text).toContain(UNSUBSCRIBE_URL);
      expect(withLink.html).toContain(`href="${escapeHtml(UNSUBSCRIBE_URL)}"`);
    }
    expect(render({ unsubscribeUrl: UNSUBSCRIBE_URL }).text).toContain(`Unsubscribe: ${UNSUBSCRIBE_URL}`);
  });

  it('explains why the email was sent', () => {
    const email = render();
    expect(email.text).toContain('you agreed to receive marketing emails from Acme & Co.');
    expect(email.html).toContain('you agreed to receive marketing emails from Acme &amp; Co.');
  });

  it('is a self-contained, table-based document with an escaped call to action', () => {
    for (const template of TEMPLATES) {
      const { html, text } = render({ step: stepFor(template), unsubscribeUrl: UNSUBSCRIBE_URL });
      expect(html).toContain('<table role="presentation"');
      expect(html).toContain(`href="${escapeHtml(SHOP_URL)}"`);
      expect(html).toContain('&amp;utm_campaign');
      expect(html).not.toContain('src="http');
      expect(html).not.toMatch(/<link|<script|<style|<img|url\(/i);
      expect(html).toContain('<title>');
      expect(html.trimEnd().endsWith('</html>')).toBe(true);
      expect(text).toContain(SHOP_URL);
    }
  });

  it('rejects non-http links', () => {
    expect(() => render({ config: { ...config, shopUrl: 'javascript:alert(1)' } })).toThrow(/shopUrl/);
    expect(() => render({ unsubscribeUrl: 'javascript:alert(1)' })).toThrow(/unsubscribeUrl/);
    expect(() => render({ unsubscribeUrl: 'not a url' })).toThrow(/unsubscribeUrl/);
    expect(render({ unsubscribeUrl: 'mailto:unsubscribe@acme.example' }).html).toContain('mailto:');
  });

  it('does not expand placeholders found in values', () => {
    const email = render({ customer: customer({ name: '{code}' }), step: stepFor('miss-you') });
    expect(email.text).toContain('Hi {code},');
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
