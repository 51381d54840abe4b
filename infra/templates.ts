/**
 * The deployment's email templates, compiled and linted once per synth (infra/app.ts), before any construct is
 * built: MJML becomes responsive HTML here, never in a Lambda. An error in any template × locale (unknown variable
 * or filter, missing page string, HTML over 100 KB, a step naming a template that does not exist) fails the synth
 * and so `cdk deploy`; warnings are printed. The bundle is written to {@link BUILT_TEMPLATES_FILE} and each
 * function that renders email or the unsubscribe pages packages it as `templates.json` (JobFunction assetFiles).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { compileTemplates } from '../shared/email/templates/compile.ts';
import { formatDiagnostics, type LintResult, lintTemplates } from '../shared/email/templates/lint.ts';
import { type DeploymentConfig, DeploymentConfigError } from './config.ts';
import type { AssetFile } from './constructs/job-function.ts';
import { PROJECT_ROOT } from './constructs/job-function.ts';

/** Where synth writes the compiled bundle (gitignored). */
export const BUILT_TEMPLATES_FILE = join(PROJECT_ROOT, '.clientele', 'build', 'templates.json');
/** The name the handlers read it by (functions/templates.ts). */
export const TEMPLATES_ASSET_NAME = 'templates.json';

export function templatesAsset(source: string = BUILT_TEMPLATES_FILE): AssetFile {
  return { source, name: TEMPLATES_ASSET_NAME };
}

export interface BuiltTemplates {
  file: string;
  lint: LintResult;
  summary: string;
}

/** Compiles and lints `config.templatesDir` (relative to `cwd`), writes the bundle; throws on any error. */
export async function buildTemplates(
  config: DeploymentConfig,
  options: { cwd?: string; out?: string } = {},
): Promise<BuiltTemplates> {
  const dir = resolve(options.cwd ?? process.cwd(), config.templatesDir);
  const compiled = await compileTemplates(dir);
  const lint = lintTemplates(compiled, config.engine);
  const largest = lint.largestHtml
    ? `; largest HTML ${lint.largestHtml.templateId} (${lint.largestHtml.locale}) ${(lint.largestHtml.bytes / 1024).toFixed(1)} KB`
    : '';
  const summary = `templates ${config.templatesDir}: ${lint.variants} variants, ${lint.renders} sample renders, ${lint.errors} errors, ${lint.warnings} warnings${largest}`;
  if (lint.errors > 0) {
    throw new DeploymentConfigError(`${summary}\n${formatDiagnostics(lint.diagnostics)}`);
  }
  const file = options.out ?? BUILT_TEMPLATES_FILE;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(compiled.bundle));
  return { file, lint, summary: lint.warnings ? `${summary}\n${formatDiagnostics(lint.diagnostics)}` : summary };
}
