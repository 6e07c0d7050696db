//! Matrix products for the model's small layers in WebAssembly, written by hand.
//!
//! Why by hand: burn's CPU backend multiplies with the gemm crate, and gemm's WebAssembly
//! kernels are slower at the VRNN's sizes (`[400, 32..97] x [32..97, 64..128]` and the
//! backward pass's `[97, 400] x [400, 128]`). `bash bench/wasm-kernels/run.sh` runs both on
//! this very file in Node's V8: gemm 16–31 GFLOP/s, this kernel 23–40, 1.1–1.6 times gemm
//! (docs/benchmarks.md). Wider tiles, packing and unrolling were all slower in V8, most likely
//! because V8 gives a wasm function fewer vector registers than such tiles need.
//!
//! This kernel keeps 4 rows by 8 columns in 8 registers, reads `B` in place (its rows are the
//! weights' rows, contiguous) and `A` through any strides, so transposed and narrowed operands
//! need no copy, and starts from the bias, so `x W + b` is one pass.
//!
//! Natively the model uses it too, so that the CLI runs the browser's arithmetic: on AVX-512 or
//! AVX lanes where the machine has them (the `avx512` and `avx` modules below, chosen at run
//! time, the same bits), on the portable lanes elsewhere. The tests check it against a naive product and PyTorch's golden
//! training step, and gemm stays for comparison (`vrnn_engine::model::use_gemm_natively`).

