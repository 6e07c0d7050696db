// Benchmark (not a test): reading a large file in headless Chromium through the worker's
// streaming reader (4 MB Blob slices pushed into crates/ingest), plain and gzipped. Prints MB/s
// and the worker's WebAssembly memory after the load (a wasm memory never shrinks, so this is
// its high-water mark). Usage, after `trunk build --release`: see bench/ingest.sh, or
//   node bench/browser-ingest.js FILE [FILE...]
// FILE may be several files joined by commas, dropped together (a 10x MEX set).
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
      await page.goto(`${server.url}?backend=cpu`);
      await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
      const t0 = Date.now();
      const parts = file.split(',');
      await page.locator('#data-files').setInputFiles(parts);
      await page.getByRole('status').filter({ hasText: /^Loaded/ }).waitFor({ timeout: 1_800_000 });
      const seconds = (Date.now() - t0) / 1000;
      const mb = parts.reduce((sum, f) => sum + fs.statSync(f).size, 0) / 1e6;
      const summary = page.getByRole('region', { name: 'Data summary' });
      const worker = {
        readSeconds: Number(await summary.getAttribute('data-read-seconds')),
        memoryMB: Number(await summary.getAttribute('data-worker-memory')) / 1e6,
      };
      const status = (await page.getByRole('status').textContent()).trim();
      const shown = parts.length > 1 ? `${parts.length} files (${parts[0]}, ...)` : file;
      console.log(`${shown}: ${mb.toFixed(1)} MB; worker read it in ${worker.readSeconds.toFixed(2)} s (${(mb / worker.readSeconds).toFixed(1)} MB/s); ` +
        `${seconds.toFixed(1)} s from setInputFiles to the summary (${(mb / seconds).toFixed(1)} MB/s); worker wasm memory ${worker.memoryMB.toFixed(1)} MB`);
      console.log(`  status: ${status}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
