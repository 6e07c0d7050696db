// End to end: `Benchmark this machine` times the CPU paths (the analysis worker alone, one
// training helper and the `Workers` setting's two) on the benchmarks' workload, says why
// the software WebGPU adapter of headless Chromium is not timed, and offers the report as
// benchmark.json; the user's data set and settings are untouched.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

test('Benchmark this machine reports seconds per epoch and downloads as JSON', async () => {
  const { page, errors } = await openApp(app, '?workers=2');
  await dropFile(page, 'small.csv', timeCourseCsv());
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('small.csv').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Benchmark this machine' }).click();
  // Training waits while the benchmark runs.
  assert.equal(await page.getByRole('button', { name: 'Train' }).isDisabled(), true);
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Benchmark:' }).waitFor({ timeout: 300_000 });
  assert.match(await status.textContent(), /^Benchmark: CPU, analysis worker only \d+\.\d{3} s\/epoch; CPU, 1 worker \d+\.\d{3} s\/epoch; CPU, 2 workers \d+\.\d{3} s\/epoch; WebGPU not timed\.$/);

  const table = page.getByRole('table', { name: 'Benchmark results' });
  assert.match(await table.textContent(), /software adapter/);
  const report = JSON.parse((await download(page, 'Download benchmark JSON')).text);
  assert.equal(report.cores, await page.evaluate(() => navigator.hardwareConcurrency));
  assert.match(report.user_agent, /Chrome/);
  assert.equal(report.adapter_is_software, true, report.adapter);
  assert.match(report.workload, /^2000 genes x 5 time points/);
  const [alone, one, two, gpu] = report.paths;
  assert.deepEqual(report.paths.map((p) => p.path), ['CPU, analysis worker only', 'CPU, 1 worker', 'CPU, 2 workers', 'WebGPU']);
  for (const cpu of [alone, one, two]) {
    assert.equal(cpu.epochs_timed, 3, cpu.path);
    assert.ok(cpu.seconds_per_epoch > 0 && cpu.seconds_per_epoch < 60, `${cpu.path}: ${cpu.seconds_per_epoch} s/epoch`);
  }
  // Where the helpers' time went: the numbers of the model of time against helpers.
  assert.equal(alone.pool, undefined);
  for (const [cpu, helpers] of [[one, 1], [two, 2]]) {
    const p = cpu.pool;
    assert.equal(p.helpers, helpers, cpu.path);
    // The helpers and the analysis worker itself (while it waits) share the parts.
    assert.equal(p.parts, 40, `${cpu.path}: 4 batches of 8 parts and the test genes in 8 parts per epoch`);
    assert.ok(p.parts_here > 0 && p.parts_here < 40, JSON.stringify(p));
    assert.ok(p.part_s > 0 && p.part_here_s > 0 && p.message_s >= 0 && p.coordinator_s > 0, JSON.stringify(p));
    // The training worker's own share, split: making batches, stepping, closing epochs.
    assert.ok(p.batch_s > 0 && p.step_s > 0 && p.close_s > 0, JSON.stringify(p));
    // The next batch is made while the helpers compute (all but each epoch's first).
    assert.ok(p.ahead_s > 0, JSON.stringify(p));
    assert.ok(p.batch_s + p.step_s + p.close_s <= p.coordinator_s * 1.001, JSON.stringify(p));
  }
  console.log(`benchmark: ${JSON.stringify(report.paths)}`);
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
