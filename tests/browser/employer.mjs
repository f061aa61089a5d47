// Drives headless Debian Chromium through the employer verification page: sign in, create a
// verifier template, pick it, screenshot the QR code, let `rosette-wallet present --qr` answer
// from that screenshot, and time the verdict's appearance (no reload) against the wallet's
// exit. Prints one JSON report on stdout.
//
// Usage: node employer.mjs <config.json>
//   config: {"base_url", "slug", "token", "achievement_id", "template_name", "out_dir",
//            "wallet": {"bin", "dir", "passphrase"}}

import { launch, firstPage, watchConsoleErrors, signIn } from './lib.mjs';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';


const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = {};
const run = (bin, args, env) => new Promise((resolve) => {
  execFile(bin, args, { env: { ...process.env, ...env }, timeout: 60000 }, (error, stdout, stderr) => {
    resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, ended: Date.now() });
  });
});
let context;
try {
  context = await launch({
    viewport: { width: 1000, height: 1000 },
  });
  const page = await firstPage(context);
  const consoleErrors = watchConsoleErrors(page);

  await signIn(page, config.base_url, config.slug, config.token);

  // A template, through the form.
  await page.goto(`${config.base_url}/console/${config.slug}/templates`);
  await page.fill('#template-name', config.template_name);
  await page.selectOption('#template-achievement', config.achievement_id);
  await Promise.all([page.waitForURL(/\/templates$/), page.click('#template-create')]);
  report.templates_listed = await page.locator('#templates .template-name').allTextContents();

  // Pick it: the request page with its QR code.
  await page.goto(`${config.base_url}/console/${config.slug}/verify`);
  await page.selectOption('#verify-template', { label: config.template_name });
  await Promise.all([page.waitForURL(/\/verify\/[^/]+$/), page.click('#verify-start')]);
  report.request_page = page.url();
  await page.waitForFunction(() => {
    const qr = document.getElementById('verify-qr');
    return qr && qr.complete && qr.naturalWidth > 0;
  });
  report.link = await page.getAttribute('#verify-link', 'href');
  report.live = await page.getAttribute('#verdict', 'aria-live');
  report.qr = join(config.out_dir, 'employer-qr.png');
  await page.locator('#verify-qr').screenshot({ path: report.qr });
  report.pending_screenshot = join(config.out_dir, 'employer-request.png');
  await page.screenshot({ path: report.pending_screenshot, fullPage: true });

  // Watch for the verdict; a reload would lose the marker.
  await page.evaluate(() => {
    window.__marker = 'same-document';
    window.__appeared = null;
    const box = document.getElementById('verdict');
    new MutationObserver(() => {
      if (!window.__appeared && document.getElementById('verdict-result')) window.__appeared = Date.now();
    }).observe(box, { childList: true, subtree: true });
  });
  const wallet = await run(config.wallet.bin,
    ['--json', 'present', '--qr', report.qr, '--yes', '--allow-http'],
    { ROSETTE_WALLET_DIR: config.wallet.dir, ROSETTE_WALLET_PASSPHRASE: config.wallet.passphrase });
  report.wallet = { code: wallet.code, stdout: wallet.stdout, stderr: wallet.stderr };
  report.wallet_exited_at = wallet.ended;
  try {
    await page.waitForSelector('#verdict-result', { timeout: 2000 });
  } catch (e) {
    report.verdict_timeout = String(e);
  }
  report.checked_at = Date.now();
  // Where the page put the focus when the verdict arrived (before the reader clicks anything).
  report.focus = await page.evaluate(() => (document.activeElement ? document.activeElement.id : null));
  // The checks are folded below the answer: open them as a reader would.
  report.checks_folded = await page.evaluate(() => {
    const d = document.querySelector('#verdict-result details');
    return d ? !d.open : null;
  });
  if (report.checks_folded) await page.locator('#verdict-result details > summary').click();
  Object.assign(report, await page.evaluate(() => ({
    marker: window.__marker || null,
    appeared_at: window.__appeared,
    status: document.getElementById('verify-request').getAttribute('data-status'),
    headline: (document.getElementById('verdict-headline') || {}).textContent || null,
    accepted: (document.getElementById('verdict-result') || { dataset: {} }).dataset.accepted || null,
    checks: [...document.querySelectorAll('#verdict-checks > li')].map((li) => ({
      outcome: li.dataset.outcome, check: li.dataset.check, text: li.textContent.replace(/\s+/g, ' ').trim(),
      label: (li.querySelector('strong') || { textContent: '' }).textContent.trim(),
      top: li.getBoundingClientRect().top,
    })),
    facts: [...document.querySelectorAll('.badge-facts dd')].map((d) => `${d.classList[0]}: ${d.textContent.trim()}`),
    qr_hidden: (() => { const p = document.getElementById('verify-pending'); return !p || p.hidden; })(),
  })));
  report.screenshot = join(config.out_dir, 'employer-verdict.png');
  await page.screenshot({ path: report.screenshot, fullPage: true });
  report.console_errors = consoleErrors;
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  if (context) await context.close();
}
console.log(JSON.stringify(report));
