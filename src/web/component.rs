//! `GradCapture`: the component behind `<grad-capture>`, also usable as a plain JS class.

use super::camera::{self, Camera};
use super::code::{self, CodeReader};
use super::dom::Dom;
use super::faces;
use super::frames::{
    request_frame, Clock, FrameLoop, FrameReader, HAVE_CURRENT_DATA, STAND_BY_TICK_MS, VIDEO_CLOCK_WAIT_MS,
};
use super::judging::{self, Judging};
use super::notices::{announce, Announcement};
use super::options::Options;
use super::upload::Delivery;
use crate::analysis::{FrameStats, Guidance};
use crate::camera::Browser;
use crate::events::ErrorCode;
use crate::flow::{Effect, Event, Flow, Notice, State};
use crate::lang::Label;
use crate::qr::Validation;
use crate::FrameView;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, MediaStream, MediaStreamTrack};

/// The component's state: its interface, the flow, the options, and one owned part for each
/// job — the camera, the frame loop, the portrait's judging, the code reader and the delivery.
/// Only the component holds it (in one shared cell); each part's functions are given the part.
pub(super) struct Inner {
    pub(super) dom: Dom,
    pub(super) flow: Option<Flow>,
    pub(super) options: Options,
    pub(super) camera: Camera,
    pub(super) frames: FrameLoop,
    pub(super) judge: Judging,
    pub(super) code: CodeReader,
    pub(super) delivery: Delivery,
    buttons: Vec<Closure<dyn FnMut()>>,
    on_visibility: Option<Closure<dyn FnMut()>>,
}

/// The capture component. `<grad-capture>` wraps one; pages that do not want the custom element can
/// create it on any container: `new GradCapture(div, { lang: "en", facing: "front" })`.
#[wasm_bindgen]
pub struct GradCapture {
    inner: Rc<RefCell<Inner>>,
}

/// The page's clock, ms (`performance.now()`; 0 without it).
pub(super) fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

#[wasm_bindgen]
impl GradCapture {
    /// Builds the interface inside `host`. Nothing starts until [`connect`](Self::connect).
    #[wasm_bindgen(constructor)]
    pub fn new(
        host: HtmlElement,
        #[wasm_bindgen(unchecked_param_type = "GradCaptureOptions")] options: JsValue,
    ) -> Result<GradCapture, JsError> {
        let js =
            |e: JsValue| JsError::new(&e.as_string().unwrap_or_else(|| "cannot build the interface".into()));
        let window = web_sys::window().ok_or_else(|| JsError::new("no window"))?;
        let document = window.document().ok_or_else(|| JsError::new("no document"))?;
        let options = Options::read(&host, &options);
        let dom = Dom::build(host).map_err(js)?;
        dom.set_lang(options.lang);
        dom.debug.set_hidden(!options.debug);
        dom.debug_canvas.set_hidden(!options.debug);
        let validation = match options.code_pattern.as_deref().map(Validation::pattern) {
            None => Validation::any(),
            Some(Some(v)) => v,
            Some(None) => return Err(JsError::new("code-pattern is not a valid regular expression")),
        };
        let browser = Browser::from_user_agent(&window.navigator().user_agent().unwrap_or_default());
        let inner = Inner {
            dom,
            flow: Some(Flow::new(options.steps)),
            judge: Judging::new(options.rules.clone()),
            options,
            camera: Camera::new(browser),
            frames: FrameLoop::new(FrameReader::new(&document).map_err(js)?),
            code: CodeReader::new(validation),
            delivery: Delivery::default(),
            buttons: Vec::new(),
            on_visibility: None,
        };
        let capture = GradCapture { inner: Rc::new(RefCell::new(inner)) };
        capture.wire_buttons();
        code::wire(&capture.inner);
        dispatch(&capture.inner, Event::LoadModels);
        Ok(capture)
    }

