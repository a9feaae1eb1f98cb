//! The reference backend of `gradcap serve`: the upload protocol (`docs/`, `openapi.yaml`) over a
//! database (SQLite, or PostgreSQL shared by several servers) and a photo store (a folder, or an
//! S3 bucket), with a staff review page.
//!
//! Who may do what:
//! - *students* (the component): `GET /api/sessions/{code}`, `POST /api/captures` (multipart:
//!   `photo`, `original`, `meta`; header `Idempotency-Key`) → `201 {id, status, receipt, …}`, and
//!   with that receipt in `X-Gradcap-Receipt`, `GET /api/captures/{id}` and
//!   `GET /api/captures/{id}/photo` of their own capture (any other: 404). With an upload token
//!   configured these also need `Authorization: Bearer <token>`; it grants nothing more.
//! - *staff* sign in (`POST /api/staff/sign-in`, a session cookie) to list
//!   (`GET /api/captures`), read any file (`GET /api/files/{sha256}`), review
//!   (`POST /api/captures/{id}/review`, reviewers only) and read the audit (`GET /api/audit`).
//!
//! Errors are `{"error": {"code", "message"}}` with a 4xx or 5xx status.

pub mod check;
pub mod db;
pub mod export;
mod guard;
pub mod pace;
pub mod photos;
pub mod probe;
pub mod roster;
mod secret;
pub mod staff;
pub mod store;
mod student;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::{Arc, Mutex};
use store::{Location, Session, Store};

pub use guard::{host_allowed, Proxies};

/// Largest request body, bytes: a standard photo, a full frame and the metadata.
pub const MAX_BODY: usize = 12 * 1024 * 1024;
/// Largest standard photo, bytes (CHSI: at most 40 KB; some slack for other encoders).
pub const MAX_PHOTO: usize = 100 * 1024;
/// Largest full frame, bytes.
pub const MAX_ORIGINAL: usize = 10 * 1024 * 1024;
/// Largest metadata, bytes.
pub const MAX_META: usize = 64 * 1024;
/// Largest JSON body of a staff request, bytes.
pub const MAX_JSON: usize = 16 * 1024;

