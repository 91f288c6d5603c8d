// Login CSRF in a real browser: the attacker starts a login in their own browser context, signs
// in at Keycloak and keeps the SAMLResponse (the POST to the demo's ACS is intercepted, never
// delivered); a victim's browser context then visits an attacker's page that auto-posts that
// response to the demo's ACS. The demo must refuse it and the victim must not be signed in.
// Then the attacker posts it from their own context: accepted (the response was genuine, and
// the refused attempt did not use up the attacker's pending request).
//
//   node browser/login_csrf.mjs <plan.json>
//
// Prints one JSON line per step (see common.mjs); exit 0 only if every step passed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'csrf-');
const { step, results } = steps;
const acs = plan.demo_url + plan.acs_path;

// An auto-submitting form, as an attacker's page would serve it.
function autoPost(fields) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<!doctype html><html><body><p>Free prizes</p><form id="f" method="post" action="${esc(acs)}">` +
    `${inputs}</form><script>document.getElementById('f').submit()</script></body></html>`;
}

const browser = await chromium.launch({ executablePath: plan.chromium || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
let captured = null;
try {
  const attackerCtx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const attacker = await attackerCtx.newPage();
  attacker.setDefaultTimeout(30000);

  await step(attacker, 'attacker-starts-login', async () => {
    await attacker.goto(plan.demo_url + plan.login_path, { waitUntil: 'load' });
    await attacker.waitForSelector('#kc-form-login');
    const c = (await attackerCtx.cookies(plan.demo_url)).find((k) => k.name.startsWith('__Host-samlsp-'));
    if (!c) throw new Error('Chromium did not keep the __Host- binding cookie set over http://127.0.0.1');
    if (!c.secure || !c.httpOnly || c.sameSite !== 'None' || c.path !== '/') {
      throw new Error(`binding cookie attributes: ${JSON.stringify(c)}`);
    }
    return `at Keycloak; Chromium kept ${c.name} (Secure, HttpOnly, SameSite=None, host-only ${c.domain})`;
  });

  await step(attacker, 'attacker-signs-in-and-keeps-response', async () => {
    // The IdP's auto-POST to the ACS is intercepted and never delivered.
    await attacker.route(acs, async (route) => {
      const params = new URLSearchParams(route.request().postData() || '');
      captured = { SAMLResponse: params.get('SAMLResponse'), RelayState: params.get('RelayState') };
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>kept</p>' });
    });
    await keycloakLogin(attacker, plan.attacker.username, plan.attacker.password, acs);
    if (!captured || !captured.SAMLResponse || !captured.RelayState) throw new Error('no SAMLResponse captured');
    await attacker.unroute(acs);
    return `kept a ${captured.SAMLResponse.length}-character SAMLResponse with its RelayState`;
  });

  const victimCtx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const victim = await victimCtx.newPage();
  victim.setDefaultTimeout(30000);
  // The attacker's site, on another origin.
  await victimCtx.route(plan.attacker_site + '/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: autoPost(captured) }));

  let status = null;
  await step(victim, 'victim-posts-attackers-response', async () => {
    const [res] = await Promise.all([
      victim.waitForResponse((r) => r.url() === acs && r.request().method() === 'POST'),
      victim.goto(plan.attacker_site + '/prize', { waitUntil: 'commit' }),
    ]);
    status = res.status();
    await victim.waitForURL((u) => u.toString().startsWith(plan.demo_url));
    await victim.waitForLoadState('load');
    if (status !== 400) throw new Error(`the ACS answered ${status}`);
    const text = await expectText(victim, plan.expect_refused, 'ACS answer');
    const ref = (await bodyText(victim)).match(/Reference: (\S+)/);
    return `${text}; HTTP ${status}; reference ${ref ? ref[1] : '?'}`;
  });

  await step(victim, 'victim-not-signed-in', async () => {
    await victim.goto(plan.demo_url + plan.me_path, { waitUntil: 'load' });
    const text = await bodyText(victim);
    for (const n of plan.attacker.markers) {
      if (text.includes(n)) throw new Error(`the victim is signed in as the attacker: "${n}" on ${victim.url()}`);
    }
    return expectText(victim, plan.expect_signed_out, 'victim /me');
  });

  await step(attacker, 'attacker-own-browser-still-accepted', async () => {
    await attackerCtx.route(plan.attacker_site + '/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: autoPost(captured) }));
    const [res] = await Promise.all([
      attacker.waitForResponse((r) => r.url() === acs && r.request().method() === 'POST'),
      attacker.goto(plan.attacker_site + '/own', { waitUntil: 'commit' }),
    ]);
    if (res.status() !== 303) throw new Error(`the ACS answered ${res.status()} in the attacker's own browser`);
    await attacker.waitForLoadState('load');
    await attacker.goto(plan.demo_url + plan.me_path, { waitUntil: 'load' });
    return expectText(attacker, plan.attacker.markers, 'attacker /me');
  });
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'csrf-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
