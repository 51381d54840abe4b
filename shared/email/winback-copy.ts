/**
 * Per-language copy for the win-back emails. Plain text with `{placeholder}` slots; the renderer fills them
 * (HTML-escaping each value for the HTML part), so nothing here may contain markup.
 *
 * Slots: {name} (greetingNamed, subjectNamed), {shop}, {days}, {percent} (already formatted, e.g. "15 %"), {code}.
 */
import type { WinbackStep } from '../domain/winback.ts';

export type WinbackTemplate = WinbackStep['template'];

/**
 * The languages customers are written to in: the emails here and the unsubscribe pages. Every copy table is a
 * `Record<CopyLocale, ...>`, so a language added here fails to compile until each table has its copy.
 */
export const COPY_LOCALES = ['en', 'de', 'fr', 'es', 'nl'] as const;
export type CopyLocale = (typeof COPY_LOCALES)[number];

export interface TemplateCopy {
  subject: string;
  /** Subject used when the customer's name is known. */
  subjectNamed: string;
  /** Inbox preview line (hidden in the body). */
  preheader: string;
  heading: string;
  paragraphs: readonly string[];
  cta: string;
}

export interface LocaleCopy {
  greeting: string;
  greetingNamed: string;
  /** "N days since your last order", keyed by Intl.PluralRules category; `other` is the fallback. */
  daysSince: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
  codeLabel: string;
  /** Label separator in the text part ("Your code: X"; French puts a no-break space before the colon). */
  colon: string;
  signOff: readonly string[];
  /** Why the recipient gets this email. */
  footer: string;
  unsubscribePrompt: string;
  unsubscribe: string;
  templates: Readonly<Record<WinbackTemplate, TemplateCopy>>;
}

/** No-break space and narrow no-break space, for French punctuation. */
const NBSP = '\u00a0';
const NNBSP = '\u202f';

const en: LocaleCopy = {
  greeting: 'Hi there,',
  greetingNamed: 'Hi {name},',
  daysSince: {
    one: 'It’s been {days} day since your last order at {shop}.',
    other: 'It’s been {days} days since your last order at {shop}.',
  },
  codeLabel: 'Your code',
  colon: ': ',
  signOff: ['See you soon,', '{shop}'],
  footer: 'You’re receiving this email because you agreed to receive marketing emails from {shop}.',
  unsubscribePrompt: 'Don’t want these emails any more?',
  unsubscribe: 'Unsubscribe',
  templates: {
    'miss-you': {
      subject: 'We miss you at {shop}',
      subjectNamed: '{name}, we miss you',
      preheader: 'A lot has changed since your last visit. Come and take a look.',
      heading: 'It’s been a while',
      paragraphs: [
        'We’ve been busy adding new products and making a few improvements, and we’d love for you to see them.',
        'Whenever you’re ready, we’re here.',
      ],
      cta: 'Take a look',
    },
    offer: {
      subject: '{percent} off your next order at {shop}',
      subjectNamed: '{name}, here’s {percent} off your next order',
      preheader: 'Use code {code} at checkout.',
      heading: 'A little welcome-back gift',
      paragraphs: [
        'We’d love to see you again, so here’s {percent} off your next order.',
        'Just enter the code below at checkout.',
      ],
      cta: 'Shop now',
    },
    'last-chance': {
      subject: 'Last chance: your {percent} off ends soon',
      subjectNamed: '{name}, your {percent} off ends soon',
      preheader: 'Your code {code} expires soon.',
      heading: 'Your code expires soon',
      paragraphs: [
        'Just a friendly reminder: your {percent} discount is about to expire.',
        'This is the last email we’ll send you about it, so if you’d like to use it, now’s the time.',
      ],
      cta: 'Use my discount',
    },
  },
};

