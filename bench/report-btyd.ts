import { dec, int, pct, table } from './format.ts';
import type { BenchResults } from './results.ts';
import type { BtydFitTiming, SampleSizeRow } from './scenarios/btyd-fit.ts';

const MODEL_NAMES: Record<BtydFitTiming['model'], string> = {
  'bg-nbd': 'BG/NBD',
  'pareto-nbd': 'Pareto/NBD',
  'gamma-gamma': 'Gamma-Gamma',
};

const GREEK: Record<string, string> = { alpha: 'α', beta: 'β', gamma: 'γ' };
const paramName = (name: string) => GREEK[name] ?? name;

/** 3–4 significant digits. */
const sig = (n: number) => (Math.abs(n) >= 100 ? dec(n, 1) : Math.abs(n) >= 1 ? dec(n, 3) : dec(n, 4));
const signedPct = (n: number) => `${n >= 0 ? '+' : '−'}${pct(Math.abs(n), 1)}`;
const secs = (s: number) => (s < 10 ? dec(s, 2) : dec(s, 1));

function paramsCell(f: BtydFitTiming): string {
  if (f.errors)
    return f.errors.map((e) => `${paramName(e.name)} ${sig(e.fitted)} (${signedPct(e.relativeError)})`).join(', ');
  return Object.entries(f.params)
    .map(([k, v]) => `${paramName(k)} ${sig(v)}`)
    .join(', ');
}

function fitRows(data: string, customers: number, repeat: number, fits: BtydFitTiming[], run?: string): string[][] {
  return fits.map((f, i) => [
    i === 0 ? `${data}${run ? ` (run of ${run.slice(0, 16)}Z)` : ''}` : '',
    i === 0 ? `${int(customers)} (${int(repeat)} repeat)` : '',
    MODEL_NAMES[f.model],
    `**${secs(f.seconds)} s**${f.runs > 1 ? ` (median of ${f.runs})` : ''}`,
    int(f.iterations),
    int(f.distinctRows),
    f.converged ? 'yes' : `**no**: ${f.problem ?? ''}`,
    paramsCell(f),
  ]);
}

function sampleErrors(row: SampleSizeRow): string {
  return row.errors.map((e) => `${paramName(e.name)} ${pct(e.medianAbs, 1)} (${pct(e.maxAbs, 1)})`).join(', ');
}

export function btydFitSection(r: BenchResults): string[] {
  const b = r.btydFit;
  if (!b) return [];
  const sim = b.simulation;
  const t = sim.truth;
  const s = b.samples;
  const perMillion = (micros: number) => `${dec(micros, 1)} µs = ${dec(micros, 1)} s per 1M`;
  return [
    `## Buy-till-you-die fits and sample size (run of ${b.run.slice(0, 16)}Z; CPU only, one core)`,
    '',
    `Simulated bases (shared/domain/btyd/simulate.ts): a Pareto/NBD base (r ${t.paretoNbd.r}, α ${t.paretoNbd.alpha}, ` +
      `s ${t.paretoNbd.s}, β ${t.paretoNbd.beta}) with Gamma-Gamma spend (p ${t.gammaGamma.p}, q ${t.gammaGamma.q}, ` +
      `γ ${t.gammaGamma.gamma}) for the Pareto/NBD and Gamma-Gamma fits, and a BG/NBD base (r ${t.bgNbd.r}, ` +
      `α ${t.bgNbd.alpha}, a ${t.bgNbd.a}, b ${t.bgNbd.b}) for the BG/NBD fit; first purchases uniform over the ` +
      `${sim.acquisitionWeeks} weeks to ${sim.calibrationEnd}, purchases on whole days, time in weeks. ` +
      'Relative errors are against the true parameters; r/α, s/β, a/(a+b) and pγ/(q−1) (mean purchase rate, drop-out ' +
      'rate or chance, mean spend) are what the data identify best. A fit under 5 s is timed 3 times (median).',
    '',
    table(
      ['data', 'customers', 'model', 'fit time', 'iterations', 'distinct rows', 'converged', 'parameters (error)'],
      [
        ...b.bases.flatMap((x) => fitRows(`simulated`, x.customers, x.repeatBuyers, x.fits, x.run)),
        ...b.cdnow.flatMap((x) => fitRows(`\`${x.data}\` to 1997-09-30`, x.customers, x.repeatBuyers, x.fits)),
      ],
    ),
    '',
    `Scoring one customer (the fitted parameters of the largest simulated base of this run; median of 3 passes ` +
      `over ${int(b.scoring[0]?.customers ?? 0)} customers; expected purchases over ${dec(s.horizonWeeks * 7, 0)} days, ` +
      'the value over 12 months discounted monthly with the Gamma-Gamma spend):',
    '',
    table(
      [
        'model',
        'P(alive)',
        'expected purchases',
        '12-month value',
        'all three, per customer / per 1M',
        'P(alive) = 0.5 crossing (next check)',
      ],
      b.scoring.map((x) => {
        const all = x.pAliveMicros + x.expectedPurchasesMicros + x.valueMicros;
        return [
          MODEL_NAMES[x.model],
          `${dec(x.pAliveMicros, 2)} µs`,
          `${dec(x.expectedPurchasesMicros, 2)} µs`,
          `${dec(x.valueMicros, 2)} µs`,
          `**${perMillion(all)}**`,
          `${dec(x.crossingMicros, 1)} µs`,
        ];
      }),
    ),
    '',
    `Sample size: bottom-k samples (the customers with the smallest sha256 hash of their id, as the cohort job draws ` +
      `them; other salts of the hash for the further replicates) of the first ${int(s.base)} customers of each base. ` +
      `Errors are the median over the replicates of |relative error| (the largest in brackets); the scores are those ` +
      `of ${int(s.scoredCustomers)} customers under the sample's parameters against the true ones: mean |ΔP(alive)| ` +
      'and the error of their total expected purchases (Gamma-Gamma: of their mean expected spend).',
    '',
    table(
      [
        'model',
        'sample',
        'fits',
        'fit time (median)',
        'distinct rows',
        'converged',
        'parameter error: median (max)',
        'mean absolute ΔP(alive)',
        'total expected',
      ],
      s.rows.map((x) => [
        MODEL_NAMES[x.model],
        int(x.size),
        String(x.replicates),
        `${secs(x.medianSeconds)} s`,
        int(x.medianDistinctRows),
        `${x.converged}/${x.replicates}`,
        sampleErrors(x),
        x.pAliveMeanAbsDiff === null ? '–' : dec(x.pAliveMeanAbsDiff, 4),
        pct(x.expectedTotalRelError, 1),
      ]),
    ),
    '',
  ];
}
