//! The kernels as the browser runs them: compiled to WebAssembly with SIMD (`+simd128`, set for
//! this target in `.cargo/config.toml`) and run in a dedicated worker of headless Chromium,
//! held to the same checks as natively. Natively these checks reach only the scalar fallback
//! lanes; here they exercise the `v128` code that ships. Run with
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p vrnn-kernels --test wasm`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Fails the build of this test if the SIMD paths are not compiled in: without `simd128` this
/// file would silently test the fallback lanes again.
#[cfg(not(target_feature = "simd128"))]
compile_error!("tests/wasm.rs must be built with -C target-feature=+simd128");

#[wasm_bindgen_test]
fn matrix_kernel_matches_a_naive_product_in_every_layout_and_size() {
    vrnn_kernels::testing::check_matmul_against_naive();
}

#[wasm_bindgen_test]
fn simd_chacha_gives_rand_chachas_stream_and_the_pinned_words() {
    vrnn_kernels::testing::check_chacha_against_rand_chacha();
}

/// The generator the browser trains with is the SIMD core, and it gives the pinned stream.
#[wasm_bindgen_test]
fn the_browsers_noise_generator_is_the_simd_core() {
    use rand_core::{RngCore, SeedableRng};
    let mut noise = vrnn_kernels::chacha::NoiseRng::seed_from_u64(42);
    let first: Vec<u32> = (0..4).map(|_| noise.next_u32()).collect();
    assert_eq!(first, vrnn_kernels::testing::CHACHA12_SEED_42);
    assert_eq!(
        std::any::type_name::<vrnn_kernels::chacha::NoiseRng>(),
        std::any::type_name::<rand_core::block::BlockRng<vrnn_kernels::chacha::Core>>()
    );
}
