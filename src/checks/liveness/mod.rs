//! `liveness.recapture`: signs that the camera films a photo of the student — a print or a
//! screen — rather than the student (教育部: 本人实时拍照，禁止翻拍照片).
//!
//! Three passive signals:
//! - [`spectrum`]: a screen's pixel grid, the moiré it makes with the camera's grid, and a
//!   print's halftone dots put narrow peaks into the spectrum of the skin.
//! - [`border`]: a screen's bezel or a sheet's border runs beside the face on both sides.
//! - [`glare`]: over a run of frames, a lamp mirrored in a screen's glass slides across the face
//!   (it lies on the glass: it follows the hand or stays put while a replayed face moves), where
//!   light on skin stays in its place on the face.
//! - [`register`] and [`planar`]: over a run of frames, when the view turns (the phone moves, the
//!   head turns) a live face shows depth — its own yaw changes, its nose moves against its
//!   outline — while a picture's pixels move as one plane, merely foreshortened. Only video shows
//!   this; a face that never turns neither proves nor disproves it.
//!
//! A single image shows the first two, so `gradcap analyze` reports the check on stills.
//!
//! And two active cues, each off unless the integrator asks for it, checked in video only:
//! [`blink`], a natural blink in the last seconds (`requireBlink` in the rules, checked as
//! `liveness.blink`), and [`depth`], the face's relief while the phone comes closer and goes
//! back (`requireDepth`, checked as `liveness.depth`): a picture grows as one plane.

pub mod blink;
pub mod border;
pub mod depth;
pub mod glare;
pub mod planar;
pub mod register;
pub mod spectrum;

use super::{graded, Check, CheckId, Rules};
use crate::face::Face;
use crate::FrameView;
use std::collections::VecDeque;

/// What the frames so far say about a recapture.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Evidence {
    /// The strongest periodic peak in the skin (in video, the median of the last frames).
    pub peak: Option<f64>,
    /// How much the face is framed: the least of how much of its side the longest straight edge
    /// on each side covers and of how much of the width between them an edge above the head
    /// covers (0–1; near 1: a bezel or a sheet's border around it).
    pub border: Option<f64>,
    /// Frames on which the view had turned and the face moved as a plane.
    pub flat_turns: u32,
    /// Frames on which the view had turned and the face showed depth.
    pub deep_turns: u32,
    /// Comparisons in the last [`GLARE_WINDOW_MS`] on which a whitened patch had slid across the
    /// face: a reflection on glass.
    pub glare_slides: u32,
    /// How long ago the eyes last blinked, ms (`None`: no blink seen, or none asked for).
    pub blink_age_ms: Option<f64>,
    /// How long this face has been watched without being lost, ms (0 on a still).
    pub watched_ms: f64,
    /// The face's relief while the phone came closer or went back: the median over the
    /// comparisons of a near and a far view ([`depth`]; about 0 for a picture). `None`: too few
    /// such comparisons yet, or none asked for.
    pub relief: Option<f64>,
}

impl Evidence {
    /// What one image shows: the spectrum and the edges (no motion).
    pub fn still(frame: &FrameView<'_>, face: &Face) -> Evidence {
        Evidence { peak: spectrum::peak(frame, face), border: framing(frame, face), ..Evidence::default() }
    }

    /// Whether a screen's bezel or a sheet's border runs beside the face on both sides.
    pub fn framed(&self, rules: &Rules) -> bool {
        self.border.is_some_and(|b| b >= rules.max_border)
    }

    /// Whether the face has moved as a flat picture: turned often enough, never with depth.
    pub fn moves_flat(&self, rules: &Rules) -> bool {
        self.flat_turns >= rules.flat_frames && self.deep_turns == 0
    }

    /// Whether a reflection has slid across the face often enough to be on glass.
    pub fn behind_glass(&self, rules: &Rules) -> bool {
        self.glare_slides >= rules.glare_frames
    }
}

/// The weakest of [`border::sides`]: both sides and the top.
fn framing(frame: &FrameView<'_>, face: &Face) -> Option<f64> {
    let [left, right, top] = border::sides(frame, face);
    Some(left.min(right).min(top))
}

/// The check: the peak graded against its limit (100 without any peak, 50 at the limit); a face
/// framed by a bezel or a sheet's border, that moved as a flat picture, or over which a
/// reflection slid, fails whatever its spectrum.
pub fn check(evidence: &Evidence, rules: &Rules) -> Check {
    let mut check =
        graded(CheckId::LivenessRecapture, evidence.peak.unwrap_or(0.0), 0.0, rules.max_screen_peak);
    check.value = evidence.peak;
    if evidence.framed(rules) || evidence.moves_flat(rules) || evidence.behind_glass(rules) {
        check.pass = false;
        check.score = check.score.min(25);
    }
    check
}

/// `liveness.blink`: passes while the last blink is at most `rules.blink_window_ms` old; the
/// value is its age in seconds.
pub fn blink_check(evidence: &Evidence, rules: &Rules) -> Check {
    let age = evidence.blink_age_ms.filter(|age| *age <= rules.blink_window_ms);
    Check {
        id: CheckId::LivenessBlink,
        pass: age.is_some(),
        score: if age.is_some() { 100 } else { 0 },
        value: evidence.blink_age_ms.map(|ms| ms / 1000.0),
    }
}

