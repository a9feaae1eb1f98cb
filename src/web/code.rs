//! Reading the capture code and the session code in the shell: from live frames, from a saved
//! screenshot picked in the album (the one place a file is allowed), or typed.

use super::component::{dispatch, Inner};
use crate::flow::{session_code, Event, State};
use crate::lang::Label;
use crate::upload::Lookup;
use crate::{qr, FrameView};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap};

/// The album picker's and the session form's listeners, kept alive with the component.
pub(super) type Listeners = (Closure<dyn FnMut()>, Closure<dyn FnMut(web_sys::Event)>);

/// The code reader: the live scanner, which codes are accepted, and the form's listeners.
pub(super) struct CodeReader {
    pub(super) scanner: qr::Scanner,
    pub(super) validation: qr::Validation,
    pub(super) listeners: Option<Listeners>,
}

impl CodeReader {
    pub(super) fn new(validation: qr::Validation) -> CodeReader {
        CodeReader { scanner: qr::Scanner::default(), validation, listeners: None }
    }
}

/// Looks for a code in a live frame; the event to feed the flow when one is accepted.
pub(super) fn scan_live(inner: &mut Inner, frame: &FrameView<'_>) -> Option<Event> {
    let state = inner.flow.as_ref()?.state().clone();
    let prompt = if state == State::ScanningCode { Label::ScanCode } else { Label::SessionPrompt };
    let codes = inner.code.scanner.scan(frame);
    let event = match state {
        State::ScanningCode => codes
            .iter()
            .find(|c| inner.code.validation.accepts(&c.text))
            .map(|c| Event::CodeRead(c.text.clone())),
        State::BindingSession => codes.iter().find_map(|c| session_code(&c.text)).map(Event::SessionEntered),
        _ => None,
    };
    let lang = inner.options.lang;
    let label = if event.is_none() && !codes.is_empty() && state == State::ScanningCode {
        Label::WrongCode
    } else {
        prompt
    };
    inner.judge.guidance = None;
    inner.dom.set_guidance(label.text().get(lang));
    event
}

/// Asks the backend about the session `code` (the flow's `LookUpSession`) and reports the
/// answer to the flow.
pub(super) fn look_up_session(rc: &Rc<RefCell<Inner>>, code: String) {
    let (endpoint, get_headers) = {
        let inner = rc.borrow();
        inner.dom.session_status.set_text_content(None);
        (inner.options.endpoint.clone(), inner.options.get_headers.clone())
    };
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        let found = super::upload::lookup(&endpoint, &code, get_headers).await;
        if let Some(rc) = weak.upgrade() {
            dispatch(&rc, Event::SessionLookedUp(found));
        }
    });
}

/// Says why the session was not bound (the flow's `ShowSessionProblem`).
pub(super) fn show_session_problem(rc: &Rc<RefCell<Inner>>, code: &str, found: &Lookup) {
    let inner = rc.borrow();
    let lang = inner.options.lang;
    let (text, extra) = match found {
        Lookup::Open(_) => return,
        Lookup::Closed(info) => (Label::SessionClosed, info.label()),
        Lookup::Unknown => (Label::SessionUnknown, code.to_string()),
        Lookup::Unreachable => (Label::SessionUnreachable, String::new()),
    };
    inner.dom.session_status.set_text_content(Some(&format!("{}{extra}", text.text().get(lang))));
}

/// Listens to the album picker and the session form.
pub(super) fn wire(rc: &Rc<RefCell<Inner>>) {
    let weak = Rc::downgrade(rc);
    let on_album = Closure::<dyn FnMut()>::new(move || {
        let Some(rc) = weak.upgrade() else { return };
        let input = rc.borrow().dom.album.clone();
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            let weak = Rc::downgrade(&rc);
            wasm_bindgen_futures::spawn_local(async move { read_album(weak, file).await });
        }
        input.set_value("");
    });
    let weak = Rc::downgrade(rc);
    let on_session = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        e.prevent_default();
        let Some(rc) = weak.upgrade() else { return };
        let (typed, lang) = {
            let inner = rc.borrow();
            (inner.dom.session_input.value(), inner.options.lang)
        };
        let status = rc.borrow().dom.session_status.clone();
        match session_code(&typed) {
            Some(code) => {
                status.set_text_content(None);
                dispatch(&rc, Event::SessionEntered(code));
            }
            None => status.set_text_content(Some(Label::SessionInvalid.text().get(lang))),
        }
    });
    let inner = &mut *rc.borrow_mut();
    inner.dom.album.set_onchange(Some(on_album.as_ref().unchecked_ref()));
    inner.dom.session_form.set_onsubmit(Some(on_session.as_ref().unchecked_ref()));
    inner.code.listeners = Some((on_album, on_session));
}

/// Decodes the picked image: drawn at most [`qr::MAX_STILL_SIDE`] on its longer side (the memory
/// bound), then every pass at several scales.
async fn read_album(weak: Weak<RefCell<Inner>>, file: web_sys::File) {
    let Some(rc) = weak.upgrade() else { return };
    let lang = rc.borrow().options.lang;
    let status = rc.borrow().dom.album_status.clone();
    status.set_text_content(Some(Label::ReadingImage.text().get(lang)));
    let codes = match album_pixels(&file).await {
        Ok((rgba, w, h)) => FrameView::rgba(&rgba, w, h).map(|f| qr::decode(&f)).unwrap_or_default(),
        Err(e) => {
            web_sys::console::warn_2(&"gradcap: cannot read the picked image".into(), &e);
            Vec::new()
        }
    };
    let accepted =
        codes.iter().find(|c| rc.borrow().code.validation.accepts(&c.text)).map(|c| c.text.clone());
    match accepted {
        Some(text) => {
            status.set_text_content(None);
            dispatch(&rc, Event::CodeRead(text));
        }
        None => {
            let label = if codes.is_empty() { Label::NoCodeInImage } else { Label::WrongCode };
            status.set_text_content(Some(label.text().get(lang)));
        }
    }
}

async fn album_pixels(file: &web_sys::File) -> Result<(Vec<u8>, u32, u32), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let bitmap: ImageBitmap =
        JsFuture::from(window.create_image_bitmap_with_blob(file)?).await?.dyn_into()?;
    let (w, h) = (bitmap.width(), bitmap.height());
    let scale = (qr::MAX_STILL_SIDE as f64 / w.max(h).max(1) as f64).min(1.0);
    let (dw, dh) = (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1));
    let document = window.document().ok_or("no document")?;
    let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
    canvas.set_width(dw);
    canvas.set_height(dh);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or("no 2d context")?.dyn_into()?;
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, dw as f64, dh as f64)?;
    bitmap.close();
    let data = ctx.get_image_data(0.0, 0.0, dw as f64, dh as f64)?;
    Ok((data.data().0, dw, dh))
}
