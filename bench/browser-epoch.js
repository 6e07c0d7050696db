// Benchmark (not a test): seconds per epoch in headless Chromium for 2000 genes x 5 time
// points (batch 400), on the CPU backend and on WebGPU. Usage, after `trunk build --release`:
//   [BATCH=N] node bench/browser-epoch.js [epochs=5] [genes=2000] [computes=CPU,WebGPU]
// The status line it prints also gives the seconds of each analysis phase after training
// (latent summary, k choice for k = 2..12, clustering, UMAP).
// Also writes bench/data/genes2000.csv for the native CLI comparison (bench/native-epoch.sh).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { serveDist, launchChromium, timeCourseCsv } = require('../tests/e2e/support');
const { trainInPage } = require('./train-in-page');

async function main() {
  const epochs = Number(process.argv[2] || 5);
  const genes = Number(process.argv[3] || 2000);
  const csv = timeCourseCsv({ genes, cellsPerTime: 20, seed: 11 });
  fs.mkdirSync(path.join(__dirname, 'data'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'data', `genes${genes}.csv`), csv);
  const server = await serveDist();
  const browser = await launchChromium();
  try {
    for (const compute of (process.argv[4] || 'CPU,WebGPU').split(',')) {
      const page = await browser.newPage();
      // The reference model by default, so that the numbers compare with PyTorch's reference.
      // BATCH=N: genes per step (default the reference's 400).
      // Per-epoch wall times from the worker's own clock (first epoch includes warm-up).
      const text = await trainInPage(page, server.url, {
        name: `genes${genes}.csv`,
        csv,
        preset: process.env.PRESET || 'Reference',
        epochs,
        compute,
        batch: process.env.BATCH,
      });
      const used = await page.locator('.backend').textContent();
      console.log(`${compute}: ${text} [${used.trim()}]`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
