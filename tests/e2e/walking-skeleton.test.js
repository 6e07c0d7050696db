// End to end: the built app in headless Chromium. Drop a CSV, train 3 epochs on WebGPU (the
// software adapter here), on the CPU backend and on Auto (which must refuse the software
// adapter), and check the loss plot and the status; drop
// a malformed CSV and check that the alert names the line and the page keeps working; measure
// that the page answers at once while the worker trains; cancel a long run.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, frameGaps, within } = require('./support');

const app = appHarness();

async function lossTraces(page) {
  return page.evaluate(() => {
    const el = document.querySelector('[data-plot="loss"]');
    return (el.data || []).map((t) => ({ name: t.name, x: Array.from(t.x), y: Array.from(t.y) }));
  });
}

async function trainThreeEpochs(compute, expectedBackend) {
  const { page, errors } = await openApp(app);
  await dropFile(page, 'small.csv', timeCourseCsv());
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
  await page.getByRole('combobox', { name: 'Compute' }).selectOption(compute);
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  assert.match(await status.textContent(), /Finished: 3 epochs/);
  assert.match(await page.locator('.backend').textContent(), new RegExp(`Compute in use: ${expectedBackend}`));
  const traces = await lossTraces(page);
  assert.deepEqual(traces.map((t) => t.name), ['train', 'test']);
  for (const t of traces) {
    assert.deepEqual(t.x, [1, 2, 3], `${t.name} epochs`);
    assert.equal(t.y.length, 3, `${t.name} has 3 points`);
    for (const y of t.y) assert.ok(Number.isFinite(y) && y > 0, `${t.name} loss ${y} is finite`);
  }
  assert.deepEqual(errors, []);
  const backend = await page.locator('.backend').textContent();
  await page.close();
  return backend;
}

test('trains 3 epochs on WebGPU and draws the loss', async () => {
  const backend = await trainThreeEpochs('WebGPU', 'WebGPU');
  assert.doesNotMatch(backend, /Auto/, 'an explicit choice needs no reason');
});

test('trains 3 epochs on the CPU backend and draws the loss', async () => {
  await trainThreeEpochs('CPU', 'CPU');
});

