// The staff path on an agent started WITHOUT --demo (the institution was created with
// `rosette-agent institution create`): sign in → create an achievement → read its key and
// download its CSV template → bulk-issue a CSV of learners with PINs → download the handouts
// CSV and open the printable handouts; then, after the Rust test has claimed one learner's badge
// with only that CSV's link and PIN and published its public page, → find it under Credentials
// (one row for the award) → revoke (with confirmation) → the public page says it is not valid.
// Every console page is screenshotted at desktop width and at 390×844, where it must not scroll
// sideways and every stacked table value must carry its column's label.
//
// Protocol with the Rust test (tests/tests/browser_staff.rs), one JSON object per stdout line:
//   1. {"phase": "handouts", "handouts_csv": path, "template_csv": path, "key": "..."}; then the
//      script waits for one line on stdin: {"learner": name whose badge was claimed,
//      "claim_page": that offer's claim page, "public_page": the badge's public page}.
//   2. {"phase": "revoked"} once the award is revoked; then one stdin line:
//      {"verdict_pages": [the result pages of presentations the Rust test made]}.
//   3. {"phase": "done", "checks": [{"name", "ok", "detail"}], "screenshots": [paths]}.
//
// Usage: node staff.mjs <config.json>
//   config: {"base_url", "slug", "admin_token", "operator_token", "out_dir", "screenshots", "achievement",
//            "learners": ["name", ...]}

