// End to end: the built-in demo data and the presets. "Try demo data" simulates the project's
// default data set in the worker, the Preset selector explains each preset and sets its
// epochs, and a short Dynamics run finishes with a run.json that records the preset.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { appHarness, openApp } = require('./support');

const app = appHarness();

test('demo data loads, presets explain themselves, a Dynamics run records its preset', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');

  const preset = page.getByRole('combobox', { name: 'Preset' });
  assert.equal(await preset.inputValue(), 'Dynamics', 'Dynamics is the default');
  assert.deepEqual(await preset.locator('option').allTextContents(), ['Dynamics', 'Reference']);
  await page.getByText(/^Dynamics: /).waitFor();
  const epochs = page.getByRole('spinbutton', { name: 'Epochs' });
  assert.equal(await epochs.inputValue(), '150');
  await preset.selectOption('Reference');
  await page.getByText(/^Reference: the published pipeline/).waitFor();
  assert.equal(await epochs.inputValue(), '2000');
  await preset.selectOption('Dynamics');

  await page.getByRole('button', { name: 'Try demo data' }).click();
  await page.getByRole('region', { name: 'Data summary' }).getByText('2000', { exact: true }).waitFor({ timeout: 120_000 });
  const summary = await page.getByRole('region', { name: 'Data summary' }).textContent();
  assert.match(summary, /Time_numeric/);
  assert.match(summary, /0 \(100 cells\), 3 \(100 cells\), 6 \(100 cells\), 12 \(100 cells\), 24 \(100 cells\)/);

  const genesSetting = page.getByRole('spinbutton', { name: 'Genes', exact: true });
  assert.equal(await genesSetting.inputValue(), '2000', 'all genes up to 2000 by default');
  await genesSetting.fill('300');
  await epochs.fill('2');
  const batch = page.getByRole('spinbutton', { name: 'Batch size' });
  assert.equal(await batch.inputValue(), '400', "the reference's batch by default");
  await batch.fill('128');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  const notice = await page.locator('.notice').first().textContent();
  // Dynamics keeps the genes that change over time (docs/dynamics.md): 1320 of the 2000
  // simulated genes are planted responders.
  assert.match(notice, /Training on the 300 genes that change most over time: \d+ of 2000 genes change \(q < 0\.05/);
  const kept = /kept as genes of interest: ([^;.]+)/.exec(notice);
  const keptGenes = kept ? kept[1].split(', ') : [];
  const onUmap = await page.evaluate(() => document.querySelector('[data-plot="umap"]').data
    .filter((t) => /^Cluster/.test(t.name)).flatMap((t) => Array.from(t.text)));
  assert.equal(onUmap.length, 300 + keptGenes.length);
  for (const g of ['IRF1', 'CXCL9', 'CXCL10']) assert.ok(onUmap.includes(g), `${g} kept as a gene of interest`);
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download run JSON' }).click(),
  ]);
  const run = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(run.preset, 'dynamics');
  assert.equal(run.config.model.decoder_previous_h, true);
  assert.equal(run.config.epochs, 2);
  assert.equal(run.config.batch_size, 128);
  // Genes are clustered on their latent path in posterior standard deviations.
  assert.equal(run.analysis.config.latent, 'StandardisedSequence');
  // The demo data are log1p-normalised counts: the Dynamics preset estimated and undid one
  // compositional factor per time point, 0 at the first.
  const factors = run.dataset.composition_log_factors;
  assert.equal(factors.length, 5, JSON.stringify(factors));
  assert.equal(factors[0], 0);
  assert.ok(factors.every((f) => Number.isFinite(f) && Math.abs(f) < 1), JSON.stringify(factors));
  assert.deepEqual(errors, []);
  await page.close();
});