test('Auto does not train on the software WebGPU adapter, and says why', async () => {
  // Headless Chromium offers WebGPU through SwiftShader only: Auto must take the CPU.
  const backend = await trainThreeEpochs('Auto', 'CPU');
  assert.match(backend, /Compute in use: CPU, \d+ workers? \(Auto: the browser's WebGPU adapter \(.+\) is a software renderer, far slower than the CPU\)/);
});

test('a malformed CSV gets an alert naming the line, and the page keeps working', async () => {
  const { page, errors } = await openApp(app);
  await dropFile(page, 'good.csv', timeCourseCsv({ genes: 8 }));
  await page.getByRole('region', { name: 'Data summary' }).getByText('good.csv').waitFor({ timeout: 60_000 });
  const bad = 'Cell_ID,Cell_Type,Time_numeric,IRF1,CXCL9\nc1,T,0,1.0,2.0\nc2,T,3,1.5,2.5\nc3,B,3,oops,2.0\n';
  await dropFile(page, 'bad.csv', bad);
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 60_000 });
  const text = await alert.textContent();
  assert.match(text, /bad\.csv/);
  assert.match(text, /line 4/);
  assert.match(text, /column 4/);
  assert.match(text, /IRF1/);
  // The earlier data set is still loaded and usable.
  assert.ok(await page.getByRole('region', { name: 'Data summary' }).getByText('good.csv').isVisible());
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('1');
  await page.getByRole('combobox', { name: 'Compute' }).selectOption('CPU');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Cancel stops a long run between batches and keeps the losses so far', async () => {
  const { page, errors } = await openApp(app);
  await dropFile(page, 'small.csv', timeCourseCsv());
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('100000');
  await page.getByRole('combobox', { name: 'Compute' }).selectOption('CPU');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  // Any epoch will do: on this small data set the status changes every few milliseconds.
  await status.filter({ hasText: /Epoch \d+\/100000/ }).waitFor({ timeout: 120_000 });
  assert.match(await status.textContent(), /ETA/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await status.filter({ hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
  const n = Number((await status.textContent()).match(/after (\d+) epochs/)[1]);
  assert.ok(n >= 1 && n < 100000, `cancelled after ${n} epochs`);
  const traces = await lossTraces(page);
  assert.equal(traces[0].y.length, n);
  assert.ok(await page.getByRole('button', { name: 'Train' }).isEnabled());
  assert.deepEqual(errors, []);
  await page.close();
});

// What "responsive" means here, measured on the main thread while the worker trains a long
// run on the CPU: the small data set sends a progress message every few milliseconds, each
// redrawing the status, and the loss plot redraws at most every 200 ms. Training on the main
// thread instead would block it for seconds. Measured on a 2-core machine, with builds running
// and with four extra busy processes: longest frame gap 100–233 ms (median 16.7 ms), key press
// to answer 1–149 ms. With the main thread blocked 1.5 s in every 2 s, as a page that trained
// there would be, the longest gap was 1517 ms.
const MAX_FRAME_GAP_MS = 500;
const MAX_KEY_TO_ANSWER_MS = 500;
const PRESSES = 8;

test('while the worker trains, frames keep coming and a key press is answered at once', async (t) => {
  const { page, errors } = await openApp(app);
  await dropFile(page, 'small.csv', timeCourseCsv());
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  // The preset first: choosing one sets Epochs to its default.
  const preset = page.getByRole('combobox', { name: 'Preset' });
  await preset.selectOption('Dynamics');
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('100000');
  await page.getByRole('combobox', { name: 'Compute' }).selectOption('CPU');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: /Epoch \d+\/100000/ }).waitFor({ timeout: 120_000 });
  // From the loss plot's first drawing on (Plotly builds the plot then, once): the steady
  // state of a long run.
  await page.waitForFunction(() => (document.querySelector('[data-plot="loss"]').data || []).length > 0,
    null, { timeout: 60_000 });
  const epoch = async () => Number((await status.textContent()).match(/Epoch (\d+)\/100000/)[1]);
  const firstEpoch = await epoch();

  // Input latency: from a key press (the event's own time stamp, taken when the browser
  // received it) to the app's answer in the DOM. Arrow keys change the Preset select, and the
  // app rewrites the preset's description below the settings.
  await page.evaluate(() => {
    window.keyToAnswer = [];
    let pressed = null;
    addEventListener('keydown', (e) => { pressed = e.timeStamp; }, true);
    new MutationObserver(() => {
      if (pressed !== null) window.keyToAnswer.push(performance.now() - pressed);
      pressed = null;
    }).observe(document.querySelector('.preset-note'), { childList: true, characterData: true, subtree: true });
  });
  await preset.focus();
  const { frames, latencies } = await within(120_000, 'the page while the worker trains', (async () => {
    // Frame gaps over 4 s, while the keys are pressed. The presses keep their own pace (no
    // look at the page in between, which would wait for a busy main thread and press only
    // when it is free again).
    const frames = frameGaps(page, 4000);
    for (let i = 0; i < PRESSES; i++) {
      await page.keyboard.press(i % 2 ? 'ArrowUp' : 'ArrowDown');
      await new Promise((r) => setTimeout(r, 350));
    }
    await page.waitForFunction((n) => window.keyToAnswer.length >= n, PRESSES, { timeout: 10_000 }).catch(() => {});
    return { frames: await frames, latencies: await page.evaluate(() => window.keyToAnswer) };
  })());
  const lastEpoch = await epoch();
  const slowest = Math.max(...latencies);
  t.diagnostic(`epochs ${firstEpoch}..${lastEpoch} during the measurement; ${frames.frames} frames in 4 s, `
    + `longest gap ${frames.maxGap.toFixed(1)} ms, median ${frames.medianGap.toFixed(1)} ms; `
    + `key press to answer ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
  assert.ok(lastEpoch > firstEpoch, `the worker trained during the measurement (epoch ${firstEpoch} to ${lastEpoch})`);
  assert.equal(latencies.length, PRESSES, 'every key press was answered');
  assert.ok(frames.maxGap < MAX_FRAME_GAP_MS, `longest frame gap ${frames.maxGap.toFixed(1)} ms (bound ${MAX_FRAME_GAP_MS} ms)`);
  assert.ok(slowest < MAX_KEY_TO_ANSWER_MS, `slowest key press answered after ${slowest.toFixed(1)} ms (bound ${MAX_KEY_TO_ANSWER_MS} ms)`);

  await page.getByRole('button', { name: 'Cancel' }).click();
  await status.filter({ hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
