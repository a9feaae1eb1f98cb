//! The engine's inner loops: the convolution as a matrix product per output pixel (its window
//! read in place) and the depthwise convolution.
//!
//! The 1×1 convolution finishes each sum where it is made: what the model does next to that
//! output — add the block's shortcut, then ReLU or PReLU — is folded in at load (see
//! [`Post`]), so the values are stored once instead of being read and written again by each of
//! those nodes. With `simd128` on wasm the products are written with its vector instructions;
//! elsewhere the same tiling in plain Rust, which the compiler vectorizes.

use super::tflite::Activation;

/// What becomes of a convolution's sum before it is stored: `act(sum + residual)`.
#[derive(Clone, Copy)]
pub struct Post<'a> {
    /// Added to the sums, laid out like the output (the shortcut of a residual block).
    pub residual: Option<&'a [f32]>,
    /// Then this activation.
    pub act: Act<'a>,
}

/// An activation applied to stored values.
#[derive(Clone, Copy)]
pub enum Act<'a> {
    /// One of the activations TFLite fuses into its operators.
    Fused(Activation),
    /// `x` where positive, else `alpha[channel] · x`.
    Prelu(&'a [f32]),
}

impl Post<'_> {
    /// The finished value of the sum `x` at flat index `at`, channel `o`.
    #[inline(always)]
    fn apply(&self, x: f32, at: usize, o: usize) -> f32 {
        let x = match self.residual {
            Some(r) => x + r[at],
            None => x,
        };
        match self.act {
            Act::Fused(a) => activate(x, a),
            Act::Prelu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    x * alpha[o]
                }
            }
        }
    }

    /// Stores the sums `values` of channels `o..o + n` at flat index `at`, finished: one step
    /// at a time over the run (each a plain loop), not every step for each value.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    #[inline(always)]
    fn store(&self, values: &[f32], at: usize, o: usize, dst: &mut [f32]) {
        let n = values.len();
        let out = &mut dst[at..at + n];
        out.copy_from_slice(values);
        if let Some(r) = self.residual {
            out.iter_mut().zip(&r[at..at + n]).for_each(|(s, &x)| *s += x);
        }
        match self.act {
            Act::Fused(Activation::None) => {}
            Act::Fused(a) => out.iter_mut().for_each(|s| *s = activate(*s, a)),
            Act::Prelu(alpha) => out.iter_mut().zip(&alpha[o..o + n]).for_each(|(s, &a)| {
                if *s < 0.0 {
                    *s *= a;
                }
            }),
        }
    }
}

/// `x` under one of TFLite's fused activations.
#[inline(always)]
pub fn activate(x: f32, a: Activation) -> f32 {
    match a {
        Activation::None => x,
        Activation::Relu => relu(x),
        Activation::ReluN1To1 => clamp(x, -1.0, 1.0),
        Activation::Relu6 => clamp(x, 0.0, 6.0),
    }
}

// Compare-and-select rather than f32::max: on wasm `max` becomes a call (NaN rules); this inlines.
/// `max(x, 0)`.
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `x` limited to `lo..=hi`.
#[inline(always)]
pub fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// A convolution as the kernels see it: the `i`-th input of an output pixel whose window starts
/// at `base` is `src[base + offsets[i]]` (for a 1×1 convolution, `offsets` is `0..ci`; for a
/// larger window, the taps of the window, row by row), and `weights` is `[inputs][co]`.
#[derive(Clone, Copy)]
pub struct Product<'a> {
    /// The input tensor.
    pub src: &'a [f32],
    /// The offset of each input from the window's start.
    pub offsets: &'a [usize],
    /// The output pixels computed, with where their windows start.
    pub pixels: Pixels<'a>,
    /// `[inputs][co]`.
    pub weights: &'a [f32],
    /// One per output channel, or none.
    pub bias: Option<&'a [f32]>,
    /// Output channels.
    pub co: usize,
}

/// Output pixels with the start of their input windows.
#[derive(Clone, Copy)]
pub enum Pixels<'a> {
    /// Every pixel of the output, each window right after the last (a 1×1 convolution over
    /// `ci` channels).
    Contiguous {
        /// How many pixels.
        count: usize,
        /// Input channels a pixel.
        ci: usize,
    },
    /// These `[output pixel, start of its window in the input]`.
    Listed(&'a [[usize; 2]]),
}

