// End to end: every bad input of the catalogue (tests/bad-inputs/catalogue.json, which the
// reader's and the CLI's tests read too) gets its own alert (what is wrong and where), and the
// data set and the finished analysis loaded before stay on the page. Also: a large
// file shows rows per second and an ETA while it is read, `Cancel` stops it and keeps the
// earlier data, and the `CellType` filter keeps one cell type without reading the file again.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, dropFiles } = require('./support');

const app = appHarness();

/** The one catalogue of bad inputs, shared with the reader's and the CLI's tests. */
const CATALOGUE = require('../bad-inputs/catalogue.json');
const ON_PAGE = CATALOGUE.cases.filter((c) => c.fronts.includes('page'));
const REFUSED_ON_READ = ON_PAGE.filter((c) => (c.stage || 'read') === 'read');
const REFUSED_AT_TRAIN = ON_PAGE.filter((c) => c.stage === 'train');

/** The seed layout plus a gene that is 0 in every cell (dropped with a notice, not an error). */
function withFlatGene(csv) {
  return csv
    .trimEnd()
    .split('\n')
    .map((line, i) => line + (i === 0 ? ',FLAT' : ',0'))
    .join('\n') + '\n';
}

/** Drops a catalogue case on the drop zone, as dropFile does; its bytes (`text`, `hex`, or
 * `repeat`: `head`, then `row` `count` times with `{i}` the row index) are made in the page, so
 * that a 64 MB case never crosses the test pipe; `files` are dropped together. */
