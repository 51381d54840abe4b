/**
 * A deterministic Nelder–Mead minimiser. There is no well-kept JavaScript optimisation package on this machine
 * (nor a small, maintained one on npm worth a dependency for four parameters), and the likelihoods here are
 * smooth, cheap and low-dimensional, which is where Nelder–Mead does well. Coefficients are the dimension-adaptive
 * ones of Gao & Han (2012, "Implementing the Nelder-Mead simplex algorithm with adaptive parameters"), and a
 * converged run is restarted from a fresh simplex around its best point until a restart no longer improves it:
 * the standard remedy for a simplex that collapsed before reaching the minimum.
 */

export interface NelderMeadOptions {
  /** side of the initial simplex, in the units of x (log-parameters here) */
  step?: number;
  /** stop when every vertex value is within this of the best */
  valueTolerance?: number;
  /** … and every vertex is within this of the best in each coordinate */
  pointTolerance?: number;
  /** iterations in all, restarts included */
  maxIterations?: number;
  /** fresh simplices after the first convergence, at most */
  maxRestarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  /** the tolerances were met (within maxIterations) and the last restart did not improve on the one before */
  converged: boolean;
}

/** Minimises f; a non-finite value counts as +Infinity, so the simplex moves away from where f is undefined. */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const {
    step = 0.5,
    valueTolerance = 1e-10,
    pointTolerance = 1e-7,
    maxIterations = 20_000,
    maxRestarts = 10,
  } = options;
  const n = x0.length;
  let evaluations = 0;
  const value = (x: readonly number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  const reflect = 1;
  const expand = 1 + 2 / n;
  const contract = 0.75 - 1 / (2 * n);
  const shrink = 1 - 1 / n;

  let best = { x: [...x0], value: value(x0) };
  let iterations = 0;
  let converged = false;
  for (let restart = 0; restart <= maxRestarts && iterations < maxIterations; restart++) {
    const run = simplexRun(best.x);
    const gain = best.value - run.value;
    const scale = Math.max(1, Math.abs(best.value));
    if (run.value <= best.value) best = { x: run.x, value: run.value };
    if (!run.met) break;
    // A restart that changes nothing (beyond the tolerance) confirms the minimum.
    if (restart > 0 && gain <= valueTolerance * scale) {
      converged = true;
      break;
    }
  }
  return { x: best.x, value: best.value, iterations, evaluations, converged };

  function simplexRun(start: readonly number[]): { x: number[]; value: number; met: boolean } {
    const points: number[][] = [[...start]];
    for (let i = 0; i < n; i++) {
      const p = [...start];
      p[i] = (p[i] ?? 0) + step;
      points.push(p);
    }
    let values = points.map(value);
    while (iterations < maxIterations) {
      iterations++;
      const order = values.map((_, i) => i).sort((i, j) => (values[i] ?? 0) - (values[j] ?? 0));
      const sorted = order.map((i) => points[i] ?? []);
      values = order.map((i) => values[i] ?? Number.POSITIVE_INFINITY);
      points.splice(0, points.length, ...sorted);
      const bestPoint = points[0] ?? [];
      const bestValue = values[0] ?? Number.POSITIVE_INFINITY;
      const worstValue = values[n] ?? Number.POSITIVE_INFINITY;
      const spread = worstValue - bestValue;
      const size = Math.max(...points.map((p) => Math.max(...p.map((c, k) => Math.abs(c - (bestPoint[k] ?? 0))))));
      if (spread <= valueTolerance * Math.max(1, Math.abs(bestValue)) && size <= pointTolerance) {
        return { x: bestPoint, value: bestValue, met: true };
      }
      const centroid = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < n; k++) centroid[k] = (centroid[k] ?? 0) + (points[i]?.[k] ?? 0) / n;
      const worst = points[n] ?? [];
      const along = (t: number) => centroid.map((c, k) => c + t * (c - (worst[k] ?? 0)));
      const secondWorstValue = values[n - 1] ?? Number.POSITIVE_INFINITY;

      const xr = along(reflect);
      const fr = value(xr);
      if (fr < bestValue) {
        const xe = along(reflect * expand);
        const fe = value(xe);
        replaceWorst(fe < fr ? xe : xr, Math.min(fe, fr));
      } else if (fr < secondWorstValue) {
        replaceWorst(xr, fr);
      } else {
        // Outside contraction when the reflection beat the worst point, inside otherwise.
        const outside = fr < worstValue;
        const xc = along(outside ? reflect * contract : -contract);
        const fc = value(xc);
        if (fc < (outside ? fr : worstValue)) replaceWorst(xc, fc);
        else {
          for (let i = 1; i <= n; i++) {
            const p = points[i] ?? [];
            const shrunk = p.map((c, k) => (bestPoint[k] ?? 0) + shrink * (c - (bestPoint[k] ?? 0)));
            points[i] = shrunk;
            values[i] = value(shrunk);
          }
        }
      }
    }
    const i = values.indexOf(Math.min(...values));
    return { x: points[i] ?? [...start], value: values[i] ?? Number.POSITIVE_INFINITY, met: false };

    function replaceWorst(x: number[], v: number) {
      points[n] = x;
      values[n] = v;
    }
  }
}
