// Benchmark helper (not a test): where the browser's training time goes. Trains the Reference
// preset on the CPU backend in headless Chromium with V8's sampling profiler on
// (`--js-flags=--prof`), then sorts the worker's samples by phase and, within training, by
// the function on top of the stack. Function names need a build that keeps them:
//   trunk build --release --cargo-profile profiling --dist /tmp/dist-prof
//   VRNN_DIST=/tmp/dist-prof node bench/browser-profile.js [epochs=30]
// Samples are about one per millisecond of the worker's own CPU time.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { serveDist, timeCourseCsv } = require('../tests/e2e/support');
const { trainInPage } = require('./train-in-page');

async function train(epochs) {
  const csv = timeCourseCsv({ genes: 2000, cellsPerTime: 20, seed: 11 });
  const server = await serveDist();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-quic', '--no-zygote',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--js-flags=--prof',
    ],
  });
  try {
    const page = await browser.newPage();
    const status = await trainInPage(page, server.url, {
      name: 'genes2000.csv',
      csv,
      preset: 'Reference',
      epochs,
      compute: 'CPU',
    });
    console.log(status);
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The phase a sample belongs to, from the names on its stack. */
function phase(stack) {
  if (/Umap|embed::/.test(stack)) return 'UMAP';
  if (/cluster::|latent::|analysis::/.test(stack)) return 'other analysis';
  if (/to_bytes|keep::|miniz|store::/.test(stack)) return 'saving the session';
  if (/train_batch|finish_epoch|Trainer|drive/.test(stack)) return 'training';
  return 'other';
}

/** The kind of work on top of the stack. */
function kind(top) {
  if (/vrnn_engine::matmul/.test(top)) return 'matrix products (the engine\'s kernel)';
  if (/gemm|copy_2d_tiled|LocalKey<T>::with/.test(top)) return 'matrix products (gemm, packing)';
  if (/vrnn_engine::kernels/.test(top)) return 'fused kernels (LSTM, exp, KL)';
  if (/rand|Normal|normal_noise/.test(top)) return 'random numbers (noise)';
  if (/__ctor|inventory|__wasm_call_ctors/.test(top)) return 'static constructors';
  if (/burn_flex|macerator/.test(top)) return "burn's other CPU operations";
  if (/burn_autodiff|hashbrown|Gradients/.test(top)) return 'autodiff bookkeeping';
  if (/dlmalloc|libc\.so|memcpy|memmove|memset/.test(top)) return 'memory (allocation, copies)';
  return 'other';
}

function report(logFile) {
  const text = execFileSync(process.execPath, ['--prof-process', '--preprocess', logFile], {
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const d = JSON.parse(text.slice(text.indexOf('{')));
  const name = (i) => (i >= 0 && d.code[i] ? d.code[i].name : '?');
  const phases = {};
  const kinds = {};
  const tops = {};
  let training = 0;
  for (const t of d.ticks) {
    const names = t.s.filter((_, j) => j % 2 === 0).map(name);
    const p = phase(names.join('|'));
    phases[p] = (phases[p] || 0) + 1;
    if (p === 'training') {
      training += 1;
      const k = kind(names[0] || '?');
      kinds[k] = (kinds[k] || 0) + 1;
      const top = (names[0] || '?').replace(/^[^ ]* /, '').slice(0, 110);
      tops[top] = (tops[top] || 0) + 1;
    }
  }
  const table = (counts, total) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `| ${k} | ${v} | ${((100 * v) / total).toFixed(1)} % |`)
      .join('\n');
  const all = d.ticks.length;
  console.log(`\nWorker samples by phase (${all} in all)\n\n| phase | samples | share |\n|---|---|---|`);
  console.log(table(phases, all));
  console.log(`\nTraining samples by the function on top (${training})\n\n| work | samples | share |\n|---|---|---|`);
  console.log(table(kinds, training));
  console.log(`\nThe 20 functions most often on top in training\n\n| function | samples | share |\n|---|---|---|`);
  const top20 = Object.fromEntries(Object.entries(tops).sort((a, b) => b[1] - a[1]).slice(0, 20));
  console.log(table(top20, training).replaceAll('|', '|').replace(/</g, '&lt;'));
}

async function main() {
  const epochs = Number(process.argv[2] || 30);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vrnn-prof-'));
  // V8 writes its logs (one per isolate) into the browser's working directory.
  const cwd = process.cwd();
  process.chdir(logDir);
  try {
    await train(epochs);
  } finally {
    process.chdir(cwd);
  }
  // One log per isolate; the worker's is the one with the most samples of wasm code, which
  // is the largest of those that mention the engine.
  const logs = fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(logDir, f))
    .filter((f) => fs.readFileSync(f, 'latin1').includes('vrnn_engine'))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
  if (!logs.length) throw new Error(`no V8 log with the engine's functions in ${logDir}`);
  report(logs[0]);
  fs.rmSync(logDir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
