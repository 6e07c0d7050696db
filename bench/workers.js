// Benchmark (not a test): seconds per epoch against training helpers, browser and native in
// one run, alternated in rounds so that drift on a shared machine hits both alike. Each round:
// `Benchmark this machine` in headless Chromium with ?workers=N (the analysis worker alone, 1
// helper and N helpers, each with where its time went), then the release CLI on the same shape
// of data (bench/data/genes2000.csv, 2000 genes x 5 time points, Reference, batch 400, 8 parts)
// with --threads 1 and --threads 2. Prints one JSON line per measurement and the ratios.
// Usage: bash bench/workers.sh [rounds=3] [workers=2]   (builds the CLI, needs dist/)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serveDist, launchChromium, download } = require('../tests/e2e/support');

const [cli, rounds = '3', workers = '2'] = process.argv.slice(2);
const EPOCHS = 21;

function native(threads) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'workers-'));
  execFileSync(cli, ['run', '--input', 'bench/data/genes2000.csv', '--out', out, '--epochs', String(EPOCHS),
    '--backend', 'cpu', '--preset', 'reference', '--parts', '8', '--threads', String(threads)], { stdio: 'ignore' });
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  fs.rmSync(out, { recursive: true });
  return run.timings.seconds_per_epoch;
}

async function browserPaths(browser, url) {
  const page = await browser.newPage();
  await page.goto(`${url}?workers=${workers}`);
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Benchmark this machine' }).click();
  await page.getByRole('status').filter({ hasText: 'Benchmark:' }).waitFor({ timeout: 600_000 });
  const report = JSON.parse((await download(page, 'Download benchmark JSON')).text);
  await page.close();
  return report.paths.filter((p) => p.seconds_per_epoch);
}

async function main() {
  const server = await serveDist();
  const browser = await launchChromium();
  try {
    for (let r = 1; r <= Number(rounds); r++) {
      const paths = await browserPaths(browser, server.url);
      const t1 = native(1);
      const t2 = native(2);
      for (const p of paths) console.log(JSON.stringify({ round: r, ...p }));
      console.log(JSON.stringify({ round: r, path: 'native, --threads 1', seconds_per_epoch: t1 }));
      console.log(JSON.stringify({ round: r, path: 'native, --threads 2', seconds_per_epoch: t2 }));
      const ratios = paths.map((p) => `${p.path}: ${(p.seconds_per_epoch / t1).toFixed(2)}x native 1 thread`);
      console.log(`round ${r}: ${ratios.join('; ')}; native threads 2 speed-up ${(t1 / t2).toFixed(2)}x`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
