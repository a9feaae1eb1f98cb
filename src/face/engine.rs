//! The inference engine: runs a [`Model`]'s operators in order over f32 NHWC tensors (batch 1).
//! Constant fp16 weights are dequantized once at load; convolution weights are laid out so that
//! the inner loops run over output channels, contiguous (see the `kernels` module); the shortcut
//! additions and activations that follow a convolution are folded into it at load.

use super::kernels::{self, activate, clamp, relu, Act, Pixels, Post, Product};
use super::layers;

mod fold;
use super::tflite::{Activation, DType, Model, Node, Op, Padding, Window};
use crate::{Error, ErrorKind};

fn bad(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::ModelFormat, what)
}

/// A loaded model, ready to run again and again.
pub struct Engine {
    shapes: Vec<Vec<usize>>,
    values: Vec<Vec<f32>>,
    ints: Vec<Vec<i32>>,
    plan: Vec<Step>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
}

/// One operator of the plan, with the nodes folded into it.
struct Step {
    node: Node,
    /// A tensor added to a convolution's sums: the `Add` of a residual block that followed it.
    residual: Option<usize>,
    /// The activation that followed it (or its `Add`'s), when the convolution had none.
    act: Folded,
}

/// An activation node folded into the convolution before it.
#[derive(Clone, Copy, PartialEq)]
enum Folded {
    /// One of TFLite's fused activations (`None` when nothing was folded).
    Fused(Activation),
    /// A PReLU with this alpha tensor (one value per channel).
    Prelu(usize),
}

