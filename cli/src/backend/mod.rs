//! The reference backend of `gradcap serve`: the upload protocol (README, `openapi.yaml`) over an
//! SQLite database and photos on disk, with a small staff review page.
//!
//! - `GET  /api/sessions/{code}` → `{code, name, school, open}`
//! - `POST /api/captures` (multipart: `photo`, `original`, `meta`; header `Idempotency-Key`) →
//!   `201 {id, status, verdict}`, or `200` with the first record when the key was seen before
//! - `GET  /api/captures/{id}` → `{id, status, reason, …}`
//! - `GET  /api/captures?status=pending`, `POST /api/captures/{id}/review`, `GET
//!   /api/files/{sha256}`: for staff (`/review`)
//!
//! With a token configured every `/api` call needs `Authorization: Bearer <token>`; errors are
//! `{"error": {"code", "message"}}` with a 4xx or 5xx status.

pub mod check;
pub mod probe;
pub mod store;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use store::{NewCapture, Session, Store};

/// Largest request body, bytes: a standard photo, a full frame and the metadata.
pub const MAX_BODY: usize = 12 * 1024 * 1024;
/// Largest standard photo, bytes (CHSI: at most 40 KB; some slack for other encoders).
pub const MAX_PHOTO: usize = 100 * 1024;
/// Largest full frame, bytes.
pub const MAX_ORIGINAL: usize = 10 * 1024 * 1024;
/// Largest metadata, bytes.
pub const MAX_META: usize = 64 * 1024;

/// How the backend is set up.
#[derive(Clone, Default)]
pub struct Config {
    /// Bearer token every `/api` call must carry; none: open (the local demo).
    pub token: Option<String>,
    /// Origins allowed to call the API from other sites (CORS).
    pub cors: Vec<String>,
}

/// What the handlers share.
pub struct Backend {
    store: Mutex<Store>,
    checker: Mutex<check::Checker>,
    config: Config,
}

type Shared = Arc<Backend>;

/// An API error: a status and a stable code, sent as JSON.
pub struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.1, "message": self.2}});
        (self.0, Json(body)).into_response()
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, code, message.into())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

impl Backend {
    /// Opens the store under `data`, adds `sessions`, loads the checker from `models`.
    pub fn new(
        data: &std::path::Path,
        sessions: &[Session],
        models: &std::path::Path,
        config: Config,
    ) -> Result<Backend, String> {
        let store = Store::open(data)?;
        store.put_sessions(sessions)?;
        Ok(Backend { store: Mutex::new(store), checker: Mutex::new(check::Checker::new(models)), config })
    }

    /// The `/api` routes and the review page, behind the token and CORS layers.
    pub fn router(self) -> Router {
        let shared: Shared = Arc::new(self);
        let api = Router::new()
            .route("/sessions/{code}", get(session))
            .route("/captures", post(upload).get(list))
            .route("/captures/{id}", get(status))
            .route("/captures/{id}/review", post(review))
            .route("/files/{sha}", get(file))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), authorize))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(axum::middleware::from_fn(json_errors))
            .fallback(no_endpoint);
        Router::new()
            .nest("/api", api)
            // The nested router does not see "/api/" itself; it is an API path all the same.
            .route("/api/", axum::routing::any(no_endpoint))
            .route("/review", get(|| async { Html(include_str!("review.html")) }))
            .route(
                "/review.js",
                get(|| async {
                    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("review.js"))
                }),
            )
            .layer(axum::middleware::from_fn_with_state(shared.clone(), cors))
            .with_state(shared)
    }
}

async fn no_endpoint() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "not_found", "no such endpoint".into())
}

/// Answers CORS preflights and marks responses for allowed origins.
async fn cors(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_string);
    let allowed = origin.filter(|o| app.config.cors.iter().any(|a| a == o || a == "*"));
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Idempotency-Key"),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response
}

/// Turns the errors axum answers by itself (a path that is not UTF-8, a bad query, a body over
/// the limit, a wrong method) into the API's JSON error, so a client can always read `code`.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method.not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body.too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "body.type",
        s if s.is_server_error() => "internal",
        _ => "request.malformed",
    };
    ApiError(status, code, String::from_utf8_lossy(&text).into_owned()).into_response()
}

