//! `face.uncovered`: nothing over the lower face — a mask, a scarf, a phone or a microphone in
//! front of the mouth and chin (注意事项: 不得遮挡面部).
//!
//! The mesh fits a face under a mask as well as a bare one, so the check reads colour: the share
//! of the lower face (nose tip to chin, the mouth's width and a third more each side) whose
//! chroma is not skin's, less the same share between the eyes. Any skin tone lies in one band of
//! BT.601 chroma; a surgical, white, black or patterned mask, a phone or a microphone does not.
//! Taken against the skin between the eyes, a photo in grey or under coloured light, where
//! nothing is skin-coloured, is not taken for a covered face. A hand is skin: it is not seen.

use super::region::Polygon;
use super::skin::chroma;
use super::{graded, unmeasured, Check, CheckId, Rules};
use crate::face::landmarks::{CHIN, NOSE_BRIDGE, NOSE_TIP, RIGHT_EYE_INNER, RIGHT_EYE_OUTER};
use crate::face::Face;
use crate::FrameView;

/// The mouth's outer corners.
const MOUTH_CORNERS: [usize; 2] = [61, 291];
/// Fewest pixels a region needs to be measured.
const MIN_PIXELS: u32 = 50;

/// Whether a pixel's chroma is skin's, of any tone: Cb 77–127 and Cr 133–173 on the 0–255
/// scale (Chai and Ngan's skin-colour map).
fn skin_coloured([r, g, b, _]: [u8; 4]) -> bool {
    let (cb, cr) = chroma(r, g, b);
    (-51.0..=-1.0).contains(&cb) && (5.0..=45.0).contains(&cr)
}

/// The share of the pixels of `region` whose colour is not skin's, or `None` when it holds too
/// few pixels.
fn off_skin(frame: &FrameView<'_>, region: &Polygon) -> Option<f64> {
    let (mut n, mut off) = (0u32, 0u32);
    region.for_each_pixel(frame, |_, _, p| {
        n += 1;
        off += !skin_coloured(p) as u32;
    });
    (n >= MIN_PIXELS).then(|| off as f64 / n as f64)
}

/// `face.uncovered`: the lower face's share off skin colour less that between the eyes, at most
/// `rules.max_cover`.
pub fn check(frame: &FrameView<'_>, face: &Face, rules: &Rules) -> Check {
    let point = |i: usize| [face.mesh[i][0] as f64, face.mesh[i][1] as f64];
    let [right, left] = MOUTH_CORNERS.map(point);
    let width = (left[0] - right[0]).abs();
    let (x0, x1) = (right[0].min(left[0]) - 0.3 * width, right[0].max(left[0]) + 0.3 * width);
    let lower = Polygon::rect(x0, point(NOSE_TIP)[1], x1, point(CHIN)[1]);
    let eye = face.distance(RIGHT_EYE_OUTER, RIGHT_EYE_INNER);
    let [bx, by] = point(NOSE_BRIDGE);
    let between = Polygon::rect(bx - 0.5 * eye, by - 0.3 * eye, bx + 0.5 * eye, by + 0.3 * eye);
    match (off_skin(frame, &lower), off_skin(frame, &between)) {
        (Some(lower), Some(between)) => {
            graded(CheckId::FaceUncovered, (lower - between).max(0.0), 0.0, rules.max_cover)
        }
        _ => unmeasured(CheckId::FaceUncovered),
    }
}
