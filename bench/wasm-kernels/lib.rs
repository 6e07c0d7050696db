//! Exports for `bench.js`: fill a buffer, multiply with gemm or with the engine's kernel, and
//! draw words from `rand_chacha`'s ChaCha12 or from the engine's SIMD ChaCha12.

use rand_core::block::BlockRng;
use rand_core::{RngCore, SeedableRng};
use vrnn_kernels::{chacha, matmul};

/// A buffer of `n` values in [-0.5, 0.5), leaked to JavaScript.
#[no_mangle]
pub extern "C" fn filled(n: usize) -> *mut f32 {
    let v: Vec<f32> = (0..n)
        .map(|i| (i * 7919 % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    Box::leak(v.into_boxed_slice()).as_mut_ptr()
}

/// `reps` times `c = a b` with gemm; `a` is `m x k` row-major, or stored `k x m` where
/// `transposed` (the backward pass's `x^T dy`).
///
/// # Safety
/// The pointers must come from [`filled`] with enough values.
#[no_mangle]
pub unsafe extern "C" fn with_gemm(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    reps: usize,
    transposed: bool,
) {
    let (row, col) = if transposed {
        (1, m as isize)
    } else {
        (k as isize, 1)
    };
    for _ in 0..reps {
        gemm::gemm(
            m,
            n,
            k,
            c,
            1,
            n as isize,
            false,
            a,
            col,
            row,
            b,
            1,
            n as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// As [`with_gemm`], with the engine's kernel.
///
/// # Safety
/// As [`with_gemm`].
#[no_mangle]
pub unsafe extern "C" fn with_kernel(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    reps: usize,
    transposed: bool,
) {
    let (row, col) = if transposed { (1, m) } else { (k, 1) };
    let a = matmul::Strided {
        data: std::slice::from_raw_parts(a, m * k),
        row,
        col,
    };
    let (b, c) = (
        std::slice::from_raw_parts(b, k * n),
        std::slice::from_raw_parts_mut(c, m * n),
    );
    for _ in 0..reps {
        matmul::matmul(m, k, n, a, b, None, c);
    }
}

/// `n` words from `rand_chacha`'s ChaCha12 (`simd` false) or from the engine's ChaCha12 (`simd` true), both
/// seeded with `seed`, into `out`.
///
/// # Safety
/// `out` must have room for `n` values.
#[no_mangle]
pub unsafe extern "C" fn words(seed: u64, n: usize, out: *mut u32, simd: bool) {
    let out = std::slice::from_raw_parts_mut(out, n);
    if simd {
        let mut rng = BlockRng::<chacha::Core>::seed_from_u64(seed);
        out.iter_mut().for_each(|w| *w = rng.next_u32());
    } else {
        let mut rng = vrnn_kernels::rng::Rng::seed_from_u64(seed);
        out.iter_mut().for_each(|w| *w = rng.next_u32());
    }
}
