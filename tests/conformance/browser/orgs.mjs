// Two companies at once: Alice of Acme and Gina of Globex, each in her own Chromium context,
// signed in at the same time. Each pre-registers a visitor, then each looks at the host
// directory, the expected visitors and the locations: her company's rows are there, the other
// company's are not.
//
//   node browser/orgs.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'orgs-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

async function expectAbsent(page, needles, where) {
  const text = await bodyText(page);
  for (const n of needles) {
    if (text.includes(n)) throw new Error(`${where}: "${n}" is on the page (${page.url()})`);
  }
  return `${where} shows none of ${needles.map((n) => JSON.stringify(n)).join(', ')}`;
}

try {
  const people = [];
  for (const p of plan.people) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    people.push({ ...p, context, page });
  }
  // Both sign in; both sessions stay open.
  for (const p of people) {
    const { page } = p;
    await step(page, `${p.name}-sign-in`, async () => {
      await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
      await Promise.all([
        page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
        page.getByRole('link', { name: p.button, exact: true }).first().click(),
      ]);
      await keycloakLogin(page, p.username, p.password, plan.demo_url);
      await page.goto(plan.demo_url + '/me', { waitUntil: 'load' });
      return expectText(page, p.me, 'me page');
    });
  }
  for (const p of people) {
    const { page } = p;
    await step(page, `${p.name}-pre-registers`, async () => {
      await page.goto(plan.demo_url + '/visits', { waitUntil: 'load' });
      await page.locator('#visitor_name').fill(p.visitor);
      await page.locator('#visitor_email').fill('guest@visitor.test');
      await Promise.all([page.waitForURL(/registered=1/), page.getByRole('button', { name: 'Pre-register' }).click()]);
      return expectText(page, ['Visitor pre-registered.', p.visitor], 'visitors page');
    });
  }
  // Still both signed in: each sees only her company.
  for (const p of people) {
    const { page } = p;
    for (const [where, url, own] of [
      ['hosts', '/hosts', p.own_hosts],
      ['visits', '/visits', p.own_visits],
      ['locations', '/admin/locations', p.own_locations],
    ]) {
      await step(page, `${p.name}-${where}`, async () => {
        await page.goto(plan.demo_url + url, { waitUntil: 'load' });
        const a = await expectText(page, own, `${where} page`);
        const b = await expectAbsent(page, p.foreign, `${where} page`);
        return `${a}; ${b}`;
      });
    }
  }
  for (const p of people) await p.context.close();
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'orgs-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
