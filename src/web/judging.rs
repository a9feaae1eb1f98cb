//! The portrait step in the shell: each frame's face is found and judged against the photo rules
//! by the core's [`FrameJudge`](crate::analysis::FrameJudge); this module only shows the verdict
//! (the guidance sentence, the guide's colour, `check` events) and turns it into flow events.

use super::component::Inner;
use super::dom::GUIDE_MARGIN;
use super::notices::{announce, Announcement};
use crate::analysis::{FrameStats, Guidance};
use crate::checks::GateState;
use crate::flow::Event;
use crate::guide::Guide;
use crate::FrameView;

/// Judges one portrait frame with the core's [`Portrait`](crate::analysis::Portrait) pipeline;
/// the flow events it leads to (`Judged`, and `Shutter` when auto-capture fires) and the frame's
/// statistics.
pub(super) fn portrait_frame(inner: &mut Inner, view: &FrameView<'_>, now: f64) -> (Vec<Event>, FrameStats) {
    let (vw, vh) = inner.dom.view_size();
    let (fw, fh) = (view.width() as f64, view.height() as f64);
    let guide = Guide::layout(vw, vh, GUIDE_MARGIN).scaled_to(vw, vh, fw, fh);
    let seen = inner.judge.portrait.frame(view, inner.judge.faces.as_mut(), guide, now);
    if let Some(e) = &seen.failure {
        web_sys::console::error_1(&format!("gradcap: face analysis failed: {e}").into());
    }
    inner.judge.face = seen.face;
    let Some(judgement) = seen.judgement else {
        // The models are still loading (or failed): only whole-frame light can be told.
        show_guidance(inner, seen.report.guidance);
        set_gate(inner, "fix");
        return (vec![Event::Judged { ready: false }], seen.report.stats);
    };
    show_guidance(inner, judgement.guidance);
    inner.judge.gate = Some(judgement.verdict);
    inner.judge.last_checks = judgement.checks;
    set_gate(
        inner,
        match judgement.verdict.state {
            GateState::Waiting => "fix",
            GateState::Holding { .. } => "hold",
            GateState::Ready => "ready",
        },
    );
    let mut events = vec![Event::Judged { ready: judgement.verdict.state == GateState::Ready }];
    if judgement.verdict.capture {
        events.push(Event::Shutter);
    }
    (events, seen.report.stats)
}

/// Colours the guide by the gate: `fix` (something to fix), `hold` (counting down), `ready`.
fn set_gate(inner: &Inner, gate: &str) {
    if inner.dom.view.get_attribute("data-gate").as_deref() != Some(gate) {
        let _ = inner.dom.view.set_attribute("data-gate", gate);
    }
}

/// The portrait's judging: the models, the face in the last frame, the pipeline (light, the
/// face tracked, the checks, the gate) and what it last said.
pub(super) struct Judging {
    /// The face models, once loaded (see [`super::faces::load`]).
    pub(super) faces: Option<crate::face::FaceFinder>,
    /// The face in the last analysed frame, in its pixels.
    pub(super) face: Option<crate::face::Face>,
    /// The portrait step's pipeline: whole-frame light, the face tracked, the checks and the gate.
    pub(super) portrait: crate::analysis::Portrait,
    /// The gate's verdict on the last portrait frame.
    pub(super) gate: Option<crate::checks::Verdict>,
    /// The checks of the last portrait frame (the calibration view's report).
    pub(super) last_checks: Vec<crate::checks::Check>,
    /// The person-segmentation model, once loaded (for the standard photo's background).
    pub(super) segmenter: Option<crate::photo::segment::Segmenter>,
    /// What the student was last told.
    pub(super) guidance: Option<Guidance>,
    /// Why the models did not load — the URL, and the HTTP status or the browser's reason: the
    /// `model.load` event's `message`.
    pub(super) model_failure: Option<String>,
}

impl Judging {
    pub(super) fn new(rules: crate::checks::Rules) -> Judging {
        Judging {
            faces: None,
            face: None,
            portrait: crate::analysis::Portrait::new(rules),
            gate: None,
            last_checks: Vec::new(),
            segmenter: None,
            model_failure: None,
            guidance: None,
        }
    }
}

/// Shows the guidance sentence and, when it changes, emits a `check` event `{id, zh, en, text}`.
pub(super) fn show_guidance(inner: &mut Inner, guidance: Guidance) {
    // The front camera's preview is mirrored: left and right as the student sees them.
    let guidance =
        if inner.options.facing == crate::camera::Facing::Front { guidance.mirrored() } else { guidance };
    if inner.judge.guidance == Some(guidance) {
        return;
    }
    inner.judge.guidance = Some(guidance);
    let lang = inner.options.lang;
    inner.dom.set_guidance(guidance.text().get(lang));
    announce(&inner.dom.host, Announcement::Check(guidance, lang));
}
