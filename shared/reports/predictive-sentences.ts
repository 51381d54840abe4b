import type { BaseModel } from '../domain/btyd/base-model.ts';
import type { HoldoutReport } from '../domain/btyd/schemas.ts';
import { integer } from './base-shape-html.ts';

/**
 * The predictive section's verdicts in plain words, each computed from the numbers the section shows (never
 * written by hand): the model's status, the holdout totals against what happened, and where the scores rank
 * who buys again no better than recency. Pure.
 */

export const day = (instant: string) => instant.slice(0, 10);
export const decimals = (v: number, digits: number) =>
  new Intl.NumberFormat('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
/** An AUC as shown: three decimals. */
export const auc3 = (v: number) => v.toFixed(3);

/** The model's status in plain words. */
export function modelStatusSentence(model: BaseModel): string {
  const problem = model.problem ?? 'no reason was recorded';
  if (model.status === 'none') return `Not fitted yet because ${problem}.`;
  const fittedAsOf = model.fittedAsOf ? day(model.fittedAsOf) : 'an earlier pass';
  if (model.status === 'kept-previous') return `Kept the parameters of ${fittedAsOf} because ${problem}.`;
  const spend = model.spendProblem ? ` Spend: ${model.spendProblem}.` : '';
  return `Fitted on ${integer(model.sampled)} sampled of ${integer(model.buyers)} buyers as of ${fittedAsOf} (${integer(model.repeatBuyers)} of them bought more than once).${spend}`;
}

/** "1,666 purchase days (11.5% low)": a prediction against what happened. */
function against(predicted: number, actual: number): string {
  const shown = `${integer(Math.round(predicted))}`;
  if (actual === 0) return shown;
  const off = (predicted - actual) / actual;
  if (Math.abs(off) < 0.0005) return `${shown} (on target)`;
  return `${shown} (${decimals(Math.abs(off) * 100, 1)}% ${off < 0 ? 'low' : 'high'})`;
}

export function holdoutTotalsSentence(h: HoldoutReport): string {
  const t = h.totals;
  if (t.actual === 0) return `No customer bought in the ${integer(h.weeks)} weeks of the holdout: nothing to compare.`;
  return `In total ${integer(t.actual)} purchase days happened; Pareto/NBD predicted ${against(t.paretoNbd, t.actual)}, BG/NBD ${against(t.bgnbd, t.actual)}.`;
}

/** The model scores the self-check ranks customers by, as the report names them. */
export const SCORES = [
  ['paretoNbdExpectedTransactions', 'Pareto/NBD expected purchases'],
  ['paretoNbdPAlive', 'Pareto/NBD P(alive)'],
  ['bgnbdExpectedTransactions', 'BG/NBD expected purchases'],
  ['bgnbdPAlive', 'BG/NBD P(alive)'],
] as const;
/** The plain rule every score is compared with. */
export const RECENCY = '“days since last purchase”';
export const GROUPS = [
  ['all', 'over all customers'],
  ['repeatBuyers', 'among repeat buyers'],
] as const;

/**
 * Where the model does and does not beat the plain rule, in sentences computed from the AUCs as shown (three
 * decimals): the scores no better than recency, and the best score with its margin.
 */
export function aucVerdict(auc: HoldoutReport['auc']): string[] {
  const groups = GROUPS.filter(([g]) => auc[g].daysSinceLastPurchase !== null);
  if (groups.length === 0) return ['Too few customers bought again, or did not, in the holdout to compare rankings.'];
  const shown = (v: number) => Number(auc3(v));
  const comparisons = SCORES.map(([k, label]) => ({
    label,
    groups: groups.flatMap(([g, where]) => {
      const score = auc[g][k];
      const recency = auc[g].daysSinceLastPurchase;
      return score === null || recency === null
        ? []
        : [{ where, score: shown(score), recency: shown(recency), margin: shown(score) - shown(recency) }];
    }),
  })).filter((c) => c.groups.length > 0);
  const sentences: string[] = [];
  const noBetter = comparisons
    .map((c) => ({ ...c, groups: c.groups.filter((g) => g.margin <= 0) }))
    .filter((c) => c.groups.length > 0);
  if (noBetter.length === 0) {
    sentences.push(`Every model score ranks better than ${RECENCY}.`);
  } else {
    const parts = noBetter.map(
      (c) =>
        `${c.label} (${c.groups
          .map(
            (g) =>
              `${auc3(g.score)} vs ${auc3(g.recency)} ${g.where}${g.score < 0.5 ? ', worse than a coin toss' : ''}`,
          )
          .join('; ')})`,
    );
    sentences.push(`No better than ${RECENCY}: ${parts.join(', ')}.`);
  }
  const winners = comparisons.filter((c) => c.groups.every((g) => g.margin > 0));
  const mean = (c: (typeof comparisons)[number]) => c.groups.reduce((s, g) => s + g.score, 0) / c.groups.length;
  const top = winners.sort((a, b) => mean(b) - mean(a))[0];
  if (!top) {
    sentences.push(`No model score beats ${RECENCY} everywhere on this data: rank by recency.`);
  } else {
    const margins = top.groups.map((g) => `${auc3(g.margin)} ${g.where}`).join(' and ');
    const small = top.groups.every((g) => g.margin < 0.02) ? ', a small margin' : '';
    sentences.push(`Rank by ${top.label}: ahead of ${RECENCY} by ${margins}${small}.`);
  }
  return sentences;
}
