/**
 * Which locale variant a customer gets: the first of their fallback chain that the template has.
 *   nb-NO → nb → no → (the campaign's default locale) → en
 * Norwegian is the one macrolanguage that needs a rule: `no` is written as bokmål (nb) by nearly everyone, and a
 * nynorsk (nn) reader reads bokmål; Danish and Norwegian are never substituted for each other.
 */
import { FINAL_LOCALE } from './bundle.ts';

const MACROLANGUAGE: ReadonlyMap<string, readonly string[]> = new Map([
  ['nb', ['no']],
  ['nn', ['no', 'nb']],
  ['no', ['nb']],
]);

/** A BCP 47-shaped tag (language, then subtags), lowercase with hyphens: anything else is ignored. */
const TAG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/;

function languageOf(tag: string): string {
  try {
    return new Intl.Locale(tag).language.toLowerCase();
  } catch {
    return tag.split(/[-_]/)[0]?.toLowerCase() ?? '';
  }
}

/** The candidates in order, lowercase, without duplicates. */
export function localeChain(tag: string | undefined, campaignDefault: string | undefined): string[] {
  const chain: string[] = [];
  const add = (candidate: string | undefined) => {
    const c = candidate?.trim().toLowerCase().replace(/_/g, '-');
    if (c && TAG.test(c) && !chain.includes(c)) chain.push(c);
  };
  for (const source of [tag, campaignDefault]) {
    if (!source) continue;
    add(source);
    const language = languageOf(source);
    add(language);
    for (const alternative of MACROLANGUAGE.get(language) ?? []) add(alternative);
  }
  add(FINAL_LOCALE);
  return chain;
}

/** The first locale of the chain among `available`; undefined only when not even the final locale is there. */
export function pickLocale(
  available: Iterable<string>,
  tag: string | undefined,
  campaignDefault: string | undefined,
): string | undefined {
  const have = new Set(available);
  return localeChain(tag, campaignDefault).find((candidate) => have.has(candidate));
}
