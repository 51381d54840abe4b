/**
 * `clientele predict`: buy-till-you-die models on a transactions file (CDNOW layouts) or on the stored orders —
 * BG/NBD, Pareto/NBD and Gamma-Gamma parameters, per-customer P(alive), expected purchases and value, and, when
 * the data run past the calibration end, the holdout check (docs/predictive.md).
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CDNOW_FORMATS, type CdnowFormat, parseCdnowTransactions } from '../shared/domain/btyd/cdnow-format.ts';
import { dayAfterWeeks, summariseCustomers, type Transaction } from '../shared/domain/btyd/customer-summary.ts';
import { type Prediction, predictCustomerBase } from '../shared/domain/btyd/predict.ts';
import type { HoldoutAuc, HoldoutReport } from '../shared/domain/btyd/schemas.ts';
import { minorDigits } from '../shared/domain/money.ts';
import { asDate, positiveInt } from './args.ts';
import { type GlobalOptions, openRuntime } from './runtime.ts';

interface PredictCommandOptions {
  format?: CdnowFormat;
  calibrationEnd?: string;
  asOf: string;
  horizonWeeks: number;
  annualDiscountRate: number;
  overdueBelow: number;
}

const today = () => new Date().toISOString().slice(0, 10);

function share(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1)
    throw new InvalidArgumentError('expected a number from 0 to 1');
  return parsed;
}

export function registerPredictCommand(
  program: Command,
  globals: () => GlobalOptions,
  emit: (json: unknown, text: string) => void,
): void {
  program
    .command('predict')
    .description(
      'fit BG/NBD, Pareto/NBD and Gamma-Gamma: P(alive), expected purchases and 12-month value per customer; ' +
        'checked against the holdout when the data run past the calibration end (docs/predictive.md)',
    )
    .argument('[file]', 'a transactions file in --format; without it, the stored orders')
    .addOption(new Option('--format <format>', 'layout of FILE').choices(CDNOW_FORMATS))
    .addOption(
      new Option('--calibration-end <date>', 'last day the models see (default with stored orders: --as-of)').argParser(
        asDate,
      ),
    )
    .addOption(
      new Option('--as-of <date>', 'without FILE: use the stored orders up to this date')
        .argParser(asDate)
        .default(today(), 'today'),
    )
    .addOption(
      new Option('--horizon-weeks <n>', 'weeks of expected purchases (and of the holdout)')
        .argParser(positiveInt)
        .default(39),
    )
    .addOption(
      new Option('--annual-discount-rate <rate>', 'discount rate for the 12-month value, e.g. 0.1 = 10 %/year')
        .argParser(share)
        .default(0.1),
    )
    .addOption(
      new Option('--overdue-below <p>', 'P(alive) (Pareto/NBD) under which a customer is overdue')
        .argParser(share)
        .default(0.5),
    )
    .action(async (file: string | undefined, o: PredictCommandOptions) => {
      const { transactions, source } = file ? await fromFile(file, o) : await fromStore(globals(), o.asOf);
      const calibrationEnd = o.calibrationEnd ?? (file ? undefined : o.asOf);
      if (!calibrationEnd) throw new Error('--calibration-end is required with a file');
      if (!file && calibrationEnd > o.asOf) throw new Error('--calibration-end must not be after --as-of');
      const holdoutEnd = dayAfterWeeks(calibrationEnd, o.horizonWeeks);
      const lastDay = transactions.reduce((last, t) => (t.day > last ? t.day : last), '');
      const holdout = lastDay > calibrationEnd;
      if (holdout && lastDay < holdoutEnd) {
        process.stderr.write(
          `predict: ${source} ends on ${lastDay}, before the holdout end ${holdoutEnd}: the holdout is partial\n`,
        );
      }
      const summaries = summariseCustomers(transactions, { calibrationEnd, ...(holdout ? { holdoutEnd } : {}) });
      const prediction = predictCustomerBase(summaries, {
        calibrationEnd,
        horizonWeeks: o.horizonWeeks,
        valuation: { annualDiscountRate: o.annualDiscountRate, months: 12 },
        overdueThreshold: o.overdueBelow,
        holdout,
      });
      // A fit that did not converge is reported on stderr and fails the command; its numbers are still shown.
      for (const fit of [prediction.bgnbd, prediction.paretoNbd, prediction.gammaGamma]) {
        if (!fit.converged) {
          process.stderr.write(`predict: the ${fit.model} fit did not converge: ${fit.problem}\n`);
          process.exitCode = 1;
        }
      }
      emit(predictionJson(prediction), predictionText(prediction, source, calibrationEnd, o));
    });
}

async function fromFile(
  file: string,
  o: PredictCommandOptions,
): Promise<{ transactions: Transaction[]; source: string }> {
  if (!o.format) throw new Error(`--format is required with a file (${CDNOW_FORMATS.join(' or ')})`);
  const parsed = parseCdnowTransactions(await readFile(file, 'utf8'), o.format);
  if (parsed.rejected.length) {
    const first = parsed.rejected[0];
    process.stderr.write(
      `predict: ${parsed.rejected.length} lines of ${file} rejected (first: line ${first?.line}: ${first?.error})\n`,
    );
  }
  return { transactions: parsed.transactions, source: file };
}

/** Every stored order up to the end of `asOf` (UTC days), in the reporting currency's major units. */
async function fromStore(g: GlobalOptions, asOf: string): Promise<{ transactions: Transaction[]; source: string }> {
  const rt = await openRuntime(g);
  try {
    const transactions: Transaction[] = [];
    let invalid = 0;
    for await (const page of rt.stores.orders.scanAll()) {
      invalid += page.invalid.length;
      for (const order of page.items) {
        const day = order.placedAt.slice(0, 10);
        if (day > asOf) continue;
        transactions.push({
          customerId: order.customerId,
          day,
          amount: order.amountMinor / 10 ** minorDigits(order.currency),
        });
      }
    }
    if (invalid) process.stderr.write(`predict: ${invalid} stored orders are invalid and were left out\n`);
    return { transactions, source: `the stored orders (${rt.target})` };
  } finally {
    await rt.close();
  }
}

