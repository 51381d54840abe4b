import type { DigestCopy } from '../digest-copy.ts';

/** Norsk bokmål (also for `no` and `nn`, as the customer emails). */
export const nb: DigestCopy = {
  subject: ({ title, date }) => `${title}: kundelojalitet per ${date}`,
  heading: (date) => `Kundelojalitet per ${date}`,
  since: (date) => `Endring siden ${date}`,
  firstDigest: 'Første rapport: ingenting å sammenligne med ennå',
  movedHeading: 'Tallene som endret seg',
  firstHeading: 'Ukens tall',
  figures: {
    'revenue-last-month': {
      label: (month) => `Omsetning i ${month}`,
      explanation: 'alle ordrer i den kalendermåneden',
    },
    'buyers-last-month': {
      label: (month) => `Kunder som handlet i ${month}`,
      explanation: 'kunder med minst én ordre den måneden',
    },
    'new-customers-last-month': {
      label: (month) => `Nye kunder i ${month}`,
      explanation: 'første kjøp den måneden (kohortens størrelse)',
    },
    'month-1-retention': {
      label: () => 'Gjenkjøp i andre måned (siste 6 kohorter)',
      explanation: 'andel nye kunder som handlet igjen måneden etter første kjøp',
    },
    'average-order-value': {
      label: (month) => `Gjennomsnittlig ordreverdi i ${month}`,
      explanation: 'månedens omsetning delt på antall ordrer',
    },
    'ltv-12': {
      label: () => '12-månedersverdi per kunde',
      explanation: 'omsetning per kunde de første 12 månedene, for kohortene som har hatt 12 måneder',
    },
    'customers-with-purchase': {
      label: () => 'Kunder som noen gang har handlet',
      explanation: 'alle med minst én ordre fram til rapportdatoen',
    },
  },
  inProgress: ({ month, day, days, last }) => `Pågår: ${month} (dag ${day} av ${days}). Månedstallene gjelder ${last}.`,
  curveHeading: 'Lojalitet: andel av en kohort som handler igjen, etter måneder siden første kjøp',
  curveNote: 'Snitt av kohortene som har fullført hver måned, vektet etter kohortens størrelse.',
  curveLabel: 'Gjennomsnittlig gjenkjøp etter måneder siden første kjøp',
  period: (k) => `Måned ${k}`,
  noCurve: 'Ingen kohort har fullført sin andre måned ennå.',
  campaignsHeading: 'Kampanjer',
  noCampaigns: 'Ingen kampanje har tatt inn kunder ennå.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Ikke noe anslag ennå: det trengs innmeldinger i begge grupper der vinduet på ${days} er lukket (e-postgruppe ${treated}, kontrollgruppe ${holdout}).`,
    estimate: (a) =>
      `Kunder som fikk e-post, handlet ${a.uplift} ${a.more ? 'oftere' : 'sjeldnere'} innen ${a.days} etter innmelding enn kontrollgruppen (${a.treatedRate} av ${a.treatedN} mot ${a.holdoutRate} av ${a.holdoutN}); ${a.confidence}-intervall ${a.low} til ${a.high}.`,
    raised: 'E-postene økte kjøpene.',
    lowered: 'E-postene reduserte kjøpene.',
    unclear: 'Intervallet inneholder null: ingen klar forskjell.',
  },
  days: { one: '{n} dag', other: '{n} dager' },
  points: 'pp.',
  openReport: 'Åpne hele rapporten',
  linkUntil: (dateTime) => `Lenken virker til senest ${dateTime}.`,
  footer: 'Alle tall er definert i hele rapporten. Sendt til markedsteamet; den nevner ingen kunder.',
  fullReport: 'Hele rapporten',
};
