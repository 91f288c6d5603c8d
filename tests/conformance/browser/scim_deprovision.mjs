// Deprovisioning through SCIM, seen by the person at the browser: Sam signs in through Keycloak
// (Chromium), Acme's provisioning client deactivates him (PATCH active "False", as Entra ID sends
// it), and his next request signs him out; signing in again through Keycloak is refused.
//
//   node browser/scim_deprovision.mjs <plan.json>
//
// The plan (written by test_scim.py) has the demo and Keycloak URLs, the person, and the SCIM
// base URL and bearer token. One JSON line per step, as the other scripts.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samlsp-chromium-'));
const steps = createSteps(plan.artifacts, 'scim-');
const { step, results } = steps;
const p = plan.person;

// One SCIM request from the provisioning client (not the browser).
async function scim(method, urlPath, body) {
  const res = await fetch(plan.scim_url + urlPath, {
    method,
    headers: { Authorization: `Bearer ${plan.token}`, 'Content-Type': 'application/scim+json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function setActive(id, value) {
  const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Replace', path: 'active', value }] };
  return scim('PATCH', `/Users/${id}`, body);
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 800 },
  args: CHROMIUM_ARGS,
});
let id = null;
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(30000);
  const signIn = async () => {
    await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      page.getByRole('link', { name: p.button, exact: true }).first().click(),
    ]);
    // At Keycloak: its login form, or (its own session still alive) a form that posts straight
    // back to the demo.
    await Promise.race([
      page.waitForSelector('#kc-form-login', { timeout: 30000 }),
      page.waitForURL((u) => u.toString().startsWith(plan.demo_url), { timeout: 30000 }),
    ]);
    if (page.url().startsWith(plan.keycloak_url) && (await page.locator('#kc-form-login').count())) {
      await keycloakLogin(page, p.username, p.password, plan.demo_url);
    }
    await page.waitForLoadState('load');
  };

  await step(page, 'sign-in', async () => {
    await signIn();
    if (!page.url().includes('/me')) await page.goto(plan.demo_url + '/me');
    return expectText(page, p.me, 'me page');
  });
  await step(page, 'scim-deactivate', async () => {
    const q = encodeURIComponent(`userName eq "${p.user_name}"`);
    const found = await scim('GET', `/Users?filter=${q}`);
    if (found.totalResults !== 1) throw new Error(`filter found ${found.totalResults}`);
    id = found.Resources[0].id;
    const after = await setActive(id, 'False');
    if (after.active !== false) throw new Error(`still active: ${JSON.stringify(after)}`);
    return `PATCH /Users/${id} active "False": 200, active=false`;
  });
  await step(page, 'next-request-signed-out', async () => {
    await page.goto(plan.demo_url + '/me', { waitUntil: 'load' });
    const text = await bodyText(page);
    for (const n of p.me) {
      if (text.includes(n)) throw new Error(`still signed in: "${n}" on ${page.url()}`);
    }
    return expectText(page, plan.expect_signed_out, 'after deactivation');
  });
  await step(page, 'sign-in-again-refused', async () => {
    await signIn();
    return expectText(page, plan.expect_refused, 'sign-in while deactivated');
  });
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  // Leave Sam as he was (the demo's database outlives this script within a run).
  if (id !== null) await setActive(id, 'True').catch(() => {});
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(steps.failed ? 1 : 0);