impl Pixels<'_> {
    /// How many.
    pub fn count(&self) -> usize {
        match self {
            Pixels::Contiguous { count, .. } => *count,
            Pixels::Listed(list) => list.len(),
        }
    }

    /// The `j`-th: `[output pixel, start of its window]`.
    #[inline(always)]
    fn get(&self, j: usize) -> [usize; 2] {
        match self {
            Pixels::Contiguous { ci, .. } => [j, j * ci],
            Pixels::Listed(list) => list[j],
        }
    }
}

/// A 1×1 convolution: `dst[p][o] = post(bias[o] + Σ_i src[p][i] · w[i][o])` for every pixel `p`
/// of `src` (`ci` values each) and output channel `o` of `co`.
pub fn pointwise(
    src: &[f32],
    weights: &[f32],
    bias: Option<&[f32]>,
    [ci, co]: [usize; 2],
    post: &Post,
    dst: &mut [f32],
) {
    let offsets: Vec<usize> = (0..ci).collect();
    let count = src.len() / ci.max(1);
    assert!(src.len() == count * ci, "the input is not whole pixels");
    let pixels = Pixels::Contiguous { count, ci };
    convolve(&Product { src, offsets: &offsets, pixels, weights, bias, co }, post, dst);
}

/// A convolution as a matrix product per output pixel:
/// `dst[p][o] = post(bias[o] + Σ_i input_i(p) · w[i][o])` for the pixels of `m`, with the inputs
/// read in place (see [`Product`]).
///
/// Tiled four pixels × eight output channels: the 32 sums stay in registers while the loop runs
/// over the inputs, loading one row of weights and four inputs per step.
pub fn convolve(m: &Product, post: &Post, dst: &mut [f32]) {
    let (k, co) = (m.offsets.len(), m.co);
    let reach = m.offsets.iter().max().map_or(0, |&r| r + 1);
    let n = m.pixels.count();
    assert!(
        k > 0
            && m.weights.len() == k * co
            && dst.len() % co.max(1) == 0
            && m.bias.is_none_or(|b| b.len() == co)
            && post.residual.is_none_or(|r| r.len() == dst.len())
            && match post.act {
                Act::Prelu(alpha) => alpha.len() == co,
                Act::Fused(_) => true,
            }
            && (0..n).all(|j| {
                let [p, base] = m.pixels.get(j);
                (p + 1) * co <= dst.len() && base + reach <= m.src.len()
            }),
        "convolution shapes do not agree"
    );
    let full = n / 4 * 4;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = simd::tiles(m, full, post, dst);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = portable_tiles(m, full, post, dst);
    // What the tiles left: the last channels of each tiled pixel, and the last pixels.
    for j in 0..n {
        let from = if j < full { done } else { 0 };
        rest_of_pixel(m, m.pixels.get(j), from, post, dst);
    }
}

/// Four pixels × eight channels at a time over the first `full` pixels; returns how many output
/// channels of those pixels it wrote.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn portable_tiles(m: &Product, full: usize, post: &Post, dst: &mut [f32]) -> usize {
    const C: usize = 8;
    let (co, k) = (m.co, m.offsets.len());
    let tiled = co / C * C;
    // Listed windows are gathered, four at a time, into rows like a 1×1 convolution's: the loop
    // below then reads plain slices, which the compiler vectorizes.
    let mut gathered = vec![0f32; 4 * k];
    let in_place =
        matches!(m.pixels, Pixels::Contiguous { .. }) && m.offsets.iter().enumerate().all(|(i, &o)| i == o);
    for j0 in (0..full).step_by(4) {
        let tile: [[usize; 2]; 4] = std::array::from_fn(|t| m.pixels.get(j0 + t));
        let x: [&[f32]; 4] = match in_place {
            true => std::array::from_fn(|t| &m.src[tile[t][1]..tile[t][1] + k]),
            false => {
                for (row, &[_, base]) in gathered.chunks_exact_mut(k).zip(&tile) {
                    for (v, &off) in row.iter_mut().zip(m.offsets) {
                        *v = m.src[base + off];
                    }
                }
                std::array::from_fn(|t| &gathered[t * k..(t + 1) * k])
            }
        };
        for o0 in (0..tiled).step_by(C) {
            let acc = tile_sums(&x, m.weights, m.bias, co, o0);
            for (a, &[p, _]) in acc.iter().zip(&tile) {
                post.store(a, p * co + o0, o0, dst);
            }
        }
    }
    tiled
}