/// With a token configured, every API call must bear it.
async fn authorize(State(app): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(token) = &app.config.token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given.and_then(|v| v.strip_prefix("Bearer ")) != Some(token.as_str()) {
            return ApiError(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is needed".into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

async fn session(State(app): State<Shared>, Path(code): Path<String>) -> Result<Json<Session>, ApiError> {
    let found = app.store.lock().map_err(internal)?.session(&code).map_err(internal)?;
    found
        .map(Json)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "session.unknown", format!("no session {code}")))
}

/// The parts of an upload, read and bounded.
struct Upload {
    photo: Bytes,
    original: Option<Bytes>,
    meta: serde_json::Value,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, ApiError> {
    let (mut photo, mut original, mut meta) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| bad("body.malformed", e.to_string()))? {
        let name = field.name().unwrap_or("").to_string();
        let kind = field.content_type().unwrap_or("").to_string();
        let (limit, want) = match name.as_str() {
            "photo" => (MAX_PHOTO, "image/jpeg"),
            "original" => (MAX_ORIGINAL, "image/jpeg"),
            "meta" => (MAX_META, "application/json"),
            _ => return Err(bad("field.unknown", format!("unknown field {name:?}"))),
        };
        if !kind.starts_with(want) {
            return Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "field.type",
                format!("{name} must be {want}, not {kind:?}"),
            ));
        }
        let bytes = field.bytes().await.map_err(|e| too_large_or_bad(e.to_string()))?;
        if bytes.len() > limit {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                "field.too_large",
                format!("{name} is over {limit} bytes"),
            ));
        }
        match name.as_str() {
            "photo" => photo = Some(bytes),
            "original" => original = Some(bytes),
            _ => {
                let value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| bad("meta.malformed", e.to_string()))?;
                if !value.is_object() {
                    return Err(bad("meta.malformed", "meta must be a JSON object"));
                }
                meta = Some(value);
            }
        }
    }
    Ok(Upload {
        photo: photo.ok_or_else(|| bad("photo.missing", "no photo field"))?,
        original,
        meta: meta.ok_or_else(|| bad("meta.missing", "no meta field"))?,
    })
}

fn too_large_or_bad(message: String) -> ApiError {
    if message.contains("limit") || message.contains("too large") {
        ApiError(StatusCode::PAYLOAD_TOO_LARGE, "body.too_large", message)
    } else {
        bad("body.malformed", message)
    }
}

async fn upload(
    State(app): State<Shared>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 100
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(|| {
            bad("idempotency_key.missing", "an Idempotency-Key header (1–100 of A–Z a–z 0–9 - _) is needed")
        })?
        .to_string();
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !kind.starts_with("multipart/form-data") {
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
    // The whole body is read before any answer, a repeat's too: a connection closed with the
    // request unread is reset, and the client may lose the answer to the reset.
    let form =
        Multipart::from_request(request, &()).await.map_err(|e| bad("body.malformed", e.body_text()))?;
    let upload = read_upload(form).await?;
    // Seen before: the same answer, nothing stored twice.
    if let Some(existing) = app.store.lock().map_err(internal)?.by_key(&key).map_err(internal)? {
        return Ok((StatusCode::OK, Json(existing)).into_response());
    }
    let verdict = {
        let app = app.clone();
        let photo = upload.photo.clone();
        tokio::task::spawn_blocking(move || match app.checker.lock() {
            Ok(mut checker) => Ok(checker.check(&photo)),
            Err(_) => Err("the checker failed earlier"),
        })
        .await
        .map_err(internal)?
        .map_err(internal)?
    };
    let mut verdict = verdict.map_err(|message| bad("photo.not_jpeg", message))?;
    // What the client says of the photo's origin, for staff: from the live stream, with frames.
    let meta = &upload.meta;
    let live = meta.get("source").and_then(|v| v.as_str()) == Some("live")
        && meta.pointer("/stream/frames").and_then(|v| v.as_u64()).is_some_and(|n| n > 0);
    verdict["live"] = serde_json::Value::Bool(live);
    let text = |k: &str| upload.meta.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let (capture_code, session_code) = (text("captureCode"), text("sessionCode"));
    let new = NewCapture {
        idempotency_key: &key,
        capture_code: capture_code.as_deref(),
        session_code: session_code.as_deref(),
        photo: &upload.photo,
        original: upload.original.as_deref(),
        meta: &upload.meta,
        verdict: &verdict,
    };
    let (capture, created) = app.store.lock().map_err(internal)?.add(&new).map_err(internal)?;
    let code = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((code, Json(capture)).into_response())
}

async fn status(State(app): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let found = app.store.lock().map_err(internal)?.capture(&id).map_err(internal)?;
    found
        .map(|c| Json(c).into_response())
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "capture.unknown", format!("no capture {id}")))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(State(app): State<Shared>, Query(q): Query<ListQuery>) -> Result<Response, ApiError> {
    let all = app.store.lock().map_err(internal)?.list(q.status.as_deref()).map_err(internal)?;
    Ok(Json(all).into_response())
}

#[derive(Deserialize)]
struct Decision {
    status: String,
    reason: Option<String>,
}

async fn review(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let d: Decision = serde_json::from_slice(&body).map_err(|e| bad("review.malformed", e.to_string()))?;
    let approved = match d.status.as_str() {
        "approved" => true,
        "rejected" => false,
        other => {
            return Err(bad("review.status", format!("status must be approved or rejected, not {other:?}")))
        }
    };
    if !approved && d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(bad("review.reason", "a rejection needs a reason the student can act on"));
    }
    let updated =
        app.store.lock().map_err(internal)?.review(&id, approved, d.reason.as_deref()).map_err(internal)?;
    updated
        .map(|c| Json(c).into_response())
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "capture.unknown", format!("no capture {id}")))
}

async fn file(State(app): State<Shared>, Path(sha): Path<String>) -> Result<Response, ApiError> {
    let bytes = app.store.lock().map_err(internal)?.file(&sha);
    bytes
        .map(|b| ([(header::CONTENT_TYPE, "image/jpeg")], b).into_response())
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "file.unknown", "no such file".into()))
}
