//! The capture flow as one explicit state machine: from asking for the camera to done or failed.
//!
//! [`Flow::next`] takes an [`Event`] (something the student, the camera, the analysis or the network
//! did) and returns the new flow and the [`Effect`]s the shell must carry out. Events that make no
//! sense in the current state change nothing.
//!
//! ```
//! use gradcap::flow::{Effect, Event, Flow, State, Steps};
//!
//! let flow = Flow::new(Steps { capture_code: false, session: false, upload: false });
//! let (flow, effects) = flow.next(Event::Start);
//! assert_eq!(effects, [Effect::OpenCamera]);
//! let (flow, _) = flow.next(Event::CameraOpened);
//! assert_eq!(flow.state(), &State::Framing);
//! let (flow, effects) = flow.next(Event::Shutter);
//! assert!(effects.is_empty(), "the shutter does nothing until the frame is ready");
//! assert_eq!(flow.state(), &State::Framing);
//! ```

use crate::camera::CameraFailure;
use crate::events::ErrorCode;

/// Which steps this integration uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Read the student's CHSI capture code (图像采集码) before the portrait.
    pub capture_code: bool,
    /// Bind a collection session (采集场次) after the capture code.
    pub session: bool,
    /// Send the confirmed photo to a backend.
    pub upload: bool,
}

impl Steps {
    /// Reads a list such as `"code,session,portrait"` (the portrait is always taken); `None` for
    /// an unknown step.
    ///
    /// ```
    /// use gradcap::flow::Steps;
    /// let s = Steps::parse("code, portrait").unwrap();
    /// assert!(s.capture_code && !s.session && !s.upload);
    /// assert!(Steps::parse("selfie").is_none());
    /// ```
    pub fn parse(list: &str) -> Option<Steps> {
        let mut steps = Steps { capture_code: false, session: false, upload: false };
        for step in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match step {
                "code" => steps.capture_code = true,
                "session" => steps.session = true,
                "upload" => steps.upload = true,
                "portrait" => {}
                _ => return None,
            }
        }
        Some(steps)
    }
}

/// A session code (采集场次码) as typed or scanned: 8 digits, surrounding blanks ignored.
///
/// ```
/// assert_eq!(gradcap::flow::session_code(" 26050704 "), Some("26050704".to_string()));
/// assert_eq!(gradcap::flow::session_code("2605070"), None);
/// assert_eq!(gradcap::flow::session_code("2605070４"), None);
/// ```
pub fn session_code(text: &str) -> Option<String> {
    let t = text.trim();
    (t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string())
}

/// A step that needs the live camera, to return to after the camera (re)opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the capture code from the camera.
    ScanningCode,
    /// Binding the session (typed, or scanned from the session QR).
    BindingSession,
    /// Framing the portrait.
    Framing,
}

/// Where the models stand: the face models and the person segmentation, fetched from the
/// `models` base URL. The shutter opens only once all are loaded, so that every photo gets its
/// blue background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Models {
    /// Being fetched.
    Loading,
    /// Loaded.
    Ready,
    /// They could not be fetched or read; the student is told, and a retry fetches them again.
    Failed,
}

/// What the backend says of a capture sent earlier for this capture code (the student's return
/// visit: review takes 24–48 hours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not reviewed yet (审核中); `sent_at` is when it arrived (RFC 3339).
    InReview {
        /// When the backend received it.
        sent_at: String,
    },
    /// Approved (已通过): the student may download the photo as stored.
    Approved,
    /// Rejected (未通过) with the reviewer's reason; the student retakes.
    Rejected {
        /// The reviewer's words.
        reason: String,
    },
}

impl Verdict {
    /// Reads a status answer's `status`, `reason` and `createdAt`; `None` for a status that is
    /// no verdict on this capture (`replaced`, or anything unknown).
    ///
    /// ```
    /// use gradcap::flow::Verdict;
    /// assert_eq!(Verdict::from_status("approved", None, ""), Some(Verdict::Approved));
    /// assert_eq!(Verdict::from_status("replaced", None, ""), None);
    /// ```
    pub fn from_status(status: &str, reason: Option<&str>, created_at: &str) -> Option<Verdict> {
        match status {
            "pending" => Some(Verdict::InReview { sent_at: created_at.to_string() }),
            "approved" => Some(Verdict::Approved),
            "rejected" => Some(Verdict::Rejected { reason: reason.unwrap_or_default().to_string() }),
            _ => None,
        }
    }

