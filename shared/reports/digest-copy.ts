/**
 * The digest's fixed text, one table per language. `DigestCopy` names every string the digest prints, so a
 * language that misses one, or a language missing from DIGEST_COPY, fails type checking. Numbers, money, dates and
 * month names are formatted by the renderer with Intl for the configured locale and passed in as strings; the
 * tables only place them. Customer emails use the same languages and the same fallback chain (templates/).
 */
import type { FigureId } from '../domain/digest.ts';
import { localeChain } from '../email/templates/locale.ts';
import { da } from './digest-copy/da.ts';
import { de } from './digest-copy/de.ts';
import { en } from './digest-copy/en.ts';
import { es } from './digest-copy/es.ts';
import { fr } from './digest-copy/fr.ts';
import { ko } from './digest-copy/ko.ts';
import { nb } from './digest-copy/nb.ts';
import { nl } from './digest-copy/nl.ts';
import { ru } from './digest-copy/ru.ts';

/** Forms of a counted phrase by plural category (Intl.PluralRules); `{n}` stands for the formatted number. */
export type PluralForms = { readonly other: string } & { readonly [C in Intl.LDMLPluralRule]?: string };

export interface CampaignHeadlineCopy {
  /** no window has closed in both arms yet; `days` is a `days` phrase, the counts are formatted */
  noEstimate(a: { days: string; treated: string; holdout: string }): string;
  /** the intent-to-treat headline; rates and the interval bounds come formatted, with their unit */
  estimate(a: {
    uplift: string;
    more: boolean;
    days: string;
    treatedRate: string;
    treatedN: string;
    holdoutRate: string;
    holdoutN: string;
    confidence: string;
    low: string;
    high: string;
  }): string;
  raised: string;
  lowered: string;
  unclear: string;
}

export interface DigestCopy {
  subject(a: { title: string; date: string }): string;
  heading(date: string): string;
  /** the comparison line under the heading */
  since(date: string): string;
  firstDigest: string;
  movedHeading: string;
  /** the figures' heading when there is no previous snapshot */
  firstHeading: string;
  /** `month` is the last complete month, formatted (e.g. "March 2024") */
  figures: { readonly [F in FigureId]: { label(month: string): string; explanation: string } };
  /** the as-of month is not over: its figures wait for the next digest */
  inProgress(a: { month: string; day: string; days: string; last: string }): string;
  curveHeading: string;
  curveNote: string;
  /** the chart table's accessible name */
  curveLabel: string;
  /** a row of the retention chart: period k (formatted) */
  period(k: string): string;
  noCurve: string;
  campaignsHeading: string;
  noCampaigns: string;
  campaign: CampaignHeadlineCopy;
  /** "30 days" in the case the campaign sentences use it */
  days: PluralForms;
  /** unit of a change in percentage points */
  points: string;
  openReport: string;
  /** under the link when it expires (a presigned URL): `dateTime` formatted, with its time zone */
  linkUntil(dateTime: string): string;
  footer: string;
  /** the plain-text part's label of the link */
  fullReport: string;
}

export const DIGEST_LANGUAGES = ['en', 'de', 'da', 'nb', 'ko', 'ru', 'fr', 'es', 'nl'] as const;
export type DigestLanguage = (typeof DIGEST_LANGUAGES)[number];

export const DIGEST_COPY: { readonly [L in DigestLanguage]: DigestCopy } = { en, de, da, nb, ko, ru, fr, es, nl };

function isDigestLanguage(tag: string): tag is DigestLanguage {
  return (DIGEST_LANGUAGES as readonly string[]).includes(tag);
}

/** The digest's language for a locale: the first of its chain (`nb-NO` → `nb` → `no` → `en`) that has a table. */
export function digestLanguage(locale: string): DigestLanguage {
  return localeChain(locale, undefined).find(isDigestLanguage) ?? 'en';
}

/** `forms` for `count` in `locale`, with `{n}` replaced by the formatted count. */
export function countPhrase(forms: PluralForms, count: number, formatted: string, locale: string): string {
  const category = new Intl.PluralRules(locale).select(count);
  return (forms[category] ?? forms.other).replace('{n}', formatted);
}
