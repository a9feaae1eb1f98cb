//! The picture of the face itself: `image.sharp` (focus and lens haze), `glasses.glare` (specular
//! spots around the eyes) and `hair.clear` (hair over the eyebrows or the ears).

use super::light::eye_box;
use super::region::Polygon;
use super::skin::Cheeks;
use super::{graded, unmeasured, Check, CheckId, Rules};
use crate::face::landmarks::{LEFT_CHEEK, LOWER_LIP, RIGHT_CHEEK, UNDER_NOSE};
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Side of the grid the inner face is averaged onto before measuring focus.
const GRID: usize = 64;

/// The three checks, in [`CheckId`] order.
pub fn checks(frame: &FrameView<'_>, face: &Face, cheeks: &Cheeks, rules: &Rules) -> [Check; 3] {
    [sharp(frame, face, rules), glare(frame, face, cheeks, rules), hair(frame, face, cheeks, rules)]
}

/// Luma of the box `x0..x1 × y0..y1` averaged onto a `GRID`×`GRID` grid; `None` when the box
/// leaves the frame or has fewer pixels than the grid.
fn grid(frame: &FrameView<'_>, [x0, y0, x1, y1]: [f64; 4]) -> Option<Vec<f32>> {
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    if x0 < 0.0 || y0 < 0.0 || x1 > w || y1 > h || x1 - x0 < GRID as f64 || y1 - y0 < GRID as f64 {
        return None;
    }
    let (sx, sy) = ((x1 - x0) / GRID as f64, (y1 - y0) / GRID as f64);
    let mut out = Vec::with_capacity(GRID * GRID);
    for gy in 0..GRID {
        let (ya, yb) = ((y0 + gy as f64 * sy) as u32, (y0 + (gy + 1) as f64 * sy) as u32);
        for gx in 0..GRID {
            let (xa, xb) = ((x0 + gx as f64 * sx) as u32, (x0 + (gx + 1) as f64 * sx) as u32);
            let (mut sum, mut n) = (0.0f32, 0.0f32);
            for y in ya..yb.max(ya + 1) {
                let row = frame.row(y);
                for x in xa..xb.max(xa + 1) {
                    let i = 4 * x as usize;
                    sum += luma(row[i], row[i + 1], row[i + 2]);
                    n += 1.0;
                }
            }
            out.push(sum / n);
        }
    }
    Some(out)
}

/// Focus: the mean absolute Laplacian of the inner face (brows to lower lip, cheek to cheek) on
/// a fixed grid, over its contrast (2nd to 98th percentile of luma), which a blur divides several
/// times over; haze: the Michelson contrast of those percentiles, which a veil of stray light
/// from a smudged lens lowers whatever the exposure.
fn sharp(frame: &FrameView<'_>, face: &Face, rules: &Rules) -> Check {
    let m = &face.mesh;
    let region =
        [m[RIGHT_CHEEK][0] as f64, face.brows() as f64, m[LEFT_CHEEK][0] as f64, m[LOWER_LIP][1] as f64];
    let Some(g) = grid(frame, region) else { return unmeasured(CheckId::ImageSharp) };
    let mut sorted = g.clone();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize] as f64;
    let (low, high) = (at(0.02), at(0.98));
    let contrast = high - low;
    let mut laplacian = 0.0f64;
    for y in 1..GRID - 1 {
        for x in 1..GRID - 1 {
            let i = y * GRID + x;
            laplacian += (4.0 * g[i] - g[i - 1] - g[i + 1] - g[i - GRID] - g[i + GRID]).abs() as f64;
        }
    }
    let focus = laplacian / ((GRID - 2) * (GRID - 2)) as f64 / contrast.max(1.0);
    let michelson = contrast / (high + low).max(1.0);
    let focus_check = graded(CheckId::ImageSharp, focus, 2.0 * rules.min_sharpness, rules.min_sharpness);
    let haze_check = graded(CheckId::ImageSharp, michelson, 2.0 * rules.min_contrast, rules.min_contrast);
    Check {
        id: CheckId::ImageSharp,
        pass: focus_check.pass && haze_check.pass,
        score: focus_check.score.min(haze_check.score),
        value: Some(focus),
    }
}

