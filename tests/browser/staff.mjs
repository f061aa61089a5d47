// The staff path on an agent started WITHOUT --demo (the institution was created with
// `rosette-agent institution create`): sign in → create an achievement → read its key and
// download its CSV template → bulk-issue a CSV of learners with PINs → download the handouts
// CSV and open the printable handouts; then, after the Rust test has claimed one learner's badge
// with only that CSV's link and PIN, → find it under Credentials → revoke (with confirmation).
// Every console page is screenshotted at desktop width and at 390×844, where it must not scroll
// sideways and every stacked table value must carry its column's label.
//
// Protocol with the Rust test (tests/tests/browser_staff.rs), one JSON object per stdout line:
//   1. {"phase": "handouts", "handouts_csv": path, "template_csv": path, "key": "..."}; then the
//      script waits for one line on stdin: the name of the learner whose badge was claimed.
//   2. {"phase": "done", "checks": [{"name", "ok", "detail"}], "screenshots": [paths]}.
//
// Usage: node staff.mjs <config.json>
//   config: {"base_url", "slug", "admin_token", "out_dir", "screenshots", "achievement",
//            "learners": ["name", ...]}

import { launch, firstPage, signIn } from './lib.mjs';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const checks = [];
const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail: String(detail) });
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const base = `${config.base_url}/console/${config.slug}`;
mkdirSync(config.screenshots, { recursive: true });
mkdirSync(config.out_dir, { recursive: true });
const shots = [];

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine() {
  const next = await Promise.race([
    stdinLines.next(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no line on stdin within 180 s')), 180000)),
  ]);
  if (next.done) throw new Error('stdin closed before the go-ahead');
  return next.value.trim();
}

let context;
try {
  context = await launch({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const page = await firstPage(context);
  const serverErrors = [];
  const cspErrors = [];
  page.on('response', (r) => { if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`); });
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text()); });

  // Both widths of the page at `url` (already loaded at desktop width): screenshots, and at
  // phone width no sideways scroll and a label on every stacked table value.
  async function both(name) {
    const desktop = join(config.screenshots, `staff-${name}-desktop.png`);
    await page.screenshot({ path: desktop, fullPage: true });
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
    const phonePath = join(config.screenshots, `staff-${name}-phone.png`);
    await page.screenshot({ path: phonePath, fullPage: true });
    await page.setViewportSize({ width: 1200, height: 900 });
    shots.push(desktop, phonePath);
    return phone;
  }

  // ---- sign in with the admin token `institution create` printed
  await page.goto(`${config.base_url}/console/login`, { waitUntil: 'load' });
  await both('login');
  await signIn(page, config.base_url, config.slug, config.admin_token);
  check('signed_in', page.url() === base, page.url());
  const warning = (await page.locator('#phone-warning').textContent().catch(() => '')) || '';
  check('console_warns_phones_cannot_reach', warning.includes('--public-url'), warning);
  const icon = await page.evaluate(async () => (await fetch('/favicon.ico')).headers.get('content-type'));
  check('favicon_served', icon === 'image/svg+xml', icon);

  // ---- an achievement
  await page.goto(`${base}/achievements/new`, { waitUntil: 'load' });
  await page.locator('#name').fill(config.achievement);
  await page.locator('#description').fill('Plans, runs and reports a field survey safely.');
  await page.locator('#narrative').fill('Led a **two-day** field survey and wrote its report.');
  await page.locator('#tags').fill('fieldwork, surveying');
  await Promise.all([page.waitForURL(/\/achievements\?notice=created$/), page.locator('#save').click()]);
  const saved = (await page.locator('#notice').textContent()) || '';
  check('save_confirmed', saved.includes('created'), saved);
  const key = (await page.locator('#achievements code[data-field="key"]').first().textContent()).trim();
  const id = (await page.locator('#achievements code[data-field="id"]').first().textContent()).trim();
  check('achievement_key_shown', key === 'field-survey-lead', key);
  check('achievement_id_shown', /^[0-9a-f-]{36}$/.test(id), id);
  const [templateDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#achievements a[href$="/template.csv"]').first().click(),
  ]);
  const templatePath = join(config.out_dir, 'template.csv');
  await templateDownload.saveAs(templatePath);
  const template = readFileSync(templatePath, 'utf8');
  check('template_names_the_key', template.startsWith('name,email,achievement_id,pin') && template.includes(`,${key},`), template);
  await both('achievements');

  // ---- bulk issue: the learners, by the achievement's key, with PINs; one bad key
  await page.goto(`${base}/bulk`, { waitUntil: 'load' });
  const example = (await page.locator('#bulk-example').textContent()) || '';
  check('bulk_example_uses_a_real_key', example.includes(`,${key},true`), example);
  await both('bulk');
  const rows = config.learners.map((n, i) => `${n},learner${i + 1}@example.org,${key},true`);
  rows.push('Nobody Known,nobody@example.org,no-such-badge,true');
  const csvPath = join(config.out_dir, 'cohort.csv');
  writeFileSync(csvPath, ['name,email,achievement_id,pin', ...rows].join('\n') + '\n');
  await page.setInputFiles('#csv', csvPath);
  await Promise.all([page.waitForURL(/\/bulk\/[0-9a-f-]{36}$/), page.click('#bulk-upload')]);
  await page.waitForSelector('#bulk-report:not([hidden])', { timeout: 120000 });
  const summary = (await page.locator('#bulk-summary').textContent()).trim();
  check('bulk_summary_plural', summary === `${config.learners.length} offers created; 1 row refused.`, summary);
  const refusal = (await page.locator('#bulk-errors li').first().textContent()) || '';
  check('bulk_error_repeats_the_value', refusal.includes('"no-such-badge"'), refusal);
  const jobUrl = page.url();
  await both('bulk-report');

  // ---- the handouts: CSV download and the printable page
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#handouts-csv').click()]);
  const handoutsCsv = join(config.out_dir, 'handouts.csv');
  await download.saveAs(handoutsCsv);
  const csvLines = readFileSync(handoutsCsv, 'utf8').trim().split(/\r?\n/);
  check('handouts_csv_one_row_per_learner', csvLines.length === config.learners.length + 1, csvLines.length);
  await Promise.all([page.waitForURL(`${jobUrl}/handouts`), page.locator('#handouts-print').click()]);
  const cards = await page.locator('article.handout').count();
  check('handouts_one_card_per_learner', cards === config.learners.length, cards);
  const qrsLoaded = await page.locator('article.handout img.handout-qr').evaluateAll(
    (imgs) => imgs.filter((img) => img.complete && img.naturalWidth > 0).length);
  check('handouts_qr_images', qrsLoaded === config.learners.length, qrsLoaded);
  const pins = await page.locator('article.handout dd.pin').allTextContents();
  check('handouts_pins', pins.length === config.learners.length && pins.every((p) => /^\d{6}$/.test(p.trim())), pins.slice(0, 3));
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => ({
    header: getComputedStyle(document.querySelector('header.top')).display,
    breakAfter: getComputedStyle(document.querySelector('article.handout')).breakAfter,
  }));
  check('handouts_print_one_per_page', printed.header === 'none' && printed.breakAfter === 'page', JSON.stringify(printed));
  await page.pdf({ path: join(config.out_dir, 'handouts.pdf'), format: 'A4' }).catch(() => {});
  await page.emulateMedia({ media: 'screen' });
  await both('handouts');

  // Offers are open: the earlier-imports list and the report survive reloads (GET pages).
  await page.goto(`${base}/bulk`, { waitUntil: 'load' });
  check('earlier_imports_listed', (await page.locator('#bulk-jobs li').count()) === 1, '');

  say({ phase: 'handouts', handouts_csv: handoutsCsv, template_csv: templatePath, key });
  const learner = await nextLine();

  // ---- the claimed badge, then revoke it (the console asks first)
  const search = `${base}/credentials?q=${encodeURIComponent(learner)}`;
  await page.goto(search, { waitUntil: 'load' });
  const claimed = page.locator('#credentials tbody tr[data-state="claimed"]');
  const claimedRows = await claimed.count();
  check('credentials_show_claimed', claimedRows >= 1, await page.locator('main').textContent());
  await both('credentials');
  let revoked = 0;
  for (let i = 0; i < 4; i += 1) {
    await page.goto(search, { waitUntil: 'load' });
    const live = page.locator('#credentials tbody tr[data-state="claimed"]').first();
    if ((await live.count()) === 0) break;
    const form = live.locator('form.action', { has: page.locator('input[name="action"][value="revoke"]') });
    await Promise.all([page.waitForURL(`${base}/credentials/action`), form.locator('button').click()]);
    const asked = (await page.locator('h1').textContent()) || '';
    check(`revoke_asks_first_${i}`, asked.includes('Revoke this credential?'), asked);
    if (i === 0) await both('revoke-confirm');
    await page.locator('#reason').fill('Awarded by mistake');
    await Promise.all([page.waitForURL(/notice=revoked/), page.locator('#confirm-revoke').click()]);
    check(`revoke_notice_${i}`, ((await page.locator('#notice').textContent()) || '').includes('revoked'), '');
    check(`revoke_shows_the_whole_list_${i}`, !page.url().includes('q='), page.url());
    revoked += 1;
  }
  // One award claimed in several formats is one thing to revoke: the first revocation covers all.
  check('one_revoke_covers_the_award', revoked === 1, `${revoked} revocations for ${claimedRows} rows`);
  await page.goto(search, { waitUntil: 'load' });
  const states = await page.locator('#credentials tbody tr[data-credential]').evaluateAll((rs) => rs.map((r) => r.dataset.state));
  check('credentials_show_revoked', states.length >= 1 && states.every((s) => s === 'revoked'), JSON.stringify(states));

  // ---- the dashboard at both widths (it must stay short on a phone)
  await page.goto(base, { waitUntil: 'load' });
  const dash = await both('dashboard');
  check('dashboard_short_on_a_phone', dash.height < 2200, `${dash.height} px tall`);

  check('no_csp_violations', cspErrors.length === 0, JSON.stringify(cspErrors));
  check('no_server_errors', serverErrors.length === 0, JSON.stringify(serverErrors));
} catch (e) {
  check('script', false, e && e.stack ? e.stack : e);
} finally {
  if (context) await context.close();
}
say({ phase: 'done', checks, screenshots: shots });
process.exit(0);
