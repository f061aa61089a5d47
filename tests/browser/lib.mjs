// What every browser test script shares: headless Debian Chromium (or ROSETTE_CHROMIUM) driven by
// playwright-core from tests/interop/node_modules, in a throw-away profile; the console errors a
// page logs; signing in to the staff console.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(
  join(here, '..', 'interop', 'node_modules', 'playwright-core', 'index.mjs')
);

// Launches Chromium with a fresh profile (removed by `context.close()`); `options` adds to or
// overrides the defaults (viewport, isMobile, ...). Returns the browser context.
export async function launch(options = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'rosette-chromium-'));
  // Chromium may still be writing its profile just after the context closes: retry, and never
  // let a leftover temp directory fail the test.
  const remove = () => {
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (_) { /* a temp directory left behind */ }
  };
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.ROSETTE_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      ...options,
    });
    const close = context.close.bind(context);
    context.close = async (...args) => {
      try {
        await close(...args);
      } finally {
        remove();
      }
    };
    return context;
  } catch (e) {
    remove();
    throw e;
  }
}

// The first page of `context`.
export async function firstPage(context) {
  return context.pages()[0] ?? (await context.newPage());
}

// Collects the errors `page` logs to its console, as "text (url)". Chromium asks for
// /favicon.ico, which the agent does not serve: that one is not an error of ours.
export function watchConsoleErrors(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !(m.text().startsWith('Failed to load resource') && m.location().url.endsWith('/favicon.ico'))) {
      errors.push(`${m.text()} (${m.location().url})`);
    }
  });
  return errors;
}

// Signs in to the staff console of `slug` with its admin token.
export async function signIn(page, baseUrl, slug, token) {
  await page.goto(`${baseUrl}/console/login`);
  await page.fill('#slug', slug);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`**/console/${slug}`), page.click('#sign-in')]);
}
