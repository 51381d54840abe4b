/**
 * Headless Chromium for the tests that look at pages and emails: Debian's `chromium` driven by puppeteer-core
 * (no browser download is possible here). `.ci/run` installs the package; CHROMIUM_PATH overrides the binary.
 * Screenshots go to `test-artifacts/screenshots/` (gitignored) so a person can look at them after a run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');
export const WIDTHS = [375, 1280] as const;

export interface LayoutReport {
  width: number;
  /** document scroll width: larger than the viewport means something overflows sideways */
  scrollWidth: number;
  /** elements whose right edge passes the viewport (tag#id.class, at most 10) */
  overflowing: string[];
  /** visible text of the body */
  text: string;
}

/** Runs in the page: document width, what passes the viewport's right edge, and the visible text. */
const LAYOUT_PROBE = `(viewport) => {
      const overflowing = [];
      // An element inside a scroll container (overflow-x auto/scroll/hidden) that itself fits is clipped, not
      // overflowing: wide tables in such a wrapper scroll on a phone instead of widening the page.
      const clipped = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          const ox = getComputedStyle(a).overflowX;
          if (ox !== 'visible' && a.getBoundingClientRect().right <= viewport + 1) return true;
        }
        return false;
      };
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const rect = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (rect.width === 0 || style.display === 'none' || style.visibility === 'hidden') continue;
        if (rect.right > viewport + 1 && !clipped(el)) {
          const id = el.id ? \`#\${el.id}\` : '';
          const cls = typeof el.className === 'string' && el.className ? \`.\${el.className.split(' ')[0]}\` : '';
          overflowing.push(\`\${el.tagName.toLowerCase()}\${id}\${cls}\`);
          if (overflowing.length >= 10) break;
        }
      }
      return {
        width: viewport,
        scrollWidth: document.documentElement.scrollWidth,
        overflowing,
        text: document.body.innerText,
      };
    }`;

export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'clientele-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The browser for one test file: launched before its tests, closed after them. Call the returned function inside a
 * test to get it.
 */
export function useBrowser(): () => Browser {
  let launched: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  beforeAll(async () => {
    launched = await launchBrowser();
  });
  afterAll(async () => {
    await launched?.close();
  });
  return () => {
    if (!launched) throw new Error('the browser is launched in beforeAll: use it inside a test');
    return launched.browser;
  };
}

/** Loads `html` at the given width, saves a full-page screenshot as `<name>-<width>.png`, reports the layout. */
export async function inspectPage(browser: Browser, html: string, width: number, name: string): Promise<LayoutReport> {
  const page: Page = await browser.newPage();
  try {
    await page.setViewport({ width, height: 900 });
    // No network: every asset must be inline. Requests other than data: URLs are refused and would show as
    // broken images in the screenshot.
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.url().startsWith('data:')) void request.continue();
      else void request.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
    // The probe runs in the page; it is plain JavaScript in a string so this Node project needs no DOM types.
    return (await page.evaluate(`(${LAYOUT_PROBE})(${width})`)) as LayoutReport;
  } finally {
    await page.close();
  }
}
