use super::*;
use crate::camera::CameraFailure;
use crate::upload::{Lookup, SessionInfo};

const ALL_STEPS: Steps = Steps { capture_code: true, session: true, upload: true };
const PORTRAIT_ONLY: Steps = Steps { capture_code: false, session: false, upload: false };

/// Runs `events` from a new flow whose models are loaded, returning the flow and the effects
/// of the last event.
fn run(steps: Steps, events: impl IntoIterator<Item = Event>) -> (Flow, Vec<Effect>) {
    let loaded = Flow::new(steps).next(Event::LoadModels).0.next(Event::ModelsLoaded).0;
    events.into_iter().fold((loaded, Vec::new()), |(flow, _), e| flow.next(e))
}

/// The backend's answer for an open session `code`.
fn open_session(code: &str) -> Event {
    Event::SessionLookedUp(Lookup::Open(SessionInfo {
        code: code.into(),
        name: "安徽建筑大学2026届图像采集".into(),
        school: String::new(),
        open: true,
    }))
}

fn framing(steps: Steps) -> Flow {
    let events = [
        Event::Start,
        Event::CameraOpened,
        Event::CodeRead("C".into()),
        Event::SessionEntered("S".into()),
        open_session("S"),
    ];
    let (flow, _) = run(steps, events);
    assert_eq!(flow.state(), &State::Framing);
    flow
}

#[test]
fn start_asks_for_the_camera_then_goes_to_the_first_step() {
    let (flow, effects) = run(ALL_STEPS, [Event::Start]);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::ScanningCode });
    assert_eq!(effects, [Effect::OpenCamera]);
    let (flow, effects) = flow.next(Event::CameraOpened);
    assert_eq!(flow.state(), &State::ScanningCode);
    assert_eq!(effects, [Effect::ClearFailure, Effect::SetShutter(false), Effect::StartFrames]);

    let (flow, _) = run(PORTRAIT_ONLY, [Event::Start, Event::CameraOpened]);
    assert_eq!(flow.state(), &State::Framing);
}

#[test]
fn code_then_session_then_framing() {
    let (flow, effects) =
        run(ALL_STEPS, [Event::Start, Event::CameraOpened, Event::CodeRead("ABC123".into())]);
    assert_eq!(flow.state(), &State::BindingSession);
    assert_eq!(flow.capture_code(), Some("ABC123"));
    assert_eq!(effects[0], Effect::Emit(Notice::Code("ABC123".into())));
    let (flow, effects) = flow.next(Event::SessionEntered("26050704".into()));
    assert_eq!(flow.state(), &State::LookingUpSession { code: "26050704".into() });
    assert_eq!(effects, [Effect::LookUpSession("26050704".into())]);
    let (flow, effects) = flow.next(open_session("26050704"));
    assert_eq!(flow.state(), &State::Framing);
    assert_eq!(flow.session_code(), Some("26050704"));
    assert_eq!(
        flow.session().map(SessionInfo::label).as_deref(),
        Some("26050704 - 安徽建筑大学2026届图像采集")
    );
    assert_eq!(effects[0], Effect::Emit(Notice::Session("26050704".into())));

    let no_session = Steps { session: false, ..ALL_STEPS };
    let (flow, _) = run(no_session, [Event::Start, Event::CameraOpened, Event::CodeRead("X".into())]);
    assert_eq!(flow.state(), &State::Framing);
}

#[test]
fn camera_failure_shows_the_reason_and_retry_reopens() {
    let denied = CameraFailure::PermissionDenied;
    let (flow, effects) = run(PORTRAIT_ONLY, [Event::Start, Event::CameraFailed(denied)]);
    assert_eq!(flow.state(), &State::CameraFailed { failure: denied, then: Stage::Framing });
    assert!(effects.contains(&Effect::ShowFailure(denied)));
    assert!(effects.contains(&Effect::Emit(Notice::Error("camera.denied"))));
    let (flow, effects) = flow.next(Event::Retry);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::Framing });
    assert_eq!(effects, [Effect::ClearFailure, Effect::OpenCamera]);
}

#[test]
fn failures_that_a_retry_cannot_fix_ignore_retry() {
    let insecure = CameraFailure::InsecureContext;
    let (flow, _) = run(PORTRAIT_ONLY, [Event::Start, Event::CameraFailed(insecure)]);
    let (after, effects) = flow.clone().next(Event::Retry);
    assert_eq!(after, flow);
    assert!(effects.is_empty());
}

