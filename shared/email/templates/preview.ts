/**
 * `clientele templates preview`: every template in every locale rendered for that language's sample customer, as
 * HTML and plain-text files, plus an index page with the locales side by side (each email in a phone-width frame).
 * Pure: returns the files; the CLI writes them.
 */
import type { EngineConfig } from '../../domain/config.ts';
import { escapeHtml } from '../text-safety.ts';
import type { TemplateBundle } from './bundle.ts';
import { templateRenderer } from './render.ts';
import { previewCase } from './samples.ts';

export interface PreviewFile {
  path: string;
  content: string;
}

export interface PreviewEntry {
  templateId: string;
  locale: string;
  subject: string;
  htmlFile: string;
  textFile: string;
  htmlBytes: number;
}

export function renderPreview(
  bundle: TemplateBundle,
  config: EngineConfig,
): { files: PreviewFile[]; entries: PreviewEntry[] } {
  const renderer = templateRenderer(bundle);
  const files: PreviewFile[] = [];
  const entries: PreviewEntry[] = [];
  const stepOf = new Map(config.campaigns.flatMap((c) => c.steps.map((s) => [s.template, { c, s }] as const)));
  for (const [templateId, variants] of Object.entries(bundle.templates)) {
    const use = stepOf.get(templateId);
    for (const locale of Object.keys(variants)) {
      const rendered = renderer.render(
        previewCase(templateId, locale, {
          shopName: config.winback.shopName,
          shopUrl: config.winback.shopUrl,
          offerCode: use?.c.offerCode ?? config.winback.offerCode,
          offerPercent: use?.c.offerPercent ?? config.winback.offerPercent,
          campaignId: use?.c.id ?? config.winback.campaignId,
          stepId: use?.s.id ?? templateId,
          campaignVars: use?.c.templateVars ?? config.winback.templateVars,
        }),
      );
      const htmlFile = `${templateId}/${locale}.html`;
      const textFile = `${templateId}/${locale}.txt`;
      files.push({ path: htmlFile, content: rendered.html });
      files.push({ path: textFile, content: `Subject: ${rendered.subject}\n\n${rendered.text}` });
      entries.push({
        templateId,
        locale,
        subject: rendered.subject,
        htmlFile,
        textFile,
        htmlBytes: Buffer.byteLength(rendered.html, 'utf8'),
      });
    }
  }
  files.push({ path: 'index.html', content: indexPage(entries) });
  return { files, entries };
}

function indexPage(entries: readonly PreviewEntry[]): string {
  const templates = [...new Set(entries.map((e) => e.templateId))];
  const sections = templates
    .map((id) => {
      const cells = entries
        .filter((e) => e.templateId === id)
        .map(
          (e) => `<figure class="cell" lang="${escapeHtml(e.locale)}">
<figcaption><strong>${escapeHtml(e.locale)}</strong> · ${(e.htmlBytes / 1024).toFixed(1)} KB · <a href="${escapeHtml(e.htmlFile)}">HTML</a> · <a href="${escapeHtml(e.textFile)}">text</a><br><span class="subject">${escapeHtml(e.subject)}</span></figcaption>
<iframe src="${escapeHtml(e.htmlFile)}" title="${escapeHtml(`${id} (${e.locale})`)}" loading="lazy"></iframe>
</figure>`,
        )
        .join('\n');
      return `<section><h2>${escapeHtml(id)}</h2><div class="row">${cells}</div></section>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Email templates preview</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;margin:0;padding:16px;background:#f9fafb;color:#111827}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:24px 0 8px}
.row{display:flex;gap:16px;overflow-x:auto;padding-bottom:8px}
.cell{margin:0;flex:0 0 auto;width:340px;max-width:calc(100vw - 48px)}
figcaption{font-size:12px;line-height:18px;min-height:54px}.subject{color:#374151}
iframe{width:100%;height:720px;border:1px solid #d1d5db;border-radius:6px;background:#fff}
</style></head><body>
<h1>Email templates preview</h1>
<p>Each template in each locale, for that language's sample customer (45 days since the last order). Scroll sideways for more locales.</p>
${sections}
</body></html>
`;
}
