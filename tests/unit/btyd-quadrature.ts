/**
 * Independent numerical references for the buy-till-you-die tests: Gauss–Legendre (20 points) on pieces that
 * shrink geometrically towards both ends, so an integrand that is sharp or singular there (u^(1/a) at 0, 2F1 near
 * z = 1) is resolved. Deliberately nothing like the series the models use.
 */
export function integrate(f: (x: number) => number, a: number, b: number): number {
  const half = (b - a) / 2;
  let total = 0;
  for (let k = 0; k < 80; k++) {
    const outer = half * 0.7 ** k;
    const inner = k === 79 ? 0 : half * 0.7 ** (k + 1);
    total += gaussLegendre(f, a + inner, a + outer) + gaussLegendre(f, b - outer, b - inner);
  }
  return total;
}

// 20-point Gauss–Legendre nodes and weights on [−1, 1] (positive half; symmetric).
const GL_X = [
  0.0765265211334973, 0.2277858511416451, 0.3737060887154195, 0.5108670019508271, 0.636053680726515, 0.7463319064601508,
  0.8391169718222188, 0.9122344282513259, 0.9639719272779138, 0.9931285991850949,
];
const GL_W = [
  0.1527533871307258, 0.1491729864726037, 0.1420961093183821, 0.1316886384491766, 0.1181945319615184,
  0.1019301198172404, 0.0832767415767048, 0.0626720483341091, 0.0406014298003869, 0.0176140071391521,
];

function gaussLegendre(f: (x: number) => number, a: number, b: number): number {
  const mid = (a + b) / 2;
  const half = (b - a) / 2;
  let sum = 0;
  for (let i = 0; i < GL_X.length; i++) {
    const x = GL_X[i] ?? 0;
    sum += (GL_W[i] ?? 0) * (f(mid - half * x) + f(mid + half * x));
  }
  return sum * half;
}
