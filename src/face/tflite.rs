//! A reader for the `.tflite` flatbuffer: the tensors, the operators and their options, and the
//! constant buffers of a model's first subgraph. Every read is bounds-checked: a damaged or
//! hostile file gives an error, never a panic.
//!
//! Field numbers follow TensorFlow Lite's `schema.fbs` (Model, SubGraph, Tensor, Operator,
//! OperatorCode, Buffer and the option tables of the operators the face models use).

use crate::{Error, ErrorKind};

fn bad(what: &str) -> Error {
    Error::new(ErrorKind::ModelFormat, what)
}

/// Little-endian reads from the file with bounds checks.
#[derive(Clone, Copy)]
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn get<const N: usize>(self, pos: usize) -> Result<[u8; N], Error> {
        self.0
            .get(pos..pos.checked_add(N).ok_or_else(|| bad("offset overflow"))?)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("read past the end of the file"))
    }
    fn u8(self, pos: usize) -> Result<u8, Error> {
        Ok(self.get::<1>(pos)?[0])
    }
    fn u16(self, pos: usize) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.get(pos)?))
    }
    fn u32(self, pos: usize) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.get(pos)?))
    }
    fn i32(self, pos: usize) -> Result<i32, Error> {
        Ok(i32::from_le_bytes(self.get(pos)?))
    }

    /// Follows a `uoffset` stored at `pos`.
    fn deref(self, pos: usize) -> Result<usize, Error> {
        pos.checked_add(self.u32(pos)? as usize).ok_or_else(|| bad("offset overflow"))
    }

    fn table(self, pos: usize) -> Result<Table<'a>, Error> {
        let vtable = (pos as i64 - self.i32(pos)? as i64).try_into().map_err(|_| bad("bad vtable offset"))?;
        let vtable_len = self.u16(vtable)? as usize;
        if vtable_len < 4 {
            return Err(bad("vtable too short"));
        }
        Ok(Table { bytes: self, pos, vtable, fields: (vtable_len - 4) / 2 })
    }
}

/// A flatbuffer table.
#[derive(Clone, Copy)]
struct Table<'a> {
    bytes: Bytes<'a>,
    pos: usize,
    vtable: usize,
    fields: usize,
}

/// A flatbuffer vector: `len` elements of `stride` bytes from `start`.
#[derive(Clone, Copy)]
struct Vector<'a> {
    bytes: Bytes<'a>,
    start: usize,
    len: usize,
}

impl<'a> Table<'a> {
    /// The absolute position of field `i`, if present.
    fn field(&self, i: usize) -> Result<Option<usize>, Error> {
        if i >= self.fields {
            return Ok(None);
        }
        let offset = self.bytes.u16(self.vtable + 4 + 2 * i)? as usize;
        Ok((offset != 0).then_some(self.pos + offset))
    }
    fn u8_or(&self, i: usize, default: u8) -> Result<u8, Error> {
        self.field(i)?.map_or(Ok(default), |p| self.bytes.u8(p))
    }
    fn i32_or(&self, i: usize, default: i32) -> Result<i32, Error> {
        self.field(i)?.map_or(Ok(default), |p| self.bytes.i32(p))
    }
    fn u32_or(&self, i: usize, default: u32) -> Result<u32, Error> {
        self.field(i)?.map_or(Ok(default), |p| self.bytes.u32(p))
    }
    fn table(&self, i: usize) -> Result<Option<Table<'a>>, Error> {
        self.field(i)?.map(|p| self.bytes.table(self.bytes.deref(p)?)).transpose()
    }
    fn vector(&self, i: usize, stride: usize) -> Result<Option<Vector<'a>>, Error> {
        let Some(p) = self.field(i)? else { return Ok(None) };
        let at = self.bytes.deref(p)?;
        let len = self.bytes.u32(at)? as usize;
        let start = at + 4;
        let end = len
            .checked_mul(stride)
            .and_then(|n| n.checked_add(start))
            .ok_or_else(|| bad("vector overflow"))?;
        if end > self.bytes.0.len() {
            return Err(bad("vector past the end of the file"));
        }
        Ok(Some(Vector { bytes: self.bytes, start, len }))
    }
    fn i32s(&self, i: usize) -> Result<Vec<i32>, Error> {
        match self.vector(i, 4)? {
            Some(v) => (0..v.len).map(|k| v.bytes.i32(v.start + 4 * k)).collect(),
            None => Ok(Vec::new()),
        }
    }
    fn string(&self, i: usize) -> Result<String, Error> {
        Ok(self.vector(i, 1)?.map(|v| String::from_utf8_lossy(v.slice()).into_owned()).unwrap_or_default())
    }
}

