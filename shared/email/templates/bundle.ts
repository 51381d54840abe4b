/**
 * The compiled templates a deployment sends with: every email template in every locale it has, already through
 * MJML (responsive HTML, CSS inlined) and with its plain-text part derived from the same source, both still
 * holding their Liquid; and the unsubscribe pages' strings per locale. Built from the templates folder at synth
 * (and by the CLI), never in a Lambda: MJML stays out of the bundles. One schema for the file the Lambdas load.
 */
import * as z from 'zod';
import { TemplateIdSchema, TemplateLocaleSchema, TemplateVarNameSchema } from '../../domain/winback.ts';

export { TemplateIdSchema, TemplateLocaleSchema as LocaleKeySchema } from '../../domain/winback.ts';

/** The front matter of one template file. Unknown keys are an error, so a typo never silently does nothing. */
export const FrontMatterSchema = z.strictObject({
  /** Liquid; rendered without HTML escaping, then cleaned to one line (no header injection) */
  subject: z.string().min(1),
  /** Liquid; the inbox preview line, hidden in the body */
  preheader: z.string().default(''),
  /** what the email is for; shown in the preview index */
  description: z.string().max(300).optional(),
  /** per-template constants, available as `template.<name>` */
  vars: z.record(TemplateVarNameSchema, z.string().max(500)).default({}),
});
export type FrontMatter = z.infer<typeof FrontMatterSchema>;

export const CompiledVariantSchema = z.object({
  subject: z.string(),
  preheader: z.string(),
  description: z.string().optional(),
  /** MJML output with Liquid still in it */
  html: z.string(),
  /** plain text derived from the same MJML (without the preheader), Liquid still in it */
  text: z.string(),
  vars: z.record(z.string(), z.string()),
});
export type CompiledVariant = z.infer<typeof CompiledVariantSchema>;

/**
 * The strings of the unsubscribe endpoint's pages, per locale (`<locale>/pages.yml`). Every key is required: a
 * locale with email templates but a missing page string fails the build (`clientele templates lint`, synth).
 */
export const PageStringsSchema = z.strictObject({
  title: z.string().min(1),
  confirm: z.string().min(1),
  button: z.string().min(1),
  done: z.string().min(1),
  invalid: z.string().min(1),
});
export type PageStrings = z.infer<typeof PageStringsSchema>;

export const TemplateBundleSchema = z.object({
  format: z.literal(1),
  /** template id → locale → compiled variant */
  templates: z.record(TemplateIdSchema, z.record(TemplateLocaleSchema, CompiledVariantSchema)),
  pages: z.record(TemplateLocaleSchema, PageStringsSchema),
});
export type TemplateBundle = z.infer<typeof TemplateBundleSchema>;

/** The last locale of every fallback chain: each template needs a variant in it. */
export const FINAL_LOCALE = 'en';
