// Drives headless Debian Chromium through the console's bulk issue: sign in, upload the CSV,
// watch the progress page (every value the page shows is recorded, with the server-rendered
// first value), wait for the report, screenshot. Prints one JSON report on stdout.
//
// Usage: node bulk.mjs <config.json>
//   config: {"base_url", "slug", "token", "csv_path", "out_dir"}

import { launch, firstPage, watchConsoleErrors, signIn } from './lib.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';


const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = {};
let context;
try {
  context = await launch({
    viewport: { width: 1100, height: 900 },
  });
  const page = await firstPage(context);
  const consoleErrors = watchConsoleErrors(page);

  await signIn(page, config.base_url, config.slug, config.token);
  await page.goto(`${config.base_url}/console/${config.slug}/bulk`);
  await page.setInputFiles('#csv', config.csv_path);
  // Record every value the progress bar takes, from the first paint of the progress page on.
  await page.addInitScript(() => {
    window.__seen = [];
    document.addEventListener('DOMContentLoaded', () => {
      const bar = document.getElementById('bulk-progress');
      if (!bar) return;
      const record = () => window.__seen.push({ value: Number(bar.value), max: Number(bar.max), t: performance.now() });
      record();
      new MutationObserver(record).observe(bar, { attributes: true, childList: true, characterData: true, subtree: true });
      // `value` set from script is a property, not always an attribute: sample it too.
      const sample = setInterval(() => {
        const last = window.__seen[window.__seen.length - 1];
        if (!last || last.value !== Number(bar.value)) record();
        if (document.getElementById('bulk-job').getAttribute('data-state') !== 'running') clearInterval(sample);
      }, 20);
    });
  });
  const started = Date.now();
  await Promise.all([page.waitForURL(/\/bulk\/[0-9a-f-]{36}$/), page.click('#bulk-upload')]);
  report.job_url = page.url();
  await page.waitForSelector('#bulk-job:not([data-state="running"])', { timeout: 120000 });
  await page.waitForSelector('#bulk-report:not([hidden])');
  report.seconds = (Date.now() - started) / 1000;
  Object.assign(report, await page.evaluate(() => ({
    seen: window.__seen,
    state: document.getElementById('bulk-job').getAttribute('data-state'),
    counts: document.getElementById('bulk-counts').textContent.replace(/\s+/g, ' ').trim(),
    summary: document.getElementById('bulk-summary').textContent.trim(),
    errors: [...document.querySelectorAll('#bulk-errors li')].map((li) => ({ line: Number(li.dataset.line), text: li.textContent.trim() })),
    credentials_link: document.getElementById('to-credentials').getAttribute('href'),
    live_region: document.getElementById('bulk-counts').getAttribute('aria-live'),
    progress_value: Number(document.getElementById('bulk-progress').value),
    progress_max: Number(document.getElementById('bulk-progress').max),
  })));
  report.screenshot = join(config.out_dir, 'bulk-report.png');
  await page.screenshot({ path: report.screenshot, fullPage: true });
  report.console_errors = consoleErrors;
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  if (context) await context.close();
}
console.log(JSON.stringify(report));