const de: LocaleCopy = {
  greeting: 'Hallo,',
  greetingNamed: 'Hallo {name},',
  daysSince: {
    one: 'Seit deiner letzten Bestellung bei {shop} ist {days} Tag vergangen.',
    other: 'Seit deiner letzten Bestellung bei {shop} sind {days} Tage vergangen.',
  },
  codeLabel: 'Dein Gutscheincode',
  colon: ': ',
  signOff: ['Bis bald', '{shop}'],
  footer: 'Du erhältst diese E-Mail, weil du zugestimmt hast, Marketing-E-Mails von {shop} zu erhalten.',
  unsubscribePrompt: 'Du möchtest keine E-Mails mehr von uns erhalten?',
  unsubscribe: 'Abmelden',
  templates: {
    'miss-you': {
      subject: 'Wir vermissen dich bei {shop}',
      subjectNamed: '{name}, wir vermissen dich',
      preheader: 'Seit deinem letzten Besuch hat sich einiges getan – schau doch mal vorbei.',
      heading: 'Lange nicht gesehen',
      paragraphs: [
        'Wir haben in der Zwischenzeit neue Produkte aufgenommen und einiges verbessert – wir würden uns freuen, wenn du mal reinschaust.',
        'Wann immer du so weit bist: Wir sind für dich da.',
      ],
      cta: 'Jetzt vorbeischauen',
    },
    offer: {
      subject: '{percent} Rabatt auf deine nächste Bestellung bei {shop}',
      subjectNamed: '{name}, {percent} Rabatt auf deine nächste Bestellung',
      preheader: 'Einfach den Code {code} an der Kasse eingeben.',
      heading: 'Ein kleines Willkommensgeschenk',
      paragraphs: [
        'Wir würden uns freuen, dich wiederzusehen – deshalb schenken wir dir {percent} Rabatt auf deine nächste Bestellung.',
        'Gib einfach den folgenden Code an der Kasse ein.',
      ],
      cta: 'Jetzt einkaufen',
    },
    'last-chance': {
      subject: 'Letzte Chance: Dein Rabatt von {percent} läuft bald ab',
      subjectNamed: '{name}, dein Rabatt von {percent} läuft bald ab',
      preheader: 'Dein Code {code} ist nur noch kurz gültig.',
      heading: 'Dein Code läuft bald ab',
      paragraphs: [
        'Nur eine kurze Erinnerung: Dein Rabatt von {percent} ist nicht mehr lange gültig.',
        'Das ist unsere letzte E-Mail dazu – wenn du ihn nutzen möchtest, ist jetzt der richtige Moment.',
      ],
      cta: 'Rabatt einlösen',
    },
  },
};

const fr: LocaleCopy = {
  greeting: 'Bonjour,',
  greetingNamed: 'Bonjour {name},',
  daysSince: {
    one: 'Votre dernière commande chez {shop} remonte à {days} jour.',
    other: 'Votre dernière commande chez {shop} remonte à {days} jours.',
  },
  codeLabel: 'Votre code',
  colon: `${NBSP}: `,
  signOff: ['À très bientôt,', '{shop}'],
  footer: 'Vous recevez cet e-mail parce que vous avez accepté de recevoir des e-mails marketing envoyés par {shop}.',
  unsubscribePrompt: `Vous ne souhaitez plus recevoir nos e-mails${NNBSP}?`,
  unsubscribe: 'Se désabonner',
  templates: {
    'miss-you': {
      subject: `{shop}${NBSP}: vous nous manquez`,
      subjectNamed: '{name}, vous nous manquez',
      preheader: `Beaucoup de choses ont changé depuis votre dernière visite${NBSP}: venez jeter un œil.`,
      heading: `Cela fait un moment${NNBSP}!`,
      paragraphs: [
        'Depuis, nous avons ajouté de nouveaux produits et apporté quelques améliorations, et nous serions ravis de vous les faire découvrir.',
        'Quand vous le souhaitez, nous sommes là.',
      ],
      cta: 'Découvrir les nouveautés',
    },
    offer: {
      subject: '{percent} de réduction sur votre prochaine commande chez {shop}',
      subjectNamed: '{name}, {percent} de réduction sur votre prochaine commande',
      preheader: 'Saisissez le code {code} lors du paiement.',
      heading: 'Un petit cadeau de bienvenue',
      paragraphs: [
        `Nous serions heureux de vous revoir${NBSP}: voici {percent} de réduction sur votre prochaine commande.`,
        'Il vous suffit de saisir le code ci-dessous lors du paiement.',
      ],
      cta: 'J’en profite',
    },
    'last-chance': {
      subject: `Dernière chance${NBSP}: vos {percent} de réduction expirent bientôt`,
      subjectNamed: '{name}, vos {percent} de réduction expirent bientôt',
      preheader: 'Votre code {code} expire bientôt.',
      heading: 'Votre code expire bientôt',
      paragraphs: [
        `Petit rappel${NBSP}: votre réduction de {percent} arrive bientôt à expiration.`,
        `C’est le dernier e-mail que nous vous envoyons à ce sujet${NBSP}: si vous souhaitez en profiter, c’est le moment.`,
      ],
      cta: 'Utiliser ma réduction',
    },
  },
};