/// Four `f32` lanes: WebAssembly's `v128` where the build has SIMD, a plain array elsewhere
/// (which the compiler maps onto SSE registers).
#[derive(Clone, Copy)]
struct F4(Lanes);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Lanes = core::arch::wasm32::v128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Lanes = [f32; 4];

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl F4 {
    #[inline(always)]
    fn splat(x: f32) -> F4 {
        F4(core::arch::wasm32::f32x4_splat(x))
    }
    /// # Safety
    /// `p..p + 4` must be readable.
    #[inline(always)]
    unsafe fn load(p: *const f32) -> F4 {
        F4(core::arch::wasm32::v128_load(p as *const Lanes))
    }
    /// # Safety
    /// `p..p + 4` must be writable.
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        core::arch::wasm32::v128_store(p as *mut Lanes, self.0)
    }
    /// `self + a b`, as a multiply and an add (WebAssembly's SIMD has no fused multiply-add).
    #[inline(always)]
    fn mul_add(self, a: F4, b: F4) -> F4 {
        use core::arch::wasm32::{f32x4_add, f32x4_mul};
        F4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl F4 {
    #[inline(always)]
    fn splat(x: f32) -> F4 {
        F4([x; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> F4 {
        F4(std::ptr::read_unaligned(p as *const Lanes))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        std::ptr::write_unaligned(p as *mut Lanes, self.0)
    }
    #[inline(always)]
    fn mul_add(self, a: F4, b: F4) -> F4 {
        F4(std::array::from_fn(|l| self.0[l] + a.0[l] * b.0[l]))
    }
}

/// An operand `A` of `m x k` in any layout: element `(i, p)` is `data[i * row + p * col]`.
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a> {
    pub data: &'a [f32],
    pub row: usize,
    pub col: usize,
}

/// `c = a b (+ bias)`: `a` is `m x k` (any strides), `b` is `k x n` row-major, `bias` has `n`
/// values added to every row, `c` is `m x n` row-major and is overwritten.
///
/// # Panics
/// If a slice is too short for the sizes given.
pub fn matmul(
    m: usize,
    k: usize,
    n: usize,
    a: Strided<'_>,
    b: &[f32],
    bias: Option<&[f32]>,
    c: &mut [f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    if k > 0 {
        let last = (m - 1) * a.row + (k - 1) * a.col;
        assert!(a.data.len() > last, "matmul: A is too short");
    }
    assert!(b.len() >= k * n, "matmul: B is too short");
    assert!(c.len() >= m * n, "matmul: C is too short");
    if let Some(bias) = bias {
        assert!(bias.len() >= n, "matmul: bias is too short");
    }
    let zeros;
    let bias = match bias {
        Some(bias) => bias,
        None => {
            zeros = vec![0.0f32; n];
            &zeros
        }
    };
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is there; the assertions above bound every index read or written.
        unsafe { avx512::matmul(m, k, n, a, b, bias, c) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is there; the assertions above bound every index read or written.
        unsafe { avx::matmul(m, k, n, a, b, bias, c) };
        return;
    }
    // SAFETY: the assertions above bound every index the row blocks read or write.
    unsafe { portable(m, k, n, a, b, bias, c) };
}

/// The kernel on [`F4`] lanes: WebAssembly's, and natively where there is no AVX.
///
/// # Safety
/// The slices must be as long as [`matmul`] checks.
unsafe fn portable(
    m: usize,
    k: usize,
    n: usize,
    a: Strided<'_>,
    b: &[f32],
    bias: &[f32],
    c: &mut [f32],
) {
    unsafe {
        let mut i = 0;
        while i + 4 <= m {
            rows::<4>(i, k, n, a, b, bias, c);
            i += 4;
        }
        while i < m {
            rows::<1>(i, k, n, a, b, bias, c);
            i += 1;
        }
    }
}

/// Rows `i..i + MR` of `c`: 8 columns at a time, then 4, then one by one.
#[inline(always)]
unsafe fn rows<const MR: usize>(
    i: usize,
    k: usize,
    n: usize,
    a: Strided<'_>,
    b: &[f32],
    bias: &[f32],
    c: &mut [f32],
) {
    let a_ptr = a.data.as_ptr().add(i * a.row);
    let c_ptr = c.as_mut_ptr().add(i * n);
    let b_ptr = b.as_ptr();
    let mut j = 0;
    while j + 8 <= n {
        let start = [
            F4::load(bias.as_ptr().add(j)),
            F4::load(bias.as_ptr().add(j + 4)),
        ];
        let mut acc = [start; MR];
        for p in 0..k {
            let bp = b_ptr.add(p * n + j);
            let (b0, b1) = (F4::load(bp), F4::load(bp.add(4)));
            let ap = a_ptr.add(p * a.col);
            for (r, acc) in acc.iter_mut().enumerate() {
                let x = F4::splat(*ap.add(r * a.row));
                acc[0] = acc[0].mul_add(x, b0);
                acc[1] = acc[1].mul_add(x, b1);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            acc[0].store(c_ptr.add(r * n + j));
            acc[1].store(c_ptr.add(r * n + j + 4));
        }
        j += 8;
    }
    if j + 4 <= n {
        let mut acc = [F4::load(bias.as_ptr().add(j)); MR];
        for p in 0..k {
            let b0 = F4::load(b_ptr.add(p * n + j));
            let ap = a_ptr.add(p * a.col);
            for (r, acc) in acc.iter_mut().enumerate() {
                *acc = acc.mul_add(F4::splat(*ap.add(r * a.row)), b0);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            acc.store(c_ptr.add(r * n + j));
        }
        j += 4;
    }
    while j < n {
        for r in 0..MR {
            let mut s = bias[j];
            for p in 0..k {
                s += *a_ptr.add(r * a.row + p * a.col) * *b_ptr.add(p * n + j);
            }
            *c_ptr.add(r * n + j) = s;
        }
        j += 1;
    }
}

/// The same kernel natively on x86-64 with AVX: 4 rows by 16 columns in 8 of the 16 `ymm`
/// registers, chosen at run time. Why: natively this kernel ran at 14-18 GFLOP/s on SSE lanes,
/// where V8 runs the WebAssembly build at 33-54, and the CLI multiplies with it so that it trains
/// the browser's model bit for bit. Every element is still its bias plus `a b` added one `p`
/// after the other, a multiply then an add (no fused multiply-add), so the wider lanes change
/// the speed and not one bit (`the_wide_kernels_give_the_portable_kernels_bits`).
#[cfg(target_arch = "x86_64")]
mod avx {
    use core::arch::x86_64::*;

    use super::Strided;

    /// # Safety
    /// AVX must be available and the slices as long as [`super::matmul`] checks.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn matmul(
        m: usize,
        k: usize,
        n: usize,
        a: Strided<'_>,
        b: &[f32],
        bias: &[f32],
        c: &mut [f32],
    ) {
        unsafe { columns_from(0, m, k, n, a, b, bias, c) }
    }

    /// Columns `j0..n` of `c` (the AVX-512 kernel leaves it the last few).
    ///
    /// # Safety
    /// As [`matmul`].
    #[target_feature(enable = "avx")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn columns_from(
        j0: usize,
        m: usize,
        k: usize,
        n: usize,
        a: Strided<'_>,
        b: &[f32],
        bias: &[f32],
        c: &mut [f32],
    ) {
        unsafe {
            let mut i = 0;
            while i + 4 <= m {
                rows::<4>(i, j0, k, n, a, b, bias, c);
                i += 4;
            }
            while i < m {
                rows::<1>(i, j0, k, n, a, b, bias, c);
                i += 1;
            }
        }
    }

    /// Rows `i..i + MR` of `c` from column `j0`: 16 columns at a time, then 8, then 4, then one
    /// by one.
    #[target_feature(enable = "avx")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn rows<const MR: usize>(
        i: usize,
        j0: usize,
        k: usize,
        n: usize,
        a: Strided<'_>,
        b: &[f32],
        bias: &[f32],
        c: &mut [f32],
    ) {
        unsafe {
            let a_ptr = a.data.as_ptr().add(i * a.row);
            let c_ptr = c.as_mut_ptr().add(i * n);
            let b_ptr = b.as_ptr();
            let bias = bias.as_ptr();
            let mut j = j0;
            while j + 16 <= n {
                let start = [
                    _mm256_loadu_ps(bias.add(j)),
                    _mm256_loadu_ps(bias.add(j + 8)),
                ];
                let mut acc = [start; MR];
                for p in 0..k {
                    let bp = b_ptr.add(p * n + j);
                    let (b0, b1) = (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)));
                    let ap = a_ptr.add(p * a.col);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm256_set1_ps(*ap.add(r * a.row));
                        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(x, b0));
                        acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(x, b1));
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm256_storeu_ps(c_ptr.add(r * n + j), acc[0]);
                    _mm256_storeu_ps(c_ptr.add(r * n + j + 8), acc[1]);
                }
                j += 16;
            }
            if j + 8 <= n {
                let mut acc = [_mm256_loadu_ps(bias.add(j)); MR];
                for p in 0..k {
                    let b0 = _mm256_loadu_ps(b_ptr.add(p * n + j));
                    let ap = a_ptr.add(p * a.col);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm256_set1_ps(*ap.add(r * a.row));
                        *acc = _mm256_add_ps(*acc, _mm256_mul_ps(x, b0));
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm256_storeu_ps(c_ptr.add(r * n + j), *acc);
                }
                j += 8;
            }
            if j + 4 <= n {
                let mut acc = [_mm_loadu_ps(bias.add(j)); MR];
                for p in 0..k {
                    let b0 = _mm_loadu_ps(b_ptr.add(p * n + j));
                    let ap = a_ptr.add(p * a.col);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm_set1_ps(*ap.add(r * a.row));
                        *acc = _mm_add_ps(*acc, _mm_mul_ps(x, b0));
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm_storeu_ps(c_ptr.add(r * n + j), *acc);
                }
                j += 4;
            }
            while j < n {
                for r in 0..MR {
                    let mut s = *bias.add(j);
                    for p in 0..k {
                        s += *a_ptr.add(r * a.row + p * a.col) * *b_ptr.add(p * n + j);
                    }
                    *c_ptr.add(r * n + j) = s;
                }
                j += 1;
            }
        }
    }
}

