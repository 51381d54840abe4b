import type { DigestCopy } from '../digest-copy.ts';

/** Nederlands. */
export const nl: DigestCopy = {
  subject: ({ title, date }) => `${title}: klantbehoud per ${date}`,
  heading: (date) => `Klantbehoud per ${date}`,
  since: (date) => `Verandering sinds ${date}`,
  firstDigest: 'Eerste overzicht: nog niets om mee te vergelijken',
  movedHeading: 'De cijfers die bewogen',
  firstHeading: 'De cijfers van deze week',
  figures: {
    'revenue-last-month': {
      label: (month) => `Omzet in ${month}`,
      explanation: 'alle bestellingen in die kalendermaand',
    },
    'buyers-last-month': {
      label: (month) => `Kopers in ${month}`,
      explanation: 'klanten met minstens één bestelling in die maand',
    },
    'new-customers-last-month': {
      label: (month) => `Nieuwe klanten in ${month}`,
      explanation: 'eerste aankoop in die maand (de grootte van dat cohort)',
    },
    'month-1-retention': {
      label: () => 'Herhaalaankoop in de tweede maand (laatste 6 cohorten)',
      explanation: 'aandeel nieuwe klanten dat in de maand na de eerste aankoop opnieuw kocht',
    },
    'average-order-value': {
      label: (month) => `Gemiddelde orderwaarde in ${month}`,
      explanation: 'omzet van die maand gedeeld door het aantal bestellingen',
    },
    'ltv-12': {
      label: () => '12-maandswaarde per klant',
      explanation: 'omzet per klant in de eerste 12 maanden, over de cohorten die 12 maanden hebben gehad',
    },
    'customers-with-purchase': {
      label: () => 'Klanten die ooit kochten',
      explanation: 'iedereen met minstens één bestelling tot de peildatum',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `Loopt nog: ${month} (dag ${day} van ${days}). De maandcijfers gaan over ${last}.`,
  curveHeading: 'Klantbehoud: aandeel van een cohort dat opnieuw koopt, per maand sinds de eerste aankoop',
  curveNote: 'Gemiddelde van de cohorten die elke maand hebben afgerond, gewogen naar cohortgrootte.',
  curveLabel: 'Gemiddeld klantbehoud per maand sinds de eerste aankoop',
  period: (k) => `Maand ${k}`,
  noCurve: 'Nog geen cohort heeft zijn tweede maand afgerond.',
  campaignsHeading: 'Campagnes',
  noCampaigns: 'Nog geen campagne heeft klanten ingeschreven.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Nog geen schatting: daarvoor zijn inschrijvingen in beide groepen nodig waarvan het venster van ${days} gesloten is (mailgroep ${treated}, controlegroep ${holdout}).`,
    estimate: (a) =>
      `Klanten die mails kregen, kochten binnen ${a.days} na inschrijving ${a.uplift} ${a.more ? 'vaker' : 'minder vaak'} dan de controlegroep (${a.treatedRate} van ${a.treatedN} tegenover ${a.holdoutRate} van ${a.holdoutN}); ${a.confidence}-interval ${a.low} tot ${a.high}.`,
    raised: 'De mails verhoogden de aankopen.',
    lowered: 'De mails verlaagden de aankopen.',
    unclear: 'Het interval bevat nul: geen duidelijk verschil.',
  },
  days: { one: '{n} dag', other: '{n} dagen' },
  points: 'procentpunt',
  openReport: 'Volledig rapport openen',
  linkUntil: (dateTime) => `De link werkt uiterlijk tot ${dateTime}.`,
  footer:
    'Elk cijfer staat gedefinieerd in het volledige rapport. Verstuurd naar het marketingteam; het noemt geen klanten.',
  fullReport: 'Volledig rapport',
};