const es: LocaleCopy = {
  greeting: 'Hola:',
  greetingNamed: 'Hola, {name}:',
  daysSince: {
    one: 'Ha pasado {days} día desde tu último pedido en {shop}.',
    other: 'Han pasado {days} días desde tu último pedido en {shop}.',
  },
  codeLabel: 'Tu código',
  colon: ': ',
  signOff: ['¡Hasta pronto!', '{shop}'],
  footer: 'Recibes este correo porque aceptaste recibir correos de marketing de {shop}.',
  unsubscribePrompt: '¿Ya no quieres recibir nuestros correos?',
  unsubscribe: 'Cancelar suscripción',
  templates: {
    'miss-you': {
      subject: 'Te echamos de menos en {shop}',
      subjectNamed: '{name}, te echamos de menos',
      preheader: 'Han cambiado muchas cosas desde tu última visita: ven a echar un vistazo.',
      heading: 'Ha pasado un tiempo',
      paragraphs: [
        'Hemos añadido productos nuevos y hecho algunas mejoras, y nos encantaría que los vieras.',
        'Cuando quieras, aquí estaremos.',
      ],
      cta: 'Echar un vistazo',
    },
    offer: {
      subject: '{percent} de descuento en tu próximo pedido en {shop}',
      subjectNamed: '{name}, {percent} de descuento en tu próximo pedido',
      preheader: 'Usa el código {code} al finalizar la compra.',
      heading: 'Un pequeño regalo de bienvenida',
      paragraphs: [
        'Nos encantaría volver a verte, así que te regalamos un {percent} de descuento en tu próximo pedido.',
        'Solo tienes que introducir este código al finalizar la compra.',
      ],
      cta: 'Comprar ahora',
    },
    'last-chance': {
      subject: 'Última oportunidad: tu {percent} de descuento caduca pronto',
      subjectNamed: '{name}, tu {percent} de descuento caduca pronto',
      preheader: 'Tu código {code} caduca pronto.',
      heading: 'Tu código caduca pronto',
      paragraphs: [
        'Solo un recordatorio: tu descuento del {percent} está a punto de caducar.',
        'Este es el último correo que te enviaremos sobre ello; si quieres aprovecharlo, ahora es el momento.',
      ],
      cta: 'Usar mi descuento',
    },
  },
};

const nl: LocaleCopy = {
  greeting: 'Hallo,',
  greetingNamed: 'Hallo {name},',
  daysSince: {
    one: 'Het is {days} dag geleden dat je voor het laatst bij {shop} bestelde.',
    other: 'Het is {days} dagen geleden dat je voor het laatst bij {shop} bestelde.',
  },
  codeLabel: 'Je kortingscode',
  colon: ': ',
  signOff: ['Tot snel!', '{shop}'],
  footer: 'Je ontvangt deze e-mail omdat je hebt aangegeven marketingmails van {shop} te willen ontvangen.',
  unsubscribePrompt: 'Wil je deze e-mails niet meer ontvangen?',
  unsubscribe: 'Afmelden',
  templates: {
    'miss-you': {
      subject: 'We missen je bij {shop}',
      subjectNamed: '{name}, we missen je',
      preheader: 'Er is veel veranderd sinds je laatste bezoek – kom gerust een kijkje nemen.',
      heading: 'Lang niet gezien',
      paragraphs: [
        'We hebben intussen nieuwe producten toegevoegd en een paar dingen verbeterd, en we laten ze je graag zien.',
        'Wanneer je er klaar voor bent: we staan voor je klaar.',
      ],
      cta: 'Neem een kijkje',
    },
    offer: {
      subject: '{percent} korting op je volgende bestelling bij {shop}',
      subjectNamed: '{name}, {percent} korting op je volgende bestelling',
      preheader: 'Vul de code {code} in bij het afrekenen.',
      heading: 'Een klein welkomstcadeau',
      paragraphs: [
        'We zouden het leuk vinden je weer te zien, daarom krijg je {percent} korting op je volgende bestelling.',
        'Vul de onderstaande code in bij het afrekenen.',
      ],
      cta: 'Nu shoppen',
    },
    'last-chance': {
      subject: 'Laatste kans: je {percent} korting verloopt binnenkort',
      subjectNamed: '{name}, je {percent} korting verloopt binnenkort',
      preheader: 'Je code {code} is nog maar kort geldig.',
      heading: 'Je code verloopt binnenkort',
      paragraphs: [
        'Even een vriendelijke herinnering: je korting van {percent} verloopt binnenkort.',
        'Dit is de laatste e-mail die we je hierover sturen. Wil je de korting nog gebruiken? Dan is dit het moment.',
      ],
      cta: 'Korting gebruiken',
    },
  },
};

export const WINBACK_COPY: Readonly<Record<CopyLocale, LocaleCopy>> = { en, de, fr, es, nl };
