/**
 * The digest in the configured locale: every language's table renders a digest with no English sentence from the
 * en table left in it (campaign ids and the shop name are proper nouns), numbers, money, percentages, months and
 * dates formatted with Intl for the locale, the locale fallback chain, and the 100 KB limit in every language.
 */
import { describe, expect, it } from 'vitest';
import { computeShape } from '../../shared/domain/base-shape.ts';
import type { CampaignResult, CampaignResults } from '../../shared/domain/campaign-results.ts';
import { type CohortReport, computeCohorts } from '../../shared/domain/cohort.ts';
import { type DigestContent, digestContent } from '../../shared/domain/digest.ts';
import { formatMinor } from '../../shared/domain/money.ts';
import { endOfDay } from '../../shared/domain/time.ts';
import { DIGEST_MAX_BYTES } from '../../shared/jobs/digest.ts';
import { DIGEST_COPY, DIGEST_LANGUAGES, type DigestCopy, digestLanguage } from '../../shared/reports/digest-copy.ts';
import { renderDigest } from '../../shared/reports/digest-html.ts';
import { syntheticCustomers } from './base-shape-fixtures.ts';

const arm = (n: number, converted: number) => ({
  n,
  converted,
  rate: converted / n,
  low: null,
  high: null,
  revenueMinor: converted * 4200,
  revenuePerEnrolledMinor: (converted * 4200) / n,
  revenueStdDevMinor: null,
});

function campaign(id: string, estimate: boolean): CampaignResult {
  return {
    campaignId: id,
    analysis: 'intent-to-treat',
    measurementDays: 44,
    attributionDays: 30,
    enrolled: 14_250,
    legacyEnrollments: 0,
    treated: arm(12_400, 1_612),
    holdout: arm(1_380, 141),
    uplift: estimate ? 0.0278 : null,
    low: estimate ? 0.0101 : null,
    high: estimate ? 0.0437 : null,
    method: 'Newcombe hybrid score',
    revenueDifferencePerEnrolledMinor: null,
    revenueDifferenceLowMinor: null,
    revenueDifferenceHighMinor: null,
    revenueMethod: 'Welch',
    openWindows: { treated: 310, holdout: 35 },
    steps: [],
  };
}

const CAMPAIGNS: CampaignResults = {
  asOf: '2025-06-18T23:59:59.999Z',
  currency: 'EUR',
  campaigns: [campaign('winback', true), campaign('second-purchase', false)],
};

/** Hand-set figures with five-digit values, so every locale's grouping, decimal mark and currency show. */
const CONTENT: DigestContent = {
  asOf: '2025-06-18T23:59:59.999Z',
  previousAsOf: '2025-06-11T23:59:59.999Z',
  currency: 'EUR',
  month: '2025-05',
  inProgress: { month: '2025-06', day: 18, days: 30 },
  moved: [
    {
      id: 'revenue-last-month',
      unit: 'money',
      value: 12_345_678,
      previous: 11_000_000,
      change: 1_345_678,
      moved: 0.12,
    },
    { id: 'buyers-last-month', unit: 'count', value: 23_456, previous: 21_000, change: 2_456, moved: 0.117 },
    { id: 'new-customers-last-month', unit: 'count', value: 4_321, previous: 5_000, change: -679, moved: 0.1358 },
    { id: 'month-1-retention', unit: 'ratio', value: 0.1875, previous: 0.2, change: -0.0125, moved: 0.0125 },
    { id: 'customers-with-purchase', unit: 'count', value: 98_765, previous: 97_000, change: 1_765, moved: 0.018 },
  ],
  retentionCurve: Array.from({ length: 12 }, (_, i) => ({ period: i + 1, retention: 0.3 / (i + 1), cohorts: 12 - i })),
};
const LINK = 'https://reports.example.com/cohorts/2025-06-18/report.html';
const EXPIRES = '2025-06-19T06:00:00.000Z';
const TITLE = 'Example Shop';