/** The JSON the issue fixes: parameters, per-customer scores (Pareto/NBD for P(alive) and purchases), holdout. */
export function predictionJson(p: Prediction) {
  return {
    bgnbd: { ...p.bgnbd.params, logLikelihood: p.bgnbd.logLikelihood },
    gammaGamma: { ...p.gammaGamma.params },
    paretoNbd: { ...p.paretoNbd.params, logLikelihood: p.paretoNbd.logLikelihood },
    customers: p.customers.map(({ paretoNbd: s }) => ({
      customerId: s.customerId,
      frequency: s.frequency,
      recency: s.recency,
      T: s.T,
      pAlive: s.pAlive,
      expectedTransactions: s.expectedTransactions,
      expectedValue: s.expectedValue,
    })),
    holdout: p.holdout,
  };
}

const f = (v: number | null, digits = 3) => (v === null ? '—' : v.toFixed(digits));
const pad = (s: string, width: number) => s.padStart(width);

function predictionText(p: Prediction, source: string, calibrationEnd: string, o: PredictCommandOptions): string {
  const repeat = p.customers.filter((c) => c.summary.frequency > 0).length;
  const sum = (pick: (c: Prediction['customers'][number]) => number) => p.customers.reduce((s, c) => s + pick(c), 0);
  const overdue = p.customers.filter((c) => c.paretoNbd.overdueAt !== null && c.paretoNbd.overdueAt <= calibrationEnd);
  const flag = (converged: boolean) => (converged ? '' : '  (did not converge)');
  const lines = [
    `${p.customers.length.toLocaleString('en-US')} customers (${repeat.toLocaleString('en-US')} repeat buyers) from ${source}, calibration to ${calibrationEnd}, time in weeks`,
    '',
    `BG/NBD      r ${f(p.bgnbd.params.r, 4)}  α ${f(p.bgnbd.params.alpha, 4)}  a ${f(p.bgnbd.params.a, 4)}  b ${f(p.bgnbd.params.b, 4)}  LL ${f(p.bgnbd.logLikelihood, 2)}${flag(p.bgnbd.converged)}`,
    `Pareto/NBD  r ${f(p.paretoNbd.params.r, 4)}  α ${f(p.paretoNbd.params.alpha, 4)}  s ${f(p.paretoNbd.params.s, 4)}  β ${f(p.paretoNbd.params.beta, 4)}  LL ${f(p.paretoNbd.logLikelihood, 2)}${flag(p.paretoNbd.converged)}`,
    `Gamma-Gamma p ${f(p.gammaGamma.params.p, 4)}  q ${f(p.gammaGamma.params.q, 4)}  γ ${f(p.gammaGamma.params.gamma, 4)}  (${p.gammaGamma.distinctRows} repeat buyers)${flag(p.gammaGamma.converged)}`,
    '',
    `Next ${o.horizonWeeks} weeks (Pareto/NBD): ${f(
      sum((c) => c.paretoNbd.expectedTransactions),
      0,
    )} purchases expected; 12-month value ${f(
      sum((c) => c.paretoNbd.expectedValue),
      0,
    )} (discounted at ${(o.annualDiscountRate * 100).toFixed(1)} %/year)`,
    `Overdue (Pareto/NBD P(alive) below ${o.overdueBelow} by ${calibrationEnd}): ${overdue.length.toLocaleString('en-US')} customers`,
  ];
  if (p.holdout) lines.push('', ...holdoutText(p.holdout));
  lines.push('', 'Per-customer scores: --json (docs/predictive.md explains each number).');
  return lines.join('\n');
}

