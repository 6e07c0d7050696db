// Benchmark (not a test): reading a large file in headless Chromium through the worker's
// streaming reader (4 MB FileReaderSync slices), plain and gzipped. Usage, after
// `trunk build --release` and generating the data, e.g.
//   vrnn-clustering simulate --out bench/data/big.csv --truth-out bench/data/big-truth.csv --genes 2000 --cells-per-time 4000
//   gzip -1 -k bench/data/big.csv
//   node bench/browser-ingest.js bench/data/big.csv bench/data/big.csv.gz
'use strict';
const fs = require('node:fs');
const { serveDist, launchChromium } = require('../tests/e2e/support');

async function main() {
  const files = process.argv.slice(2);
  const server = await serveDist();
  const browser = await launchChromium();
  try {
    for (const file of files) {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
      const t0 = Date.now();
      await page.locator('#csv-file').setInputFiles(file);
      await page.getByRole('status').filter({ hasText: /^Loaded/ }).waitFor({ timeout: 1_800_000 });
      const seconds = (Date.now() - t0) / 1000;
      const mb = fs.statSync(file).size / 1e6;
      const summary = await page.getByRole('status').textContent();
      console.log(`${file}: ${mb.toFixed(1)} MB in ${seconds.toFixed(1)} s (${(mb / seconds).toFixed(1)} MB/s of file): ${summary.trim()}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