#[test]
fn a_track_that_ends_while_live_stops_everything() {
    let flow = framing(ALL_STEPS);
    let (flow, effects) = flow.next(Event::CameraFailed(CameraFailure::CameraEnded));
    assert_eq!(
        flow.state(),
        &State::CameraFailed { failure: CameraFailure::CameraEnded, then: Stage::Framing }
    );
    assert!(effects.starts_with(&[Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false)]));
    let (flow, _) = flow.next(Event::Retry);
    let (flow, _) = flow.next(Event::CameraOpened);
    assert_eq!(flow.state(), &State::Framing, "codes are kept, so the retry goes back to framing");
}

#[test]
fn judged_frames_toggle_the_shutter() {
    let (flow, effects) = framing(ALL_STEPS).next(Event::Judged { ready: true });
    assert_eq!(flow.state(), &State::Ready);
    assert_eq!(effects, [Effect::SetShutter(true), Effect::Emit(Notice::Ready)]);
    let (same, effects) = flow.clone().next(Event::Judged { ready: true });
    assert_eq!((same.state(), effects.len()), (&State::Ready, 0));
    let (flow, effects) = flow.next(Event::Judged { ready: false });
    assert_eq!(flow.state(), &State::Framing);
    assert_eq!(effects, [Effect::SetShutter(false)]);
    let (flow, effects) = flow.next(Event::Judged { ready: false });
    assert_eq!((flow.state(), effects.len()), (&State::Framing, 0));
}

#[test]
fn shutter_only_works_when_ready() {
    let (flow, effects) = framing(ALL_STEPS).next(Event::Shutter);
    assert_eq!((flow.state(), effects.len()), (&State::Framing, 0));
    let (flow, _) = flow.next(Event::Judged { ready: true });
    let (flow, effects) = flow.next(Event::Shutter);
    assert_eq!(flow.state(), &State::Captured { camera_on: true });
    assert_eq!(effects, [Effect::SetShutter(false), Effect::StopFrames, Effect::TakePhoto]);
}

fn captured(steps: Steps) -> Flow {
    let (flow, _) = framing(steps).next(Event::Judged { ready: true });
    flow.next(Event::Shutter).0
}

#[test]
fn retake_returns_to_the_live_view_without_reopening_the_camera() {
    let (flow, effects) = captured(ALL_STEPS).next(Event::Retake);
    assert_eq!(flow.state(), &State::Framing);
    assert_eq!(effects, [Effect::ShowLive, Effect::SetShutter(false), Effect::StartFrames]);
    assert!(!effects.contains(&Effect::OpenCamera));
}

#[test]
fn retake_after_the_page_was_hidden_reopens_the_camera() {
    let (flow, effects) = captured(ALL_STEPS).next(Event::PageHidden);
    assert_eq!(flow.state(), &State::Captured { camera_on: false });
    assert_eq!(effects, [Effect::StopCamera]);
    let (same, effects) = flow.clone().next(Event::PageVisible);
    assert_eq!((same.state(), effects.len()), (flow.state(), 0), "the calibration view stays");
    let (flow, effects) = flow.next(Event::Retake);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::Framing });
    assert_eq!(effects, [Effect::ShowLive, Effect::OpenCamera]);
}

#[test]
fn confirm_uploads_then_done() {
    let (flow, effects) = captured(ALL_STEPS).next(Event::Confirm);
    assert_eq!(flow.state(), &State::Uploading);
    assert_eq!(effects, [Effect::StopCamera, Effect::Emit(Notice::Capture), Effect::Upload]);
    let (flow, effects) = flow.next(Event::Uploaded);
    assert_eq!(flow.state(), &State::Done);
    assert_eq!(effects, [Effect::Emit(Notice::Uploaded)]);
}

#[test]
fn confirm_without_upload_is_done_at_once() {
    let (flow, effects) = captured(PORTRAIT_ONLY).next(Event::Confirm);
    assert_eq!(flow.state(), &State::Done);
    assert_eq!(effects, [Effect::StopCamera, Effect::Emit(Notice::Capture)]);
}

