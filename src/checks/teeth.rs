//! Teeth between the lips: bright, nearly colourless pixels inside the inner lip contour.

use super::inside;
use crate::FrameView;

/// The inner lip contour of the face mesh: the upper lip from corner to corner, then the lower
/// lip back.
const INNER_LIPS: [usize; 20] =
    [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];

/// Smallest mouth opening, in pixels of area, worth looking into.
const MIN_AREA: f64 = 12.0;

/// The share (0–1) of the pixels between the lips that look like teeth: luma above 140 and
/// saturation (max − min over max) below 0.3. 0 when the lips are closed.
pub fn share(frame: &FrameView<'_>, mesh: &[[f32; 3]]) -> f64 {
    if mesh.len() < 468 {
        return 0.0;
    }
    let poly: Vec<[f64; 2]> = INNER_LIPS.iter().map(|&i| [mesh[i][0] as f64, mesh[i][1] as f64]).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &poly {
        (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
    }
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    let (x0, y0, x1, y1) =
        (x0.max(0.0) as u32, y0.max(0.0) as u32, x1.min(w - 1.0) as u32, y1.min(h - 1.0) as u32);
    let (mut total, mut teeth) = (0u32, 0u32);
    for y in y0..=y1.max(y0) {
        for x in x0..=x1.max(x0) {
            if x as f64 >= w || y as f64 >= h || !inside(&poly, x as f64 + 0.5, y as f64 + 0.5) {
                continue;
            }
            total += 1;
            let [r, g, b, _] = frame.pixel(x, y);
            let (max, min) = (r.max(g).max(b) as f64, r.min(g).min(b) as f64);
            let luma = crate::frame::luma(r, g, b) as f64;
            if luma > 140.0 && max > 0.0 && (max - min) / max < 0.3 {
                teeth += 1;
            }
        }
    }
    if (total as f64) < MIN_AREA {
        0.0
    } else {
        teeth as f64 / total as f64
    }
}