import { launch, firstPage, signIn, atBothWidths } from './lib.mjs';
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

  // Both widths of the page loaded now: screenshots, no sideways scroll, labelled values.
  async function both(name) {
    const result = await atBothWidths(page, { dir: config.screenshots, prefix: 'staff', name, check });
    shots.push(...result.shots);
    return result;
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
  await page.locator('#narrative').fill('Led a **two-day** field survey:\n\n- planned the route\n- wrote the [report](https://example.org/report)');
  await page.locator('#tags').fill('fieldwork, surveying');
  await page.locator('#align_name_1').fill('Conduct field surveys');
  await page.locator('#align_url_1').fill('https://skills.example.org/field-survey');
  await page.locator('#align_framework_1').fill('Example Skills Framework');
  await Promise.all([page.waitForURL(/\/achievements\?notice=created$/), page.locator('#save').click()]);
  const saved = (await page.locator('#notice').textContent()) || '';
  check('save_confirmed', saved.includes('created'), saved);
  const key = (await page.locator('#achievements code[data-field="key"]').first().textContent()).trim();
  const id = (await page.locator('#achievements code[data-field="id"]').first().textContent()).trim();
  check('achievement_key_shown', key === 'field-survey-lead', key);
  check('achievement_id_shown', /^[0-9a-f-]{36}$/.test(id), id);
  // The criteria are shown as rendered Markdown, with the skill, under the achievement.
  await page.locator('#achievements details.criteria summary').first().click();
  const criteria = await page.locator('#achievements [data-field="criteria"]').first().innerHTML();
  check('criteria_markdown_rendered', criteria.includes('<strong>two-day</strong>') && criteria.includes('<li>planned the route</li>') && !criteria.includes('**'), criteria);
  const skill = await page.locator('#achievements [data-field="skills"] a').first();
  check('skill_listed', (await skill.textContent()) === 'Conduct field surveys'
    && (await skill.getAttribute('href')) === 'https://skills.example.org/field-survey', await skill.evaluate((a) => a.outerHTML));
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
  // A learner's claim page (the handout's link for people without a wallet app yet).
  const claimPage = csvLines[1].split(',')[3];
  await page.goto(claimPage, { waitUntil: 'load' });
  const ready = (await page.locator('h1').first().textContent()) || '';
  check('claim_page_greets_the_learner', ready.includes(config.learners[0]), ready);
  await both('claim');
  await page.goto(jobUrl, { waitUntil: 'load' });
  await page.waitForSelector('#bulk-report:not([hidden])', { timeout: 120000 });
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
  const claimed_by = JSON.parse(await nextLine());
  const learner = claimed_by.learner;

  // ---- the learner's claim page, now that the badge is collected (phone and desktop)
  await page.goto(claimed_by.claim_page, { waitUntil: 'load' });
  const collected = (await page.locator('#gone-reason').textContent().catch(() => '')) || '';
  check('claim_page_says_collected', /already been collected/i.test(collected), collected);
  await both('claim-collected');

  // ---- its public page while valid
  await page.goto(claimed_by.public_page, { waitUntil: 'load' });
  const validVerdict = (await page.locator('#verdict-state').innerText()) || '';
  await both('public-badge');

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

  // ---- the public page now says the badge is not valid, first thing
  await page.goto(claimed_by.public_page, { waitUntil: 'load' });
  const verdict = await page.evaluate(() => {
    const first = document.querySelector('h1, h2, h3, [role="heading"]');
    return { first: first ? first.innerText.trim() : '', id: first ? first.id : '', body: document.body.innerText };
  });
  check('public_page_valid_before', /verified/i.test(validVerdict) && !/not verified/i.test(validVerdict), validVerdict);
  // The first heading a screen reader meets is the verdict, and it says why.
  check('public_page_not_valid_after_revoke', verdict.id === 'verdict-state' && /not verified/i.test(verdict.first)
    && /revoked/i.test(verdict.first), JSON.stringify(verdict.first));
  await both('public-badge-revoked');

  // ---- the Rust test presents both formats to the verifier; its result pages, refused
  say({ phase: 'revoked' });
  const presented = JSON.parse(await nextLine());
  for (const [i, url] of presented.verdict_pages.entries()) {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => /Rejected|Not verified|refused/i.test(document.body.innerText), null, { timeout: 20000 });
    const heading = await page.evaluate(() => {
      const first = document.querySelector('main h1, main h2, main [role="heading"]');
      return first ? first.innerText.trim() : '';
    });
    const body = await page.evaluate(() => document.body.innerText);
    check(`presentation_${i}_refused_on_its_page`, /revoked/i.test(body), heading);
    await both(`verdict-refused-${i}`);
  }

  // ---- the dashboard at both widths (it must stay short on a phone)
  await page.goto(base, { waitUntil: 'load' });
  const dash = await both('dashboard');
  check('dashboard_short_on_a_phone', dash.height < 2200, `${dash.height} px tall`);

  // ---- every other page, at both widths: forms, the one-learner offer, settings, the
  // verifier's templates and request, the public verification page, and the not-found pages.
  const tour = async (name, url) => {
    await page.goto(url, { waitUntil: 'load' });
    return both(name);
  };
  await tour('achievement-new', `${base}/achievements/new`);
  await tour('achievement-edit', `${base}/achievements/${id}/edit`);
  await tour('issue', `${base}/issue`);
  await page.locator('#achievement').selectOption({ label: config.achievement });
  await page.locator('#recipient').fill('Walk-in Learner');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#issue').click()]);
  check('issued_offer_page', /^\d{6}$/.test(((await page.locator('#pin').textContent()) || '').trim()), page.url());
  await both('issued');
  await tour('settings', `${base}/settings`);
  await tour('tokens', `${base}/tokens`);
  await tour('templates-empty', `${base}/templates`);
  await page.fill('#template-name', 'Field Survey Lead from us');
  await page.selectOption('#template-achievement', id);
  await Promise.all([page.waitForURL(/\/templates$/), page.click('#template-create')]);
  await both('templates');
  await tour('verify-choose', `${base}/verify`);
  await page.selectOption('#verify-template', { label: 'Field Survey Lead from us' });
  await Promise.all([page.waitForURL(/\/verify\/[^/]+$/), page.click('#verify-start')]);
  await page.waitForFunction(() => {
    const qr = document.getElementById('verify-qr');
    return qr && qr.complete && qr.naturalWidth > 0;
  });
  await both('verify-request');
  await tour('public-verify', `${config.base_url}/verify`);
  await tour('verifier-new', `${config.base_url}/verifiers/${config.slug}/new`);
  await tour('console-not-found', `${base}/no-such-page`);
  await tour('claim-not-found', `${config.base_url}/issuers/${config.slug}/claim/no-such-offer`);
  await tour('badge-not-found', `${config.base_url}/issuers/${config.slug}/badges/no-such-badge`);

  // ---- the operator creates a second institution in the browser and opens its console
  await page.goto(`${config.base_url}/console/login`, { waitUntil: 'load' });
  await Promise.all([page.waitForURL(/\/console\/login\/new-institution$/), page.locator('#new-institution').click()]);
  await both('new-institution');
  await page.locator('#name').fill('Second College');
  await page.locator('#slug').fill('second-college');
  await page.locator('#operator_token').fill('not-the-operator-token');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#create-institution').click()]);
  const refused = (await page.locator('#error').textContent().catch(() => '')) || '';
  check('operator_page_refuses_a_wrong_token', refused.includes('not the operator token')
    && (await page.locator('#slug').inputValue()) === 'second-college', refused);
  await page.locator('#operator_token').fill(config.operator_token);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#create-institution').click()]);
  const secondToken = ((await page.locator('#admin-token').textContent().catch(() => '')) || '').trim();
  check('operator_page_shows_the_admin_token', secondToken.length >= 32, secondToken.length);
  await both('institution-created');
  await Promise.all([page.waitForURL(`${config.base_url}/console/second-college`), page.locator('#open-console').click()]);
  const secondName = (await page.locator('header.top .brand').textContent()) || '';
  check('operator_page_opens_the_new_console', secondName.includes('Second College'), secondName);

  check('no_csp_violations', cspErrors.length === 0, JSON.stringify(cspErrors));
  check('no_server_errors', serverErrors.length === 0, JSON.stringify(serverErrors));
} catch (e) {
  check('script', false, e && e.stack ? e.stack : e);
} finally {
  if (context) await context.close();
}
say({ phase: 'done', checks, screenshots: shots });
process.exit(0);
