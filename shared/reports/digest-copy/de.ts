import type { DigestCopy } from '../digest-copy.ts';

/** Deutsch. */
export const de: DigestCopy = {
  subject: ({ title, date }) => `${title}: Kundenbindung, Stand ${date}`,
  heading: (date) => `Kundenbindung, Stand ${date}`,
  since: (date) => `Veränderung seit ${date}`,
  firstDigest: 'Erster Bericht: noch kein Vergleich möglich',
  movedHeading: 'Was sich bewegt hat',
  firstHeading: 'Die Zahlen dieser Woche',
  figures: {
    'revenue-last-month': {
      label: (month) => `Umsatz im ${month}`,
      explanation: 'alle Bestellungen in diesem Kalendermonat',
    },
    'buyers-last-month': {
      label: (month) => `Käufer im ${month}`,
      explanation: 'Kunden mit mindestens einer Bestellung in diesem Monat',
    },
    'new-customers-last-month': {
      label: (month) => `Neukunden im ${month}`,
      explanation: 'Erstkauf in diesem Monat (die Größe seiner Kohorte)',
    },
    'month-1-retention': {
      label: () => 'Wiederkauf im zweiten Monat (letzte 6 Kohorten)',
      explanation: 'Anteil der Neukunden, die im Monat nach dem Erstkauf wieder gekauft haben',
    },
    'average-order-value': {
      label: (month) => `Durchschnittlicher Bestellwert im ${month}`,
      explanation: 'Umsatz des Monats geteilt durch seine Bestellungen',
    },
    'ltv-12': {
      label: () => '12-Monats-Wert pro Kunde',
      explanation: 'Umsatz pro Kunde in seinen ersten 12 Monaten, über die Kohorten mit 12 vollen Monaten',
    },
    'customers-with-purchase': {
      label: () => 'Kunden mit mindestens einem Kauf',
      explanation: 'alle, die bis zum Stichtag mindestens einmal bestellt haben',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `Läuft noch: ${month} (Tag ${day} von ${days}). Die Monatszahlen beziehen sich auf ${last}.`,
  curveHeading: 'Kundenbindung: Anteil einer Kohorte, der wieder kauft, nach Monaten seit dem Erstkauf',
  curveNote: 'Durchschnitt der Kohorten, die den jeweiligen Monat abgeschlossen haben, gewichtet nach Kohortengröße.',
  curveLabel: 'Durchschnittliche Kundenbindung nach Monaten seit dem Erstkauf',
  period: (k) => `Monat ${k}`,
  noCurve: 'Noch keine Kohorte hat ihren zweiten Monat abgeschlossen.',
  campaignsHeading: 'Kampagnen',
  noCampaigns: 'Noch keine Kampagne hat Kunden aufgenommen.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Noch keine Schätzung: Dafür braucht es in beiden Gruppen Aufnahmen, deren Zeitfenster von ${days} abgelaufen ist (Mailing-Gruppe ${treated}, Kontrollgruppe ${holdout}).`,
    estimate: (a) =>
      `Kunden mit Mailings kauften innerhalb von ${a.days} nach der Aufnahme ${a.uplift} ${a.more ? 'häufiger' : 'seltener'} als die Kontrollgruppe (${a.treatedRate} von ${a.treatedN} gegenüber ${a.holdoutRate} von ${a.holdoutN}); ${a.confidence}-Intervall ${a.low} bis ${a.high}.`,
    raised: 'Die Mailings haben die Käufe gesteigert.',
    lowered: 'Die Mailings haben die Käufe gesenkt.',
    unclear: 'Das Intervall schließt null ein: kein klarer Unterschied.',
  },
  // dative: "innerhalb von 30 Tagen", "Zeitfenster von 1 Tag"
  days: { one: '{n} Tag', other: '{n} Tagen' },
  points: 'Pp.',
  openReport: 'Vollständigen Bericht öffnen',
  linkUntil: (dateTime) => `Der Link gilt höchstens bis ${dateTime}.`,
  footer: 'Jede Kennzahl ist im vollständigen Bericht definiert. An das Marketing-Team gesendet; nennt keine Kunden.',
  fullReport: 'Vollständiger Bericht',
};
