// End to end: every bad input of the ingest issue gets its own alert (what is wrong and where),
// and the data set and the finished analysis loaded before stay on the page. Also: a large
// file shows rows per second and an ETA while it is read, `Cancel` stops it and keeps the
// earlier data, and the `CellType` filter keeps one cell type without reading the file again.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { appHarness, openApp, timeCourseCsv, dropFile } = require('./support');

const app = appHarness();

const HEADER = 'Cell_ID,Cell_Type,Time_numeric,IRF1,CXCL9';

/** The seed layout plus a gene that is 0 in every cell (dropped with a notice, not an error). */
function withFlatGene(csv) {
  return csv
    .trimEnd()
    .split('\n')
    .map((line, i) => line + (i === 0 ? ',FLAT' : ',0'))
    .join('\n') + '\n';
}

/** [file name, contents, what the alert must say]. */
const BAD_INPUTS = [
  ['empty.csv', '', /empty\.csv: the file is empty/],
  ['header-only.csv', `${HEADER}\n`, /header-only\.csv: the file has a header but no data rows/],
  ['no-time.csv', (() => {
    const rows = ['Cell,Stage,IRF1'];
    for (let i = 0; i < 120; i++) rows.push(`c${i},${i % 60},${(i * 0.37) % 5}`);
    return rows.join('\n') + '\n';
  })(), /no-time\.csv: no time column found.*candidates: \["Cell", "Stage", "IRF1"\].*Time column/],
  ['words-for-time.csv', `${HEADER}\nc1,T,0,1,2\nc2,T,later,1,2\n`,
    /line 3, column 3 \("Time_numeric"\): time value "later" is not a number/],
  ['one-time.csv', `${HEADER}\nc1,T,3,1,2\nc2,T,3,1,2\n`,
    /one-time\.csv: only one distinct time point \(3\) in column "Time_numeric"/],
  ['short-row.csv', `${HEADER}\nc1,T,0,1,2\nc2,T,3,1\n`,
    /short-row\.csv: line 3: expected 5 fields like the header, found 4/],
  ['long-row.csv', `${HEADER}\nc1,T,0,1,2\nc2,T,3,1,2,9\nc3,T,3,1,2\n`,
    /long-row\.csv: line 3: expected 5 fields like the header, found 6/],
  ['word.csv', `${HEADER}\nc1,T,0,1,2\nc2,T,3,1,2\nc3,B,3,1,oops\n`,
    /word\.csv: line 4, column 5 \("CXCL9"\): value "oops" is not a number/],
  ['infinite.csv', `${HEADER}\nc1,T,0,1,2\nc2,T,3,Inf,2\n`,
    /infinite\.csv: line 3, column 4 \("IRF1"\): value "Inf" is infinite/],
  ['twice.csv', 'Cell_ID,Time,IRF1,CXCL9,IRF1\nc1,0,1,2,3\nc2,3,1,2,3\n',
    /twice\.csv: gene "IRF1" appears twice in the header, in columns 3 and 5/],
  ['no-genes.csv', 'Cell_ID,Cell_Type,Time\nc1,T,0\nc2,B,3\n',
    /no-genes\.csv: the file has no gene columns/],
  ['cells.xlsx', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), Buffer.from('[Content_Types].xml')]),
    /cells\.xlsx: this is a zip archive \(an Excel \.xlsx workbook is one\).*Save As/],
  ['cells.zip', Buffer.from('PK\x05\x06' + '\x00'.repeat(18), 'latin1'), /cells\.zip: this is a zip archive.*unpack it/],
  ['cells.xls', Buffer.from('\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00', 'latin1'), /cells\.xls: this is a legacy Excel/],
  ['cells.h5ad', Buffer.from('\x89HDF\r\n\x1a\n\x00\x00\x00\x00', 'latin1'), /cells\.h5ad: this is an HDF5 file.*to_csv/],
  ['cells.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), /cells\.bin: this is binary data/],
  ['broken.csv.gz', zlib.gzipSync(Buffer.from(timeCourseCsv({ genes: 4 }))).subarray(0, 40),
    /broken\.csv\.gz: line \d+: the file could not be read: the gzip data is damaged/],
];

test('every bad input gets its own alert, and the earlier data and results stay', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=3');
  await dropFile(page, 'good.csv', withFlatGene(timeCourseCsv({ genes: 12 })));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('good.csv').waitFor({ timeout: 60_000 });
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

  for (const [name, content, expected] of BAD_INPUTS) {
    await dropFile(page, name, content);
    const alert = page.getByRole('alert').filter({ hasText: name });
    await alert.waitFor({ timeout: 60_000 });
    assert.match(await alert.textContent(), expected, name);
    await status.filter({ hasText: 'previous data and results are kept' }).waitFor({ timeout: 10_000 });
    assert.equal(await summary.locator('h2').textContent(), 'good.csv', `${name}: the earlier data set is still shown`);
    assert.equal(await umapPoints(), 12, `${name}: the earlier analysis is still drawn`);
    assert.ok(await page.getByRole('button', { name: 'Download clusters CSV' }).isEnabled(), name);
    if (name === 'no-time.csv') {
      // No time column also offers the selector, with the file's columns.
      const select = page.getByRole('combobox', { name: 'Time column' });
      assert.deepEqual(await select.locator('option').allTextContents(), ['Choose…', 'Cell', 'Stage', 'IRF1']);
    }
  }

  // More clusters than genes: refused before anything is lost.
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('40');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('alert').filter({ hasText: 'fewer than the 40 clusters' }).waitFor({ timeout: 60_000 });
  assert.match(await page.getByRole('alert').textContent(), /12 genes are left to cluster, fewer than the 40 clusters asked for/);
  assert.equal(await umapPoints(), 12, 'the earlier analysis is still drawn');
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
    document.querySelector('[aria-label="Drop a CSV file"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
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
