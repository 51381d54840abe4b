import type { DigestCopy } from '../digest-copy.ts';

/** Русский. */
export const ru: DigestCopy = {
  subject: ({ title, date }) => `${title}: удержание клиентов на ${date}`,
  heading: (date) => `Удержание клиентов на ${date}`,
  since: (date) => `Изменения с ${date}`,
  firstDigest: 'Первый отчёт: сравнивать пока не с чем',
  movedHeading: 'Что изменилось',
  firstHeading: 'Показатели недели',
  figures: {
    // Month names come as Intl formats them with the year ("март 2024 г."): every month is masculine and
    // inanimate, so "за" + that form is correct.
    'revenue-last-month': {
      label: (month) => `Выручка за ${month}`,
      explanation: 'все заказы за этот календарный месяц',
    },
    'buyers-last-month': {
      label: (month) => `Покупатели за ${month}`,
      explanation: 'клиенты хотя бы с одним заказом за этот месяц',
    },
    'new-customers-last-month': {
      label: (month) => `Новые клиенты за ${month}`,
      explanation: 'первая покупка в этом месяце (размер его когорты)',
    },
    'month-1-retention': {
      label: () => 'Повторные покупки во второй месяц (последние 6 когорт)',
      explanation: 'доля новых клиентов, купивших снова в месяц после первой покупки',
    },
    'average-order-value': {
      label: (month) => `Средний чек за ${month}`,
      explanation: 'выручка месяца, делённая на число заказов',
    },
    'ltv-12': {
      label: () => 'Ценность клиента за 12 месяцев',
      explanation: 'выручка на клиента за первые 12 месяцев по когортам, у которых они уже прошли',
    },
    'customers-with-purchase': {
      label: () => 'Клиенты с покупками',
      explanation: 'все, кто сделал хотя бы один заказ к дате отчёта',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    // Intl's month ends in "г.", which closes the sentence.
    `Ещё идёт: ${month} (день ${day} из ${days}). Месячные показатели — за ${last}`,
  curveHeading: 'Удержание: доля когорты, купившая снова, по месяцам после первой покупки',
  curveNote: 'Среднее по когортам, завершившим каждый месяц, взвешенное по размеру когорты.',
  curveLabel: 'Среднее удержание по месяцам после первой покупки',
  period: (k) => `Месяц ${k}`,
  noCurve: 'Ни одна когорта ещё не завершила второй месяц.',
  campaignsHeading: 'Кампании',
  noCampaigns: 'Ни в одну кампанию ещё никто не включён.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Оценки пока нет: нужны включения в обеих группах с закрытым окном в ${days} (рассылка ${treated}, контроль ${holdout}).`,
    estimate: (a) =>
      `Клиенты с рассылкой покупали за ${a.days} после включения на ${a.uplift} ${a.more ? 'чаще' : 'реже'}, чем контрольная группа (${a.treatedRate} из ${a.treatedN} против ${a.holdoutRate} из ${a.holdoutN}); доверительный интервал ${a.confidence}: от ${a.low} до ${a.high}.`,
    raised: 'Рассылки увеличили покупки.',
    lowered: 'Рассылки снизили покупки.',
    unclear: 'Интервал включает ноль: явной разницы нет.',
  },
  // accusative: "за 30 дней", "окном в 1 день", "в 2 дня"
  days: { one: '{n} день', few: '{n} дня', many: '{n} дней', other: '{n} дня' },
  points: 'п. п.',
  openReport: 'Открыть полный отчёт',
  linkUntil: (dateTime) => `Ссылка действует самое позднее до ${dateTime}.`,
  footer: 'Все показатели определены в полном отчёте. Отправлено команде маркетинга; клиенты в нём не названы.',
  fullReport: 'Полный отчёт',
};
