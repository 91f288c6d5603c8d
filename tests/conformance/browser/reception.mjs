// Reception: Alice (Acme admin) makes a kiosk link for Acme HQ; a second Chromium context, the
// reception device with no session, opens it; a visitor finds Alice by name and checks in; Alice's
// visitors page then says her notification was sent ("host notified at HH:MM"), which the demo
// records only once the SMTP server accepted the message.
//
//   node browser/reception.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; the kiosk-link
// step's detail is the link (the suite reuses it over HTTP). Exit 0 only if every step passed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'reception-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

try {
  const admin = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  const kiosk = await (await browser.newContext({ viewport: { width: 1024, height: 1200 } })).newPage();
  admin.setDefaultTimeout(30000);
  kiosk.setDefaultTimeout(30000);
  let link = '';

  await step(admin, 'admin-sign-in', async () => {
    await admin.goto(plan.demo_url + '/', { waitUntil: 'load' });
    await Promise.all([
      admin.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      admin.getByRole('link', { name: plan.button, exact: true }).first().click(),
    ]);
    await keycloakLogin(admin, plan.username, plan.password, plan.demo_url);
    await admin.goto(plan.demo_url + '/admin/reception', { waitUntil: 'load' });
    return expectText(admin, ['Reception kiosks', 'Invitations'], 'reception page');
  });

  await step(admin, 'kiosk-link', async () => {
    await admin.locator('#location_id').selectOption({ label: plan.location });
    await admin.locator('#label').fill('Lobby tablet');
    await admin.getByRole('button', { name: 'Make a kiosk link' }).click();
    await admin.waitForLoadState('load');
    link = (await admin.locator('#kiosk-link').innerText()).trim();
    if (!link.startsWith(plan.demo_url + '/kiosk/start?token=')) throw new Error(`no kiosk link: ${link}`);
    return link;
  });

  await step(kiosk, 'kiosk-opens', async () => {
    await kiosk.goto(link, { waitUntil: 'load' });
    if (kiosk.url().includes('token=')) throw new Error(`the token stayed in the address bar: ${kiosk.url()}`);
    return expectText(kiosk, [`Welcome to ${plan.location}`, 'Find your host'], 'kiosk page');
  });

  await step(kiosk, 'host-search', async () => {
    await kiosk.locator('#q').fill(plan.host_search);
    await kiosk.getByRole('button', { name: 'Search' }).click();
    await kiosk.waitForLoadState('load');
    const text = await bodyText(kiosk);
    if (text.includes('@')) throw new Error(`an email address is shown: ${text.slice(0, 400)}`);
    return expectText(kiosk, [plan.host_name], 'search result');
  });

  await step(kiosk, 'check-in', async () => {
    await kiosk.getByLabel(plan.host_name).check();
    await kiosk.locator('#name').fill(plan.visitor);
    await kiosk.locator('#email').fill(plan.visitor_email);
    await kiosk.locator('#company').fill(plan.company);
    await kiosk.getByRole('button', { name: 'Check in' }).click();
    await kiosk.waitForLoadState('load');
    return expectText(kiosk, ['You are checked in', plan.visitor, `We are letting ${plan.host_name} know`], 'done page');
  });

  await step(admin, 'host-notified', async () => {
    // The outbox worker sends within seconds; reload until the page says so (deadline 30 s).
    const deadline = Date.now() + 30000;
    for (;;) {
      await admin.goto(plan.demo_url + '/visits', { waitUntil: 'load' });
      const text = await bodyText(admin);
      if (text.includes(plan.visitor) && text.includes('host notified at')) {
        return `visitors page: ${plan.visitor}, checked in, host notified`;
      }
      if (Date.now() > deadline) throw new Error(`no "host notified at" for ${plan.visitor}: ${text.slice(0, 600)}`);
      await admin.waitForTimeout(500);
    }
  });
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'reception-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