impl<'a> Vector<'a> {
    fn table(&self, k: usize) -> Result<Table<'a>, Error> {
        self.bytes.table(self.bytes.deref(self.start + 4 * k)?)
    }
    fn slice(&self) -> &'a [u8] {
        &self.bytes.0[self.start..self.start + self.len]
    }
}

/// The element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float.
    F32,
    /// 16-bit float (weights, dequantized at load).
    F16,
    /// 32-bit integer (shapes, paddings).
    I32,
    /// Anything else; the engine refuses models that compute with it.
    Other(u8),
}

/// A tensor's description.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Dimensions, NHWC for images.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Index of its constant data in [`Model::buffers`] (empty for computed tensors).
    pub buffer: usize,
    /// The name the converter gave it.
    pub name: String,
}

/// SAME or VALID padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Pad so that the output is `ceil(input / stride)`.
    Same,
    /// No padding.
    Valid,
}

/// The activation fused into an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// None.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `clamp(x, -1, 1)`.
    ReluN1To1,
    /// `clamp(x, 0, 6)`.
    Relu6,
}

/// Window options of convolutions and pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Padding.
    pub padding: Padding,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal dilation (convolutions) — or the pool's filter width.
    pub dilation_w: usize,
    /// Vertical dilation (convolutions) — or the pool's filter height.
    pub dilation_h: usize,
    /// Fused activation.
    pub activation: Activation,
}

/// One operator of the graph, with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// 2-D convolution.
    Conv2d(Window),
    /// Depthwise 2-D convolution.
    DepthwiseConv2d(Window),
    /// Max pooling; `dilation_*` hold the filter size.
    MaxPool2d(Window),
    /// Average pooling; `dilation_*` hold the filter size.
    AveragePool2d(Window),
    /// Element-wise addition (with broadcasting).
    Add(Activation),
    /// Element-wise multiplication (with broadcasting).
    Mul(Activation),
    /// Concatenation along an axis.
    Concatenation(i32, Activation),
    /// Zero padding.
    Pad,
    /// Reshape (the shape comes from the output tensor).
    Reshape,
    /// `max(x, 0)`.
    Relu,
    /// `clamp(x, 0, 6)`.
    Relu6,
    /// Parametric ReLU.
    Prelu,
    /// Logistic sigmoid.
    Logistic,
    /// `x · relu6(x + 3) / 6`.
    HardSwish,
    /// fp16 → f32.
    Dequantize,
    /// Bilinear resize to the output's height and width.
    ResizeBilinear {
        /// Corner pixels of input and output line up (scale (in − 1)/(out − 1)).
        align_corners: bool,
        /// Sample at pixel centres (offset by half a pixel).
        half_pixel_centers: bool,
    },
    /// MediaPipe's custom transposed convolution with bias (`Convolution2DTransposeBias`):
    /// weights `[Co, Kh, Kw, Ci]`, the output's size from its tensor.
    TransposeConvBias(Window),
    /// A strided slice; begin, end and strides come from constant tensors.
    StridedSlice {
        /// Axes whose begin is ignored (start from the first element).
        begin_mask: i32,
        /// Axes whose end is ignored (run to the last element).
        end_mask: i32,
        /// Axes taken at one index and dropped from the output's shape.
        shrink_axis_mask: i32,
    },
    /// MediaPipe's `Landmarks2TransformMatrix` (version 2): the matrix that maps a crop of a
    /// feature map, set around a subset of landmarks and turned level, into the map.
    LandmarksToMatrix(Box<LandmarksMatrix>),
    /// MediaPipe's `TransformTensorBilinear`: samples a 1×H×W×C map at the points a 4×4 matrix
    /// sends the output's pixels to.
    TransformTensorBilinear,
    /// MediaPipe's `TransformLandmarks` (version 2): 1×N×D landmarks through a 4×4 matrix.
    TransformLandmarks,
    /// An operator the engine does not run (its builtin code, or -1 for a custom one).
    Unsupported(i32, String),
}

