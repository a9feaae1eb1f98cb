//! BlazeFace (MediaPipe's short-range face detector): letterboxed 128×128 input, 896 SSD anchors,
//! box and six keypoints per anchor, weighted non-maximum suppression.

use super::engine::Engine;
use crate::{Error, ErrorKind, FrameView};

/// The detector's input side, in pixels.
const SIDE: usize = 128;
/// Scores below this are not faces (MediaPipe's `min_score_thresh` for this model).
pub const MIN_SCORE: f32 = 0.5;
/// Boxes overlapping more than this are one face (MediaPipe's `min_suppression_threshold`).
const NMS_IOU: f32 = 0.3;

/// A face found by the detector, in the image's pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detection {
    /// Confidence, 0–1.
    pub score: f32,
    /// `[x, y, w, h]` of the face box.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// Right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the
    /// subject's right and left: the right eye is on the image's left in a frontal photo).
    pub keypoints: [[f32; 2]; 6],
}

/// SSD anchor centres for the short-range model: a 16×16 grid with 2 anchors per cell (stride 8)
/// then an 8×8 grid with 6 (three stride-16 layers of 2), all of unit size.
fn anchors() -> Vec<[f32; 2]> {
    let mut out = Vec::with_capacity(896);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                let centre = [(x as f32 + 0.5) / grid as f32, (y as f32 + 0.5) / grid as f32];
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

/// Where the image sits inside the letterboxed square: scale and padding, in input pixels.
#[derive(Debug, Clone, Copy)]
struct Letterbox {
    scale: f32,
    pad_x: f32,
    pad_y: f32,
}

impl Letterbox {
    fn new(w: u32, h: u32, side: usize) -> Letterbox {
        let scale = side as f32 / w.max(h) as f32;
        Letterbox {
            scale,
            pad_x: (side as f32 - w as f32 * scale) / 2.0,
            pad_y: (side as f32 - h as f32 * scale) / 2.0,
        }
    }

    /// From normalised input coordinates (0–1 of the square) to image pixels.
    fn image_point(&self, x: f32, y: f32, side: usize) -> [f32; 2] {
        [(x * side as f32 - self.pad_x) / self.scale, (y * side as f32 - self.pad_y) / self.scale]
    }
}

/// Samples `frame` into a `side`×`side` RGB tensor in [-1, 1], letterboxed (the border is -1,
/// black), bilinear. Tensor pixel `i` samples the image at `(i − pad) / scale`, corner-aligned as
/// MediaPipe's image-to-tensor step does: with pixel-centre alignment instead, keypoints moved by
/// half a tensor pixel (4 px on a 1000 px photo) against MediaPipe's own detector.
pub(super) fn letterboxed_input(frame: &FrameView<'_>, side: usize, out: &mut Vec<f32>) -> Letterboxed {
    let lb = Letterbox::new(frame.width(), frame.height(), side);
    out.clear();
    out.resize(side * side * 3, -1.0);
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    for y in 0..side {
        let sy = (y as f32 - lb.pad_y) / lb.scale;
        if sy < -0.5 || sy > h - 0.5 {
            continue;
        }
        for x in 0..side {
            let sx = (x as f32 - lb.pad_x) / lb.scale;
            if sx < -0.5 || sx > w - 0.5 {
                continue;
            }
            let rgb = bilinear(frame, sx, sy);
            let o = (y * side + x) * 3;
            for (dst, v) in out[o..o + 3].iter_mut().zip(rgb) {
                *dst = v / 127.5 - 1.0;
            }
        }
    }
    Letterboxed(lb)
}

/// The letterbox used for one input, to map results back.
pub(super) struct Letterboxed(Letterbox);

/// Bilinear RGB at (`x`, `y`), clamped to the frame.
pub(crate) fn bilinear(frame: &FrameView<'_>, x: f32, y: f32) -> [f32; 3] {
    let (mw, mh) = (frame.width() as f32 - 1.0, frame.height() as f32 - 1.0);
    let (x, y) = (x.clamp(0.0, mw), y.clamp(0.0, mh));
    let (x0, y0) = (x as u32, y as u32);
    let (x1, y1) = ((x0 + 1).min(frame.width() - 1), (y0 + 1).min(frame.height() - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let (top, bottom) = (frame.row(y0), frame.row(y1));
    let (a, b) = (x0 as usize * 4, x1 as usize * 4);
    let mut rgb = [0.0; 3];
    for (k, v) in rgb.iter_mut().enumerate() {
        let t = top[a + k] as f32 + (top[b + k] as f32 - top[a + k] as f32) * fx;
        let u = bottom[a + k] as f32 + (bottom[b + k] as f32 - bottom[a + k] as f32) * fx;
        *v = t + (u - t) * fy;
    }
    rgb
}

/// The face detector.
pub struct Detector {
    engine: Engine,
    anchors: Vec<[f32; 2]>,
    input: Vec<f32>,
}

/// A raw candidate in normalised input coordinates: box `[x0, y0, x1, y1]` and keypoints.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    rect: [f32; 4],
    keypoints: [[f32; 2]; 6],
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// MediaPipe's weighted NMS: the best candidate absorbs those overlapping it, its box and keypoints
/// becoming their score-weighted mean; its score stays its own.
fn weighted_nms(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(best) = candidates.first().copied() {
        let (cluster, rest): (Vec<Candidate>, Vec<Candidate>) =
            candidates.into_iter().partition(|c| iou(&best.rect, &c.rect) > NMS_IOU);
        candidates = rest;
        let total: f32 = cluster.iter().map(|c| c.score).sum();
        let mut merged = Candidate { score: best.score, rect: [0.0; 4], keypoints: [[0.0; 2]; 6] };
        for c in &cluster {
            let w = c.score / total;
            for k in 0..4 {
                merged.rect[k] += c.rect[k] * w;
            }
            for (m, p) in merged.keypoints.iter_mut().zip(&c.keypoints) {
                m[0] += p[0] * w;
                m[1] += p[1] * w;
            }
        }
        out.push(merged);
    }
    out
}

impl Detector {
    /// Loads the detector from the bytes of `face_detection_short_range.tflite`.
    pub fn new(model: &[u8]) -> Result<Detector, Error> {
        let engine = Engine::load(model)?;
        if engine.input_shape(0) != Some(&[1, SIDE, SIDE, 3][..]) {
            return Err(Error::new(ErrorKind::ModelFormat, "not a 128×128 face detector"));
        }
        Ok(Detector { engine, anchors: anchors(), input: Vec::new() })
    }

    /// Finds the faces in `frame`, best first.
    pub fn detect(&mut self, frame: &FrameView<'_>) -> Result<Vec<Detection>, Error> {
        let Letterboxed(lb) = letterboxed_input(frame, SIDE, &mut self.input);
        let outputs = self.engine.run(&self.input)?;
        let (boxes, scores) = match outputs[..] {
            [b, s] if b.len() == 896 * 16 && s.len() == 896 => (b, s),
            _ => return Err(Error::new(ErrorKind::ModelFormat, "unexpected detector outputs")),
        };
        let side = SIDE as f32;
        let mut candidates = Vec::new();
        for (i, (anchor, &raw)) in self.anchors.iter().zip(scores).enumerate() {
            let score = 1.0 / (1.0 + (-raw.clamp(-100.0, 100.0)).exp());
            if score < MIN_SCORE {
                continue;
            }
            let r = &boxes[i * 16..(i + 1) * 16];
            let (cx, cy) = (r[0] / side + anchor[0], r[1] / side + anchor[1]);
            let (w, h) = (r[2] / side, r[3] / side);
            let mut keypoints = [[0.0; 2]; 6];
            for (k, p) in keypoints.iter_mut().enumerate() {
                *p = [r[4 + 2 * k] / side + anchor[0], r[5 + 2 * k] / side + anchor[1]];
            }
            candidates.push(Candidate {
                score,
                rect: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
                keypoints,
            });
        }
        Ok(weighted_nms(candidates)
            .into_iter()
            .map(|c| {
                let [x0, y0] = lb.image_point(c.rect[0], c.rect[1], SIDE);
                let [x1, y1] = lb.image_point(c.rect[2], c.rect[3], SIDE);
                Detection {
                    score: c.score,
                    bbox: [x0, y0, x1 - x0, y1 - y0],
                    keypoints: c.keypoints.map(|[x, y]| lb.image_point(x, y, SIDE)),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_896_anchors_on_two_grids() {
        let a = anchors();
        assert_eq!(a.len(), 896);
        assert_eq!(a[0], [1.0 / 32.0, 1.0 / 32.0]);
        assert_eq!(a[1], a[0]);
        assert_eq!(a[512], [1.0 / 16.0, 1.0 / 16.0]);
        assert_eq!(a[895], [15.0 / 16.0, 15.0 / 16.0]);
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_the_best_score() {
        let c = |score, x| Candidate { score, rect: [x, 0.0, x + 1.0, 1.0], keypoints: [[x, 0.0]; 6] };
        let out = weighted_nms(vec![c(0.6, 0.1), c(0.9, 0.0), c(0.7, 5.0)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        assert!((out[0].rect[0] - 0.6 * 0.1 / 1.5).abs() < 1e-6, "weighted mean of 0.0 and 0.1");
        assert_eq!(out[1].rect[0], 5.0);
    }

    #[test]
    fn letterbox_maps_back_to_image_pixels() {
        let lb = Letterbox::new(640, 480, 128);
        assert_eq!(lb.scale, 0.2);
        assert_eq!((lb.pad_x, lb.pad_y), (0.0, 16.0));
        assert_eq!(lb.image_point(0.5, 0.5, 128), [320.0, 240.0]);
        assert_eq!(lb.image_point(0.0, 16.0 / 128.0, 128), [0.0, 0.0]);
    }
}