/// Glasses that reflect, by two measures over a box 1.8 eye widths wide and 1.2 high around each
/// eye, each the larger of the two eyes': the share of clipped colourless pixels, where glasses
/// reflect a lamp or a window (a pixel counts from luma 245, and only when it stands 40 levels
/// above the lit cheek: on an over-exposed face everything clips, and that is
/// `light.exposure`'s), at most `rules.max_glare`; and the share of bluish pixels (blue above
/// red and green by more than [`TINT_LEVELS`]), where a coated lens reflects a screen or a window
/// as a blue or violet veil that clips nothing (the webcam frames of faces-real), at most
/// `rules.max_glare_tint`. Skin, hair and eye whites are never that blue; a blue iris fills at
/// most a tenth of the box. Scored by the worse of the two.
fn glare(frame: &FrameView<'_>, face: &Face, cheeks: &Cheeks, rules: &Rules) -> Check {
    let threshold = cheeks.bright_luma().map_or(245.0, |s| (s + 40.0).max(245.0));
    let shares = |outer: usize, inner: usize| {
        let [x0, y0, x1, y1] = eye_box(face, outer, inner);
        let (mut n, mut spots, mut tinted) = (0u32, 0u32, 0u32);
        Polygon::rect(x0, y0, x1, y1).for_each_pixel(frame, |_, _, [r, g, b, _]| {
            n += 1;
            let (max, min) = (r.max(g).max(b) as f32, r.min(g).min(b) as f32);
            spots += (luma(r, g, b) >= threshold && max - min < 0.2 * max) as u32;
            tinted += (b as i32 - r.max(g) as i32 > TINT_LEVELS) as u32;
        });
        let n = n.max(1) as f64;
        [spots as f64 / n, tinted as f64 / n]
    };
    let ([rs, rt], [ls, lt]) = (shares(33, 133), shares(263, 362));
    let spots = graded(CheckId::GlassesGlare, rs.max(ls), 0.0, rules.max_glare);
    let tint = graded(CheckId::GlassesGlare, rt.max(lt), 0.0, rules.max_glare_tint);
    // `graded` passes exactly at 50 and over: the lower score carries both verdicts.
    if tint.score < spots.score {
        tint
    } else {
        spots
    }
}

/// How far blue must stand above red and green for a pixel to count as a lens's bluish glare.
const TINT_LEVELS: i32 = 10;

/// Share of the pixels of `region` much darker than `cheeks`' skin on their side of the nose.
fn dark_share(frame: &FrameView<'_>, region: &Polygon, cheeks: &Cheeks, nose_x: f64) -> Option<f64> {
    let (mut n, mut foreign) = (0u32, 0u32);
    region.for_each_pixel(frame, |x, _, p| {
        if let Some(skin) = cheeks.near(x as f64 + 0.5, nose_x) {
            n += 1;
            foreign += skin.darker(p) as u32;
        }
    });
    (n >= 20).then(|| foreign as f64 / n as f64)
}

/// The forehead just above each eyebrow (a band from a twelfth to a third of the eye distance
/// above it, square to the eye line) and the ears (beside the face from the temple to below the
/// tragus, a tenth of the face wide): the share of pixels much darker than the skin of the cheek
/// on the same side. Ears count only when almost nothing there is skin, since a background shows
/// beside a small ear. Dark hair is what this sees; fair hair over the brows passes.
fn hair(frame: &FrameView<'_>, face: &Face, cheeks: &Cheeks, rules: &Rules) -> Check {
    if cheeks.luma().is_none() {
        return unmeasured(CheckId::HairClear);
    }
    let m = &face.mesh;
    let nose_x = m[UNDER_NOSE][0] as f64;
    let point = |i: usize| [m[i][0] as f64, m[i][1] as f64];
    let (re, le) = (point(33), point(263));
    let across = {
        let (dx, dy) = (le[0] - re[0], le[1] - re[1]);
        let len = dx.hypot(dy).max(1e-9);
        [dx / len, dy / len]
    };
    let up = [across[1], -across[0]];
    let shift = |p: [f64; 2], dir: [f64; 2], by: f64| [p[0] + dir[0] * by, p[1] + dir[1] * by];
    let eyes = face.measures.inter_eye as f64;
    let band = |brow: [usize; 5]| {
        let mut points: Vec<[f64; 2]> = brow.iter().map(|&i| shift(point(i), up, eyes / 12.0)).collect();
        points.extend(brow.iter().rev().map(|&i| shift(point(i), up, eyes / 3.0)));
        Polygon(points)
    };
    let mut value = 0.0f64;
    for brow in [band([70, 63, 105, 66, 107]), band([336, 296, 334, 293, 300])] {
        value = value.max(dark_share(frame, &brow, cheeks, nose_x).unwrap_or(0.0));
    }
    let width = face.span();
    let ear = |side: [usize; 3], out: f64| {
        let mut points: Vec<[f64; 2]> = side.iter().map(|&i| point(i)).collect();
        points.extend(side.iter().rev().map(|&i| shift(point(i), across, out * 0.1 * width)));
        Polygon(points)
    };
    let ears = if rules.require_ears {
        vec![ear([127, 234, 93], -1.0), ear([356, 454, 323], 1.0)]
    } else {
        Vec::new()
    };
    for ear in ears {
        if let Some(share) = dark_share(frame, &ear, cheeks, nose_x).filter(|&s| s > 0.9) {
            value = value.max(share);
        }
    }
    graded(CheckId::HairClear, value, 0.0, rules.max_hair)
}
