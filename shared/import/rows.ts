import * as z from 'zod';
import {
  CustomerIdSchema,
  EmailSchema,
  errorMessage,
  InstantSchema,
  LocaleSchema,
  TimeZoneSchema,
} from '../domain/common.ts';
import { CurrencySchema, parseDecimalToMinor } from '../domain/money.ts';

const optionalText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const Bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', 'yes', 'no', '1', '0'], { message: 'must be true/false, yes/no or 1/0' }))
  .transform((v) => v === 'true' || v === 'yes' || v === '1');

/** A date (`YYYY-MM-DD`, read as UTC midnight) or a full ISO-8601 date-time. */
const DateOrInstant = z
  .string()
  .trim()
  .transform((v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00.000Z` : v))
  .pipe(InstantSchema);

/**
 * customers.csv — header: customer_id,email,name,locale,time_zone,signed_up_at,marketing_consent,consent_at,consent_source
 * Only customer_id is required. marketing_consent true/false needs consent_at (when it was given or withdrawn).
 */
export const CustomerCsvRowSchema = z
  .strictObject({
    customer_id: CustomerIdSchema,
    email: optionalText(EmailSchema),
    name: optionalText(z.string().max(200, 'must be at most 200 characters')),
    locale: optionalText(LocaleSchema),
    time_zone: optionalText(TimeZoneSchema),
    signed_up_at: optionalText(DateOrInstant),
    marketing_consent: optionalText(Bool),
    consent_at: optionalText(DateOrInstant),
    consent_source: optionalText(z.string().max(64)),
  })
  .refine((r) => r.marketing_consent === undefined || r.consent_at !== undefined, {
    message: 'is required when marketing_consent is given',
    path: ['consent_at'],
  });
export type CustomerCsvRow = z.infer<typeof CustomerCsvRowSchema>;

/** orders.csv — header: order_id,customer_id,placed_at,amount,currency (amount in major units, e.g. 12.50). */
export const OrderCsvRowSchema = z
  .strictObject({
    order_id: z.string().trim().min(1, 'must not be empty').max(128),
    customer_id: CustomerIdSchema,
    placed_at: DateOrInstant,
    amount: z.string().trim().min(1, 'must not be empty'),
    currency: z.string().trim().toUpperCase().pipe(CurrencySchema),
  })
  .transform((row, ctx) => {
    try {
      const amountMinor = parseDecimalToMinor(row.amount, row.currency);
      if (amountMinor < 0) {
        ctx.addIssue({ code: 'custom', path: ['amount'], message: 'must not be negative' });
        return z.NEVER;
      }
      return {
        orderId: row.order_id,
        customerId: row.customer_id,
        placedAt: row.placed_at,
        amountMinor,
        currency: row.currency,
      };
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: errorMessage(error) });
      return z.NEVER;
    }
  });
export type OrderRecord = z.output<typeof OrderCsvRowSchema>;

/** CDNOW_master.txt line: `customer_id date number_of_cds dollar_value`, whitespace separated, date YYYYMMDD. */
export const CdnowRowSchema = z
  .tuple([
    z.string().regex(/^\d{1,10}$/, 'must be digits'),
    z.string().regex(/^\d{8}$/, 'must be YYYYMMDD'),
    z.string().regex(/^\d{1,6}$/, 'must be a whole number of CDs'),
    z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'must be a non-negative dollar amount'),
  ])
  .transform(([customerId, date, cds, dollars], ctx) => {
    const placedAt = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00.000Z`;
    const parsed = InstantSchema.safeParse(placedAt);
    if (!parsed.success || !parsed.data.startsWith(placedAt.slice(0, 10))) {
      ctx.addIssue({ code: 'custom', path: [1], message: `not a calendar date: ${date}` });
      return z.NEVER;
    }
    return { customerId, placedAt: parsed.data, cds: Number(cds), amountMinor: parseDecimalToMinor(dollars, 'USD') };
  });
