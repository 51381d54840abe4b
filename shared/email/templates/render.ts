/**
 * Renders one email from the compiled templates: the customer's locale variant (fallback chain, locale.ts), the
 * Liquid filled with the typed variables (variables.ts). Strict: an unknown variable or filter throws, it never
 * renders as empty. In the HTML part every output is HTML-escaped; the subject is cleaned to one line so a name
 * cannot inject headers. Pure (no clock, no I/O); parsed templates are cached per renderer.
 */
import { Liquid, type Template } from 'liquidjs';
import { cleanInline, safeUrl, truncateGraphemes } from '../text-safety.ts';
import type { CompiledVariant, TemplateBundle } from './bundle.ts';
import { pickLocale } from './locale.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** the locale variant actually used (recorded on the ledger entry) */
  locale: string;
}

export interface RenderTemplateInput {
  templateId: string;
  /** what the customer record holds */
  customer: { name?: string | undefined; locale?: string | undefined; lastPurchaseAt?: string | undefined };
  shopName: string;
  shopUrl: string;
  offerCode: string;
  offerPercent: number;
  campaignId: string;
  stepId: string;
  /** the campaign's default locale: tried before the final `en` */
  defaultLocale?: string | undefined;
  /** the campaign's `templateVars` */
  campaignVars?: Readonly<Record<string, string>> | undefined;
  /** ISO instant the email is rendered for ("days since the last order") */
  now: string;
  /** http(s) or mailto */
  unsubscribeUrl?: string | undefined;
}

/** Longest name (in graphemes) put into a subject line; longer names are cut with an ellipsis. */
const SUBJECT_NAME_MAX = 40;
/** Languages whose names are written family name first: the whole name is the form of address. */
const FAMILY_NAME_FIRST = new Set(['ko', 'ja', 'zh']);

const DAY_MS = 86_400_000;

/**
 * The one filter we add to Liquid's standard set: `number` formats a number for the variant's language
 * (`{{ days_since_last_order | number }}` → 1,506 · 1.506 · 1 506). Everything else is standard Liquid.
 */
export const CUSTOM_FILTERS = ['number'] as const;

function engine(escapeHtml: boolean): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    // no file system at send time: includes were resolved by MJML at build time
    templates: {},
    ...(escapeHtml ? { outputEscape: 'escape' as const } : {}),
  });
  liquid.registerFilter('number', function (this: { context: { getSync(path: string[]): unknown } }, value: unknown) {
    if (typeof value !== 'number') return value ?? '';
    const locale = this.context.getSync(['locale']);
    return new Intl.NumberFormat(typeof locale === 'string' ? locale : 'en').format(value);
  });
  return liquid;
}

export interface TemplateRenderer {
  readonly bundle: TemplateBundle;
  /** the locale variants of a template (empty when the template does not exist) */
  locales(templateId: string): string[];
  render(input: RenderTemplateInput): RenderedEmail;
}

export function templateRenderer(bundle: TemplateBundle): TemplateRenderer {
  const html = engine(true);
  const text = engine(false);
  const cache = new Map<string, Template[]>();
  const parsed = (liquid: Liquid, key: string, source: string): Template[] => {
    let templates = cache.get(key);
    if (!templates) {
      templates = liquid.parse(source);
      cache.set(key, templates);
    }
    return templates;
  };
  const locales = (templateId: string) => Object.keys(bundle.templates[templateId] ?? {});

  return {
    bundle,
    locales,
    render(input) {
      const variants = bundle.templates[input.templateId];
      if (!variants) throw new Error(`unknown email template: ${input.templateId}`);
      const locale = pickLocale(Object.keys(variants), input.customer.locale, input.defaultLocale);
      const variant: CompiledVariant | undefined = locale === undefined ? undefined : variants[locale];
      if (locale === undefined || !variant) {
        throw new Error(`email template ${input.templateId} has no variant for ${input.customer.locale ?? 'en'}`);
      }
      const context = templateContext(input, locale, variant);
      const key = `${input.templateId}/${locale}`;
      const subjectContext = {
        ...context,
        first_name: truncateGraphemes(context.first_name, SUBJECT_NAME_MAX),
        name: truncateGraphemes(context.name, SUBJECT_NAME_MAX),
      };
      const subject = cleanInline(text.renderSync(parsed(text, `${key}/subject`, variant.subject), subjectContext));
      return {
        subject,
        html: html.renderSync(parsed(html, `${key}/html`, variant.html), context),
        text: tidyText(text.renderSync(parsed(text, `${key}/text`, variant.text), context)),
        locale,
      };
    },
  };
}

export interface TemplateContext {
  first_name: string;
  name: string;
  days_since_last_order: number | null;
  days_plural: string;
  offer_code: string;
  offer_percent: string;
  offer_percent_value: number;
  shop_name: string;
  shop_url: string;
  unsubscribe_url: string | null;
  locale: string;
  campaign_id: string;
  step_id: string;
  campaign: Readonly<Record<string, string>>;
  template: Readonly<Record<string, string>>;
}

/** The variables of variables.ts for one customer, step and locale. */
export function templateContext(input: RenderTemplateInput, locale: string, variant: CompiledVariant): TemplateContext {
  const name = cleanInline(input.customer.name ?? '');
  const language = locale.split('-')[0] ?? locale;
  const firstName = FAMILY_NAME_FIRST.has(language) ? name : (name.split(' ')[0] ?? '');
  const last = input.customer.lastPurchaseAt;
  const days = last === undefined ? null : Math.max(0, Math.floor((Date.parse(input.now) - Date.parse(last)) / DAY_MS));
  return {
    first_name: firstName,
    name,
    days_since_last_order: days,
    days_plural: days === null ? '' : new Intl.PluralRules(locale).select(days),
    offer_code: cleanInline(input.offerCode),
    offer_percent: new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
      input.offerPercent / 100,
    ),
    offer_percent_value: input.offerPercent,
    shop_name: cleanInline(input.shopName),
    shop_url: safeUrl(input.shopUrl, ['https:', 'http:'], 'shopUrl'),
    unsubscribe_url:
      input.unsubscribeUrl === undefined
        ? null
        : safeUrl(input.unsubscribeUrl, ['https:', 'http:', 'mailto:'], 'unsubscribeUrl'),
    locale,
    campaign_id: input.campaignId,
    step_id: input.stepId,
    campaign: { ...(input.campaignVars ?? {}) },
    template: { ...variant.vars },
  };
}

/** The text part after Liquid: no trailing spaces, at most one blank line in a row (control tags leave gaps). */
function tidyText(value: string): string {
  return `${value
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