#[test]
fn failed_uploads_can_be_retried() {
    let (flow, _) = captured(ALL_STEPS).next(Event::Confirm);
    let (flow, effects) = flow.next(Event::UploadFailed);
    assert_eq!(flow.state(), &State::UploadFailed);
    assert_eq!(effects, [Effect::Emit(Notice::Error("upload.failed"))]);
    let (flow, effects) = flow.next(Event::Retry);
    assert_eq!(flow.state(), &State::Uploading);
    assert_eq!(effects, [Effect::Upload]);
    let (flow, _) = flow.next(Event::UploadFailed);
    let (flow, effects) = flow.next(Event::Confirm);
    assert_eq!(
        (flow.state(), &effects[..]),
        (&State::Uploading, &[Effect::Upload][..]),
        "确认 again sends again"
    );
}

#[test]
fn a_refused_upload_is_reported_once_with_its_own_code() {
    let (flow, _) = captured(ALL_STEPS).next(Event::Confirm);
    let (flow, effects) = flow.next(Event::UploadRefused);
    assert_eq!(flow.state(), &State::UploadFailed);
    assert_eq!(effects, [Effect::Emit(Notice::Error("upload.refused"))]);
    let (flow, effects) = flow.next(Event::Retry);
    assert_eq!((flow.state(), &effects[..]), (&State::Uploading, &[Effect::Upload][..]));
    // Nothing is waiting on an upload any more: a late answer changes nothing.
    let (done, _) = flow.next(Event::Uploaded);
    let (after, effects) = done.clone().next(Event::UploadRefused);
    assert_eq!((after.state(), effects.len()), (done.state(), 0));
}

#[test]
fn hiding_the_page_stops_the_camera_and_showing_it_resumes_the_same_step() {
    for (events, stage) in [
        (vec![Event::Start, Event::CameraOpened], Stage::ScanningCode),
        (vec![Event::Start, Event::CameraOpened, Event::CodeRead("C".into())], Stage::BindingSession),
        (vec![Event::Start], Stage::ScanningCode),
    ] {
        let (flow, _) = run(ALL_STEPS, events);
        let (flow, effects) = flow.next(Event::PageHidden);
        assert_eq!(flow.state(), &State::Suspended { then: stage });
        assert_eq!(effects, [Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false)]);
        let (flow, effects) = flow.next(Event::PageVisible);
        assert_eq!(flow.state(), &State::RequestingCamera { then: stage });
        assert_eq!(effects, [Effect::OpenCamera]);
    }
    let (flow, _) = framing(ALL_STEPS).next(Event::Judged { ready: true });
    let (flow, _) = flow.next(Event::PageHidden);
    assert_eq!(flow.state(), &State::Suspended { then: Stage::Framing }, "ready is judged again after");
}

#[test]
fn a_camera_that_opens_after_the_page_was_hidden_is_ignored() {
    let (flow, _) = run(PORTRAIT_ONLY, [Event::Start, Event::PageHidden]);
    let (after, effects) = flow.clone().next(Event::CameraOpened);
    assert_eq!((after, effects), (flow, vec![]));
}

#[test]
fn detaching_stops_everything_and_start_begins_again() {
    let (flow, effects) = framing(ALL_STEPS).next(Event::Detached);
    assert_eq!(flow.state(), &State::Stopped);
    assert_eq!(effects, [Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false)]);
    let (flow, effects) = flow.clone().next(Event::Detached);
    assert!(effects.is_empty());
    let (flow, effects) = flow.next(Event::Start);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::Framing }, "codes survive");
    assert_eq!(effects, [Effect::OpenCamera]);
}

#[test]
fn events_out_of_place_change_nothing() {
    let idle = Flow::new(ALL_STEPS);
    for e in
        [Event::CameraOpened, Event::Shutter, Event::Confirm, Event::Retake, Event::Uploaded, Event::Retry]
    {
        let (flow, effects) = idle.clone().next(e.clone());
        assert_eq!((flow, effects), (idle.clone(), vec![]), "{e:?}");
    }
    let scanning = run(ALL_STEPS, [Event::Start, Event::CameraOpened]).0;
    for e in [Event::Judged { ready: true }, Event::SessionEntered("S".into()), Event::Shutter] {
        let (flow, effects) = scanning.clone().next(e.clone());
        assert_eq!((flow, effects), (scanning.clone(), vec![]), "{e:?}");
    }
}

#[test]
fn switching_the_camera_reopens_it_on_the_same_step() {
    let (flow, effects) = framing(ALL_STEPS).next(Event::SwitchCamera);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::Framing });
    assert_eq!(
        effects,
        [Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false), Effect::OpenCamera]
    );
    let (flow, _) = flow.next(Event::CameraOpened);
    assert_eq!(flow.state(), &State::Framing);
    let (done, _) = captured(PORTRAIT_ONLY).next(Event::Confirm);
    let (after, effects) = done.clone().next(Event::SwitchCamera);
    assert_eq!((after, effects), (done, vec![]), "no camera to switch once done");
}

