/**
 * The variables every email template can use, with what they hold: the contract between the renderer and the
 * templates folder (documented in templates/README.md; `clientele templates lint` rejects any other name).
 */
export const TEMPLATE_VARIABLES = {
  first_name:
    "the customer's first name, '' when unknown (the whole name where the family name comes first: ko, ja, zh); cut to 40 characters in the subject",
  name: "the customer's full name as stored, '' when unknown",
  days_since_last_order: 'whole days since the last order (a number), nil when the customer has not ordered',
  days_plural:
    "the CLDR plural category of days_since_last_order in the template's language: zero, one, two, few, many or other ('' when nil)",
  offer_code: "the campaign's offer code",
  offer_percent: "the campaign's discount, formatted for the language (15 %, 15%, %15)",
  offer_percent_value: 'the discount as a number (15)',
  shop_name: 'the shop name (engine.winback.shopName)',
  shop_url: 'the shop link (https)',
  unsubscribe_url: 'the one-click unsubscribe link, nil when the deployment has none configured',
  locale: 'the locale of the variant being rendered (nb, ko, …)',
  campaign_id: 'the campaign id',
  step_id: 'the campaign step id',
  campaign: "an object: the campaign's `templateVars` (campaign.season, …)",
  template: "an object: this template's front matter `vars` (template.headline_color, …)",
} as const;

export type TemplateVariable = keyof typeof TEMPLATE_VARIABLES;

export const TEMPLATE_VARIABLE_NAMES: readonly string[] = Object.freeze(Object.keys(TEMPLATE_VARIABLES));
