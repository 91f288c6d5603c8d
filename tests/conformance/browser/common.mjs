// Shared by the browser scripts: numbered steps with a screenshot and one JSON line each, and
// the page helpers. Assertions are on page content, never on pixels.
import fs from 'node:fs';
import path from 'node:path';

// Chromium as every script launches it (Debian's, headless, nothing phoning home).
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

// Steps: each runs `fn`, saves a screenshot under `artifacts`, prints
// {"step", "ok", "url", "detail", "screenshot", "ms"} and throws if it failed.
export function createSteps(artifacts, prefix = '') {
  fs.mkdirSync(artifacts, { recursive: true });
  const state = { results: [], failed: false, shot: 0 };
  state.step = async (page, name, fn) => {
    const t0 = Date.now();
    let ok = true;
    let detail = '';
    try {
      detail = (await fn()) || '';
    } catch (e) {
      ok = false;
      state.failed = true;
      detail = String(e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e);
    }
    const file = path.join(artifacts, `${prefix}${String(++state.shot).padStart(2, '0')}-${name}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true });
    } catch (e) {
      detail += ` (no screenshot: ${e})`;
    }
    const r = { step: name, ok, url: page.url(), detail, screenshot: file, ms: Date.now() - t0 };
    state.results.push(r);
    console.log(JSON.stringify(r));
    if (!ok) throw new Error(`step ${name} failed: ${detail}`);
  };
  return state;
}

export async function bodyText(page) {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

export async function expectText(page, needles, where) {
  const text = await bodyText(page);
  for (const n of needles) {
    if (!text.includes(n)) throw new Error(`${where}: "${n}" not on the page (${page.url()}): ${text.slice(0, 400)}`);
  }
  return `${where} shows ${needles.map((n) => JSON.stringify(n)).join(', ')}`;
}

// Fills in Keycloak's login form and waits until the browser is back at `backAt` (a URL prefix).
export async function keycloakLogin(page, user, password, backAt) {
  await page.waitForSelector('#kc-form-login', { timeout: 30000 });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(backAt), { timeout: 30000 }),
    page.locator('#kc-login').click(),
  ]);
  await page.waitForLoadState('load');
}
