import { escapeHtml, resolveLocale } from '../email/render-winback-email.ts';
import type { CopyLocale } from '../email/winback-copy.ts';

interface UnsubscribeCopy {
  title: string;
  confirm: string;
  button: string;
  done: string;
  invalid: string;
}

/** The small pages of the unsubscribe endpoint, in every language the emails are written in; no scripts. */
const COPY: Readonly<Record<CopyLocale, UnsubscribeCopy>> = {
  en: {
    title: 'Unsubscribe',
    confirm: 'Do you want to stop receiving marketing emails from us?',
    button: 'Unsubscribe',
    done: 'You are unsubscribed. You will not receive marketing emails from us any more.',
    invalid:
      'This unsubscribe link is not valid. If you keep receiving emails, reply to one of them and we will remove you.',
  },
  de: {
    title: 'Abmelden',
    confirm: 'Möchtest du keine Marketing-E-Mails mehr von uns erhalten?',
    button: 'Abmelden',
    done: 'Du bist abgemeldet. Du erhältst keine Marketing-E-Mails mehr von uns.',
    invalid:
      'Dieser Abmeldelink ist ungültig. Wenn du weiter E-Mails erhältst, antworte auf eine davon und wir tragen dich aus.',
  },
  fr: {
    title: 'Se désabonner',
    confirm: 'Voulez-vous ne plus recevoir nos e-mails marketing ?',
    button: 'Se désabonner',
    done: 'Vous êtes désabonné·e. Vous ne recevrez plus nos e-mails marketing.',
    invalid:
      "Ce lien de désabonnement n'est pas valide. Si vous recevez encore des e-mails, répondez à l'un d'eux et nous vous retirerons.",
  },
  es: {
    title: 'Darse de baja',
    confirm: '¿Quieres dejar de recibir nuestros correos de marketing?',
    button: 'Darme de baja',
    done: 'Te has dado de baja. Ya no recibirás correos de marketing de nuestra parte.',
    invalid: 'Este enlace de baja no es válido. Si sigues recibiendo correos, responde a uno y te daremos de baja.',
  },
  nl: {
    title: 'Afmelden',
    confirm: 'Wil je geen marketingmails meer van ons ontvangen?',
    button: 'Afmelden',
    done: 'Je bent afgemeld. Je ontvangt geen marketingmails meer van ons.',
    invalid: 'Deze afmeldlink is niet geldig. Blijf je mails ontvangen, beantwoord er dan een en we verwijderen je.',
  },
};

export type PageKind = 'confirm' | 'done' | 'invalid';

export function unsubscribePage(kind: PageKind, locale: string, token?: string): string {
  const lang = resolveLocale(locale);
  const copy = COPY[lang];
  const text = kind === 'confirm' ? copy.confirm : kind === 'done' ? copy.done : copy.invalid;
  const form =
    kind === 'confirm' && token
      ? `<form method="post" action="?t=${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="font-size:16px;padding:10px 20px;background:#0b5d63;color:#fff;border:0;border-radius:4px">${escapeHtml(copy.button)}</button></form>`
      : '';
  return `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(copy.title)}</title></head><body style="font-family:Arial,Helvetica,sans-serif;max-width:520px;margin:48px auto;padding:0 16px;color:#1f2933"><h1 style="font-size:22px">${escapeHtml(copy.title)}</h1><p style="font-size:16px;line-height:1.5">${escapeHtml(text)}</p>${form}</body></html>`;
}
