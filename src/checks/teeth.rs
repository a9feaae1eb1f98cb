//! Teeth between the lips: bright, nearly colourless pixels inside the inner lip contour.

use super::region::{level_quantile, Polygon};
use super::skin::{saturation, Cheeks};
use crate::FrameView;

/// The inner lip contour of the face mesh: the upper lip from corner to corner, then the lower
/// lip back.
const INNER_LIPS: [usize; 20] =
    [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];

/// The outer lip contour: the upper lip's edge from corner to corner, then the lower lip's back.
const OUTER_LIPS: [usize; 20] =
    [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146];

/// The lips' own median luma and saturation: the pixels between the outer and the inner lip
/// contours. `None` when too few.
fn lips(frame: &FrameView<'_>, mesh: &[[f32; 3]], inner: &Polygon) -> Option<(f64, f64)> {
    // Histograms of whole levels (saturation in 256ths): the medians without a sort.
    let (mut lumas, mut sats, mut count) = ([0u32; 256], [0u32; 256], 0u32);
    Polygon::of_mesh(mesh, &OUTER_LIPS).for_each_pixel(frame, |x, y, [r, g, b, _]| {
        if !inner.contains(x as f64 + 0.5, y as f64 + 0.5) {
            lumas[crate::frame::luma(r, g, b).round().clamp(0.0, 255.0) as usize] += 1;
            sats[(255.0 * saturation(r, g, b)).round().clamp(0.0, 255.0) as usize] += 1;
            count += 1;
        }
    });
    if (count as f64) < MIN_AREA {
        return None;
    }
    Some((level_quantile(&lumas, count, 0.5), level_quantile(&sats, count, 0.5) / 255.0))
}

/// Smallest mouth opening, in pixels of area, worth looking into.
const MIN_AREA: f64 = 12.0;

/// Teeth in warm or coloured light are not colourless: a pixel between the lips is also teeth
/// when it is brighter than the lips' median by this factor…
const BRIGHTER_THAN_LIPS: f64 = 1.25;
/// …and its saturation under this share of the lips' median…
const PALER_THAN_LIPS: f64 = 0.7;
/// …and under this.
const PALE: f64 = 0.45;

/// The share (0–1) of the pixels between the lips that look like teeth: bright (above 40 and
/// 0.8 × the lit cheek's luma) and either colourless — saturation below 0.3 and below 0.8 × the
/// skin's, so that a washed-out or hazy picture, where lips and skin pale alike, shows no teeth —
/// or paler and brighter than the lips themselves ([`BRIGHTER_THAN_LIPS`], [`PALER_THAN_LIPS`],
/// [`PALE`]): on faces-real, smiles with teeth in warm light read saturations of 0.3–0.45 that
/// the colourless test alone missed. 0 when the lips are closed.
pub fn share(frame: &FrameView<'_>, mesh: &[[f32; 3]], cheeks: &Cheeks) -> f64 {
    let bright = cheeks.bright_luma().map_or(140.0, |s| (0.8 * s as f64).max(40.0));
    let colourless = cheeks.saturation().map_or(0.3, |s| (0.8 * s as f64).min(0.3));
    if mesh.len() < 468 {
        return 0.0;
    }
    let inner = Polygon::of_mesh(mesh, &INNER_LIPS);
    let lips = lips(frame, mesh, &inner);
    let (mut total, mut teeth) = (0u32, 0u32);
    inner.for_each_pixel(frame, |_, _, [r, g, b, _]| {
        total += 1;
        let luma = crate::frame::luma(r, g, b) as f64;
        let sat = saturation(r, g, b) as f64;
        let paler =
            lips.is_some_and(|(l, s)| luma > BRIGHTER_THAN_LIPS * l && sat < (PALER_THAN_LIPS * s).min(PALE));
        if luma > bright && (sat < colourless || paler) {
            teeth += 1;
        }
    });
    if (total as f64) < MIN_AREA {
        0.0
    } else {
        teeth as f64 / total as f64
    }
}
