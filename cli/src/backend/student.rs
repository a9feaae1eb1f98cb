//! What a student's page may do: look up a session, upload a capture (once per
//! `Idempotency-Key`), and read the status and photo of its own capture with the receipt the
//! upload returned.

use super::store::{sha256, Added, Capture, Seen, StudentView};
use super::{
    bad, guard, internal, not_found, staff, ApiError, Shared, MAX_BODY, MAX_META, MAX_ORIGINAL, MAX_PHOTO,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gradcap::upload::{FieldNames, Meta, RECEIPT_HEADER};

/// With an upload token configured, a student's request must bear it.
fn check_upload_token(app: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &app.config.upload_token else { return Ok(()) };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if given.and_then(|v| v.strip_prefix("Bearer ")) == Some(token.as_str()) {
        Ok(())
    } else {
        Err(ApiError(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is needed".into()))
    }
}

pub(super) async fn session(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    check_upload_token(&app, &headers)?;
    let found = app.store.session(&code).map_err(internal)?;
    found.map(|s| Json(s).into_response()).ok_or_else(|| not_found("session.unknown", "no such session"))
}

/// The parts of an upload, read and bounded.
struct Upload {
    photo: Bytes,
    original: Option<Bytes>,
    meta: Bytes,
}

/// The parts of an upload.
enum Part {
    Photo,
    Original,
    Meta,
}

/// Reads the parts of a body of `declared` bytes (when it said).
async fn read_upload(
    mut form: Multipart,
    fields: &FieldNames,
    declared: Option<usize>,
) -> Result<Upload, ApiError> {
    let (mut photo, mut original, mut meta) = (None, None, None);
    while let Some(mut field) = form.next_field().await.map_err(refused_body)? {
        let name = field.name().unwrap_or("").to_string();
        let kind = field.content_type().unwrap_or("").to_string();
        // The names the server was given (`--photo-field` …), the component's by default.
        let part = match name.as_str() {
            n if n == fields.photo => Part::Photo,
            n if n == fields.original => Part::Original,
            n if n == fields.meta => Part::Meta,
            _ => return Err(bad("field.unknown", format!("unknown field {:?}", clip(&name)))),
        };
        let (limit, want) = match part {
            Part::Photo => (MAX_PHOTO, "image/jpeg"),
            Part::Original => (MAX_ORIGINAL, "image/jpeg"),
            Part::Meta => (MAX_META, "application/json"),
        };
        if !media_type_is(&kind, want) {
            return Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "field.type",
                format!("{name} must be {want}, not {:?}", clip(&kind)),
            ));
        }
        // Read a piece at a time and refused as soon as it is over its limit: a part is never
        // held past its limit.
        // Room for the part at once (no copy as it grows), as much as the body can hold of it.
        let mut bytes = Vec::with_capacity(limit.min(declared.unwrap_or(0)));
        while let Some(piece) = field.chunk().await.map_err(refused_body)? {
            if bytes.len() + piece.len() > limit {
                return Err(ApiError(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "field.too_large",
                    format!("{name} is over {limit} bytes"),
                ));
            }
            bytes.extend_from_slice(&piece);
        }
        let bytes = Bytes::from(bytes);
        let slot = match part {
            Part::Photo => &mut photo,
            Part::Original => &mut original,
            Part::Meta => &mut meta,
        };
        if slot.replace(bytes).is_some() {
            return Err(bad("field.repeated", format!("{name} was sent twice")));
        }
    }
    Ok(Upload {
        photo: photo.ok_or_else(|| bad("photo.missing", "no photo field"))?,
        original,
        meta: meta.ok_or_else(|| bad("meta.missing", "no meta field"))?,
    })
}

/// Whether a `Content-Type` value names exactly the media type `want` (parameters aside).
fn media_type_is(value: &str, want: &str) -> bool {
    value.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(want)
}

/// At most 64 characters of something a client sent, to say in an error.
fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

/// A body that could not be read: over the size limit (a chunked one says so only as it comes),
/// or not well formed.
fn refused_body(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body.too_large",
            format!("the body is over {MAX_BODY} bytes"),
        )
    } else {
        bad("body.malformed", e.body_text())
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 100
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .ok_or_else(|| {
            bad("idempotency_key.missing", "an Idempotency-Key header (1–100 of A–Z a–z 0–9 - _) is needed")
        })
}

