import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

import { bundleBudget, MAX_BUNDLE_BYTES } from '../../infra/bundle-budget.ts';

export { MAX_BUNDLE_BYTES };

/** Modules in functions/ shared by the handlers; they export no `handler` and are not deployed on their own. */
export const NOT_HANDLERS = [
  'adapters.ts',
  'env.ts',
  'events.ts',
  'full-pass-handler.ts',
  'job-handler.ts',
  'metrics.ts',
  'powertools.ts',
  'secrets.ts',
  'send-rate.ts',
  'sqs-batch.ts',
  'template-bundle.ts',
  'templates.ts',
];

export interface BundleSize {
  function: string;
  /** the minified index.mjs, without its separate source map */
  bytes: number;
  /** a construct in infra/ deploys this handler (`handlerEntry('<name>.ts')`) */
  deployed: boolean;
  /** within its budget (MAX_BUNDLE_BYTES, or its exception in infra/bundle-budget.ts) */
  withinBudget: boolean;
}

export interface BundleReport {
  bundles: BundleSize[];
  /** handler files infra/ references that do not exist in functions/ (should be none) */
  missingHandlers: string[];
  /** files in functions/ that are neither a handler nor a known shared module (should be none) */
  unknownFiles: string[];
}

const EXPORTS_HANDLER = /export\s+(const|let|async\s+function|function)\s+handler\b|export\s*\{[^}]*\bhandler\b[^}]*\}/;

/** Every `handlerEntry('x.ts')` in infra/ (the functions the stacks deploy). */
function deployedEntries(root: string): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/handlerEntry\(\s*['"]([^'"]+\.ts)['"]\s*\)/g)) {
          if (m[1]) found.add(m[1]);
        }
      }
    }
  };
  walk(join(root, 'infra'));
  return found;
}

/**
 * Builds each Lambda handler (every functions/*.ts exporting `handler`) with the options NodejsFunction gets in
 * infra/constructs/job-function.ts, in memory (nothing is written), and measures the minified code file. Also
 * checks the list against the handlers infra/ deploys.
 */
export async function bundleSizes(root: string): Promise<BundleReport> {
  const dir = join(root, 'functions');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  // A shared module that mentions `export const handler` in a comment (job-handler.ts) is still not a handler.
  const handlers = files.filter(
    (f) => !NOT_HANDLERS.includes(f) && EXPORTS_HANDLER.test(readFileSync(join(dir, f), 'utf8')),
  );
  const deployed = deployedEntries(root);
  const sizes: BundleSize[] = [];
  for (const file of handlers) {
    const name = basename(file, '.ts');
    const result = await build({
      entryPoints: [join(dir, file)],
      outfile: join(tmpdir(), 'clientele-bench', name, 'index.mjs'),
      write: false,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      sourcemap: true,
      sourcesContent: false,
      logLevel: 'warning',
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
    if (!code) throw new Error(`esbuild produced no index.mjs for ${file}`);
    const bytes = code.contents.byteLength;
    sizes.push({ function: name, bytes, deployed: deployed.has(file), withinBudget: bytes <= bundleBudget(name) });
  }
  return {
    bundles: sizes,
    missingHandlers: [...deployed].filter((f) => !files.includes(f)).sort(),
    unknownFiles: files.filter((f) => !handlers.includes(f) && !NOT_HANDLERS.includes(f)),
  };
}
