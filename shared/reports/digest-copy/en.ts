import type { DigestCopy } from '../digest-copy.ts';

/** English. */
export const en: DigestCopy = {
  subject: ({ title, date }) => `${title}: retention digest for ${date}`,
  heading: (date) => `Retention digest for ${date}`,
  since: (date) => `Changes since ${date}`,
  firstDigest: 'First digest: nothing to compare with yet',
  movedHeading: 'The numbers that moved',
  firstHeading: 'This week’s numbers',
  figures: {
    'revenue-last-month': {
      label: (month) => `Revenue in ${month}`,
      explanation: 'all orders placed in that calendar month',
    },
    'buyers-last-month': {
      label: (month) => `Customers who bought in ${month}`,
      explanation: 'customers with at least one order that month',
    },
    'new-customers-last-month': {
      label: (month) => `New customers in ${month}`,
      explanation: 'first purchase that month (the size of its cohort)',
    },
    'month-1-retention': {
      label: () => 'Second-month retention (last 6 cohorts)',
      explanation: 'share of new customers who bought again in the month after their first purchase',
    },
    'average-order-value': {
      label: (month) => `Average order value in ${month}`,
      explanation: 'revenue of that month divided by its orders',
    },
    'ltv-12': {
      label: () => '12-month value per customer',
      explanation: 'revenue per customer in their first 12 months, over the cohorts that have had 12 months',
    },
    'customers-with-purchase': {
      label: () => 'Customers who ever bought',
      explanation: 'everyone with at least one order up to the report date',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `In progress: ${month} (day ${day} of ${days}). Monthly figures are for ${last}.`,
  curveHeading: 'Retention: share of a cohort buying again, by month since the first purchase',
  curveNote: 'Average over the cohorts that have completed each month, weighted by cohort size.',
  curveLabel: 'Average retention by month since the first purchase',
  period: (k) => `Month ${k}`,
  noCurve: 'No cohort has completed its second month yet.',
  campaignsHeading: 'Campaigns',
  noCampaigns: 'No campaign has enrolled anyone yet.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `No estimate yet: it needs enrollments in both arms whose window of ${days} has closed (treated ${treated}, hold-out ${holdout}).`,
    estimate: (a) =>
      `Customers assigned to emails bought ${a.uplift} ${a.more ? 'more' : 'less'} often within ${a.days} of enrollment than the hold-out (${a.treatedRate} of ${a.treatedN} vs ${a.holdoutRate} of ${a.holdoutN}); ${a.confidence} interval ${a.low} to ${a.high}.`,
    raised: 'The emails raised purchases.',
    lowered: 'The emails lowered purchases.',
    unclear: 'The interval includes zero: no clear difference either way.',
  },
  days: { one: '{n} day', other: '{n} days' },
  points: 'pt',
  openReport: 'Open the full report',
  linkUntil: (dateTime) => `The link works until ${dateTime} at the latest.`,
  footer: 'Every figure is defined in the full report. Sent to the marketing team; it names no customer.',
  fullReport: 'Full report',
};
