/**
 * `clientele templates lint` (and synth): every template × locale × sample customer renders under the strict
 * renderer; every variable it uses is one the renderer provides; the subject fits (≤ 78 characters, warned); the
 * HTML stays under Gmail's clipping (≤ 100 KB); every link is absolute https; every email carries the unsubscribe
 * link; every campaign step's template exists with an `en` variant; every locale has its unsubscribe pages.
 */
import { Liquid } from 'liquidjs';
import type { Campaign } from '../../domain/campaign.ts';
import type { EngineConfig } from '../../domain/config.ts';
import { FINAL_LOCALE } from './bundle.ts';
import type { CompiledTemplates, Diagnostic } from './compile.ts';
import { CUSTOM_FILTERS, templateRenderer } from './render.ts';
import { SAMPLE_UNSUBSCRIBE_URL, type SampleSettings, sampleCases, TEN_CHARACTER_NAME } from './samples.ts';
import { TEMPLATE_VARIABLE_NAMES } from './variables.ts';

export const SUBJECT_MAX_CHARS = 78;
/** Gmail clips messages above 102 KB; we keep a margin. */
export const HTML_MAX_BYTES = 100 * 1024;

export interface LintResult {
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  /** template × locale variants checked, and renders done */
  variants: number;
  renders: number;
  largestHtml?: { templateId: string; locale: string; bytes: number };
}

const analyzer = new Liquid({ strictFilters: true, templates: {} });
for (const name of CUSTOM_FILTERS) analyzer.registerFilter(name, (value: unknown) => value);

function settingsFor(campaign: Campaign | undefined, config: EngineConfig, stepId: string): SampleSettings {
  const w = config.winback;
  return {
    shopName: w.shopName,
    shopUrl: w.shopUrl,
    offerCode: campaign?.offerCode ?? w.offerCode,
    offerPercent: campaign?.offerPercent ?? w.offerPercent,
    campaignId: campaign?.id ?? w.campaignId,
    stepId,
    campaignVars: campaign?.templateVars ?? w.templateVars,
  };
}

