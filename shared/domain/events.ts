import * as z from 'zod';
import { CustomerIdSchema, EmailSchema, InstantSchema, LocaleSchema, TimeZoneSchema } from './common.ts';
import { CurrencySchema, MinorUnitsSchema } from './money.ts';

const EventBase = {
  /** Unique per event; a redelivery carries the same id and is applied once. */
  eventId: z.string().min(1).max(128),
  customerId: CustomerIdSchema,
  occurredAt: InstantSchema,
};

export const CustomerSignedUpSchema = z.strictObject({
  type: z.literal('customer.signed_up'),
  ...EventBase,
  email: EmailSchema.optional(),
  name: z.string().max(200).optional(),
  locale: LocaleSchema.optional(),
  timeZone: TimeZoneSchema.optional(),
  marketingConsent: z.boolean().optional(),
  consentSource: z.string().min(1).max(64).optional(),
});

export const OrderPlacedSchema = z.strictObject({
  type: z.literal('order.placed'),
  ...EventBase,
  orderId: z.string().min(1).max(128),
  amountMinor: MinorUnitsSchema.nonnegative('must not be negative'),
  currency: CurrencySchema,
});

export const ConsentChangedSchema = z.strictObject({
  type: z.literal('consent.changed'),
  ...EventBase,
  marketing: z.boolean(),
  source: z.string().min(1).max(64),
});

/** Everything record-activity accepts, from EventBridge, the CLI or tests. */
export const CustomerEventSchema = z.discriminatedUnion('type', [
  CustomerSignedUpSchema,
  OrderPlacedSchema,
  ConsentChangedSchema,
]);
export type CustomerEvent = z.infer<typeof CustomerEventSchema>;
export type OrderPlaced = z.infer<typeof OrderPlacedSchema>;

/** The stored order: one item per order id, written before the customer aggregate is updated. */
export const OrderSchema = z.object({
  customerId: CustomerIdSchema,
  orderId: z.string().min(1).max(128),
  placedAt: InstantSchema,
  amountMinor: MinorUnitsSchema.nonnegative(),
  currency: CurrencySchema,
  /** Set once the order is counted in the customer's aggregates. */
  applied: z.boolean().default(false),
});
export type Order = z.infer<typeof OrderSchema>;
