// End to end: file formats. A gzipped tab-separated file loads like a CSV; an Excel workbook
// dropped by mistake gets an alert that says what it is and how to export a CSV, and the data
// loaded before stay.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { appHarness, openApp, timeCourseCsv, dropFile } = require('./support');

const app = appHarness();

test('a gzipped TSV loads; a workbook gets advice and the earlier data stay', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');

  const tsv = timeCourseCsv({ genes: 12 }).replace(/,/g, '\t');
  await dropFile(page, 'cells.tsv.gz', zlib.gzipSync(Buffer.from(tsv)));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('cells.tsv.gz').waitFor({ timeout: 60_000 });
  assert.match(await summary.textContent(), /Genes12/);
  assert.match(await summary.textContent(), /Time_numeric/);

  const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.from('[Content_Types].xml')]);
  await dropFile(page, 'cells.xlsx', xlsx);
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 60_000 });
  const text = await alert.textContent();
  assert.match(text, /cells\.xlsx: this is a zip archive/);
  assert.match(text, /Save As/);
  assert.ok(await summary.getByText('cells.tsv.gz').isVisible(), 'the earlier data set is kept');
  assert.deepEqual(errors, []);
  await page.close();
});

test('when no time column is found, the "Time column" selector reads the file again with the one chosen', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  // "Stage" takes 60 values: too many to be taken for a time column without being asked.
  const rows = ['Cell,Stage,IRF1,CXCL9'];
  for (let i = 0; i < 120; i++) rows.push(`c${i},${i % 60},${(i * 0.37) % 5},${(i * 0.53) % 7}`);
  await dropFile(page, 'stages.csv', rows.join('\n') + '\n');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 60_000 });
  assert.match(await alert.textContent(), /no time column found/);
  const select = page.getByRole('combobox', { name: 'Time column' });
  // The columns before the genes, and the first gene: where a time column can be.
  assert.deepEqual(await select.locator('option').allTextContents(), ['Choose…', 'Cell', 'Stage']);
  await select.selectOption('Stage');
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('stages.csv').waitFor({ timeout: 60_000 });
  assert.match(await summary.textContent(), /Time columnStage/);
  assert.match(await summary.textContent(), /Genes2/);
  assert.equal(await page.getByRole('alert').count(), 0, 'the alert is gone once the file loads');
  assert.deepEqual(errors, []);
  await page.close();
});
