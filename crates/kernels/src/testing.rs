//! Checks shared by the native unit tests and the WebAssembly tests (`tests/wasm.rs`), so both
//! builds are held to the same reference: the kernels' SIMD lanes in the browser, their scalar
//! fallback natively. Not part of the API.

use rand_core::block::BlockRng;
use rand_core::{RngCore, SeedableRng};

use crate::chacha::Core;
use crate::matmul::{matmul, Strided};

/// The first four `u32`s of [`crate::rng::Rng`] seeded with `seed_from_u64(42)`.
pub const CHACHA12_SEED_42: [u32; 4] = [572_990_626, 2_261_546_851, 1_068_323_197, 2_330_987_027];
/// The first two `u64`s of [`crate::rng::FastRng`] seeded with `seed_from_u64(42)`.
pub const XOSHIRO_SEED_42: [u64; 2] = [15_021_278_609_987_233_951, 5_881_210_131_331_364_753];

pub fn naive(m: usize, k: usize, n: usize, a: Strided<'_>, b: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = bias[j] as f64;
            for p in 0..k {
                s += a.data[i * a.row + p * a.col] as f64 * b[p * n + j] as f64;
            }
            c[i * n + j] = s as f32;
        }
    }
    c
}

pub fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919 + seed * 104_729) % 1013) as f32 / 1013.0 - 0.5)
        .collect()
}

/// Every path of the kernel (4-row and single-row blocks; 8-, 4- and 1-column blocks) on
/// row-major, transposed and narrowed operands, with and without a bias, against [`naive`].
pub fn check_matmul_against_naive() {
    for &(m, k, n) in &[
        (1, 1, 1),
        (4, 3, 8),
        (7, 5, 13),
        (9, 33, 64),
        (13, 65, 128),
        (400, 96, 1),
        (6, 0, 9),
    ] {
        let b = values(k * n, 2);
        let bias = values(n, 3);
        let wide = values(m * (k + 3) + k * m, 1);
        let layouts = [
            Strided {
                data: &wide,
                row: k,
                col: 1,
            },
            Strided {
                data: &wide,
                row: 1,
                col: m,
            },
            // A narrowed view: k of every k + 3 columns, starting at column 2.
            Strided {
                data: &wide[2.min(wide.len())..],
                row: k + 3,
                col: 1,
            },
        ];
        for a in layouts {
            for with_bias in [false, true] {
                let zero = vec![0.0f32; n];
                let want = naive(m, k, n, a, &b, if with_bias { &bias } else { &zero });
                let mut got = vec![f32::NAN; m * n];
                matmul(m, k, n, a, &b, with_bias.then_some(&bias[..]), &mut got);
                for (x, y) in got.iter().zip(&want) {
                    assert!(
                        (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                        "{m}x{k}x{n}: {x} vs {y}"
                    );
                }
            }
        }
    }
}

/// The SIMD core behind rand's buffer gives `rand_chacha`'s ChaCha12 word for word: `u32`s,
/// `u64`s at odd offsets (which straddle the buffer's refills), for several seeds; and its
/// first words for seed 42 are the pinned ones.
pub fn check_chacha_against_rand_chacha() {
    for seed in [0u64, 1, 42, u64::MAX] {
        let mut ours = BlockRng::<Core>::seed_from_u64(seed);
        let mut theirs = crate::rng::Rng::seed_from_u64(seed);
        for _ in 0..1000 {
            assert_eq!(ours.next_u32(), theirs.next_u32(), "seed {seed}");
        }
        for _ in 0..1000 {
            assert_eq!(ours.next_u64(), theirs.next_u64(), "seed {seed}");
            assert_eq!(ours.next_u32(), theirs.next_u32(), "seed {seed}");
        }
    }
    let mut ours = BlockRng::<Core>::seed_from_u64(42);
    let first: Vec<u32> = (0..4).map(|_| ours.next_u32()).collect();
    assert_eq!(first, CHACHA12_SEED_42);
}
