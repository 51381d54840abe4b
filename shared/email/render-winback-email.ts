/**
 * Renders one win-back email (subject, plain-text part, HTML part) for a customer and a sequence step.
 * Pure: no clock, no I/O; `now` is passed in. Every interpolated value is HTML-escaped in the HTML part,
 * and the subject is stripped of control characters so a customer name cannot inject headers.
 */
import type { Customer } from '../domain/customer.ts';
import { daysBetween } from '../domain/time.ts';
import { TEMPLATE_KINDS, type WinbackConfig, type WinbackStep } from '../domain/winback.ts';
import { type CopyLocale, type LocaleCopy, WINBACK_COPY } from './winback-copy.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** The copy language actually used (a base language from SUPPORTED_LOCALES). */
  locale: string;
}

export interface RenderWinbackInput {
  customer: Customer;
  step: WinbackStep;
  config: WinbackConfig;
  /** ISO instant the email is rendered for; used for "days since last purchase". */
  now: string;
  /** When given, both parts carry an unsubscribe link. http(s) or mailto only. */
  unsubscribeUrl?: string;
}

export const SUPPORTED_LOCALES: readonly string[] = Object.freeze(Object.keys(WINBACK_COPY));

const DEFAULT_LOCALE: CopyLocale = 'en';
/** Longest name (in graphemes) put into a subject line; longer names are cut with an ellipsis. */
const SUBJECT_NAME_MAX = 40;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '` so the value is safe in HTML text and in double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Control characters (incl. CR/LF), Unicode line/paragraph separators and bidi embedding/override/isolate
 * controls: none belongs in a name, and in a subject they enable header injection or visual spoofing.
 */
const CONTROL_CHARS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** With the `u` flag this matches only unpaired surrogates, which cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/** One clean line of text: no control characters, no broken surrogates, single spaces, trimmed. */
function cleanInline(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd').replace(CONTROL_CHARS, ' ').replace(/\s+/gu, ' ').trim();
}

function truncateGraphemes(value: string, max: number): string {
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(value)];
  if (graphemes.length <= max) return value;
  return `${graphemes
    .slice(0, max - 1)
    .map((g) => g.segment)
    .join('')
    .trimEnd()}…`;
}

function isCopyLocale(tag: string): tag is CopyLocale {
  return Object.hasOwn(WINBACK_COPY, tag);
}

/** Exact tag if supported, else its base language ('de-AT' → 'de'), else English. */
export function resolveLocale(tag: string | undefined): CopyLocale {
  if (!tag) return DEFAULT_LOCALE;
  const candidates = [tag.toLowerCase(), tag.split(/[-_]/)[0]?.toLowerCase() ?? ''];
  try {
    candidates.push(new Intl.Locale(tag).language);
  } catch {
    // not a well-formed tag: the string split above is all we have
  }
  return candidates.find(isCopyLocale) ?? DEFAULT_LOCALE;
}

function safeUrl(url: string, protocols: readonly string[], what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`${what} must use ${protocols.join(' or ')}`);
  return parsed.href;
}

type Vars = Readonly<Record<string, string>>;
const SLOT = /\{(\w+)\}/g;

/** Fills `{slot}`s in one pass, so a value that itself contains `{shop}` is never expanded. */
function fillText(template: string, vars: Vars): string {
  return template.replace(SLOT, (slot, key: string) => vars[key] ?? slot);
}

/** Like fillText, but escapes the template's literal text; `vars` must already be safe HTML. */
function fillHtml(template: string, htmlVars: Vars): string {
  return template
    .split(/(\{\w+\})/)
    .map((part, i) => (i % 2 === 1 ? (htmlVars[part.slice(1, -1)] ?? escapeHtml(part)) : escapeHtml(part)))
    .join('');
}

export function renderWinbackEmail(input: RenderWinbackInput): RenderedEmail {
  const { customer, step, config, now } = input;
  const locale = resolveLocale(customer.locale);
  const copy: LocaleCopy = WINBACK_COPY[locale];
  const t = copy.templates[step.template];
  if (!t) throw new Error(`unknown win-back template: ${String(step.template)}`);

  const shopUrl = safeUrl(config.shopUrl, ['https:', 'http:'], 'shopUrl');
  const unsubscribeUrl =
    input.unsubscribeUrl === undefined
      ? undefined
      : safeUrl(input.unsubscribeUrl, ['https:', 'http:', 'mailto:'], 'unsubscribeUrl');
  const name = cleanInline(customer.name ?? '');
  const withOffer = TEMPLATE_KINDS[step.template].offer;
  const days = customer.lastPurchaseAt ? daysBetween(customer.lastPurchaseAt, now) : undefined;

  const vars: Record<string, string> = {
    name,
    shop: cleanInline(config.shopName),
    code: cleanInline(config.offerCode),
    percent: new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
      config.offerPercent / 100,
    ),
  };
  let daysSentence: string | undefined;
  if (days !== undefined && days >= 1) {
    vars.days = new Intl.NumberFormat(locale).format(days);
    daysSentence = copy.daysSince[new Intl.PluralRules(locale).select(days)] ?? copy.daysSince.other;
  }
  const htmlVars: Vars = Object.fromEntries(
    Object.entries(vars).map(([key, value]) => [
      key,
      key === 'name' ? `<bdi>${escapeHtml(value)}</bdi>` : escapeHtml(value),
    ]),
  );

  const subject = cleanInline(
    fillText(name ? t.subjectNamed : t.subject, { ...vars, name: truncateGraphemes(name, SUBJECT_NAME_MAX) }),
  );
  const greeting = name ? copy.greetingNamed : copy.greeting;
  const [first = '', ...rest] = t.paragraphs;
  const paragraphs = [daysSentence ? `${daysSentence} ${first}` : first, ...rest];

  const text = renderText({ copy, vars, greeting, paragraphs, withOffer, cta: t.cta, shopUrl, unsubscribeUrl });
  const html = renderHtml({
    copy,
    locale,
    subject,
    preheader: fillHtml(t.preheader, htmlVars),
    heading: fillHtml(t.heading, htmlVars),
    greeting: fillHtml(greeting, htmlVars),
    paragraphs: paragraphs.map((p) => fillHtml(p, htmlVars)),
    code: withOffer ? htmlVars.code : undefined,
    cta: fillHtml(t.cta, htmlVars),
    shopUrl,
    unsubscribeUrl,
    htmlVars,
  });
  return { subject, text, html, locale };
}

