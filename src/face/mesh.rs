//! The 468-point face mesh: a rotated square around the face is sampled at 192×192 and the model
//! places the points in it. Either of MediaPipe's two meshes: `face_landmark.tflite`, or
//! `face_landmark_with_attention.tflite`, whose extra heads place the eyelids and the lips again
//! from crops of them; its refined lids and lips replace the mesh's (the brows around the eyes
//! and the irises it also places are not used).

use super::detect::{bilinear, Detection};
use super::engine::Engine;
use crate::{Error, ErrorKind, FrameView};

/// The mesh model's input side, in pixels.
const SIDE: usize = 192;
/// How many points the mesh has.
pub const POINTS: usize = 468;
/// The region around a face is this many times the face's size (MediaPipe's ROI scale).
const ROI_SCALE: f32 = 1.5;

/// Mesh points used to orient the next region in video: the outer corners of the two eyes.
const RIGHT_EYE_OUTER: usize = 33;
const LEFT_EYE_OUTER: usize = 263;

/// A rotated square of the image: centre, side and angle (radians, clockwise as the image's y
/// axis points down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre x, in image pixels.
    pub cx: f32,
    /// Centre y.
    pub cy: f32,
    /// Side, in image pixels.
    pub side: f32,
    /// Rotation, radians.
    pub angle: f32,
}

impl Roi {
    /// The region for a detected face: the box's centre, 1.5 times its longer side, turned so that
    /// the eyes are level.
    pub fn from_detection(d: &Detection) -> Roi {
        let [x, y, w, h] = d.bbox;
        let [re, le] = [d.keypoints[0], d.keypoints[1]];
        Roi {
            cx: x + w / 2.0,
            cy: y + h / 2.0,
            side: w.max(h) * ROI_SCALE,
            angle: (le[1] - re[1]).atan2(le[0] - re[0]),
        }
    }

    /// The region to look in on the next video frame: around the mesh found in this one.
    pub fn from_mesh(points: &[[f32; 3]]) -> Option<Roi> {
        if points.len() != POINTS {
            return None;
        }
        let (re, le) = (points[RIGHT_EYE_OUTER], points[LEFT_EYE_OUTER]);
        let angle = (le[1] - re[1]).atan2(le[0] - re[0]);
        // The box of the points in the region's own (rotated) frame.
        let (s, c) = angle.sin_cos();
        let rotated = points.iter().map(|p| (p[0] * c + p[1] * s, -p[0] * s + p[1] * c));
        let (x0, y0, x1, y1) = rotated
            .fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(a, b, cc, d), (x, y)| {
                (a.min(x), b.min(y), cc.max(x), d.max(y))
            });
        let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        Some(Roi {
            cx: mx * c - my * s,
            cy: mx * s + my * c,
            side: (x1 - x0).max(y1 - y0) * ROI_SCALE,
            angle,
        })
    }

    /// From region coordinates (0–1 across and down the rotated square) to image pixels.
    fn to_image_point(self, u: f32, v: f32) -> [f32; 2] {
        let (dx, dy) = ((u - 0.5) * self.side, (v - 0.5) * self.side);
        let (s, c) = self.angle.sin_cos();
        [self.cx + dx * c - dy * s, self.cy + dx * s + dy * c]
    }
}

/// A face mesh in image pixels: x, y and a depth z on the same scale (smaller is nearer).
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    /// The model's confidence that a face is in the region, 0–1.
    pub presence: f32,
    /// The 468 points.
    pub points: Vec<[f32; 3]>,
}

