/**
 * The emails and the unsubscribe pages as people see them: every template in every shipped locale (the preview
 * `clientele templates preview` writes) and the three unsubscribe pages per locale, loaded in headless Chromium at
 * phone and desktop width. Each must show its own language (script and words), none of the English copy (the
 * fallback a missing translation would leave), and nothing may overflow the viewport. Screenshots are kept in
 * test-artifacts/screenshots/ for a person to look at.
 */
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineConfigSchema } from '../../shared/domain/config.ts';
import { renderPreview } from '../../shared/email/templates/preview.ts';
import { type PageKind, unsubscribePage } from '../../shared/unsubscribe/unsubscribe-page.ts';
import { inspectPage, launchBrowser, WIDTHS } from '../helpers/browser.ts';
import { PAGES, TEMPLATES } from '../helpers/templates.ts';

/**
 * What each shipped language must show, and what would give away the wrong language. A locale shipped without an
 * entry here fails the test: a new translation comes with its check.
 */
const LANGUAGE: Record<string, { has: RegExp; not?: RegExp }> = {
  en: { has: /\b(you|your|order)\b/i },
  de: { has: /\b(du|dich|dein|deine|Bestellung|uns)\b/ },
  da: { has: /\b(dig|din|dit|os|ordre|køb)\b/i, not: /\b(deg|ditt|handlekurv|bestilling)\b/i },
  nb: { has: /\b(deg|din|ditt|oss|bestilling|kjøp)\b/i, not: /\b(dig|dit|afmeld)\b/i },
  ko: { has: /[\uac00-\ud7a3]{2,}/u, not: /\b(the|your|order)\b/i },
  ru: { has: /[\u0400-\u04ff]{3,}/u, not: /\b(the|your|order)\b/i },
  fr: { has: /\b(vous|votre|commande)\b/i },
  es: { has: /\b(tu|te|pedido|compra)\b/i },
  nl: { has: /\b(je|jouw|bestelling|ons)\b/i },
};

const config = EngineConfigSchema.parse({});
const preview = renderPreview(TEMPLATES.bundle, config);
const htmlOf = new Map(preview.files.map((f) => [f.path, f.content]));
const textOf = (templateId: string, locale: string) => htmlOf.get(`${templateId}/${locale}.txt`) ?? '';

/** Sentences of the English text part a translation must not contain (URLs, names and codes are not copy). */
function englishSentences(templateId: string): string[] {
  return textOf(templateId, 'en')
    .split(/\n|(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 14 && !/https?:|@|^Subject:/.test(s) && /[a-z]{3,} [a-z]{3,}/.test(s));
}
const ENGLISH_PAGE_STRINGS = Object.values(PAGES.en ?? {});

let browser: Browser;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ browser, close } = await launchBrowser());
}, 60_000);
afterAll(async () => {
  await close?.();
});

describe('every shipped locale has its language check', () => {
  it('covers the locales of the templates and of the pages', () => {
    const shipped = new Set([...preview.entries.map((e) => e.locale), ...Object.keys(PAGES)]);
    expect([...shipped].filter((l) => !LANGUAGE[l])).toEqual([]);
  });
});

describe('emails in a real browser', () => {
  for (const entry of preview.entries) {
    it(`${entry.templateId} in ${entry.locale}: own language, no English fallback, fits 375 and 1280 px`, async () => {
      const html = htmlOf.get(entry.htmlFile) ?? '';
      const check = LANGUAGE[entry.locale];
      for (const width of WIDTHS) {
        const layout = await inspectPage(browser, html, width, `email-${entry.templateId}-${entry.locale}`);
        expect(layout.overflowing, `${entry.htmlFile} at ${width}px`).toEqual([]);
        expect(layout.scrollWidth).toBeLessThanOrEqual(width);
        expect(layout.text).toMatch(check?.has ?? /(?!)/);
        if (check?.not) expect(layout.text).not.toMatch(check.not);
        if (entry.locale !== 'en') {
          for (const sentence of englishSentences(entry.templateId)) expect(layout.text).not.toContain(sentence);
        }
      }
      expect(entry.htmlBytes).toBeLessThan(100 * 1024);
      expect(entry.subject.length).toBeGreaterThan(0);
    });
  }
});

describe('the preview index page', () => {
  it('lists every template × locale with its subject and fits 375 and 1280 px', async () => {
    const index = htmlOf.get('index.html') ?? '';
    for (const width of WIDTHS) {
      const layout = await inspectPage(browser, index, width, 'preview-index');
      expect(layout.overflowing, `index at ${width}px`).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      for (const entry of preview.entries) expect(layout.text).toContain(entry.subject);
    }
  });
});

describe('unsubscribe pages in a real browser', () => {
  const kinds: PageKind[] = ['confirm', 'done', 'invalid'];
  for (const locale of Object.keys(PAGES)) {
    it(`${locale}: confirm, done and invalid pages in its own language, fitting 375 and 1280 px`, async () => {
      const check = LANGUAGE[locale];
      for (const kind of kinds) {
        const html = unsubscribePage(PAGES, kind, locale, 'sample-token');
        expect(html).toContain(`lang="${locale}"`);
        for (const width of kind === 'confirm' ? WIDTHS : [WIDTHS[0]]) {
          const layout = await inspectPage(browser, html, width, `unsubscribe-${kind}-${locale}`);
          expect(layout.overflowing, `${kind} ${locale} at ${width}px`).toEqual([]);
          expect(layout.scrollWidth).toBeLessThanOrEqual(width);
          if (locale !== 'en') {
            for (const english of ENGLISH_PAGE_STRINGS) expect(layout.text).not.toContain(english);
            if (check?.not) expect(layout.text).not.toMatch(check.not);
          }
          if (kind === 'confirm') expect(layout.text).toContain(PAGES[locale]?.button ?? '(no button)');
        }
      }
    });
  }
});
