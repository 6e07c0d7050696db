// Benchmark helper (not a test): where the browser's training time goes. Trains the Reference
// preset on the CPU backend in headless Chromium with V8's sampling profiler on
// (`--js-flags=--prof`), then sorts the worker's samples by phase and, within training, by
// the function on top of the stack. Function names need a build that keeps them:
//   trunk build --release --cargo-profile profiling --dist /tmp/dist-prof
//   VRNN_DIST=/tmp/dist-prof node bench/browser-profile.js [epochs=30]
// Samples are about one per millisecond of the worker's own CPU time.
//
// `... browser-profile.js [epochs] helper` profiles a training helper instead (the Web Worker
// that computes a batch's parts, crates/helper; the page starts one on a 2-core machine). Only
// the helper's wasm needs names for that; build it alone and put it over a release dist:
//   cargo build --profile profiling --target wasm32-unknown-unknown \
//     --manifest-path crates/helper/Cargo.toml --bin vrnn-helper
//   wasm-bindgen --target no-modules --no-typescript --keep-debug --out-dir /tmp/helper \
//     "$CARGO_TARGET_DIR/wasm32-unknown-unknown/profiling/vrnn-helper.wasm"
//   cp -r dist /tmp/dist-prof && cp /tmp/helper/* /tmp/dist-prof/
//   VRNN_DIST=/tmp/dist-prof node bench/browser-profile.js 20 helper
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
  if (/vrnn_kernels::matmul|vrnn_engine::matmul/.test(top)) return 'matrix products (the hand-written kernel)';
  if (/gemm|LocalKey<T>::with/.test(top)) return 'matrix products (gemm, packing)';
  if (/copy_2d_tiled|into_contiguous/.test(top)) return "burn's copies of non-contiguous tensors";
  if (/vrnn_model::cpu|vrnn_engine::kernels/.test(top)) return 'fused kernels (LSTM, exp, KL)';
  if (/rand|Normal|normal_noise/.test(top)) return 'random numbers (noise)';
  if (/__ctor|inventory|__wasm_call_ctors/.test(top)) return 'static constructors';
  if (/burn_flex|macerator/.test(top)) return "burn's other CPU operations";
  if (/burn_autodiff|hashbrown|Gradients/.test(top)) return 'autodiff bookkeeping';
  if (/dlmalloc|libc\.so|memcpy|memmove|memset/.test(top)) return 'memory (allocation, copies)';
  return 'other';
}

function load(logFile) {
  const text = execFileSync(process.execPath, ['--prof-process', '--preprocess', logFile], {
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  return JSON.parse(text.slice(text.indexOf('{')));
}

/** Samples with the hand-written matrix kernel on top: a training helper's signature. */
function kernelSamples(d) {
  return d.ticks.filter((t) => /vrnn_kernels::matmul/.test(d.code[t.s[0]]?.name || '')).length;
}

function report(d, helper) {
  const name = (i) => (i >= 0 && d.code[i] ? d.code[i].name : '?');
  const phases = {};
  const kinds = {};
  const tops = {};
  let training = 0;
  for (const t of d.ticks) {
    const names = t.s.filter((_, j) => j % 2 === 0).map(name);
    const p = helper ? 'training' : phase(names.join('|'));
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
  const helper = process.argv[3] === 'helper';
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vrnn-prof-'));
  // V8 writes its logs (one per isolate) into the browser's working directory.
  const cwd = process.cwd();
  process.chdir(logDir);
  try {
    await train(epochs);
  } finally {
    process.chdir(cwd);
  }
  if (helper) {
    // One log per isolate: the helper's is the one whose samples most often sit in the matrix
    // kernel (the analysis worker hands every part to the helpers).
    const all = fs
      .readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => load(path.join(logDir, f)))
      .sort((a, b) => kernelSamples(b) - kernelSamples(a));
    if (!all.length || !kernelSamples(all[0])) throw new Error(`no helper's V8 log in ${logDir}`);
    report(all[0], true);
    fs.rmSync(logDir, { recursive: true, force: true });
    return;
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
  report(load(logs[0]), false);
  fs.rmSync(logDir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
