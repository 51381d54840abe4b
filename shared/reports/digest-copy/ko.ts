import type { DigestCopy } from '../digest-copy.ts';

/** 한국어. */
export const ko: DigestCopy = {
  subject: ({ title, date }) => `${title}: ${date} 고객 유지 리포트`,
  heading: (date) => `${date} 고객 유지 리포트`,
  since: (date) => `${date} 대비 변화`,
  firstDigest: '첫 리포트: 아직 비교할 데이터가 없습니다',
  movedHeading: '크게 움직인 지표',
  firstHeading: '이번 주 지표',
  figures: {
    'revenue-last-month': {
      label: (month) => `${month} 매출`,
      explanation: '해당 월에 들어온 모든 주문',
    },
    'buyers-last-month': {
      label: (month) => `${month} 구매 고객`,
      explanation: '해당 월에 한 번 이상 주문한 고객',
    },
    'new-customers-last-month': {
      label: (month) => `${month} 신규 고객`,
      explanation: '해당 월에 첫 구매를 한 고객(그 코호트의 규모)',
    },
    'month-1-retention': {
      label: () => '2개월 차 재구매율(최근 6개 코호트)',
      explanation: '첫 구매 다음 달에 다시 구매한 신규 고객의 비율',
    },
    'average-order-value': {
      label: (month) => `${month} 평균 주문 금액`,
      explanation: '해당 월 매출을 주문 수로 나눈 값',
    },
    'ltv-12': {
      label: () => '고객당 12개월 가치',
      explanation: '첫 12개월 동안의 고객당 매출(12개월이 지난 코호트 기준)',
    },
    'customers-with-purchase': {
      label: () => '구매 경험이 있는 고객',
      explanation: '기준일까지 한 번 이상 주문한 모든 고객',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `진행 중: ${month}(${days}일 중 ${day}일째). 월별 지표는 ${last} 기준입니다.`,
  curveHeading: '유지율: 첫 구매 후 개월 수별로 다시 구매한 코호트 비율',
  curveNote: '해당 월을 마친 코호트의 평균이며, 코호트 규모로 가중했습니다.',
  curveLabel: '첫 구매 후 개월 수별 평균 유지율',
  period: (k) => `${k}개월 차`,
  noCurve: '아직 2개월 차를 마친 코호트가 없습니다.',
  campaignsHeading: '캠페인',
  noCampaigns: '아직 고객이 등록된 캠페인이 없습니다.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `아직 추정치가 없습니다: 두 그룹 모두 ${days}의 측정 기간이 끝난 등록이 필요합니다(발송 그룹 ${treated}명, 대조 그룹 ${holdout}명).`,
    estimate: (a) =>
      `이메일 대상 고객의 등록 후 ${a.days} 이내 구매율이 대조 그룹보다 ${a.uplift} ${a.more ? '높았습니다' : '낮았습니다'}(${a.treatedN}명 중 ${a.treatedRate}, 대조 그룹 ${a.holdoutN}명 중 ${a.holdoutRate}). ${a.confidence} 신뢰구간: ${a.low}~${a.high}.`,
    raised: '이메일이 구매를 늘렸습니다.',
    lowered: '이메일이 구매를 줄였습니다.',
    unclear: '구간에 0이 포함됩니다: 뚜렷한 차이는 없습니다.',
  },
  days: { other: '{n}일' },
  points: '%p',
  openReport: '전체 리포트 열기',
  linkUntil: (dateTime) => `링크는 늦어도 ${dateTime}까지 유효합니다.`,
  footer: '모든 지표의 정의는 전체 리포트에 있습니다. 마케팅 팀에 발송되며, 어떤 고객도 언급하지 않습니다.',
  fullReport: '전체 리포트',
};