    /// The backend's word for it: `pending`, `approved` or `rejected`.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::InReview { .. } => "pending",
            Verdict::Approved => "approved",
            Verdict::Rejected { .. } => "rejected",
        }
    }

    /// Whether the student may take a new photo to replace it (not once approved).
    pub fn can_retake(&self) -> bool {
        !matches!(self, Verdict::Approved)
    }
}

/// Where the flow is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Idle,
    /// Waiting for `getUserMedia`; then goes on with `then`.
    RequestingCamera {
        /// The step to go on with.
        then: Stage,
    },
    /// The camera could not be opened; the student sees why.
    CameraFailed {
        /// Why.
        failure: CameraFailure,
        /// The step a retry goes on with.
        then: Stage,
    },
    /// Reading the capture code.
    ScanningCode,
    /// Waiting for the session to be bound.
    BindingSession,
    /// The backend is asked about the session code entered (the camera stays live; codes
    /// scanned meanwhile are not taken).
    LookingUpSession {
        /// The code entered.
        code: String,
    },
    /// Live view; the photo would not pass yet.
    Framing,
    /// Live view; the photo would pass and the shutter is on.
    Ready,
    /// A photo was taken and is shown for calibration (图像校准).
    Captured {
        /// Whether the camera is still open (it is closed while the page is hidden).
        camera_on: bool,
    },
    /// The upload is in flight.
    Uploading,
    /// The photo is confirmed (and delivered, when uploading is on).
    Done,
    /// The upload failed; a retry sends it again.
    UploadFailed,
    /// The student came back: what the backend says of the photo sent earlier for this code is
    /// shown (the camera is off); from an in-review or rejected one, a retake goes on with `then`.
    Returned {
        /// What the backend says.
        verdict: Verdict,
        /// The step a retake goes on with.
        then: Stage,
    },
    /// The page is hidden: the camera is off until it is shown again.
    Suspended {
        /// The step to go on with.
        then: Stage,
    },
    /// The element was removed from the page: everything is off.
    Stopped,
}

impl State {
    /// A short stable name, for pages, styles and logs (`"framing"`, `"ready"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::RequestingCamera { .. } => "opening",
            State::CameraFailed { .. } => "failed",
            State::ScanningCode => "code",
            State::BindingSession | State::LookingUpSession { .. } => "session",
            State::Framing => "framing",
            State::Ready => "ready",
            State::Captured { .. } => "review",
            State::Uploading => "uploading",
            State::Done => "done",
            State::UploadFailed => "upload-failed",
            State::Returned { verdict: Verdict::InReview { .. }, .. } => "in-review",
            State::Returned { verdict: Verdict::Approved, .. } => "approved",
            State::Returned { verdict: Verdict::Rejected { .. }, .. } => "rejected",
            State::Suspended { .. } => "paused",
            State::Stopped => "stopped",
        }
    }

    /// Whether frames from the live camera are being judged in this state.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            State::ScanningCode
                | State::BindingSession
                | State::LookingUpSession { .. }
                | State::Framing
                | State::Ready
        )
    }
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The component was attached and should begin.
    Start,
    /// `getUserMedia` gave a stream.
    CameraOpened,
    /// `getUserMedia` failed, or the track ended.
    CameraFailed(CameraFailure),
    /// The student pressed retry.
    Retry,
    /// A capture code was read and accepted.
    CodeRead(String),
    /// A session code was entered (scanned or typed): with the `upload` step it is looked up
    /// first ([`Effect::LookUpSession`]), else bound at once.
    SessionEntered(String),
    /// The backend's answer about the session code being looked up.
    SessionLookedUp(crate::upload::Lookup),
    /// The analysis judged a frame.
    Judged {
        /// Whether the photo would pass.
        ready: bool,
    },
    /// The student pressed the shutter.
    Shutter,
    /// The student wants another photo.
    Retake,
    /// The student confirmed the photo.
    Confirm,
    /// The backend accepted the upload.
    Uploaded,
    /// The upload failed.
    UploadFailed,
    /// The backend refused the upload for good (it is not in the outbox any more; a retry sends
    /// the photo again as a new upload).
    UploadRefused,
    /// The page was hidden (tab switched, phone locked).
    PageHidden,
    /// The page is visible again.
    PageVisible,
    /// The element was removed from the page.
    Detached,
    /// Another camera was chosen (front/back): reopen it and go on with the same step.
    SwitchCamera,
    /// What the backend says of a capture sent earlier for the capture code read (`None`: there
    /// is none, or it cannot be asked now).
    EarlierCapture(Option<Verdict>),
    /// The models are wanted (the component was made, or its `models` option changed).
    LoadModels,
    /// Every model is loaded.
    ModelsLoaded,
    /// A model could not be fetched or read.
    ModelsFailed,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Call `getUserMedia` and attach the stream.
    OpenCamera,
    /// Stop every track of the stream.
    StopCamera,
    /// Start feeding frames into the analysis.
    StartFrames,
    /// Stop feeding frames.
    StopFrames,
    /// Enable (`true`) or disable the shutter button.
    SetShutter(bool),
    /// Show why the camera failed, with a retry button when it can help.
    ShowFailure(CameraFailure),
    /// Hide the failure panel.
    ClearFailure,
    /// Fetch the models, then report [`Event::ModelsLoaded`] or [`Event::ModelsFailed`].
    LoadModels,
    /// Show that the models could not be loaded, with a retry button.
    ShowModelFailure,
    /// Take the full-resolution photo and show the calibration view.
    TakePhoto,
    /// Close the calibration view and show the live camera again.
    ShowLive,
    /// Send the confirmed photo.
    Upload,
    /// Ask the backend about the session code, then report [`Event::SessionLookedUp`].
    LookUpSession(String),
    /// Tell the student why the session `code` was not bound (closed, unknown, unreachable).
    ShowSessionProblem {
        /// The code entered.
        code: String,
        /// What the backend said.
        found: crate::upload::Lookup,
    },
    /// Ask the backend about a capture sent earlier for the capture code just read (with the
    /// receipt kept for it), then report [`Event::EarlierCapture`].
    LookUpEarlier,
    /// Show the earlier capture's verdict (with its photo and a download when approved).
    ShowVerdict(Verdict),
    /// Hide the verdict.
    HideVerdict,
    /// Tell the page (a DOM event).
    Emit(Notice),
}

