// End to end: from clusters to biology. A CSV and a GMT file are dropped, a Dynamics run
// keeps the genes that change over time, and the page shows the enrichment table, the cluster
// heatmap, the membership-core shading and the stability of each cluster; enrichment.csv,
// genes.csv and clusters.csv download with the same numbers.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

/** timeCourseCsv's genes by shape: g % 3 == 0 transient, 1 rising, 2 flat. */
function genesOfShape(n, shape) {
  const names = Array.from({ length: n }, (_, g) => ['IRF1', 'CXCL9', 'CXCL10'][g] || `GENE${g}`);
  return names.filter((_, g) => g % 3 === shape);
}

test('gene sets, heatmap, cores and stability after a run on the genes that change', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  await dropFile(page, 'course.csv', timeCourseCsv({ genes: 60 }));
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });

  // Dynamics chooses the genes that change over time by default; Reference the variance.
  const selection = page.getByRole('combobox', { name: 'Gene selection' });
  assert.equal(await selection.inputValue(), 'Changing over time');
  await page.getByRole('combobox', { name: 'Preset' }).selectOption('Reference');
  assert.equal(await selection.inputValue(), 'Most variable');
  await page.getByRole('combobox', { name: 'Preset' }).selectOption('Dynamics');
  assert.equal(await selection.inputValue(), 'Changing over time');
  assert.equal(await page.getByRole('spinbutton', { name: 'FDR' }).inputValue(), '0.05');

  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('2');
  await page.getByRole('spinbutton', { name: 'Stability runs' }).fill('1');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });

  // A gene-set file, given with the results: every cluster is tested at once.
  const gmt = [
    ['TRANSIENT', 'planted', ...genesOfShape(60, 0).map((g) => g.toLowerCase())],
    ['RISING', 'planted', ...genesOfShape(60, 1)],
    ['FLAT', 'planted', ...genesOfShape(60, 2)],
    ['DECOY', 'random', 'GENE4', 'GENE9', 'GENE12', 'GENE35', 'NOT_IN_DATA'],
  ].map((r) => r.join('\t')).join('\n') + '\n';
  await page.getByLabel('Gene sets').setInputFiles({ name: 'modules.gmt', mimeType: 'text/plain', buffer: Buffer.from(gmt) });
  const enrichment = page.getByRole('region', { name: 'Enrichment' });
  await enrichment.getByText('modules.gmt: 4 sets').waitFor({ timeout: 30_000 });

  // genes.csv: every gene read; the flat ones were not analysed (CXCL10, flat, stays as a
  // gene of interest).
  const genesCsv = (await download(page, 'Download genes CSV')).text.trim().split('\n');
  assert.equal(genesCsv[0], 'gene,mean,variance,f,p,q,effect,welch,analysed');
  assert.equal(genesCsv.length, 61);
  const analysed = genesCsv.slice(1).map((l) => l.split(',')).filter((f) => f[8] === 'true').map((f) => f[0]);
  const flatKept = analysed.filter((g) => genesOfShape(60, 2).includes(g));
  assert.deepEqual(flatKept, ['CXCL10'], 'only the flat gene of interest is analysed');
  assert.equal(analysed.length, 41);

  // The enrichment table: the planted sets are each cluster's top term.
  const firstTable = page.getByRole('table', { name: 'Enriched terms of cluster 1' });
  await firstTable.waitFor({ timeout: 30_000 });
  await enrichment.getByText(/of \d+ genes of the gene sets are among the analysed genes/).waitFor();
  const tops = [];
  for (const c of [1, 2]) {
    const row = page.getByRole('table', { name: `Enriched terms of cluster ${c}` }).locator('tbody tr').first();
    tops.push((await row.textContent()).trim());
  }
  assert.ok(tops.every((t) => /^(TRANSIENT|RISING)/.test(t)), JSON.stringify(tops));
  // Filtering by a gene keeps only the sets holding it.
  await page.getByRole('searchbox', { name: 'Filter terms' }).fill('GENE35');
  await page.waitForFunction(() => !document.querySelector('[data-plot="enrichment"]').textContent.includes('TRANSIENT'));
  await page.getByRole('searchbox', { name: 'Filter terms' }).fill('');
  const enrichmentCsv = (await download(page, 'Download enrichment CSV')).text.trim().split('\n');
  assert.equal(enrichmentCsv[0], 'cluster,set,overlap,set_size,fold,p,q,genes');
  assert.ok(enrichmentCsv.some((l) => /^\d,RISING,/.test(l)), enrichmentCsv.join('\n'));

  // The heatmap: one heatmap trace with a row per analysed gene and a column per time.
  const heat = await page.evaluate(() => {
    const el = document.querySelector('[data-plot="heatmap"]');
    const h = (el?.data || []).find((t) => t.type === 'heatmap');
    return h && { rows: h.z.length, cols: h.z[0].length, drawn: !!el.querySelector('.hm, image, .heatmaplayer') };
  });
  assert.ok(heat, 'a heatmap trace');
  assert.equal(heat.rows, 41);
  assert.equal(heat.cols, 5);
  assert.ok(heat.drawn, 'plotly drew the heatmap (the bundle has the heatmap trace)');

  // Stability: two clusters, over the k-means restarts and the one extra training.
  const stability = page.getByRole('region', { name: 'Cluster stability' });
  await stability.getByText(/1 training/).waitFor();
  assert.equal(await stability.locator('li').count(), 2);

  // Cores: at threshold 1 no gene is core, every trajectory is faded, and clusters.csv agrees.
  const faded = () => page.evaluate(() => (document.querySelector('[data-plot="trajectories"]').data || [])
    .filter((t) => (t.y || []).length).map((t) => t.opacity ?? 1));
  assert.ok((await faded()).some((o) => o === 1), 'core genes are drawn solid');
  await page.getByRole('spinbutton', { name: 'Core threshold' }).fill('1');
  await page.getByRole('spinbutton', { name: 'Core threshold' }).press('Enter');
  await page.waitForFunction(() => (document.querySelector('[data-plot="trajectories"]').data || [])
    .filter((t) => (t.y || []).length).every((t) => t.opacity < 1));
  const clusters = (await download(page, 'Download clusters CSV')).text.trim().split('\n');
  assert.equal(clusters[0], 'gene,cluster,membership,core');
  assert.ok(clusters.slice(1).every((l) => l.endsWith(',false')), 'no gene reaches membership 1');

  // A bad gene-set file says where, and the enrichment stays.
  await page.getByLabel('Gene sets').setInputFiles({ name: 'bad.gmt', mimeType: 'text/plain', buffer: Buffer.from('A\td\tIRF1\nB\tonly-two\n') });
  await enrichment.getByRole('alert').filter({ hasText: 'bad.gmt, line 2' }).waitFor({ timeout: 30_000 });
  assert.ok(await firstTable.isVisible(), 'the earlier enrichment stays');

  assert.deepEqual(errors, []);
});