/// How the backend is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// A credential the integrator requires of students' requests (`Authorization: Bearer`);
    /// none: the student endpoints are open. It never grants a staff right.
    pub upload_token: Option<String>,
    /// Origins allowed to call the student endpoints from other sites (CORS).
    pub cors: Vec<String>,
    /// Host names the server answers for besides IP addresses and `localhost`.
    pub hosts: Vec<String>,
    /// Whether the staff cookie is marked `Secure` (served over HTTPS).
    pub secure_cookies: bool,
    /// Uploads a minute from one address; 0: no limit.
    pub uploads_per_minute: usize,
    /// Failed sign-ins a minute, per address and per account, after which sign-in is refused.
    pub sign_in_failures_per_minute: usize,
    /// The multipart field names of an upload (the component's `endpoint` names them too).
    pub fields: gradcap::upload::FieldNames,
    /// The photo standard uploads are held to (the component's `standard` option; CHSI's).
    pub standard: gradcap::photo::standard::Standard,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` name the client (`--trusted-proxy`).
    pub trusted_proxies: Proxies,
    /// How fast request bodies must come, and how much of them may be held at once.
    pub pace: pace::Pace,
    /// What the review desk offers: preset reasons and the school's time zone.
    pub desk: Desk,
}

/// What the review desk offers its reviewers.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Desk {
    /// Reasons a rejection may be given with one key (the student reads them).
    pub reasons: Vec<String>,
    /// The IANA time zone times are shown in.
    pub time_zone: String,
}

impl Default for Desk {
    fn default() -> Self {
        let reasons = [
            "背景不均匀或不是蓝色，请在浅色纯色墙前重拍",
            "露齿或表情不自然，请自然闭嘴重拍",
            "头发遮挡眉毛或耳朵，请整理头发后重拍",
            "头部不正，请正对镜头重拍",
            "光线不均或脸上有阴影，请在均匀光线下重拍",
            "佩戴帽子、饰品或眼镜反光，请取下后重拍",
            "照片模糊，请保持手机稳定后重拍",
            "不是本人实拍（翻拍照片或屏幕），请本人重拍",
        ];
        Desk { reasons: reasons.map(String::from).to_vec(), time_zone: "Asia/Shanghai".into() }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            upload_token: None,
            cors: Vec::new(),
            hosts: Vec::new(),
            secure_cookies: false,
            uploads_per_minute: 120,
            sign_in_failures_per_minute: 10,
            fields: Default::default(),
            standard: Default::default(),
            trusted_proxies: Proxies::default(),
            pace: pace::Pace::default(),
            desk: Desk::default(),
        }
    }
}

/// What the handlers share.
pub struct Backend {
    store: Store,
    checker: Mutex<check::Checker>,
    /// Decoding an upload takes memory: at most this many at once.
    decoding: tokio::sync::Semaphore,
    /// An original frame takes up to 48 MiB to decode: one at a time.
    originals: tokio::sync::Semaphore,
    uploads: guard::Limiter,
    sign_ins: guard::Limiter,
    /// Bodies that stalled, per address.
    stalls: guard::Limiter,
    /// Room for upload bodies in memory, kilobytes.
    bodies: std::sync::Arc<tokio::sync::Semaphore>,
    config: Config,
}

/// The backend as the handlers hold it.
pub type Shared = Arc<Backend>;

/// An API error: a status and a stable code, sent as JSON.
#[derive(Debug)]
pub struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.1, "message": self.2}});
        // When to try again: a limit counts over a minute; a busy server frees up in seconds.
        let retry = match self.0 {
            StatusCode::TOO_MANY_REQUESTS => Some("60"),
            StatusCode::SERVICE_UNAVAILABLE => Some("5"),
            _ => None,
        };
        let mut response = (self.0, Json(body)).into_response();
        if let Some(seconds) = retry {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        response
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, code, message.into())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

fn not_found(code: &'static str, message: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, code, message.into())
}

/// The body as JSON of type `T`; only an `application/json` body is read (a form posted from
/// another site cannot be one without the browser asking first).
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = kind.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body.type",
            "the body must be application/json".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| bad("body.malformed", e.to_string()))
}

impl Backend {
    /// Opens the store under `data` (SQLite and a photo folder), adds `sessions`, loads the
    /// checker from `models`.
    pub fn new(
        data: &std::path::Path,
        sessions: &[Session],
        models: &std::path::Path,
        config: Config,
    ) -> Result<Backend, String> {
        Backend::with_store(Store::open(data)?, sessions, models, config)
    }

    /// [`Backend::new`] over the store `at` names (PostgreSQL and S3, say).
    pub fn at(
        at: &Location,
        sessions: &[Session],
        models: &std::path::Path,
        config: Config,
    ) -> Result<Backend, String> {
        Backend::with_store(Store::open_at(at)?, sessions, models, config)
    }

    fn with_store(
        store: Store,
        sessions: &[Session],
        models: &std::path::Path,
        config: Config,
    ) -> Result<Backend, String> {
        store.put_sessions(sessions)?;
        if store.sessions()?.is_empty() {
            eprintln!(
                "gradcap: no sessions yet: add them with `gradcap sessions add CODE NAME` (or --session)"
            );
        }
        Ok(Backend {
            store,
            checker: Mutex::new(check::Checker::new(models, config.standard.clone())),
            decoding: tokio::sync::Semaphore::new(2),
            originals: tokio::sync::Semaphore::new(1),
            uploads: guard::Limiter::new(config.uploads_per_minute),
            sign_ins: guard::Limiter::new(config.sign_in_failures_per_minute),
            stalls: guard::Limiter::new(pace::STALLS_PER_MINUTE),
            bodies: pace::budget(config.pace.budget),
            config,
        })
    }

    /// The `/api` routes and the review page, behind the host check and CORS.
    pub fn router(self) -> Router {
        Backend::routes(Arc::new(self))
    }

    /// [`Backend::router`] of a shared backend (the server also runs its retention).
    pub fn routes(shared: Shared) -> Router {
        let api = Router::new()
            .route("/sessions", get(staff::sessions).post(staff::add_session))
            .route("/sessions/{code}", get(student::session).post(staff::change_session))
            .route("/sessions/{code}/roster", get(staff::roster).post(staff::import_roster))
            .route("/export", get(staff::export))
            .route("/captures", post(student::upload).get(staff::list))
            .route("/captures/{id}", get(student::status))
            .route("/captures/{id}/photo", get(student::photo))
            .route("/captures/{id}/review", post(staff::review))
            .route("/files/{sha}", get(staff::file))
            .route("/audit", get(staff::audit))
            .route("/staff/sign-in", post(staff::sign_in))
            .route("/staff/sign-out", post(staff::sign_out))
            .route("/staff/me", get(staff::me))
            .route("/staff/password", post(staff::change_password))
            .route("/accounts", get(staff::accounts).post(staff::add_account))
            .route("/accounts/{name}", post(staff::change_account))
            .layer(from_fn(guard::private_and_logged))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(from_fn(json_errors))
            .fallback(no_endpoint);
        Router::new()
            .nest("/api", api)
            // The nested router does not see "/api/" itself; it is an API path all the same.
            .route("/api/", axum::routing::any(no_endpoint))
            // For a load balancer: alive, and able to serve (the database and the photo store).
            .route("/healthz", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
            .route("/readyz", get(readiness))
            .route("/review", get(|| async { Html(include_str!("review.html")) }))
            .route("/review/config.json", get(desk_config))
            .route(
                "/review.js",
                get(|| async {
                    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("review.js"))
                }),
            )
            .layer(from_fn_with_state(shared.clone(), cors))
            .layer(from_fn_with_state(shared.clone(), guard::check_host))
            .layer(from_fn_with_state(shared.clone(), pace::paced))
            .layer(from_fn_with_state(shared.clone(), guard::identify))
            .with_state(shared)
    }

    /// Whether `peer` is a proxy that forwards for others (its connections are not one client's).
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        self.config.trusted_proxies.contain(peer)
    }

    /// Deletes the data of captures decided more than `days` days ago (see [`store::Purge`]).
    pub fn purge_older_than(&self, days: u32) -> Result<usize, String> {
        let cutoff = store::rfc3339(store::unix_now() - i64::from(days) * 86_400);
        self.store.purge(store::Purge::Before(&cutoff))
    }
}

/// What the review page needs besides the API: the check names, preset reasons, time zone.
async fn desk_config(State(app): State<Shared>) -> Response {
    let checks: serde_json::Map<String, serde_json::Value> = gradcap::checks::CheckId::ALL
        .iter()
        .map(|c| {
            (
                c.id().to_string(),
                serde_json::json!({"zh": c.name().zh, "en": c.name().en, "hint": c.hint().zh}),
            )
        })
        .collect();
    Json(serde_json::json!({"checks": checks, "reasons": app.config.desk.reasons, "timeZone": app.config.desk.time_zone}))
        .into_response()
}

/// `200 {"status": "ready"}` when the store can serve, else `503` with the reason.
async fn readiness(State(app): State<Shared>) -> Response {
    let ready = app.store.ready();
    match ready {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(reason) => {
            eprintln!("gradcap: not ready: {reason}");
            let body = serde_json::json!({"status": "not ready", "error": {"code": "store.unavailable", "message": "the database or the photo store cannot be used"}});
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

async fn no_endpoint() -> ApiError {
    not_found("not_found", "no such endpoint")
}

/// Answers CORS preflights and marks responses for allowed origins. Credentials are never
/// allowed across origins: staff work on the server's own pages.
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
            HeaderValue::from_static("Authorization, Content-Type, Idempotency-Key, X-Gradcap-Receipt"),
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