function holdoutText(h: HoldoutReport): string[] {
  const row = (label: string, r: HoldoutReport['totals']) =>
    [
      label.padEnd(6),
      pad(String(r.customers), 9),
      pad(String(r.actual), 7),
      pad(f(r.bgnbd, 0), 7),
      pad(f(r.paretoNbd, 0), 7),
    ]
      .concat(
        r.customers
          ? [
              pad(f(r.actual / r.customers, 2), 8),
              pad(f(r.bgnbd / r.customers, 2), 8),
              pad(f(r.paretoNbd / r.customers, 2), 8),
            ]
          : [],
      )
      .join(' ');
  const auc = (label: string, a: HoldoutAuc) =>
    `${label.padEnd(14)} ${pad(String(a.buyers), 6)} ${pad(String(a.nonBuyers), 9)}  ${[
      a.bgnbdPAlive,
      a.bgnbdExpectedTransactions,
      a.paretoNbdPAlive,
      a.paretoNbdExpectedTransactions,
      a.daysSinceLastPurchase,
    ]
      .map((v) => pad(f(v), 8))
      .join(' ')}`;
  return [
    `Holdout ${h.calibrationEnd} → ${h.holdoutEnd} (${h.weeks} weeks): repeat purchase days, actual vs predicted`,
    `${'freq'.padEnd(6)} customers  actual  BG/NBD  Pareto  act/cust  BG/cust  PN/cust`,
    ...h.byFrequency.map((r) => row(r.frequency, r)),
    row('all', h.totals),
    '',
    'ROC AUC for "buys again in the holdout" (ties count ½; 0.5 = coin)',
    `${''.padEnd(14)} ${pad('buyers', 6)} ${pad('non-buyers', 9)}  ${['BG alive', 'BG E[n]', 'PN alive', 'PN E[n]', 'recency'].map((s) => pad(s, 8)).join(' ')}`,
    auc('all customers', h.auc.all),
    auc('repeat buyers', h.auc.repeatBuyers),
  ];
}