/// `liveness.depth`: passes once the face's relief over an approach reaches `rules.min_relief`;
/// the value is the relief.
pub fn depth_check(evidence: &Evidence, rules: &Rules) -> Check {
    let relief = evidence.relief.unwrap_or(0.0);
    let mut check = graded(CheckId::LivenessDepth, relief, 2.0 * rules.min_relief, rules.min_relief);
    check.value = evidence.relief;
    check.pass &= evidence.relief.is_some();
    check
}

/// How long the tracker remembers views, ms: the view ~1 s ago is compared with now.
const HISTORY_MS: f64 = 1200.0;
/// How long a reflection's slide counts, ms: a reflection on glass keeps sliding while the hand
/// or the replayed face moves, where a passing change of the light (the camera's exposure
/// settling) is forgotten.
pub const GLARE_WINDOW_MS: f64 = 5000.0;
/// Views closer together than this are not kept, ms.
const VIEW_GAP_MS: f64 = 100.0;
/// Frames whose peaks are pooled.
const PEAK_FRAMES: usize = 5;
/// Every how many frames the edges beside the face are looked for (they do not come and go).
const BORDER_EVERY: u64 = 10;
/// Every how many frames the face is compared with the view ~1 s before.
const COMPARE_EVERY: u64 = 2;
/// How much a flat turn must foreshorten the face, at least, for each unit it grew or shrank
/// between the two views: a head's perspective stretches an approaching face unevenly by up to
/// 0.15 of its growth, which is not a plane turning.
const TURN_OVER_GROWTH: f64 = 0.25;
/// Every how many mesh points the tracker keeps (156 of 468 still span the whole face).
const MESH_STEP: usize = 3;
/// How long the face may be missing and still be the same face, ms: the detector misses a frame
/// or two now and then (at the browser's ~14 frames a second, a few frames); longer is a loss.
pub const MAX_GAP_MS: f64 = 400.0;
/// How far the face may have moved across a gap, in face widths, and still be the same face.
const MAX_GAP_MOVE: f32 = 0.5;
/// How much its width may have changed across a gap (either way) and still be the same face.
const MAX_GAP_SCALE: f32 = 1.5;

/// One remembered view of the face.
#[derive(Debug, Clone)]
struct View {
    at_ms: f64,
    points: Vec<[f32; 3]>,
    yaw: f32,
    patch: Option<register::Patch>,
    veil: Option<glare::Veil>,
}

/// Follows the face over frames and gathers the [`Evidence`].
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    frames: u64,
    border: Option<f64>,
    views: VecDeque<View>,
    peaks: VecDeque<f64>,
    flat_turns: u32,
    deep_turns: u32,
    glare_slides: VecDeque<f64>,
    blinks: blink::Blinks,
    approach: depth::Approach,
    since_ms: Option<f64>,
    now_ms: f64,
    /// When the face was last seen (`None` before the first face).
    seen_ms: Option<f64>,
    /// Its box then, to tell the same face from another after a gap.
    seen_box: [f32; 4],
    /// The comparisons the relief needs ([`Rules::depth_frames`]).
    depth_frames: u32,
}

impl Tracker {
    /// Takes the frame at `now_ms` with its main face. A face missing for a frame or two (the
    /// detector missed it) keeps what was gathered; missing for longer than [`MAX_GAP_MS`], or
    /// back somewhere else or at another size, it is another face, and everything starts again.
    pub fn update(&mut self, frame: &FrameView<'_>, face: Option<&Face>, now_ms: f64, rules: &Rules) {
        let Some(face) = face else {
            if self.seen_ms.is_some_and(|at| now_ms - at > MAX_GAP_MS) {
                self.reset();
            }
            return;
        };
        if self.seen_ms.is_some_and(|at| !self.same_face(face, now_ms - at)) {
            self.reset();
        }
        self.seen_ms = Some(now_ms);
        self.seen_box = face.bbox;
        self.now_ms = now_ms;
        self.since_ms.get_or_insert(now_ms);
        if rules.require_blink {
            let [right, left] = face.measures.eye_openness;
            self.blinks.update(now_ms, (right + left) / 2.0);
        }
        if let Some(peak) = spectrum::peak(frame, face) {
            self.peaks.push_back(peak);
            if self.peaks.len() > PEAK_FRAMES {
                self.peaks.pop_front();
            }
        }
        while self.views.front().is_some_and(|v| now_ms - v.at_ms > HISTORY_MS) {
            self.views.pop_front();
        }
        while self.glare_slides.front().is_some_and(|at| now_ms - at > GLARE_WINDOW_MS) {
            self.glare_slides.pop_front();
        }
        let points: Vec<[f32; 3]> = face.mesh.iter().step_by(MESH_STEP).copied().collect();
        if rules.require_depth {
            self.approach.update(frame, face, &points, now_ms);
            self.depth_frames = rules.depth_frames;
        }
        self.frames += 1;
        if self.frames % BORDER_EVERY == 1 {
            self.border = framing(frame, face);
        }
        // Aligning the pixels is the costly part: every other frame is enough.
        let due = self.frames % COMPARE_EVERY == 0;
        let keep = self.views.back().is_none_or(|v| now_ms - v.at_ms >= VIEW_GAP_MS);
        let veil = if due || keep { glare::Veil::of(frame, face) } else { None };
        if let Some(then) = self.views.front().filter(|_| due) {
            match compare(then, frame, face, &points, rules) {
                Some(Turn::Deep) => self.deep_turns += 1,
                Some(Turn::Flat) => self.flat_turns += 1,
                None => {}
            }
            let whitened =
                then.veil.zip(veil).filter(|(a, b)| a.share() + b.share() >= 2.0 * rules.min_glare_share);
            if whitened.is_some_and(|(then, now)| now.moved(&then) >= rules.min_glare_moved) {
                self.glare_slides.push_back(now_ms);
            }
        }
        if keep {
            let patch = register::Patch::of(frame, face);
            self.views.push_back(View { at_ms: now_ms, points, yaw: face.measures.outline_yaw, patch, veil });
        }
    }