/// The mesh points on each eye's outline, in the order of the attention mesh's eye heads (the
/// first 16 of their 71 points): the lower lid from the outer corner to the inner, then the upper
/// lid between them; the image's left eye first.
const EYE_OUTLINES: [[usize; 16]; 2] = [
    [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
    [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
];

/// The eyes' corners keep the mesh's own places: the eye line (roll, the photo's placement) read
/// from the refined corners moved by 1.5° between a portrait and the same portrait blurred or
/// darkened (`obama2`), where the mesh's corners hold still; the lids between them are refined.
const EYE_CORNERS: [usize; 4] = [33, 133, 263, 362];

/// The mesh points of the lips, in the order of the attention mesh's lips head: the lower outer
/// contour from corner to corner, the upper outer between the corners, then the same for the
/// inner contour, the semi-outer and the semi-inner rings.
const LIPS: [usize; 80] = [
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409, 78, 95, 88,
    178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415, 76, 77, 90, 180, 85, 16,
    315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408, 62, 96, 89, 179, 86, 15, 316, 403, 319,
    325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407,
];

/// The mesh model.
pub struct MeshModel {
    engine: Engine,
    input: Vec<f32>,
}

impl MeshModel {
    /// Loads the model from the bytes of `face_landmark.tflite`.
    pub fn new(model: &[u8]) -> Result<MeshModel, Error> {
        let engine = Engine::load(model)?;
        if engine.input_shape(0) != Some(&[1, SIDE, SIDE, 3][..]) {
            return Err(Error::new(ErrorKind::ModelFormat, "not a 192×192 face mesh model"));
        }
        Ok(MeshModel { engine, input: vec![0.0; SIDE * SIDE * 3] })
    }

    /// Places the mesh in `roi` of `frame`.
    pub fn run(&mut self, frame: &FrameView<'_>, roi: Roi) -> Result<Mesh, Error> {
        for y in 0..SIDE {
            for x in 0..SIDE {
                let [sx, sy] =
                    roi.to_image_point((x as f32 + 0.5) / SIDE as f32, (y as f32 + 0.5) / SIDE as f32);
                let rgb = bilinear(frame, sx - 0.5, sy - 0.5);
                let o = (y * SIDE + x) * 3;
                for (dst, v) in self.input[o..o + 3].iter_mut().zip(rgb) {
                    *dst = v / 255.0;
                }
            }
        }
        let outputs = self.engine.run(&self.input)?;
        let eye_point = 2 * EYE_OUTLINES[0].len();
        let (raw, flag, refined) = match outputs[..] {
            [p, f] if p.len() == POINTS * 3 && f.len() == 1 => (p, f[0], None),
            // The attention mesh: the mesh, the lips, the two eyes (71 points each, x and y),
            // the two irises and the face flag.
            [p, lips, l, r, _, _, f]
                if p.len() == POINTS * 3
                    && lips.len() == 2 * LIPS.len()
                    && l.len() >= eye_point
                    && r.len() >= eye_point
                    && f.len() == 1 =>
            {
                let parts: [(&[usize], &[f32]); 3] =
                    [(&LIPS, lips), (&EYE_OUTLINES[0], l), (&EYE_OUTLINES[1], r)];
                (p, f[0], Some(parts))
            }
            _ => return Err(Error::new(ErrorKind::ModelFormat, "unexpected mesh outputs")),
        };
        let side = SIDE as f32;
        let mut points: Vec<[f32; 3]> = raw
            .chunks_exact(3)
            .map(|p| {
                let [x, y] = roi.to_image_point(p[0] / side, p[1] / side);
                [x, y, p[2] / side * roi.side]
            })
            .collect();
        for &(indices, places) in refined.iter().flatten() {
            for (&i, xy) in
                indices.iter().zip(places.chunks_exact(2)).filter(|(i, _)| !EYE_CORNERS.contains(i))
            {
                let [x, y] = roi.to_image_point(xy[0] / side, xy[1] / side);
                points[i][0] = x;
                points[i][1] = y;
            }
        }
        Ok(Mesh { presence: 1.0 / (1.0 + (-flag).exp()), points })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roi_points_rotate_about_the_centre() {
        let roi = Roi { cx: 100.0, cy: 50.0, side: 20.0, angle: std::f32::consts::FRAC_PI_2 };
        assert_eq!(roi.to_image_point(0.5, 0.5), [100.0, 50.0]);
        let [x, y] = roi.to_image_point(1.0, 0.5);
        assert!((x - 100.0).abs() < 1e-4 && (y - 60.0).abs() < 1e-4, "a quarter turn sends right to down");
    }

    #[test]
    fn roi_from_mesh_recovers_a_level_square() {
        let mut points = vec![[0.0f32; 3]; POINTS];
        for (i, p) in points.iter_mut().enumerate() {
            *p = [100.0 + (i % 40) as f32, 200.0 + (i / 40) as f32 * 3.0, 0.0];
        }
        points[RIGHT_EYE_OUTER] = [105.0, 210.0, 0.0];
        points[LEFT_EYE_OUTER] = [135.0, 210.0, 0.0];
        let roi = Roi::from_mesh(&points).unwrap();
        assert!(roi.angle.abs() < 1e-6);
        assert!((roi.cx - 119.5).abs() < 1e-3 && (roi.cy - 216.5).abs() < 1e-3);
        assert!((roi.side - 39.0 * ROI_SCALE).abs() < 1e-3);
    }
}
