/**
 * Build time only (synth, the CLI): compiles a templates folder into the TemplateBundle the Lambdas load. MJML and
 * html-to-text never reach a Lambda bundle. Layout of the folder (templates/README.md):
 *   <locale>/<template-id>.mjml   front matter (YAML: subject, preheader, description, vars) + MJML with Liquid
 *   <locale>/pages.yml            the unsubscribe pages' strings (PageStringsSchema)
 *   <locale>/_name.mjml, _shared   partials for <mj-include>, not templates
 * A problem is a diagnostic naming the file and field; the rest of the folder still compiles.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { convert } from 'html-to-text';
import yaml from 'js-yaml';
import mjml2html from 'mjml';
import type * as z from 'zod';
import {
  type CompiledVariant,
  FrontMatterSchema,
  LocaleKeySchema,
  PageStringsSchema,
  type TemplateBundle,
  TemplateIdSchema,
} from './bundle.ts';

export interface Diagnostic {
  level: 'error' | 'warning';
  /** path relative to the templates folder's parent (what a person opens) */
  file: string;
  message: string;
}

export interface CompiledTemplates {
  bundle: TemplateBundle;
  diagnostics: Diagnostic[];
  /** template id → locale → source file, for lint messages */
  sources: Record<string, Record<string, string>>;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
}

/** Splits `---\nYAML\n---\nbody`; the YAML must be a mapping. */
export function splitFrontMatter(source: string): { data: unknown; body: string } {
  const match = FRONT_MATTER.exec(source);
  if (!match) throw new Error('front matter: missing (the file must start with --- … --- holding at least subject:)');
  const data = yaml.load(match[1] ?? '', { schema: yaml.JSON_SCHEMA });
  return { data: data ?? {}, body: source.slice(match[0].length) };
}

function withPreview(body: string, preheader: string): string {
  const preview = `<mj-preview>${preheader}</mj-preview>`;
  if (/<mj-head(\s[^>]*)?>/.test(body)) return body.replace(/<mj-head(\s[^>]*)?>/, (head) => `${head}${preview}`);
  return body.replace(/<mjml(\s[^>]*)?>/, (root) => `${root}<mj-head>${preview}</mj-head>`);
}

async function mjmlToHtml(body: string, filePath: string, root: string): Promise<{ html: string; errors: string[] }> {
  try {
    // MJML 5 ignores <mj-include> unless told otherwise; includes may read only inside the templates folder
    const result = await mjml2html(body, {
      filePath,
      validationLevel: 'strict',
      keepComments: false,
      ignoreIncludes: false,
      includePath: root,
    });
    return { html: result.html, errors: result.errors.map((e) => `line ${e.line}: ${e.message}`) };
  } catch (error) {
    // strict validation throws with the list of problems
    const errors = (error as { errors?: { line?: number; message?: string }[] }).errors;
    if (Array.isArray(errors)) return { html: '', errors: errors.map((e) => `line ${e.line}: ${e.message}`) };
    return { html: '', errors: [error instanceof Error ? error.message : String(error)] };
  }
}

/** The text part: same source, no preheader; headings keep their case (Liquid names must survive). */
function textOf(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  });
}

async function compileTemplate(path: string, root: string): Promise<{ variant?: CompiledVariant; problems: string[] }> {
  let parts: { data: unknown; body: string };
  try {
    parts = splitFrontMatter(readFileSync(path, 'utf8'));
  } catch (error) {
    return { problems: [error instanceof Error ? error.message : String(error)] };
  }
  const front = FrontMatterSchema.safeParse(parts.data);
  if (!front.success) return { problems: issuesOf(front.error).map((m) => `front matter: ${m}`) };
  const { subject, preheader, description, vars } = front.data;
  const [withPreheader, plain] = await Promise.all([
    mjmlToHtml(withPreview(parts.body, preheader), path, root),
    mjmlToHtml(parts.body, path, root),
  ]);
  if (withPreheader.errors.length) return { problems: withPreheader.errors.map((m) => `mjml: ${m}`) };
  return {
    variant: {
      subject,
      preheader,
      ...(description ? { description } : {}),
      html: withPreheader.html,
      text: textOf(plain.html),
      vars,
    },
    problems: [],
  };
}

/** Compiles every template and page file of `dir`. Missing folder: one error, empty bundle. */
export async function compileTemplates(dir: string): Promise<CompiledTemplates> {
  const root = resolve(dir);
  const shown = (path: string) => relative(process.cwd(), path) || path;
  const bundle: TemplateBundle = { format: 1, templates: {}, pages: {} };
  const diagnostics: Diagnostic[] = [];
  const sources: Record<string, Record<string, string>> = {};
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    return { bundle, sources, diagnostics: [{ level: 'error', file: shown(root), message: 'not a folder' }] };
  }
  const error = (file: string, message: string) => diagnostics.push({ level: 'error', file: shown(file), message });
  const jobs: Promise<void>[] = [];
  for (const entry of readdirSync(root).sort()) {
    const folder = join(root, entry);
    if (entry.startsWith('_') || entry.startsWith('.') || !statSync(folder).isDirectory()) continue;
    if (!LocaleKeySchema.safeParse(entry).success) {
      error(
        folder,
        'a locale folder must be named by a lowercase language tag (en, nb, pt-br); use _name for partials',
      );
      continue;
    }
    const locale = entry;
    for (const file of readdirSync(folder).sort()) {
      const path = join(folder, file);
      if (file.startsWith('_') || file.startsWith('.') || statSync(path).isDirectory()) continue;
      if (file === 'pages.yml') {
        try {
          const pages = PageStringsSchema.safeParse(
            yaml.load(readFileSync(path, 'utf8'), { schema: yaml.JSON_SCHEMA }),
          );
          if (pages.success) bundle.pages[locale] = pages.data;
          else for (const m of issuesOf(pages.error)) error(path, m);
        } catch (e) {
          error(path, `YAML: ${e instanceof Error ? e.message : String(e)}`);
        }
        continue;
      }
      if (!file.endsWith('.mjml')) {
        diagnostics.push({
          level: 'warning',
          file: shown(path),
          message: 'ignored: not a .mjml template or pages.yml',
        });
        continue;
      }
      const id = file.slice(0, -'.mjml'.length);
      if (!TemplateIdSchema.safeParse(id).success) {
        error(path, 'a template file name must be lowercase letters, digits and dashes (it is the template id)');
        continue;
      }
      jobs.push(
        compileTemplate(path, root).then(({ variant, problems }) => {
          for (const m of problems) error(path, m);
          if (!variant) return;
          bundle.templates[id] ??= {};
          bundle.templates[id][locale] = variant;
          sources[id] ??= {};
          sources[id][locale] = path;
        }),
      );
    }
  }
  await Promise.all(jobs);
  // deterministic output whatever order the compilations finished in
  bundle.templates = Object.fromEntries(
    Object.entries(bundle.templates)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, variants]) => [
        id,
        Object.fromEntries(Object.entries(variants).sort(([a], [b]) => a.localeCompare(b))),
      ]),
  );
  diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.message.localeCompare(b.message));
  return { bundle, diagnostics, sources };
}
