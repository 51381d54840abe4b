/**
 * Offline synth check: `npm run synth [-- -c configFile=my-config.json]`.
 *
 *  1. runs `cdk synth` (the same app and cdk.json as `cdk deploy`) without network access or an AWS account;
 *     cdk-nag runs as a policy-validation plugin, so any unacknowledged finding fails this step;
 *  2. reads the validation report and fails on any violation;
 *  3. prints each function's bundle size (the minified index.mjs) and fails above its budget (infra/bundle-budget.ts);
 *  4. loads every bundle once in Node with placeholder environment variables, so a broken ESM bundle (missing
 *     export, require() of a built-in, zod member missing from infra/bundling/zod.js) fails here, not in Lambda;
 *  5. checks that the functions that render email or the unsubscribe pages carry a valid `templates.json` (the
 *     app compiles and lints the deployment's templatesDir first: a template error already failed step 1).
 *
 * Without a configFile/clientele context argument, infra/config.example.json is used.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { BUNDLE_BUDGET_EXCEPTIONS, bundleBudget, MAX_BUNDLE_BYTES } from '../infra/bundle-budget.ts';
import { TemplateBundleSchema } from '../shared/email/templates/bundle.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT_DIR = join(ROOT, 'cdk.out');

const OFFLINE_ENV = {
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  // No instance-metadata credential lookups (they would wait for a timeout offline).
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** The parts of the cdk.out files read here (other fields are ignored). */
const ValidationReportSchema = z.object({
  pluginReports: z
    .array(
      z.object({
        summary: z.object({ pluginName: z.string().optional(), status: z.string().optional() }).optional(),
        violations: z.array(z.object({ ruleName: z.string() })).optional(),
      }),
    )
    .optional(),
});
const ManifestSchema = z.object({
  artifacts: z.record(
    z.string(),
    z.object({ type: z.string(), properties: z.object({ templateFile: z.string().optional() }).optional() }),
  ),
});
const TemplateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Properties: z.record(z.string(), z.unknown()).optional(),
      Metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

interface Bundle {
  stack: string;
  functionName: string;
  file: string;
  bytes: number;
}

/** The functions that read `templates.json` beside their handler (functions/templates.ts). */
const TEMPLATE_READERS = /-(winback-send|unsubscribe)$/;

/** What is wrong with the bundle's templates.json, if it needs one. */
function checkTemplates(bundle: Bundle): string | undefined {
  const file = join(dirname(bundle.file), 'templates.json');
  if (!existsSync(file)) return TEMPLATE_READERS.test(bundle.functionName) ? 'templates.json missing' : undefined;
  const parsed = TemplateBundleSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) return `templates.json invalid: ${z.prettifyError(parsed.error)}`;
  const variants = Object.values(parsed.data.templates).reduce((n, locales) => n + Object.keys(locales).length, 0);
  console.log(
    `    templates.json ${kb(statSync(file).size)}: ${variants} variants, pages in ${Object.keys(parsed.data.pages).join(', ')}`,
  );
  return undefined;
}

