//! Per-frame analysis: what the core reads from each camera frame and the verdict the shutter
//! follows.
//!
//! [`Analyzer`] measures the whole frame (statistics, a covered lens, a lamp); it is all there is
//! until the face models have loaded, and it never opens the shutter. [`FrameJudge`] runs the
//! photo checks on the face of each frame and keeps the [`Gate`] that the shutter follows.

use crate::checks::{judge, liveness, Check, CheckId, Gate, GateState, Rules, Scene, Verdict};
use crate::face::detect::Detection;
use crate::face::Face;
use crate::frame::{luma, FrameView};
use crate::guide::Guide;
use crate::lang::Text;

/// Statistics of one analysed frame. The page shows them in its debug panel, and the end-to-end
/// test compares them with the fake camera's content.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameStats {
    /// Width of the analysed (downscaled) frame.
    pub width: u32,
    /// Height of the analysed frame.
    pub height: u32,
    /// Mean luma (BT.601, 0–255) over the whole frame.
    pub mean_luma: f32,
    /// Mean luma of the left half.
    pub left_luma: f32,
    /// Mean luma of the right half.
    pub right_luma: f32,
}

impl FrameStats {
    /// Measures `frame`.
    pub fn measure(frame: &FrameView<'_>) -> FrameStats {
        let (w, h) = (frame.width(), frame.height());
        let half = w / 2;
        let (mut left, mut right) = (0f64, 0f64);
        for y in 0..h {
            for (x, p) in frame.row(y).chunks_exact(4).enumerate() {
                let l = luma(p[0], p[1], p[2]) as f64;
                if (x as u32) < half {
                    left += l;
                } else {
                    right += l;
                }
            }
        }
        let (nl, nr) = ((half * h) as f64, ((w - half) * h) as f64);
        FrameStats {
            width: w,
            height: h,
            mean_luma: ((left + right) / (nl + nr)) as f32,
            left_luma: if nl > 0.0 { (left / nl) as f32 } else { 0.0 },
            right_luma: (right / nr) as f32,
        }
    }
}

/// Where the head is wrong for the guide, as the student sees the preview: what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// The face is too small: come closer.
    Closer,
    /// The face is too large (or too large for the photo to be cut from the picture): step back.
    Farther,
    /// The head is left of the guide's middle.
    Left,
    /// The head is right of the guide's middle.
    Right,
    /// The head is above the guide's middle.
    Up,
    /// The head is below the guide's middle.
    Down,
}

/// The one thing the student should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Guidance {
    /// The picture is nearly black: the lens is covered or the room is dark.
    TooDark,
    /// The picture is nearly white: the camera faces a lamp or a window.
    TooBright,
    /// Put the face inside the dashed oval.
    PlaceFace,
    /// Fix what this check found (the first failing one).
    Fix(CheckId),
    /// `face.in_guide` or `face.size` failed, and this move helps.
    Move(Move),
    /// Everything passes: hold still while the countdown runs.
    HoldStill,
    /// The photo will pass: press the shutter.
    Ready,
}

impl Guidance {
    /// The guidance for a preview shown mirrored (the front camera): left and right swap.
    pub fn mirrored(self) -> Guidance {
        match self {
            Guidance::Move(Move::Left) => Guidance::Move(Move::Right),
            Guidance::Move(Move::Right) => Guidance::Move(Move::Left),
            other => other,
        }
    }

