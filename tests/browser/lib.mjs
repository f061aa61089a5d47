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

// Screenshots the page already loaded in `page` at desktop width and at 390×844 (a phone) into
// `dir` as `<prefix>-<name>-{desktop,phone}.png`, and checks through `check(name, ok, detail)`
// that at phone width it does not scroll sideways and that every stacked table value carries
// its column's label. Leaves the page at `desktop`; returns {width, height, unlabelled, shots}.
export async function atBothWidths(page, { dir, prefix, name, check, desktop = { width: 1200, height: 900 } }) {
  const desktopShot = join(dir, `${prefix}-${name}-desktop.png`);
  await page.setViewportSize(desktop);
  await page.screenshot({ path: desktopShot, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(50);
  const phone = await page.evaluate(() => {
    const width = document.documentElement.scrollWidth;
    const unlabelled = [...document.querySelectorAll('table.responsive tbody td')]
      .filter((td) => getComputedStyle(td).display !== 'none' && td.textContent.trim() !== '')
      .filter((td) => {
        const before = getComputedStyle(td, '::before').content;
        return !td.dataset.label || before === 'none' || before === 'normal' || before === '""';
      })
      .map((td) => td.textContent.trim().slice(0, 40));
    return { width, unlabelled, height: document.documentElement.scrollHeight };
  });
  check(`${name}_fits_a_phone`, phone.width <= 390, `${phone.width} px wide`);
  check(`${name}_phone_values_labelled`, phone.unlabelled.length === 0, JSON.stringify(phone.unlabelled));
  const phoneShot = join(dir, `${prefix}-${name}-phone.png`);
  await page.screenshot({ path: phoneShot, fullPage: true });
  await page.setViewportSize(desktop);
  return { ...phone, shots: [desktopShot, phoneShot] };
}