    /// Starts the flow: asks for the camera. Called when the element is attached.
    pub fn connect(&self) {
        self.listen_visibility(true);
        dispatch(&self.inner, Event::Start);
        // Photos confirmed on an earlier page that the backend does not have yet, now and
        // whenever the connection returns.
        super::upload::resume(&self.inner);
        if self.inner.borrow().delivery.on_online.is_none() {
            let weak = Rc::downgrade(&self.inner);
            let closure = Closure::<dyn FnMut()>::new(move || {
                if let Some(rc) = weak.upgrade() {
                    super::upload::resume(&rc);
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window.add_event_listener_with_callback("online", closure.as_ref().unchecked_ref());
            }
            self.inner.borrow_mut().delivery.on_online = Some(closure);
        }
    }

    /// Stops everything (camera, frame loop, listeners). Called when the element is removed.
    pub fn disconnect(&self) {
        self.listen_visibility(false);
        dispatch(&self.inner, Event::Detached);
    }

    /// Retries after a camera or upload failure.
    pub fn retry(&self) {
        dispatch(&self.inner, Event::Retry);
    }

    /// Presses the shutter (does nothing until the photo would pass).
    pub fn shutter(&self) {
        dispatch(&self.inner, Event::Shutter);
    }

    /// Changes an option by its attribute name (`lang`, `facing`, `steps`, `rules`, … — every one
    /// of `ATTRIBUTES` in options.rs). Most apply from the next frame or upload;
    /// a new `facing` reopens the camera, new `models` are loaded (the old ones serve until
    /// then), and new `steps` start the flow again from its first step.
    #[wasm_bindgen(js_name = setOption)]
    pub fn set_option(&self, name: &str, value: Option<String>) {
        let (facing_before, steps_before, models_before) = {
            let inner = self.inner.borrow();
            (inner.options.facing, inner.options.steps, inner.options.models.clone())
        };
        {
            let mut inner = self.inner.borrow_mut();
            inner.options.set(name, value.as_deref());
            if matches!(name, "rules" | "auto-capture" | "standard") {
                let rules = inner.options.rules.clone();
                inner.judge.portrait.set_rules(rules);
            }
            if name == "code-pattern" {
                match inner.options.code_pattern.as_deref().map(Validation::pattern) {
                    None => inner.code.validation = Validation::any(),
                    Some(Some(v)) => inner.code.validation = v,
                    Some(None) => web_sys::console::warn_1(
                        &"gradcap: `code-pattern` is not a valid regular expression; the previous one is kept".into(),
                    ),
                }
            }
            let lang = inner.options.lang;
            inner.dom.set_lang(lang);
            inner.dom.debug.set_hidden(!inner.options.debug);
            inner.dom.debug_canvas.set_hidden(!inner.options.debug);
            if let Some(g) = inner.judge.guidance {
                inner.dom.set_guidance(g.text().get(lang));
            }
            if let Some(f) = inner.camera.failure {
                inner.dom.show_failure(f.message(lang, inner.camera.browser), f.code(), lang, f.retryable());
            } else if inner.flow.as_ref().is_some_and(|f| f.models() == crate::flow::Models::Failed) {
                inner.dom.show_failure(
                    Label::ModelsFailed.text().get(lang),
                    ErrorCode::ModelLoad.code(),
                    lang,
                    true,
                );
            }
        }
        if name == "facing" && self.inner.borrow().options.facing != facing_before {
            dispatch(&self.inner, Event::SwitchCamera);
        }
        if name == "models" && self.inner.borrow().options.models != models_before {
            dispatch(&self.inner, Event::LoadModels);
        }
        let steps = self.inner.borrow().options.steps;
        if name == "steps" && steps != steps_before {
            // Started (connect() was called) and not stopped since.
            let running = self
                .inner
                .borrow()
                .flow
                .as_ref()
                .is_some_and(|f| !matches!(f.state(), State::Idle | State::Stopped));
            if running {
                dispatch(&self.inner, Event::Detached);
            }
            let mut inner = self.inner.borrow_mut();
            inner.flow = Some(inner.flow.as_ref().map_or_else(|| Flow::new(steps), |f| f.with_steps(steps)));
            drop(inner);
            if running {
                dispatch(&self.inner, Event::Start);
            }
        }
    }

    /// The standard photo just taken (JPEG, 480×640, 20–40 KB), or `undefined` before the
    /// shutter and after a retake.
    #[wasm_bindgen(getter)]
    pub fn photo(&self) -> Option<js_sys::Uint8Array> {
        self.inner.borrow().delivery.captured.as_ref().map(|c| js_sys::Uint8Array::from(&c.jpeg.bytes[..]))
    }

    /// The full frame the photo was cut from, as a JPEG (quality 90), or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn original(&self) -> Option<js_sys::Uint8Array> {
        let inner = self.inner.borrow();
        let captured = inner.delivery.captured.as_ref()?;
        let file = crate::photo::jpeg::encode(&captured.original.view(), 90).ok()?;
        Some(js_sys::Uint8Array::from(&file.bytes[..]))
    }

    /// The flow's state (`GradCaptureState` in the types): `idle`, `opening`, `failed`, `code`,
    /// `framing`, `ready`, `review`, `done`, …
    #[wasm_bindgen(getter, unchecked_return_type = "GradCaptureState")]
    pub fn state(&self) -> String {
        self.inner.borrow().flow.as_ref().map_or("idle", |f| f.state().name()).to_string()
    }

    /// The frame loop's statistics: `{frames, frameMs, frameMsAvg, fps, last: {width, height,
    /// meanLuma, leftLuma, rightLuma}}`.
    #[wasm_bindgen(unchecked_return_type = "FrameLoopStats | null")]
    pub fn stats(&self) -> JsValue {
        serde_wasm_bindgen::to_value(&self.inner.borrow().frames.stats).unwrap_or(JsValue::NULL)
    }

    /// Whether a camera track is live (for tests and for pages that show a camera indicator).
    #[wasm_bindgen(getter, js_name = cameraActive)]
    pub fn camera_active(&self) -> bool {
        self.inner.borrow().camera.active()
    }
}

impl GradCapture {
    fn wire_buttons(&self) {
        let weak = Rc::downgrade(&self.inner);
        let mut inner = self.inner.borrow_mut();
        let pairs = [
            (inner.dom.shutter.clone(), Event::Shutter),
            (inner.dom.retry.clone(), Event::Retry),
            (inner.dom.retake.clone(), Event::Retake),
            (inner.dom.confirm.clone(), Event::Confirm),
            (inner.dom.verdict_retake.clone(), Event::Retake),
        ];
        for (button, event) in pairs {
            let weak = weak.clone();
            let closure = Closure::<dyn FnMut()>::new(move || {
                if let Some(rc) = weak.upgrade() {
                    dispatch(&rc, event.clone());
                }
            });
            button.set_onclick(Some(closure.as_ref().unchecked_ref()));
            inner.buttons.push(closure);
        }
        let download = Closure::<dyn FnMut()>::new(move || {
            if let Some(rc) = weak.upgrade() {
                super::returning::download(&rc);
            }
        });
        inner.dom.verdict_download.set_onclick(Some(download.as_ref().unchecked_ref()));
        inner.buttons.push(download);
    }

