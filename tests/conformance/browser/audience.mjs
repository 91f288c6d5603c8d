// An organization's admin sets up an SSO connection whose IdP sends the wrong Audience, reads
// why on the console, has it fixed at the IdP, tests again, enables it; then a person of that
// IdP signs in for real. The IdP's test sign-in is Keycloak's IdP-initiated SSO URL for the
// client (an SP-initiated request names our entity ID, so Keycloak never reaches a client whose
// Client ID is wrong); the demo takes it as a test because the admin is signed in here.
//
//   node browser/audience.mjs <plan.json>
//
// The fix at Keycloak goes through its admin REST API, standing in for the IdP's administrator.
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'audience-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

// Keycloak's admin REST API: the client's Client ID set to `clientId`.
async function setClientId(clientId) {
  const tokenRes = await fetch(`${plan.keycloak_url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password', client_id: 'admin-cli',
      username: plan.keycloak_admin.username, password: plan.keycloak_admin.password,
    }),
  });
  if (!tokenRes.ok) throw new Error(`admin token: HTTP ${tokenRes.status}`);
  const auth = { Authorization: `Bearer ${(await tokenRes.json()).access_token}` };
  const url = `${plan.keycloak_url}/admin/realms/${plan.realm}/clients/${plan.client_uuid}`;
  const client = await (await fetch(url, { headers: auth })).json();
  const before = client.clientId;
  client.clientId = clientId;
  const put = await fetch(url, {
    method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(client),
  });
  if (put.status !== 204) throw new Error(`PUT client: HTTP ${put.status}`);
  const after = (await (await fetch(url, { headers: auth })).json()).clientId;
  if (after !== clientId) throw new Error(`the Client ID is ${after}`);
  return `Client ID ${JSON.stringify(before)} -> ${JSON.stringify(after)}`;
}

// Keycloak's IdP-initiated SSO: signs the tester in there (once; then its session), posts the
// response to our ACS; resolves when the browser is back at the demo.
async function idpInitiatedTest(page) {
  await page.goto(plan.idp_initiated_url, { waitUntil: 'load' });
  // Keycloak shows its login form, or (with a session there) posts straight back.
  const where = await Promise.race([
    page.waitForSelector('#kc-form-login', { timeout: 30000 }).then(() => 'login', () => 'none'),
    page.waitForURL((u) => u.toString().startsWith(plan.demo_url), { timeout: 30000 })
      .then(() => 'back', () => 'none'),
  ]);
  if (where === 'login') {
    await keycloakLogin(page, plan.tester.username, plan.tester.password, plan.demo_url);
  } else if (where === 'back') {
    await page.waitForLoadState('load');
  } else {
    throw new Error(`neither Keycloak's login form nor the demo: ${page.url()}`);
  }
}

try {
  const c = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
  const page = await c.newPage();
  page.setDefaultTimeout(30000);
  let connectionUrl = '';
  let reference = '';

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
    await page.locator('#name').fill(plan.connection_name);
    await page.locator('#preset').selectOption('keycloak');
    await page.locator('#metadata_url').fill(plan.descriptor_url);
    await Promise.all([
      page.waitForURL(/\/admin\/connections\/\d+$/),
      page.getByRole('button', { name: 'Read metadata and add' }).click(),
    ]);
    connectionUrl = page.url();
    return expectText(page, [plan.idp_entity_id, 'disabled', plan.entity_id,
      'Or start it from your IdP'], 'connection page');
  });

  await step(page, 'idp-test-fails', async () => {
    await idpInitiatedTest(page);
    const shown = await expectText(page, ['Sign-in failed', 'Reference:'], 'failure page');
    const text = await bodyText(page);
    if (text.includes('audience')) throw new Error(`the browser is told the reason: ${text.slice(0, 300)}`);
    reference = text.match(/Reference: (\S+)/)[1];
    return `${shown}; reference ${reference}`;
  });

  await step(page, 'console-shows-remediation', async () => {
    await page.goto(connectionUrl, { waitUntil: 'load' });
    const code = (await page.locator('#failure-code').innerText()).trim();
    if (code !== 'audience_mismatch') throw new Error(`code ${code}`);
    const remediation = (await page.locator('#failure-remediation').innerText()).trim();
    for (const want of [`sends Audience "${plan.wrong_audience}"`, `our entity ID "${plan.entity_id}"`]) {
      if (!remediation.includes(want)) throw new Error(`remediation lacks ${want}: ${remediation}`);
    }
    if ((await bodyText(page)).includes('Test sign-in succeeded')) throw new Error('a report after a failure');
    return `code ${code}; remediation: ${remediation}`;
  });

  await step(page, 'trace-page', async () => {
    await Promise.all([
      page.waitForURL(/\/admin\/audit\/\d+$/),
      page.getByRole('link', { name: 'the whole trace' }).click(),
    ]);
    const shown = await expectText(page, ['audience_mismatch', reference, 'claimed_issuer',
      plan.wrong_audience], 'trace page');
    return shown;
  });

  await step(page, 'fix-at-keycloak', async () => {
    const done = await setClientId(plan.entity_id);
    await page.goto(connectionUrl, { waitUntil: 'load' });
    return done;
  });

  await step(page, 'idp-test-succeeds', async () => {
    await idpInitiatedTest(page);
    if (page.url() !== connectionUrl) throw new Error(`landed at ${page.url()}`);
    const shown = await expectText(page, ['Test sign-in succeeded', 'Nobody was signed in',
      plan.tester.email, 'Quinn', 'Last successful test sign-in'], 'test report');
    // The admin is still herself, signed in here (the test made no session).
    await expectText(page, ['Gina', 'Globex Corporation'], 'header');
    return shown;
  });

  await step(page, 'enable', async () => {
    await page.getByRole('button', { name: 'Enable for sign-in' }).click();
    await page.waitForLoadState('load');
    return expectText(page, ['Status enabled'], 'enabled connection');
  });

  // Quinn, in his own browser, picks the new connection on the sign-in page.
  const q = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const qpage = await q.newPage();
  qpage.setDefaultTimeout(30000);
  await step(qpage, 'real-sign-in', async () => {
    await qpage.goto(plan.demo_url + '/', { waitUntil: 'load' });
    await Promise.all([
      qpage.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      qpage.getByRole('link', { name: `Sign in with ${plan.connection_name}`, exact: true }).click(),
    ]);
    await keycloakLogin(qpage, plan.tester.username, plan.tester.password, plan.demo_url);
    await qpage.goto(plan.demo_url + '/me', { waitUntil: 'load' });
    return expectText(qpage, plan.tester_me, 'me page');
  });

  await q.close();
  await c.close();
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'audience-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
