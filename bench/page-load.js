// Benchmark (not a test): how big the built app is and how fast its page becomes usable, in
// headless Chromium from a local server (no network latency; a cold cache each time).
// Usage, after `trunk build --release`: node bench/page-load.js [runs=5]
// Prints the size of dist/ (raw and gzip -9 per file, summed), then for each run: first
// contentful paint, and the time until the page is interactive (the drop zone and `CSV file`
// are usable: the page's wasm has run) and until the analysis worker is ready ("Ready").
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { serveDist, launchChromium } = require('../tests/e2e/support');

function distSizes(dir) {
  let raw = 0;
  let gz = 0;
  const rows = [];
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    const body = fs.readFileSync(file);
    const g = zlib.gzipSync(body, { level: 9 }).length;
    raw += body.length;
    gz += g;
    rows.push([name, body.length, g]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  for (const [name, r, g] of rows.slice(0, 4)) console.log(`  ${name}: ${(r / 1e6).toFixed(2)} MB, gzip ${(g / 1e6).toFixed(2)} MB`);
  console.log(`dist/: ${(raw / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzip -9 (per file, summed)`);
}

async function main() {
  const runs = Number(process.argv[2] || 5);
  distSizes(path.resolve(__dirname, '..', 'dist'));
  const server = await serveDist();
  const browser = await launchChromium();
  try {
    const results = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(server.url);
      await page.locator('#data-files').waitFor({ state: 'attached', timeout: 60_000 });
      const interactive = Date.now() - t0;
      await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
      const ready = Date.now() - t0;
      const fcp = await page.evaluate(() => {
        const p = performance.getEntriesByName('first-contentful-paint')[0];
        return p ? Math.round(p.startTime) : null;
      });
      results.push({ fcp, interactive, ready });
      console.log(`run ${i + 1}: first contentful paint ${fcp} ms, interactive ${interactive} ms, worker ready ${ready} ms`);
      await context.close();
    }
    const median = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
    console.log(`median: first contentful paint ${median('fcp')} ms, interactive ${median('interactive')} ms, worker ready ${median('ready')} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
