//! Sending the confirmed photo to the backend ([`crate::upload`] says how): every upload carries
//! an `Idempotency-Key`, waits in the [outbox](super::outbox) until the backend has it, retries
//! with backoff and jitter, waits for `online` when offline, reports progress, and after a reload
//! is sent again from the outbox. Also the session lookup, and the status polling that tells the
//! page of a review result.

use super::component::{dispatch, Inner};
use super::notices::{announce, Announcement};
use super::outbox;
use crate::events::ErrorCode;
use crate::flow::{Event, State};
use crate::upload::{idempotency_key, Endpoint, Lookup, Outcome, Parcel, SessionInfo, RECEIPT_HEADER};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, FormData, ProgressEvent, XmlHttpRequest};

/// How often the status of a stored capture is asked, ms, until staff have reviewed it.
const POLL_MS: i32 = 10_000;

/// Shows how the upload stands in the calibration view.
fn say(weak: &Weak<RefCell<Inner>>, label: crate::lang::Label) {
    if let Some(rc) = weak.upgrade() {
        let inner = rc.borrow();
        inner.dom.upload_status.set_text_content(Some(label.text().get(inner.options.lang)));
    }
}

/// The delivery part of the component: the photo taken until it is confirmed or retaken, the
/// keys being sent, the capture delivered earlier for the code read, and the `online` listener.
#[derive(Default)]
pub(super) struct Delivery {
    /// The photo taken, until it is confirmed or retaken.
    pub(super) captured: Option<super::review::Captured>,
    /// Idempotency keys being delivered right now.
    pub(super) sending: std::collections::HashSet<String>,
    /// The capture delivered earlier for the code read (the return visit).
    pub(super) earlier: Option<super::returning::Earlier>,
    /// Sends the outbox again whenever the browser comes back online.
    pub(super) on_online: Option<Closure<dyn FnMut()>>,
}

/// A fresh idempotency key from the browser's random source.
pub(super) fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if crypto.and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok()).is_none() {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    idempotency_key(bytes)
}

/// Starts delivering the photo just confirmed (the flow's `Upload` effect).
pub(super) fn start(rc: &Rc<RefCell<Inner>>) {
    let item = {
        let inner = rc.borrow();
        let Some(captured) = inner.delivery.captured.as_ref() else {
            drop(inner);
            dispatch(rc, Event::UploadFailed);
            return;
        };
        let parcel = Parcel {
            key: captured.key.clone(),
            endpoint: inner.options.endpoint.clone(),
            meta: captured.meta.clone(),
            capture_code: inner.flow.as_ref().and_then(|f| f.capture_code()).map(str::to_string),
            // A retake presents the receipt of the capture it replaces.
            replaces: super::returning::replacing(&inner).map(|earlier| earlier.receipt.clone()),
        };
        let original =
            crate::photo::jpeg::encode(&captured.original.view(), 90).map(|j| j.bytes).unwrap_or_default();
        outbox::Item::new(parcel, &captured.jpeg.bytes, &original)
    };
    let Ok(item) = item else {
        dispatch(rc, Event::UploadFailed);
        return;
    };
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        say(&weak, crate::lang::Label::Uploading);
        if let Err(e) = outbox::put(&item).await {
            web_sys::console::warn_2(&"gradcap: the outbox is not available".into(), &e);
        }
        deliver(weak, item, true).await;
    });
}

/// Sends everything left in the outbox by an earlier page (called once the component starts).
pub(super) fn resume(rc: &Rc<RefCell<Inner>>) {
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(items) = outbox::all().await else { return };
        for item in items {
            deliver(weak.clone(), item, false).await;
        }
    });
}