interface TextParts {
  copy: LocaleCopy;
  vars: Vars;
  greeting: string;
  paragraphs: readonly string[];
  withOffer: boolean;
  cta: string;
  shopUrl: string;
  unsubscribeUrl: string | undefined;
}

function renderText(p: TextParts): string {
  const f = (template: string) => fillText(template, p.vars);
  const blocks = [f(p.greeting), ...p.paragraphs.map(f)];
  if (p.withOffer) blocks.push(`${f(p.copy.codeLabel)}${p.copy.colon}${p.vars.code}`);
  blocks.push(`${f(p.cta)}${p.copy.colon}${p.shopUrl}`);
  blocks.push(p.copy.signOff.map(f).join('\n'));
  const footer = [f(p.copy.footer)];
  if (p.unsubscribeUrl) {
    footer.push(`${f(p.copy.unsubscribePrompt)} ${f(p.copy.unsubscribe)}${p.copy.colon}${p.unsubscribeUrl}`);
  }
  return `${blocks.join('\n\n')}\n\n--\n${footer.join('\n')}\n`;
}

/** Everything except `copy`, `locale`, the URLs and `htmlVars` is already safe HTML. */
interface HtmlParts {
  copy: LocaleCopy;
  locale: string;
  subject: string;
  preheader: string;
  heading: string;
  greeting: string;
  paragraphs: readonly string[];
  code: string | undefined;
  cta: string;
  shopUrl: string;
  unsubscribeUrl: string | undefined;
  htmlVars: Vars;
}

const FONT = 'font-family:Arial,Helvetica,sans-serif;';
const P_STYLE = `margin:0 0 16px;${FONT}font-size:16px;line-height:24px;color:#1f2937;`;

function renderHtml(p: HtmlParts): string {
  const fill = (template: string) => fillHtml(template, p.htmlVars);
  const paragraphs = [p.greeting, ...p.paragraphs].map((body) => `<p style="${P_STYLE}">${body}</p>`).join('\n');
  const codeBox = p.code
    ? `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">
<tr><td style="padding:12px 24px;border:2px dashed #9ca3af;border-radius:6px;background-color:#f9fafb;${FONT}text-align:center;">
<div style="font-size:12px;line-height:18px;color:#6b7280;text-transform:uppercase;letter-spacing:1px;">${fill(p.copy.codeLabel)}</div>
<div style="font-size:22px;line-height:30px;font-weight:bold;color:#111827;letter-spacing:2px;">${p.code}</div>
</td></tr></table>`
    : '';
  const unsubscribe = p.unsubscribeUrl
    ? `<p style="margin:0;">${fill(p.copy.unsubscribePrompt)} <a href="${escapeHtml(p.unsubscribeUrl)}" target="_blank" style="color:#6b7280;text-decoration:underline;">${fill(p.copy.unsubscribe)}</a></p>`
    : '';
  return `<!DOCTYPE html>
<html lang="${escapeHtml(p.locale)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>${escapeHtml(p.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;font-size:1px;line-height:1px;color:#f3f4f6;">${p.preheader}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 32px 0;${FONT}font-size:14px;line-height:20px;font-weight:bold;color:#6b7280;letter-spacing:1px;">${p.htmlVars.shop ?? ''}</td></tr>
<tr><td style="padding:16px 32px 8px;">
<h1 style="margin:0 0 16px;${FONT}font-size:26px;line-height:32px;font-weight:bold;color:#111827;">${p.heading}</h1>
${paragraphs}
${codeBox}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">
<tr><td align="center" bgcolor="#111827" style="border-radius:6px;background-color:#111827;">
<a href="${escapeHtml(p.shopUrl)}" target="_blank" style="display:inline-block;padding:14px 28px;${FONT}font-size:16px;line-height:20px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">${p.cta}</a>
</td></tr></table>
<p style="${P_STYLE}">${p.copy.signOff.map(fill).join('<br>')}</p>
</td></tr>
<tr><td style="padding:16px 32px 24px;border-top:1px solid #e5e7eb;${FONT}font-size:12px;line-height:18px;color:#6b7280;">
<p style="margin:0 0 8px;">${fill(p.copy.footer)}</p>
${unsubscribe}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
