//! The light on the face: `light.exposure` (OFIQ's luminance mean and under/over-exposure
//! measures), `light.backlight`, `light.even` (阴阳脸: OFIQ's illumination uniformity idea, the
//! histogram intersection of the face's two halves), `light.chin_shadow` and `light.highlights`.

use super::ofiq::Measure;
use super::region::{oval, LumaStats, Polygon};
use super::skin::Cheeks;
use super::{graded, unmeasured, Check, CheckId, Rules};
use crate::face::landmarks::{
    FOREHEAD, LEFT_CHEEK, LEFT_EYE_INNER, LEFT_EYE_OUTER, LOWER_LIP, NOSE_BRIDGE, RIGHT_CHEEK,
    RIGHT_EYE_INNER, RIGHT_EYE_OUTER, UNDER_NOSE,
};
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Fewest pixels a region needs to be measured.
const MIN_PIXELS: u32 = 50;

/// What one pass over the face oval collects.
#[derive(Default)]
struct FaceLight {
    left: LumaStats,
    right: LumaStats,
    dark: u32,
    clipped: u32,
    /// Pixels with a colour channel at 250 or more (a face burnt out in any channel).
    saturated: u32,
}

impl FaceLight {
    /// Measures the face oval, leaving out the eyes (their catchlights and any glasses are
    /// `glasses.glare`'s).
    fn measure(frame: &FrameView<'_>, face: &Face) -> FaceLight {
        let split = (face.mesh[NOSE_BRIDGE][0] + face.mesh[UNDER_NOSE][0]) as f64 / 2.0;
        let eyes =
            [eye_box(face, RIGHT_EYE_OUTER, RIGHT_EYE_INNER), eye_box(face, LEFT_EYE_OUTER, LEFT_EYE_INNER)];
        let mut light = FaceLight::default();
        oval(face).for_each_pixel(frame, |x, y, p| {
            let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
            if eyes.iter().any(|&[x0, y0, x1, y1]| fx >= x0 && fx < x1 && fy >= y0 && fy < y1) {
                return;
            }
            let l = luma(p[0], p[1], p[2]).round();
            light.dark += (l <= 25.0) as u32;
            light.clipped += (l >= 247.0) as u32;
            light.saturated += (p[0].max(p[1]).max(p[2]) >= 250) as u32;
            if (x as f64 + 0.5) < split { &mut light.left } else { &mut light.right }.add(l);
        });
        light
    }

    fn all(&self) -> LumaStats {
        let mut all = self.left.clone();
        all.count += self.right.count;
        all.sum += self.right.sum;
        for (a, b) in all.histogram.iter_mut().zip(&self.right.histogram) {
            *a += b;
        }
        all
    }
}

/// The box around an eye from its two corners: 1.8 eye widths wide, 1.2 high.
pub fn eye_box(face: &Face, outer: usize, inner: usize) -> [f64; 4] {
    let (a, b) = (face.mesh[outer], face.mesh[inner]);
    let (cx, cy) = (((a[0] + b[0]) / 2.0) as f64, ((a[1] + b[1]) / 2.0) as f64);
    let width = face.distance(outer, inner);
    [cx - 0.9 * width, cy - 0.6 * width, cx + 0.9 * width, cy + 0.6 * width]
}

/// All the light checks, in [`CheckId`] order.
pub fn checks(frame: &FrameView<'_>, face: &Face, cheeks: &Cheeks, rules: &Rules) -> Vec<Check> {
    let light = FaceLight::measure(frame, face);
    let all = light.all();
    if all.count < MIN_PIXELS {
        return [
            CheckId::LightExposure,
            CheckId::LightBacklight,
            CheckId::LightEven,
            CheckId::LightChinShadow,
            CheckId::LightHighlights,
        ]
        .map(unmeasured)
        .to_vec();
    }
    vec![
        exposure(&light, &all, rules),
        backlight(frame, face, &all, rules),
        even(&light, rules),
        chin_shadow(frame, face, rules),
        highlights(frame, face, &all, cheeks, rules),
    ]
}

/// OFIQ LuminanceMean (below mid-grey) and UnderExposurePrevention (share of luma ≤ 25), and
/// over-exposure: the share of clipped luma (≥ 247) at most `rules.max_clipped`, the share with a
/// channel at 250 or more at most `rules.max_saturated`. Passes when all four do, scored by the lowest. OFIQ's
/// OverExposurePrevention (clipped luma, 50 at about 1 %) refused 16 of the 70 good real
/// photographs of faces-real: sharpened studio portraits clip up to 13 % of the face, where a
/// burnt-out face clips from 15 % (docs/checks.md).
fn exposure(light: &FaceLight, all: &LumaStats, rules: &Rules) -> Check {
    let n = all.count as f64;
    let mean = all.mean() / 255.0;
    let over = graded(CheckId::LightExposure, light.clipped as f64 / n, 0.0, rules.max_clipped);
    let burnt = graded(CheckId::LightExposure, light.saturated as f64 / n, 0.0, rules.max_saturated);
    // OFIQ's LuminanceMean (a band from 0.2 to 0.8) scores a bright face low above ~0.75: fair
    // skin under a flash, three good photos of faces-real. Above mid-grey a face is
    // over-exposed where it clips, which the two shares judge.
    let mean_score = if mean < 0.5 { Measure::LuminanceMean.score(mean) } else { 100 };
    let ofiq = [mean_score, Measure::UnderExposurePrevention.score(light.dark as f64 / n)];
    let ofiq_pass = ofiq.iter().all(|&s| s >= rules.min_ofiq_score);
    let score = ofiq.into_iter().chain([over.score, burnt.score]).min().unwrap_or(0);
    let pass = ofiq_pass && over.pass && burnt.pass;
    // A score that says the verdict, whatever `min_ofiq_score` is.
    let score = if pass { score.max(50) } else { score.min(49) };
    Check { id: CheckId::LightExposure, pass, score, value: Some(mean) }
}