    /// Whether `face`, seen `gap_ms` after the last one, is still that face.
    fn same_face(&self, face: &Face, gap_ms: f64) -> bool {
        let ([x0, y0, w0, h0], [x1, y1, w1, h1]) = (self.seen_box, face.bbox);
        let moved = ((x1 + w1 / 2.0 - x0 - w0 / 2.0).hypot(y1 + h1 / 2.0 - y0 - h0 / 2.0)) / w0.max(1.0);
        let scale = (w1 / w0.max(1.0)).max(w0 / w1.max(1.0));
        gap_ms <= MAX_GAP_MS && moved <= MAX_GAP_MOVE && scale <= MAX_GAP_SCALE
    }

    /// Forgets everything (the camera restarted, the face was lost).
    pub fn reset(&mut self) {
        *self = Tracker::default();
    }

    /// The evidence so far.
    pub fn evidence(&self) -> Evidence {
        let mut peaks: Vec<f64> = self.peaks.iter().copied().collect();
        peaks.sort_by(f64::total_cmp);
        Evidence {
            peak: peaks.get(peaks.len() / 2).copied(),
            border: self.border,
            flat_turns: self.flat_turns,
            deep_turns: self.deep_turns,
            glare_slides: self.glare_slides.len() as u32,
            blink_age_ms: self.blinks.last().map(|at| self.now_ms - at),
            watched_ms: self.since_ms.map_or(0.0, |since| self.now_ms - since),
            relief: self.approach.relief(self.depth_frames as usize),
        }
    }
}

/// What a comparison of two views shows.
enum Turn {
    /// The face turned in 3-D, or its pixels did not move as one plane.
    Deep,
    /// The picture foreshortened as a plane does while the face itself did not turn.
    Flat,
}

/// Compares the face now with the view `then`; `None` when it shows neither.
fn compare(
    then: &View,
    frame: &FrameView<'_>,
    face: &Face,
    points: &[[f32; 3]],
    rules: &Rules,
) -> Option<Turn> {
    let turned = (face.measures.outline_yaw - then.yaw).abs() as f64;
    let aligned = then
        .patch
        .as_ref()
        .zip(planar::affine(&then.points, points))
        .and_then(|(patch, guess)| patch.register(frame, guess));
    if turned >= rules.min_face_turn || aligned.is_some_and(|r| r.residual >= rules.min_live_residual) {
        return Some(Turn::Deep);
    }
    let r = aligned?;
    // A face that came nearer or went away (the phone brought closer, as `liveness.depth` asks)
    // is stretched a little unevenly by a head's perspective: up to 15 % of its growth on the
    // five shared faces approached, where a picture turned by hand foreshortens by more.
    let [s1, s2] = register::stretches([[r.affine[0][0], r.affine[0][1]], [r.affine[1][0], r.affine[1][1]]]);
    let growth = ((s1 * s2).sqrt() - 1.0).abs();
    let flat = r.foreshortening >= rules.min_turn.max(TURN_OVER_GROWTH * growth)
        && r.residual <= rules.max_flat_residual;
    (flat && turned < rules.min_face_turn / 2.0).then_some(Turn::Flat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_run_fails_even_with_a_clean_spectrum_and_depth_clears_it() {
        let rules = Rules::default();
        let clean = Evidence { peak: Some(20.0), ..Evidence::default() };
        assert!(check(&clean, &rules).pass);
        let flat = Evidence { flat_turns: rules.flat_frames, ..clean };
        assert!(!check(&flat, &rules).pass);
        assert!(check(&Evidence { deep_turns: 1, ..flat }, &rules).pass);
        let screen = Evidence { peak: Some(5000.0), ..Evidence::default() };
        assert!(!check(&screen, &rules).pass);
        let framed = Evidence { border: Some(0.95), ..clean };
        assert!(!check(&framed, &rules).pass);
        assert!(check(&Evidence { border: Some(0.3), ..clean }, &rules).pass);
    }
}
