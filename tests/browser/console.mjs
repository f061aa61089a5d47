// Drives headless Debian Chromium (playwright-core, from tests/interop/node_modules) through the
// institution console: sign in (keyboard only) → create an achievement with an image upload →
// issue to one learner → the claim page's QR code; then, after the Rust test has claimed the
// offer with the wallet CLI, → the credentials table shows it claimed → revoke → revoked →
// settings, dashboard, sign out. Screenshots of every console page go to config.screenshots.
//
// Protocol with the Rust test (tests/tests/browser_console.rs), one JSON object per stdout line:
//   1. {"phase": "issued", "pin", "offer_url", "claim_page", "qr_screenshot"}; then the script
//      waits for one line on stdin (the wallet has claimed the offer).
//   2. {"phase": "done", "checks": [{"name", "ok", "detail"}]} (also on failure).
//
// Usage: node console.mjs <config.json>
//   config: {"base_url", "slug", "admin_token", "image", "out_dir", "screenshots",
//            "achievement", "recipient", "email"}

import { launch, firstPage } from './lib.mjs';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';


const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const checks = [];
const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail: String(detail) });
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const base = `${config.base_url}/console/${config.slug}`;
mkdirSync(config.screenshots, { recursive: true });
const shots = [];
let copiesListed = 0;

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function waitForGo() {
  const next = await Promise.race([
    stdinLines.next(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no go-ahead on stdin within 120 s')), 120000)),
  ]);
  if (next.done) throw new Error('stdin closed before the go-ahead');
}

let context;
try {
  context = await launch({
    viewport: { width: 1200, height: 900 },
  });
  const page = await firstPage(context);
  const external = [];
  const cspErrors = [];
  const serverErrors = [];
  const own = new URL(config.base_url);
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.host !== own.host) external.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
  });

  // Screenshot of the whole page, and the accessibility basics of a console page.
  const visited = [];
  async function shot(name) {
    const path = join(config.screenshots, `console-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  }
  async function a11y(name) {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML));
    check(`${name}_inputs_labelled`, unlabelled.length === 0, JSON.stringify(unlabelled));
    const headless = await page.evaluate(() =>
      [...document.querySelectorAll('table')].filter((t) => t.querySelectorAll('th').length === 0).length);
    check(`${name}_tables_have_th`, headless === 0, headless);
    if (name !== 'login') {
      const current = await page.locator('header nav a[aria-current="page"]').count();
      check(`${name}_nav_aria_current`, current === 1, current);
    }
    visited.push(page.url());
  }

  // ---- sign in, keyboard only
  await page.goto(`${config.base_url}/console/login`, { waitUntil: 'load' });
  await a11y('login');
  await shot('login');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  check('keyboard_tab_reaches_slug', focused === 'slug', focused);
  await page.keyboard.type(config.slug);
  await page.keyboard.press('Tab');
  await page.keyboard.type(config.admin_token);
  await Promise.all([page.waitForURL(base), page.keyboard.press('Enter')]);
  check('signed_in', page.url() === base, page.url());
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'rosette_console');
  check('session_cookie_httponly_strict', session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/console',
    JSON.stringify(session && { httpOnly: session.httpOnly, sameSite: session.sameSite, path: session.path }));
  const readable = await page.evaluate(() => document.cookie);
  check('session_cookie_not_readable_by_script', !readable.includes('rosette_console'), readable);
  await a11y('dashboard');

  // ---- create an achievement with an image
  await page.goto(`${base}/achievements`, { waitUntil: 'load' });
  await Promise.all([page.waitForURL(`${base}/achievements/new`), page.locator('#new-achievement').click()]);
  await page.locator('#name').fill(config.achievement);
  await page.locator('#description').fill('Keeps research data findable, accessible and tidy.');
  await page.locator('#narrative').fill('Curated three research data sets to the FAIR principles.');
  await page.locator('#tags').fill('data, research, FAIR');
  await page.locator('#achievement_type').selectOption('Badge');
  await page.locator('#validity_days').fill('365');
  await page.locator('#align_name_1').fill('Manage research data');
  await page.locator('#align_url_1').fill('https://example.org/skills/research-data');
  await page.locator('#align_framework_1').fill('ESCO');
  await page.locator('#align_code_1').fill('S1.5.2');
  await page.locator('#image').setInputFiles(config.image);
  await a11y('achievement_new');
  await shot('achievement-new');
  await Promise.all([page.waitForURL(/\/achievements\?notice=created$/), page.locator('#save').click()]);
  const row = page.locator('#achievements tbody tr', { hasText: config.achievement });
  check('achievement_listed', (await row.count()) === 1, await page.locator('#achievements').textContent());
  const thumbOk = await row.locator('img.thumb').evaluate((img) => img.complete && img.naturalWidth > 0);
  check('achievement_image_shows', thumbOk, '');
  await a11y('achievements');
  await shot('achievements');

  // ---- issue to one learner
  await page.goto(`${base}/issue`, { waitUntil: 'load' });
  await page.locator('#achievement').selectOption({ label: config.achievement });
  await page.locator('#recipient').fill(config.recipient);
  await page.locator('#email').fill(config.email);
  check('pin_on_by_default', await page.locator('#pin').isChecked(), '');
  await a11y('issue');
  await shot('issue');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#issue').click()]);
  await page.locator('#pin').waitFor();
  const pin = ((await page.locator('#pin').textContent()) || '').trim();
  check('pin_shown_large', /^\d{6}$/.test(pin), pin);
  const handOver = ((await page.locator('main').textContent()) || '').toLowerCase();
  check('pin_hand_over_separately', handOver.includes('hand this over separately'), '');
  const offerUrl = await page.locator('#offer-link').getAttribute('href');
  check('offer_link', offerUrl && offerUrl.startsWith('openid-credential-offer://'), offerUrl);
  const claimPage = await page.locator('#claim-link').getAttribute('href');
  check('claim_page_link', claimPage && claimPage.startsWith(`${config.base_url}/issuers/${config.slug}/claim/`), claimPage);
  const qrOk = await page.locator('#qr').evaluate((img) => img.complete && img.naturalWidth > 0);
  check('issued_qr_loads', qrOk, '');
  await a11y('issued');
  await shot('issued');

  // ---- the learner's claim page and its QR code
  await page.goto(claimPage, { waitUntil: 'load' });
  const qr = page.locator('img[src*="qr.svg"], img[src*="qr.png"]').first();
  const claimQrOk = await qr.evaluate((img) => img.complete && img.naturalWidth > 0);
  check('claim_page_qr_loads', claimQrOk, '');
  const qrShot = join(config.out_dir, 'claim-qr.png');
  await qr.screenshot({ path: qrShot });
  await page.screenshot({ path: join(config.screenshots, 'console-claim-page.png'), fullPage: true });

  say({ phase: 'issued', pin, offer_url: offerUrl, claim_page: claimPage, qr_screenshot: qrShot });
  await waitForGo();

  // ---- claimed: the table shows it
  const search = `${base}/credentials?q=${encodeURIComponent(config.recipient)}`;
  await page.goto(search, { waitUntil: 'load' });
  const claimedRows = await page.locator('#credentials tbody tr[data-state="claimed"]').count();
  check('credentials_show_claimed', claimedRows >= 1, await page.locator('main').textContent());
  // One award is one row, listing every format it was claimed in.
  const copies = await page.locator('#credentials tbody tr[data-state="claimed"] li[data-copy]').count();
  check('one_row_per_award', claimedRows === 1 && copies >= 1, `${claimedRows} rows, ${copies} copies`);
  copiesListed = copies;
  await a11y('credentials');
  await shot('credentials');

  // ---- revoke every credential of that offer, with a reason
  let revoked = 0;
  for (let i = 0; i < 5; i += 1) {
    await page.goto(search, { waitUntil: 'load' });
    const live = page.locator('#credentials tbody tr[data-state="claimed"]').first();
    if ((await live.count()) === 0) break;
    const form = live.locator('form.action', { has: page.locator('input[name="action"][value="revoke"]') });
    // Revoking is permanent: the console asks first, on a page of its own.
    await Promise.all([page.waitForURL(`${base}/credentials/action`), form.locator('button').click()]);
    const asked = (await page.locator('h1').textContent()) || '';
    check(`revoke_asks_first_${i}`, asked.includes('Revoke this credential?'), asked);
    if (i === 0) await shot('revoke-confirm');
    await page.locator('#reason').fill('Issued to the wrong learner');
    await Promise.all([page.waitForURL(/notice=revoked/), page.locator('#confirm-revoke').click()]);
    const notice = (await page.locator('#notice').textContent()) || '';
    check(`revoke_notice_${i}`, notice.includes('revoked'), notice);
    check(`revoke_keeps_the_whole_list_${i}`, !page.url().includes('q='), page.url());
    revoked += 1;
  }
  // One award claimed in two formats is one thing to revoke: the first revocation covers both.
  check('one_revoke_covers_the_award', revoked === 1, `${revoked} revocations for ${claimedRows} rows`);
  await page.goto(search, { waitUntil: 'load' });
  const states = await page.locator('#credentials tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.state));
  check('credentials_show_revoked', states.length === claimedRows && states.every((s) => s === 'revoked'), JSON.stringify(states));
  const reasonShown = ((await page.locator('#credentials').textContent()) || '').includes('Issued to the wrong learner');
  check('revocation_reason_shown', reasonShown, '');
  await page.goto(`${base}/credentials?state=revoked`, { waitUntil: 'load' });
  check('filter_by_state_revoked', (await page.locator('#credentials tbody tr').count()) === claimedRows, '');
  await shot('credentials-revoked');

  // ---- settings and the dashboard
  await page.goto(`${base}/settings`, { waitUntil: 'load' });
  const did = (await page.locator('#did').textContent()) || '';
  check('settings_show_did', did.startsWith('did:key:z6Mk'), did);
  const vm = (await page.locator('#verification-method').textContent()) || '';
  check('settings_show_verification_method', vm.startsWith(did + '#'), vm);
  await a11y('settings');
  await shot('settings');
  await page.goto(base, { waitUntil: 'load' });
  const figure = async (id) => ((await page.locator(`#${id}`).textContent()) || '').trim();
  check('dashboard_counts', (await figure('count-achievements')) === '1' && (await figure('count-offers')) === '1'
    && (await figure('count-claimed')) === '1' && (await figure('count-revoked')) === '1',
    JSON.stringify({ a: await figure('count-achievements'), o: await figure('count-offers'), c: await figure('count-claimed'), r: await figure('count-revoked') }));
  check('dashboard_14_days', (await page.locator('#days tbody tr').count()) === 14, '');
  await shot('dashboard');

  // ---- a phone: no page is wider than the screen
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = [];
  for (const url of [...new Set(visited)].filter((u) => !u.includes('/issue'))) {
    await page.goto(url, { waitUntil: 'load' });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) wide.push(`${url}: ${width}`);
  }
  check('fits_a_phone', wide.length === 0, JSON.stringify(wide));
  await page.goto(search, { waitUntil: 'load' });
  await page.screenshot({ path: join(config.screenshots, 'console-credentials-phone.png'), fullPage: true });
  shots.push(join(config.screenshots, 'console-credentials-phone.png'));
  await page.setViewportSize({ width: 1200, height: 900 });

  // ---- sign out: the session is gone
  await page.goto(base, { waitUntil: 'load' });
  await Promise.all([page.waitForURL(`${config.base_url}/console/login`), page.locator('#logout').click()]);
  await page.goto(base, { waitUntil: 'load' });
  check('signed_out_redirects_to_login', page.url() === `${config.base_url}/console/login`, page.url());

  check('loads_nothing_external', external.length === 0, JSON.stringify(external));
  check('no_csp_violations', cspErrors.length === 0, JSON.stringify(cspErrors));
  check('no_server_errors', serverErrors.length === 0, JSON.stringify(serverErrors));
  say({ phase: 'done', checks, screenshots: shots, copies: copiesListed });
} catch (e) {
  check('script', false, e && e.stack ? e.stack : e);
  try {
    const page = context && context.pages()[0];
    if (page) await page.screenshot({ path: join(config.out_dir, 'failure.png'), fullPage: true });
    if (page) check('failure_page', false, `${page.url()}: ${((await page.locator('body').textContent()) || '').slice(0, 500)}`);
  } catch (_) { /* the report matters more */ }
  say({ phase: 'done', checks, screenshots: shots, copies: copiesListed });
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  process.exit();
}
