// The admin console, through a real browser: a person's sign-in fails (their browser's post of
// Keycloak's genuine response is diverted to another SP of the demo, as a misconfigured IdP
// would send it), the person sees only the fixed page and a reference, and their company's admin
// finds the failure by that reference, with its error code and what to change. Another
// company's admin finds nothing; the person, a host, cannot open the console.
//
//   node browser/console.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'console-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

async function context() {
  const c = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await c.newPage();
  page.setDefaultTimeout(30000);
  return { c, page };
}

async function signIn(page, who) {
  await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
    page.getByRole('link', { name: who.button, exact: true }).first().click(),
  ]);
  await keycloakLogin(page, who.username, who.password, plan.demo_url);
  await page.goto(plan.demo_url + '/me', { waitUntil: 'load' });
  return expectText(page, who.me, 'me page');
}

try {
  const admin = await context();
  const other = await context();
  const person = await context();
  let reference = '';
  let eventUrl = '';

  await step(admin.page, 'admin-sign-in', () => signIn(admin.page, plan.admin));
  await step(other.page, 'other-admin-sign-in', () => signIn(other.page, plan.other_admin));

  await step(person.page, 'failing-sign-in', async () => {
    const { page } = person;
    // The IdP's form post goes to another SP of the demo instead of ours.
    await page.route(plan.demo_url + plan.acs_path, (route) =>
      route.request().method() === 'POST'
        ? route.continue({ url: plan.demo_url + plan.divert_to })
        : route.continue());
    await page.goto(plan.demo_url + plan.login_path, { waitUntil: 'load' });
    await page.waitForSelector('#kc-form-login', { timeout: 30000 });
    await page.locator('#username').fill(plan.person.username);
    await page.locator('#password').fill(plan.person.password);
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.demo_url), { timeout: 30000 }),
      page.locator('#kc-login').click(),
    ]);
    await page.waitForLoadState('load');
    const shown = await expectText(page, plan.expect_failed, 'failure page');
    const text = await bodyText(page);
    for (const code of plan.codes) {
      if (text.includes(code)) throw new Error(`the person's page names the code ${code}`);
    }
    const m = text.match(/Reference: (\S+)/);
    if (!m) throw new Error(`no reference on the failure page: ${text.slice(0, 300)}`);
    reference = m[1];
    await page.unroute(plan.demo_url + plan.acs_path);
    return `${shown}; reference ${reference}`;
  });

  await step(admin.page, 'admin-finds-trace', async () => {
    const { page } = admin;
    await page.goto(`${plan.demo_url}/admin/audit?correlation_id=${encodeURIComponent(reference)}`, { waitUntil: 'load' });
    await expectText(page, ['1 event', reference], 'audit log');
    await Promise.all([page.waitForURL(/\/admin\/audit\/\d+$/), page.locator('td a').first().click()]);
    eventUrl = page.url();
    const code = (await page.locator('#code').innerText()).trim();
    if (!plan.codes.includes(code)) throw new Error(`code ${code} is not one of ${plan.codes}`);
    const remediation = (await page.locator('#remediation').innerText()).trim();
    if (remediation.length < 40) throw new Error(`remediation too short: ${remediation}`);
    return `code ${code}; remediation: ${remediation}`;
  });

  await step(admin.page, 'admin-failures-list', async () => {
    await admin.page.goto(`${plan.demo_url}/admin/audit?category=sign_in&outcome=failed`, { waitUntil: 'load' });
    return expectText(admin.page, [reference, plan.divert_connection], 'sign-in failures');
  });

  await step(admin.page, 'admin-audit-log', async () => {
    await admin.page.goto(`${plan.demo_url}/admin/audit`, { waitUntil: 'load' });
    return expectText(admin.page, ['signed_in', 'sign_in_failed'], 'audit log');
  });

  await step(admin.page, 'admin-health', async () => {
    await admin.page.goto(`${plan.demo_url}/admin/health`, { waitUntil: 'load' });
    return expectText(admin.page, ['metadata loaded', 'Signing certificates', 'days'], 'health page');
  });

  await step(other.page, 'other-admin-sees-nothing', async () => {
    const { page } = other;
    await page.goto(`${plan.demo_url}/admin/audit?correlation_id=${encodeURIComponent(reference)}`, { waitUntil: 'load' });
    const a = await expectText(page, ['0 events'], 'other audit log');
    const res = await page.goto(eventUrl, { waitUntil: 'load' });
    if (res.status() !== 404) throw new Error(`another company's event answered ${res.status()}`);
    return `${a}; ${eventUrl} answered 404`;
  });

  await step(person.page, 'host-cannot-open-console', async () => {
    const { page } = person;
    // Keycloak still has the person's session: the login goes straight back.
    await page.goto(plan.demo_url + plan.login_path, { waitUntil: 'load' });
    await page.waitForURL((u) => u.toString().startsWith(plan.demo_url + '/me'), { timeout: 30000 });
    const res = await page.goto(`${plan.demo_url}/admin/audit`, { waitUntil: 'load' });
    if (res.status() !== 403) throw new Error(`a host opened the console (${res.status()})`);
    return expectText(page, ['Not allowed'], 'console as a host');
  });

  for (const x of [admin, other, person]) await x.c.close();
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'console-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
