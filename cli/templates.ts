/**
 * `clientele templates lint | preview | send-test` and the templates every other command renders with: the
 * templates folder (--templates-dir, default the one this package ships) compiled once per process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { EngineConfig } from '../shared/domain/config.ts';
import { type CompiledTemplates, compileTemplates } from '../shared/email/templates/compile.ts';
import { formatDiagnostics, type LintResult, lintTemplates } from '../shared/email/templates/lint.ts';
import { renderPreview } from '../shared/email/templates/preview.ts';
import { type TemplateRenderer, templateRenderer } from '../shared/email/templates/render.ts';
import { previewCase } from '../shared/email/templates/samples.ts';
import { type GlobalOptions, loadConfig, openEmail } from './runtime.ts';

/** The templates folder this package ships (the default of --templates-dir). */
export const BUILT_IN_TEMPLATES_DIR = fileURLToPath(new URL('../templates', import.meta.url));

const compiledByDir = new Map<string, Promise<CompiledTemplates>>();

export function compiledTemplates(dir: string): Promise<CompiledTemplates> {
  const key = resolve(dir);
  let compiled = compiledByDir.get(key);
  if (!compiled) {
    compiled = compileTemplates(key);
    compiledByDir.set(key, compiled);
  }
  return compiled;
}

/** The renderer for a folder; refuses to run on templates with errors (lint names them). */
export async function loadTemplates(dir: string): Promise<TemplateRenderer> {
  const compiled = await compiledTemplates(dir);
  const errors = compiled.diagnostics.filter((d) => d.level === 'error');
  if (errors.length) throw new Error(`templates in ${dir} have errors:\n${formatDiagnostics(errors)}`);
  return templateRenderer(compiled.bundle);
}

export async function lintTemplatesDir(dir: string, config: EngineConfig): Promise<LintResult> {
  return lintTemplates(await compiledTemplates(dir), config);
}

interface PreviewOptions {
  out: string;
}
interface SendTestOptions {
  to: string;
  from: string;
  template?: string;
  locale?: string;
  keepOpen?: boolean;
}

export function registerTemplateCommands(
  program: Command,
  globals: () => GlobalOptions,
  emit: (json: unknown, text: string) => void,
): void {
  const templates = program
    .command('templates')
    .description('check, preview and test-send the email templates (the templates folder, --templates-dir)');

  templates
    .command('lint')
    .description('compile every template × locale, render it with sample customers and check it (exit 1 on errors)')
    .action(async () => {
      const g = globals();
      const result = await lintTemplatesDir(g.templatesDir, await loadConfig(g.config));
      const largest = result.largestHtml
        ? `; largest HTML ${result.largestHtml.templateId} (${result.largestHtml.locale}) ${(result.largestHtml.bytes / 1024).toFixed(1)} KB`
        : '';
      const summary = `${result.variants} template variants, ${result.renders} renders: ${result.errors} errors, ${result.warnings} warnings${largest}`;
      emit(result, [formatDiagnostics(result.diagnostics), summary].filter(Boolean).join('\n'));
      if (result.errors) process.exitCode = 1;
    });

  templates
    .command('preview')
    .description('render every template in every locale to HTML and text files, with an index page side by side')
    .requiredOption('--out <dir>', 'where the preview files go')
    .action(async (o: PreviewOptions) => {
      const g = globals();
      const [renderer, config] = await Promise.all([loadTemplates(g.templatesDir), loadConfig(g.config)]);
      const { files, entries } = renderPreview(renderer.bundle, config);
      for (const file of files) {
        const path = join(o.out, file.path);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, file.content);
      }
      emit(
        { out: o.out, index: join(o.out, 'index.html'), entries },
        `${entries.length} previews in ${o.out}; open ${join(o.out, 'index.html')}`,
      );
    });

  templates
    .command('send-test')
    .description('send every template (or one) to ADDRESS: the local SES inbox, --ses-endpoint, or real SES with --aws')
    .requiredOption('--to <address>', 'recipient (a person on your team, not a customer)')
    .option('--from <address>', 'sender address (a verified SES identity in AWS)', 'Clientele <winback@example.com>')
    .option('--template <id>', 'only this template')
    .option('--locale <tag>', "only this locale (the fallback chain applies, as for a customer's locale)")
    .option('--keep-open', 'keep the embedded SES inbox running and print its URL')
    .action(async (o: SendTestOptions) => {
      const g = globals();
      const [renderer, config] = await Promise.all([loadTemplates(g.templatesDir), loadConfig(g.config)]);
      const ids = o.template ? [o.template] : Object.keys(renderer.bundle.templates);
      const email = await openEmail(g);
      const sent: { templateId: string; locale: string; messageId: string }[] = [];
      try {
        for (const id of ids) {
          if (!renderer.bundle.templates[id]) throw new Error(`no template ${id}`);
          for (const locale of o.locale ? [o.locale] : renderer.locales(id)) {
            const rendered = renderer.render(
              previewCase(id, locale, {
                shopName: config.winback.shopName,
                shopUrl: config.winback.shopUrl,
                offerCode: config.winback.offerCode,
                offerPercent: config.winback.offerPercent,
                campaignId: config.winback.campaignId,
                stepId: id,
                campaignVars: config.winback.templateVars,
              }),
            );
            const { messageId } = await email.sender.send({
              to: o.to,
              from: o.from,
              subject: `[test ${id} ${rendered.locale}] ${rendered.subject}`,
              text: rendered.text,
              html: rendered.html,
              tags: { campaign: 'template-test', step: id },
            });
            sent.push({ templateId: id, locale: rendered.locale, messageId });
          }
        }
        const inbox = email.inboxUrl && o.keepOpen ? `; read them at ${email.inboxUrl} (Ctrl+C to stop)` : '';
        emit({ sent }, `${sent.length} test emails sent${inbox}`);
        if (o.keepOpen && email.inboxUrl) await new Promise(() => undefined);
      } finally {
        await email.close();
      }
    });
}
