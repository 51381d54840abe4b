/**
 * Sample customers for lint, preview and test sends: a natural name per language (names are the hardest part to
 * get right in a subject), someone without a name, and a range of day counts that exercise every plural form.
 */
import type { RenderTemplateInput } from './render.ts';

const SAMPLE_NAMES: Readonly<Record<string, string>> = {
  en: 'Emma Jones',
  de: 'Jonas Müller',
  da: 'Mette Nielsen',
  nb: 'Ingrid Haugen',
  nn: 'Ingrid Haugen',
  no: 'Ingrid Haugen',
  ko: '김민준',
  ru: 'Анна Смирнова',
  fr: 'Élodie Martin',
  es: 'Lucía García',
  nl: 'Sanne de Vries',
};

/** The name a sample customer of this locale has (language default, else English). */
export function sampleName(locale: string): string {
  return SAMPLE_NAMES[locale] ?? SAMPLE_NAMES[locale.split('-')[0] ?? ''] ?? 'Alex Taylor';
}

/** A name of exactly ten characters, as the subject-length rule assumes. */
export const TEN_CHARACTER_NAME = 'Alexandria';

export const SAMPLE_NOW = '2026-11-30T10:00:00.000Z';

/** Day counts covering one, few, many and other in the languages we ship (ru: 1, 2–4, 5–20, 21). */
export const SAMPLE_DAYS: readonly (number | null)[] = [null, 1, 2, 5, 21, 45, 122];

export interface SampleCase {
  label: string;
  input: RenderTemplateInput;
}

export interface SampleSettings {
  shopName: string;
  shopUrl: string;
  offerCode: string;
  offerPercent: number;
  campaignId: string;
  stepId: string;
  campaignVars: Readonly<Record<string, string>>;
}

export const SAMPLE_UNSUBSCRIBE_URL = 'https://unsubscribe.example.com/u?t=sample-token';

function lastPurchase(days: number | null): string | undefined {
  return days === null ? undefined : new Date(Date.parse(SAMPLE_NOW) - days * 86_400_000).toISOString();
}

/** Every case lint renders a template × locale with. */
export function sampleCases(templateId: string, locale: string, settings: SampleSettings): SampleCase[] {
  const base = { templateId, ...settings, now: SAMPLE_NOW, unsubscribeUrl: SAMPLE_UNSUBSCRIBE_URL };
  const names: (string | undefined)[] = [sampleName(locale), TEN_CHARACTER_NAME, undefined];
  const cases: SampleCase[] = [];
  for (const name of names)
    for (const days of SAMPLE_DAYS)
      cases.push({
        label: `${name ?? 'no name'}, ${days === null ? 'no order' : `${days} days`}`,
        input: { ...base, customer: { name, locale, lastPurchaseAt: lastPurchase(days) } },
      });
  cases.push({
    label: 'no unsubscribe link configured',
    input: { ...base, unsubscribeUrl: undefined, customer: { name: sampleName(locale), locale } },
  });
  return cases;
}

/** The one case a preview shows: the language's sample name, 45 days since the last order. */
export function previewCase(templateId: string, locale: string, settings: SampleSettings): RenderTemplateInput {
  return {
    templateId,
    ...settings,
    now: SAMPLE_NOW,
    unsubscribeUrl: SAMPLE_UNSUBSCRIBE_URL,
    customer: { name: sampleName(locale), locale, lastPurchaseAt: lastPurchase(45) },
  };
}