    /// A stable id for events and tests: the check's id for [`Guidance::Fix`].
    pub fn id(self) -> &'static str {
        match self {
            Guidance::TooDark => "frame.dark",
            Guidance::TooBright => "frame.bright",
            Guidance::PlaceFace => "face.place",
            Guidance::Fix(check) => check.id(),
            Guidance::Move(Move::Closer) => "move.closer",
            Guidance::Move(Move::Farther) => "move.farther",
            Guidance::Move(Move::Left) => "move.left",
            Guidance::Move(Move::Right) => "move.right",
            Guidance::Move(Move::Up) => "move.up",
            Guidance::Move(Move::Down) => "move.down",
            Guidance::HoldStill => "gate.hold",
            Guidance::Ready => "gate.ready",
        }
    }

    /// The sentence shown under the camera view.
    pub fn text(self) -> Text {
        match self {
            Guidance::Fix(check) => check.hint(),
            Guidance::Move(to) => to.text(),
            Guidance::HoldStill => Text { zh: "很好，请保持不动…", en: "Good, hold still…" },
            Guidance::Ready => Text { zh: "很好！请点击拍照按钮", en: "Good! Press the shutter" },
            Guidance::TooDark => Text {
                zh: "画面太暗，请检查镜头是否被遮挡，或到光线充足的地方拍摄",
                en:
                    "The picture is too dark: check that nothing covers the lens, or move to a brighter place",
            },
            Guidance::TooBright => Text {
                zh: "画面太亮，请不要对着灯光或窗户拍摄",
                en: "The picture is too bright: do not point the camera at a lamp or a window",
            },
            Guidance::PlaceFace => Text {
                zh: "请将面部置于虚线框内，正对镜头",
                en: "Place your face inside the dashed oval, looking at the camera",
            },
        }
    }
}

/// What the core says about one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameReport {
    /// Statistics of the frame.
    pub stats: FrameStats,
    /// What to tell the student.
    pub guidance: Guidance,
    /// Whether the photo would pass: the shutter follows this.
    pub ready: bool,
}

/// Frame-by-frame analysis, keeping what it needs from earlier frames.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    frames: u64,
}

/// Mean luma below which a frame counts as dark.
pub const DARK_LUMA: f32 = 25.0;
/// Mean luma above which a frame counts as washed out.
pub const BRIGHT_LUMA: f32 = 235.0;

impl Analyzer {
    /// Judges one frame.
    pub fn analyze(&mut self, frame: &FrameView<'_>) -> FrameReport {
        self.frames += 1;
        let stats = FrameStats::measure(frame);
        let guidance = if stats.mean_luma < DARK_LUMA {
            Guidance::TooDark
        } else if stats.mean_luma > BRIGHT_LUMA {
            Guidance::TooBright
        } else {
            Guidance::PlaceFace
        };
        FrameReport { stats, guidance, ready: false }
    }

    /// How many frames this analyzer has judged.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

impl Move {
    /// The sentence: what is wrong, and what to do.
    pub fn text(self) -> Text {
        let (zh, en) = match self {
            Move::Closer => ("脸部太小，请靠近一点", "Your face is too small: come a little closer"),
            Move::Farther => ("脸部太大，请离远一点", "Your face is too large: step a little farther away"),
            Move::Left => (
                "头像偏左，请移动手机，让头像回到虚线框正中",
                "Your head is left of the middle: move the phone so that it sits in the dashed oval",
            ),
            Move::Right => (
                "头像偏右，请移动手机，让头像回到虚线框正中",
                "Your head is right of the middle: move the phone so that it sits in the dashed oval",
            ),
            Move::Up => (
                "头像偏上，请移动手机，让头像回到虚线框正中",
                "Your head is too high: move the phone so that it sits in the dashed oval",
            ),
            Move::Down => (
                "头像偏下，请移动手机，让头像回到虚线框正中",
                "Your head is too low: move the phone so that it sits in the dashed oval",
            ),
        };
        Text { zh, en }
    }
}

/// The checks' verdict on one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Every enabled check, in the order a student fixes them.
    pub checks: Vec<Check>,
    /// The gate after this frame: whether the shutter is on, what to fix, whether to capture.
    pub verdict: Verdict,
    /// What to tell the student.
    pub guidance: Guidance,
}

/// Judges video frames against the photo rules, keeping what spans frames: the gate, the last
/// face (for `motion.stable`) and the recapture evidence (for `liveness.recapture`).
#[derive(Debug, Clone)]
pub struct FrameJudge {
    rules: Rules,
    gate: Gate,
    previous: Option<Face>,
    liveness: liveness::Tracker,
}

impl FrameJudge {
    /// A judge following `rules`, its gate closed.
    pub fn new(rules: Rules) -> FrameJudge {
        FrameJudge { gate: Gate::new(&rules), rules, previous: None, liveness: liveness::Tracker::default() }
    }

    /// The rules it follows.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Closes the gate and forgets the last face and the recapture evidence (after a capture, or
    /// when the camera restarts).
    pub fn reset(&mut self) {
        self.gate.reset();
        self.previous = None;
        self.liveness.reset();
    }

