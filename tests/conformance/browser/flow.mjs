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

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin as kcLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samlsp-chromium-'));

const steps = createSteps(plan.artifacts);
const { step, results } = steps;
const keycloakLogin = (page, user, password) => kcLogin(page, user, password, plan.demo_url);

// A new, empty profile directory (playwright passes it to Chromium as --user-data-dir).
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 800 },
  args: CHROMIUM_ARGS,
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
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
fs.writeFileSync(path.join(plan.artifacts, 'results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
