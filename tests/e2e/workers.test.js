// End to end: a CPU run's batches computed by a pool of training helpers (Web Workers, the
// CPU-only helper wasm compiled once and shared). 1, 2 and 4 helpers give the same losses and
// latents bit for bit (the parts are summed in part order); a helper that crashes or hangs mid-run is
// replaced, its part computed again, and the results do not change; the page names the
// compute in use with its workers. The command-line tool, on 1 or 2 threads, trains the same
// model from the same file and seed: the same losses bit for bit, the same clusters.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { appHarness, openApp, timeCourseCsv, dropFile, download } = require('./support');

const app = appHarness();

/** Trains 4 epochs on the CPU with `workers` helpers; returns what the page said and wrote. */
async function train(workers, extra = '') {
  const { page, errors } = await openApp(app, `?backend=cpu&epochs=4&workers=${workers}${extra}`);
  assert.equal(await page.getByRole('spinbutton', { name: 'Workers' }).inputValue(), String(workers));
  await dropFile(page, 'small.csv', timeCourseCsv({ genes: 120 }));
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 300_000 });
  const backend = await page.locator('.backend').textContent();
  const notice = await page.locator('.notice').allTextContents();
  const loss = (await download(page, 'Download loss CSV')).text;
  const latents = (await download(page, 'Download latents CSV')).text;
  const clusters = (await download(page, 'Download clusters CSV')).text;
  assert.deepEqual(errors, []);
  await page.close();
  return { backend, notice: notice.join(' '), loss, latents, clusters };
}

test('1, 2 and 4 training helpers train the same model bit for bit', async () => {
  const one = await train(1);
  assert.match(one.backend, /^Compute in use: CPU, 1 worker$/);
  assert.equal(one.loss.trim().split('\n').length, 5, one.loss);
  for (const n of [2, 4]) {
    const other = await train(n);
    assert.match(other.backend, new RegExp(`^Compute in use: CPU, ${n} workers$`));
    assert.equal(other.loss, one.loss, `losses with ${n} helpers`);
    assert.equal(other.latents, one.latents, `latents with ${n} helpers`);
  }
  // Workers 0: the analysis worker computes the same parts itself.
  const alone = await train(0);
  assert.match(alone.backend, /^Compute in use: CPU$/);
  assert.equal(alone.loss, one.loss, 'losses in the analysis worker alone');
});

/** The command-line tool the native tests built (scripts/test.sh builds them first), or VRNN_CLI. */
function cliBinary() {
  if (process.env.VRNN_CLI) return process.env.VRNN_CLI;
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'vrnn-clustering', 'target');
  return path.join(target, 'debug', 'vrnn-clustering');
}

test('the command-line tool trains the same model as the browser, bit for bit', async () => {
  const cli = cliBinary();
  assert.ok(fs.existsSync(cli), `no command-line tool at ${cli}: build it first (cargo build -p vrnn-clustering-cli) or set VRNN_CLI`);
  const browser = await train(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
  try {
    const input = path.join(dir, 'small.csv');
    fs.writeFileSync(input, timeCourseCsv({ genes: 120 }));
    for (const threads of [1, 2]) {
      const out = path.join(dir, `out${threads}`);
      execFileSync(cli, ['run', '--input', input, '--out', out, '--epochs', '4', '--backend', 'cpu',
        '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'pipe'] });
      const read = (name) => fs.readFileSync(path.join(out, name), 'utf8');
      assert.equal(read('loss.csv'), browser.loss, `losses, CLI on ${threads} threads`);
      // The latents within 1e-6: the training is the same bit for bit (the losses above), the
      // latents differ in their last bits in about half their values (at most 4e-8 measured).
      const values = (csv) => csv.trim().split('\n').slice(1).map((line) => line.split(','));
      const [cliLatents, browserLatents] = [values(read('latents.csv')), values(browser.latents)];
      assert.equal(cliLatents.length, browserLatents.length);
      cliLatents.forEach((row, i) => row.forEach((v, j) => {
        if (j === 0) assert.equal(v, browserLatents[i][0]);
        else assert.ok(Math.abs(Number(v) - Number(browserLatents[i][j])) <= 1e-6, `latent ${row[0]} z${j}: ${v} vs ${browserLatents[i][j]}`);
      }));
      // The same clusters: each gene's cluster (memberships are written rounded, to 6 places).
      const labels = (csv) => csv.trim().split('\n').map((line) => line.split(',').slice(0, 2).join(','));
      assert.ok(labels(browser.clusters).length > 50, browser.clusters);
      assert.deepEqual(labels(read('clusters.csv')), labels(browser.clusters), `clusters, CLI on ${threads} threads`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a training helper that crashes or hangs is replaced and its part computed again', async () => {
  const calm = await train(2);
  const crashed = await train(2, '&inject-helper-crash=2');
  assert.match(crashed.notice, /A training helper stopped and was replaced .*its part was computed again, so the results are unchanged/);
  assert.equal(crashed.loss, calm.loss);
  assert.equal(crashed.latents, calm.latents);

  // A helper that stops answering (it spins) is stopped after 10 s (or 50 times the slowest
  // part) and replaced the same way.
  const hung = await train(2, '&inject-helper-hang=2');
  assert.match(hung.notice, /A training helper stopped and was replaced \(a training helper stopped \(it did not answer part \d+ within \d+ s\)\); its part was computed again, so the results are unchanged/);
  assert.equal(hung.loss, calm.loss);
  assert.equal(hung.latents, calm.latents);
});
