// End to end: the privacy promise and offline use. (a) A full run (load, train, cluster, UMAP,
// every download) makes no request to any origin but the page's own, and after the app has
// loaded, none except to its own files; the Content-Security-Policy is in force and nothing
// violates it. (d) After one visit, with the browser context offline, the app loads from its
// service worker's cache and trains.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { appHarness, timeCourseCsv, dropFile } = require('./support');

const app = appHarness();
const DIST = path.resolve(process.env.VRNN_DIST || path.join(__dirname, '..', '..', 'dist'));

/** A page in its own context that records requests and CSP violations. */
async function recordingPage(context) {
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, requests, errors };
}

async function trainSmall(page, name) {
  await dropFile(page, name, timeCourseCsv({ genes: 10 }));
  await page.getByRole('region', { name: 'Data summary' }).getByText(name).waitFor({ timeout: 60_000 });
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('2');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
}

test('a full run talks to no origin but its own, and only for its own files', async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, requests, errors } = await recordingPage(context);
  await page.goto(`${app.server.url}?backend=cpu&epochs=2`);
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.doesNotMatch(csp, /[ ']'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
  const loaded = requests.length;

  await trainSmall(page, 'private.csv');
  const buttons = page.locator('button', { hasText: /^Download / });
  const names = await buttons.allTextContents();
  assert.ok(names.length >= 9, `downloads offered: ${names}`);
  // Headless Chromium lets a page start at most 10 downloads (a headed one asks the user from
  // the eleventh on): the first 10 buttons, every kind of file (text, JSON, GMT, the
  // session's bytes) among them; the others take the same path.
  const tried = [...names.slice(0, 8), 'Download run JSON', 'Download session'];
  for (const n of tried) assert.ok(names.includes(n), `${n} offered`);
  for (let i = 0; i < names.length; i++) {
    if (!tried.includes(names[i])) continue;
    const download = page.waitForEvent('download', { timeout: 30_000 });
    await buttons.nth(i).click();
    await download.catch((e) => { throw new Error(`${names[i]}: ${e.message}`); });
  }
  const origin = new URL(app.server.url).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'no request leaves the page\'s origin');
  const own = new Set(fs.readdirSync(DIST));
  const later = requests.slice(loaded)
    .filter((u) => u.startsWith(origin))
    .map((u) => new URL(u).pathname.replace(/^\//, ''))
    .filter((p) => !own.has(p));
  assert.deepEqual(later, [], 'after loading, requests go only to the app\'s own files');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('after one visit the app opens and trains with the network off', async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await recordingPage(context);
  await page.goto(`${app.server.url}?backend=cpu&epochs=2`);
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  // The service worker has cached the build once it is active.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await context.setOffline(true);
  await page.reload();
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'served by the service worker');
  await trainSmall(page, 'offline.csv');
  assert.match(await page.getByRole('status').textContent(), /Finished/);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});
