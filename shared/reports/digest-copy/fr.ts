import type { DigestCopy } from '../digest-copy.ts';

/** Français. */
export const fr: DigestCopy = {
  subject: ({ title, date }) => `${title} : fidélisation au ${date}`,
  heading: (date) => `Fidélisation au ${date}`,
  since: (date) => `Évolution depuis le ${date}`,
  firstDigest: 'Premier bilan : rien à comparer pour l’instant',
  movedHeading: 'Les chiffres qui ont bougé',
  firstHeading: 'Les chiffres de la semaine',
  figures: {
    'revenue-last-month': {
      label: (month) => `Chiffre d’affaires en ${month}`,
      explanation: 'toutes les commandes passées ce mois civil',
    },
    'buyers-last-month': {
      label: (month) => `Clients acheteurs en ${month}`,
      explanation: 'clients ayant passé au moins une commande ce mois-là',
    },
    'new-customers-last-month': {
      label: (month) => `Nouveaux clients en ${month}`,
      explanation: 'premier achat ce mois-là (la taille de sa cohorte)',
    },
    'month-1-retention': {
      label: () => 'Rachat le deuxième mois (6 dernières cohortes)',
      explanation: 'part des nouveaux clients ayant racheté le mois suivant leur premier achat',
    },
    'average-order-value': {
      label: (month) => `Panier moyen en ${month}`,
      explanation: 'chiffre d’affaires du mois divisé par le nombre de commandes',
    },
    'ltv-12': {
      label: () => 'Valeur client sur 12 mois',
      explanation: 'chiffre d’affaires par client sur ses 12 premiers mois, pour les cohortes qui les ont atteints',
    },
    'customers-with-purchase': {
      label: () => 'Clients ayant déjà acheté',
      explanation: 'tous ceux qui ont passé au moins une commande à la date du bilan',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `En cours : ${month} (jour ${day} sur ${days}). Les chiffres mensuels portent sur ${last}.`,
  curveHeading: 'Fidélisation : part d’une cohorte qui rachète, par mois depuis le premier achat',
  curveNote: 'Moyenne des cohortes ayant terminé chaque mois, pondérée par leur taille.',
  curveLabel: 'Fidélisation moyenne par mois depuis le premier achat',
  period: (k) => `Mois ${k}`,
  noCurve: 'Aucune cohorte n’a encore terminé son deuxième mois.',
  campaignsHeading: 'Campagnes',
  noCampaigns: 'Aucune campagne n’a encore inscrit de clients.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Pas encore d’estimation : il faut, dans les deux groupes, des inscriptions dont la fenêtre de ${days} est close (groupe e-mail ${treated}, groupe témoin ${holdout}).`,
    estimate: (a) =>
      `Les clients destinataires des e-mails ont acheté ${a.uplift} ${a.more ? 'plus' : 'moins'} souvent dans les ${a.days} suivant l’inscription que le groupe témoin (${a.treatedRate} sur ${a.treatedN} contre ${a.holdoutRate} sur ${a.holdoutN}) ; intervalle à ${a.confidence} : de ${a.low} à ${a.high}.`,
    raised: 'Les e-mails ont augmenté les achats.',
    lowered: 'Les e-mails ont réduit les achats.',
    unclear: 'L’intervalle contient zéro : pas de différence nette.',
  },
  days: { one: '{n} jour', other: '{n} jours' },
  points: 'pts',
  openReport: 'Ouvrir le rapport complet',
  linkUntil: (dateTime) => `Le lien reste valable au plus tard jusqu’au ${dateTime}.`,
  footer:
    'Chaque chiffre est défini dans le rapport complet. Envoyé à l’équipe marketing ; aucun client n’y est nommé.',
  fullReport: 'Rapport complet',
};
