// Drives headless Debian Chromium through the pages an employer sees (issue 14): the public badge
// page, `/verify` (a file uploaded or pasted) and the verifier's request and verdict pages, each
// at desktop and phone width. For every page it records what a person and a screen reader meet
// first, whether the page scrolls sideways, which values carry no label, and writes a
// full-page screenshot. Prints one JSON report on stdout.
//
// Usage: node verdicts.mjs <config.json>
//   config: {"out_dir", "verify_url", "own_host",
//            "pages": [{"name", "url"} | {"name", "upload": path} | {"name", "paste": path}]}
//   report: {"pages": [{"name", "width", ...facts}], "console_errors", "external_requests"}

import { launch, firstPage, watchConsoleErrors } from './lib.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const widths = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];
const report = { pages: [], external_requests: [], console_errors: [] };

// What the page shows, read in the page.
function facts() {
  const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
  const q = (s) => document.querySelector(s);
  // Every <dd> must follow a <dt> with words in it (a labelled value).
  const unlabelled = [...document.querySelectorAll('dd')].filter((dd) => {
    let p = dd.previousElementSibling;
    while (p && p.tagName === 'DD') p = p.previousElementSibling;
    return !p || p.tagName !== 'DT' || !p.textContent.trim();
  }).map(text);
  const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => ({
    tag: h.tagName.toLowerCase(), id: h.id || null, text: text(h),
    in_claims: Boolean(h.closest('#claims, .claims')),
  }));
  const details = q('details.checks-box');
  return {
    title: document.title,
    headings,
    scroll_width: document.documentElement.scrollWidth,
    inner_width: window.innerWidth,
    unlabelled,
    verdict: text(q('#verdict-state') || q('#verdict-headline')),
    achievement: text(q('#achievement')),
    claims: text(q('#claims') || q('.claims')),
    holder: text(q('#holder')),
    issuer: text(q('#issuer')),
    learner: text(q('.badge-facts dd.subject')),
    checks: [...document.querySelectorAll('#checks > li, #verdict-checks > li')].map((li) => ({
      check: li.dataset.check, outcome: li.dataset.outcome, label: text(li.querySelector('strong')), text: text(li),
    })),
    checks_folded: details ? !details.open : null,
    criteria_html: q('#criteria') ? q('#criteria').innerHTML : null,
    skills: [...document.querySelectorAll('#skills li')].map(text),
    tags: [...document.querySelectorAll('#tags li')].map(text),
    linkedin: q('#linkedin') ? q('#linkedin').getAttribute('href') : null,
    badge_image: q('#badge-image') ? q('#badge-image').complete && q('#badge-image').naturalWidth > 0 : null,
    dates: text(q('.dates')),
    main_text: text(q('main')),
    // What is read without unfolding the technical checks.
    unfolded_text: (() => {
      const main = q('main');
      if (!main) return null;
      const copy = main.cloneNode(true);
      copy.querySelectorAll('details').forEach((d) => d.remove());
      return text(copy);
    })(),
  };
}

let context;
try {
  for (const w of widths) {
    context = await launch({ viewport: { width: w.width, height: w.height } });
    const page = await firstPage(context);
    const errors = watchConsoleErrors(page);
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.host !== config.own_host) report.external_requests.push(r.url());
    });
    for (const p of config.pages) {
      if (p.url) {
        await page.goto(p.url, { waitUntil: 'load' });
      } else {
        await page.goto(config.verify_url, { waitUntil: 'load' });
        if (p.upload) await page.locator('#file').setInputFiles(p.upload);
        else await page.locator('#text').fill(readFileSync(p.paste, 'utf8'));
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#submit').click()]);
      }
      // The first heading in the accessibility tree, as a screen reader's heading list has it.
      const first = page.getByRole('heading').first();
      const firstHeading = (await first.count()) === 0 ? null : {
        text: ((await first.textContent()) || '').replace(/\s+/g, ' ').trim(),
        tag: await first.evaluate((h) => h.tagName.toLowerCase()),
        id: await first.getAttribute('id'),
      };
      const seen = await page.evaluate(facts);
      const shot = join(config.out_dir, `${p.name}-${w.name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      let checksShot = null;
      if (seen.checks_folded === true && w.name === 'phone') {
        // The folded checks, opened, as someone who wants the detail sees them.
        await page.locator('details.checks-box > summary').click();
        checksShot = join(config.out_dir, `${p.name}-${w.name}-checks.png`);
        await page.screenshot({ path: checksShot, fullPage: true });
        seen.scroll_width_open = await page.evaluate(() => document.documentElement.scrollWidth);
      }
      report.pages.push({ name: p.name, width: w.name, first_heading: firstHeading, screenshot: shot, checks_screenshot: checksShot, ...seen });
    }
    report.console_errors.push(...errors);
    await context.close();
    context = null;
  }
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  if (context) await context.close();
}
console.log(JSON.stringify(report));