/// The options of `Landmarks2TransformMatrix` (version 2).
#[derive(Debug, Clone, PartialEq)]
pub struct LandmarksMatrix {
    /// The landmarks whose line sets the rotation, from `left` to `right`.
    pub left: usize,
    /// See `left`.
    pub right: usize,
    /// The angle that line is turned to, radians.
    pub target_rotation: f32,
    /// The crop's size in the output map, pixels.
    pub output_width: f32,
    /// See `output_width`.
    pub output_height: f32,
    /// The crop is the subset's box times these.
    pub scale_x: f32,
    /// See `scale_x`.
    pub scale_y: f32,
    /// The landmarks whose box the crop is set around.
    pub subset: Vec<usize>,
}

/// Reads `Landmarks2TransformMatrix`'s FlexBuffer options (version 2 only).
fn landmarks_matrix(raw: &[u8]) -> Result<LandmarksMatrix, Error> {
    let map = super::flex::Map::root(raw)?;
    if !map.has("subset_idxs") {
        return Err(bad("Landmarks2TransformMatrix version 1 is not supported"));
    }
    let index = |v: i64| usize::try_from(v).map_err(|_| bad("negative landmark index"));
    let size = |k: &str| -> Result<f32, Error> {
        let v = map.int(k)?;
        if v <= 0 {
            return Err(bad("non-positive crop size"));
        }
        Ok(v as f32)
    };
    let options = LandmarksMatrix {
        left: index(map.int("left_rotation_idx")?)?,
        right: index(map.int("right_rotation_idx")?)?,
        target_rotation: map.float("target_rotation_radians")? as f32,
        output_width: size("output_width")?,
        output_height: size("output_height")?,
        scale_x: map.float("scale_x")? as f32,
        scale_y: map.float("scale_y")? as f32,
        subset: map.ints("subset_idxs")?.into_iter().map(index).collect::<Result<_, _>>()?,
    };
    if options.subset.is_empty() || !(options.scale_x > 0.0 && options.scale_y > 0.0) {
        return Err(bad("Landmarks2TransformMatrix options out of range"));
    }
    Ok(options)
}

/// An operator with its input and output tensor indices (-1 for an absent optional input).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Input tensors.
    pub inputs: Vec<i32>,
    /// Output tensors.
    pub outputs: Vec<i32>,
}

/// The parts of a `.tflite` model the engine needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// All tensors of the first subgraph.
    pub tensors: Vec<TensorInfo>,
    /// The operators, in execution order.
    pub nodes: Vec<Node>,
    /// The graph's input tensors.
    pub inputs: Vec<usize>,
    /// The graph's output tensors.
    pub outputs: Vec<usize>,
    /// Constant data, by buffer index (byte ranges of the file).
    pub buffers: Vec<std::ops::Range<usize>>,
}

fn activation(code: u8) -> Activation {
    match code {
        1 => Activation::Relu,
        2 => Activation::ReluN1To1,
        3 => Activation::Relu6,
        _ => Activation::None,
    }
}

fn padding(code: u8) -> Padding {
    if code == 1 {
        Padding::Valid
    } else {
        Padding::Same
    }
}

fn positive(v: i32) -> Result<usize, Error> {
    usize::try_from(v).ok().filter(|&v| v > 0).ok_or_else(|| bad("non-positive stride or size"))
}

/// MediaPipe's `Convolution2DTransposeBias` options: a C struct of three little-endian `int`s,
/// padding (1 same, 2 valid), stride width and stride height.
fn transpose_conv_options(raw: &[u8]) -> Result<Window, Error> {
    let int = |k: usize| {
        raw.get(4 * k..4 * k + 4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_le_bytes)
            .ok_or_else(|| bad("short transposed-convolution options"))
    };
    Ok(Window {
        padding: if int(0)? == 2 { Padding::Valid } else { Padding::Same },
        stride_w: positive(int(1)?)?,
        stride_h: positive(int(2)?)?,
        dilation_w: 1,
        dilation_h: 1,
        activation: Activation::None,
    })
}

