//! The one place the component's DOM events are made: each [`Announcement`] is one event of
//! [`DomEvent`], its `detail` built here in the shape [`DomEvent::detail`] gives. The flow's
//! notices and the shell's own (guidance, the photo made, upload progress and outcome, a review)
//! all come through [`announce`].

use crate::analysis::Guidance;
use crate::events::DomEvent;
use crate::flow::Verdict;
use crate::lang::Lang;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

/// Something the page is told, with what its event's `detail` carries.
pub(super) enum Announcement<'a> {
    /// The shutter is on.
    Ready,
    /// A capture code was read.
    Code(&'a str),
    /// A session was bound.
    Session(&'a str),
    /// The guidance sentence changed, shown in `lang`.
    Check(Guidance, Lang),
    /// The standard photo was made at the shutter: its size, file size, JPEG quality, and the ids of its self-check's
    /// faults (`photo.*`; empty when it can be confirmed).
    Capture { width: u32, height: u32, bytes: usize, quality: u8, faults: &'a [&'static str] },
    /// Part of an upload's body was sent.
    UploadProgress { loaded: f64, total: f64 },
    /// The backend stored the photo sent under `key`.
    Uploaded { key: &'a str, id: &'a str, receipt: Option<&'a str>, status: JsValue },
    /// Staff reviewed it: the status answer as the backend gave it (`{id, status, reason}`).
    Reviewed(&'a JsValue),
    /// The earlier capture's verdict is shown (its `id` when known).
    Verdict(&'a Verdict, Option<&'a str>),
    /// Something failed: a stable `code`, words for people, the upload's `key` when it was one.
    Error { code: &'a str, message: Option<&'a str>, key: Option<&'a str> },
}

impl Announcement<'_> {
    /// The DOM event it is.
    fn event(&self) -> DomEvent {
        match self {
            Announcement::Ready => DomEvent::Ready,
            Announcement::Code(_) => DomEvent::Code,
            Announcement::Session(_) => DomEvent::Session,
            Announcement::Check(..) => DomEvent::Check,
            Announcement::Capture { .. } => DomEvent::Capture,
            Announcement::UploadProgress { .. } => DomEvent::UploadProgress,
            Announcement::Uploaded { .. } => DomEvent::Uploaded,
            Announcement::Reviewed(_) => DomEvent::Reviewed,
            Announcement::Verdict(..) => DomEvent::Verdict,
            Announcement::Error { .. } => DomEvent::Error,
        }
    }

    /// Its event's `detail`.
    fn detail(&self) -> JsValue {
        let detail = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&detail, &JsValue::from_str(k), &v);
        };
        let text = |s: &str| JsValue::from_str(s);
        let maybe = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from_str);
        match self {
            Announcement::Ready => {}
            Announcement::Code(code) => set("code", text(code)),
            Announcement::Session(code) => set("session", text(code)),
            Announcement::Check(guidance, lang) => {
                let words = guidance.text();
                for (k, v) in
                    [("id", guidance.id()), ("zh", words.zh), ("en", words.en), ("text", words.get(*lang))]
                {
                    set(k, text(v));
                }
            }
            Announcement::Capture { width, height, bytes, quality, faults } => {
                for (k, v) in [("width", *width as f64), ("height", *height as f64), ("bytes", *bytes as f64)]
                {
                    set(k, JsValue::from_f64(v));
                }
                set("quality", JsValue::from_f64(*quality as f64));
                set("faults", faults.iter().map(|f| JsValue::from_str(f)).collect::<js_sys::Array>().into());
            }
            Announcement::UploadProgress { loaded, total } => {
                set("loaded", JsValue::from_f64(*loaded));
                set("total", JsValue::from_f64(*total));
            }
            Announcement::Uploaded { key, id, receipt, status } => {
                set("key", text(key));
                set("id", text(id));
                set("receipt", maybe(*receipt));
                set("status", status.clone());
            }
            Announcement::Reviewed(reply) => return (*reply).clone(),
            Announcement::Verdict(verdict, id) => {
                set("status", text(verdict.status()));
                match verdict {
                    Verdict::InReview { sent_at } => set("sentAt", text(sent_at)),
                    Verdict::Rejected { reason } => set("reason", text(reason)),
                    Verdict::Approved => {}
                }
                if let Some(id) = id {
                    set("id", text(id));
                }
            }
            Announcement::Error { code, message, key } => {
                set("code", text(code));
                if let Some(message) = message {
                    set("message", text(message));
                }
                if let Some(key) = key {
                    set("key", text(key));
                }
            }
        }
        detail.into()
    }
}

/// Dispatches `announcement` from the host element as a bubbling, composed `CustomEvent`.
pub(super) fn announce(host: &HtmlElement, announcement: Announcement<'_>) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&announcement.detail());
    if let Ok(event) = CustomEvent::new_with_event_init_dict(announcement.event().name(), &init) {
        let _ = host.dispatch_event(&event);
    }
}