/// The same kernel on AVX-512 lanes where the machine has them: 8 rows by 32 columns in 16 of
/// the 32 `zmm` registers, twice the AVX kernel's work per step, with the last columns (fewer
/// than 16) left to the AVX kernel. The same order of operations per element, so the same bits
/// (`the_wide_kernels_give_the_portable_kernels_bits`).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use core::arch::x86_64::*;

    use super::Strided;

    /// # Safety
    /// AVX-512F must be available and the slices as long as [`super::matmul`] checks.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn matmul(
        m: usize,
        k: usize,
        n: usize,
        a: Strided<'_>,
        b: &[f32],
        bias: &[f32],
        c: &mut [f32],
    ) {
        let wide = n - n % 16;
        unsafe {
            let mut i = 0;
            while i + 8 <= m {
                rows::<8>(i, wide, k, n, a, b, bias, c);
                i += 8;
            }
            while i < m {
                rows::<1>(i, wide, k, n, a, b, bias, c);
                i += 1;
            }
            if wide < n {
                super::avx::columns_from(wide, m, k, n, a, b, bias, c);
            }
        }
    }

    /// Rows `i..i + MR` of `c`, columns `0..wide` (a multiple of 16): 32 at a time, then 16.
    #[target_feature(enable = "avx512f")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn rows<const MR: usize>(
        i: usize,
        wide: usize,
        k: usize,
        n: usize,
        a: Strided<'_>,
        b: &[f32],
        bias: &[f32],
        c: &mut [f32],
    ) {
        unsafe {
            let a_ptr = a.data.as_ptr().add(i * a.row);
            let c_ptr = c.as_mut_ptr().add(i * n);
            let b_ptr = b.as_ptr();
            let bias = bias.as_ptr();
            let mut j = 0;
            while j + 32 <= wide {
                let start = [
                    _mm512_loadu_ps(bias.add(j)),
                    _mm512_loadu_ps(bias.add(j + 16)),
                ];
                let mut acc = [start; MR];
                for p in 0..k {
                    let bp = b_ptr.add(p * n + j);
                    let (b0, b1) = (_mm512_loadu_ps(bp), _mm512_loadu_ps(bp.add(16)));
                    let ap = a_ptr.add(p * a.col);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*ap.add(r * a.row));
                        acc[0] = _mm512_add_ps(acc[0], _mm512_mul_ps(x, b0));
                        acc[1] = _mm512_add_ps(acc[1], _mm512_mul_ps(x, b1));
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm512_storeu_ps(c_ptr.add(r * n + j), acc[0]);
                    _mm512_storeu_ps(c_ptr.add(r * n + j + 16), acc[1]);
                }
                j += 32;
            }
            if j + 16 <= wide {
                let mut acc = [_mm512_loadu_ps(bias.add(j)); MR];
                for p in 0..k {
                    let b0 = _mm512_loadu_ps(b_ptr.add(p * n + j));
                    let ap = a_ptr.add(p * a.col);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*ap.add(r * a.row));
                        *acc = _mm512_add_ps(*acc, _mm512_mul_ps(x, b0));
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm512_storeu_ps(c_ptr.add(r * n + j), *acc);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of the kernel (4-row and single-row blocks; 8-, 4- and 1-column blocks) on
    /// row-major, transposed and narrowed operands, with and without a bias.
    #[test]
    fn matches_a_naive_product_in_every_layout_and_size() {
        crate::testing::check_matmul_against_naive();
    }

    /// The AVX and AVX-512 paths and the WebAssembly build's lanes (here their portable form)
    /// round alike: bit-identical products in every block shape, layout and size.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_wide_kernels_give_the_portable_kernels_bits() {
        let (has_avx, has_avx512) = (
            std::arch::is_x86_feature_detected!("avx"),
            std::arch::is_x86_feature_detected!("avx512f"),
        );
        if !has_avx {
            eprintln!("SKIPPED: this machine has no AVX");
            return;
        }
        if !has_avx512 {
            eprintln!("SKIPPED (in part): this machine has no AVX-512F, its kernel is not checked");
        }
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 7, 29),
            (9, 33, 64),
            (13, 65, 128),
            (17, 20, 61),
            (400, 97, 100),
        ] {
            let a = crate::testing::values(m * k, 1);
            let b = crate::testing::values(k * n, 2);
            let bias = crate::testing::values(n, 3);
            for (row, col) in [(k, 1), (1, m)] {
                let a = Strided { data: &a, row, col };
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                let mut narrow = vec![f32::NAN; m * n];
                // SAFETY: every slice is as long as the sizes say.
                unsafe { portable(m, k, n, a, &b, &bias, &mut narrow) };
                let mut wide = vec![f32::NAN; m * n];
                // SAFETY: AVX is there; every slice is as long as the sizes say.
                unsafe { avx::matmul(m, k, n, a, &b, &bias, &mut wide) };
                assert_eq!(
                    bits(&wide),
                    bits(&narrow),
                    "AVX, {m}x{k}x{n}, strides {row},{col}"
                );
                if has_avx512 {
                    let mut widest = vec![f32::NAN; m * n];
                    // SAFETY: AVX-512F is there; every slice is as long as the sizes say.
                    unsafe { avx512::matmul(m, k, n, a, &b, &bias, &mut widest) };
                    let what = format!("AVX-512, {m}x{k}x{n}, strides {row},{col}");
                    assert_eq!(bits(&widest), bits(&narrow), "{what}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "A is too short")]
    fn refuses_short_operands() {
        let mut c = vec![0.0; 4];
        matmul(
            2,
            2,
            2,
            Strided {
                data: &[1.0; 3],
                row: 2,
                col: 1,
            },
            &[1.0; 4],
            None,
            &mut c,
        );
    }
}