/// Start, camera, the code read: the flow of a student coming back, and the effects of the code.
fn code_read(steps: Steps) -> (Flow, Vec<Effect>) {
    run(steps, [Event::Start, Event::CameraOpened, Event::CodeRead("CHSI-1".into())])
}

#[test]
fn a_code_read_asks_for_an_earlier_capture_only_when_uploading() {
    let (flow, effects) = code_read(ALL_STEPS);
    assert_eq!(flow.state(), &State::BindingSession);
    assert_eq!(effects.last(), Some(&Effect::LookUpEarlier));
    let (_, effects) = code_read(Steps { upload: false, ..ALL_STEPS });
    assert!(!effects.contains(&Effect::LookUpEarlier));
    // Nothing earlier (or the backend cannot say): the flow goes on as it was.
    let (after, effects) = flow.clone().next(Event::EarlierCapture(None));
    assert_eq!((after, effects), (flow, Vec::new()));
}

#[test]
fn a_rejected_capture_is_shown_with_its_reason_and_a_retake_replaces_it() {
    let (flow, _) = code_read(ALL_STEPS);
    let rejected = Verdict::Rejected { reason: "背景不是纯色".into() };
    let (flow, effects) = flow.next(Event::EarlierCapture(Some(rejected.clone())));
    assert_eq!(flow.state(), &State::Returned { verdict: rejected.clone(), then: Stage::BindingSession });
    assert_eq!(flow.state().name(), "rejected");
    assert!(
        effects.contains(&Effect::StopCamera) && effects.contains(&Effect::ShowVerdict(rejected.clone()))
    );
    assert!(effects.contains(&Effect::Emit(Notice::Verdict(rejected))));
    assert!(!flow.retaking());
    let (flow, effects) = flow.next(Event::Retake);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::BindingSession });
    assert_eq!(effects, [Effect::HideVerdict, Effect::OpenCamera]);
    assert!(flow.retaking(), "the next upload replaces the rejected one");
    let (flow, _) = flow.next(Event::CameraOpened);
    assert_eq!(flow.state(), &State::BindingSession);
}

#[test]
fn an_approved_capture_ends_the_visit_and_one_in_review_may_be_retaken() {
    let (flow, _) = code_read(Steps { session: false, ..ALL_STEPS });
    let (approved, _) = flow.clone().next(Event::EarlierCapture(Some(Verdict::Approved)));
    assert_eq!(approved.state().name(), "approved");
    let (still, effects) = approved.clone().next(Event::Retake);
    assert_eq!((still, effects), (approved, Vec::new()), "an approved photo is not replaced");
    let in_review = Verdict::InReview { sent_at: "2026-06-01T08:00:00Z".into() };
    let (flow, _) = flow.next(Event::EarlierCapture(Some(in_review)));
    assert_eq!(flow.state().name(), "in-review");
    let (flow, _) = flow.next(Event::Retake);
    assert_eq!(flow.state(), &State::RequestingCamera { then: Stage::Framing });
}

#[test]
fn a_late_answer_does_not_interrupt_a_photo_taken() {
    let flow = framing(ALL_STEPS);
    let (flow, _) = flow.next(Event::Judged { ready: true });
    let (flow, _) = flow.next(Event::Shutter);
    let before = flow.clone();
    let (flow, effects) = flow.next(Event::EarlierCapture(Some(Verdict::Approved)));
    assert_eq!((flow, effects), (before, Vec::new()));
}

