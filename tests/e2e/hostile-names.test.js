// End to end: user-supplied text is only ever text. A gene named like an HTML tag with a script
// shows literally in the summary, the search suggestions, the similar-genes table and the plot
// labels, and no dialog opens (the names are escaped for plotly, which reads markup in labels).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { appHarness, openApp, dropFile } = require('./support');

const app = appHarness();
const HOSTILE = '<img src=x onerror=alert(1)>';

test('a gene named <img src=x onerror=alert(1)> shows literally and runs nothing', async () => {
  const { page, errors } = await openApp(app, '?backend=cpu&epochs=2');
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const genes = [HOSTILE, 'IRF1', 'CXCL9', 'CXCL10', 'G5', 'G6', 'G7', 'G8'];
  const rows = [['Cell_ID', '"<b>Time</b>"', ...genes.map((g) => `"${g}"`)].join(',')];
  let id = 0;
  for (const t of [0, 3, 6, 12, 24]) {
    for (let c = 0; c < 6; c++) {
      rows.push([`c${id++}`, t, ...genes.map((_, g) => ((g + 1) * Math.sin(t / 6 + g) + c * 0.01 + 2).toFixed(3))].join(','));
    }
  }
  await dropFile(page, 'hostile.csv', rows.join('\n') + '\n');
  const summary = page.getByRole('region', { name: 'Data summary' });
  await summary.getByText('hostile.csv').waitFor({ timeout: 60_000 });
  assert.match(await summary.textContent(), /Time column<b>Time<\/b>/);
  await page.getByRole('spinbutton', { name: 'Clusters (k)' }).fill('2');
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });

  await page.getByRole('searchbox', { name: 'Gene' }).fill('<img');
  await page.getByRole('button', { name: HOSTILE, exact: true }).click();
  const table = page.getByRole('table', { name: 'Similar genes' });
  await table.waitFor({ timeout: 60_000 });
  const plotText = await page.evaluate(() => {
    const texts = [];
    for (const el of document.querySelectorAll('[data-plot]')) {
      for (const t of el.data || []) {
        if (t.name) texts.push(t.name);
        if (Array.isArray(t.text)) texts.push(...t.text); else if (t.text) texts.push(t.text);
      }
      const layout = el.layout || {};
      if (layout.title && layout.title.text) texts.push(layout.title.text);
    }
    return texts;
  });
  assert.ok(plotText.some((t) => t.includes('&lt;img src=x onerror=alert(1)&gt;')), 'plot labels carry the name escaped');
  assert.ok(!plotText.some((t) => t.includes(HOSTILE)), 'no plot label carries raw markup');
  // What plotly drew from the labels: the name as text, never as an element.
  const drawn = await page.evaluate(() => Array.from(document.querySelectorAll('[data-plot] text')).map((n) => n.textContent));
  assert.ok(drawn.some((t) => t.includes(HOSTILE)), 'the name is drawn literally in a plot');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no image element was made from a name');
  assert.equal(await page.locator('[data-plot] b').count(), 0, 'no markup from the time column name');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});
