import { fileURLToPath } from 'node:url';
import { readTemplateBundle } from '../shared/adapters/fs/template-bundle-file.ts';
import { lazy } from '../shared/concurrency.ts';

/**
 * The compiled templates packaged beside the handler (synth compiles and lints the deployment's templates folder,
 * infra/templates.ts, and the construct copies `templates.json` into the function's asset). Read and validated
 * once per container. The unsubscribe pages need only this; the renderer (Liquid) is in templates.ts.
 */
export const templateBundle = lazy(async () =>
  readTemplateBundle(
    // Only the handlers run from source (tests) point elsewhere: a deployed function has the file beside it.
    process.env.CLIENTELE_TEMPLATES_FILE ?? fileURLToPath(new URL('./templates.json', import.meta.url)),
  ),
);