const render = (locale: string, content = CONTENT) =>
  renderDigest({
    content,
    campaigns: CAMPAIGNS,
    reportUrl: LINK,
    reportUrlExpiresAt: EXPIRES,
    locale,
    title: TITLE,
  });

/** Every text of a table, its functions called with a marker for each argument. */
function texts(copy: DigestCopy): string[] {
  const marker = '\u0001';
  const argsWith = (more: boolean) => new Proxy({}, { get: (_, key) => (key === 'more' ? more : marker) });
  const args = argsWith(true);
  const out: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string') out.push(value);
    else if (typeof value === 'function') {
      const called = (value as (a: unknown) => string)(args);
      out.push(called);
      out.push((value as (a: unknown) => string)(argsWith(false)));
    } else if (value && typeof value === 'object') for (const v of Object.values(value)) visit(v);
  };
  // Functions take either one argument object or one string: the Proxy stands for both ('' + proxy fails, so
  // string-argument functions get the marker itself).
  for (const [key, value] of Object.entries(copy)) {
    if (typeof value === 'function' && ['heading', 'since', 'period', 'linkUntil'].includes(key)) {
      out.push((value as (s: string) => string)(marker));
    } else if (key === 'figures') {
      for (const f of Object.values(value as DigestCopy['figures'])) out.push(f.label(marker), f.explanation);
    } else visit(value);
  }
  return out.flatMap((t) => t.split(marker));
}

/** The English sentences and phrases: fragments of two words or more (single words can be cognates). */
const ENGLISH = [
  ...new Set(
    texts(DIGEST_COPY.en)
      .map((t) => t.replace(/^[\s(),.;:–-]+|[\s(),.;:–-]+$/g, ''))
      .filter((t) => /\p{L}{2,}\s+\p{L}{2,}/u.test(t)),
  ),
];