function fail(message: string): never {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

function readJson<T>(path: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) fail(`${relative(ROOT, path)} is not as expected:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function runCdkSynth(extraArgs: string[]): void {
  const hasConfig = extraArgs.some((a) => /^(configFile|clientele)=/.test(a));
  const args = [
    'cdk',
    'synth',
    '--quiet',
    '--output',
    OUT_DIR,
    ...(hasConfig ? [] : ['-c', 'configFile=infra/config.example.json']),
    ...extraArgs,
  ];
  console.log(`$ npx ${args.join(' ')}`);
  const result = spawnSync('npx', ['--no-install', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...OFFLINE_ENV },
  });
  if (result.error) fail(`could not run the CDK CLI: ${result.error.message}`);
  if (result.status !== 0) fail(`cdk synth failed (exit ${result.status}); see the output above`);
}

function checkValidationReport(): void {
  const path = join(OUT_DIR, 'validation-report.json');
  if (!existsSync(path)) {
    console.log('cdk-nag: no validation report written (no findings)');
    return;
  }
  const report = readJson(path, ValidationReportSchema);
  const violations = (report.pluginReports ?? []).flatMap((p) =>
    (p.violations ?? []).map((v) => `${p.summary?.pluginName ?? 'plugin'}: ${v.ruleName}`),
  );
  const failed = (report.pluginReports ?? []).filter((p) => p.summary?.status === 'failure');
  if (violations.length > 0 || failed.length > 0) {
    fail(`policy validation (cdk-nag) reported ${violations.length} violation(s):\n  ${violations.join('\n  ')}`);
  }
  console.log('cdk-nag (AwsSolutions): 0 unacknowledged findings');
}

function collectBundles(): Bundle[] {
  const manifest = readJson(join(OUT_DIR, 'manifest.json'), ManifestSchema);
  const bundles: Bundle[] = [];
  for (const [stack, artifact] of Object.entries(manifest.artifacts)) {
    const templateFile = artifact.type === 'aws:cloudformation:stack' ? artifact.properties?.templateFile : undefined;
    if (!templateFile) continue;
    const template = readJson(join(OUT_DIR, templateFile), TemplateSchema);
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') fail(`${stack}/${logicalId}: no aws:asset:path metadata`);
      const file = join(OUT_DIR, assetPath, 'index.mjs');
      if (!existsSync(file)) fail(`${stack}/${logicalId}: ${relative(ROOT, file)} missing (is the bundle ESM?)`);
      const name = resource.Properties?.FunctionName;
      bundles.push({
        stack,
        functionName: typeof name === 'string' ? name : logicalId,
        file,
        bytes: statSync(file).size,
      });
    }
  }
  if (bundles.length === 0) fail('no Lambda functions found in cdk.out');
  return bundles;
}

/** Imports a bundle in a child Node process with placeholder configuration (no AWS call succeeds). */
function smokeLoad(bundle: Bundle): string | undefined {
  const env = {
    ...process.env,
    CUSTOMERS_TABLE: 'smoke-customers',
    ORDERS_TABLE: 'smoke-orders',
    LEDGER_TABLE: 'smoke-ledger',
    SNAPSHOTS_TABLE: 'smoke-snapshots',
    ENGINE_CONFIG: '{}',
    REPORTS_BUCKET: 'smoke-reports',
    SENDER_ADDRESS: 'smoke@example.com',
    SES_CONFIGURATION_SET: 'smoke',
    MAX_SEND_RATE: '1',
    UNSUBSCRIBE_BASE_URL: 'https://smoke.example.com/',
    UNSUBSCRIBE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:smoke',
    WINBACK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/smoke',
    SENDER_CONCURRENCY: '2',
    PLAN_INTERVAL_MINUTES: '60',
    FULL_PASS_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:smoke',
    SEGMENT_TIME_BUDGET_SECONDS: '600',
    POWERTOOLS_SERVICE_NAME: 'smoke',
    POWERTOOLS_METRICS_NAMESPACE: 'smoke',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'smoke',
    AWS_SECRET_ACCESS_KEY: 'smoke',
    // A handler that calls AWS while loading gets "connection refused" at once instead of waiting on the network.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...OFFLINE_ENV,
  };
  const script = `const m = await import(${JSON.stringify(`file://${bundle.file}`)});
if (typeof m.handler !== 'function') throw new Error('no exported handler function');`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status === 0) return undefined;
  const output = `${result.stderr}${result.stdout}`;
  // Reaching the network means the module loaded and linked; only offline, the call itself cannot succeed.
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|connect ETIMEDOUT/.test(output)) return undefined;
  // Node prints the failing source line first; in a minified bundle that is one huge line, so show the error.
  const lines = output
    .trim()
    .split('\n')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line));
  const first = lines.findIndex((line) => /^\s*[A-Za-z]*Error\b/.test(line));
  return (first >= 0 ? lines.slice(first, first + 3) : lines.slice(-3)).join('\n') || `exit ${result.status}`;
}

runCdkSynth(process.argv.slice(2));
checkValidationReport();

const bundles = collectBundles();
console.log(
  `\nLambda bundles (minified index.mjs; budget ${kb(MAX_BUNDLE_BYTES)}, ${Object.entries(BUNDLE_BUDGET_EXCEPTIONS)
    .map(([job, bytes]) => `${job} ${kb(bytes)}`)
    .join(', ')}):`,
);
const width = Math.max(...bundles.map((b) => b.functionName.length));
const problems: string[] = [];
for (const bundle of bundles.sort((a, b) => a.functionName.localeCompare(b.functionName))) {
  const budget = bundleBudget(bundle.functionName);
  const over = bundle.bytes > budget;
  const loadError = smokeLoad(bundle);
  const status = over ? 'TOO LARGE' : loadError ? 'LOAD FAILED' : 'ok';
  console.log(
    `  ${bundle.functionName.padEnd(width)}  ${kb(bundle.bytes).padStart(9)}  ${status}  ${relative(ROOT, bundle.file)}`,
  );
  if (over) problems.push(`${bundle.functionName} is ${kb(bundle.bytes)} (> ${kb(budget)})`);
  if (loadError) problems.push(`${bundle.functionName} does not load:\n${loadError}`);
  const templatesError = checkTemplates(bundle);
  if (templatesError) problems.push(`${bundle.functionName}: ${templatesError}`);
}
if (problems.length > 0) fail(problems.join('\n'));
console.log(`\n✓ synth ok: ${bundles.length} functions, templates in ${relative(ROOT, OUT_DIR)}/`);