/// Refuses what is not a multipart body within the size limit, before reading it; the length it
/// declares, if it does.
fn check_envelope(headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !media_type_is(kind, "multipart/form-data") {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body.type",
            "the body must be multipart/form-data".into(),
        ));
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body.too_large",
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    Ok(length)
}

/// What identifies an upload's content: its parts' hashes. A retry sends the same parts (the
/// multipart boundary may differ).
fn fingerprint(upload: &Upload) -> String {
    let original = upload.original.as_deref().map(sha256).unwrap_or_default();
    sha256(format!("{}:{original}:{}", sha256(&upload.photo), sha256(&upload.meta)).as_bytes())
}

/// The upload's answer: the record and the receipt that reads it later. A new record is
/// answered whole (the server's verdict on what was just sent); a repeat gets what the receipt
/// reads — the student's view — since whoever repeats a request may not be its student, and
/// staff may have decided on it since.
fn with_receipt(app: &Shared, capture: &Capture, status: StatusCode) -> Result<Response, ApiError> {
    let receipt = app.store.receipt(&capture.id);
    let mut body = if status == StatusCode::CREATED {
        serde_json::to_value(capture).map_err(internal)?
    } else {
        serde_json::to_value(StudentView::from(capture)).map_err(internal)?
    };
    body["receipt"] = serde_json::Value::String(receipt);
    Ok((status, Json(body)).into_response())
}

pub(super) async fn upload(
    State(app): State<Shared>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    check_upload_token(&app, &headers)?;
    if let Some(ip) = guard::client(&request) {
        if !app.uploads.admit(&ip.to_string()) {
            return Err(guard::too_many("uploads from this address"));
        }
    }
    let key = idempotency_key(&headers)?;
    let length = check_envelope(&headers)?;
    // Room in the server's memory for the body, held until the upload is answered.
    let _room = super::pace::room(&app, length.unwrap_or(MAX_BODY)).await?;
    // The whole body is read before any answer, a repeat's too: a connection closed with the
    // request unread is reset, and the client may lose the answer to the reset.
    let form =
        Multipart::from_request(request, &()).await.map_err(|e| bad("body.malformed", e.body_text()))?;
    let upload = read_upload(form, &app.config.fields, length).await?;
    let print = fingerprint(&upload);
    // The component's own type: a field of the wrong type is refused, a missing one is its default.
    let meta: Meta =
        serde_json::from_slice(&upload.meta).map_err(|e| bad("meta.malformed", e.to_string()))?;
    // Seen before: the same answer (nothing stored twice), or a conflict for another body.
    let seen = app.store.by_key_matching(&key, &print).map_err(internal)?;
    match seen {
        Some(Seen::Same(existing)) => return with_receipt(&app, &existing, StatusCode::OK),
        Some(Seen::Other) => return Err(key_reused()),
        Some(Seen::Purged) => return Err(purged()),
        None => {}
    }
    check_session(&app, meta.session_code.as_deref())?;
    if let Some(old) = &meta.replaces {
        let receipt = headers.get(RECEIPT_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if app.store.capture_with_receipt(old, receipt).map_err(internal)?.is_none() {
            return Err(not_found("capture.unknown", "no such capture to replace"));
        }
    }
    let mut verdict = recheck(&app, &upload).await?;
    // What the client says of the photo's origin (its own claim, for staff): from the live
    // stream, with frames.
    verdict["live"] = serde_json::Value::Bool(meta.claims_live());
    // What the component's recapture cues saw before the shutter (how long the face was watched,
    // turns with depth or flat, reflections sliding, the last blink): its own report, for staff.
    verdict["liveness"] = serde_json::to_value(meta.liveness).map_err(internal)?;
    let meta_text = String::from_utf8_lossy(&upload.meta);
    let new = super::store::NewCapture {
        idempotency_key: &key,
        fingerprint: &print,
        capture_code: meta.capture_code.as_deref(),
        session_code: meta.session_code.as_deref(),
        photo: &upload.photo,
        original: upload.original.as_deref(),
        meta: &meta_text,
        verdict: &verdict,
        replaces: meta.replaces.as_deref(),
    };
    let added = app.store.add(&new).map_err(internal)?;
    match added {
        Added::Created(capture) => with_receipt(&app, &capture, StatusCode::CREATED),
        Added::Existing(capture) => with_receipt(&app, &capture, StatusCode::OK),
        Added::KeyReused => Err(key_reused()),
        Added::Purged => Err(purged()),
        Added::CannotReplace => Err(ApiError(
            StatusCode::CONFLICT,
            "capture.decided",
            "that capture was approved or replaced already and cannot be replaced".into(),
        )),
    }
}

/// A repeat of an upload whose capture was purged: gone, for good (the component stops sending).
fn purged() -> ApiError {
    ApiError(StatusCode::GONE, "capture.purged", "the capture of this upload was deleted".into())
}

fn key_reused() -> ApiError {
    ApiError(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key.reused",
        "this Idempotency-Key was used for another upload; a new upload needs a new key".into(),
    )
}

/// An upload names a session only if it is known and open.
fn check_session(app: &Shared, code: Option<&str>) -> Result<(), ApiError> {
    let Some(code) = code else { return Ok(()) };
    match app.store.session(code).map_err(internal)? {
        None => {
            Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, "session.unknown", format!("no session {code}")))
        }
        Some(s) if !s.open => Err(ApiError(
            StatusCode::CONFLICT,
            "session.closed",
            format!("session {code} takes no more photos"),
        )),
        Some(_) => Ok(()),
    }
}

