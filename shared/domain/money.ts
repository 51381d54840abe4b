import * as z from 'zod';

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 code known to the runtime's ICU data (e.g. USD, EUR, JPY). */
export const CurrencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code')
  .refine((code) => KNOWN_CURRENCIES.has(code), 'unknown ISO 4217 currency');
export type Currency = z.infer<typeof CurrencySchema>;

/** Integer amount in the currency's minor unit (cents for USD, yen for JPY). */
export const MinorUnitsSchema = z.number().int('must be an integer number of minor units').safe();

// Building an Intl formatter costs ~50 µs and parsing calls this per row: a base has few currencies.
const digitsCache = new Map<string, number>();
export function minorDigits(currency: Currency): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * Parses a decimal string ("11.77", "12", "0.5") into integer minor units without floating point,
 * so 0.1 + 0.2 style rounding never reaches revenue figures. Rejects more decimals than the currency has.
 */
export function parseDecimalToMinor(text: string, currency: Currency): number {
  const trimmed = text.trim();
  const match = /^(-)?(\d{1,15})(?:\.(\d+))?$/.exec(trimmed);
  if (!match) throw new Error(`not a decimal amount: ${JSON.stringify(text.slice(0, 40))}`);
  const digits = minorDigits(currency);
  const fraction = match[3] ?? '';
  if (fraction.length > digits) throw new Error(`more than ${digits} decimals for ${currency}: ${trimmed}`);
  const minor = Number(match[2]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) throw new Error(`amount too large: ${trimmed}`);
  return match[1] ? -minor : minor;
}

export function formatMinor(amountMinor: number, currency: Currency, locale = 'en'): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amountMinor / 10 ** digits);
}
