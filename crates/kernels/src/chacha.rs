//! ChaCha12 with WebAssembly SIMD: the same numbers as [`crate::rng::Rng`], faster in the browser.
//!
//! Why by hand: the training noise (`[batch, T, z]` standard normals a batch, 640,000 an epoch at
//! the defaults) comes from ChaCha12 ([`crate::rng::Rng`], which was rand's `StdRng`). Natively rand computes four ChaCha blocks
//! at once with SSE or AVX, but in WebAssembly it falls back to scalar code, and the generator
//! took 7 % of the browser's training time (`bench/browser-profile.js`). [`Core`] computes the
//! same four blocks with one block in each lane of a 128-bit vector, and plugs into
//! `rand_core`'s own `BlockRng`, so buffering, `next_u64` and seeding (`seed_from_u64`) are
//! rand's code: [`NoiseRng`] and [`crate::rng::Rng`] give the same stream from the same seed, which the
//! tests check word for word, so a seed trains the same model in the browser and natively.

use rand_core::block::BlockRngCore;
use rand_core::SeedableRng;

/// The generator of the training noise: in WebAssembly [`Core`] behind `rand_core`'s buffer,
/// natively `rand_chacha`'s (whose SSE/AVX code is faster there). Both give the same stream.
#[cfg(target_arch = "wasm32")]
pub type NoiseRng = rand_core::block::BlockRng<Core>;
/// The generator of the training noise: in WebAssembly [`Core`] behind `rand_core`'s buffer,
/// natively `rand_chacha`'s (whose SSE/AVX code is faster there). Both give the same stream.
#[cfg(not(target_arch = "wasm32"))]
pub type NoiseRng = crate::rng::Rng;

/// ChaCha with 12 rounds, a 64-bit block counter and stream 0, four blocks per call: the
/// layout of `rand_chacha`'s `ChaCha12Core`.
#[derive(Clone, Debug)]
pub struct Core {
    key: [u32; 8],
    counter: u64,
}

impl SeedableRng for Core {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Core {
        let key = std::array::from_fn(|i| {
            u32::from_le_bytes([
                seed[4 * i],
                seed[4 * i + 1],
                seed[4 * i + 2],
                seed[4 * i + 3],
            ])
        });
        Core { key, counter: 0 }
    }
}

impl BlockRngCore for Core {
    type Item = u32;
    type Results = Blocks;

    fn generate(&mut self, results: &mut Blocks) {
        let results = &mut results.0;
        const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
        let counters: [u64; 4] = std::array::from_fn(|i| self.counter.wrapping_add(i as u64));
        let mut init = [U4::splat(0); 16];
        for (w, &c) in SIGMA.iter().enumerate() {
            init[w] = U4::splat(c);
        }
        for (w, &k) in self.key.iter().enumerate() {
            init[4 + w] = U4::splat(k);
        }
        init[12] = U4::from(counters.map(|c| c as u32));
        init[13] = U4::from(counters.map(|c| (c >> 32) as u32));
        let mut x = init;
        for _ in 0..6 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        for (w, (v, i)) in x.iter().zip(&init).enumerate() {
            let lanes = v.add(*i).lanes();
            for (block, &word) in lanes.iter().enumerate() {
                results[16 * block + w] = word;
            }
        }
        self.counter = self.counter.wrapping_add(4);
    }
}

/// Four blocks of sixteen words (`[u32; 64]` has no `Default`, which `BlockRng` needs).
#[derive(Clone, Debug)]
pub struct Blocks([u32; 64]);

impl Default for Blocks {
    fn default() -> Blocks {
        Blocks([0; 64])
    }
}

impl AsRef<[u32]> for Blocks {
    fn as_ref(&self) -> &[u32] {
        &self.0
    }
}

impl AsMut<[u32]> for Blocks {
    fn as_mut(&mut self) -> &mut [u32] {
        &mut self.0
    }
}

#[inline(always)]
fn quarter(x: &mut [U4; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotl::<16>();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotl::<12>();
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotl::<8>();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotl::<7>();
}

/// Four `u32` lanes: WebAssembly's `v128` where the build has SIMD, a plain array elsewhere
/// (where only the tests use it).
#[derive(Clone, Copy)]
struct U4(Lanes);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Lanes = core::arch::wasm32::v128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Lanes = [u32; 4];

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl U4 {
    #[inline(always)]
    fn splat(v: u32) -> U4 {
        U4(core::arch::wasm32::u32x4_splat(v))
    }
    #[inline(always)]
    fn from(v: [u32; 4]) -> U4 {
        U4(core::arch::wasm32::u32x4(v[0], v[1], v[2], v[3]))
    }
    #[inline(always)]
    fn lanes(self) -> [u32; 4] {
        use core::arch::wasm32::u32x4_extract_lane as lane;
        [
            lane::<0>(self.0),
            lane::<1>(self.0),
            lane::<2>(self.0),
            lane::<3>(self.0),
        ]
    }
    #[inline(always)]
    fn add(self, o: U4) -> U4 {
        U4(core::arch::wasm32::i32x4_add(self.0, o.0))
    }
    #[inline(always)]
    fn xor(self, o: U4) -> U4 {
        U4(core::arch::wasm32::v128_xor(self.0, o.0))
    }
    #[inline(always)]
    fn rotl<const N: u32>(self) -> U4 {
        use core::arch::wasm32::{i32x4_shl, u32x4_shr, v128_or};
        U4(v128_or(i32x4_shl(self.0, N), u32x4_shr(self.0, 32 - N)))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl U4 {
    fn splat(v: u32) -> U4 {
        U4([v; 4])
    }
    fn from(v: [u32; 4]) -> U4 {
        U4(v)
    }
    fn lanes(self) -> [u32; 4] {
        self.0
    }
    fn add(self, o: U4) -> U4 {
        U4(std::array::from_fn(|l| self.0[l].wrapping_add(o.0[l])))
    }
    fn xor(self, o: U4) -> U4 {
        U4(std::array::from_fn(|l| self.0[l] ^ o.0[l]))
    }
    fn rotl<const N: u32>(self) -> U4 {
        U4(self.0.map(|v| v.rotate_left(N)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_core::block::BlockRng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn gives_the_same_words_as_rand_chacha() {
        crate::testing::check_chacha_against_rand_chacha();
    }

    /// The normals and ranges the trainer draws, through rand's own code on both generators.
    #[test]
    fn gives_the_same_normals_and_ranges() {
        for seed in [0u64, 1, 42, u64::MAX] {
            let mut ours = BlockRng::<Core>::seed_from_u64(seed);
            let mut theirs = crate::rng::Rng::seed_from_u64(seed);
            for _ in 0..1000 {
                let (a, b): (f32, f32) = (
                    StandardNormal.sample(&mut ours),
                    StandardNormal.sample(&mut theirs),
                );
                assert_eq!(a.to_bits(), b.to_bits(), "seed {seed}");
                assert_eq!(ours.random_range(0..17), theirs.random_range(0..17));
            }
        }
    }
}
