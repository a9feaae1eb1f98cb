//! The component's shadow DOM: built once from `ui.html`, then updated piece by piece.

use crate::guide::Guide;
use crate::lang::{Label, Lang};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Element, HtmlButtonElement, HtmlCanvasElement, HtmlElement, HtmlFormElement, HtmlInputElement,
    HtmlVideoElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

const TEMPLATE: &str = include_str!("ui.html");

pub use crate::guide::GUIDE_MARGIN;

/// Handles to the parts of the component's interface.
pub struct Dom {
    pub host: HtmlElement,
    pub view: Element,
    pub video: HtmlVideoElement,
    pub shade: Element,
    pub oval: Element,
    pub overlay: Element,
    pub guidance: Element,
    pub shutter: HtmlButtonElement,
    pub debug: HtmlElement,
    pub debug_canvas: HtmlCanvasElement,
    pub failure: HtmlElement,
    pub failure_text: Element,
    pub failure_code: Element,
    pub retry: HtmlButtonElement,
    pub review: HtmlElement,
    pub review_title: Element,
    pub photo: HtmlCanvasElement,
    pub photo_facts: Element,
    pub report: Element,
    pub upload_status: Element,
    pub retake: HtmlButtonElement,
    pub confirm: HtmlButtonElement,
    pub qrbox: Element,
    pub binding: Element,
    pub album: HtmlInputElement,
    pub album_text: Element,
    pub album_status: Element,
    pub session_form: HtmlFormElement,
    pub session_input: HtmlInputElement,
    pub session_ok: HtmlButtonElement,
    pub session_status: Element,
    pub verdict: HtmlElement,
    pub verdict_title: Element,
    pub verdict_photo: HtmlElement,
    pub verdict_text: Element,
    pub verdict_download: HtmlButtonElement,
    pub verdict_retake: HtmlButtonElement,
    /// The view size the guide was last laid out for.
    laid_out: (f64, f64),
}

fn part<T: JsCast>(root: &ShadowRoot, id: &str) -> Result<T, JsValue> {
    root.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("missing #{id}")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has the wrong type")))
}

impl Dom {
    /// Builds the interface in `host`'s shadow root (reusing it if the element is re-attached).
    pub fn build(host: HtmlElement) -> Result<Dom, JsValue> {
        let root = match host.shadow_root() {
            Some(root) => root,
            None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
        };
        root.set_inner_html(TEMPLATE);
        Ok(Dom {
            view: part(&root, "view")?,
            video: part(&root, "video")?,
            shade: part(&root, "shade")?,
            oval: part(&root, "oval")?,
            overlay: part(&root, "overlay")?,
            guidance: part(&root, "guidance")?,
            shutter: part(&root, "shutter")?,
            debug: part(&root, "debug")?,
            debug_canvas: part(&root, "debug-canvas")?,
            failure: part(&root, "failure")?,
            failure_text: part(&root, "failure-text")?,
            failure_code: part(&root, "failure-code")?,
            retry: part(&root, "retry")?,
            review: part(&root, "review")?,
            review_title: part(&root, "review-title")?,
            photo: part(&root, "photo")?,
            photo_facts: part(&root, "photo-facts")?,
            report: part(&root, "report")?,
            upload_status: part(&root, "upload-status")?,
            retake: part(&root, "retake")?,
            confirm: part(&root, "confirm")?,
            qrbox: part(&root, "qrbox")?,
            binding: part(&root, "binding")?,
            album: part(&root, "album")?,
            album_text: part(&root, "album-text")?,
            album_status: part(&root, "album-status")?,
            session_form: part(&root, "sessionbar")?,
            session_input: part(&root, "session-input")?,
            session_ok: part(&root, "session-ok")?,
            session_status: part(&root, "session-status")?,
            verdict: part(&root, "verdict")?,
            verdict_title: part(&root, "verdict-title")?,
            verdict_photo: part(&root, "verdict-photo")?,
            verdict_text: part(&root, "verdict-text")?,
            verdict_download: part(&root, "verdict-download")?,
            verdict_retake: part(&root, "verdict-retake")?,
            host,
            laid_out: (0.0, 0.0),
        })
    }

    /// Writes the fixed labels in `lang`.
    pub fn set_lang(&self, lang: Lang) {
        let _ = self.view.set_attribute("lang", lang.tag());
        for (el, label) in [
            (&self.shutter, Label::Shutter),
            (&self.retry, Label::Retry),
            (&self.retake, Label::Retake),
            (&self.confirm, Label::Confirm),
            (&self.verdict_download, Label::Download),
            (&self.verdict_retake, Label::RetakeNew),
        ] {
            el.set_text_content(Some(label.text().get(lang)));
        }
        self.review_title.set_text_content(Some(Label::Review.text().get(lang)));
        self.album_text.set_text_content(Some(Label::FromAlbum.text().get(lang)));
        self.session_ok.set_text_content(Some(Label::SessionConfirm.text().get(lang)));
        let _ = self.session_input.set_attribute("placeholder", "26050704");
    }

    /// The view's size in CSS pixels.
    pub fn view_size(&self) -> (f64, f64) {
        let rect = self.host.get_bounding_client_rect();
        (rect.width(), rect.height())
    }

    /// Lays the dashed guide out for the current view size, if it changed.
    pub fn layout_guide(&mut self) {
        let (w, h) = self.view_size();
        if (w, h) == self.laid_out || w < 1.0 || h < 1.0 {
            return;
        }
        self.laid_out = (w, h);
        let g = Guide::layout(w, h, GUIDE_MARGIN);
        let o = g.oval;
        let _ = self.overlay.set_attribute("viewBox", &format!("0 0 {w} {h}"));
        for (name, value) in [("cx", o.cx), ("cy", o.cy), ("rx", o.rx), ("ry", o.ry)] {
            let _ = self.oval.set_attribute(name, &format!("{value:.1}"));
        }
        // Darken everything outside the oval: the view rectangle minus the ellipse (even-odd).
        let shade = format!(
            "M0 0H{w}V{h}H0Z M{l:.1} {cy:.1}a{rx:.1} {ry:.1} 0 1 0 {d:.1} 0a{rx:.1} {ry:.1} 0 1 0 -{d:.1} 0Z",
            l = o.cx - o.rx,
            cy = o.cy,
            rx = o.rx,
            ry = o.ry,
            d = 2.0 * o.rx
        );
        let _ = self.shade.set_attribute("d", &shade);
        // The square viewfinder for codes: 70 % of the smaller side, centred.
        let side = 0.7 * w.min(h);
        for (name, value) in
            [("x", (w - side) / 2.0), ("y", (h - side) / 2.0), ("width", side), ("height", side)]
        {
            let _ = self.qrbox.set_attribute(name, &format!("{value:.1}"));
        }
    }

    /// Sets the state class that colours the guide (`state-framing`, `state-ready`, …).
    pub fn set_state_class(&self, state: &str) {
        self.view.set_class_name(&format!("view state-{state}"));
        let _ = self.host.set_attribute("data-state", state);
    }

    /// Shows the guidance sentence; the live region announces only real changes.
    pub fn set_guidance(&self, text: &str) {
        if self.guidance.text_content().as_deref() != Some(text) {
            self.guidance.set_text_content(Some(text));
        }
    }

    /// Shows or hides the failure panel.
    pub fn show_failure(&self, text: &str, code: &str, lang: Lang, retry: bool) {
        self.failure_text.set_text_content(Some(text));
        self.failure_code.set_text_content(Some(&format!("{}: {code}", Label::ErrorCode.text().get(lang))));
        self.retry.set_hidden(!retry);
        self.failure.set_hidden(false);
    }
}
