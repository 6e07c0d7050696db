// End to end: `Auto` on a WebGPU adapter it does not refuse. Headless Chromium offers only
// SwiftShader, which Auto refuses (walking-skeleton.test.js); the testing aid
// `?software-adapter-as-hardware` makes Auto time it as it would a GPU, so that the timing, the
// choice and the remembered measurement are tested here: Auto times a few warm training steps
// of the run on the CPU (with its helper) and on WebGPU, takes the faster (the CPU, against a
// software renderer), names both times, and after a reload chooses at once from the browser's
// storage. The timed steps are thrown away: the run trains exactly as an explicit CPU run.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

/** Every text the status line shows from now on. */
async function recordStatuses(page) {
  await page.evaluate(() => {
    const el = document.querySelector('[role=status]');
    window.statuses = [];
    new MutationObserver(() => window.statuses.push(el.textContent)).observe(el, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
}

/** Drops the data, trains 3 epochs on `compute`; the compute line and the losses. */
async function train(page, compute) {
  await dropFile(page, 'small.csv', timeCourseCsv());
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
  await page.getByRole('combobox', { name: 'Compute' }).selectOption(compute);
  await recordStatuses(page);
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  return {
    backend: await page.locator('.backend').textContent(),
    loss: (await download(page, 'Download loss CSV')).text,
    statuses: await page.evaluate(() => window.statuses),
  };
}

test('Auto times the CPU and WebGPU, takes the faster, names both times and remembers them', async () => {
  const { page, errors } = await openApp(app, '?workers=1&software-adapter-as-hardware');
  const first = await train(page, 'Auto');
  const m = first.backend.match(
    /^Compute in use: CPU, 1 worker \(Auto: CPU, 1 worker: ([\d.]+) s\/epoch; WebGPU: ([\d.]+) s\/epoch, timed on this machine just now\)$/,
  );
  assert.ok(m, first.backend);
  console.log(first.backend);
  const [cpu, gpu] = [Number(m[1]), Number(m[2])];
  assert.ok(cpu > 0 && gpu > cpu, `the software adapter (${gpu} s/epoch) is slower than the CPU (${cpu} s/epoch)`);
  assert.ok(first.statuses.some((s) => s === 'Auto: timing CPU, 1 worker on this data…'), first.statuses.join(' | '));
  assert.ok(first.statuses.some((s) => /^Auto: timing WebGPU \(.+\) on this data…$/.test(s)), first.statuses.join(' | '));

  // A reload (a new analysis worker) chooses from the browser's storage without timing again.
  await page.reload();
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  const second = await train(page, 'Auto');
  const remembered = second.backend.match(
    /^Compute in use: CPU, 1 worker \(Auto: CPU, 1 worker: ([\d.]+) s\/epoch; WebGPU: ([\d.]+) s\/epoch, timed on this machine on \d{4}-\d{2}-\d{2}\)$/,
  );
  assert.ok(remembered, second.backend);
  assert.deepEqual([remembered[1], remembered[2]], [m[1], m[2]], 'the remembered times');
  assert.ok(!second.statuses.some((s) => s.includes('timing')), second.statuses.join(' | '));

  // The timed steps were thrown away: both runs trained as an explicit CPU run does.
  const explicit = await train(page, 'CPU');
  assert.equal(explicit.backend, 'Compute in use: CPU, 1 worker');
  assert.equal(first.loss, explicit.loss);
  assert.equal(second.loss, explicit.loss);
  assert.deepEqual(errors, []);
  await page.close();
});
