//! `light.exposure`: the face's luminance, measured inside the mesh's face oval the way OFIQ
//! measures it (mean luminance, share of dark pixels 0–25, share of clipped pixels 247–255) and
//! scored with OFIQ's LuminanceMean, UnderExposurePrevention and OverExposurePrevention mappings.
//! The check passes when all three scores reach the limit; its score is the lowest of them.

use super::ofiq::Measure;
use super::{inside, Check, CheckId};
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// The face oval of the mesh (`measures::index::CONTOUR`), as a polygon.
fn oval(face: &Face) -> Vec<[f64; 2]> {
    face.measures.contour.iter().map(|p| [p[0] as f64, p[1] as f64]).collect()
}

/// Mean luminance (0–1) and the shares of dark and clipped pixels inside the face oval.
pub fn measure(frame: &FrameView<'_>, face: &Face) -> Option<(f64, f64, f64)> {
    let poly = oval(face);
    if poly.len() < 3 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &poly {
        (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
    }
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    let xs = (x0.max(0.0) as u32)..(x1.min(w).max(0.0) as u32);
    let ys = (y0.max(0.0) as u32)..(y1.min(h).max(0.0) as u32);
    let (mut n, mut sum, mut dark, mut clipped) = (0u64, 0f64, 0u64, 0u64);
    for y in ys {
        for x in xs.clone() {
            if !inside(&poly, x as f64 + 0.5, y as f64 + 0.5) {
                continue;
            }
            let [r, g, b, _] = frame.pixel(x, y);
            let l = luma(r, g, b).round();
            n += 1;
            sum += l as f64;
            dark += (l <= 25.0) as u64;
            clipped += (l >= 247.0) as u64;
        }
    }
    (n > 0).then(|| (sum / n as f64 / 255.0, dark as f64 / n as f64, clipped as f64 / n as f64))
}

/// The `light.exposure` check; `None` when the face oval covers no pixel.
pub fn check(frame: &FrameView<'_>, face: &Face, min_score: u8) -> Option<Check> {
    let (mean, dark, clipped) = measure(frame, face)?;
    let scores = [
        Measure::LuminanceMean.score(mean),
        Measure::UnderExposurePrevention.score(dark),
        Measure::OverExposurePrevention.score(clipped),
    ];
    let score = scores.into_iter().min().unwrap_or(0);
    Some(Check { id: CheckId::LightExposure, pass: score >= min_score, score, value: Some(mean) })
}