/// The sums of four pixels' inputs `x` (each as long as a weight column) × channels
/// `o0..o0 + 8`. A function of its own: inlined into the tile loop, the compiler keeps fewer of
/// the 32 sums in registers (the scalar build ran 1.5× slower).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(never)]
fn tile_sums(x: &[&[f32]; 4], weights: &[f32], bias: Option<&[f32]>, co: usize, o0: usize) -> [[f32; 8]; 4] {
    const C: usize = 8;
    let mut acc = [[0f32; C]; 4];
    if let Some(b) = bias {
        acc.iter_mut().for_each(|a| a.copy_from_slice(&b[o0..o0 + C]));
    }
    for i in 0..x[0].len() {
        let w: &[f32; C] = weights[i * co + o0..i * co + o0 + C].try_into().unwrap_or(&[0.0; C]);
        for (a, xt) in acc.iter_mut().zip(x) {
            let v = xt[i];
            for j in 0..C {
                a[j] += v * w[j];
            }
        }
    }
    acc
}

/// Output channels `from..co` of one output pixel.
fn rest_of_pixel(m: &Product, [p, base]: [usize; 2], from: usize, post: &Post, dst: &mut [f32]) {
    let co = m.co;
    if from >= co {
        return;
    }
    let out = &mut dst[p * co + from..(p + 1) * co];
    match m.bias {
        Some(b) => out.copy_from_slice(&b[from..]),
        None => out.fill(0.0),
    }
    for (i, &off) in m.offsets.iter().enumerate() {
        let v = m.src[base + off];
        for (o, &k) in out.iter_mut().zip(&m.weights[i * co + from..(i + 1) * co]) {
            *o += v * k;
        }
    }
    for (j, o) in out.iter_mut().enumerate() {
        *o = post.apply(*o, p * co + from + j, from + j);
    }
}

/// The geometry of a depthwise convolution (channel multiplier 1).
pub struct Geometry {
    /// Input height, width, channels.
    pub input: [usize; 3],
    /// Output height and width.
    pub output: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Vertical and horizontal stride.
    pub stride: [usize; 2],
    /// Vertical and horizontal dilation.
    pub dilation: [usize; 2],
    /// Padding before the first row and column.
    pub pad: [usize; 2],
}

/// A depthwise convolution: each channel of each output pixel is the bias plus its window of the
/// same channel times that channel's kernel, then `act`. Weights are `[kh][kw][c]`.
pub fn depthwise(
    src: &[f32],
    weights: &[f32],
    bias: Option<&[f32]>,
    g: &Geometry,
    act: Activation,
    dst: &mut [f32],
) {
    let ([h, wd, c], [oh, ow], [kh, kw]) = (g.input, g.output, g.kernel);
    assert!(
        src.len() == h * wd * c
            && weights.len() == kh * kw * c
            && dst.len() == oh * ow * c
            && bias.is_none_or(|b| b.len() == c),
        "depthwise shapes do not agree"
    );
    if g.stride[1] == 1 && g.dilation[1] == 1 {
        depthwise_rows(src, weights, bias, g, dst);
    } else {
        depthwise_pixels(src, weights, bias, g, dst);
    }
    if act != Activation::None {
        dst.iter_mut().for_each(|s| *s = activate(*s, act));
    }
}

/// The input row under kernel row `ky` for output row `oy`, if inside.
#[inline(always)]
fn input_row(g: &Geometry, oy: usize, ky: usize) -> Option<usize> {
    let iy = (oy * g.stride[0] + ky * g.dilation[0]).checked_sub(g.pad[0])?;
    (iy < g.input[0]).then_some(iy)
}

/// The input column under kernel column `kx` for output column `ox`, if inside.
#[inline(always)]
fn input_column(g: &Geometry, ox: usize, kx: usize) -> Option<usize> {
    let ix = (ox * g.stride[1] + kx * g.dilation[1]).checked_sub(g.pad[1])?;
    (ix < g.input[1]).then_some(ix)
}