/// Tries until the backend has the item (or refuses it, or the attempts run out: then it stays in
/// the outbox for the next page load). `in_flow`: the flow waits for the answer.
async fn deliver(weak: Weak<RefCell<Inner>>, item: outbox::Item, in_flow: bool) {
    let key = item.parcel.key.clone();
    let Some(backoff) = weak.upgrade().and_then(|rc| {
        let mut inner = rc.borrow_mut();
        // One delivery per key at a time (the flow and the outbox resume may both hold it).
        inner.delivery.sending.insert(key.clone()).then_some(inner.options.backoff)
    }) else {
        return;
    };
    let mut result = Outcome::Retry;
    let mut answer = String::new();
    for attempt in 0..backoff.attempts.max(1) {
        wait_online().await;
        let headers = headers(&weak, &item.parcel).await;
        let (status, body) = send(&weak, &item, &headers, backoff.timeout_ms).await;
        result = Outcome::of(status);
        answer = body;
        if result != Outcome::Retry {
            break;
        }
        sleep(backoff.delay(attempt, js_sys::Math::random())).await;
    }
    let Some(rc) = weak.upgrade() else { return };
    rc.borrow_mut().delivery.sending.remove(&key);
    let host = rc.borrow().dom.host.clone();
    match result {
        Outcome::Done => {
            let _ = outbox::remove(&key).await;
            let reply = js_sys::JSON::parse(&answer).unwrap_or(JsValue::NULL);
            let text = |k: &str| Reflect::get(&reply, &k.into()).ok().and_then(|v| v.as_string());
            let id = text("id").unwrap_or_default();
            // What reads this capture's status and photo later (the backend's `receipt`).
            let receipt = text("receipt");
            let status = Reflect::get(&reply, &"status".into()).unwrap_or(JsValue::NULL);
            announce(
                &host,
                Announcement::Uploaded { key: &key, id: &id, receipt: receipt.as_deref(), status },
            );
            if let (Some(code), Some(receipt), false) =
                (item.parcel.capture_code.as_deref(), receipt.as_deref(), id.is_empty())
            {
                super::returning::keep(code, &id, receipt).await;
            }
            if in_flow {
                say(&weak, crate::lang::Label::Uploaded);
                dispatch(&rc, Event::Uploaded);
            }
            if !id.is_empty() {
                let url = item.parcel.endpoint.status_url(&id);
                wasm_bindgen_futures::spawn_local(poll(Rc::downgrade(&rc), url, item.parcel, receipt));
            }
        }
        Outcome::Refused => {
            // The backend will never take this one: keeping it would only resend it forever.
            let _ = outbox::remove(&key).await;
            if !report_to_flow(&rc, in_flow, Event::UploadRefused) {
                let refused = Announcement::Error {
                    code: ErrorCode::UploadRefused.code(),
                    message: Some(&answer),
                    key: Some(&key),
                };
                announce(&host, refused);
            }
        }
        Outcome::Retry => {
            if in_flow {
                say(&weak, crate::lang::Label::UploadFailed);
            }
            if !report_to_flow(&rc, in_flow, Event::UploadFailed) {
                announce(
                    &host,
                    Announcement::Error {
                        code: ErrorCode::UploadFailed.code(),
                        message: None,
                        key: Some(&key),
                    },
                );
            }
        }
    }
}

/// Tells the flow that the upload it waits on failed, when it does (`in_flow` and still
/// uploading): the flow then emits the `error` (once). Returns whether it did; an upload resumed
/// from an earlier page, or one the student has moved on from, is reported by the caller.
fn report_to_flow(rc: &Rc<RefCell<Inner>>, in_flow: bool, event: Event) -> bool {
    let waiting = in_flow && rc.borrow().flow.as_ref().is_some_and(|f| *f.state() == State::Uploading);
    if waiting {
        dispatch(rc, event);
    }
    waiting
}

/// The parcel's headers ([`Parcel::headers`]) and the integrator's `getHeaders()` (which may be
/// async).
async fn headers(weak: &Weak<RefCell<Inner>>, parcel: &Parcel) -> Vec<(String, String)> {
    let mut out = parcel.headers();
    let get_headers = weak.upgrade().and_then(|rc| rc.borrow().options.get_headers.clone());
    out.extend(integrator_headers(get_headers).await);
    out
}

/// The string-valued entries of a JS object (none for anything else).
fn string_entries(value: &JsValue) -> Vec<(String, String)> {
    let Some(object) = value.dyn_ref::<Object>() else { return Vec::new() };
    Object::entries(object)
        .iter()
        .filter_map(|pair| {
            let pair: Array = pair.unchecked_into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// What the integrator's `getHeaders()` gives (awaited when it is async); none without one.
async fn integrator_headers(get_headers: Option<Function>) -> Vec<(String, String)> {
    let Some(value) = get_headers.and_then(|f| f.call0(&JsValue::UNDEFINED).ok()) else { return Vec::new() };
    let value = match value.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
        Err(v) => v,
    };
    string_entries(&value)
}

fn blob(bytes: &JsValue, kind: &str) -> Result<Blob, JsValue> {
    let parts = Array::of1(bytes);
    let bag = BlobPropertyBag::new();
    bag.set_type(kind);
    Blob::new_with_u8_array_sequence_and_options(&parts, &bag)
}

/// One attempt: `(status, body)`, status 0 when there was no answer.
async fn send(
    weak: &Weak<RefCell<Inner>>,
    item: &outbox::Item,
    headers: &[(String, String)],
    timeout_ms: u32,
) -> (u16, String) {
    let endpoint = &item.parcel.endpoint;
    let attempt = async {
        let form = FormData::new()?;
        form.append_with_blob_and_filename(
            &endpoint.photo_field,
            &blob(&item.photo(), "image/jpeg")?,
            "photo.jpg",
        )?;
        let original = item.original();
        if original.dyn_ref::<Uint8Array>().is_some_and(|a| a.length() > 0) {
            form.append_with_blob_and_filename(
                &endpoint.original_field,
                &blob(&original, "image/jpeg")?,
                "original.jpg",
            )?;
        }
        let meta = JsValue::from_str(&item.parcel.meta);
        form.append_with_blob_and_filename(
            &endpoint.meta_field,
            &blob(&meta, "application/json")?,
            "meta.json",
        )?;
        let xhr = XmlHttpRequest::new()?;
        xhr.open_with_async("POST", &endpoint.captures_url(), true)?;
        xhr.set_timeout(timeout_ms);
        for (k, v) in headers {
            xhr.set_request_header(k, v)?;
        }
        let host = weak.upgrade().map(|rc| rc.borrow().dom.host.clone());
        let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if let Some(host) = &host {
                announce(host, Announcement::UploadProgress { loaded: e.loaded(), total: e.total() });
            }
        });
        xhr.upload()?.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        let done = Promise::new(&mut |resolve, _| {
            let r = resolve.clone();
            let ok = Closure::once_into_js(move || {
                let _ = r.call0(&JsValue::UNDEFINED);
            });
            let r = resolve.clone();
            let fail = Closure::once_into_js(move || {
                let _ = r.call0(&JsValue::UNDEFINED);
            });
            xhr.set_onload(Some(ok.unchecked_ref()));
            xhr.set_onerror(Some(fail.unchecked_ref()));
            let r = resolve.clone();
            let timeout = Closure::once_into_js(move || {
                let _ = r.call0(&JsValue::UNDEFINED);
            });
            xhr.set_ontimeout(Some(timeout.unchecked_ref()));
        });
        xhr.send_with_opt_form_data(Some(&form))?;
        JsFuture::from(done).await?;
        drop(progress);
        Ok::<_, JsValue>((xhr.status().unwrap_or(0), xhr.response_text().ok().flatten().unwrap_or_default()))
    };
    attempt.await.unwrap_or((0, String::new()))
}

