// Drives headless Debian Chromium (playwright-core, from tests/interop/node_modules) through the
// learner's claim page on a phone-sized screen (360 x 740) and prints one JSON report on stdout:
// {"pages": [{name, status, csp, scroll_width, client_width, texts, qr, screenshot, ...}]}.
//
// Usage: node claim.mjs <config.json>
//   config: {"out_dir", "pages": [{"name", "url", "qr": bool}]}
// The Rust test (tests/tests/browser_employer.rs) decodes the QR screenshots and judges the report.

import { launch, firstPage } from './lib.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';


const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = { pages: [] };
let context;
try {
  context = await launch({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await firstPage(context);
  const external = [];
  const consoleErrors = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.host !== new URL(config.pages[0].url).host) external.push(r.url());
  });
  // Failed loads are judged from the responses (the used offer's page is a 410 on purpose;
  // Chromium asks for /favicon.ico, which the agent does not serve).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
  const failedLoads = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && r.request().resourceType() !== 'document' && u.pathname !== '/favicon.ico') {
      failedLoads.push(`${r.status()} ${r.url()}`);
    }
  });
  for (const p of config.pages) {
    const response = await page.goto(p.url, { waitUntil: 'load' });
    const entry = { name: p.name, status: response.status(), csp: response.headers()['content-security-policy'] || '' };
    Object.assign(entry, await page.evaluate(() => {
      const text = (sel) => { const e = document.querySelector(sel); return e ? e.textContent.trim() : null; };
      const qr = document.querySelector('#claim-qr');
      const link = document.querySelector('#open-wallet');
      const css = getComputedStyle(document.body);
      return {
        scroll_width: document.documentElement.scrollWidth,
        client_width: document.documentElement.clientWidth,
        stylesheet_applied: css.fontFamily.includes('system-ui'),
        title: document.title,
        texts: {
          h1: text('h1'), badge: text('#badge-name'), issuer: text('#badge-issuer'),
          pin: text('#pin'), next: text('#next'), expiry: text('.expiry'), gone: text('#gone-reason'),
          steps: document.querySelectorAll('.steps li').length,
        },
        open_wallet: link ? link.getAttribute('href') : null,
        open_wallet_box: link ? (() => { const r = link.getBoundingClientRect(); return { width: r.width, height: r.height }; })() : null,
        qr_loaded: qr ? qr.complete && qr.naturalWidth > 0 : null,
        qr_alt: qr ? qr.getAttribute('alt') : null,
      };
    }));
    entry.screenshot = join(config.out_dir, `${p.name}.png`);
    await page.screenshot({ path: entry.screenshot, fullPage: true });
    if (p.qr) {
      entry.qr = join(config.out_dir, `${p.name}-qr.png`);
      await page.locator('#claim-qr').screenshot({ path: entry.qr });
    }
    report.pages.push(entry);
  }
  report.external_requests = external;
  report.console_errors = consoleErrors;
  report.failed_loads = failedLoads;
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  if (context) await context.close();
}
console.log(JSON.stringify(report));
