import { lazy } from '../shared/concurrency.ts';
import { templateRenderer } from '../shared/email/templates/render.ts';
import { templateBundle } from './template-bundle.ts';

/** The email renderer over the packaged templates (template-bundle.ts), built once per container. */
export const templates = lazy(async () => templateRenderer(await templateBundle()));
