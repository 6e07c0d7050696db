// Benchmark (not a test): the session file of a 2000-gene run, its size, and the time to reopen
// it in headless Chromium after a reload (drop to "Finished", every plot drawn). Usage, after
// `trunk build --release`:
//   node bench/browser-session.js [genes=2000] [epochs=3]
'use strict';
const fs = require('node:fs');
const { serveDist, launchChromium, timeCourseCsv } = require('../tests/e2e/support');
const { trainInPage } = require('./train-in-page');

async function main() {
  const genes = Number(process.argv[2] || 2000);
  const epochs = Number(process.argv[3] || 3);
  const csv = timeCourseCsv({ genes, cellsPerTime: 20, seed: 11 });
  const server = await serveDist();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const status = page.getByRole('status');
    await trainInPage(page, server.url, {
      name: `genes${genes}.csv`,
      csv,
      preset: 'Dynamics',
      epochs,
      compute: 'CPU',
    });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download session', exact: true }).click();
    const bytes = fs.readFileSync(await (await download).path());
    await page.reload();
    await status.filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
    const t0 = Date.now();
    await page.locator('#data-files').setInputFiles({ name: 'run.vrnn', mimeType: 'application/octet-stream', buffer: bytes });
    await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
    // Plots are drawn by effects after the status changes: wait for the UMAP's points.
    await page.waitForFunction((n) => {
      const el = document.querySelector('[data-plot="umap"]');
      return el && el.data && el.data.reduce((s, t) => s + (t.x ? t.x.length : 0), 0) === n;
    }, genes, { timeout: 60_000 });
    const ms = Date.now() - t0;
    console.log(`session of ${genes} genes after ${epochs} epochs: ${bytes.length} bytes; reopened with every plot in ${ms} ms`);
    await page.close();
  } finally {
    await browser.close();
    await server.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