    fn listen_visibility(&self, on: bool) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let mut inner = self.inner.borrow_mut();
        if let Some(old) = inner.on_visibility.take() {
            let _ = document
                .remove_event_listener_with_callback("visibilitychange", old.as_ref().unchecked_ref());
        }
        if !on {
            return;
        }
        let weak = Rc::downgrade(&self.inner);
        let doc = document.clone();
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(rc) = weak.upgrade() {
                let hidden = doc.visibility_state() == web_sys::VisibilityState::Hidden;
                dispatch(&rc, if hidden { Event::PageHidden } else { Event::PageVisible });
            }
        });
        let _ =
            document.add_event_listener_with_callback("visibilitychange", closure.as_ref().unchecked_ref());
        inner.on_visibility = Some(closure);
    }
}

/// Feeds `event` to the flow and carries out what it says.
pub(super) fn dispatch(rc: &Rc<RefCell<Inner>>, event: Event) {
    let effects = {
        let mut inner = rc.borrow_mut();
        let Some(flow) = inner.flow.take() else { return };
        let (flow, effects) = flow.next(event);
        inner.dom.set_state_class(flow.state().name());
        inner.flow = Some(flow);
        effects
    };
    for effect in effects {
        run(rc, effect);
    }
}

fn run(rc: &Rc<RefCell<Inner>>, effect: Effect) {
    match effect {
        Effect::OpenCamera => open_camera(rc),
        Effect::StopCamera => stop_camera(&mut rc.borrow_mut()),
        Effect::StartFrames => {
            let id = rc.borrow_mut().frames.start();
            schedule(rc, id);
        }
        Effect::StopFrames => rc.borrow_mut().frames.stop(),
        Effect::SetShutter(on) => rc.borrow().dom.shutter.set_disabled(!on),
        Effect::ShowFailure(failure) => {
            let mut inner = rc.borrow_mut();
            let lang = inner.options.lang;
            inner.camera.failure = Some(failure);
            inner.judge.guidance = None;
            inner.dom.set_guidance("");
            inner.dom.show_failure(
                failure.message(lang, inner.camera.browser),
                failure.code(),
                lang,
                failure.retryable(),
            );
        }
        Effect::LoadModels => faces::load(rc),
        Effect::ShowModelFailure => {
            let inner = rc.borrow();
            let lang = inner.options.lang;
            inner.dom.show_failure(
                Label::ModelsFailed.text().get(lang),
                ErrorCode::ModelLoad.code(),
                lang,
                true,
            );
        }
        Effect::ClearFailure => {
            let mut inner = rc.borrow_mut();
            inner.camera.failure = None;
            inner.dom.failure.set_hidden(true);
        }
        Effect::TakePhoto => {
            let mut inner = rc.borrow_mut();
            // The photo's metadata carries the recapture evidence gathered up to the shutter:
            // it is forgotten only once the photo is made.
            let taken = super::review::take_photo(&mut inner);
            inner.judge.portrait.reset();
            if taken {
                inner.dom.review.set_hidden(false);
            } else {
                drop(inner);
                emit_error(rc, ErrorCode::PhotoFailed.code());
                dispatch(rc, Event::Retake);
            }
        }
        Effect::ShowLive => {
            let mut inner = rc.borrow_mut();
            inner.judge.portrait.reset();
            inner.delivery.captured = None;
            inner.dom.upload_status.set_text_content(None);
            inner.dom.review.set_hidden(true);
            inner.dom.confirm.set_disabled(false);
        }
        Effect::Upload => super::upload::start(rc),
        Effect::LookUpSession(code) => super::code::look_up_session(rc, code),
        Effect::ShowSessionProblem { code, found } => super::code::show_session_problem(rc, &code, &found),
        Effect::LookUpEarlier => super::returning::look_up(rc),
        Effect::ShowVerdict(verdict) => super::returning::show(rc, &verdict),
        Effect::HideVerdict => super::returning::hide(rc),
        Effect::Emit(notice) => emit_notice(rc, notice),
    }
}