/** Links in rendered HTML that are not absolute https (mailto allowed only for the unsubscribe link). */
function badLinks(html: string): string[] {
  const bad: string[] = [];
  for (const match of html.matchAll(/\s(?:href|src)\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
    const url = (match[2] ?? match[3] ?? '').replace(/&amp;/g, '&');
    if (!/^https:\/\/[^/\s]+/i.test(url)) bad.push(url || '(empty)');
  }
  return bad;
}

export function lintTemplates(compiled: CompiledTemplates, config: EngineConfig): LintResult {
  const diagnostics: Diagnostic[] = [...compiled.diagnostics];
  const { bundle, sources } = compiled;
  const fileOf = (id: string, locale: string) => sources[id]?.[locale] ?? `templates/${locale}/${id}.mjml`;
  const error = (file: string, message: string) => diagnostics.push({ level: 'error', file, message });
  const warn = (file: string, message: string) => diagnostics.push({ level: 'warning', file, message });
  const renderer = templateRenderer(bundle);
  let variants = 0;
  let renders = 0;
  let largestHtml: LintResult['largestHtml'];

  // which campaigns (and steps) use each template
  const users = new Map<string, { campaign: Campaign; stepId: string }[]>();
  for (const campaign of config.campaigns)
    for (const step of campaign.steps) {
      const list = users.get(step.template) ?? [];
      list.push({ campaign, stepId: step.id });
      users.set(step.template, list);
      const variantsOf = bundle.templates[step.template];
      if (!variantsOf)
        error('config', `campaign ${campaign.id}, step ${step.id}: template "${step.template}" does not exist`);
      else if (!variantsOf[FINAL_LOCALE])
        error(
          'config',
          `campaign ${campaign.id}, step ${step.id}: template "${step.template}" has no ${FINAL_LOCALE} variant, the last fallback`,
        );
    }

  const allLocales = new Set(Object.values(bundle.templates).flatMap((v) => Object.keys(v)));
  if (!bundle.pages[FINAL_LOCALE])
    error(`templates/${FINAL_LOCALE}/pages.yml`, 'missing: the last fallback of the unsubscribe pages');
  for (const locale of allLocales)
    if (!bundle.pages[locale])
      error(`templates/${locale}/pages.yml`, `missing: ${locale} has email templates but no unsubscribe page strings`);

  for (const [id, byLocale] of Object.entries(bundle.templates)) {
    if (!byLocale[FINAL_LOCALE])
      error(fileOf(id, FINAL_LOCALE), `missing: every template needs an ${FINAL_LOCALE} variant (the last fallback)`);
    for (const locale of allLocales)
      if (!byLocale[locale] && users.has(id))
        warn(`templates/${locale}/${id}.mjml`, `missing: ${locale} customers get this template in a fallback language`);
    const usedBy = users.get(id) ?? [];
    for (const [locale, variant] of Object.entries(byLocale)) {
      variants += 1;
      const file = fileOf(id, locale);
      // 1. syntax and variables, statically
      let syntaxOk = true;
      for (const [part, source] of Object.entries({
        subject: variant.subject,
        preheader: variant.preheader,
        html: variant.html,
        text: variant.text,
      })) {
        try {
          for (const segments of analyzer.globalVariableSegmentsSync(source)) {
            const [head, key] = segments.map(String);
            if (head === undefined) continue;
            if (!TEMPLATE_VARIABLE_NAMES.includes(head))
              error(file, `${part}: unknown variable "${segments.join('.')}"`);
            else if (head === 'template' && key !== undefined && !(key in variant.vars))
              error(file, `${part}: template.${key} is not in the front matter vars`);
            else if (head === 'campaign' && key !== undefined) {
              const lacking = (
                usedBy.length ? usedBy.map((u) => u.campaign.templateVars) : [config.winback.templateVars]
              ).some((vars) => !(key in vars));
              if (lacking)
                error(
                  file,
                  `${part}: campaign.${key} is not in the templateVars of every campaign that uses this template`,
                );
            }
          }
        } catch (e) {
          syntaxOk = false;
          error(file, `${part}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (!syntaxOk) continue;
      // 2. render every sample case under the strict renderer
      const contexts = usedBy.length ? usedBy : [{ campaign: undefined, stepId: id }];
      const seen = new Set<string>();
      for (const { campaign, stepId } of contexts) {
        for (const sample of sampleCases(id, locale, settingsFor(campaign, config, stepId))) {
          renders += 1;
          let rendered: ReturnType<typeof renderer.render>;
          try {
            rendered = renderer.render({ ...sample.input, defaultLocale: locale });
          } catch (e) {
            const message = `${sample.label}: ${e instanceof Error ? e.message : String(e)}`;
            if (!seen.has(message)) error(file, message);
            seen.add(message);
            continue;
          }
          const problems: [Diagnostic['level'], string][] = [];
          const bytes = Buffer.byteLength(rendered.html, 'utf8');
          if (!largestHtml || bytes > largestHtml.bytes) largestHtml = { templateId: id, locale, bytes };
          if (bytes > HTML_MAX_BYTES)
            problems.push([
              'error',
              `HTML is ${(bytes / 1024).toFixed(1)} KB: above ${HTML_MAX_BYTES / 1024} KB Gmail clips the message`,
            ]);
          if (sample.input.customer.name === TEN_CHARACTER_NAME && [...rendered.subject].length > SUBJECT_MAX_CHARS)
            problems.push([
              'warning',
              `subject is ${[...rendered.subject].length} characters with a 10-character name (> ${SUBJECT_MAX_CHARS}): "${rendered.subject}"`,
            ]);
          if (!rendered.subject) problems.push(['error', `${sample.label}: the subject renders empty`]);
          for (const url of badLinks(rendered.html)) problems.push(['error', `link is not absolute https: ${url}`]);
          if (sample.input.unsubscribeUrl) {
            const escaped = SAMPLE_UNSUBSCRIBE_URL.replace(/&/g, '&amp;');
            if (!rendered.html.includes(escaped))
              problems.push(['error', 'the HTML part has no unsubscribe link ({{ unsubscribe_url }})']);
            if (!rendered.text.includes(SAMPLE_UNSUBSCRIBE_URL))
              problems.push(['error', 'the text part has no unsubscribe link']);
          }
          for (const [part, value] of [
            ['html', rendered.html],
            ['text', rendered.text],
            ['subject', rendered.subject],
          ] as const)
            if (/\{\{|\{%|%\}|\}\}/.test(value))
              problems.push(['error', `${part}: Liquid delimiters left in the output`]);
          for (const [level, message] of problems) {
            if (seen.has(message)) continue;
            seen.add(message);
            diagnostics.push({ level, file, message });
          }
        }
      }
    }
  }
  diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.message.localeCompare(b.message));
  return {
    diagnostics,
    errors: diagnostics.filter((d) => d.level === 'error').length,
    warnings: diagnostics.filter((d) => d.level === 'warning').length,
    variants,
    renders,
    ...(largestHtml ? { largestHtml } : {}),
  };
}

/** One line per diagnostic, as compilers print them. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.file}: ${d.level}: ${d.message}`).join('\n');
}
