/**
 * `clientele templates lint` (and synth, which runs the same check): each mistake a marketer can make in a
 * template file is caught with the file named, before anything is sent. Each case edits a copy of the built-in
 * templates folder.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_IN_TEMPLATES_DIR } from '../../cli/templates.ts';
import { EngineConfigSchema } from '../../shared/domain/config.ts';
import { compileTemplates } from '../../shared/email/templates/compile.ts';
import { type LintResult, lintTemplates } from '../../shared/email/templates/lint.ts';
import { TEMPLATE_VARIABLE_NAMES } from '../../shared/email/templates/variables.ts';

const CONFIG = EngineConfigSchema.parse({});
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Lints a copy of the built-in templates after `edit(dir)`. */
async function lintEdited(edit: (dir: string) => void, config = CONFIG): Promise<LintResult> {
  const root = mkdtempSync(join(tmpdir(), 'clientele-templates-'));
  dirs.push(root);
  const dir = join(root, 'templates');
  cpSync(BUILT_IN_TEMPLATES_DIR, dir, { recursive: true });
  edit(dir);
  return lintTemplates(await compileTemplates(dir), config);
}

function replaceIn(dir: string, file: string, from: string | RegExp, to: string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`test setup: ${String(from)} not found in ${file}`);
  writeFileSync(path, after);
}

function messages(result: LintResult, level: 'error' | 'warning'): string[] {
  return result.diagnostics.filter((d) => d.level === level).map((d) => `${d.file}: ${d.message}`);
}

describe('templates lint', () => {
  it('passes the built-in templates with no errors and no warnings', async () => {
    const result = await lintEdited(() => {});
    expect(messages(result, 'error')).toEqual([]);
    expect(messages(result, 'warning')).toEqual([]);
    expect(result.variants).toBeGreaterThanOrEqual(3);
    expect(result.largestHtml?.bytes).toBeLessThan(100 * 1024);
  });

  it('fails an unknown variable instead of rendering it empty', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(dir, 'en/offer.mjml', 'Just enter the code', 'Just enter {{ frist_name }} the code'),
    );
    expect(messages(result, 'error').join('\n')).toMatch(/en\/offer\.mjml: html: unknown variable "frist_name"/);
  });

  it('fails an unknown filter', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(dir, 'en/miss-you.mjml', /\{\{ shop_name \}\}/, '{{ shop_name | shout }}'),
    );
    expect(messages(result, 'error').join('\n')).toMatch(/en\/miss-you\.mjml: .*undefined filter: shout/);
  });

  it('fails a template var the front matter does not define', async () => {
    const result = await lintEdited((dir) => replaceIn(dir, 'en/offer.mjml', 'code_label: "Your code"', 'other: "x"'));
    expect(messages(result, 'error').join('\n')).toMatch(/template\.code_label is not in the front matter vars/);
  });

  it('fails a page string that is missing', async () => {
    const result = await lintEdited((dir) => replaceIn(dir, 'en/pages.yml', /^done: .*$/m, ''));
    expect(messages(result, 'error').join('\n')).toMatch(/en\/pages\.yml: .*done/);
  });

  it('warns on a subject above 78 characters with a 10-character name', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(
        dir,
        'en/offer.mjml',
        'off your next order{% else %}',
        'off your next order, only this week and only for our very best customers{% else %}',
      ),
    );
    expect(messages(result, 'error')).toEqual([]);
    expect(messages(result, 'warning').join('\n')).toMatch(/en\/offer\.mjml: subject is \d+ characters/);
  });

  it('fails links that are not absolute https', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(
        dir,
        'en/miss-you.mjml',
        '<mj-button href="{{ shop_url }}">',
        '<mj-button href="http://shop.example/">',
      ),
    );
    expect(messages(result, 'error').join('\n')).toMatch(/link is not absolute https: http:\/\/shop\.example\//);
    const relative = await lintEdited((dir) =>
      replaceIn(dir, 'en/miss-you.mjml', '<mj-button href="{{ shop_url }}">', '<mj-button href="/sale">'),
    );
    expect(messages(relative, 'error').join('\n')).toMatch(/link is not absolute https: \/sale/);
  });

  it('fails a template without the unsubscribe link', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(dir, 'en/_footer.mjml', /<a href="\{\{ unsubscribe_url \}\}"[^>]*>[^<]*<\/a>/, ''),
    );
    expect(messages(result, 'error').join('\n')).toMatch(/no unsubscribe link/);
  });

  it('fails HTML above 100 KB (Gmail clips at 102 KB)', async () => {
    const result = await lintEdited((dir) =>
      replaceIn(
        dir,
        'en/offer.mjml',
        'Just enter the code below at checkout.',
        `Just enter the code below at checkout. ${'Lorem ipsum dolor sit amet. '.repeat(4000)}`,
      ),
    );
    expect(messages(result, 'error').join('\n')).toMatch(/en\/offer\.mjml: HTML is \d+\.\d KB: above 100 KB/);
  });

  it('fails broken MJML or Liquid syntax and names the file', async () => {
    const result = await lintEdited((dir) => replaceIn(dir, 'en/last-chance.mjml', '{% endif %}', '{% endiff %}'));
    expect(messages(result, 'error').join('\n')).toMatch(/en\/last-chance\.mjml/);
  });

  it('fails a campaign step whose template does not exist', async () => {
    const config = EngineConfigSchema.parse({
      winback: { steps: [{ id: 'first', offsetDays: 0, template: 'spring-sale' }] },
    });
    const result = await lintEdited(() => {}, config);
    expect(messages(result, 'error').join('\n')).toMatch(/step first: template "spring-sale" does not exist/);
  });

  it('warns when a used template lacks a locale the others have, and errors when it lacks English', async () => {
    const result = await lintEdited((dir) => {
      cpSync(join(dir, 'en'), join(dir, 'xx'), { recursive: true });
      rmSync(join(dir, 'xx', 'last-chance.mjml'));
      for (const file of ['miss-you.mjml', 'offer.mjml'])
        replaceIn(dir, `xx/${file}`, '<mjml lang="en">', '<mjml lang="xx">');
    });
    expect(messages(result, 'warning').join('\n')).toMatch(
      /xx\/last-chance\.mjml: missing: xx customers get this template in a fallback language/,
    );
    const noEnglish = await lintEdited((dir) => {
      cpSync(join(dir, 'en', 'offer.mjml'), join(dir, 'en', 'spring.mjml'));
      rmSync(join(dir, 'en', 'offer.mjml'));
    });
    expect(messages(noEnglish, 'error').join('\n')).toMatch(/template "offer" has no en variant/);
  });
});

describe('templates/README.md', () => {
  it('documents exactly the variables the renderer provides', () => {
    const readme = readFileSync(join(BUILT_IN_TEMPLATES_DIR, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The variables'), readme.indexOf('## pages.yml'));
    const documented = [...section.matchAll(/^\| `([a-z_]+)(?:\.<name>)?`(?:, `([a-z_]+)`)? \|/gm)].flatMap((m) =>
      [m[1], m[2]].filter((v): v is string => v !== undefined),
    );
    expect([...documented].sort()).toEqual([...TEMPLATE_VARIABLE_NAMES].sort());
  });
});
