import type { DigestCopy } from '../digest-copy.ts';

/** Español. */
export const es: DigestCopy = {
  subject: ({ title, date }) => `${title}: fidelización al ${date}`,
  heading: (date) => `Fidelización al ${date}`,
  since: (date) => `Cambios desde el ${date}`,
  firstDigest: 'Primer resumen: aún no hay con qué comparar',
  movedHeading: 'Las cifras que se movieron',
  firstHeading: 'Las cifras de la semana',
  figures: {
    'revenue-last-month': {
      label: (month) => `Ingresos de ${month}`,
      explanation: 'todos los pedidos de ese mes natural',
    },
    'buyers-last-month': {
      label: (month) => `Clientes que compraron en ${month}`,
      explanation: 'clientes con al menos un pedido ese mes',
    },
    'new-customers-last-month': {
      label: (month) => `Clientes nuevos en ${month}`,
      explanation: 'primera compra ese mes (el tamaño de su cohorte)',
    },
    'month-1-retention': {
      label: () => 'Recompra en el segundo mes (últimas 6 cohortes)',
      explanation: 'proporción de clientes nuevos que volvieron a comprar el mes siguiente a su primera compra',
    },
    'average-order-value': {
      label: (month) => `Valor medio del pedido en ${month}`,
      explanation: 'ingresos del mes divididos entre sus pedidos',
    },
    'ltv-12': {
      label: () => 'Valor a 12 meses por cliente',
      explanation: 'ingresos por cliente en sus primeros 12 meses, en las cohortes que ya los han cumplido',
    },
    'customers-with-purchase': {
      label: () => 'Clientes que han comprado alguna vez',
      explanation: 'todos los que tienen al menos un pedido hasta la fecha del informe',
    },
  },
  inProgress: ({ month, day, days, last }) =>
    `En curso: ${month} (día ${day} de ${days}). Las cifras mensuales son de ${last}.`,
  curveHeading: 'Fidelización: parte de una cohorte que vuelve a comprar, por meses desde la primera compra',
  curveNote: 'Media de las cohortes que han completado cada mes, ponderada por su tamaño.',
  curveLabel: 'Fidelización media por meses desde la primera compra',
  period: (k) => `Mes ${k}`,
  noCurve: 'Ninguna cohorte ha completado aún su segundo mes.',
  campaignsHeading: 'Campañas',
  noCampaigns: 'Ninguna campaña ha inscrito clientes todavía.',
  campaign: {
    noEstimate: ({ days, treated, holdout }) =>
      `Aún no hay estimación: hacen falta inscripciones en ambos grupos cuya ventana de ${days} se haya cerrado (grupo con correos ${treated}, grupo de control ${holdout}).`,
    estimate: (a) =>
      `Los clientes asignados a los correos compraron ${a.uplift} ${a.more ? 'más' : 'menos'} a menudo en los ${a.days} posteriores a la inscripción que el grupo de control (${a.treatedRate} de ${a.treatedN} frente a ${a.holdoutRate} de ${a.holdoutN}); intervalo del ${a.confidence}: de ${a.low} a ${a.high}.`,
    raised: 'Los correos aumentaron las compras.',
    lowered: 'Los correos redujeron las compras.',
    unclear: 'El intervalo incluye el cero: no hay una diferencia clara.',
  },
  days: { one: '{n} día', other: '{n} días' },
  points: 'p. p.',
  openReport: 'Abrir el informe completo',
  linkUntil: (dateTime) => `El enlace funciona como máximo hasta el ${dateTime}.`,
  footer:
    'Cada cifra está definida en el informe completo. Enviado al equipo de marketing; no nombra a ningún cliente.',
  fullReport: 'Informe completo',
};