fn emit_notice(rc: &Rc<RefCell<Inner>>, notice: Notice) {
    let (host, lang, browser, failure, model_failure) = {
        let inner = rc.borrow();
        let models = inner.judge.model_failure.clone();
        (inner.dom.host.clone(), inner.options.lang, inner.camera.browser, inner.camera.failure, models)
    };
    match &notice {
        Notice::Code(_) | Notice::Session(_) => show_binding(rc),
        _ => {}
    }
    let earlier = rc.borrow().delivery.earlier.as_ref().map(|e| e.id.clone());
    let announcement = match &notice {
        Notice::Ready => Announcement::Ready,
        Notice::Code(code) => Announcement::Code(code),
        Notice::Session(code) => Announcement::Session(code),
        // The shutter's `capture` and the upload's `uploaded` are announced with their details
        // by the photo and the upload.
        Notice::Capture | Notice::Uploaded => return,
        Notice::Verdict(verdict) => Announcement::Verdict(verdict, earlier.as_deref()),
        Notice::Error(code) => {
            let camera = failure.filter(|f| f.code() == *code).map(|f| f.message(lang, browser));
            let models = model_failure.as_deref().filter(|_| *code == ErrorCode::ModelLoad.code());
            Announcement::Error { code, message: camera.or(models), key: None }
        }
    };
    announce(&host, announcement);
}