    /// What the frames so far say about a recapture.
    pub fn liveness(&self) -> liveness::Evidence {
        self.liveness.evidence()
    }

    /// Judges one frame at `now_ms`: `face` is the main face found in it (if any), `detections`
    /// every face the detector found recently, `guide` the dashed guide in frame pixels, and
    /// `light` the frame's whole-picture guidance, used when there is no face.
    pub fn judge(
        &mut self,
        frame: &FrameView<'_>,
        detections: &[Detection],
        face: Option<Face>,
        guide: Guide,
        light: Guidance,
        now_ms: f64,
    ) -> Judgement {
        self.liveness.update(frame, face.as_ref(), now_ms, &self.rules);
        let evidence = self.liveness.evidence();
        let scene = Scene {
            frame: *frame,
            detections,
            face: face.as_ref(),
            guide,
            previous: self.previous.as_ref(),
            liveness: Some(evidence),
        };
        let checks = judge(&scene, &self.rules);
        let verdict = self.gate.update_watched(&checks, now_ms, evidence.watched_ms);
        let guidance = match (verdict.state, verdict.hint) {
            (GateState::Ready, _) => Guidance::Ready,
            (GateState::Holding { .. }, _) | (GateState::Waiting, None) => Guidance::HoldStill,
            (GateState::Waiting, Some(CheckId::FacePresent)) => light,
            (GateState::Waiting, Some(check @ (CheckId::FaceInGuide | CheckId::FaceSize))) => scene
                .face
                .and_then(|f| crate::checks::needed_move(&scene, f, &self.rules))
                .map_or(Guidance::Fix(check), Guidance::Move),
            (GateState::Waiting, Some(check)) => Guidance::Fix(check),
        };
        self.previous = face;
        Judgement { checks, verdict, guidance }
    }
}

/// A still image judged as one steady frame — `gradcap analyze`, the backend's re-check of an
/// upload, the browser's `FaceAnalyzer`: every face detected (for `face.single`), the main face
/// with its mesh, and every check, the guide being the largest 3:4 frame centred in the picture.
#[derive(Debug, Clone)]
pub struct Still {
    /// The main face, if any.
    pub face: Option<Face>,
    /// The checks (only `face.present` and `face.single` without a face).
    pub checks: Vec<Check>,
    /// What the recapture cues that a still can show saw (the spectrum's peak, the edges), with
    /// a face.
    pub liveness: Option<liveness::Evidence>,
}

impl Still {
    /// Judges `frame` with the faces `finder` finds in it.
    pub fn judge(
        finder: &mut crate::face::FaceFinder,
        frame: &FrameView<'_>,
        rules: &Rules,
    ) -> Result<Still, crate::Error> {
        let detections = finder.detect_all(frame)?;
        let face = finder.still(frame)?;
        let checks = judge(&Scene::still(*frame, &detections, face.as_ref()), rules);
        let liveness = face.as_ref().map(|f| liveness::Evidence::still(frame, f));
        Ok(Still { face, checks, liveness })
    }

    /// The first check that fails: what the student would be told to fix.
    pub fn first_failure(&self) -> Option<&Check> {
        crate::checks::first_failure(&self.checks)
    }

    /// Whether the photo passes: a face, and every check.
    pub fn ready(&self) -> bool {
        self.face.is_some() && self.first_failure().is_none()
    }
}

/// While a face is tracked, the detector still runs on every this-many portrait frames (2 s at
/// 15 fps), so that a second face walking into the picture is seen (`face.single`) — rarely
/// enough to stay out of the 95th percentile of frame times on a slow phone.
pub const REDETECT_EVERY: u64 = 30;

/// The portrait step's work on each video frame, one pipeline for the component, the benchmark
/// and the tests: the whole frame's light ([`Analyzer`]), the face tracked by the finder (the
/// detector run again every [`REDETECT_EVERY`] frames), and the [`FrameJudge`].
#[derive(Debug, Clone)]
pub struct Portrait {
    analyzer: Analyzer,
    judge: FrameJudge,
}

/// What [`Portrait::frame`] made of one frame.
#[derive(Debug, Clone)]
pub struct PortraitFrame {
    /// The whole frame's statistics and guidance.
    pub report: FrameReport,
    /// The face found (`None` without one, or without a finder).
    pub face: Option<Face>,
    /// The checks and the gate; `None` without a finder (the models are still loading): only
    /// the whole frame's light can be told, and the shutter stays off.
    pub judgement: Option<Judgement>,
    /// The finder failed on this frame (the frame was judged without a face).
    pub failure: Option<crate::Error>,
}

