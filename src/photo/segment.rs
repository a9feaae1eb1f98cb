//! The person in a picture: MediaPipe's selfie-segmentation model (256×256, Apache-2.0, from npm
//! `@mediapipe/selfie_segmentation`), run on the same engine as the face models.

use crate::face::detect::bilinear;
use crate::face::engine::Engine;
use crate::{Error, ErrorKind, FrameView};

/// The model's input side, in pixels.
const SIDE: usize = 256;

/// How likely each pixel is to show the person, 0–1, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One value per pixel.
    pub values: Vec<f32>,
}

impl Mask {
    /// The value at (`x`, `y`).
    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.values[(y * self.width + x) as usize]
    }
}

/// The segmentation model, loaded.
pub struct Segmenter {
    engine: Engine,
    input: Vec<f32>,
}

impl Segmenter {
    /// Loads the model from the bytes of `selfie_segmentation.tflite`.
    pub fn new(model: &[u8]) -> Result<Segmenter, Error> {
        let engine = Engine::load(model)?;
        if engine.input_shape(0) != Some(&[1, SIDE, SIDE, 3][..]) {
            return Err(Error::new(
                ErrorKind::ModelFormat,
                "the segmentation model does not take 256×256 RGB",
            ));
        }
        Ok(Segmenter { engine, input: vec![0.0; SIDE * SIDE * 3] })
    }

    /// The person mask of `frame`, at its size: the frame is stretched to 256×256 (as MediaPipe
    /// feeds the model), and the model's answer stretched back with bilinear interpolation.
    pub fn mask(&mut self, frame: &FrameView<'_>) -> Result<Mask, Error> {
        let (w, h) = (frame.width(), frame.height());
        let (sx, sy) = (w as f32 / SIDE as f32, h as f32 / SIDE as f32);
        for y in 0..SIDE {
            for x in 0..SIDE {
                let rgb = bilinear(frame, (x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5);
                let o = (y * SIDE + x) * 3;
                for (dst, v) in self.input[o..o + 3].iter_mut().zip(rgb) {
                    *dst = v / 255.0;
                }
            }
        }
        let outputs = self.engine.run(&self.input)?;
        let raw = match outputs[..] {
            [m] if m.len() == SIDE * SIDE => m,
            _ => return Err(Error::new(ErrorKind::ModelFormat, "unexpected segmentation output")),
        };
        let sample = |x: f32, y: f32| {
            let (x, y) = (x.clamp(0.0, (SIDE - 1) as f32), y.clamp(0.0, (SIDE - 1) as f32));
            let (x0, y0) = (x as usize, y as usize);
            let (x1, y1) = ((x0 + 1).min(SIDE - 1), (y0 + 1).min(SIDE - 1));
            let (tx, ty) = (x - x0 as f32, y - y0 as f32);
            let row = |y: usize| raw[y * SIDE + x0] + (raw[y * SIDE + x1] - raw[y * SIDE + x0]) * tx;
            row(y0) + (row(y1) - row(y0)) * ty
        };
        let mut values = Vec::with_capacity((w * h) as usize);
        for y in 0..h {
            for x in 0..w {
                values.push(sample((x as f32 + 0.5) / sx - 0.5, (y as f32 + 0.5) / sy - 0.5).clamp(0.0, 1.0));
            }
        }
        Ok(Mask { width: w, height: h, values })
    }
}
