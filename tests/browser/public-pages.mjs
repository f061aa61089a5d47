// Drives headless Debian Chromium (playwright-core, from tests/interop/node_modules) through
// Rosette's public badge page and drop-a-file verification page, and prints one JSON report on
// stdout: {"checks": [{"name", "ok", "detail"}], "qr_src": path, "qr_screenshot": path}.
//
// Usage: node public-pages.mjs <config.json>
//   config: {"page_url", "verify_url", "baked_png", "tampered_json", "out_dir", "screenshots" (dir, optional),
//            "display_name", "achievement", "issuer_name", "credential_id"}
// The Rust test (tests/tests/browser_pages.rs) decodes the QR images and judges the report.

import { launch, firstPage } from './lib.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';


const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const checks = [];
const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail: String(detail) });

let context;
try {
  context = await launch({
    viewport: { width: 390, height: 844 }, // a phone
  });
  const page = await firstPage(context);
  const external = [];
  const cspErrors = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    const own = new URL(config.page_url);
    if (u.protocol !== 'data:' && u.host !== own.host) external.push(r.url());
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
  });

  // ---- the public badge page
  const response = await page.goto(config.page_url, { waitUntil: 'load' });
  check('page_status_200', response.status() === 200, response.status());
  const csp = response.headers()['content-security-policy'] || '';
  check('page_has_strict_csp', csp.includes("default-src 'none'") && !csp.includes('unsafe'), csp);
  const verdict = (await page.locator('#verdict-state').textContent()) || '';
  check('page_shows_verified', verdict.includes('Verified') && !verdict.includes('Not'), verdict);
  const lines = await page.locator('#checks li').allTextContents();
  check('page_has_one_line_per_check', lines.length >= 4, JSON.stringify(lines));
  check('page_proof_line_passed',
    (await page.locator('#checks li[data-outcome="passed"][data-check="proof"]').count()) === 1,
    JSON.stringify(lines));
  check('page_no_failed_check', (await page.locator('#checks li[data-outcome="failed"]').count()) === 0,
    JSON.stringify(lines));
  const holder = (await page.locator('#holder').textContent()) || '';
  check('page_shows_display_name', holder === config.display_name, holder);
  const title = (await page.locator('#achievement').textContent()) || '';
  check('page_shows_achievement', title === config.achievement, title);
  const issuer = (await page.locator('#issuer').textContent()) || '';
  check('page_shows_issuer', issuer.includes(config.issuer_name), issuer);
  check('page_shows_criteria', (await page.locator('#criteria').count()) === 1, '');
  const imgOk = await page.locator('#badge-image').evaluate((img) => img.complete && img.naturalWidth > 0);
  check('page_badge_image_loads', imgOk, '');
  const og = {};
  for (const p of ['og:title', 'og:description', 'og:image', 'og:url']) {
    og[p] = await page.locator(`meta[property="${p}"]`).getAttribute('content');
  }
  check('page_open_graph', og['og:url'] === config.page_url && og['og:title'] === config.achievement
    && og['og:image'].startsWith(config.page_url) && og['og:description'].length > 0, JSON.stringify(og));

  // LinkedIn add-to-profile link with the right fields.
  const href = await page.locator('#linkedin').getAttribute('href');
  const li = new URL(href);
  const q = Object.fromEntries(li.searchParams);
  check('linkedin_link', li.origin + li.pathname === 'https://www.linkedin.com/profile/add'
    && q.startTask === 'CERTIFICATION_NAME' && q.name === config.achievement
    && q.organizationName === config.issuer_name && q.certUrl === config.page_url
    && q.certId === config.credential_id && /^\d{4}$/.test(q.issueYear) && /^\d{1,2}$/.test(q.issueMonth),
    JSON.stringify(q));

  // The QR code: its src fetched as bytes, and the element as rendered.
  const qr = page.locator('#qr');
  const qrLoaded = await qr.evaluate((img) => img.complete && img.naturalWidth > 0);
  check('qr_image_loads', qrLoaded, '');
  const src = await qr.evaluate((img) => img.src);
  const qrBytes = await (await context.request.get(src)).body();
  const qrSrc = join(config.out_dir, 'qr-src.png');
  writeFileSync(qrSrc, qrBytes);
  const qrShot = join(config.out_dir, 'qr-screenshot.png');
  await qr.screenshot({ path: qrShot });
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, 'public-badge.png'), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check('page_fits_a_phone', width <= 390, width);
  check('page_loads_nothing_external', external.length === 0, JSON.stringify(external));
  check('page_no_csp_violations', cspErrors.length === 0, JSON.stringify(cspErrors));

  // ---- drop-a-file: upload the baked PNG through the file input, submit.
  await page.goto(config.verify_url, { waitUntil: 'load' });
  await page.locator('#file').setInputFiles(config.baked_png);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#submit').click()]);
  const pngState = (await page.locator('#verdict-state').textContent()) || '';
  check('upload_png_verified', pngState.includes('Verified') && !pngState.includes('Not'), pngState);
  const pngLines = await page.locator('#checks li').allTextContents();
  check('upload_png_lines', (await page.locator('#checks li[data-check="proof"]').count()) === 1 && pngLines.length >= 4, JSON.stringify(pngLines));
  check('upload_png_source', ((await page.locator('main').textContent()) || '').includes('Checked a baked PNG.'), '');
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, 'verify-passed.png'), fullPage: true });

  // ---- paste a tampered JSON: the failure, with the failing check on its own line.
  await page.goto(config.verify_url, { waitUntil: 'load' });
  await page.locator('#text').fill(readFileSync(config.tampered_json, 'utf8'));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#submit').click()]);
  const badState = (await page.locator('#verdict-state').textContent()) || '';
  check('paste_tampered_fails', badState.includes('Not verified'), badState);
  check('paste_tampered_proof_line_failed',
    (await page.locator('#checks li[data-outcome="failed"][data-check="proof"]').count()) === 1,
    JSON.stringify(await page.locator('#checks li').allTextContents()));
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, 'verify-failed.png'), fullPage: true });

  // ---- junk: a clear error, not a crash.
  await page.goto(config.verify_url, { waitUntil: 'load' });
  await page.locator('#text').fill('this is not a badge at all');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#submit').click()]);
  const junk = (await page.locator('#error').textContent()) || '';
  check('paste_junk_clear_error', junk.includes('not a badge'), junk);

  process.stdout.write(JSON.stringify({ checks, qr_src: qrSrc, qr_screenshot: qrShot }) + '\n');
} catch (e) {
  check('script', false, e && e.stack ? e.stack : e);
  process.stdout.write(JSON.stringify({ checks }) + '\n');
  process.exitCode = 1;
} finally {
  if (context) await context.close();
}