/// Any stride and dilation, one output pixel at a time.
fn depthwise_pixels(src: &[f32], weights: &[f32], bias: Option<&[f32]>, g: &Geometry, dst: &mut [f32]) {
    let ([_, wd, c], [oh, ow], [kh, kw]) = (g.input, g.output, g.kernel);
    for oy in 0..oh {
        for ox in 0..ow {
            let acc = &mut dst[(oy * ow + ox) * c..][..c];
            match bias {
                Some(b) => acc.copy_from_slice(b),
                None => acc.fill(0.0),
            }
            for ky in 0..kh {
                let Some(iy) = input_row(g, oy, ky) else { continue };
                for kx in 0..kw {
                    let Some(ix) = input_column(g, ox, kx) else { continue };
                    let pixel = &src[(iy * wd + ix) * c..][..c];
                    let tap = &weights[(ky * kw + kx) * c..][..c];
                    for ((s, &v), &k) in acc.iter_mut().zip(pixel).zip(tap) {
                        *s += v * k;
                    }
                }
            }
        }
    }
}

/// Horizontal stride 1, a whole output row per tap: for stride 1 the input pixels under one tap
/// along a row are contiguous, so each (row, tap) is one long loop over `pixels × channels`
/// rather than one short loop per pixel (the channels are few early on).
fn depthwise_rows(src: &[f32], weights: &[f32], bias: Option<&[f32]>, g: &Geometry, dst: &mut [f32]) {
    let ([_, wd, c], [oh, ow], [kh, kw], pl) = (g.input, g.output, g.kernel, g.pad[1]);
    for oy in 0..oh {
        let row = &mut dst[oy * ow * c..(oy + 1) * ow * c];
        match bias {
            Some(b) => row.chunks_exact_mut(c).for_each(|px| px.copy_from_slice(b)),
            None => row.fill(0.0),
        }
        for ky in 0..kh {
            let Some(iy) = input_row(g, oy, ky) else { continue };
            let src_row = &src[iy * wd * c..(iy + 1) * wd * c];
            for kx in 0..kw {
                // Output pixels whose input column ox + kx − pl lies inside the row.
                let first = pl.saturating_sub(kx);
                let last = (wd + pl).saturating_sub(kx).min(ow);
                if first >= last {
                    continue;
                }
                let tap = &weights[(ky * kw + kx) * c..][..c];
                let input = &src_row[(first + kx - pl) * c..(last + kx - pl) * c];
                multiply_add_rows(&mut row[first * c..last * c], input, tap);
            }
        }
    }
}