/// Emits an `error` event with `code` that is not a camera failure (e.g. `model.load`).
pub(super) fn emit_error(rc: &Rc<RefCell<Inner>>, code: &'static str) {
    emit_notice(rc, Notice::Error(code));
}

/// Shows the codes bound so far above the camera view, so the student sees they were read.
fn show_binding(rc: &Rc<RefCell<Inner>>) {
    let inner = rc.borrow();
    let Some(flow) = inner.flow.as_ref() else { return };
    let lang = inner.options.lang;
    let mut parts = Vec::new();
    if let Some(code) = flow.capture_code() {
        parts.push(format!("{}{code}", Label::CodeRecognized.text().get(lang)));
    }
    if let Some(session) = flow.session_code() {
        match flow.session().filter(|s| s.code == session) {
            Some(info) => parts.push(info.label()),
            None => parts.push(session.to_string()),
        }
    }
    inner.dom.binding.set_text_content(Some(&parts.join(" · ")));
}

fn open_camera(rc: &Rc<RefCell<Inner>>) {
    let (generation, facing) = {
        let mut inner = rc.borrow_mut();
        inner.camera.generation = inner.camera.generation.wrapping_add(1);
        let lang = inner.options.lang;
        inner.dom.set_guidance(Label::OpeningCamera.text().get(lang));
        (inner.camera.generation, inner.options.facing)
    };
    let early = camera::take_early(&rc.borrow().dom.host, facing);
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        let result = camera::open(facing, early).await;
        let Some(rc) = weak.upgrade() else {
            if let Ok(stream) = &result {
                camera::stop(stream);
            }
            return;
        };
        if rc.borrow().camera.generation != generation {
            if let Ok(stream) = &result {
                camera::stop(stream);
            }
            return;
        }
        match result {
            Ok(stream) => {
                attach_stream(&rc, stream);
                dispatch(&rc, Event::CameraOpened);
                if !rc.borrow().flow.as_ref().is_some_and(|f| f.state().is_live()) {
                    stop_camera(&mut rc.borrow_mut());
                }
            }
            Err(failure) => dispatch(&rc, Event::CameraFailed(failure)),
        }
    });
}

