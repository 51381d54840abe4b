import type { DigestCopy } from '../digest-copy.ts';

/** Dansk. */
export const da: DigestCopy = {
  subject: ({ title, date }) => `${title}: kundefastholdelse pr. ${date}`,
  heading: (date) => `Kundefastholdelse pr. ${date}`,
  since: (date) => `Ændring siden ${date}`,
  firstDigest: 'Første rapport: intet at sammenligne med endnu',
  movedHeading: 'Tallene der flyttede sig',
  firstHeading: 'Ugens tal',
  figures: {
    'revenue-last-month': {
      label: (month) => `Omsætning i ${month}`,
      explanation: 'alle ordrer i den kalendermåned',
    },
    'buyers-last-month': {
      label: (month) => `Kunder der købte i ${month}`,
      explanation: 'kunder med mindst én ordre den måned',
    },
    'new-customers-last-month': {
      label: (month) => `Nye kunder i ${month}`,
      explanation: 'første køb den måned (kohortens størrelse)',
    },
    'month-1-retention': {
      label: () => 'Genkøb i anden måned (seneste 6 kohorter)',
      explanation: 'andel af nye kunder, der købte igen måneden efter deres første køb',
    },
    'average-order-value': {
      label: (month) => `Gennemsnitlig ordreværdi i ${month}`,
      explanation: 'månedens omsætning delt med antallet af ordrer',
    },
    'ltv-12': {
      label: () => '12-måneders værdi pr. kunde',
      explanation: 'omsætning pr. kunde i de første 12 måneder, for de kohorter der har haft 12 måneder',
    },
    'customers-with-purchase': {
      label: () => 'Kunder der nogensinde har købt',
      explanation: 'alle med mindst én ordre frem til rapportdatoen',
    },
  },
  inProgress: ({ month, day, days, last }) => `I gang: ${month} (dag ${day} af ${days}). Månedstallene gælder ${last}.`,
  curveHeading: 'Fastholdelse: andel af en kohorte der køber igen, efter måneder siden første køb',
  curveNote: 'Gennemsnit af de kohorter, der har afsluttet hver måned, vægtet efter kohortens størrelse.',
  curveLabel: 'Gennemsnitlig fastholdelse efter måneder siden første køb',
  period: (k) => `Måned ${k}`,
  noCurve: 'Ingen kohorte har afsluttet sin anden måned endnu.',
  campaignsHeading: 'Kampagner',
  noCampaigns: 'Ingen kampagne har optaget kunder endnu.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Intet estimat endnu: det kræver optagelser i begge grupper, hvis vindue på ${days} er lukket (mailgruppe ${treated}, kontrolgruppe ${holdout}).`,
    estimate: (a) =>
      `Kunder tildelt mails købte ${a.uplift} ${a.more ? 'oftere' : 'sjældnere'} inden for ${a.days} efter optagelse end kontrolgruppen (${a.treatedRate} af ${a.treatedN} mod ${a.holdoutRate} af ${a.holdoutN}); ${a.confidence}-interval ${a.low} til ${a.high}.`,
    raised: 'Mailene øgede købene.',
    lowered: 'Mailene sænkede købene.',
    unclear: 'Intervallet indeholder nul: ingen klar forskel.',
  },
  days: { one: '{n} dag', other: '{n} dage' },
  points: 'pct.-point',
  openReport: 'Åbn hele rapporten',
  linkUntil: (dateTime) => `Linket virker højst til ${dateTime}.`,
  footer: 'Alle tal er defineret i den fulde rapport. Sendt til marketingteamet; den nævner ingen kunder.',
  fullReport: 'Hele rapporten',
};
