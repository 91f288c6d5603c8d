// SSO connection set-up by an organization's admin, through a real browser: add a connection
// from a Keycloak realm's descriptor URL, read what was understood, try to enable it before a
// test (refused), run a test sign-in at the realm (the real flow; verified; nobody signed in),
// read the verified NameID and attributes, enable it.
//
//   node browser/connections.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'connections-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

try {
  const c = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
  const page = await c.newPage();
  page.setDefaultTimeout(30000);
  let connectionUrl = '';

  await step(page, 'admin-sign-in', async () => {
    await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      page.getByRole('link', { name: plan.admin.button, exact: true }).first().click(),
    ]);
    await keycloakLogin(page, plan.admin.username, plan.admin.password, plan.demo_url);
    await page.goto(plan.demo_url + '/me', { waitUntil: 'load' });
    return expectText(page, plan.admin.me, 'me page');
  });

  await step(page, 'add-by-url', async () => {
    await page.goto(plan.demo_url + '/admin/connections', { waitUntil: 'load' });
    await page.locator('#name').fill('Wizard realm');
    await page.locator('#preset').selectOption('keycloak');
    await page.locator('#metadata_url').fill(plan.descriptor_url);
    await Promise.all([
      page.waitForURL(/\/admin\/connections\/\d+$/),
      page.getByRole('button', { name: 'Read metadata and add' }).click(),
    ]);
    connectionUrl = page.url();
    return expectText(page, [plan.entity_id, 'HTTP-POST', 'Signing certificates', 'disabled',
      plan.demo_url + '/saml/acs', 'Keycloak settings'], 'connection page');
  });

  await step(page, 'enable-refused-untested', async () => {
    // The button is disabled until a test; post the form anyway.
    // (The page's CSP allows no script requests: the browser context's own client, with its
    // cookies.)
    const form = await page.evaluate(() => {
      const f = document.querySelector('form[aria-label="Enable"]');
      return { action: f.action, fields: Object.fromEntries(new FormData(f).entries()) };
    });
    const status = (await page.request.post(form.action, { form: form.fields, maxRedirects: 0 })).status();
    if (status !== 409) throw new Error(`enable before a test answered ${status}`);
    return 'enable before a test: 409';
  });

  await step(page, 'test-sign-in', async () => {
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      page.getByRole('link', { name: 'Run a test sign-in' }).click(),
    ]);
    await keycloakLogin(page, plan.tester.username, plan.tester.password, connectionUrl);
    const shown = await expectText(page, ['Test sign-in succeeded', plan.tester.email, 'Wizard'],
      'test report');
    const text = await bodyText(page);
    if (!text.includes('Last successful test sign-in')) throw new Error('no test time');
    return shown;
  });

  await step(page, 'enable', async () => {
    await page.getByRole('button', { name: 'Enable for sign-in' }).click();
    await page.waitForLoadState('load');
    return expectText(page, ['Status enabled'], 'enabled connection');
  });

  await c.close();
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'connections-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
