import type { PageStrings, TemplateBundle } from '../email/templates/bundle.ts';
import { pickLocale } from '../email/templates/locale.ts';
import { escapeHtml } from '../email/text-safety.ts';

export type PageKind = 'confirm' | 'done' | 'invalid';

/**
 * The small pages of the unsubscribe endpoint, no scripts. Their strings come from the templates folder
 * (`<locale>/pages.yml`, every key required), in the visitor's locale by the same fallback chain as the emails.
 */
export function unsubscribePage(
  pages: TemplateBundle['pages'],
  kind: PageKind,
  locale: string | undefined,
  token?: string,
): string {
  const lang = pickLocale(Object.keys(pages), locale, undefined);
  const copy: PageStrings | undefined = lang === undefined ? undefined : pages[lang];
  if (lang === undefined || !copy) throw new Error('the templates have no unsubscribe pages for en');
  const text = kind === 'confirm' ? copy.confirm : kind === 'done' ? copy.done : copy.invalid;
  const form =
    kind === 'confirm' && token
      ? `<form method="post" action="?t=${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="font-size:16px;padding:10px 20px;background:#0b5d63;color:#fff;border:0;border-radius:4px;max-width:100%">${escapeHtml(copy.button)}</button></form>`
      : '';
  return `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(copy.title)}</title></head><body style="font-family:Arial,Helvetica,sans-serif;max-width:520px;margin:48px auto;padding:0 16px;color:#1f2933;overflow-wrap:break-word"><h1 style="font-size:22px">${escapeHtml(copy.title)}</h1><p style="font-size:16px;line-height:1.5">${escapeHtml(text)}</p>${form}</body></html>`;
}

/** The first language of an Accept-Language header (`nb-NO,nb;q=0.9,en;q=0.8` → `nb-NO`), by weight. */
export function preferredLanguage(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? '1',
      );
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((l) => /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(l.tag) && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.tag;
}
