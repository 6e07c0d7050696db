// End to end: the analysis after training. Every plot is drawn from one result, changing k
// re-colours the UMAP without retraining, a gene search fills the similar-genes table, a click
// on the UMAP selects a gene, and the downloaded clusters.csv matches the UMAP's legend.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

/** Name, points and gene names of every trace of a plot. */
function traces(page, plot) {
  return page.evaluate((p) => {
    const el = document.querySelector(`[data-plot="${p}"]`);
    return (el?.data || []).map((t) => ({
      name: t.name,
      n: (t.y || []).filter((v) => v !== null).length,
      text: Array.isArray(t.text) ? Array.from(t.text) : t.text,
    }));
  }, plot);
}

/** Gene → cluster as the UMAP legend shows it ("Cluster c (n)" traces). */
async function umapClusters(page) {
  const out = {};
  for (const t of await traces(page, 'umap')) {
    const m = /^Cluster (\d+) \(/.exec(t.name);
    if (m) for (const g of t.text) out[g] = Number(m[1]);
  }
  return out;
}

test('one analysis feeds every plot, k re-clusters without retraining, genes can be searched and downloaded', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu');
  await dropFile(page, 'course.csv', timeCourseCsv({ genes: 60 }));
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  // Every gene of the file, the flat ones too (Dynamics would keep only the genes that change).
  await page.getByRole('combobox', { name: 'Gene selection' }).selectOption('Most variable');
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('4');
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });

  // Every plot is drawn with data.
  for (const plot of ['loss', 'umap', 'trajectories', 'cluster-summary', 'genes-of-interest', 'k-choice']) {
    const t = await traces(page, plot);
    assert.ok(t.length > 0 && t.some((x) => x.n > 0), `${plot} has data`);
  }
  let clusters = await umapClusters(page);
  assert.equal(Object.keys(clusters).length, 60, 'every gene is on the UMAP');
  assert.deepEqual([...new Set(Object.values(clusters))].sort(), [1, 2, 3, 4]);
  const kChoice = await traces(page, 'k-choice');
  assert.equal(kChoice[0].n, 11, 'inertia for k = 2..12');
  const goi = (await traces(page, 'genes-of-interest')).map((t) => t.name);
  for (const g of ['IRF1', 'CXCL9', 'CXCL10']) assert.ok(goi.some((n) => n.startsWith(g)), `${g} shown by default`);

  // Changing k re-clusters the same latents: the loss history is untouched.
  const lossBefore = await traces(page, 'loss');
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('3');
  await status.filter({ hasText: 're-clustered into 3' }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-plot="umap"]').data
    .filter((t) => /^Cluster/.test(t.name)).length === 3);
  clusters = await umapClusters(page);
  assert.deepEqual([...new Set(Object.values(clusters))].sort(), [1, 2, 3]);
  assert.deepEqual(await traces(page, 'loss'), lossBefore, 'no retraining');

  // Gene search (case-insensitive) fills the similar-genes table and plot.
  const search = page.getByRole('searchbox', { name: 'Gene' });
  await search.fill('irf1');
  await search.press('Enter');
  const table = page.getByRole('table', { name: 'Similar genes' });
  await table.waitFor({ timeout: 30_000 });
  assert.equal(await table.locator('tbody tr').count(), 20);
  assert.equal(await search.inputValue(), 'IRF1');
  const firstRow = await table.locator('tbody tr').first().locator('td').allTextContents();
  assert.equal(firstRow[0], '1');
  assert.equal(Number(firstRow[3]), clusters[firstRow[1]], 'cluster in the table matches the UMAP');
  const sim = await traces(page, 'similar-genes');
  assert.ok(sim.length >= 2 && sim[0].name.startsWith('IRF1'), 'similar-genes plot drawn');
  const simCsv = await download(page, 'Download similar genes CSV');
  assert.equal(simCsv.text.split('\n')[0], 'query,rank,gene,distance,cluster');
  assert.equal(simCsv.text.trim().split('\n').length, 21);

  // Clicking a UMAP point selects its gene (the most isolated point, so no other is on top).
  await page.locator('[data-plot="umap"]').scrollIntoViewIfNeeded();
  const target = await page.evaluate(() => {
    const el = document.querySelector('[data-plot="umap"]');
    const xa = el._fullLayout.xaxis;
    const ya = el._fullLayout.yaxis;
    const r = el.getBoundingClientRect();
    const pts = [];
    for (const t of el.data.filter((d) => /^Cluster/.test(d.name))) {
      t.x.forEach((x, i) => pts.push({
        gene: t.text[i],
        x: r.left + xa._offset + xa.l2p(x),
        y: r.top + ya._offset + ya.l2p(t.y[i]),
      }));
    }
    let best = null;
    let bestGap = -1;
    for (const p of pts) {
      let gap = Infinity;
      for (const q of pts) if (q !== p) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
      if (gap > bestGap) { bestGap = gap; best = p; }
    }
    return best;
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((g) => document.querySelector('input[type="search"]').value === g, target.gene,
    { timeout: 10_000 });
  await page.getByRole('table', { name: 'Similar genes' }).getByText(`similar to ${target.gene}`).waitFor();

  // The downloaded clusters.csv: one row per gene, clusters 1..k matching the UMAP legend.
  const csv = await download(page, 'Download clusters CSV');
  assert.equal(csv.file, 'clusters.csv');
  const lines = csv.text.trim().split('\n');
  assert.equal(lines[0], 'gene,cluster,membership,core');
  assert.equal(lines.length, 61);
  for (const line of lines.slice(1)) {
    const [gene, c] = line.split(',');
    assert.equal(Number(c), clusters[gene], `${gene}: clusters.csv agrees with the UMAP`);
  }
  // Plots save as SVG (our toolbar button) as well as PNG (plotly's camera).
  await page.locator('[data-plot="umap"]').hover();
  const [svg] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-plot="umap"] .modebar-btn[data-title="Download plot as SVG"]').click(),
  ]);
  assert.equal(svg.suggestedFilename(), 'vrnn-umap.svg');
  assert.match(fs.readFileSync(await svg.path(), 'utf8'), /^<svg/);
  const gmt = await download(page, 'Download gene sets (GMT)');
  assert.equal(gmt.text.trim().split('\n').length, 3);
  assert.deepEqual(errors, []);
  await page.close();
});