/// The background beside the head at eye level, left and right, past the hair.
fn background(face: &Face) -> [Polygon; 2] {
    let m = &face.mesh;
    let width = face.span();
    let (top, eyes) = (m[FOREHEAD][1] as f64 - 0.2 * width, face.eye_line() as f64);
    let (right, left) = (m[RIGHT_CHEEK][0] as f64, m[LEFT_CHEEK][0] as f64);
    [
        Polygon::rect(right - 0.9 * width, top, right - 0.35 * width, eyes),
        Polygon::rect(left + 0.35 * width, top, left + 0.9 * width, eyes),
    ]
}

/// Background luminance beside the head ÷ the luminance of the face's brightest tenth (its lit
/// parts: forehead, nose, cheekbones). Against the brighter half's mean, dark skin well lit in
/// front of a white wall read as backlit (three good photos of faces-real at 2.1–2.5, the backlit
/// webcam frames from 2.5); against the lit tenth those read up to 1.92 and the backlit frames
/// from 2.08 (docs/checks.md).
fn backlight(frame: &FrameView<'_>, face: &Face, all: &LumaStats, rules: &Rules) -> Check {
    let mut bg = LumaStats::default();
    for side in background(face) {
        side.for_each_pixel(frame, |_, _, p| bg.add(luma(p[0], p[1], p[2])));
    }
    if bg.count < MIN_PIXELS {
        return unmeasured(CheckId::LightBacklight);
    }
    let lit = all.quantile_smooth(0.9);
    graded(CheckId::LightBacklight, bg.mean() / lit.max(1.0), 1.0, rules.max_backlight)
}

/// Histogram intersection of the left and right halves of the face oval (OFIQ's
/// IlluminationUniformity measure), graded 100 at identical halves and 50 at
/// `rules.min_uniformity`. OFIQ's own mapping reaches 50 near 0.49, well inside the good real
/// photographs' spread (0.23–0.93 on faces-real), so pass and score would disagree with it.
fn even(light: &FaceLight, rules: &Rules) -> Check {
    graded(CheckId::LightEven, light.left.intersection(&light.right), 1.0, rules.min_uniformity)
}

/// Median luminance of the lower face (below the lower lip) ÷ that of the cheeks (eye line to
/// nose tip).
fn chin_shadow(frame: &FrameView<'_>, face: &Face, rules: &Rules) -> Check {
    let m = &face.mesh;
    let oval = oval(face);
    let eyes = face.eye_line() as f64;
    let cheeks = oval.clip_y(eyes, false).clip_y(m[UNDER_NOSE][1] as f64, true).luma_stats(frame);
    let chin = oval.clip_y(m[LOWER_LIP][1] as f64, false).luma_stats(frame);
    if cheeks.count < MIN_PIXELS || chin.count < MIN_PIXELS {
        return unmeasured(CheckId::LightChinShadow);
    }
    let ratio = chin.quantile(0.5) / cheeks.quantile(0.5).max(1.0);
    graded(CheckId::LightChinShadow, ratio, 1.0, rules.min_chin_ratio)
}

/// Share of the face (eyes left out) where sweat shines on the forehead, nose and cheeks — inside
/// the face oval shrunk by [`SHINE_REGION`] about its middle, which leaves out the band along the
/// contour where hair (white or grey hair at the temples) lies — far brighter than the skin: above the
/// brighter cheek's median by 40 levels or by half its headroom to white, whichever is less, and
/// at least 200. On skin brighter than 235 shine cannot stand out: that face is over-exposed,
/// which is `light.exposure`'s.
fn highlights(frame: &FrameView<'_>, face: &Face, all: &LumaStats, cheeks: &Cheeks, rules: &Rules) -> Check {
    let skin = cheeks.bright_luma().map_or_else(|| all.quantile(0.5), f64::from);
    if skin > 235.0 {
        return unmeasured(CheckId::LightHighlights);
    }
    let threshold = (skin + (40.0f64).min((255.0 - skin) / 2.0)).max(200.0);
    let contour = &face.measures.contour;
    let n = contour.len().max(1) as f64;
    let [cx, cy] = contour.iter().fold([0.0, 0.0], |[x, y], p| [x + p[0] as f64 / n, y + p[1] as f64 / n]);
    let inner = Polygon(
        contour
            .iter()
            .map(|p| [cx + SHINE_REGION * (p[0] as f64 - cx), cy + SHINE_REGION * (p[1] as f64 - cy)])
            .collect(),
    );
    let eyes =
        [eye_box(face, RIGHT_EYE_OUTER, RIGHT_EYE_INNER), eye_box(face, LEFT_EYE_OUTER, LEFT_EYE_INNER)];
    let mut shiny = 0u32;
    inner.for_each_pixel(frame, |x, y, p| {
        let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
        if eyes.iter().any(|&[x0, y0, x1, y1]| fx >= x0 && fx < x1 && fy >= y0 && fy < y1) {
            return;
        }
        shiny += (luma(p[0], p[1], p[2]).round() as f64 >= threshold) as u32;
    });
    // As a share of the whole face (eyes left out), as before the band was left out.
    graded(CheckId::LightHighlights, shiny as f64 / all.count as f64, 0.0, rules.max_highlights)
}

/// The share of the face oval's size, about its middle, where shine is looked for.
const SHINE_REGION: f64 = 0.8;