/// `out[p][j] += input[p][j] · tap[j]` over pixels of `tap.len()` channels.
fn multiply_add_rows(out: &mut [f32], input: &[f32], tap: &[f32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if tap.len() % 4 == 0 {
        simd::multiply_add_rows(out, input, tap);
        return;
    }
    let c = tap.len();
    for (o, i) in out.chunks_exact_mut(c).zip(input.chunks_exact(c)) {
        for ((s, &v), &k) in o.iter_mut().zip(i).zip(tap) {
            *s += v * k;
        }
    }
}

/// The wasm `simd128` versions: four lanes per instruction, loads without bounds checks inside
/// the loops (each function checks its bounds once, up front).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::super::tflite::Activation;
    use super::{Act, Post, Product};
    use core::arch::wasm32::*;

    /// `post` on four sums of channels `o..o + 4` at flat index `at`.
    #[inline(always)]
    fn finish(post: &Post, sums: v128, at: usize, o: usize) -> v128 {
        let x = match post.residual {
            // SAFETY: `convolve` checked that the residual is as long as the output.
            Some(r) => f32x4_add(sums, unsafe { v128_load(r.as_ptr().add(at) as *const v128) }),
            None => sums,
        };
        let zero = f32x4_splat(0.0);
        match post.act {
            Act::Fused(Activation::None) => x,
            Act::Fused(Activation::Relu) => f32x4_pmax(x, zero),
            Act::Fused(Activation::Relu6) => f32x4_pmin(f32x4_pmax(x, zero), f32x4_splat(6.0)),
            Act::Fused(Activation::ReluN1To1) => {
                f32x4_pmin(f32x4_pmax(x, f32x4_splat(-1.0)), f32x4_splat(1.0))
            }
            Act::Prelu(alpha) => {
                // SAFETY: `convolve` checked that there is an alpha per output channel.
                let a = unsafe { v128_load(alpha.as_ptr().add(o) as *const v128) };
                v128_bitselect(x, f32x4_mul(x, a), f32x4_gt(x, zero))
            }
        }
    }

    /// The tiles of [`super::convolve`]: four pixels × eight channels, then four pixels × four
    /// channels where a group of four is left; returns how many channels were written.
    pub fn tiles(m: &Product, full: usize, post: &Post, dst: &mut [f32]) -> usize {
        let by8 = m.co / 8 * 8;
        let by4 = m.co / 4 * 4;
        for j0 in (0..full).step_by(4) {
            let four: [[usize; 2]; 4] = std::array::from_fn(|t| m.pixels.get(j0 + t));
            for o0 in (0..by8).step_by(8) {
                tile::<2>(m, four, o0, post, dst);
            }
            if by4 > by8 {
                tile::<1>(m, four, by8, post, dst);
            }
        }
        by4
    }

    /// Four pixels × channels `o0..o0 + 4·V`.
    #[inline(always)]
    fn tile<const V: usize>(m: &Product, four: [[usize; 2]; 4], o0: usize, post: &Post, dst: &mut [f32]) {
        // `convolve` checked that every pixel's window (base + each offset) lies inside src and
        // its outputs inside dst, and the lengths of weights (inputs·co) and bias (co); the
        // callers keep o0 + 4·V ≤ co.
        let co = m.co;
        let start: [v128; V] = std::array::from_fn(|v| match m.bias {
            // SAFETY: o0 + 4·V ≤ co = bias.len().
            Some(b) => unsafe { v128_load(b.as_ptr().add(o0 + 4 * v) as *const v128) },
            None => f32x4_splat(0.0),
        });
        let mut acc = [start; 4];
        let src = m.src.as_ptr();
        for (i, &off) in m.offsets.iter().enumerate() {
            // SAFETY: row i of the weights holds co ≥ o0 + 4·V values from o0; base + off is
            // inside src for each pixel (checked by `convolve`).
            unsafe {
                let w = m.weights.as_ptr().add(i * co + o0);
                let wv: [v128; V] = std::array::from_fn(|v| v128_load(w.add(4 * v) as *const v128));
                for (a, &[_, base]) in acc.iter_mut().zip(&four) {
                    let xv = v128_load32_splat(src.add(base + off) as *const u32);
                    for v in 0..V {
                        a[v] = f32x4_add(a[v], f32x4_mul(xv, wv[v]));
                    }
                }
            }
        }
        for (a, &[p, _]) in acc.iter().zip(&four) {
            for (v, &sums) in a.iter().enumerate() {
                let at = p * co + o0 + 4 * v;
                let value = finish(post, sums, at, o0 + 4 * v);
                // SAFETY: at + 4 ≤ (p + 1)·co ≤ dst.len().
                unsafe { v128_store(dst.as_mut_ptr().add(at) as *mut v128, value) };
            }
        }
    }

    /// [`super::multiply_add_rows`] for channel counts divisible by four.
    pub fn multiply_add_rows(out: &mut [f32], input: &[f32], tap: &[f32]) {
        let c = tap.len();
        let n = out.len().min(input.len()) / c * c;
        for j in (0..c).step_by(4) {
            // SAFETY: j + 4 ≤ c = tap.len(); every index p + j + 4 below is ≤ n.
            let t = unsafe { v128_load(tap.as_ptr().add(j) as *const v128) };
            let (o, i) = (out.as_mut_ptr(), input.as_ptr());
            for p in (0..n).step_by(c) {
                unsafe {
                    let s = v128_load(o.add(p + j) as *const v128);
                    let v = v128_load(i.add(p + j) as *const v128);
                    v128_store(o.add(p + j) as *mut v128, f32x4_add(s, f32x4_mul(v, t)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm these run under `wasm-bindgen-test-runner` (in Node), so that the simd128 build's
    // kernels are checked too: `scripts/test` runs them.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn pointwise_matches_the_plain_sum() {
        for (ci, co, pixels) in [(3, 5, 7), (16, 24, 9), (8, 28, 4), (5, 8, 3), (12, 36, 10), (4, 2, 5)] {
            pointwise_case(ci, co, pixels);
        }
    }

    fn pointwise_case(ci: usize, co: usize, pixels: usize) {
        let src: Vec<f32> = (0..pixels * ci).map(|i| (i as f32 * 0.37).sin()).collect();
        let weights: Vec<f32> = (0..ci * co).map(|i| (i as f32 * 0.11).cos()).collect();
        let bias: Vec<f32> = (0..co).map(|o| o as f32 * 0.1 - 1.0).collect();
        let residual: Vec<f32> = (0..pixels * co).map(|i| (i as f32 * 0.53).cos()).collect();
        let alpha: Vec<f32> = (0..co).map(|o| 0.1 + o as f32 * 0.01).collect();
        let posts = [
            Post { residual: None, act: Act::Fused(Activation::None) },
            Post { residual: Some(&residual), act: Act::Prelu(&alpha) },
            Post { residual: None, act: Act::Fused(Activation::Relu6) },
            Post { residual: Some(&residual), act: Act::Fused(Activation::Relu) },
        ];
        for post in &posts {
            let mut fast = vec![0.0; pixels * co];
            pointwise(&src, &weights, Some(&bias), [ci, co], post, &mut fast);
            for p in 0..pixels {
                for o in 0..co {
                    let sum = bias[o] + (0..ci).map(|i| src[p * ci + i] * weights[i * co + o]).sum::<f32>();
                    let x = sum + post.residual.map_or(0.0, |r| r[p * co + o]);
                    let plain = match post.act {
                        Act::Prelu(a) => {
                            if x > 0.0 {
                                x
                            } else {
                                a[o] * x
                            }
                        }
                        Act::Fused(a) => activate(x, a),
                    };
                    assert!((fast[p * co + o] - plain).abs() < 1e-4, "{ci}→{co}: pixel {p} channel {o}");
                }
            }
        }
    }

    /// Depthwise convolutions against the plain sum: 3×3 with SAME-like padding, strides 1 and
    /// 2, channel counts with and without groups of four, with ReLU6.
    #[test]
    fn depthwise_matches_the_per_pixel_sum() {
        for (c, stride) in [(3, 1), (8, 1), (8, 2), (6, 2), (12, 1)] {
            let ([h, wd], [kh, kw]) = ([5usize, 6], [3, 3]);
            let [oh, ow] = [h.div_ceil(stride), wd.div_ceil(stride)];
            let src: Vec<f32> = (0..h * wd * c).map(|i| (i as f32 * 0.7).sin() * 4.0).collect();
            let weights: Vec<f32> = (0..kh * kw * c).map(|i| (i as f32 * 0.3).cos()).collect();
            let bias: Vec<f32> = (0..c).map(|i| i as f32 * 0.25 - 0.5).collect();
            let g = Geometry {
                input: [h, wd, c],
                output: [oh, ow],
                kernel: [kh, kw],
                stride: [stride, stride],
                dilation: [1, 1],
                pad: [1, 1],
            };
            let mut fast = vec![0.0; oh * ow * c];
            depthwise(&src, &weights, Some(&bias), &g, Activation::Relu6, &mut fast);
            for (y, x, ch) in
                (0..oh).flat_map(|y| (0..ow).flat_map(move |x| (0..c).map(move |ch| (y, x, ch))))
            {
                let mut sum = bias[ch];
                for (ky, kx) in (0..kh).flat_map(|ky| (0..kw).map(move |kx| (ky, kx))) {
                    let (iy, ix) = ((y * stride + ky) as isize - 1, (x * stride + kx) as isize - 1);
                    if iy >= 0 && iy < h as isize && ix >= 0 && ix < wd as isize {
                        sum +=
                            src[(iy as usize * wd + ix as usize) * c + ch] * weights[(ky * kw + kx) * c + ch];
                    }
                }
                let want = activate(sum, Activation::Relu6);
                assert!(
                    (fast[(y * ow + x) * c + ch] - want).abs() < 1e-5,
                    "c {c} stride {stride} ({y},{x},{ch})"
                );
            }
        }
    }
}
