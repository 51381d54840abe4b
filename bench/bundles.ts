import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

export interface BundleSize {
  function: string;
  /** the minified index.mjs, without its separate source map */
  bytes: number;
}

/**
 * Builds each Lambda handler (a functions/*.ts file exporting `handler`) with the options NodejsFunction gets in
 * infra/constructs/job-function.ts, in memory (nothing is written), and measures the minified code file.
 */
export async function bundleSizes(root: string): Promise<BundleSize[]> {
  const dir = join(root, 'functions');
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => /export\s+(const|async function|function)\s+handler\b/.test(readFileSync(join(dir, f), 'utf8')))
    .sort();
  const sizes: BundleSize[] = [];
  for (const file of entries) {
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
    sizes.push({ function: name, bytes: code.contents.byteLength });
  }
  return sizes;
}
