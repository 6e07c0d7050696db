// End to end: `Download session` saves the whole analysis as one file; after a reload, opening
// that file (no CSV, no training) brings back every plot with identical cluster assignments.
// A session from a newer app version gets an alert saying so; one of format version 1 opens.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { appHarness, openApp, timeCourseCsv, dropFile } = require('./support');

const app = appHarness();

async function downloadText(page, button) {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: button, exact: true }).click();
  const d = await download;
  return { name: d.suggestedFilename(), bytes: fs.readFileSync(await d.path()) };
}

async function plotCounts(page) {
  return page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('[data-plot]'))
    .map((el) => [el.dataset.plot, (el.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0)])));
}

test('a saved session reopens after a reload with every plot and identical clusters', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=3');
  await dropFile(page, 'cells.csv', timeCourseCsv({ genes: 16 }));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('cells.csv').waitFor({ timeout: 60_000 });
  // Every gene of the file, the flat ones too (Dynamics would keep only the genes that change).
  await page.getByRole('combobox', { name: 'Gene selection' }).selectOption('Most variable');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('3');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  const clustersBefore = (await downloadText(page, 'Download clusters CSV')).bytes.toString();
  const umapBefore = (await downloadText(page, 'Download UMAP CSV')).bytes.toString();
  const plotsBefore = await plotCounts(page);
  const session = await downloadText(page, 'Download session');
  assert.equal(session.name, 'cells.vrnn');
  assert.equal(session.bytes.subarray(0, 13).toString(), 'VRNN-SESSION\n');

  await page.reload();
  await status.filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  const t0 = Date.now();
  await page.locator('#data-files').setInputFiles({ name: 'cells.vrnn', mimeType: 'application/octet-stream', buffer: session.bytes });
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 60_000 });
  const reopenMs = Date.now() - t0;
  assert.match(await status.textContent(), /reopened from cells\.vrnn · 3 clusters of 16 genes/);
  assert.match(await summary.textContent(), /cells\.csv/);
  assert.equal((await downloadText(page, 'Download clusters CSV')).bytes.toString(), clustersBefore);
  assert.equal((await downloadText(page, 'Download UMAP CSV')).bytes.toString(), umapBefore);
  assert.deepEqual(await plotCounts(page), plotsBefore, 'every plot is back with the same points');
  console.log(`session: ${session.bytes.length} bytes for 16 genes; reopened in ${reopenMs} ms`);

  // A session written by a newer version of the app is named, and what is shown stays.
  const newer = Buffer.concat([Buffer.from('VRNN-SESSION\n'), zlib.gzipSync(Buffer.from('{"version": 99}'))]);
  await dropFile(page, 'future.vrnn', newer);
  const alert = page.getByRole('alert').filter({ hasText: 'future.vrnn' });
  await alert.waitFor({ timeout: 60_000 });
  assert.match(await alert.textContent(), /format version 99, newer than this app reads \(2\)/);
  assert.deepEqual(await plotCounts(page), plotsBefore);

  // A session of format version 1 (written before sessions had their own schema) is migrated
  // as it opens, and gives the clusters the version 1 CLI wrote beside it.
  const fixtures = path.join(__dirname, '..', '..', 'crates', 'engine', 'tests', 'fixtures');
  await dropFile(page, 'session-v1.vrnn', fs.readFileSync(path.join(fixtures, 'session-v1.vrnn')));
  await status.filter({ hasText: /reopened from session-v1\.vrnn · 3 clusters of 20 genes/ })
    .waitFor({ timeout: 60_000 });
  // The same clusters as the version 1 app wrote (clusters.csv has since gained its
  // membership and core columns after `gene,cluster`).
  const firstTwo = (csv) => csv.split('\n').map((l) => l.split(',').slice(0, 2).join(',')).join('\n');
  assert.equal(
    firstTwo((await downloadText(page, 'Download clusters CSV')).bytes.toString()),
    fs.readFileSync(path.join(fixtures, 'session-v1-clusters.csv'), 'utf8'),
  );
  assert.deepEqual(errors, []);
  await page.close();
});