describe('the digest in every language', () => {
  it('has a table for each language of the customer emails', () => {
    expect([...DIGEST_LANGUAGES].sort()).toEqual(['da', 'de', 'en', 'es', 'fr', 'ko', 'nb', 'nl', 'ru']);
    // a sanity check of the list the next test relies on
    expect(ENGLISH).toEqual(expect.arrayContaining(['The numbers that moved', 'Open the full report', 'Revenue in']));
    expect(ENGLISH.length).toBeGreaterThan(40);
  });

  for (const language of DIGEST_LANGUAGES.filter((l) => l !== 'en')) {
    it(`${language}: no English sentence of the en table, the locale's numbers and dates`, () => {
      const digest = render(language);
      const all = `${digest.subject}\n${digest.html}\n${digest.text}`;
      const left = ENGLISH.filter((phrase) => all.includes(phrase));
      expect(left).toEqual([]);
      expect(digest.html).toContain(`<html lang="${language}">`);
      // Proper nouns stay as they are.
      expect(digest.text).toContain('winback');
      expect(digest.subject).toContain(TITLE);

      const number = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
      const percent = new Intl.NumberFormat(language, {
        style: 'percent',
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      });
      const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
      const month = new Intl.DateTimeFormat(language, { month: 'long', year: 'numeric', timeZone: 'UTC' });
      for (const expected of [
        number.format(23_456),
        number.format(98_765),
        formatMinor(12_345_678, 'EUR', language),
        percent.format(0.1875),
        date.format(new Date(CONTENT.asOf)),
        month.format(new Date('2025-05-15T00:00:00Z')),
        month.format(new Date('2025-06-15T00:00:00Z')),
      ]) {
        expect(digest.text, expected).toContain(expected);
      }
      // Korean groups digits as English does; every other locale here does not.
      if (language !== 'ko') {
        expect(digest.text).not.toContain('23,456');
        expect(digest.text).not.toContain('18.8%');
      }
      expect(Buffer.byteLength(digest.html)).toBeLessThanOrEqual(DIGEST_MAX_BYTES);
    });
  }

  it('en: the sentences the other languages must not contain are there', () => {
    const digest = render('en');
    for (const phrase of ['The numbers that moved', 'Revenue in May 2025', 'Open the full report']) {
      expect(digest.text + digest.html).toContain(phrase);
    }
    expect(digest.text).toContain('23,456');
    expect(digest.text).toContain('€123,456.78');
    expect(digest.text).toContain('18.8%');
    expect(digest.text).toContain('In progress: June 2025 (day 18 of 30). Monthly figures are for May 2025.');
    expect(digest.text).toContain('The link works until Jun 19, 2025, 06:00 AM UTC at the latest.');
    expect(digest.text).toContain(
      'Customers assigned to emails bought 2.8 pt more often within 44 days of enrollment than the hold-out (13.0% of 12,400 vs 10.2% of 1,380); 95% interval +1.0 pt to +4.4 pt. The emails raised purchases.',
    );
  });

  it('picks the language by the fallback chain and formats for the full tag', () => {
    expect(digestLanguage('nb-NO')).toBe('nb');
    expect(digestLanguage('no')).toBe('nb');
    expect(digestLanguage('nn-NO')).toBe('nb');
    expect(digestLanguage('de-CH')).toBe('de');
    expect(digestLanguage('da-DK')).toBe('da');
    expect(digestLanguage('sv-SE')).toBe('en');
    // Swiss German: German text, Swiss grouping (’).
    const swiss = render('de-CH');
    expect(swiss.text).toContain('Was sich bewegt hat');
    expect(swiss.text).toContain(new Intl.NumberFormat('de-CH').format(23_456));
    expect(swiss.text).not.toContain('23.456');
    // Swedish has no table: English text, Swedish numbers.
    const swedish = render('sv-SE');
    expect(swedish.text).toContain('The numbers that moved');
    expect(swedish.text).toContain(new Intl.NumberFormat('sv-SE').format(23_456));
  });

  it('Russian and Korean count days with their own forms; ratios change in the locale’s points', () => {
    expect(render('ru').text).toContain('за 44 дня после включения');
    const one = { ...CAMPAIGNS, campaigns: [{ ...campaign('winback', true), measurementDays: 21 }] };
    expect(
      renderDigest({ content: CONTENT, campaigns: one, reportUrl: LINK, locale: 'ru', title: TITLE }).text,
    ).toContain('за 21 день');
    const many = { ...CAMPAIGNS, campaigns: [{ ...campaign('winback', true), measurementDays: 30 }] };
    expect(
      renderDigest({ content: CONTENT, campaigns: many, reportUrl: LINK, locale: 'ru', title: TITLE }).text,
    ).toContain('за 30 дней');
    expect(render('ko').text).toContain('44일');
    expect(render('de').text).toContain('(-1,3 Pp.)');
    expect(render('ko').text).toContain('-1.3 %p');
  });

  it('stays under 100 KB in every language on a realistic base, with no link note without an expiry', () => {
    const end = '2025-06-18T23:59:59.999Z';
    const { customers } = syntheticCustomers(3000, end);
    const reportAt = (asOf: string): CohortReport => ({
      ...computeCohorts(customers, asOf, 'USD', asOf),
      baseShape: computeShape(customers, asOf, 'USD'),
    });
    const content = digestContent(reportAt(end), reportAt(endOfDay('2025-06-11')));
    for (const language of DIGEST_LANGUAGES) {
      const digest = renderDigest({ content, campaigns: CAMPAIGNS, reportUrl: LINK, locale: language, title: TITLE });
      expect(Buffer.byteLength(digest.html), language).toBeLessThanOrEqual(DIGEST_MAX_BYTES);
      expect(digest.text).not.toContain(DIGEST_COPY[language].linkUntil('').trim().slice(0, 8));
    }
  });
});