/// What the component announces to the page, as DOM events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The shutter is on (`ready`).
    Ready,
    /// A capture code was read (`code`).
    Code(String),
    /// A session was bound (`session`).
    Session(String),
    /// A photo was confirmed and nothing is to be uploaded. (The shell's `capture` event comes
    /// earlier, at the shutter, with the photo's size: it is not this notice.)
    Capture,
    /// The photo was delivered (`uploaded`).
    Uploaded,
    /// Something failed (`error`, with its stable code).
    Error(&'static str),
    /// The student came back and the earlier capture's verdict is shown (`verdict`).
    Verdict(Verdict),
}

/// The flow: the steps in use, the codes bound so far, and the current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    steps: Steps,
    state: State,
    capture_code: Option<String>,
    session_code: Option<String>,
    session: Option<crate::upload::SessionInfo>,
    models: Models,
    retaking: bool,
}

impl Flow {
    /// A flow that has not started.
    pub fn new(steps: Steps) -> Flow {
        Flow {
            steps,
            state: State::Idle,
            capture_code: None,
            session_code: None,
            session: None,
            models: Models::Loading,
            retaking: false,
        }
    }

    /// A new flow with other `steps`, not started; the models stay as they are.
    pub fn with_steps(&self, steps: Steps) -> Flow {
        Flow { models: self.models, ..Flow::new(steps) }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The capture code read so far.
    pub fn capture_code(&self) -> Option<&str> {
        self.capture_code.as_deref()
    }

    /// The session bound so far.
    pub fn session_code(&self) -> Option<&str> {
        self.session_code.as_deref()
    }

    /// The session bound, as the backend named it (with the `upload` step).
    pub fn session(&self) -> Option<&crate::upload::SessionInfo> {
        self.session.as_ref()
    }

    /// Where the models stand.
    pub fn models(&self) -> Models {
        self.models
    }

    /// Whether the photo being taken replaces the earlier capture (a retake from its verdict).
    pub fn retaking(&self) -> bool {
        self.retaking
    }

    /// The first camera step still to do.
    fn first_stage(&self) -> Stage {
        if self.steps.capture_code && self.capture_code.is_none() {
            Stage::ScanningCode
        } else if self.steps.session && self.session_code.is_none() {
            Stage::BindingSession
        } else {
            Stage::Framing
        }
    }

    /// The stage a live state stands for, to resume after the camera comes back.
    fn live_stage(&self) -> Option<Stage> {
        match self.state {
            State::ScanningCode => Some(Stage::ScanningCode),
            State::BindingSession | State::LookingUpSession { .. } => Some(Stage::BindingSession),
            State::Framing | State::Ready => Some(Stage::Framing),
            State::RequestingCamera { then } => Some(then),
            _ => None,
        }
    }

    fn to(mut self, state: State, effects: Vec<Effect>) -> (Flow, Vec<Effect>) {
        self.state = state;
        (self, effects)
    }

    /// Applies `event`; returns the new flow and what the shell must do.
    pub fn next(self, event: Event) -> (Flow, Vec<Effect>) {
        use Event as E;
        match (&self.state, event) {
            (_, E::LoadModels) => self.with_models(Models::Loading, vec![Effect::LoadModels]),
            (_, E::ModelsLoaded) if self.models == Models::Loading => {
                self.with_models(Models::Ready, Vec::new())
            }
            (_, E::ModelsFailed) if self.models == Models::Loading => self.with_models(
                Models::Failed,
                vec![Effect::ShowModelFailure, Effect::Emit(Notice::Error(ErrorCode::ModelLoad.code()))],
            ),
            // Retry fetches the models again (a camera that failed is retried by its own arm).
            (state, E::Retry)
                if self.models == Models::Failed && !matches!(state, State::CameraFailed { .. }) =>
            {
                self.with_models(Models::Loading, vec![Effect::ClearFailure, Effect::LoadModels])
            }
            (State::Idle | State::Stopped, E::Start) => {
                let then = self.first_stage();
                self.to(State::RequestingCamera { then }, vec![Effect::OpenCamera])
            }
            (_, E::Detached) if self.state != State::Stopped => self
                .to(State::Stopped, vec![Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false)]),
            (_, E::PageHidden) => self.hide(),
            (_, E::SwitchCamera) if self.live_stage().is_some() => {
                let then = self.live_stage().unwrap_or(Stage::Framing);
                let effects = vec![
                    Effect::StopFrames,
                    Effect::StopCamera,
                    Effect::SetShutter(false),
                    Effect::OpenCamera,
                ];
                self.to(State::RequestingCamera { then }, effects)
            }
            (State::Suspended { then }, E::PageVisible) => {
                let then = *then;
                self.to(State::RequestingCamera { then }, vec![Effect::OpenCamera])
            }
            (State::RequestingCamera { then }, E::CameraOpened) => {
                let then = *then;
                // The camera's failure goes; a model failure said while the camera opened stays.
                let mut effects = vec![Effect::ClearFailure];
                if self.models == Models::Failed {
                    effects.push(Effect::ShowModelFailure);
                }
                self.enter(then, effects)
            }
            (State::RequestingCamera { then }, E::CameraFailed(failure)) => {
                let then = *then;
                let effects = vec![
                    Effect::StopCamera,
                    Effect::ShowFailure(failure),
                    Effect::Emit(Notice::Error(failure.code())),
                ];
                self.to(State::CameraFailed { failure, then }, effects)
            }
            (
                State::ScanningCode
                | State::BindingSession
                | State::LookingUpSession { .. }
                | State::Framing
                | State::Ready,
                E::CameraFailed(failure),
            ) => {
                let then = self.live_stage().unwrap_or(Stage::Framing);
                let effects = vec![
                    Effect::StopFrames,
                    Effect::StopCamera,
                    Effect::SetShutter(false),
                    Effect::ShowFailure(failure),
                    Effect::Emit(Notice::Error(failure.code())),
                ];
                self.to(State::CameraFailed { failure, then }, effects)
            }
            (State::CameraFailed { failure, then }, E::Retry) if failure.retryable() => {
                let then = *then;
                self.to(State::RequestingCamera { then }, vec![Effect::ClearFailure, Effect::OpenCamera])
            }
            (State::ScanningCode, E::CodeRead(code)) => self.code_read(code),
            (State::BindingSession, E::SessionEntered(code)) if self.steps.upload => {
                self.to(State::LookingUpSession { code: code.clone() }, vec![Effect::LookUpSession(code)])
            }
            (State::BindingSession, E::SessionEntered(code)) => self.bind(code, None),
            (State::LookingUpSession { code }, E::SessionLookedUp(found)) => {
                let code = code.clone();
                match found {
                    crate::upload::Lookup::Open(info) => self.bind(code, Some(info)),
                    found => self.to(State::BindingSession, vec![Effect::ShowSessionProblem { code, found }]),
                }
            }
            (State::Framing, E::Judged { ready: true }) if self.models == Models::Ready => {
                self.to(State::Ready, vec![Effect::SetShutter(true), Effect::Emit(Notice::Ready)])
            }
            (State::Ready, E::Judged { ready: false }) => {
                self.to(State::Framing, vec![Effect::SetShutter(false)])
            }
            (State::Ready, E::Shutter) => self.to(
                State::Captured { camera_on: true },
                vec![Effect::SetShutter(false), Effect::StopFrames, Effect::TakePhoto],
            ),
            (State::Captured { camera_on: true }, E::Retake) => {
                self.enter(Stage::Framing, vec![Effect::ShowLive])
            }
            (State::Captured { camera_on: false }, E::Retake) => self.to(
                State::RequestingCamera { then: Stage::Framing },
                vec![Effect::ShowLive, Effect::OpenCamera],
            ),
            (State::Captured { .. }, E::Confirm) => self.confirm(),
            (State::Uploading, E::Uploaded) => self.to(State::Done, vec![Effect::Emit(Notice::Uploaded)]),
            (State::Uploading, E::UploadFailed) => self
                .to(State::UploadFailed, vec![Effect::Emit(Notice::Error(ErrorCode::UploadFailed.code()))]),
            (State::Uploading, E::UploadRefused) => self
                .to(State::UploadFailed, vec![Effect::Emit(Notice::Error(ErrorCode::UploadRefused.code()))]),
            // The lookup answers while the student is still before the shutter: the verdict is
            // shown instead (later, the new photo is the one that counts).
            (
                State::BindingSession | State::LookingUpSession { .. } | State::Framing | State::Ready,
                E::EarlierCapture(Some(verdict)),
            ) => {
                let then = self.live_stage().unwrap_or(Stage::Framing);
                let effects = vec![
                    Effect::StopFrames,
                    Effect::StopCamera,
                    Effect::SetShutter(false),
                    Effect::ShowVerdict(verdict.clone()),
                    Effect::Emit(Notice::Verdict(verdict.clone())),
                ];
                self.to(State::Returned { verdict, then }, effects)
            }
            (State::Returned { verdict, then }, E::Retake) if verdict.can_retake() => {
                let then = *then;
                let mut flow = self;
                flow.retaking = true;
                flow.to(State::RequestingCamera { then }, vec![Effect::HideVerdict, Effect::OpenCamera])
            }
            // The calibration view's 确认 sends again too.
            (State::UploadFailed, E::Retry | E::Confirm) => self.to(State::Uploading, vec![Effect::Upload]),
            (_, _) => (self, Vec::new()),
        }
    }

