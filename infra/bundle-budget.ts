/**
 * The size goal of the Lambda bundles (minified index.mjs, AWS SDK excluded): checked by `npm run synth` and the
 * bench. Small bundles load and parse fast on a cold start.
 */
export const MAX_BUNDLE_BYTES = 250 * 1024;

/**
 * Functions allowed more, each with its reason. winback-send renders the emails at send time with the Liquid
 * runtime (liquidjs: 79 KB minified, not tree-shakeable because the engine registers every standard tag and
 * filter); MJML itself is compiled at synth and never reaches a Lambda. churn-cohorts renders and sends the digest
 * after its merge: the renderer and the digest's text in nine languages (shared/reports/digest-copy/: ~32 KB
 * minified, the Cyrillic and Hangul escaped) come on top of the report renderers; it also fits the predictive models
 * (the optimiser, the holdout evaluation) and renders their report section. The three functions that score customers
 * with the predictive model (flag-dormant, flag-full-pass, record-activity) bundle the special functions the
 * Pareto/NBD P(alive) needs (@stdlib's hyp2f1 and gammaln with their dependencies: CommonJS packages, ~100 KB once
 * esbuild wraps them); every function that does not score keeps the numerics out (shared/domain/btyd/model-record.ts
 * holds the schemas only). Every other function stays within 250 KB.
 */
export const BUNDLE_BUDGET_EXCEPTIONS: Readonly<Record<string, number>> = {
  'winback-send': 300 * 1024,
  'churn-cohorts': 420 * 1024,
  'flag-dormant': 300 * 1024,
  'flag-full-pass': 300 * 1024,
  'record-activity': 300 * 1024,
};

/** The budget of a function, by its job name or its deployed name (`clientele-<stage>-<job>`). */
export function bundleBudget(functionName: string): number {
  const job = Object.keys(BUNDLE_BUDGET_EXCEPTIONS).find((j) => functionName === j || functionName.endsWith(`-${j}`));
  return job === undefined ? MAX_BUNDLE_BYTES : (BUNDLE_BUDGET_EXCEPTIONS[job] ?? MAX_BUNDLE_BYTES);
}
