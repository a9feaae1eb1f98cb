//! The photo checks of docs/standard.md §2: each has a stable id, a pass/fail, a 0–100 score, the raw value
//! and a hint in zh-CN and en. Where OFIQ (ISO/IEC 29794-5's reference implementation) defines
//! the measure, the score is OFIQ's mapping of it ([`ofiq`]); the other checks score 100 at the
//! ideal value and 50 at their limit.
//!
//! [`judge`] runs every enabled check on one frame, in the order a student should fix things;
//! [`Gate`] turns a run of judged frames into the shutter's state.

mod clothing;
mod cover;
mod face;
mod gate;
mod ids;
mod image;
mod light;
pub mod liveness;
pub mod ofiq;
mod placement;
pub mod region;
mod rules;
mod skin;
mod teeth;

pub use gate::{Gate, GateState, Verdict};
pub use ids::CheckId;
pub use placement::needed_move;
pub use rules::Rules;

use crate::face::detect::Detection;
use crate::face::Face;
use crate::guide::Guide;
use crate::FrameView;

/// The result of one check.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Whether the photo passes it.
    pub pass: bool,
    /// 0–100, higher is better.
    pub score: u8,
    /// The raw measure, when there is one.
    pub value: Option<f64>,
}

/// What the checks look at: one frame, the faces found in it and the guide drawn over it.
#[derive(Debug, Clone, Copy)]
pub struct Scene<'a> {
    /// The frame, as analysed.
    pub frame: FrameView<'a>,
    /// Every face the detector found (for `face.single`).
    pub detections: &'a [Detection],
    /// The main face with its mesh, in frame pixels.
    pub face: Option<&'a Face>,
    /// The dashed guide, in frame pixels.
    pub guide: Guide,
    /// The main face of the previous frame (for `motion.stable`); `None` for a still image.
    pub previous: Option<&'a Face>,
    /// What the frames so far say about a recapture (for `liveness.recapture`); `None` for a
    /// still image, which is judged on its own spectrum.
    pub liveness: Option<liveness::Evidence>,
}

impl<'a> Scene<'a> {
    /// A still image judged on its own: the guide is the largest 3:4 photo frame centred in it,
    /// and the face counts as still.
    pub fn still(frame: FrameView<'a>, detections: &'a [Detection], face: Option<&'a Face>) -> Scene<'a> {
        let guide = Guide::layout(frame.width() as f64, frame.height() as f64, 0.0);
        Scene { frame, detections, face, guide, previous: None, liveness: None }
    }
}

/// Runs every check that `rules` enables on `scene`, in the order of [`CheckId::ALL`]. Without a
/// face only `face.present` and `face.single` are reported.
///
/// ```
/// use gradcap::checks::{judge, CheckId, Rules, Scene};
/// let frame = gradcap::Frame::filled(64, 48, [90, 90, 90, 255]);
/// let checks = judge(&Scene::still(frame.view(), &[], None), &Rules::default());
/// assert_eq!(checks[0].id, CheckId::FacePresent);
/// assert!(checks.iter().all(|c| !c.pass));
/// ```
pub fn judge(scene: &Scene<'_>, rules: &Rules) -> Vec<Check> {
    let mut checks = face::presence(scene, rules);
    if let Some(face) = scene.face {
        if rules.enabled(CheckId::LivenessRecapture) {
            let evidence = scene.liveness.unwrap_or_else(|| liveness::Evidence::still(&scene.frame, face));
            checks.push(liveness::check(&evidence, rules));
        }
        // Asked for only, and only in video: one image cannot show a blink.
        if let Some(evidence) = scene.liveness.filter(|_| rules.require_blink) {
            checks.push(liveness::blink_check(&evidence, rules));
        }
        // Likewise: one image cannot show the face's relief as the phone comes closer.
        if let Some(evidence) = scene.liveness.filter(|_| rules.require_depth) {
            checks.push(liveness::depth_check(&evidence, rules));
        }
        checks.extend(placement::checks(scene, face, rules));
        checks.extend(face::pose(face, rules));
        checks.push(cover::check(&scene.frame, face, rules));
        let cheeks = skin::Cheeks::of(&scene.frame, face);
        checks.extend(light::checks(&scene.frame, face, &cheeks, rules));
        checks.extend(image::checks(&scene.frame, face, &cheeks, rules));
        checks.extend(face::features(&scene.frame, face, &cheeks, rules));
        checks.extend(clothing::checks(&scene.frame, face, rules));
        checks.push(face::motion(face, scene.previous, rules));
    }
    checks.retain(|c| rules.enabled(c.id));
    checks.sort_by_key(|c| c.id);
    checks
}

/// The first failing check: what the student should fix now.
pub fn first_failure(checks: &[Check]) -> Option<&Check> {
    checks.iter().find(|c| !c.pass)
}

/// A check graded linearly: score 100 at `ideal`, 50 at `limit`; it passes on `ideal`'s side of
/// `limit` (inclusive).
fn graded(id: CheckId, value: f64, ideal: f64, limit: f64) -> Check {
    let span = limit - ideal;
    let score = if span == 0.0 { 100.0 } else { 100.0 - 50.0 * (value - ideal) / span };
    let pass = if span >= 0.0 { value <= limit } else { value >= limit };
    // Rounded, a value just past the limit would score 50: the score says the verdict too.
    let score = if pass { score.round().clamp(50.0, 100.0) } else { score.round().clamp(0.0, 49.0) };
    Check { id, pass, score: score as u8, value: Some(value) }
}

/// A check that passes inside `[lo, hi]`: score 100 in the middle, 50 at either end.
fn ranged(id: CheckId, value: f64, [lo, hi]: [f64; 2]) -> Check {
    let mid = (lo + hi) / 2.0;
    let limit = if value < mid { lo } else { hi };
    graded(id, value, mid, limit)
}

/// A check with nothing to measure in this frame (the region lies outside it): it passes with no
/// value, and the checks that need the region in view (placement) fail instead.
fn unmeasured(id: CheckId) -> Check {
    Check { id, pass: true, score: 100, value: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_scores_100_at_the_ideal_and_50_at_the_limit_either_way() {
        let up = graded(CheckId::LightBacklight, 1.0, 1.0, 2.0);
        assert_eq!((up.pass, up.score), (true, 100));
        let at = graded(CheckId::LightBacklight, 2.0, 1.0, 2.0);
        assert_eq!((at.pass, at.score), (true, 50));
        let over = graded(CheckId::LightBacklight, 2.5, 1.0, 2.0);
        assert_eq!((over.pass, over.score), (false, 25));
        let low = graded(CheckId::LightEven, 0.3, 1.0, 0.6);
        assert!(!low.pass && low.score < 50);
        let just_past = graded(CheckId::LightBacklight, 2.004, 1.0, 2.0);
        assert_eq!((just_past.pass, just_past.score), (false, 49), "pass and score agree at the limit");
        let r = ranged(CheckId::FaceSize, 320.0, [180.0, 300.0]);
        assert!(!r.pass && r.score < 50);
        assert_eq!(ranged(CheckId::FaceSize, 240.0, [180.0, 300.0]).score, 100);
    }
}
