/** The templates this package ships, compiled once per test file (what the CLI and the stack send with). */
import { BUILT_IN_TEMPLATES_DIR, loadTemplates } from '../../cli/templates.ts';

export const TEMPLATES = await loadTemplates(BUILT_IN_TEMPLATES_DIR);
export const PAGES = TEMPLATES.bundle.pages;
