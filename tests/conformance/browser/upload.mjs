// Employees -> Bulk upload in a real browser: Alice (admin of Acme) signs in through Keycloak,
// opens "Bulk upload and sync", chooses a CSV (UTF-8 BOM, Windows line ends, good rows and bad
// ones), sees the preview with each bad row's number, column and reason and nothing written
// yet, applies it, and finds the new people in the user list; then the same with an XLSX file.
//
//   node browser/upload.mjs <plan.json>
//
// One JSON line per step {"step", "ok", "url", "detail", "screenshot", "ms"}; exit 0 only if
// every step passed. Assertions are on page content, never on pixels.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

import { CHROMIUM_ARGS, bodyText, createSteps, expectText, keycloakLogin } from './common.mjs';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const steps = createSteps(plan.artifacts, 'upload-');
const { step, results } = steps;

const browser = await chromium.launch({
  executablePath: plan.chromium || '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

async function uploadAndPreview(page, file) {
  await page.goto(plan.demo_url + '/admin/sync', { waitUntil: 'load' });
  await page.locator('#file').setInputFiles(file);
  await Promise.all([
    page.waitForURL(/\/admin\/sync\/uploads\/\d+$/, { timeout: 30000 }),
    page.getByRole('button', { name: 'Preview' }).click(),
  ]);
}

async function apply(page) {
  await Promise.all([
    page.waitForLoadState('load'),
    page.waitForURL((u) => u.pathname.endsWith('/apply'), { timeout: 30000 }),
    page.getByRole('button', { name: 'Apply' }).click(),
  ]);
}

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);

  await step(page, 'sign-in', async () => {
    await page.goto(plan.demo_url + '/', { waitUntil: 'load' });
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(plan.keycloak_url), { timeout: 30000 }),
      page.getByRole('link', { name: plan.button, exact: true }).first().click(),
    ]);
    await keycloakLogin(page, plan.username, plan.password, plan.demo_url);
    await page.goto(plan.demo_url + '/admin/sync', { waitUntil: 'load' });
    return expectText(page, ['Bulk upload', 'Download the template'], 'bulk upload page');
  });

  await step(page, 'csv-preview', async () => {
    await uploadAndPreview(page, plan.csv.file);
    const shown = await expectText(page, plan.csv.preview, 'preview');
    // The formula-looking cell is shown as text: no link to where it points.
    const links = await page.locator('a[href*="evil.test"]').count();
    if (links !== 0) throw new Error(`the preview made ${links} link(s) of a cell`);
    return shown;
  });

  await step(page, 'csv-nothing-written-yet', async () => {
    await page.goto(plan.demo_url + '/admin/users', { waitUntil: 'load' });
    const text = await bodyText(page);
    for (const n of plan.csv.created) {
      if (text.includes(n)) throw new Error(`${n} is listed before the apply`);
    }
    await page.goBack({ waitUntil: 'load' });
    return `none of ${plan.csv.created.join(', ')} yet`;
  });

  await step(page, 'csv-apply', async () => {
    await apply(page);
    return expectText(page, plan.csv.applied, 'after apply');
  });

  await step(page, 'csv-users-listed', async () => {
    await page.goto(plan.demo_url + '/admin/users', { waitUntil: 'load' });
    return expectText(page, plan.csv.created, 'users page');
  });

  await step(page, 'xlsx-preview', async () => {
    await uploadAndPreview(page, plan.xlsx.file);
    return expectText(page, plan.xlsx.preview, 'preview');
  });

  await step(page, 'xlsx-apply', async () => {
    await apply(page);
    const a = await expectText(page, plan.xlsx.applied, 'after apply');
    const b = await expectText(page, plan.history, 'sync history');
    return `${a}; ${b}`;
  });
  await context.close();
} catch (e) {
  steps.failed = true;
  if (!results.length || results[results.length - 1].ok) console.log(JSON.stringify({ step: 'setup', ok: false, detail: String(e) }));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(plan.artifacts, 'upload-results.json'), JSON.stringify(results, null, 2));
process.exit(steps.failed ? 1 : 0);
