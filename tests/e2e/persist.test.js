// End to end: runs survive a reload and a crashed worker.
// (c) A reload during training offers the last checkpoint; reopening it and pressing Resume
//     goes on from that epoch to the end; a kept run can be deleted.
// A panic in the worker becomes an alert, a new worker starts, and the run goes on from its
// checkpoint; a WebGPU failure mid-run continues on the CPU backend and says so.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { appHarness, openApp, timeCourseCsv, dropFile } = require('./support');

const app = appHarness();

async function lossPoints(page) {
  return page.evaluate(() => {
    const el = document.querySelector('[data-plot="loss"]');
    return el && el.data && el.data[0] ? el.data[0].x.length : 0;
  });
}

/** Drops a `genes`-gene time course as cells.csv and trains it with k = 3. */
async function loadAndTrain(page, genes) {
  await dropFile(page, 'cells.csv', timeCourseCsv({ genes }));
  await page.getByRole('region', { name: 'Data summary' }).getByText('cells.csv').waitFor({ timeout: 60_000 });
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('3');
  await page.getByRole('button', { name: 'Train' }).click();
}

async function download(page, button) {
  const d = page.waitForEvent('download');
  await page.getByRole('button', { name: button, exact: true }).click();
  return fs.readFileSync(await (await d).path()).toString();
}

test('a reload during training offers the last checkpoint, which resumes to the end', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=5000');
  await loadAndTrain(page, 24);
  const summary = page.getByRole('region', { name: 'Data summary' });
  const saved = page.getByRole('region', { name: 'Saved analyses' });
  // The first checkpoint is taken after epoch 1, the next ones every 5 s.
  await saved.getByText(/checkpoint at epoch ([2-9]|\d\d+) of 5000/).waitFor({ timeout: 120_000 });
  const kept = Number((await saved.textContent()).match(/checkpoint at epoch (\d+) of 5000/)[1]);

  await page.reload();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  const offered = saved.getByRole('listitem');
  await offered.first().waitFor({ timeout: 60_000 });
  const text = await offered.first().textContent();
  const at = Number(text.match(/checkpoint at epoch (\d+) of 5000/)[1]);
  assert.ok(at >= kept, `offered epoch ${at} ≥ ${kept} seen before the reload`);
  assert.match(text, /cells\.csv · Dynamics/);

  await saved.getByRole('button', { name: /^Reopen cells\.csv/ }).first().click();
  await status.filter({ hasText: `a checkpoint at epoch ${at} of 5000` }).waitFor({ timeout: 60_000 });
  assert.equal(await lossPoints(page), at, 'the losses so far are back');
  assert.match(await summary.textContent(), /cells\.csv/);
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill(String(at + 3));
  await page.getByRole('button', { name: 'Resume' }).click();
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  assert.equal(await lossPoints(page), at + 3, 'resumed from the checkpoint, not from epoch 0');
  const loss = await download(page, 'Download loss CSV');
  assert.equal(loss.trim().split('\n').length, at + 4);
  const run = JSON.parse(await download(page, 'Download run JSON'));
  assert.equal(run.config.epochs, at + 3);
  await saved.getByText(`finished, ${at + 3} epochs`).waitFor({ timeout: 30_000 });

  // Deleting forgets it, also after a reload.
  await saved.getByRole('button', { name: /^Delete cells\.csv/ }).first().click();
  await saved.waitFor({ state: 'detached', timeout: 30_000 });
  await page.reload();
  await status.filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  assert.equal(await saved.count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a panic in the worker is an alert, and the run goes on from its checkpoint', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=8&inject-panic=4');
  await loadAndTrain(page, 16);
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'crashed' }).waitFor({ timeout: 120_000 });
  const message = await alert.textContent();
  assert.match(message, /The analysis worker crashed \(injected by the tests at epoch 4\); a new one was started\. The checkpoint at epoch \d is reopened/);
  const at = Number(message.match(/checkpoint at epoch (\d)/)[1]);
  const status = page.getByRole('status');
  await status.filter({ hasText: `checkpoint at epoch ${at} of 8` }).waitFor({ timeout: 60_000 });
  assert.match(await alert.textContent(), /crashed \(injected/, 'reopening the checkpoint keeps the alert');
  await page.getByRole('button', { name: 'Resume' }).click();
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  assert.equal(await lossPoints(page), 8);
  assert.match(await download(page, 'Download clusters CSV'), /^gene,cluster/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('WebGPU failing mid-run continues on the CPU from the last checkpoint and says so', async () => {
  const { page, errors } = await openApp(app, '?backend=webgpu&epochs=6&inject-gpu-loss=3');
  await loadAndTrain(page, 16);
  const status = page.getByRole('status');
  await status.filter({ hasText: 'WebGPU' }).waitFor({ timeout: 120_000 });
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'WebGPU failed' }).waitFor({ timeout: 300_000 });
  assert.match(await alert.textContent(), /WebGPU failed during training \(WebGPU device lost \(injected by the tests at epoch 3\)\); the run continues on the CPU backend from the checkpoint at epoch \d/);
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  assert.match(await status.textContent(), /on CPU/);
  assert.match(await alert.textContent(), /WebGPU failed/, 'reopening the checkpoint keeps the alert');
  assert.equal(await lossPoints(page), 6, 'epochs before the failure are kept');
  const run = JSON.parse(await download(page, 'Download run JSON'));
  assert.equal(run.backend, 'CPU');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a full storage quota is said once and the run still finishes', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=4');
  const origin = new URL(page.url()).origin;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1024 });
  await loadAndTrain(page, 16);
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  const notice = await page.locator('.notice').textContent();
  assert.match(notice, /This run could not be kept in the browser's storage \(QuotaExceededError.*\); it goes on, but will not survive a reload: use Download session\./);
  assert.equal(await page.getByRole('region', { name: 'Saved analyses' }).count(), 0);
  assert.match(await download(page, 'Download clusters CSV'), /^gene,cluster/);
  assert.deepEqual(errors, []);
  await page.close();
});
