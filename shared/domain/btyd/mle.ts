/**
 * Maximum likelihood over positive parameters: Nelder–Mead on their logarithms (so every step stays positive and
 * the scales of r ≈ 0.2 and α ≈ 10 are alike), from several deterministic starts, keeping the best. The result
 * says whether it can be trusted: a non-finite likelihood, a parameter pinned at the search bounds or an
 * optimiser that ran out of iterations make it "not converged", with the reason.
 */
import { nelderMead } from './nelder-mead.ts';

/** The search box on log-parameters: e^±12 ≈ 6e-6 … 1.6e5 (weeks and dollars). Reaching it means degenerate. */
const LOG_BOUND = 12;
const AT_BOUND = LOG_BOUND - 0.5;

export interface MleResult<K extends string> {
  params: Record<K, number>;
  logLikelihood: number | null;
  iterations: number;
  converged: boolean;
  problem?: string;
}

export function maximiseLikelihood<K extends string>(
  names: readonly K[],
  logLikelihood: (params: Record<K, number>) => number,
  starts: readonly Record<K, number>[],
): MleResult<K> {
  const toParams = (logs: readonly number[]) =>
    Object.fromEntries(names.map((name, i) => [name, Math.exp(logs[i] ?? 0)])) as Record<K, number>;
  const objective = (logs: readonly number[]) =>
    logs.some((v) => Math.abs(v) > LOG_BOUND) ? Number.POSITIVE_INFINITY : -logLikelihood(toParams(logs));

  // Each start is run to a coarse optimum; only the best is then polished with tight tolerances and restarts
  // (the likelihood is the cost: ~1,000 distinct rows, 2F1 series for the Pareto/NBD).
  let coarse: ReturnType<typeof nelderMead> | undefined;
  let iterations = 0;
  for (const start of starts) {
    const run = nelderMead(
      objective,
      names.map((name) => Math.log(start[name])),
      { valueTolerance: 1e-8, pointTolerance: 1e-3, maxRestarts: 0 },
    );
    iterations += run.iterations;
    if (!coarse || run.value < coarse.value) coarse = run;
  }
  if (!coarse) throw new Error('maximiseLikelihood needs at least one start');
  const best = nelderMead(objective, coarse.x, { step: 0.1 });
  iterations += best.iterations;
  const params = toParams(best.x);
  const ll = -best.value;
  const pinned = names.filter((_, i) => Math.abs(best.x[i] ?? 0) >= AT_BOUND);
  const problem = !Number.isFinite(ll)
    ? 'the log-likelihood is not finite at any point tried'
    : pinned.length
      ? `${pinned.join(', ')} at the bound of the search (e^±${LOG_BOUND}): the data do not identify the model`
      : !best.converged
        ? 'the optimiser stopped before meeting its tolerances'
        : undefined;
  return {
    params,
    logLikelihood: Number.isFinite(ll) ? ll : null,
    iterations,
    converged: problem === undefined,
    ...(problem ? { problem } : {}),
  };
}
