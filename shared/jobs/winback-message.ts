import type { EmailRecipient, WinbackConfig, WinbackStep } from '../domain/winback.ts';
import { type RenderedEmail, renderWinbackEmail } from '../email/render-winback-email.ts';
import type { TemplateRenderer } from '../email/templates/render.ts';
import type { OutgoingEmail } from '../ports.ts';
import { signUnsubscribeToken } from '../unsubscribe/token.ts';

export interface UnsubscribeOptions {
  /** the public endpoint, e.g. the Lambda function URL */
  baseUrl: string;
  secret: string;
  mailto?: string | undefined;
}

/** Who sends and with what: the sender address, the unsubscribe links, the compiled templates. */
export interface MessageSettings {
  from: string;
  unsubscribe?: UnsubscribeOptions | undefined;
  templates: TemplateRenderer;
}

/**
 * The email for one customer and step: rendered parts, RFC 8058 one-click headers (List-Unsubscribe with the
 * signed https URL, plus mailto if configured, and List-Unsubscribe-Post), and SES tags that let feedback events
 * find the ledger entry. Tag values allow only [A-Za-z0-9_-], so the customer id travels base64url-encoded.
 */
export function composeWinbackEmail(
  customer: EmailRecipient,
  step: WinbackStep,
  episode: string,
  config: WinbackConfig,
  asOf: string,
  settings: MessageSettings,
): { email: OutgoingEmail; rendered: RenderedEmail } {
  const { from, unsubscribe } = settings;
  const unsubscribeUrl = unsubscribe
    ? `${unsubscribe.baseUrl}${unsubscribe.baseUrl.includes('?') ? '&' : '?'}t=${signUnsubscribeToken(
        {
          customerId: customer.customerId,
          campaignId: config.campaignId,
          issuedAt: Math.floor(Date.parse(asOf) / 1000),
        },
        unsubscribe.secret,
      )}`
    : undefined;
  const rendered = renderWinbackEmail({
    customer,
    step,
    config,
    now: asOf,
    templates: settings.templates,
    ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
  });
  const headers = unsubscribeUrl
    ? [
        {
          name: 'List-Unsubscribe',
          value: [
            `<${unsubscribeUrl}>`,
            ...(unsubscribe?.mailto ? [`<mailto:${unsubscribe.mailto}?subject=unsubscribe>`] : []),
          ].join(', '),
        },
        { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      ]
    : undefined;
  return {
    rendered,
    email: {
      to: customer.email,
      from,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      ...(headers ? { headers } : {}),
      tags: {
        campaign: config.campaignId,
        episode,
        step: step.id,
        customer: Buffer.from(customer.customerId).toString('base64url'),
      },
    },
  };
}
