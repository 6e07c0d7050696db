// Shared helpers for the end-to-end tests: a static server for dist/, Debian's Chromium with
// the flags this environment needs, and deterministic test data generated here (no fixtures
// downloaded, nothing random without a seed).
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { before, after } = require('node:test');
const { chromium } = require('playwright-core');

const DIST = path.resolve(process.env.VRNN_DIST || path.join(__dirname, '..', '..', 'dist'));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Serves dist/ on 127.0.0.1 at a free port; resolves to { url, close }. */
function serveDist() {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      let file = path.join(DIST, decodeURIComponent(url.pathname));
      if (!file.startsWith(DIST)) { res.writeHead(403); res.end(); return; }
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      fs.readFile(file, (err, body) => {
        if (err) { res.writeHead(404); res.end('not found'); return; }
        res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
        res.end(body);
      });
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Debian's Chromium, headless, with software WebGPU and no network beyond 127.0.0.1. */
function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-quic',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A small seed-layout CSV: `genes` genes, 5 time points, `cellsPerTime` cells each. */
function timeCourseCsv({ genes = 60, cellsPerTime = 12, seed = 7 } = {}) {
  let state = seed >>> 0;
  const rand = () => {
    // mulberry32: a tiny seeded generator, so the data are identical on every run.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const times = [0, 3, 6, 12, 24];
  const names = Array.from({ length: genes }, (_, g) => ['IRF1', 'CXCL9', 'CXCL10'][g] || `GENE${g}`);
  const rows = [['Cell_ID', 'Cell_Type', 'Time_numeric', ...names].join(',')];
  let id = 0;
  for (const t of times) {
    for (let c = 0; c < cellsPerTime; c++) {
      const values = names.map((_, g) => {
        const shape = g % 3 === 0 ? Math.exp(-((t - 3) ** 2) / 8) : g % 3 === 1 ? t / 24 : 0.2;
        return Math.max(0, (1 + (g % 5)) * shape + 0.3 * rand()).toFixed(4);
      });
      rows.push([`cell${id++}`, c % 2 ? 'T' : 'B', t, ...values].join(','));
    }
  }
  return rows.join('\n') + '\n';
}

/** Drops a file with this content (text, or a Buffer of bytes) on the drop zone, as a person
 * dragging it would. */
async function dropFile(page, name, content) {
  const bytes = Buffer.isBuffer(content) ? Array.from(content) : null;
  const dataTransfer = await page.evaluateHandle(([n, c, b]) => {
    const dt = new DataTransfer();
    const body = b ? new Uint8Array(b) : c;
    dt.items.add(new File([body], n, { type: b ? 'application/octet-stream' : 'text/csv' }));
    return dt;
  }, [name, bytes ? null : content, bytes]);
  await page.getByRole('region', { name: 'Drop data files' }).dispatchEvent('drop', { dataTransfer });
}

/** Drops several files at once ([{ name, content }], content text or a Buffer). */
async function dropFiles(page, files) {
  const payload = files.map((f) => ({
    name: f.name,
    text: Buffer.isBuffer(f.content) ? null : f.content,
    bytes: Buffer.isBuffer(f.content) ? Array.from(f.content) : null,
  }));
  const dataTransfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([f.bytes ? new Uint8Array(f.bytes) : f.text], f.name));
    return dt;
  }, payload);
  await page.getByRole('region', { name: 'Drop data files' }).dispatchEvent('drop', { dataTransfer });
}

/** Waits until every plot of a finished analysis has data. */
async function everyPlotDrawn(page) {
  for (const p of ['loss', 'umap', 'trajectories', 'k-choice', 'heatmap', 'cluster-summary']) {
    await page.waitForFunction((name) => (document.querySelector(`[data-plot="${name}"]`)?.data || []).length > 0,
      p, { timeout: 60_000 });
  }
}

/** For a test file: serves dist/ and starts Chromium once, closed after its last test. */
function appHarness() {
  const h = {};
  before(async () => {
    h.server = await serveDist();
    h.browser = await launchChromium();
  });
  after(async () => {
    await h.browser?.close();
    await h.server?.close();
  });
  return h;
}

/** Opens the app (`query` such as `?backend=cpu`), waits until its worker is ready, and
 * collects uncaught page errors, which every test expects to stay empty. */
async function openApp(h, query = '') {
  const page = await h.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${h.server.url}${query}`);
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  return { page, errors };
}

/** Records the page's animation frames for `ms` milliseconds (rAF timestamps, in the page's
 * clock); resolves to { frames, maxGap, medianGap } in milliseconds. A main thread that is
 * busy for a while shows as a long gap between two frames. */
async function frameGaps(page, ms) {
  const stamps = await page.evaluate((duration) => new Promise((resolve) => {
    const t = [];
    const frame = (now) => {
      t.push(now);
      if (now - t[0] < duration) requestAnimationFrame(frame);
      else resolve(t);
    };
    requestAnimationFrame(frame);
  }), ms);
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]).sort((a, b) => a - b);
  return {
    frames: stamps.length,
    maxGap: gaps.length ? gaps[gaps.length - 1] : Infinity,
    medianGap: gaps.length ? gaps[Math.floor(gaps.length / 2)] : Infinity,
  };
}

/** Rejects after `ms` milliseconds with `what` in the message, unless `promise` settles first:
 * for steps that would otherwise wait for ever on a page that never answers. */
function within(ms, what, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Clicks the button of this exact name and returns the file it downloads: name and text. */
async function download(page, name) {
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return { file: dl.suggestedFilename(), text: require('node:fs').readFileSync(await dl.path(), 'utf8') };
}

module.exports = {
  serveDist, launchChromium, timeCourseCsv, dropFile, dropFiles, everyPlotDrawn, appHarness, openApp, frameGaps, within, download,
};
