//! The student's return visit: review takes 24–48 hours, so when the page reads a capture code it
//! asks the backend about the capture last delivered for that code (its id and receipt are kept in
//! the [outbox](super::outbox)'s `receipts` store) and the flow shows the verdict — in review,
//! approved with the stored photo and a download, or rejected with the reviewer's reason and a
//! retake that replaces it.

use super::component::{dispatch, Inner};
use super::outbox;
use super::upload::{endpoint_headers, get, get_json};
use crate::flow::{Event, Verdict};
use crate::lang::Label;
use crate::upload::RECEIPT_HEADER;
use js_sys::{Object, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The capture delivered earlier for this capture code.
pub(super) struct Earlier {
    /// Its id at the backend.
    pub id: String,
    /// What reads its status and photo.
    pub receipt: String,
    /// The stored photo as an object URL, once fetched (approved captures).
    photo_url: Option<String>,
}

/// The earlier capture the photo being taken replaces, when it is a retake from its verdict.
pub(super) fn replacing(inner: &Inner) -> Option<&Earlier> {
    inner.flow.as_ref().filter(|f| f.retaking())?;
    inner.delivery.earlier.as_ref()
}

fn text(object: &JsValue, key: &str) -> Option<String> {
    Reflect::get(object, &JsValue::from_str(key)).ok().and_then(|v| v.as_string())
}

/// Remembers the capture just delivered as the latest of its capture code.
pub(super) async fn keep(code: &str, id: &str, receipt: &str) {
    let record = Object::new();
    for (k, v) in [("captureCode", code), ("id", id), ("receipt", receipt)] {
        let _ = Reflect::set(&record, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    if let Err(e) = outbox::keep_receipt(&record).await {
        web_sys::console::warn_2(&"gradcap: the receipt could not be kept".into(), &e);
    }
}

/// Asks about the earlier capture of the code just read (the flow's `LookUpEarlier`).
pub(super) fn look_up(rc: &Rc<RefCell<Inner>>) {
    let (code, endpoint, get_headers) = {
        let inner = rc.borrow();
        let code = inner.flow.as_ref().and_then(|f| f.capture_code()).map(str::to_string);
        (code, inner.options.endpoint.clone(), inner.options.get_headers.clone())
    };
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        let found = match code {
            Some(code) => ask(&code, &endpoint, get_headers).await,
            None => None,
        };
        let Some(rc) = weak.upgrade() else { return };
        let verdict = found.map(|(earlier, verdict)| {
            rc.borrow_mut().delivery.earlier = Some(earlier);
            verdict
        });
        dispatch(&rc, Event::EarlierCapture(verdict));
    });
}

/// The earlier capture of `code` and its verdict; `None` when there is none, the backend no longer
/// has it (the receipt is then forgotten), or it cannot be asked now.
async fn ask(
    code: &str,
    endpoint: &crate::upload::Endpoint,
    get_headers: Option<js_sys::Function>,
) -> Option<(Earlier, Verdict)> {
    let record = outbox::receipt_for(code).await.ok().flatten()?;
    let (id, receipt) = (text(&record, "id")?, text(&record, "receipt")?);
    let mut headers = endpoint_headers(endpoint, get_headers).await;
    headers.push((RECEIPT_HEADER.into(), receipt.clone()));
    let reply = match get_json(&endpoint.status_url(&id), &headers).await {
        Ok(Some(reply)) => reply,
        Ok(None) => {
            let _ = outbox::forget_receipt(code).await;
            return None;
        }
        Err(_) => return None,
    };
    let status = text(&reply, "status").unwrap_or_default();
    let verdict =
        Verdict::from_status(&status, text(&reply, "reason").as_deref(), &text(&reply, "createdAt")?)?;
    let mut earlier = Earlier { id, receipt, photo_url: None };
    if verdict == Verdict::Approved {
        earlier.photo_url = photo(&endpoint.photo_url(&earlier.id), &headers).await;
    }
    Some((earlier, verdict))
}

/// The stored photo at `url`, as an object URL.
async fn photo(url: &str, headers: &[(String, String)]) -> Option<String> {
    let response = get(url, headers).await.ok().filter(web_sys::Response::ok)?;
    let blob: web_sys::Blob = JsFuture::from(response.blob().ok()?).await.ok()?.dyn_into().ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Shows the verdict panel.
pub(super) fn show(rc: &Rc<RefCell<Inner>>, verdict: &Verdict) {
    let inner = rc.borrow();
    let lang = inner.options.lang;
    let dom = &inner.dom;
    let line = match verdict {
        Verdict::InReview { sent_at } => {
            format!("{}{}", Label::InReview.text().get(lang), local_time(sent_at, lang))
        }
        Verdict::Approved => Label::Approved.text().get(lang).to_string(),
        Verdict::Rejected { reason } => format!("{}{reason}", Label::Rejected.text().get(lang)),
    };
    dom.set_guidance("");
    dom.verdict_title.set_text_content(Some(Label::VerdictTitle.text().get(lang)));
    dom.verdict_text.set_text_content(Some(&line));
    let photo = inner
        .delivery
        .earlier
        .as_ref()
        .and_then(|e| e.photo_url.as_deref())
        .filter(|_| *verdict == Verdict::Approved);
    match photo {
        Some(url) => {
            let _ = dom.verdict_photo.set_attribute("src", url);
            dom.verdict_photo.set_hidden(false);
        }
        None => dom.verdict_photo.set_hidden(true),
    }
    dom.verdict_download.set_hidden(photo.is_none());
    dom.verdict_retake.set_hidden(!verdict.can_retake());
    dom.verdict.set_hidden(false);
}

/// `at` (RFC 3339) in the browser's local time, written as `lang` writes dates.
fn local_time(at: &str, lang: crate::lang::Lang) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_string();
    }
    date.to_locale_string(lang.tag(), &JsValue::UNDEFINED).into()
}

/// Hides the verdict panel (a retake begins).
pub(super) fn hide(rc: &Rc<RefCell<Inner>>) {
    let inner = rc.borrow();
    inner.dom.verdict.set_hidden(true);
    inner.dom.verdict_photo.set_hidden(true);
}

/// Saves the approved photo as a file (the 下载照片 button).
pub(super) fn download(rc: &Rc<RefCell<Inner>>) {
    let inner = rc.borrow();
    let Some(url) = inner.delivery.earlier.as_ref().and_then(|e| e.photo_url.as_deref()) else { return };
    let code = inner.flow.as_ref().and_then(|f| f.capture_code()).unwrap_or("photo");
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(link) = document.create_element("a") else { return };
    let _ = link.set_attribute("href", url);
    let _ = link.set_attribute("download", &format!("{code}.jpg"));
    if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
        link.click();
    }
}

impl Drop for Earlier {
    fn drop(&mut self) {
        if let Some(url) = &self.photo_url {
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }
}