    fn with_models(mut self, models: Models, effects: Vec<Effect>) -> (Flow, Vec<Effect>) {
        self.models = models;
        (self, effects)
    }

    /// Goes live on `stage` (the camera is open).
    fn enter(self, stage: Stage, mut effects: Vec<Effect>) -> (Flow, Vec<Effect>) {
        let state = match stage {
            Stage::ScanningCode => State::ScanningCode,
            Stage::BindingSession => State::BindingSession,
            Stage::Framing => State::Framing,
        };
        effects.extend([Effect::SetShutter(false), Effect::StartFrames]);
        self.to(state, effects)
    }

    /// Binds the session `code` (named `info` by the backend, when it was asked) and goes on to
    /// the portrait.
    fn bind(mut self, code: String, info: Option<crate::upload::SessionInfo>) -> (Flow, Vec<Effect>) {
        self.session_code = Some(code.clone());
        self.session = info;
        self.enter(Stage::Framing, vec![Effect::Emit(Notice::Session(code))])
    }

    fn code_read(mut self, code: String) -> (Flow, Vec<Effect>) {
        self.capture_code = Some(code.clone());
        let stage = self.first_stage();
        let upload = self.steps.upload;
        let (flow, mut effects) = self.enter(stage, vec![Effect::Emit(Notice::Code(code))]);
        // Asked once the live step is under way, so the answer finds it.
        if upload {
            effects.push(Effect::LookUpEarlier);
        }
        (flow, effects)
    }

    fn confirm(self) -> (Flow, Vec<Effect>) {
        let camera_on = matches!(self.state, State::Captured { camera_on: true });
        let mut effects = if camera_on { vec![Effect::StopCamera] } else { Vec::new() };
        effects.push(Effect::Emit(Notice::Capture));
        if self.steps.upload {
            effects.push(Effect::Upload);
            self.to(State::Uploading, effects)
        } else {
            self.to(State::Done, effects)
        }
    }

    fn hide(self) -> (Flow, Vec<Effect>) {
        match (&self.state, self.live_stage()) {
            (_, Some(then)) => self.to(
                State::Suspended { then },
                vec![Effect::StopFrames, Effect::StopCamera, Effect::SetShutter(false)],
            ),
            (State::Captured { camera_on: true }, None) => {
                self.to(State::Captured { camera_on: false }, vec![Effect::StopCamera])
            }
            _ => (self, Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests;
