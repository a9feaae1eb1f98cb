//! The operators of the person-segmentation model that the face models do not use: average
//! pooling, bilinear resizing and MediaPipe's transposed convolution with bias. Plain functions
//! over NHWC slices (batch 1), called by the [engine](super::engine).

use super::tflite::{Padding, Window};

/// Average pooling over `[h, w, c]` into `[oh, ow, c]`; cells of the window that hang over the
/// edge are left out of the mean (TFLite's rule). `win.dilation_*` hold the filter size.
pub fn average_pool(src: &[f32], [h, w, c]: [usize; 3], win: &Window, [oh, ow]: [usize; 2], dst: &mut [f32]) {
    let (fh, fw) = (win.dilation_h, win.dilation_w);
    let (pt, pl) = match win.padding {
        Padding::Valid => (0, 0),
        Padding::Same => (
            ((oh - 1) * win.stride_h + fh).saturating_sub(h) / 2,
            ((ow - 1) * win.stride_w + fw).saturating_sub(w) / 2,
        ),
    };
    for oy in 0..oh {
        let y0 = (oy * win.stride_h) as isize - pt as isize;
        let ys = y0.max(0) as usize..((y0 + fh as isize).min(h as isize)).max(0) as usize;
        for ox in 0..ow {
            let x0 = (ox * win.stride_w) as isize - pl as isize;
            let xs = x0.max(0) as usize..((x0 + fw as isize).min(w as isize)).max(0) as usize;
            let acc = &mut dst[(oy * ow + ox) * c..][..c];
            acc.fill(0.0);
            for y in ys.clone() {
                for x in xs.clone() {
                    for (a, &v) in acc.iter_mut().zip(&src[(y * w + x) * c..][..c]) {
                        *a += v;
                    }
                }
            }
            let n = (ys.len() * xs.len()).max(1) as f32;
            acc.iter_mut().for_each(|a| *a /= n);
        }
    }
}

/// Where output row (or column) `o` samples the input, for TFLite's bilinear resize.
fn source(
    o: usize,
    input: usize,
    output: usize,
    align_corners: bool,
    half_pixel: bool,
) -> (usize, usize, f32) {
    let scale = if align_corners && output > 1 {
        (input - 1) as f32 / (output - 1) as f32
    } else {
        input as f32 / output as f32
    };
    let at = if half_pixel { ((o as f32 + 0.5) * scale - 0.5).max(0.0) } else { o as f32 * scale };
    let lo = (at.floor() as usize).min(input - 1);
    let hi = (lo + 1).min(input - 1);
    (lo, hi, at - lo as f32)
}

/// Bilinear resize of `[h, w, c]` to `[oh, ow, c]`, as TFLite's `RESIZE_BILINEAR`.
pub fn resize_bilinear(
    src: &[f32],
    [h, w, c]: [usize; 3],
    [oh, ow]: [usize; 2],
    align_corners: bool,
    half_pixel: bool,
    dst: &mut [f32],
) {
    for oy in 0..oh {
        let (y0, y1, ty) = source(oy, h, oh, align_corners, half_pixel);
        for ox in 0..ow {
            let (x0, x1, tx) = source(ox, w, ow, align_corners, half_pixel);
            let px = |y: usize, x: usize| &src[(y * w + x) * c..][..c];
            let (a, b, p, q) = (px(y0, x0), px(y0, x1), px(y1, x0), px(y1, x1));
            let out = &mut dst[(oy * ow + ox) * c..][..c];
            for k in 0..c {
                let top = a[k] + (b[k] - a[k]) * tx;
                let bottom = p[k] + (q[k] - p[k]) * tx;
                out[k] = top + (bottom - top) * ty;
            }
        }
    }
}

/// The weights of a transposed convolution: `[co, kh, kw, ci]`, and one bias per output channel.
pub struct Kernel<'a> {
    /// The weights.
    pub weights: &'a [f32],
    /// `[co, kh, kw]` (ci is the input's).
    pub shape: [usize; 3],
    /// The bias, if any.
    pub bias: Option<&'a [f32]>,
}

/// Transposed convolution with bias: input `[h, w, ci]`, output `[oh, ow, co]`. Each input pixel
/// spreads its kernel-weighted values over the output at `stride` steps; `same` padding centres
/// the result as TFLite does.
pub fn transpose_conv(
    src: &[f32],
    [h, w, ci]: [usize; 3],
    kernel: &Kernel<'_>,
    win: &Window,
    [oh, ow]: [usize; 2],
    dst: &mut [f32],
) {
    let Kernel { weights, shape: [co, kh, kw], bias } = *kernel;
    let (pt, pl) = match win.padding {
        Padding::Valid => (0, 0),
        Padding::Same => (
            ((h - 1) * win.stride_h + kh).saturating_sub(oh) / 2,
            ((w - 1) * win.stride_w + kw).saturating_sub(ow) / 2,
        ),
    };
    for pixel in dst.chunks_exact_mut(co) {
        match bias {
            Some(b) => pixel.copy_from_slice(b),
            None => pixel.fill(0.0),
        }
    }
    for iy in 0..h {
        for ix in 0..w {
            let input = &src[(iy * w + ix) * ci..][..ci];
            for ky in 0..kh {
                let oy = (iy * win.stride_h + ky) as isize - pt as isize;
                if oy < 0 || oy >= oh as isize {
                    continue;
                }
                for kx in 0..kw {
                    let ox = (ix * win.stride_w + kx) as isize - pl as isize;
                    if ox < 0 || ox >= ow as isize {
                        continue;
                    }
                    let out = &mut dst[(oy as usize * ow + ox as usize) * co..][..co];
                    for (o, acc) in out.iter_mut().enumerate() {
                        let k = &weights[((o * kh + ky) * kw + kx) * ci..][..ci];
                        *acc += k.iter().zip(input).map(|(a, b)| a * b).sum::<f32>();
                    }
                }
            }
        }
    }
}

