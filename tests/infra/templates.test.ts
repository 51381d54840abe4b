/**
 * The deployment's templates at synth: compiled and linted from `templatesDir` (a team's own folder or the
 * built-in one), an error fails the synth with the file named, and the bundle written is what the handlers read.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig } from '../../infra/config.ts';
import { PROJECT_ROOT } from '../../infra/constructs/job-function.ts';
import { buildTemplates } from '../../infra/templates.ts';
import { readTemplateBundle } from '../../shared/adapters/fs/template-bundle-file.ts';
import { templateRenderer } from '../../shared/email/templates/render.ts';

const root = mkdtempSync(join(tmpdir(), 'clientele-synth-templates-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = (input: Record<string, unknown> = {}) =>
  parseDeploymentConfig({ senderAddress: 'news@shop.example', ...input });

describe('buildTemplates (synth)', () => {
  it('defaults to the templates folder beside cdk.json and writes a bundle the handlers can read', async () => {
    expect(config().templatesDir).toBe('templates');
    const out = join(root, 'built', 'templates.json');
    const built = await buildTemplates(config(), { cwd: PROJECT_ROOT, out });
    expect(built.lint.errors).toBe(0);
    expect(built.summary).toMatch(/^templates templates: \d+ variants, \d+ sample renders, 0 errors/);
    const renderer = templateRenderer(readTemplateBundle(out));
    expect(renderer.locales('offer')).toContain('en');
    expect(Object.keys(renderer.bundle.pages)).toContain('en');
  });

  it("builds a team's own folder, and fails the synth on a template error naming the file", async () => {
    const own = join(root, 'brand-templates');
    cpSync(join(PROJECT_ROOT, 'templates'), own, { recursive: true });
    const file = join(own, 'en', 'miss-you.mjml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{{ shop_name }}', '{{ shop_nmae }}'));
    const attempt = buildTemplates(config({ templatesDir: 'brand-templates' }), {
      cwd: root,
      out: join(root, 'never.json'),
    });
    await expect(attempt).rejects.toThrow(DeploymentConfigError);
    await expect(attempt).rejects.toThrow(/en\/miss-you\.mjml: error: .*unknown variable "shop_nmae"/);
  });

  it('fails when a configured campaign step names a template the folder does not have', async () => {
    const attempt = buildTemplates(
      config({ engine: { winback: { steps: [{ id: 'first', offsetDays: 0, template: 'spring-sale' }] } } }),
      { cwd: PROJECT_ROOT, out: join(root, 'never.json') },
    );
    await expect(attempt).rejects.toThrow(/template "spring-sale" does not exist/);
  });
});
