// End to end: the data as labs have it. An AnnData .h5ad, a set of 10x MEX folders whose names
// carry no time (the times are typed into the `Time values` table), and a bulk genes x samples
// table dropped with its sample sheet: each is recognised from its bytes, summarised, and
// trains to `Finished` with every plot drawn.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { appHarness, openApp, dropFile, dropFiles, everyPlotDrawn } = require('./support');

const app = appHarness();
const FIXTURES = path.join(__dirname, '../../crates/ingest/tests/fixtures/h5');

async function trainToTheEnd(page) {
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('2');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  await everyPlotDrawn(page);
}

test('an .h5ad: labels read as times, symbols as gene names, counts normalised', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  await dropFile(page, 'csr.h5ad', fs.readFileSync(path.join(FIXTURES, 'csr.h5ad')));
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('AnnData .h5ad').waitFor({ timeout: 60_000 });
  await summary.getByText('log1p(count / cell total x 1e4) (Auto: every value is a whole number)').waitFor();
  await summary.getByText('obs column time').waitFor();
  const table = page.getByRole('table', { name: 'Time values' });
  assert.equal(await table.getByRole('textbox', { name: 'Time of 1d' }).inputValue(), '24');
  assert.equal(await page.getByRole('combobox', { name: 'Matrix' }).inputValue(), 'X');
  assert.deepEqual(await page.getByRole('combobox', { name: 'Gene names' }).locator('option').allTextContents(), ['index', 'feature_name']);
  // Normalise counts: No reads the file again with the counts as they are.
  await page.getByRole('combobox', { name: 'Normalise counts' }).selectOption('No');
  await summary.getByText('values used as they are (Normalise counts: No)').waitFor({ timeout: 60_000 });
  await page.getByRole('combobox', { name: 'Normalise counts' }).selectOption('Auto');
  await summary.getByText('(Auto: every value is a whole number)').waitFor({ timeout: 60_000 });
  await trainToTheEnd(page);
  const genes = await page.evaluate(() => document.querySelector('[data-plot="umap"]').data.flatMap((t) => Array.from(t.text || [])));
  assert.ok(genes.includes('SYM1') && !genes.some((g) => g.startsWith('ENSG')), genes.slice(0, 5).join(','));
  assert.deepEqual(errors, []);
});

/** A 10x sample folder with gzip files (60 genes, 30 cells), counts shifted by `shift`. */
function tenxFolder(root, name, shift) {
  const dir = path.join(root, name, 'filtered_feature_bc_matrix');
  fs.mkdirSync(dir, { recursive: true });
  const genes = 60;
  const cells = 30;
  const features = Array.from({ length: genes }, (_, g) => `ENSG${String(g).padStart(5, '0')}\tGENE${g}\tGene Expression\n`).join('');
  const barcodes = Array.from({ length: cells }, (_, c) => `AAAC${String(c).padStart(4, '0')}-1\n`).join('');
  const entries = [];
  for (let c = 0; c < cells; c++) {
    for (let g = 0; g < genes; g++) {
      const v = (c * 3 + g * 5 + shift * (g % 3)) % 7;
      if (v > 2) entries.push(`${g + 1} ${c + 1} ${v - 2}`);
    }
  }
  const matrix = `%%MatrixMarket matrix coordinate integer general\n${genes} ${cells} ${entries.length}\n${entries.join('\n')}\n`;
  fs.writeFileSync(path.join(dir, 'features.tsv.gz'), zlib.gzipSync(features));
  fs.writeFileSync(path.join(dir, 'barcodes.tsv.gz'), zlib.gzipSync(barcodes));
  fs.writeFileSync(path.join(dir, 'matrix.mtx.gz'), zlib.gzipSync(matrix));
}

test('10x folders without times in their names: the times are typed into the table', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenx-'));
  const run = path.join(root, 'run');
  tenxFolder(run, 'lane1', 0);
  tenxFolder(run, 'lane2', 2);
  tenxFolder(run, 'lane3', 5);
  await page.locator('#data-folders').setInputFiles(run);
  const alert = page.getByRole('alert');
  await alert.getByText('no time in the name of "lane1", "lane2", "lane3"').waitFor({ timeout: 60_000 });
  const table = page.getByRole('table', { name: 'Time values' });
  const apply = page.getByRole('button', { name: 'Apply times' });
  assert.equal(await apply.isDisabled(), true, 'every sample needs a time first');
  for (const [lane, t] of [['lane1', '0'], ['lane2', '6'], ['lane3', '24']]) {
    await table.getByRole('textbox', { name: `Time of ${lane}` }).fill(t);
    await table.getByRole('textbox', { name: `Time of ${lane}` }).dispatchEvent('change');
  }
  await apply.click();
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('10x Genomics MatrixMarket').waitFor({ timeout: 60_000 });
  await summary.getByText('0 (30 cells), 6 (30 cells), 24 (30 cells)').waitFor();
  await trainToTheEnd(page);
  assert.deepEqual(errors, []);
});

test('a bulk table with its sample sheet: replicates in the part of cells', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  const samples = [];
  for (const [t, label] of [[0, 'ctrl'], [6, 'early'], [24, 'late']]) for (const r of [1, 2, 3]) samples.push({ name: `${label}_${r}`, t, r });
  let table = `gene_id\t${samples.map((s) => s.name).join('\t')}\n`;
  for (let g = 0; g < 60; g++) {
    const row = samples.map((s, i) => Math.round(20 + (g % 4) * s.t * (1 + (g % 3)) + ((g * 7 + i * 3) % 11)));
    table += `G${g}\t${row.join('\t')}\n`;
  }
  const sheet = 'sample,time,replicate\n' + samples.map((s) => `${s.name},${s.t}h,${s.r}`).join('\n') + '\n';
  await dropFiles(page, [{ name: 'counts.tsv', content: table }, { name: 'samples.csv', content: sheet }]);
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('bulk genes x samples table (one row per gene)').waitFor({ timeout: 60_000 });
  await summary.getByText('counts per million').waitFor();
  await summary.getByText('0 (3 samples), 6 (3 samples), 24 (3 samples)').waitFor();
  await trainToTheEnd(page);
  assert.deepEqual(errors, []);
});