/// Resolves after `ms` milliseconds.
pub(super) async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves at once when online, else at the next `online` event.
async fn wait_online() {
    let Some(window) = web_sys::window() else { return };
    if window.navigator().on_line() {
        return;
    }
    let promise = Promise::new(&mut |resolve, _| {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        let _ = window
            .add_event_listener_with_callback_and_add_event_listener_options("online", &resolve, &options);
    });
    let _ = JsFuture::from(promise).await;
}

/// Asks for the capture's status (with its receipt) until staff have reviewed it; then emits
/// `reviewed` `{id, status, reason}` (the page may show a notification).
async fn poll(weak: Weak<RefCell<Inner>>, url: String, parcel: Parcel, receipt: Option<String>) {
    loop {
        sleep(POLL_MS as f64).await;
        if weak.upgrade().is_none() {
            return;
        }
        let mut headers = headers(&weak, &parcel).await;
        headers.extend(receipt.clone().map(|r| (RECEIPT_HEADER.to_string(), r)));
        let Some(reply) = get_json(&url, &headers).await.ok().flatten() else { continue };
        let status =
            Reflect::get(&reply, &"status".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        if status == "approved" || status == "rejected" {
            let Some(rc) = weak.upgrade() else { return };
            let host = rc.borrow().dom.host.clone();
            announce(&host, Announcement::Reviewed(&reply));
            return;
        }
    }
}

/// GET `url` with `headers` (an Idempotency-Key among them is left out).
pub(super) async fn get(url: &str, headers: &[(String, String)]) -> Result<web_sys::Response, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    let h = web_sys::Headers::new()?;
    for (k, v) in headers.iter().filter(|(k, _)| k != "Idempotency-Key") {
        h.set(k, v)?;
    }
    init.set_headers(&h);
    JsFuture::from(window.fetch_with_str_and_init(url, &init)).await?.dyn_into()
}

/// GET `url` as JSON: `Ok(None)` for a 404.
pub(super) async fn get_json(url: &str, headers: &[(String, String)]) -> Result<Option<JsValue>, JsValue> {
    let response = get(url, headers).await?;
    if response.status() == 404 {
        return Ok(None);
    }
    if !response.ok() {
        return Err(JsValue::from_f64(response.status() as f64));
    }
    Ok(Some(JsFuture::from(response.json()?).await?))
}

/// The headers of a request outside an upload: the endpoint's, then the integrator's
/// `getHeaders()`.
pub(super) async fn endpoint_headers(
    endpoint: &Endpoint,
    get_headers: Option<Function>,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> =
        endpoint.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    headers.extend(integrator_headers(get_headers).await);
    headers
}

/// Looks the session up at the backend.
pub(super) async fn lookup(endpoint: &Endpoint, code: &str, get_headers: Option<Function>) -> Lookup {
    let headers = endpoint_headers(endpoint, get_headers).await;
    match get_json(&endpoint.session_url(code), &headers).await {
        Ok(None) => Lookup::Unknown,
        Ok(Some(v)) => match serde_wasm_bindgen::from_value::<SessionInfo>(v) {
            Ok(s) if s.open => Lookup::Open(s),
            Ok(s) => Lookup::Closed(s),
            Err(_) => Lookup::Unreachable,
        },
        Err(_) => Lookup::Unreachable,
    }
}