/// Reads an operator's options table, by builtin code (and a custom operator's raw options).
fn op_of(code: i32, custom: String, options: Option<Table<'_>>, raw: &[u8]) -> Result<Op, Error> {
    let opt = |i, d| options.map_or(Ok(d), |t| t.i32_or(i, d));
    let opt_u8 = |i, d| options.map_or(Ok(d), |t| t.u8_or(i, d));
    Ok(match code {
        3 => Op::Conv2d(Window {
            padding: padding(opt_u8(0, 0)?),
            stride_w: positive(opt(1, 1)?)?,
            stride_h: positive(opt(2, 1)?)?,
            activation: activation(opt_u8(3, 0)?),
            dilation_w: positive(opt(4, 1)?)?,
            dilation_h: positive(opt(5, 1)?)?,
        }),
        4 => Op::DepthwiseConv2d(Window {
            padding: padding(opt_u8(0, 0)?),
            stride_w: positive(opt(1, 1)?)?,
            stride_h: positive(opt(2, 1)?)?,
            activation: activation(opt_u8(4, 0)?),
            dilation_w: positive(opt(5, 1)?)?,
            dilation_h: positive(opt(6, 1)?)?,
        }),
        1 | 17 => {
            let window = Window {
                padding: padding(opt_u8(0, 0)?),
                stride_w: positive(opt(1, 1)?)?,
                stride_h: positive(opt(2, 1)?)?,
                dilation_w: positive(opt(3, 1)?)?,
                dilation_h: positive(opt(4, 1)?)?,
                activation: activation(opt_u8(5, 0)?),
            };
            if code == 17 {
                Op::MaxPool2d(window)
            } else {
                Op::AveragePool2d(window)
            }
        }
        0 => Op::Add(activation(opt_u8(0, 0)?)),
        18 => Op::Mul(activation(opt_u8(0, 0)?)),
        2 => Op::Concatenation(opt(0, 0)?, activation(opt_u8(1, 0)?)),
        34 => Op::Pad,
        22 => Op::Reshape,
        19 => Op::Relu,
        21 => Op::Relu6,
        54 => Op::Prelu,
        14 => Op::Logistic,
        117 => Op::HardSwish,
        6 => Op::Dequantize,
        23 => {
            Op::ResizeBilinear { align_corners: opt_u8(2, 0)? != 0, half_pixel_centers: opt_u8(3, 0)? != 0 }
        }
        45 => Op::StridedSlice {
            begin_mask: opt(0, 0)?,
            end_mask: opt(1, 0)?,
            shrink_axis_mask: if opt(2, 0)? != 0 || opt(3, 0)? != 0 {
                return Ok(Op::Unsupported(45, "ellipsis or new axis".into()));
            } else {
                opt(4, 0)?
            },
        },
        32 if custom == "Convolution2DTransposeBias" => Op::TransposeConvBias(transpose_conv_options(raw)?),
        32 if custom == "Landmarks2TransformMatrix" => {
            Op::LandmarksToMatrix(Box::new(landmarks_matrix(raw)?))
        }
        32 if custom == "TransformTensorBilinear" => Op::TransformTensorBilinear,
        32 if custom == "TransformLandmarks" => Op::TransformLandmarks,
        32 => Op::Unsupported(-1, custom),
        other => Op::Unsupported(other, custom),
    })
}

fn dtype(code: u8) -> DType {
    match code {
        0 => DType::F32,
        1 => DType::F16,
        2 => DType::I32,
        other => DType::Other(other),
    }
}

