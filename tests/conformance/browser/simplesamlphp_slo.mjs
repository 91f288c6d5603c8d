// One person, two applications, one logout, in Chromium: SimpleSAMLphp's iframe Single Logout.
// Window A signs in to the demo's `umbrella` SP (password typed at SimpleSAMLphp); window B
// (another browser context holding only A's SimpleSAMLphp cookies: the same IdP session, its
// own demo session, as two applications on two hosts would have) signs in to `umbrella-post`
// without a password. B clicks "Sign out" in the demo (plan.start 'sign-out') or opens
// SimpleSAMLphp's logout URL ('idp-url'): SimpleSAMLphp (logouttype iframe) asks whether to
// sign out of every service, the person clicks "Yes, all services", its page loads each SP's
// logout in a hidden frame and, when every frame reported back, sends B to plan.final_url.
// Then A's demo session has ended too. The browser's console (CSP violations, refused frames)
// is printed after the steps.
//
//   node browser/simplesamlphp_slo.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content and URLs, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, `ssp-slo-${plan.name}-`);
const { step, results } = steps;
const atDemo = (u) => u.toString().startsWith(plan.demo_url);
// What the browser said (CSP violations, blocked frames): printed with the steps' results.
const consoleLines = [];
const listen = (name, page) => page.on('console', (m) => consoleLines.push(`${name}: ${m.type()}: ${m.text()}`));

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});
try {
  const ctxA = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const a = await ctxA.newPage();
  a.setDefaultTimeout(30000);
  listen('a', a);
  await step(a, 'a-sign-in', async () => {
    await a.goto(plan.login_a, { waitUntil: 'load' });
    await a.waitForSelector('#username');
    await a.locator('#username').fill(plan.username);
    await a.locator('#password').fill(plan.password);
    await Promise.all([a.waitForURL(atDemo), a.locator('#submit_button').click()]);
    await a.waitForLoadState('load');
    if (!a.url().includes(plan.me_path)) await a.goto(plan.demo_url + plan.me_path);
    return expectText(a, plan.expect_a, 'window A, me page');
  });

  const ctxB = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await ctxB.addCookies((await ctxA.cookies()).filter((c) => c.name.startsWith('SimpleSAML')));
  const b = await ctxB.newPage();
  b.setDefaultTimeout(30000);
  listen('b', b);
  await step(b, 'b-sign-in-without-password', async () => {
    await b.goto(plan.login_b, { waitUntil: 'load' });
    await b.waitForURL((u) => atDemo(u) && u.toString().includes(plan.me_path));
    await b.waitForLoadState('load');
    return expectText(b, plan.expect_b, 'window B, me page (no login form on the way)');
  });

  await step(b, 'b-logout-asks-all-services', async () => {
    if (plan.start === 'sign-out') {
      await Promise.all([
        b.waitForURL((u) => u.toString().startsWith(plan.ssp_url)),
        b.getByRole('button', { name: 'Sign out' }).first().click(),
      ]);
    } else {
      await b.goto(plan.idp_logout_url);
    }
    await b.waitForSelector('#logout-all');
    return `at SimpleSAMLphp: ${b.url().split('?')[0]}: ${(await bodyText(b)).slice(0, 160)}`;
  });

  await step(b, 'b-yes-all-services', async () => {
    await Promise.all([
      b.waitForURL((u) => u.toString() === plan.final_url, { timeout: 30000 }),
      b.locator('#logout-all').click(),
    ]);
    await b.waitForLoadState('load');
    return expectText(b, plan.final_text, 'after the iframe logout');
  });

  for (const [name, page] of [['a', a], ['b', b]]) {
    await step(page, `${name}-me-after-logout`, async () => {
      await page.goto(plan.demo_url + plan.me_path, { waitUntil: 'load' });
      const text = await bodyText(page);
      if (text.includes(plan.username_marker)) throw new Error(`window ${name} still signed in at ${page.url()}`);
      return expectText(page, plan.expect_signed_out, `window ${name}, /me after the logout`);
    });
  }
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
  for (const line of consoleLines) console.log(`browser console ${line}`);
}
fs.writeFileSync(path.join(plan.artifacts, `ssp-slo-${plan.name}-results.json`), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
