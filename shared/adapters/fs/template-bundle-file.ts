import { readFileSync } from 'node:fs';
import { type TemplateBundle, TemplateBundleSchema } from '../../email/templates/bundle.ts';

/**
 * Reads the compiled templates (`templates.json`, written at synth beside each handler that renders email or the
 * unsubscribe pages). Validated: a corrupt or stale file fails at cold start naming the field, not at the first send.
 */
export function readTemplateBundle(path: string): TemplateBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`templates bundle ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = TemplateBundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`templates bundle ${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