impl Model {
    /// Reads a `.tflite` file.
    pub fn parse(file: &[u8]) -> Result<Model, Error> {
        let bytes = Bytes(file);
        let model = bytes.table(bytes.deref(0)?)?;
        let codes = model.vector(1, 4)?.ok_or_else(|| bad("no operator codes"))?;
        let subgraphs = model.vector(2, 4)?.ok_or_else(|| bad("no subgraphs"))?;
        if subgraphs.len == 0 {
            return Err(bad("no subgraphs"));
        }
        let graph = subgraphs.table(0)?;
        let buffers = match model.vector(4, 4)? {
            Some(v) => (0..v.len)
                .map(|k| {
                    let data = v.table(k)?.vector(0, 1)?;
                    Ok(data.map_or(0..0, |d| d.start..d.start + d.len))
                })
                .collect::<Result<Vec<_>, Error>>()?,
            None => Vec::new(),
        };
        let tensors = match graph.vector(0, 4)? {
            Some(v) => (0..v.len).map(|k| tensor(v.table(k)?)).collect::<Result<Vec<_>, Error>>()?,
            None => Vec::new(),
        };
        let nodes = match graph.vector(3, 4)? {
            Some(v) => (0..v.len).map(|k| node(v.table(k)?, &codes)).collect::<Result<Vec<_>, Error>>()?,
            None => Vec::new(),
        };
        let index = |list: Vec<i32>| -> Result<Vec<usize>, Error> {
            list.into_iter()
                .map(|i| {
                    usize::try_from(i)
                        .ok()
                        .filter(|&i| i < tensors.len())
                        .ok_or_else(|| bad("bad tensor index"))
                })
                .collect()
        };
        let inputs = index(graph.i32s(1)?)?;
        let outputs = index(graph.i32s(2)?)?;
        let model = Model { tensors, nodes, inputs, outputs, buffers };
        model.check()?;
        Ok(model)
    }

    /// Every index points at something that exists, and all the tensors together fit in memory
    /// (at most 2²⁵ values, 128 MB as f32: the face models need under 2 MB).
    fn check(&self) -> Result<(), Error> {
        let total =
            self.tensors.iter().try_fold(0usize, |n, t| n.checked_add(t.shape.iter().product::<usize>()));
        if total.is_none_or(|n| n > 1 << 25) {
            return Err(bad("tensors too large"));
        }
        for t in &self.tensors {
            if t.buffer >= self.buffers.len().max(1) {
                return Err(bad("tensor buffer index out of range"));
            }
        }
        for n in &self.nodes {
            for &i in n.inputs.iter().chain(&n.outputs) {
                if i >= self.tensors.len() as i32 || i < -1 {
                    return Err(bad("operator tensor index out of range"));
                }
            }
        }
        Ok(())
    }

    /// The constant bytes of tensor `t` (empty for computed tensors).
    pub fn data<'f>(&self, file: &'f [u8], t: usize) -> &'f [u8] {
        self.tensors
            .get(t)
            .and_then(|t| self.buffers.get(t.buffer))
            .and_then(|r| file.get(r.clone()))
            .unwrap_or(&[])
    }
}

fn tensor(t: Table<'_>) -> Result<TensorInfo, Error> {
    let shape = t
        .i32s(0)?
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| bad("negative dimension")))
        .collect::<Result<Vec<_>, Error>>()?;
    if shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).is_none_or(|n| n > 1 << 28) {
        return Err(bad("tensor too large"));
    }
    Ok(TensorInfo {
        shape,
        dtype: dtype(t.u8_or(1, 0)?),
        buffer: t.u32_or(2, 0)? as usize,
        name: t.string(3)?,
    })
}

fn node(op: Table<'_>, codes: &Vector<'_>) -> Result<Node, Error> {
    let index = op.u32_or(0, 0)? as usize;
    if index >= codes.len {
        return Err(bad("operator code index out of range"));
    }
    let code_table = codes.table(index)?;
    // `builtin_code` (field 3) replaced the byte-sized `deprecated_builtin_code` (field 0).
    let code = code_table.i32_or(3, 0)?.max(code_table.u8_or(0, 0)? as i32);
    let custom = code_table.string(1)?;
    let options = op.table(4)?;
    let raw = op.vector(5, 1)?.map_or(&[][..], |v| v.slice());
    Ok(Node { op: op_of(code, custom, options, raw)?, inputs: op.i32s(1)?, outputs: op.i32s(2)? })
}
