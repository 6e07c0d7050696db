// End to end: `Benchmark this machine` times the CPU path on the benchmarks' workload, says why
// the software WebGPU adapter of headless Chromium is not timed, and offers the report as
// benchmark.json; the user's data set and settings are untouched.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

test('Benchmark this machine reports seconds per epoch and downloads as JSON', async () => {
  const { page, errors } = await openApp(app);
  await dropFile(page, 'small.csv', timeCourseCsv());
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('small.csv').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Benchmark this machine' }).click();
  // Training waits while the benchmark runs.
  assert.equal(await page.getByRole('button', { name: 'Train' }).isDisabled(), true);
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Benchmark:' }).waitFor({ timeout: 300_000 });
  assert.match(await status.textContent(), /^Benchmark: CPU, 1 worker \d+\.\d{3} s\/epoch; WebGPU not timed\.$/);

  const table = page.getByRole('table', { name: 'Benchmark results' });
  assert.match(await table.textContent(), /software adapter/);
  const report = JSON.parse((await download(page, 'Download benchmark JSON')).text);
  assert.equal(report.cores, await page.evaluate(() => navigator.hardwareConcurrency));
  assert.match(report.user_agent, /Chrome/);
  assert.equal(report.adapter_is_software, true, report.adapter);
  assert.match(report.workload, /^2000 genes x 5 time points/);
  const [cpu, gpu] = report.paths;
  assert.equal(cpu.path, 'CPU, 1 worker');
  assert.equal(cpu.epochs_timed, 3);
  assert.ok(cpu.seconds_per_epoch > 0 && cpu.seconds_per_epoch < 60, `${cpu.seconds_per_epoch} s/epoch`);
  assert.equal(gpu.path, 'WebGPU');
  assert.equal(gpu.seconds_per_epoch, null);

  // The user's data set is still the one loaded, and trains.
  assert.ok(await summary.getByText('small.csv').isVisible());
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('1');
  await page.getByRole('button', { name: 'Train' }).click();
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