fn attach_stream(rc: &Rc<RefCell<Inner>>, stream: MediaStream) {
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(rc);
    let generation = rc.borrow().camera.generation;
    // A track ends when the camera is unplugged or taken by the system, and also when the student
    // revokes the permission in the browser's settings: then say how to turn it back on.
    let on_ended = Closure::<dyn FnMut()>::new(move || {
        let weak = weak.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let failure = camera::why_ended().await;
            if let Some(rc) = weak.upgrade() {
                if rc.borrow().camera.generation == generation {
                    dispatch(&rc, Event::CameraFailed(failure));
                }
            }
        });
    });
    for track in stream.get_video_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
        }
    }
    let mut inner = rc.borrow_mut();
    inner.dom.video.set_src_object(Some(&stream));
    if let Ok(play) = inner.dom.video.play() {
        // Autoplay of a muted inline video is allowed; a rejection leaves the poster, not a crash.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(play).await;
        });
    }
    let deg = inner.options.rotation.degrees();
    let transform = match deg {
        0 => String::new(),
        90 | 270 => "translate(-50%, -50%) rotate(DEGdeg)".replace("DEG", &deg.to_string()),
        _ => "translate(-50%, -50%) rotate(180deg)".into(),
    };
    let style = inner.dom.video.style();
    let _ = style.set_property("transform", &transform);
    if deg == 90 || deg == 270 {
        let (w, h) = inner.dom.view_size();
        let _ = style.set_property("width", &format!("{h}px"));
        let _ = style.set_property("height", &format!("{w}px"));
    } else {
        let _ = style.remove_property("width");
        let _ = style.remove_property("height");
    }
    inner.camera.stream = Some(stream);
    inner.camera.opened_at = js_sys::Date::now();
    inner.camera.on_track_ended = Some(on_ended);
}

fn stop_camera(inner: &mut Inner) {
    let video = inner.dom.video.clone();
    inner.camera.stop(&video);
}

fn schedule(rc: &Rc<RefCell<Inner>>, id: u32) {
    let (video, clock) = {
        let inner = rc.borrow();
        (inner.dom.video.clone(), inner.frames.clock)
    };
    // Until the video's frame callback has been seen to come, a timer stands by: whichever comes
    // first runs the tick; the video's callback, even when it comes second, sets the clock.
    let fired = Rc::new(std::cell::Cell::new(false));
    let by = if clock == Clock::Animation { Clock::Animation } else { Clock::Video };
    let (weak, once) = (Rc::downgrade(rc), fired.clone());
    let callback = Closure::once_into_js(move |now: f64| {
        let Some(rc) = weak.upgrade() else { return };
        if !once.replace(true) {
            clocked(&rc, id, by, now);
        } else if by == Clock::Video && rc.borrow().frames.is_current(id) {
            rc.borrow_mut().frames.clock = Clock::Video;
        }
    });
    if let Err(e) = request_frame(&video, callback.unchecked_ref(), by == Clock::Animation) {
        web_sys::console::error_2(&"gradcap: cannot schedule frames".into(), &e);
    }
    if clock == Clock::Unknown {
        stand_by(rc, id, fired);
    }
}