async function dropCase(page, c) {
  if (c.files) {
    // Several files dropped together: 10x samples, or a table with its sample sheet.
    await dropFiles(page, Object.entries(c.files).map(([name, content]) => ({ name, content })));
    return;
  }
  const dataTransfer = await page.evaluateHandle(({ file, text, hex, repeat }) => {
    let body;
    if (typeof text === 'string') {
      body = text;
    } else if (typeof hex === 'string') {
      body = new Uint8Array(hex.length / 2);
      for (let i = 0; i < body.length; i++) body[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    } else if (repeat.row.includes('{i}')) {
      body = repeat.head + Array.from({ length: repeat.count }, (_, i) => repeat.row.replaceAll('{i}', String(i))).join('');
    } else {
      body = repeat.head + repeat.row.repeat(repeat.count);
    }
    const dt = new DataTransfer();
    dt.items.add(new File([body], file, { type: typeof hex === 'string' ? 'application/octet-stream' : 'text/csv' }));
    return dt;
  }, {
    file: c.file,
    text: c.text ?? null,
    // A repository file (an HDF5 fixture) travels as hex.
    hex: c.fixture ? require('node:fs').readFileSync(require('node:path').join(__dirname, '../..', c.fixture)).toString('hex') : c.hex ?? null,
    repeat: c.repeat ?? null,
  });
  await page.getByRole('region', { name: 'Drop data files' }).dispatchEvent('drop', { dataTransfer });
}

/** Waits until the page's alert says `expected` (exact text, line breaks included). */
async function alertSays(page, expected, what) {
  await page.waitForFunction(
    (e) => [...document.querySelectorAll('[role="alert"]')].some((a) => a.textContent.includes(e)),
    expected,
    { timeout: 60_000 },
  ).catch(async (err) => {
    const shown = await page.getByRole('alert').allTextContents();
    throw new Error(`${what}: the alert never said ${JSON.stringify(expected)}; it says ${JSON.stringify(shown)}`, { cause: err });
  });
}

test('every bad input of the catalogue gets its own alert, and the earlier data and results stay', async () => {
  assert.ok(REFUSED_ON_READ.length >= 20 && REFUSED_AT_TRAIN.length >= 1, 'the catalogue has its cases');
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=3');
  await dropFile(page, 'good.csv', withFlatGene(timeCourseCsv({ genes: 12 })));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('good.csv').waitFor({ timeout: 60_000 });
  // Every gene of the file, the flat ones too (Dynamics would keep only the genes that change).
  await page.getByRole('combobox', { name: 'Gene selection' }).selectOption('Most variable');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('3');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  // The constant gene is a notice, not an error.
  assert.match(await page.locator('.notice').textContent(), /1 gene\(s\) never vary and were left out: FLAT/);
  assert.equal(await page.getByRole('alert').count(), 0);
  const umapPoints = () => page.evaluate(() => {
    const el = document.querySelector('[data-plot="umap"]');
    return (el.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
  });
  assert.equal(await umapPoints(), 12);

  for (const c of REFUSED_ON_READ) {
    await dropCase(page, c);
    await alertSays(page, `${c.file}: ${c.message}`, c.id);
    await status.filter({ hasText: 'previous data and results are kept' }).waitFor({ timeout: 10_000 });
    assert.equal(await summary.locator('h2').textContent(), 'good.csv', `${c.id}: the earlier data set is still shown`);
    assert.equal(await umapPoints(), 12, `${c.id}: the earlier analysis is still drawn`);
    assert.ok(await page.getByRole('button', { name: 'Download clusters CSV' }).isEnabled(), c.id);
    if (c.time_selector) {
      // No time column also offers the selector, with the file's columns.
      const select = page.getByRole('combobox', { name: 'Time column' });
      assert.deepEqual(await select.locator('option').allTextContents(), ['Choose…', ...c.time_selector], c.id);
    }
  }

  // Refused at Train (more clusters than genes): the file loads, and Train says why before
  // anything starts; the data set stays loaded.
  for (const c of REFUSED_AT_TRAIN) {
    await dropCase(page, c);
    await summary.locator('h2').filter({ hasText: c.file }).waitFor({ timeout: 60_000 });
    await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill(String(c.options.clusters));
    await page.getByRole('button', { name: 'Train' }).click();
    await alertSays(page, c.messages.page, c.id);
    assert.equal(await summary.locator('h2').textContent(), c.file, `${c.id}: the data set is still loaded`);
    assert.doesNotMatch(await status.textContent(), /epoch|Finished/i, `${c.id}: nothing was trained`);
    assert.ok(await page.getByRole('button', { name: 'Train' }).isEnabled(), c.id);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a large file shows rows per second and an ETA, and Cancel keeps the earlier data', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  await dropFile(page, 'small.csv', timeCourseCsv({ genes: 8 }));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('small.csv').waitFor({ timeout: 60_000 });
  // About 300 MB made in the page from repeated rows, so nothing large crosses the test pipe.
  await page.evaluate(() => {
    const genes = 400;
    const header = ['Cell_ID', 'Time', ...Array.from({ length: genes }, (_, g) => `G${g}`)].join(',') + '\n';
    const rows = [0, 1, 2].map((t) => `c,${t},` + Array.from({ length: genes }, (_, g) => ((g * 7 + t) % 10) / 4).join(',') + '\n');
    const parts = [header];
    for (let i = 0; i < 200_000; i++) parts.push(rows[i % 3]);
    const dt = new DataTransfer();
    dt.items.add(new File(parts, 'big.csv', { type: 'text/csv' }));
    document.querySelector('[aria-label="Drop data files"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const status = page.getByRole('status');
  await status.filter({ hasText: /Reading big\.csv: .* rows\/s · ETA/ }).waitFor({ timeout: 60_000 });
  const progress = await status.textContent();
  assert.match(progress, /of \d+ MB \(\d+ %\) · [\d,]+ rows · [\d.]+ MB\/s · [\d,]+ rows\/s · ETA/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await status.filter({ hasText: 'Reading big.csv was cancelled; the previous data and results are kept.' }).waitFor({ timeout: 30_000 });
  assert.ok(await summary.getByText('small.csv').isVisible(), 'the earlier data set is still shown');
  assert.equal(await page.getByRole('alert').count(), 0);
  assert.ok(await page.getByRole('button', { name: 'Train' }).isEnabled(), 'the page is usable again');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the CellType filter keeps one cell type from the same pass, and training uses it', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=2');
  await dropFile(page, 'typed.csv', timeCourseCsv({ genes: 10, cellsPerTime: 12 }));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('typed.csv').waitFor({ timeout: 60_000 });
  assert.match(await summary.textContent(), /Cells60Cell types2 \(column Cell_Type\)/);
  const filter = page.getByRole('combobox', { name: 'CellType' });
  assert.deepEqual(await filter.locator('option').allTextContents(),
    ['All cell types (60 cells)', 'B (30 cells)', 'T (30 cells)']);
  await filter.selectOption('B');
  await summary.getByText('30 of type B').waitFor({ timeout: 30_000 });
  assert.match(await summary.textContent(), /0 \(6 cells\), 3 \(6 cells\)/);
  assert.match(await page.getByRole('status').textContent(), /Loaded typed\.csv: 30 cells of type B/);
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('2');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download run JSON' }).click();
  const run = JSON.parse(require('node:fs').readFileSync(await (await download).path(), 'utf8'));
  assert.equal(run.dataset.cell_type, 'B');
  assert.equal(run.dataset.n_cells, 30);
  await filter.selectOption('');
  await summary.getByText('typed.csv').waitFor();
  await page.getByRole('status').filter({ hasText: /Loaded typed\.csv: 60 cells,/ }).waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
