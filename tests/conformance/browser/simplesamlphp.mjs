// People at a real browser signing in through SimpleSAMLphp (the "Umbrella" IdP), each in a
// fresh Chromium context (no IdP session carried over): SP-initiated from the demo's sign-in
// page over HTTP-Redirect, SP-initiated over HTTP-POST (the demo's auto-submitting form), and
// IdP-initiated from SimpleSAMLphp's SSOService.php?spentityid=... URL. Each types a username
// and password into SimpleSAMLphp's own login page and lands on the demo's "me" page.
//
//   node browser/simplesamlphp.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, createSteps, expectText } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'ssp-');
const { step, results } = steps;

// SimpleSAMLphp's exampleauth:UserPass page (#username, #password, #submit_button); waits
// until the browser is back at the demo.
async function sspLogin(page, user, password) {
  await page.waitForSelector('#username', { timeout: 30000 });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(plan.demo_url), { timeout: 30000 }),
    page.locator('#submit_button').click(),
  ]);
  await page.waitForLoadState('load');
}

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});
try {
  for (const person of plan.people) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const name = person.name;
    if (person.button) {
      await step(page, `${name}-open-demo`, async () => {
        await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
        return expectText(page, [person.button], 'sign-in page');
      });
      await step(page, `${name}-click-company-button`, async () => {
        await Promise.all([
          page.waitForURL((u) => u.toString().startsWith(plan.ssp_url), { timeout: 30000 }),
          page.getByRole('link', { name: person.button, exact: true }).first().click(),
        ]);
        await page.waitForSelector('#username');
        return `at SimpleSAMLphp: ${await page.title()} (${page.url().split('?')[0]})`;
      });
    } else {
      await step(page, `${name}-open-idp-initiated`, async () => {
        await page.goto(person.url, { waitUntil: 'load' });
        await page.waitForSelector('#username');
        return `at SimpleSAMLphp: ${await page.title()}`;
      });
    }
    await step(page, `${name}-sign-in`, async () => {
      await sspLogin(page, person.username, person.password);
      return `back at ${page.url()}`;
    });
    await step(page, `${name}-me-page`, async () => {
      if (!page.url().includes(plan.me_path)) await page.goto(plan.demo_url + plan.me_path);
      return expectText(page, person.expect, 'me page');
    });
    await context.close();
  }
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'ssp-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
