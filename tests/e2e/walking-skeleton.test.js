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
// thread instead would block it for seconds.
//
// The main bounds are on the main thread's own long tasks (the Long Tasks API: every task over
// 50 ms, with its duration): the share of the time they take, and the longest. The page's one
// sizeable task while training is the loss plot's redraw (Plotly, 50-130 ms here; one
// redraw of 180-290 ms when the plot drops its markers at 200 epochs), and the plot waits four
// times as long as its last redraw took before the next, so redraws take at most a fifth of the
// main thread on a machine of any speed. Frame gaps are reported and bounded more loosely: headless Chromium draws
// frames in software in the GPU process, so on a 2-core machine whose two cores both train, a
// frame gap measures the whole machine's load (CI once saw a 500.0 ms gap while key presses
// were answered within 145 ms). Measured on a 2-core machine, alone and with two extra busy
// processes: long tasks 13.6-18.5 % of the time, the longest 98-290 ms, longest frame gap 100–317 ms (median 16.7 ms), key press to answer
// 1–149 ms. With the main thread blocked 1.5 s in every 2 s, as a page that trained there would
// be, the longest gap was 1517 ms and long tasks would take three quarters of the time; the test
// blocks the main thread once itself at the end, to check that the long-task instrument sees it.
const MAX_LONG_TASK_SHARE = 0.35;
const MAX_LONG_TASK_MS = 1000;
const MAX_FRAME_GAP_MS = 1000;
const MAX_KEY_TO_ANSWER_MS = 500;
const PRESSES = 8;
const BLOCK_MS = 700;

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
  // From 1.5 s after the loss plot's first drawing on: the steady state of a long run. Plotly
  // builds the plot at the first drawing, and the next one or two redraws still take two to
  // three times as long as later ones (measured here: 84, 249, then 40-130 ms).
  await page.waitForFunction(() => (document.querySelector('[data-plot="loss"]').data || []).length > 0,
    null, { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 1500));
  const epoch = async () => Number((await status.textContent()).match(/Epoch (\d+)\/100000/)[1]);
  const firstEpoch = await epoch();

  // Input latency: from a key press (the event's own time stamp, taken when the browser
  // received it) to the app's answer in the DOM. Arrow keys change the Preset select, and the
  // app rewrites the preset's description below the settings. Long tasks: every main-thread
  // task over 50 ms from here on.
  await page.evaluate(() => {
    window.keyToAnswer = [];
    window.longTasks = [];
    let pressed = null;
    addEventListener('keydown', (e) => { pressed = e.timeStamp; }, true);
    new MutationObserver(() => {
      if (pressed !== null) window.keyToAnswer.push(performance.now() - pressed);
      pressed = null;
    }).observe(document.querySelector('.preset-note'), { childList: true, characterData: true, subtree: true });
    window.measuredFrom = performance.now();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  await preset.focus();
  const { frames, latencies, longTasks, measuredMs } = await within(120_000, 'the page while the worker trains', (async () => {
    // Frame gaps over 4 s, while the keys are pressed. The presses keep their own pace (no
    // look at the page in between, which would wait for a busy main thread and press only
    // when it is free again).
    const frames = frameGaps(page, 4000);
    for (let i = 0; i < PRESSES; i++) {
      await page.keyboard.press(i % 2 ? 'ArrowUp' : 'ArrowDown');
      await new Promise((r) => setTimeout(r, 350));
    }
    await page.waitForFunction((n) => window.keyToAnswer.length >= n, PRESSES, { timeout: 10_000 }).catch(() => {});
    return {
      frames: await frames,
      latencies: await page.evaluate(() => window.keyToAnswer),
      longTasks: await page.evaluate(() => window.longTasks.slice()),
      measuredMs: await page.evaluate(() => performance.now() - window.measuredFrom),
    };
  })());
  const lastEpoch = await epoch();
  const slowest = Math.max(...latencies);
  const longest = Math.max(0, ...longTasks);
  const share = longTasks.reduce((a, b) => a + b, 0) / measuredMs;
  t.diagnostic(`epochs ${firstEpoch}..${lastEpoch} during the measurement; ${frames.frames} frames in 4 s, `
    + `longest gap ${frames.maxGap.toFixed(1)} ms, median ${frames.medianGap.toFixed(1)} ms; `
    + `main-thread tasks over 50 ms: ${longTasks.length ? longTasks.map((d) => d.toFixed(0)).join(', ') + ' ms' : 'none'} `
    + `(${(100 * share).toFixed(1)} % of ${(measuredMs / 1000).toFixed(1)} s); `
    + `key press to answer ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
  assert.ok(lastEpoch > firstEpoch, `the worker trained during the measurement (epoch ${firstEpoch} to ${lastEpoch})`);
  assert.equal(latencies.length, PRESSES, 'every key press was answered');
  assert.ok(share < MAX_LONG_TASK_SHARE, `long tasks took ${(100 * share).toFixed(1)} % of the main thread `
    + `(bound ${100 * MAX_LONG_TASK_SHARE} %)`);
  assert.ok(longest < MAX_LONG_TASK_MS, `longest main-thread task ${longest.toFixed(1)} ms (bound ${MAX_LONG_TASK_MS} ms)`);
  assert.ok(frames.maxGap < MAX_FRAME_GAP_MS, `longest frame gap ${frames.maxGap.toFixed(1)} ms (bound ${MAX_FRAME_GAP_MS} ms)`);
  assert.ok(slowest < MAX_KEY_TO_ANSWER_MS, `slowest key press answered after ${slowest.toFixed(1)} ms (bound ${MAX_KEY_TO_ANSWER_MS} ms)`);

  // The instrument itself: a main thread blocked for BLOCK_MS shows as a long task at least
  // that long (were the Long Tasks API silent, the bound above would hold for any page).
  await page.evaluate((ms) => setTimeout(() => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  }, 0), BLOCK_MS);
  const seen = await page.waitForFunction((ms) => window.longTasks.some((d) => d >= ms), BLOCK_MS, { timeout: 10_000 })
    .then(() => true, () => false);
  assert.ok(seen, `a ${BLOCK_MS} ms block of the main thread was seen as a long task`);

  await page.getByRole('button', { name: 'Cancel' }).click();
  await status.filter({ hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