/// MediaPipe's `TransformTensorBilinear` (version 2): output pixel `(x, y)` samples `src` at the
/// point the first two rows of the row-major 4×4 `matrix` send it to, pixel centres lined up;
/// zero where that point falls outside the map.
pub fn transform_bilinear(
    src: &[f32],
    [h, w, c]: [usize; 3],
    matrix: &[f32],
    [oh, ow]: [usize; 2],
    dst: &mut [f32],
) {
    let (mx, my) = (&matrix[0..4], &matrix[4..8]);
    // Pixel centres: shift by half a pixel on both sides of the transform.
    let tx = mx[3] + (mx[0] + mx[1]) * 0.5 - 0.5;
    let ty = my[3] + (my[0] + my[1]) * 0.5 - 0.5;
    let at = |y: isize, x: isize, k: usize| {
        if y < 0 || x < 0 || y >= h as isize || x >= w as isize {
            0.0
        } else {
            src[(y as usize * w + x as usize) * c + k]
        }
    };
    for oy in 0..oh {
        for ox in 0..ow {
            let (fx, fy) = (ox as f32, oy as f32);
            let (sx, sy) = (mx[0] * fx + mx[1] * fy + tx, my[0] * fx + my[1] * fy + ty);
            let out = &mut dst[(oy * ow + ox) * c..(oy * ow + ox + 1) * c];
            if !(sx >= 0.0 && sx <= (w - 1) as f32 && sy >= 0.0 && sy <= (h - 1) as f32) {
                out.iter_mut().for_each(|v| *v = 0.0);
                continue;
            }
            let (x0, y0) = (sx.floor(), sy.floor());
            let (ax, ay) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            for (k, v) in out.iter_mut().enumerate() {
                let top = (1.0 - ax) * at(y0, x0, k) + ax * at(y0, x0 + 1, k);
                let bottom = (1.0 - ax) * at(y0 + 1, x0, k) + ax * at(y0 + 1, x0 + 1, k);
                *v = ay * bottom + (1.0 - ay) * top;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(padding: Padding, stride: usize, size: usize) -> Window {
        Window {
            padding,
            stride_w: stride,
            stride_h: stride,
            dilation_w: size,
            dilation_h: size,
            activation: super::super::tflite::Activation::None,
        }
    }

    #[test]
    fn global_average_pool_is_the_channel_mean() {
        let src: Vec<f32> = (0..2 * 3 * 2).map(|v| v as f32).collect();
        let mut dst = [0.0; 2];
        average_pool(&src, [2, 3, 2], &window(Padding::Valid, 1, 0).with_size(2, 3), [1, 1], &mut dst);
        assert_eq!(dst, [5.0, 6.0]);
    }

    #[test]
    fn bilinear_resize_doubles_a_ramp() {
        let src = [0.0, 2.0];
        let mut dst = [0.0; 4];
        resize_bilinear(&src, [1, 2, 1], [1, 4], false, true, &mut dst);
        assert_eq!(dst, [0.0, 0.5, 1.5, 2.0]);
        resize_bilinear(&src, [1, 2, 1], [1, 4], true, false, &mut dst);
        assert!((dst[1] - 2.0 / 3.0).abs() < 1e-6 && dst[3] == 2.0);
    }

    #[test]
    fn transposed_convolution_spreads_each_pixel_over_its_kernel() {
        // One input pixel of value 2, a 2×2 kernel of ones, stride 2: a 2×2 block of 2 + bias.
        let mut dst = [0.0; 4];
        let win = window(Padding::Valid, 2, 1);
        let kernel = Kernel { weights: &[1.0; 4], shape: [1, 2, 2], bias: Some(&[0.5]) };
        transpose_conv(&[2.0], [1, 1, 1], &kernel, &win, [2, 2], &mut dst);
        assert_eq!(dst, [2.5; 4]);
    }

    impl Window {
        fn with_size(mut self, h: usize, w: usize) -> Window {
            (self.dilation_h, self.dilation_w) = (h, w);
            self
        }
    }

    #[test]
    fn transforming_by_the_identity_copies_the_map_and_half_a_pixel_averages() {
        let src: Vec<f32> = (0..3 * 4 * 2).map(|i| i as f32).collect();
        let identity = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let mut out = vec![-1.0; src.len()];
        transform_bilinear(&src, [3, 4, 2], &identity, [3, 4], &mut out);
        assert_eq!(out, src);
        // Half a pixel to the right: each output averages two neighbours; the last column's
        // point lies past the map and reads zero.
        let mut shifted = identity;
        shifted[3] = 0.5;
        transform_bilinear(&src, [3, 4, 2], &shifted, [3, 4], &mut out);
        assert_eq!(&out[0..2], &[1.0, 2.0]);
        assert_eq!(&out[6..8], &[0.0, 0.0]);
    }
}