/// Every [`STAND_BY_TICK_MS`], runs the tick the video's frame callback (`fired` tells whether
/// it came) did not run, once the video has a frame to read (until then it waits on); when the
/// callback has not come [`VIDEO_CLOCK_WAIT_MS`] after the video had a frame, animation frames
/// pace the loop from then on.
fn stand_by(rc: &Rc<RefCell<Inner>>, id: u32, fired: Rc<std::cell::Cell<bool>>) {
    let weak = Rc::downgrade(rc);
    let timer = Closure::once_into_js(move || {
        let Some(rc) = weak.upgrade() else { return };
        let clock = rc.borrow().frames.clock;
        if fired.get() || !rc.borrow().frames.is_current(id) || clock == Clock::Video {
            return;
        }
        if rc.borrow().dom.video.ready_state() < HAVE_CURRENT_DATA {
            stand_by(&rc, id, fired); // no frame yet: the video's callback may still come
            return;
        }
        fired.set(true);
        let now = now_ms();
        let since = *rc.borrow_mut().frames.video_since.get_or_insert(now);
        let by = if now - since >= VIDEO_CLOCK_WAIT_MS { Clock::Animation } else { Clock::Unknown };
        clocked(&rc, id, by, now);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(timer.unchecked_ref(), STAND_BY_TICK_MS);
    }
}

/// A tick of loop `id` that `by` paced: the loop keeps that clock from now on.
fn clocked(rc: &Rc<RefCell<Inner>>, id: u32, by: Clock, now: f64) {
    if rc.borrow().frames.is_current(id) {
        rc.borrow_mut().frames.clock = by;
    }
    tick(rc, id, now);
}

/// One turn of the frame loop: skip until the video has data and the rate cap allows, then read
/// the frame, judge it, show the verdict, and ask for the next one.
fn tick(rc: &Rc<RefCell<Inner>>, id: u32, now: f64) {
    let events = {
        let mut inner = rc.borrow_mut();
        if !inner.frames.is_current(id) {
            return;
        }
        if inner.frames.stats.due(now, inner.options.max_fps) {
            analyse_frame(&mut inner, now)
        } else {
            Vec::new()
        }
    };
    for event in events {
        dispatch(rc, event);
    }
    let still = rc.borrow().frames.is_current(id);
    if still {
        schedule(rc, id);
    }
}

/// Reads the current frame and judges it (or looks for a code in it); the events for the flow,
/// none when there was no frame to read or nothing to report.
fn analyse_frame(inner: &mut Inner, now: f64) -> Vec<Event> {
    let started = now_ms();
    inner.dom.layout_guide();
    let view = inner.dom.view_size();
    let frame = match inner.frames.reader.read(
        &inner.dom.video,
        view,
        inner.options.rotation,
        inner.options.max_side,
    ) {
        Ok(Some(frame)) => frame,
        Ok(None) => return Vec::new(),
        Err(e) => {
            web_sys::console::error_2(&"gradcap: cannot read the frame".into(), &e);
            return Vec::new();
        }
    };
    let Ok(view) = FrameView::rgba(&frame.rgba, frame.width, frame.height) else { return Vec::new() };
    let live_state = inner.flow.as_ref().map(|f| f.state().clone());
    let (events, stats) = match live_state {
        Some(State::ScanningCode | State::BindingSession | State::LookingUpSession { .. }) => {
            (code::scan_live(inner, &view).into_iter().collect(), FrameStats::measure(&view))
        }
        _ => judging::portrait_frame(inner, &view, now),
    };
    let elapsed = now_ms() - started;
    let s = &mut inner.frames.stats;
    s.record(now, elapsed);
    s.last = Some(stats);
    s.face = inner.judge.face.as_ref().map(crate::pace::FaceSummary::of);
    s.gate = inner.judge.gate.map(|v| v.state);
    s.guidance = inner.judge.guidance.map(Guidance::id);
    if inner.options.debug {
        show_debug(inner);
        faces::draw(&inner.dom, inner.judge.face.as_ref(), (frame.width, frame.height));
    }
    events
}

impl Inner {
    /// Frames analysed so far.
    pub(super) fn stats_frames(&self) -> u64 {
        self.frames.stats.frames
    }

    /// Analysed frames per second.
    pub(super) fn stats_fps(&self) -> f64 {
        self.frames.stats.fps
    }

    /// The size of the last analysis frame.
    pub(super) fn stats_last_size(&self) -> Option<(u32, u32)> {
        self.frames.stats.last.map(|s| (s.width, s.height))
    }
}

fn show_debug(inner: &Inner) {
    let s = &inner.frames.stats;
    let Some(last) = s.last else { return };
    let text = format!(
        "{}×{}  luma {:.1} (L {:.1} / R {:.1})\n{:.1} ms/frame  {:.1} fps  #{}",
        last.width,
        last.height,
        last.mean_luma,
        last.left_luma,
        last.right_luma,
        s.frame_ms_avg,
        s.fps,
        s.frames
    );
    inner.dom.debug.set_text_content(Some(&text));
}

impl Drop for Inner {
    fn drop(&mut self) {
        stop_camera(self);
        if let (Some(closure), Some(window)) = (self.delivery.on_online.take(), web_sys::window()) {
            let _ = window.remove_event_listener_with_callback("online", closure.as_ref().unchecked_ref());
        }
        if let Some(closure) = self.on_visibility.take() {
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                let _ = document.remove_event_listener_with_callback(
                    "visibilitychange",
                    closure.as_ref().unchecked_ref(),
                );
            }
        }
    }
}