impl Portrait {
    /// A pipeline following `rules`, its gate closed.
    pub fn new(rules: Rules) -> Portrait {
        Portrait { analyzer: Analyzer::default(), judge: FrameJudge::new(rules) }
    }

    /// The judge (its rules, the recapture evidence so far).
    pub fn judge(&self) -> &FrameJudge {
        &self.judge
    }

    /// Follows `rules` from the next frame, the gate closed and the evidence forgotten.
    pub fn set_rules(&mut self, rules: Rules) {
        self.judge = FrameJudge::new(rules);
    }

    /// Closes the gate and forgets the faces seen (after a capture, or when the camera restarts).
    pub fn reset(&mut self) {
        self.judge.reset();
    }

    /// Judges one frame at `now_ms` with the face `finder` tracks (`None` while the models load),
    /// against `guide` in frame pixels.
    pub fn frame(
        &mut self,
        frame: &FrameView<'_>,
        finder: Option<&mut crate::face::FaceFinder>,
        guide: Guide,
        now_ms: f64,
    ) -> PortraitFrame {
        let report = self.analyzer.analyze(frame);
        let Some(finder) = finder else {
            return PortraitFrame { report, face: None, judgement: None, failure: None };
        };
        let mut failure = None;
        if (self.analyzer.frames() - 1) % REDETECT_EVERY == 0 {
            failure = finder.redetect(frame).err();
        }
        let face = finder.next(frame).unwrap_or_else(|e| {
            failure = Some(e);
            None
        });
        let judgement =
            self.judge.judge(frame, finder.detections(), face.clone(), guide, report.guidance, now_ms);
        PortraitFrame { report, face, judgement: Some(judgement), failure }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    fn halves(w: u32, h: u32, left: u8, right: u8) -> Frame {
        let mut data = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let v = if x < w / 2 { left } else { right };
                data.extend([v, v, v, 255]);
            }
        }
        Frame::from_rgba(data, w, h).unwrap()
    }

    #[test]
    fn without_a_finder_the_portrait_pipeline_tells_only_the_light() {
        let mut portrait = Portrait::new(Rules::default());
        let dark = Frame::filled(64, 48, [5, 5, 5, 255]);
        let guide = Guide::layout(64.0, 48.0, crate::guide::GUIDE_MARGIN);
        let seen = portrait.frame(&dark.view(), None, guide, 0.0);
        assert_eq!(seen.report.guidance, Guidance::TooDark);
        assert!(seen.judgement.is_none() && seen.face.is_none() && seen.failure.is_none());
    }

    #[test]
    fn stats_measure_each_half() {
        let f = halves(8, 3, 40, 200);
        let s = FrameStats::measure(&f.view());
        assert_eq!((s.width, s.height), (8, 3));
        assert!((s.left_luma - 40.0).abs() < 0.01 && (s.right_luma - 200.0).abs() < 0.01);
        assert!((s.mean_luma - 120.0).abs() < 0.01);
    }

    #[test]
    fn one_pixel_wide_frames_have_no_left_half() {
        let s = FrameStats::measure(&Frame::filled(1, 2, [90, 90, 90, 255]).view());
        assert_eq!(s.left_luma, 0.0);
        assert!((s.right_luma - 90.0).abs() < 0.01);
    }

    #[test]
    fn guidance_follows_whole_frame_light_and_never_opens_the_shutter() {
        let mut a = Analyzer::default();
        let dark = a.analyze(&Frame::filled(4, 4, [5, 5, 5, 255]).view());
        let bright = a.analyze(&Frame::filled(4, 4, [250, 250, 250, 255]).view());
        let normal = a.analyze(&halves(4, 4, 60, 180).view());
        assert_eq!(dark.guidance, Guidance::TooDark);
        assert_eq!(bright.guidance, Guidance::TooBright);
        assert_eq!(normal.guidance, Guidance::PlaceFace);
        assert!(![dark, bright, normal].iter().any(|r| r.ready));
        assert_eq!(a.frames(), 3);
    }
}
