// A person at a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   node browser/flow.mjs <plan.json>
//
// The plan (written by test_browser.py) names the demo URL, the company buttons, the Keycloak
// users and what each page must show. Every step saves a screenshot under plan.artifacts and
// prints one JSON line {"step", "ok", "url", "detail", "screenshot", "ms"}; the exit code is 0
// only if every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(plan.artifacts, { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samlsp-chromium-'));

const results = [];
let failed = false;
let shot = 0;

async function step(page, name, fn) {
  const t0 = Date.now();
  let ok = true;
  let detail = '';
  try {
    detail = (await fn()) || '';
  } catch (e) {
    ok = false;
    failed = true;
    detail = String(e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e);
  }
  const file = path.join(plan.artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true });
  } catch (e) {
    detail += ` (no screenshot: ${e})`;
  }
  const r = { step: name, ok, url: page.url(), detail, screenshot: file, ms: Date.now() - t0 };
  results.push(r);
  console.log(JSON.stringify(r));
  if (!ok) throw new Error(`step ${name} failed: ${detail}`);
}

async function bodyText(page) {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

async function expectText(page, needles, where) {
  const text = await bodyText(page);
  for (const n of needles) {
    if (!text.includes(n)) throw new Error(`${where}: "${n}" not on the page (${page.url()}): ${text.slice(0, 400)}`);
  }
  return `${where} shows ${needles.map((n) => JSON.stringify(n)).join(', ')}`;
}

async function keycloakLogin(page, user, password) {
  await page.waitForSelector('#kc-form-login', { timeout: 30000 });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(plan.demo_url), { timeout: 30000 }),
    page.locator('#kc-login').click(),
  ]);
  await page.waitForLoadState('load');
}

// A new, empty profile directory (playwright passes it to Chromium as --user-data-dir).
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 800 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  ],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(30000);

  const sp = plan.sp_initiated;
  await step(page, 'open-demo', async () => {
    await page.goto(plan.demo_url + plan.start_path, { waitUntil: 'load' });
    return expectText(page, [sp.button], 'sign-in page');
  });
  await step(page, 'click-company-button', async () => {
    const button = page.getByRole(sp.button_role, { name: sp.button, exact: true });
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      button.first().click(),
    ]);
    await page.waitForSelector('#kc-form-login');
    return `at Keycloak: ${await page.title()}`;
  });
  await step(page, 'keycloak-sign-in', async () => {
    await keycloakLogin(page, sp.username, sp.password);
    return `back at ${page.url()}`;
  });
  await step(page, 'me-page', async () => {
    if (!page.url().includes(plan.me_path)) await page.goto(plan.demo_url + plan.me_path);
    return expectText(page, sp.expect, 'me page');
  });

  const idp = plan.idp_initiated;
  await step(page, 'idp-initiated-open', async () => {
    await page.goto(idp.url, { waitUntil: 'load' });
    await page.waitForSelector('#kc-form-login');
    return `Keycloak IdP-initiated page: ${await page.title()}`;
  });
  await step(page, 'idp-initiated-sign-in', async () => {
    await keycloakLogin(page, idp.username, idp.password);
    return `back at ${page.url()}`;
  });
  await step(page, 'idp-initiated-me-page', async () => {
    if (!page.url().includes(plan.me_path)) await page.goto(plan.demo_url + plan.me_path);
    return expectText(page, idp.expect, 'me page');
  });

  const out = plan.sign_out;
  await step(page, 'sign-out', async () => {
    const control = page.getByRole(out.role, { name: out.name });
    await Promise.all([page.waitForLoadState('load'), control.first().click()]);
    await page.waitForLoadState('load');
    return expectText(page, out.expect, 'after sign-out');
  });
  await step(page, 'me-after-sign-out', async () => {
    await page.goto(plan.demo_url + plan.me_path, { waitUntil: 'load' });
    const text = await bodyText(page);
    for (const n of idp.signed_in_markers) {
      if (text.includes(n)) throw new Error(`still signed in: "${n}" on ${page.url()}`);
    }
    return expectText(page, out.expect_me, 'me page after sign-out');
  });
} catch (e) {
  failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
fs.writeFileSync(path.join(plan.artifacts, 'results.json'), JSON.stringify(results, null, 2));
process.exit(failed ? 1 : 0);
