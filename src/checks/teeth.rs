//! Teeth between the lips: bright, nearly colourless pixels inside the inner lip contour.

use super::region::Polygon;
use super::skin::{saturation, Cheeks};
use crate::FrameView;

/// The inner lip contour of the face mesh: the upper lip from corner to corner, then the lower
/// lip back.
const INNER_LIPS: [usize; 20] =
    [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];

/// Smallest mouth opening, in pixels of area, worth looking into.
const MIN_AREA: f64 = 12.0;

/// The share (0–1) of the pixels between the lips that look like teeth: bright (above 40 and
/// 0.8 × the lit cheek's luma) and colourless — saturation below 0.3 and below 0.8 × the skin's,
/// so that a washed-out or hazy picture, where lips and skin pale alike, shows no teeth. 0 when
/// the lips are closed.
pub fn share(frame: &FrameView<'_>, mesh: &[[f32; 3]], cheeks: &Cheeks) -> f64 {
    let bright = cheeks.bright_luma().map_or(140.0, |s| (0.8 * s as f64).max(40.0));
    let colourless = cheeks.saturation().map_or(0.3, |s| (0.8 * s as f64).min(0.3));
    if mesh.len() < 468 {
        return 0.0;
    }
    let (mut total, mut teeth) = (0u32, 0u32);
    Polygon::of_mesh(mesh, &INNER_LIPS).for_each_pixel(frame, |_, _, [r, g, b, _]| {
        total += 1;
        let luma = crate::frame::luma(r, g, b) as f64;
        if luma > bright && (saturation(r, g, b) as f64) < colourless {
            teeth += 1;
        }
    });
    if (total as f64) < MIN_AREA {
        0.0
    } else {
        teeth as f64 / total as f64
    }
}
