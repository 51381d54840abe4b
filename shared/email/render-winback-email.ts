/**
 * One campaign email for a customer and a step: the step's template (templates folder, compiled into the bundle)
 * in the customer's locale, filled with the campaign's shop and offer. Pure: `now` is passed in.
 */
import type { Customer } from '../domain/customer.ts';
import type { WinbackConfig, WinbackStep } from '../domain/winback.ts';
import type { RenderedEmail, TemplateRenderer } from './templates/render.ts';

export type { RenderedEmail } from './templates/render.ts';

export interface RenderWinbackInput {
  customer: Pick<Customer, 'name' | 'locale' | 'lastPurchaseAt'>;
  step: WinbackStep;
  /** the campaign's rendering settings (renderingConfig): shop, offer, default locale, template variables */
  config: WinbackConfig;
  /** ISO instant the email is rendered for; used for "days since last purchase". */
  now: string;
  /** When given, both parts carry an unsubscribe link. http(s) or mailto only. */
  unsubscribeUrl?: string;
  templates: TemplateRenderer;
}

export function renderWinbackEmail(input: RenderWinbackInput): RenderedEmail {
  const { customer, step, config } = input;
  return input.templates.render({
    templateId: step.template,
    customer,
    shopName: config.shopName,
    shopUrl: config.shopUrl,
    offerCode: config.offerCode,
    offerPercent: config.offerPercent,
    campaignId: config.campaignId,
    stepId: step.id,
    defaultLocale: config.defaultLocale,
    campaignVars: config.templateVars,
    now: input.now,
    unsubscribeUrl: input.unsubscribeUrl,
  });
}
