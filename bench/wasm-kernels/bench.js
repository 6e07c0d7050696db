// GFLOP/s of gemm and of the engine's kernel at the VRNN's matrix sizes (batch 400), in
// WebAssembly under Node's V8 (optimising tier only), with the largest difference between the
// two results. Run by run.sh.
const fs = require('fs');
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[2])), {});
const e = wasm.exports;
// [m, k, n]: forward products x W (k = inputs), and the backward pass's x^T dy (k = batch).
const shapes = [[400, 33, 64], [400, 64, 64], [400, 32, 64], [400, 97, 128], [400, 96, 64],
  [400, 128, 97], [400, 64, 96], [64, 400, 64], [97, 400, 128], [96, 400, 64]];
// ChaCha12: the same words from both, and how fast each makes them.
{
  const n = 1 << 20;
  const a = e.filled(n), b = e.filled(n);
  for (const seed of [0n, 42n]) {
    e.words(seed, n, a, false);
    e.words(seed, n, b, true);
    const x = new Uint32Array(e.memory.buffer, a, n), y = new Uint32Array(e.memory.buffer, b, n);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i]) throw new Error(`SIMD ChaCha12 differs from rand_chacha at word ${i} (seed ${seed})`);
    }
  }
  const rate = (simd) => {
    const t = performance.now();
    for (let r = 0; r < 8; r++) e.words(7n, n, a, simd);
    return (8 * n) / ((performance.now() - t) / 1e3) / 1e6;
  };
  const [std, ours] = [rate(false), rate(true)];
  console.log(`ChaCha12: the same 2 x ${n} words as rand_chacha; rand_chacha ${std.toFixed(0)} M words/s, ` +
    `the engine's ${ours.toFixed(0)} M words/s (${(ours / std).toFixed(2)}x)\n`);
}
console.log('m x k x n       layout      gemm GFLOP/s  kernel GFLOP/s  kernel/gemm  max |diff|');
for (const [m, k, n] of shapes) {
  const a = e.filled(m * k), b = e.filled(k * n), c1 = e.filled(m * n), c2 = e.filled(m * n);
  const reps = Math.max(1, Math.round(3e8 / (2 * m * k * n)));
  for (const transposed of [false, true]) {
    e.with_gemm(m, k, n, a, b, c1, 3, transposed);
    e.with_kernel(m, k, n, a, b, c2, 3, transposed);
    const x = new Float32Array(e.memory.buffer, c1, m * n), y = new Float32Array(e.memory.buffer, c2, m * n);
    let diff = 0;
    for (let i = 0; i < m * n; i++) diff = Math.max(diff, Math.abs(x[i] - y[i]));
    const gflop = 2 * m * k * n * reps / 1e9;
    let t = performance.now(); e.with_gemm(m, k, n, a, b, c1, reps, transposed);
    const g = gflop / ((performance.now() - t) / 1e3);
    t = performance.now(); e.with_kernel(m, k, n, a, b, c2, reps, transposed);
    const h = gflop / ((performance.now() - t) / 1e3);
    console.log(`${`${m} x ${k} x ${n}`.padEnd(16)}${(transposed ? 'A stored ^T' : 'row-major').padEnd(12)}` +
      `${g.toFixed(1).padStart(12)}  ${h.toFixed(1).padStart(14)}  ${(h / g).toFixed(2).padStart(11)}  ${diff.toExponential(1)}`);
  }
}