/// The server's own check of the photo and the original, decoded within their bounds, a few at
/// a time and outside the database's lock.
async fn recheck(app: &Shared, upload: &Upload) -> Result<serde_json::Value, ApiError> {
    let _original = match &upload.original {
        Some(_) => Some(app.originals.acquire().await.map_err(internal)?),
        None => None,
    };
    let _permit = app.decoding.acquire().await.map_err(internal)?;
    let (app, photo, original) = (app.clone(), upload.photo.clone(), upload.original.clone());
    let checked = tokio::task::spawn_blocking(move || {
        if let Some(original) = &original {
            super::check::original(original)?;
        }
        let mut checker = app.checker.lock().map_err(|_| super::check::Refusal::internal())?;
        checker.check(&photo)
    })
    .await
    .map_err(internal)?;
    checked.map_err(|r| ApiError(r.status, r.code, r.message))
}

/// The capture `id` for whoever may read it: staff, or the student with its receipt.
fn readable(app: &Shared, headers: &HeaderMap, id: &str) -> Result<(Capture, bool), ApiError> {
    let unknown = || not_found("capture.unknown", "no such capture");
    if let Some(_who) = staff::signed_in(app, headers)? {
        let capture = app.store.capture(id).map_err(internal)?;
        return capture.map(|c| (c, true)).ok_or_else(unknown);
    }
    check_upload_token(app, headers)?;
    let receipt = headers.get(RECEIPT_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(unknown)?;
    let capture = app.store.capture_with_receipt(id, receipt).map_err(internal)?;
    capture.map(|c| (c, false)).ok_or_else(unknown)
}

pub(super) async fn status(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (capture, is_staff) = readable(&app, &headers, &id)?;
    if is_staff {
        let history = app.store.history(&id).map_err(internal)?;
        let mut body = serde_json::to_value(&capture).map_err(internal)?;
        body["history"] = serde_json::to_value(history).map_err(internal)?;
        return Ok(Json(body).into_response());
    }
    Ok(Json(StudentView::from(&capture)).into_response())
}

pub(super) async fn photo(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (capture, _) = readable(&app, &headers, &id)?;
    let bytes = app.store.file(&capture.photo_sha256).map_err(internal)?;
    bytes
        .filter(|_| capture.purged_at.is_none())
        .map(|b| ([(header::CONTENT_TYPE, "image/jpeg")], b).into_response())
        .ok_or_else(|| not_found("capture.unknown", "no such capture"))
}