/// IEEE half to single precision, by moving the bits (exact for every value).
pub(crate) fn f16_to_f32(half: u16) -> f32 {
    let sign = ((half & 0x8000) as u32) << 16;
    let exp = ((half >> 10) & 0x1f) as u32;
    let mant = (half & 0x3ff) as u32;
    let bits = match exp {
        0 if mant == 0 => sign,
        0 => {
            // Subnormal: shift the mantissa up until its leading bit is the implicit one.
            let shift = mant.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | (((mant << shift) & 0x3ff) << 13)
        }
        31 => sign | 0x7f80_0000 | (mant << 13),
        e => sign | ((e + 112) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
}

/// Output size and leading padding of a window along one axis.
fn window_axis(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> (usize, usize) {
    let span = (kernel - 1) * dilation + 1;
    match padding {
        Padding::Valid => ((input.saturating_sub(span)) / stride + 1, 0),
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + span).saturating_sub(input);
            (out, total / 2)
        }
    }
}

/// MediaPipe's `Landmarks2TransformMatrix` (version 2): the 4×4 matrix (row-major) that takes a
/// pixel of an `output_width × output_height` crop to the feature map the landmarks were placed
/// in. The crop is the box of the `subset` landmarks, measured after turning the image so that the
/// line from `left` to `right` lies at `target_rotation`, scaled by `scale_x`, `scale_y`.
fn landmarks_to_matrix(points: &[f32], o: &super::tflite::LandmarksMatrix, dst: &mut [f32]) {
    let at =
        |i: usize| [points.get(3 * i).copied().unwrap_or(0.0), points.get(3 * i + 1).copied().unwrap_or(0.0)];
    let ([lx, ly], [rx, ry]) = (at(o.left), at(o.right));
    let turn = o.target_rotation - (ry - ly).atan2(rx - lx);
    let (s, c) = turn.sin_cos();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &i in &o.subset {
        let [x, y] = at(i);
        let (u, v) = (x * c - y * s, x * s + y * c);
        (x0, y0, x1, y1) = (x0.min(u), y0.min(v), x1.max(u), y1.max(v));
    }
    // The box's middle, turned back into the map.
    let (mu, mv) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (cx, cy) = (mu * c + mv * s, -mu * s + mv * c);
    let sx = o.scale_x * (x1 - x0) / o.output_width;
    let sy = o.scale_y * (y1 - y0) / o.output_height;
    let (hx, hy) = (-o.output_width / 2.0, -o.output_height / 2.0);
    // Shift to the middle · turn back · scale · shift the crop's centre to its origin.
    let (a, b, d, e) = (c * sx, s * sy, -s * sx, c * sy);
    let m = [a, b, 0.0, a * hx + b * hy + cx, d, e, 0.0, d * hx + e * hy + cy];
    dst[..8].copy_from_slice(&m);
    dst[8..].copy_from_slice(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
}

/// The four dimensions of a 4-D shape; `what` names it in the error.
fn dims4(shape: &[usize], what: &str) -> Result<[usize; 4], Error> {
    <[usize; 4]>::try_from(shape).map_err(|_| bad(format!("{what} are not 4-D")))
}

/// `[h, w, c]` of an NHWC shape (batch 1).
fn hwc(shape: &[usize]) -> Result<[usize; 3], Error> {
    match shape {
        [1, h, w, c] => Ok([*h, *w, *c]),
        _ => Err(bad(format!("expected a 1×H×W×C tensor, got {shape:?}"))),
    }
}

impl Engine {
    /// Loads a model from the bytes of its `.tflite` file (or of its [packed](super::pack) form).
    pub fn load(file: &[u8]) -> Result<Engine, Error> {
        let mut engine = Engine::unfolded(file)?;
        engine.fold_shortcuts();
        engine.fold_activations();
        Ok(engine)
    }

    /// The model with every node a step of its own.
    fn unfolded(file: &[u8]) -> Result<Engine, Error> {
        let model = Model::parse(file)?;
        let packed = super::pack::unpack(file)?;
        let mut engine = Engine {
            shapes: model.tensors.iter().map(|t| t.shape.clone()).collect(),
            values: Vec::with_capacity(model.tensors.len()),
            ints: vec![Vec::new(); model.tensors.len()],
            plan: Vec::new(),
            inputs: model.inputs.clone(),
            outputs: model.outputs.clone(),
        };
        for (t, info) in model.tensors.iter().enumerate() {
            let data = model.data(file, t);
            let len: usize = info.shape.iter().product();
            let value = match (info.dtype, data.is_empty()) {
                (_, true) => vec![0.0; len],
                (DType::F32, false) => {
                    data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
                }
                (DType::F16, false) => {
                    data.chunks_exact(2).map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))).collect()
                }
                (DType::I32, false) => {
                    engine.ints[t] =
                        data.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                    Vec::new()
                }
                (DType::Other(code), false) => {
                    return Err(bad(format!("tensor type {code} is not supported")))
                }
            };
            if !data.is_empty() && info.dtype != DType::I32 && value.len() != len {
                return Err(bad(format!(
                    "tensor {} has {} values for shape {:?}",
                    info.name,
                    value.len(),
                    info.shape
                )));
            }
            engine.values.push(value);
        }
        let (weights, dropped) = packed.map_or((Vec::new(), Vec::new()), |p| (p.weights, p.dropped));
        for (t, values) in weights {
            let expected = engine.shapes.get(t).map(|s| s.iter().product::<usize>());
            if expected != Some(values.len()) {
                return Err(bad("packed weights do not match their tensor"));
            }
            engine.values[t] = values;
        }
        // A packed model whose heads for some outputs were left out: only what the others need
        // runs; the dropped outputs stay zeros.
        let keep = if dropped.is_empty() {
            vec![true; model.nodes.len()]
        } else {
            let kept: Vec<usize> = model.outputs.iter().copied().filter(|t| !dropped.contains(t)).collect();
            super::pack::needed_nodes(&model.nodes, &kept)
        };
        for (node, keep) in model.nodes.into_iter().zip(keep) {
            if keep {
                engine.prepare(node)?;
            }
        }
        Ok(engine)
    }

    /// Folds constant dequantization, re-lays convolution weights, checks shapes; keeps the rest.
    fn prepare(&mut self, node: Node) -> Result<(), Error> {
        let input = |k: usize| -> Result<usize, Error> {
            node.inputs
                .get(k)
                .and_then(|&i| usize::try_from(i).ok())
                .ok_or_else(|| bad("missing operator input"))
        };
        let output = node
            .outputs
            .first()
            .and_then(|&i| usize::try_from(i).ok())
            .ok_or_else(|| bad("missing output"))?;
        match &node.op {
            Op::Dequantize => {
                // The weights are constants: dequantized at load, the node disappears.
                let from = input(0)?;
                self.values[output] = self.values[from].clone();
                return Ok(());
            }
            Op::Conv2d(_) => {
                // [Co, Kh, Kw, Ci] → [Kh, Kw, Ci, Co]: the inner loop then runs over Co.
                let w = input(1)?;
                let [co, kh, kw, ci] = dims4(&self.shapes[w], "convolution weights")?;
                let src = &self.values[w];
                if src.len() != co * kh * kw * ci {
                    return Err(bad("convolution weights do not match their shape"));
                }
                let mut dst = vec![0.0; src.len()];
                for o in 0..co {
                    for k in 0..kh * kw {
                        for i in 0..ci {
                            dst[(k * ci + i) * co + o] = src[(o * kh * kw + k) * ci + i];
                        }
                    }
                }
                self.values[w] = dst;
                self.shapes[w] = vec![kh, kw, ci, co];
            }
            Op::Unsupported(code, name) => {
                return Err(bad(format!("operator {code} {name} is not supported")));
            }
            _ => {}
        }
        self.plan.push(Step { node, residual: None, act: Folded::Fused(Activation::None) });
        Ok(())
    }

    /// The shape of input `k`.
    pub fn input_shape(&self, k: usize) -> Option<&[usize]> {
        self.inputs.get(k).map(|&t| &self.shapes[t][..])
    }

    /// Runs the model on `input` (NHWC floats for input 0); returns the outputs in model order.
    pub fn run(&mut self, input: &[f32]) -> Result<Vec<&[f32]>, Error> {
        let first = *self.inputs.first().ok_or_else(|| bad("model has no input"))?;
        if input.len() != self.values[first].len() {
            return Err(bad(format!(
                "input has {} values, the model wants {}",
                input.len(),
                self.values[first].len()
            )));
        }
        self.values[first].copy_from_slice(input);
        for k in 0..self.plan.len() {
            self.step(k)?;
        }
        Ok(self.outputs.iter().map(|&t| &self.values[t][..]).collect())
    }

    fn step(&mut self, k: usize) -> Result<(), Error> {
        let node = &self.plan[k].node;
        let ins: Vec<usize> = node.inputs.iter().filter_map(|&i| usize::try_from(i).ok()).collect();
        let out = node
            .outputs
            .first()
            .and_then(|&i| usize::try_from(i).ok())
            .ok_or_else(|| bad("missing output"))?;
        let mut result = std::mem::take(&mut self.values[out]);
        let r = self.compute(&self.plan[k], &ins, out, &mut result);
        self.values[out] = result;
        r
    }

    fn compute(&self, step: &Step, ins: &[usize], out: usize, dst: &mut [f32]) -> Result<(), Error> {
        let arg = |k: usize| ins.get(k).copied().ok_or_else(|| bad("missing operator input"));
        let op = &step.node.op;
        match op {
            Op::Conv2d(w) => {
                let post = Post {
                    residual: step.residual.map(|r| &self.values[r][..]),
                    act: match step.act {
                        Folded::Prelu(alpha) => Act::Prelu(&self.values[alpha]),
                        Folded::Fused(Activation::None) => Act::Fused(w.activation),
                        Folded::Fused(a) => Act::Fused(a),
                    },
                };
                self.conv2d([arg(0)?, arg(1)?], ins.get(2).copied(), out, w, &post, dst)
            }
            Op::DepthwiseConv2d(w) => self.depthwise(arg(0)?, arg(1)?, ins.get(2).copied(), out, w, dst),
            Op::MaxPool2d(w) => self.max_pool(arg(0)?, out, w, dst),
            Op::Add(a) => self.commutative(arg(0)?, arg(1)?, dst, |x, y| activate(x + y, *a)),
            Op::Mul(a) => self.commutative(arg(0)?, arg(1)?, dst, |x, y| activate(x * y, *a)),
            Op::AveragePool2d(w) => {
                let [h, wd, c] = hwc(&self.shapes[arg(0)?])?;
                let [oh, ow, oc] = hwc(&self.shapes[out])?;
                if oc != c || dst.len() != oh * ow * c {
                    return Err(bad("pool shapes do not agree"));
                }
                layers::average_pool(&self.values[arg(0)?], [h, wd, c], w, [oh, ow], dst);
                dst.iter_mut().for_each(|s| *s = activate(*s, w.activation));
                Ok(())
            }
            Op::ResizeBilinear { align_corners, half_pixel_centers } => {
                let [h, wd, c] = hwc(&self.shapes[arg(0)?])?;
                let [oh, ow, oc] = hwc(&self.shapes[out])?;
                if oc != c || dst.len() != oh * ow * c || h == 0 || wd == 0 {
                    return Err(bad("resize shapes do not agree"));
                }
                let src = &self.values[arg(0)?];
                layers::resize_bilinear(src, [h, wd, c], [oh, ow], *align_corners, *half_pixel_centers, dst);
                Ok(())
            }
            Op::TransposeConvBias(w) => {
                self.transpose_conv(arg(0)?, arg(1)?, ins.get(2).copied(), out, w, dst)
            }
            Op::Relu => self.unary(arg(0)?, dst, relu),
            Op::Relu6 => self.unary(arg(0)?, dst, |x| clamp(x, 0.0, 6.0)),
            Op::Logistic => self.unary(arg(0)?, dst, |x| 1.0 / (1.0 + (-x).exp())),
            Op::HardSwish => self.unary(arg(0)?, dst, |x| x * clamp(x + 3.0, 0.0, 6.0) / 6.0),
            Op::Prelu => self.prelu(arg(0)?, arg(1)?, dst),
            Op::Reshape => self.unary(arg(0)?, dst, |x| x),
            Op::Pad => self.pad(arg(0)?, arg(1)?, out, dst),
            Op::Concatenation(axis, a) => self.concat(ins, out, *axis, *a, dst),
            Op::StridedSlice { begin_mask, end_mask, shrink_axis_mask } => {
                let masks = [*begin_mask, *end_mask, *shrink_axis_mask];
                self.strided_slice(arg(0)?, [arg(1)?, arg(2)?, arg(3)?], masks, dst)
            }
            Op::LandmarksToMatrix(options) => {
                if dst.len() != 16 {
                    return Err(bad("a transform matrix is 4×4"));
                }
                landmarks_to_matrix(&self.values[arg(0)?], options, dst);
                Ok(())
            }
            Op::TransformTensorBilinear => {
                let [h, wd, c] = hwc(&self.shapes[arg(0)?])?;
                let [oh, ow, oc] = hwc(&self.shapes[out])?;
                let matrix = &self.values[arg(1)?];
                if oc != c || dst.len() != oh * ow * c || matrix.len() != 16 {
                    return Err(bad("transform shapes do not agree"));
                }
                layers::transform_bilinear(&self.values[arg(0)?], [h, wd, c], matrix, [oh, ow], dst);
                Ok(())
            }
            Op::TransformLandmarks => {
                let (points, matrix) = (&self.values[arg(0)?], &self.values[arg(1)?]);
                let dims = self.shapes[out].last().copied().unwrap_or(0);
                if !(2..=3).contains(&dims) || points.len() != dst.len() || matrix.len() != 16 {
                    return Err(bad("landmark transform shapes do not agree"));
                }
                for (d, p) in dst.chunks_exact_mut(dims).zip(points.chunks_exact(dims)) {
                    d.copy_from_slice(p);
                    d[0] = matrix[0] * p[0] + matrix[1] * p[1] + matrix[3];
                    d[1] = matrix[4] * p[0] + matrix[5] * p[1] + matrix[7];
                }
                Ok(())
            }
            Op::Dequantize | Op::Unsupported(..) => Err(bad(format!("operator {op:?} cannot run here"))),
        }
    }

    /// TFLite's strided slice over up to four axes (no ellipsis, no new axes).
    fn strided_slice(
        &self,
        a: usize,
        [b, e, s]: [usize; 3],
        masks: [i32; 3],
        dst: &mut [f32],
    ) -> Result<(), Error> {
        let shape = &self.shapes[a];
        let (begin, end, strides) = (&self.ints[b], &self.ints[e], &self.ints[s]);
        let n = shape.len();
        if n > 4 || begin.len() != n || end.len() != n || strides.len() != n {
            return Err(bad("strided slice wants constant begin, end and strides"));
        }
        // The indices taken along each axis.
        let mut axes: Vec<Vec<usize>> = Vec::with_capacity(n);
        for i in 0..n {
            let (dim, stride) = (shape[i] as i64, strides[i] as i64);
            if stride == 0 {
                return Err(bad("strided slice with a zero stride"));
            }
            let at = |v: i32| if (v as i64) < 0 { v as i64 + dim } else { v as i64 };
            let bit = |m: i32| m >> i & 1 == 1;
            let (lo, hi) = if stride > 0 { (0, dim) } else { (-1, dim - 1) };
            let first = if bit(masks[0]) {
                if stride > 0 {
                    0
                } else {
                    dim - 1
                }
            } else {
                at(begin[i]).clamp(lo, hi)
            };
            let last = if bit(masks[2]) {
                first + 1
            } else if bit(masks[1]) {
                if stride > 0 {
                    dim
                } else {
                    -1
                }
            } else {
                at(end[i]).clamp(lo, hi)
            };
            let mut taken = Vec::new();
            let mut k = first;
            while (stride > 0 && k < last) || (stride < 0 && k > last) {
                taken.push(k as usize);
                k += stride;
            }
            axes.push(taken);
        }
        if axes.iter().map(Vec::len).product::<usize>() != dst.len() {
            return Err(bad("strided slice output does not match its shape"));
        }
        let src = &self.values[a];
        let mut pitch = vec![1usize; n];
        for i in (0..n.saturating_sub(1)).rev() {
            pitch[i] = pitch[i + 1] * shape[i + 1];
        }
        let mut index = vec![0usize; n];
        for d in dst.iter_mut() {
            *d = src[(0..n).map(|i| axes[i][index[i]] * pitch[i]).sum::<usize>()];
            for i in (0..n).rev() {
                index[i] += 1;
                if index[i] < axes[i].len() {
                    break;
                }
                index[i] = 0;
            }
        }
        Ok(())
    }

    fn unary(&self, a: usize, dst: &mut [f32], f: impl Fn(f32) -> f32) -> Result<(), Error> {
        let src = &self.values[a];
        if src.len() != dst.len() {
            return Err(bad("element counts differ"));
        }
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = f(s);
        }
        Ok(())
    }

    /// Element-wise with the second operand repeated when it is a trailing slice of the first.
    fn binary(&self, a: usize, b: usize, dst: &mut [f32], f: impl Fn(f32, f32) -> f32) -> Result<(), Error> {
        let (x, y) = (&self.values[a], &self.values[b]);
        if x.len() != dst.len() || y.is_empty() || x.len() % y.len() != 0 {
            return Err(bad("cannot broadcast these shapes"));
        }
        // Chunk by chunk (not `cycle()`), so the inner loop vectorizes.
        for (d, p) in dst.chunks_exact_mut(y.len()).zip(x.chunks_exact(y.len())) {
            for ((d, &p), &q) in d.iter_mut().zip(p).zip(y) {
                *d = f(p, q);
            }
        }
        Ok(())
    }

    /// [`Engine::binary`] for an operation whose operands may come in either order.
    fn commutative(
        &self,
        a: usize,
        b: usize,
        dst: &mut [f32],
        f: impl Fn(f32, f32) -> f32,
    ) -> Result<(), Error> {
        if self.values[a].len() < self.values[b].len() {
            self.binary(b, a, dst, f)
        } else {
            self.binary(a, b, dst, f)
        }
    }

    fn transpose_conv(
        &self,
        a: usize,
        w: usize,
        bias: Option<usize>,
        out: usize,
        win: &Window,
        dst: &mut [f32],
    ) -> Result<(), Error> {
        let [h, wd, ci] = hwc(&self.shapes[a])?;
        let [co, kh, kw, wci] = dims4(&self.shapes[w], "transposed-convolution weights")?;
        let [oh, ow, oc] = hwc(&self.shapes[out])?;
        let weights = &self.values[w];
        if wci != ci || oc != co || dst.len() != oh * ow * oc || weights.len() != co * kh * kw * ci {
            return Err(bad("transposed-convolution shapes do not agree"));
        }
        let b = bias.map(|b| &self.values[b][..]).filter(|b| b.len() == co);
        let kernel = layers::Kernel { weights, shape: [co, kh, kw], bias: b };
        layers::transpose_conv(&self.values[a], [h, wd, ci], &kernel, win, [oh, ow], dst);
        Ok(())
    }

    fn prelu(&self, a: usize, alpha: usize, dst: &mut [f32]) -> Result<(), Error> {
        self.binary(a, alpha, dst, |x, s| if x >= 0.0 { x } else { x * s })
    }

    fn conv2d(
        &self,
        [a, w]: [usize; 2],
        bias: Option<usize>,
        out: usize,
        win: &Window,
        post: &Post,
        dst: &mut [f32],
    ) -> Result<(), Error> {
        let [h, wd, ci] = hwc(&self.shapes[a])?;
        let [kh, kw, wci, co] = dims4(&self.shapes[w], "convolution weights")?;
        let [oh, ow, oc] = hwc(&self.shapes[out])?;
        let (eh, pt) = window_axis(h, kh, win.stride_h, win.dilation_h, win.padding);
        let (ew, pl) = window_axis(wd, kw, win.stride_w, win.dilation_w, win.padding);
        if wci != ci || oc != co || (eh, ew) != (oh, ow) || dst.len() != oh * ow * oc {
            return Err(bad("convolution shapes do not agree"));
        }
        let (src, weights) = (&self.values[a], &self.values[w]);
        let b = bias.map(|b| &self.values[b][..]).filter(|b| b.len() == co);
        if kh == 1 && kw == 1 && win.stride_h == 1 && win.stride_w == 1 && (oh, ow) == (h, wd) {
            kernels::pointwise(src, weights, b, [ci, co], post, dst);
            return Ok(());
        }
        // Anything else: each output pixel's window is read in place, by the offsets of its taps
        // from the window's start; the few pixels whose window hangs over the edge get a copy
        // of it with zeros outside.
        let (sh, sw, dh, dw) = (win.stride_h, win.stride_w, win.dilation_h, win.dilation_w);
        let taps = (0..kh).flat_map(|ky| (0..kw).map(move |kx| (ky * dh * wd + kx * dw) * ci));
        let offsets: Vec<usize> = taps.flat_map(|tap| (0..ci).map(move |c| tap + c)).collect();
        let (mut inside, mut edge) = (Vec::with_capacity(oh * ow), Vec::new());
        for oy in 0..oh {
            let iy = (oy * sh) as isize - pt as isize;
            let rows_in = iy >= 0 && iy as usize + (kh - 1) * dh < h;
            for ox in 0..ow {
                let ix = (ox * sw) as isize - pl as isize;
                if rows_in && ix >= 0 && ix as usize + (kw - 1) * dw < wd {
                    inside.push([oy * ow + ox, (iy as usize * wd + ix as usize) * ci]);
                } else {
                    edge.push([oy * ow + ox, edge.len() * offsets.len()]);
                }
            }
        }
        let (pixels, bias) = (Pixels::Listed(&inside), b);
        kernels::convolve(&Product { src, offsets: &offsets, pixels, weights, bias, co }, post, dst);
        if edge.is_empty() {
            return Ok(());
        }
        let k = offsets.len();
        let mut patches = vec![0f32; edge.len() * k];
        for &[p, start] in &edge {
            let (oy, ox) = (p / ow, p % ow);
            let patch = &mut patches[start..start + k];
            for ky in 0..kh {
                let iy = (oy * sh + ky * dh) as isize - pt as isize;
                if iy < 0 || iy >= h as isize {
                    continue;
                }
                for kx in 0..kw {
                    let ix = (ox * sw + kx * dw) as isize - pl as isize;
                    if ix < 0 || ix >= wd as isize {
                        continue;
                    }
                    let pixel = &src[(iy as usize * wd + ix as usize) * ci..][..ci];
                    patch[(ky * kw + kx) * ci..][..ci].copy_from_slice(pixel);
                }
            }
        }
        let whole: Vec<usize> = (0..k).collect();
        let (pixels, bias) = (Pixels::Listed(&edge), b);
        kernels::convolve(&Product { src: &patches, offsets: &whole, pixels, weights, bias, co }, post, dst);
        Ok(())
    }

    fn depthwise(
        &self,
        a: usize,
        w: usize,
        bias: Option<usize>,
        out: usize,
        win: &Window,
        dst: &mut [f32],
    ) -> Result<(), Error> {
        let [h, wd, c] = hwc(&self.shapes[a])?;
        let [kh, kw, wc] = match self.shapes[w][..] {
            [1, p, q, r] => [p, q, r],
            _ => return Err(bad("depthwise weights are not 1×H×W×C")),
        };
        let [oh, ow, oc] = hwc(&self.shapes[out])?;
        let (eh, pt) = window_axis(h, kh, win.stride_h, win.dilation_h, win.padding);
        let (ew, pl) = window_axis(wd, kw, win.stride_w, win.dilation_w, win.padding);
        if wc != c || oc != c || (eh, ew) != (oh, ow) || dst.len() != oh * ow * c {
            return Err(bad("depthwise shapes do not agree (channel multiplier must be 1)"));
        }
        let (src, weights) = (&self.values[a], &self.values[w]);
        let b = bias.map(|b| &self.values[b][..]).filter(|b| b.len() == c);
        let geometry = kernels::Geometry {
            input: [h, wd, c],
            output: [oh, ow],
            kernel: [kh, kw],
            stride: [win.stride_h, win.stride_w],
            dilation: [win.dilation_h, win.dilation_w],
            pad: [pt, pl],
        };
        kernels::depthwise(src, weights, b, &geometry, win.activation, dst);
        Ok(())
    }

    fn max_pool(&self, a: usize, out: usize, win: &Window, dst: &mut [f32]) -> Result<(), Error> {
        let [h, wd, c] = hwc(&self.shapes[a])?;
        let (fh, fw) = (win.dilation_h, win.dilation_w);
        let [oh, ow, oc] = hwc(&self.shapes[out])?;
        let (eh, pt) = window_axis(h, fh, win.stride_h, 1, win.padding);
        let (ew, pl) = window_axis(wd, fw, win.stride_w, 1, win.padding);
        if oc != c || (eh, ew) != (oh, ow) || dst.len() != oh * ow * c {
            return Err(bad("pool shapes do not agree"));
        }
        let src = &self.values[a];
        for oy in 0..oh {
            for ox in 0..ow {
                let acc = &mut dst[(oy * ow + ox) * c..][..c];
                acc.fill(f32::NEG_INFINITY);
                for ky in 0..fh {
                    let iy = (oy * win.stride_h + ky) as isize - pt as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kx in 0..fw {
                        let ix = (ox * win.stride_w + kx) as isize - pl as isize;
                        if ix < 0 || ix >= wd as isize {
                            continue;
                        }
                        let pixel = &src[(iy as usize * wd + ix as usize) * c..][..c];
                        for (s, &v) in acc.iter_mut().zip(pixel) {
                            *s = if v > *s { v } else { *s };
                        }
                    }
                }
                acc.iter_mut().for_each(|s| *s = activate(*s, win.activation));
            }
        }
        Ok(())
    }

    /// Zero padding of a 4-D tensor; `paddings` is an int32 [4, 2] constant.
    fn pad(&self, a: usize, paddings: usize, out: usize, dst: &mut [f32]) -> Result<(), Error> {
        let shape = &self.shapes[a];
        let p = &self.ints[paddings];
        let oshape = &self.shapes[out];
        if shape.len() != 4 || oshape.len() != 4 || p.len() != 8 || p.iter().any(|&v| v < 0) {
            return Err(bad("only constant non-negative 4-D padding is supported"));
        }
        let before: Vec<usize> = (0..4).map(|d| p[2 * d] as usize).collect();
        if (0..4).any(|d| shape[d] + before[d] + p[2 * d + 1] as usize != oshape[d])
            || dst.len() != oshape.iter().product::<usize>()
        {
            return Err(bad("padding shapes do not agree"));
        }
        dst.fill(0.0);
        let src = &self.values[a];
        let [_, h, w, c] = [shape[0], shape[1], shape[2], shape[3]];
        let [_, oh, ow, oc] = [oshape[0], oshape[1], oshape[2], oshape[3]];
        for n in 0..shape[0] {
            for y in 0..h {
                for x in 0..w {
                    let s = ((n * h + y) * w + x) * c;
                    let d = (((n + before[0]) * oh + y + before[1]) * ow + x + before[2]) * oc + before[3];
                    dst[d..d + c].copy_from_slice(&src[s..s + c]);
                }
            }
        }
        Ok(())
    }

    fn concat(
        &self,
        ins: &[usize],
        out: usize,
        axis: i32,
        act: Activation,
        dst: &mut [f32],
    ) -> Result<(), Error> {
        let oshape = &self.shapes[out];
        let axis = if axis < 0 { axis + oshape.len() as i32 } else { axis };
        let axis =
            usize::try_from(axis).ok().filter(|&a| a < oshape.len()).ok_or_else(|| bad("bad concat axis"))?;
        let outer: usize = oshape[..axis].iter().product();
        let mut offset = 0;
        let row: usize = oshape[axis..].iter().product();
        for &i in ins {
            let chunk: usize = self.shapes[i][axis..].iter().product();
            let src = &self.values[i];
            if src.len() != outer * chunk || offset + chunk > row {
                return Err(bad("concatenation shapes do not agree"));
            }
            for o in 0..outer {
                dst[o * row + offset..o * row + offset + chunk]
                    .copy_from_slice(&src[o * chunk..(o + 1) * chunk]);
            }
            offset += chunk;
        }
        if offset != row || dst.len() != outer * row {
            return Err(bad("concatenation does not fill its output"));
        }
        dst.iter_mut().for_each(|s| *s = activate(*s, act));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm these run under `wasm-bindgen-test-runner` (in Node) with the simd128 kernels.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Folding shortcuts and activations into the convolutions changes the plan, not the results:
    /// the three models with and without folding on the same input.
    #[test]
    fn folded_plans_compute_what_the_unfolded_ones_do() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        for name in
            [crate::face::models::DETECTOR, crate::face::models::MESH, crate::face::models::SEGMENTATION]
        {
            let Ok(file) = std::fs::read(dir.join(name)) else {
                eprintln!("skipped: no models/{name} (run scripts/fetch-models)");
                continue;
            };
            let (mut folded, mut plain) = (Engine::load(&file).unwrap(), Engine::unfolded(&file).unwrap());
            assert!(folded.plan.len() + 10 < plain.plan.len(), "{name}: {} steps", folded.plan.len());
            let size: usize = folded.input_shape(0).unwrap().iter().product();
            let input: Vec<f32> = (0..size).map(|i| (i as f32 * 0.013).sin()).collect();
            let (a, b) = (folded.run(&input).unwrap(), plain.run(&input).unwrap());
            for (x, y) in a.iter().zip(&b) {
                for (p, q) in x.iter().zip(y.iter()) {
                    assert!((p - q).abs() <= 1e-4 * q.abs().max(1.0), "{name}: {p} vs {q}");
                }
            }
        }
    }

    /// Windowed convolutions (read in place inside, copied at the edges) against the plain sum
    /// with TensorFlow's SAME padding: the detector's 5×5 stride 2 and the mesh's 3×3 stride 2,
    /// on small inputs with odd sizes.
    #[test]
    fn windowed_convolutions_match_the_plain_sum() {
        for (k, stride, [h, wd, ci, co]) in
            [(5, 2, [9, 7, 3, 12]), (3, 2, [7, 6, 3, 5]), (3, 1, [5, 5, 4, 8])]
        {
            let win = Window {
                padding: Padding::Same,
                stride_w: stride,
                stride_h: stride,
                dilation_w: 1,
                dilation_h: 1,
                activation: Activation::None,
            };
            let (oh, pt) = window_axis(h, k, stride, 1, Padding::Same);
            let (ow, pl) = window_axis(wd, k, stride, 1, Padding::Same);
            let src: Vec<f32> = (0..h * wd * ci).map(|i| (i as f32 * 0.31).sin()).collect();
            let weights: Vec<f32> = (0..k * k * ci * co).map(|i| (i as f32 * 0.17).cos()).collect();
            let bias: Vec<f32> = (0..co).map(|o| o as f32 * 0.5).collect();
            let node = Node { op: Op::Conv2d(win), inputs: vec![0, 1, 2], outputs: vec![3] };
            let mut engine = Engine {
                shapes: vec![vec![1, h, wd, ci], vec![k, k, ci, co], vec![co], vec![1, oh, ow, co]],
                values: vec![vec![0.0; src.len()], weights.clone(), bias.clone(), vec![0.0; oh * ow * co]],
                ints: vec![Vec::new(); 4],
                plan: vec![Step { node, residual: None, act: Folded::Fused(Activation::None) }],
                inputs: vec![0],
                outputs: vec![3],
            };
            let out = engine.run(&src).unwrap()[0].to_vec();
            for (oy, ox, o) in
                (0..oh).flat_map(|y| (0..ow).flat_map(move |x| (0..co).map(move |o| (y, x, o))))
            {
                let mut sum = bias[o];
                for (ky, kx, c) in
                    (0..k).flat_map(|y| (0..k).flat_map(move |x| (0..ci).map(move |c| (y, x, c))))
                {
                    let (iy, ix) = (
                        (oy * stride + ky) as isize - pt as isize,
                        (ox * stride + kx) as isize - pl as isize,
                    );
                    if iy >= 0 && iy < h as isize && ix >= 0 && ix < wd as isize {
                        sum += src[(iy as usize * wd + ix as usize) * ci + c]
                            * weights[((ky * k + kx) * ci + c) * co + o];
                    }
                }
                let got = out[(oy * ow + ox) * co + o];
                assert!((got - sum).abs() < 1e-4, "{k}×{k}/{stride} at ({oy},{ox},{o}): {got} vs {sum}");
            }
        }
    }

    #[test]
    fn half_floats_convert() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0x8000), -0.0);
        assert_eq!(f16_to_f32(0x0200), 2f32.powi(-15));
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
    }

    #[test]
    fn same_padding_matches_tensorflow() {
        assert_eq!(window_axis(128, 5, 2, 1, Padding::Same), (64, 1));
        assert_eq!(window_axis(64, 3, 1, 1, Padding::Same), (64, 1));
        assert_eq!(window_axis(64, 2, 2, 1, Padding::Same), (32, 0));
        assert_eq!(window_axis(64, 1, 1, 1, Padding::Valid), (64, 0));
        assert_eq!(window_axis(7, 3, 2, 1, Padding::Valid), (3, 0));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"TFL3", &[0xff; 64], &[4, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff]] {
            assert!(Engine::load(bytes).is_err());
        }
    }

    /// A slice of a 2×4 tensor: row 1 (shrunk away), every other column.
    #[test]
    fn strided_slice_takes_what_its_masks_say() {
        let node = Node {
            op: Op::StridedSlice { begin_mask: 0, end_mask: 2, shrink_axis_mask: 1 },
            inputs: vec![0, 1, 2, 3],
            outputs: vec![4],
        };
        let mut engine = Engine {
            shapes: vec![vec![2, 4], vec![2], vec![2], vec![2], vec![2]],
            values: vec![vec![0.0; 8], Vec::new(), Vec::new(), Vec::new(), vec![0.0; 2]],
            ints: vec![Vec::new(), vec![1, 0], vec![0, 1], vec![1, 2], Vec::new()],
            plan: vec![Step { node, residual: None, act: Folded::Fused(Activation::None) }],
            inputs: vec![0],
            outputs: vec![4],
        };
        let input: Vec<f32> = (0..8).map(|i| i as f32).collect();
        assert_eq!(engine.run(&input).unwrap()[0], &[4.0, 6.0]);
    }

    /// The crop is set on the subset's box: with the reference line level, its middle pixel
    /// lands on the box's middle and one crop pixel spans box ÷ output size; turned a quarter,
    /// the crop's x axis runs down the map.
    #[test]
    fn landmarks_matrix_centres_the_crop_on_the_subset() {
        let mut points = vec![0.0f32; 3 * 4];
        for (i, [x, y]) in [[10.0, 20.0], [30.0, 20.0], [10.0, 40.0], [30.0, 40.0]].into_iter().enumerate() {
            points[3 * i] = x;
            points[3 * i + 1] = y;
        }
        let mut options = crate::face::tflite::LandmarksMatrix {
            left: 0,
            right: 1,
            target_rotation: 0.0,
            output_width: 16.0,
            output_height: 16.0,
            scale_x: 1.0,
            scale_y: 1.0,
            subset: vec![0, 1, 2, 3],
        };
        let mut m = [0f32; 16];
        landmarks_to_matrix(&points, &options, &mut m);
        let at = |m: &[f32; 16], x: f32, y: f32| [m[0] * x + m[1] * y + m[3], m[4] * x + m[5] * y + m[7]];
        assert_eq!(at(&m, 8.0, 8.0), [20.0, 30.0]);
        assert_eq!(at(&m, 0.0, 0.0), [10.0, 20.0]);
        // The line from landmark 0 to 2 points down the map; turned level, it runs along x.
        options.right = 2;
        landmarks_to_matrix(&points, &options, &mut m);
        let [x, y] = at(&m, 16.0, 8.0);
        assert!((x - 20.0).abs() < 1e-4 && (y - 40.0).abs() < 1e-4, "{x}, {y}");
    }
}