#[test]
fn a_session_is_bound_only_once_the_backend_names_it_open() {
    let binding = run(ALL_STEPS, [Event::Start, Event::CameraOpened, Event::CodeRead("C".into())]).0;
    let asking = binding.clone().next(Event::SessionEntered("26050704".into())).0;
    assert!(asking.state().is_live(), "the camera stays live while the backend is asked");
    // A code scanned again while the backend is asked is not looked up twice.
    let (again, effects) = asking.clone().next(Event::SessionEntered("26050704".into()));
    assert_eq!((again, effects), (asking.clone(), vec![]));
    let closed =
        SessionInfo { code: "26050105".into(), name: "旧场次".into(), school: String::new(), open: false };
    for answer in [Lookup::Closed(closed), Lookup::Unknown, Lookup::Unreachable] {
        let (flow, effects) = asking.clone().next(Event::SessionLookedUp(answer.clone()));
        assert_eq!(flow.state(), &State::BindingSession, "{answer:?}");
        assert_eq!(effects, [Effect::ShowSessionProblem { code: "26050704".into(), found: answer }]);
        assert_eq!((flow.session_code(), flow.session()), (None, None));
    }
    // An answer that comes when nothing is asked changes nothing.
    let (flow, effects) = binding.clone().next(open_session("26050704"));
    assert_eq!((flow, effects), (binding, vec![]));
    // Hidden while asking: back on the session step when shown again (the answer is dropped).
    let (flow, _) = asking.next(Event::PageHidden);
    assert_eq!(flow.state(), &State::Suspended { then: Stage::BindingSession });

    // Without a backend the code is bound as entered.
    let offline = Steps { upload: false, ..ALL_STEPS };
    let (flow, effects) = run(
        offline,
        [
            Event::Start,
            Event::CameraOpened,
            Event::CodeRead("C".into()),
            Event::SessionEntered("26050704".into()),
        ],
    );
    assert_eq!(
        (flow.state(), flow.session_code(), flow.session()),
        (&State::Framing, Some("26050704"), None)
    );
    assert_eq!(effects[0], Effect::Emit(Notice::Session("26050704".into())));
}

#[test]
fn the_shutter_waits_for_the_models_and_a_failed_load_is_shown_and_retried() {
    let (flow, effects) = Flow::new(PORTRAIT_ONLY).next(Event::LoadModels);
    assert_eq!((flow.models(), effects), (Models::Loading, vec![Effect::LoadModels]));
    let framing = flow.next(Event::Start).0.next(Event::CameraOpened).0;
    assert_eq!(framing.state(), &State::Framing);
    // A photo made before the segmentation arrived would keep the old background.
    let (flow, effects) = framing.clone().next(Event::Judged { ready: true });
    assert_eq!((flow.state(), effects), (&State::Framing, vec![]));

    let (failed, effects) = framing.clone().next(Event::ModelsFailed);
    assert_eq!(failed.models(), Models::Failed);
    assert_eq!(effects, [Effect::ShowModelFailure, Effect::Emit(Notice::Error("model.load"))]);
    assert_eq!(failed.state(), &State::Framing, "the camera stays on");
    let (retried, effects) = failed.next(Event::Retry);
    assert_eq!(
        (retried.models(), effects),
        (Models::Loading, vec![Effect::ClearFailure, Effect::LoadModels])
    );

    let (ready, _) = retried.next(Event::ModelsLoaded);
    assert_eq!(ready.models(), Models::Ready);
    let (flow, effects) = ready.clone().next(Event::Judged { ready: true });
    assert_eq!(
        (flow.state(), effects),
        (&State::Ready, vec![Effect::SetShutter(true), Effect::Emit(Notice::Ready)])
    );
    // An answer for a load no longer wanted changes nothing; a retry with the models loaded is
    // not a model retry.
    assert_eq!(ready.clone().next(Event::ModelsFailed).0, ready);
    assert_eq!(ready.clone().next(Event::Retry).0, ready);
}

#[test]
fn a_model_failure_said_before_the_camera_opens_stays_said() {
    let requesting = Flow::new(PORTRAIT_ONLY).next(Event::LoadModels).0.next(Event::Start).0;
    let (failed, effects) = requesting.next(Event::ModelsFailed);
    assert_eq!(effects, [Effect::ShowModelFailure, Effect::Emit(Notice::Error("model.load"))]);
    // Opening the camera clears a camera failure, not the models' (said once, not emitted again).
    let (framing, effects) = failed.next(Event::CameraOpened);
    assert_eq!(framing.state(), &State::Framing);
    assert_eq!(
        effects,
        [Effect::ClearFailure, Effect::ShowModelFailure, Effect::SetShutter(false), Effect::StartFrames]
    );
    // The same after a camera failure retried: the camera's panel goes, the models' comes back.
    let lost = framing.next(Event::CameraFailed(CameraFailure::CameraEnded)).0;
    let (reopened, effects) = lost.next(Event::Retry).0.next(Event::CameraOpened);
    assert_eq!(reopened.models(), Models::Failed);
    assert_eq!(effects[..2], [Effect::ClearFailure, Effect::ShowModelFailure]);
    assert_eq!(reopened.next(Event::Retry).1, [Effect::ClearFailure, Effect::LoadModels]);
}
