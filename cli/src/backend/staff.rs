//! What staff may do, once signed in: list captures, read any stored file, review (reviewers
//! only) and read the audit of every decision. Accounts live in the database (`gradcap staff`);
//! passwords are kept as Argon2id hashes; a sign-in gives a session cookie (`HttpOnly`,
//! `SameSite=Strict`), and every staff request that changes something must come from the
//! server's own pages.

use super::guard::Client;
use super::store::{unix_now, Filter, Reviewed, SessionChange};
use super::{bad, guard, internal, json_body, not_found, secret, ApiError, Shared, MAX_JSON};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// The staff session cookie's name.
pub const COOKIE: &str = "gradcap_staff";
/// How long a staff session lasts, seconds (a working day).
pub const SESSION_SECS: i64 = 8 * 3600;
/// The roles an account may have: an admin also manages the sessions, a reviewer decides, a
/// viewer only looks.
pub const ROLES: [&str; 3] = ["admin", "reviewer", "viewer"];
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Hashes `password` for storing (Argon2id, a random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&secret::random::<16>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(hash: &str, password: &str) -> bool {
    verify_with(&mut Vec::new(), hash, password)
}

/// [`verify_password`] with `memory` as Argon2's working memory (kept by the caller, so that
/// repeated checks reuse it instead of allocating 19 MiB each time).
fn verify_with(memory: &mut Vec<argon2::Block>, hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let (Ok(params), Ok(algorithm)) =
        (argon2::Params::try_from(&parsed), argon2::Algorithm::try_from(parsed.algorithm))
    else {
        return false;
    };
    let version = parsed.version.map_or(Ok(argon2::Version::default()), argon2::Version::try_from);
    let mut salt_bytes = [0u8; 64];
    let (Ok(version), Ok(salt)) = (version, salt.decode_b64(&mut salt_bytes)) else { return false };
    if params.m_cost() > 256 * 1024 {
        return false; // not a hash this server made
    }
    memory.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..]).is_err() {
        return false;
    }
    // Compared in full whatever differs, so the time says nothing of where.
    out.iter().zip(expected.as_bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// A password to check and where the answer goes.
type Check = (String, String, tokio::sync::oneshot::Sender<bool>);

/// Checks `password` against `hash` on the one thread that checks passwords: Argon2id takes 19 MiB
/// for each check, and one thread reuses the same memory (checks spread over the runtime's
/// threads left 19 MiB behind in each one's allocator), besides taking one check at a time.
async fn verify_elsewhere(hash: String, password: String) -> bool {
    static CHECKER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Check>>> =
        std::sync::OnceLock::new();
    let sender = CHECKER.get_or_init(|| {
        let (send, receive) = std::sync::mpsc::channel::<Check>();
        std::thread::spawn(move || {
            let mut memory = Vec::new();
            for (hash, password, answer) in receive {
                let _ = answer.send(verify_with(&mut memory, &hash, &password));
            }
        });
        std::sync::Mutex::new(send)
    });
    let (answer, answered) = tokio::sync::oneshot::channel();
    let sent = sender.lock().is_ok_and(|s| s.send((hash, password, answer)).is_ok());
    sent && answered.await.unwrap_or(false)
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The account's name.
    pub name: String,
    /// `reviewer` or `viewer`.
    pub role: String,
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The staff member whose session cookie `headers` carry, if any.
pub(super) fn signed_in(app: &Shared, headers: &HeaderMap) -> Result<Option<Staff>, ApiError> {
    let Some(token) = cookie_token(headers) else { return Ok(None) };
    let found = app.store.staff_session(token).map_err(internal)?;
    Ok(found.map(|(name, role)| Staff { name, role }))
}

/// Whether a request comes from the server's own pages: browsers say where a request comes from
/// (`Sec-Fetch-Site`, `Origin`); a request that says nothing is not from a browser's page.
/// An `Origin` must be the server's own: its host and the scheme the page was served with
/// (`https` when `https`), so that a page of the same host over plain HTTP — which anyone on the
/// network can write — cannot act for a page served over HTTPS.
fn same_origin(headers: &HeaderMap, https: bool) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    let scheme = if https { "https" } else { "http" };
    match (text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(s, h)| s.eq_ignore_ascii_case(scheme) && h.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

fn unauthenticated() -> ApiError {
    ApiError(StatusCode::UNAUTHORIZED, "staff.unauthenticated", "staff must sign in".into())
}

/// The signed-in staff member a request needs; one that changes something (`changes`: its
/// client) must also come from the server's own pages, and `reviewer` says whether the role must
/// be one that decides.
fn require(
    app: &Shared,
    headers: &HeaderMap,
    changes: Option<Client>,
    needs: Needs,
) -> Result<Staff, ApiError> {
    if changes.is_some_and(|c| !same_origin(headers, c.https)) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "request.cross_site",
            "staff requests must come from the review page".into(),
        ));
    }
    let staff = signed_in(app, headers)?.ok_or_else(unauthenticated)?;
    let allowed = match needs {
        Needs::Any => true,
        Needs::Reviewer => staff.role == "reviewer" || staff.role == "admin",
        Needs::Admin => staff.role == "admin",
    };
    if !allowed {
        let what = if needs == Needs::Admin { "manage sessions" } else { "review" };
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "staff.forbidden",
            format!("{} may not {what}", staff.role),
        ));
    }
    Ok(staff)
}

/// The role a staff request needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Any signed-in staff member.
    Any,
    /// One who decides: a reviewer or an admin.
    Reviewer,
    /// An admin.
    Admin,
}

/// A page of a listing, and what it shows.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page {
    status: Option<String>,
    session: Option<String>,
    capture_code: Option<String>,
    /// Arrived at or after (RFC 3339).
    from: Option<String>,
    /// Arrived before (RFC 3339).
    until: Option<String>,
    limit: Option<u32>,
    before: Option<String>,
}

/// Most items on a page.
const MAX_PAGE: u32 = 200;

pub(super) async fn list(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Page>,
) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let filter = Filter {
        status: given(&q.status),
        session: given(&q.session),
        capture_code: given(&q.capture_code),
        from: given(&q.from),
        until: given(&q.until),
    };
    let items = app.store.list(&filter, limit, q.before.as_deref()).map_err(internal)?;
    let next = (items.len() == limit as usize).then(|| items.last().map(|c| c.id.clone())).flatten();
    Ok(Json(serde_json::json!({"items": items, "next": next})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    status: String,
    reason: Option<String>,
    /// The capture's `version` the reviewer was shown: a decision made since makes this one
    /// stale (409) instead of silently overwritten.
    version: Option<i64>,
}

pub(super) async fn review(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let staff = require(&app, &headers, Some(client), Needs::Reviewer)?;
    let d: Decision = small_json(&headers, &body)?;
    let approved = match d.status.as_str() {
        "approved" => true,
        "rejected" => false,
        other => {
            return Err(bad("review.status", format!("status must be approved or rejected, not {other:?}")))
        }
    };
    let reason = d.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if !approved && reason.is_none() {
        return Err(bad("review.reason", "a rejection needs a reason the student can act on"));
    }
    let done = app.store.review(&id, &staff.name, approved, reason, d.version).map_err(internal)?;
    match done {
        Reviewed::Done(c) => Ok(Json(c).into_response()),
        Reviewed::Stale(c) => {
            let by = c.reviewed_by.as_deref().unwrap_or("?");
            let at = c.reviewed_at.as_deref().unwrap_or("?");
            let message = format!("{by} decided on it ({}) at {at}, after the version you saw", c.status);
            let body =
                serde_json::json!({"error": {"code": "capture.changed", "message": message}, "capture": c});
            Ok((StatusCode::CONFLICT, Json(body)).into_response())
        }
        Reviewed::Unknown => Err(not_found("capture.unknown", "no such capture")),
        Reviewed::Closed => Err(ApiError(
            StatusCode::CONFLICT,
            "capture.closed",
            "that capture was replaced or purged".into(),
        )),
    }
}

pub(super) async fn file(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    let bytes = app.store.file(&sha).map_err(internal)?;
    bytes
        .map(|b| ([(header::CONTENT_TYPE, "image/jpeg")], b).into_response())
        .ok_or_else(|| not_found("file.unknown", "no such file"))
}

/// Every session with its captures counted by status, and the captures that name none.
pub(super) async fn sessions(State(app): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    let counts = app.store.counts().map_err(internal)?;
    let sessions = app.store.sessions().map_err(internal)?;
    let counted = |code: Option<&str>| {
        counts.iter().find(|c| c.session.as_deref() == code).cloned().unwrap_or_default()
    };
    let mut items: Vec<serde_json::Value> = sessions
        .iter()
        .map(|s| {
            serde_json::json!({"code": s.code, "name": s.name, "school": s.school, "open": s.open,
                "counts": counted(Some(&s.code))})
        })
        .collect();
    // Captures naming no session, or one that is not known.
    let unknown = |c: &&super::store::Count| {
        c.session.as_ref().is_none_or(|code| !sessions.iter().any(|s| &s.code == code))
    };
    for c in counts.iter().filter(unknown) {
        items.push(
            serde_json::json!({"code": c.session, "name": null, "school": null, "open": null, "counts": c}),
        );
    }
    Ok(Json(serde_json::json!({"items": items})).into_response())
}

/// An admin adds a session (`POST /api/sessions`).
pub(super) async fn add_session(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&app, &headers, Some(client), Needs::Admin)?;
    let session: super::store::Session = small_json(&headers, &body)?;
    super::store::check_session_fields(&session.code, &session.name)
        .map_err(|m| bad("session.invalid", m))?;
    if app.store.put_sessions(std::slice::from_ref(&session)).map_err(internal)? == 0 {
        let message = format!("there is already a session {}", session.code);
        return Err(ApiError(StatusCode::CONFLICT, "session.exists", message));
    }
    Ok((StatusCode::CREATED, Json(session)).into_response())
}

/// An admin renames, opens or closes a session (`POST /api/sessions/{code}`).
pub(super) async fn change_session(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&app, &headers, Some(client), Needs::Admin)?;
    let change: SessionChange = small_json(&headers, &body)?;
    if let Some(name) = &change.name {
        super::store::check_session_fields(&code, name).map_err(|m| bad("session.invalid", m))?;
    }
    if !app.store.update_session(&code, &change).map_err(internal)? {
        return Err(not_found("session.unknown", "no such session"));
    }
    let session = app.store.session(&code).map_err(internal)?;
    Ok(Json(session).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExportQuery {
    session: String,
    /// `captureCode` (the default) or `studentNumber` (from the roster).
    name_by: Option<String>,
}

/// The approved photos of a session as a ZIP with its manifest ([`super::export`]), streamed a
/// photo at a time.
pub(super) async fn export(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    if app.store.session(&q.session).map_err(internal)?.is_none() {
        return Err(not_found("session.unknown", "no such session"));
    }
    let naming = match q.name_by.as_deref() {
        Some(by) => super::export::Naming::parse(by).map_err(|m| bad("export.name_by", m))?,
        None => super::export::Naming::default(),
    };
    let (send, receive) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (exporting, session) = (app.clone(), q.session.clone());
    tokio::task::spawn_blocking(move || {
        let out = std::io::BufWriter::with_capacity(64 * 1024, Pipe(send.clone()));
        if let Err(e) = super::export::export(&exporting.store, &session, naming, out) {
            // The download ends broken rather than complete: the browser says it failed.
            eprintln!("gradcap: export of a session: {e}");
            let _ = send.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    // Ends once the writer is done; asked again after that, it says so again (a compressing
    // layer does).
    let mut receive = receive;
    let stream = futures::stream::poll_fn(move |cx| receive.poll_recv(cx));
    let name = super::export::file_name(&q.session).replace(".jpg", ".zip");
    let disposition = format!("attachment; filename=\"gradcap-{name}\"");
    let headers =
        [(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, axum::body::Body::from_stream(stream)).into_response())
}

/// A session's roster with where each student stands, and the counts (staff).
pub(super) async fn roster(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    if app.store.session(&code).map_err(internal)?.is_none() {
        return Err(not_found("session.unknown", "no such session"));
    }
    let roster = app.store.roster(&code).map_err(internal)?;
    let mut counts =
        serde_json::json!({"total": roster.len(), "missing": 0, "pending": 0, "rejected": 0, "approved": 0});
    let items: Vec<serde_json::Value> = roster
        .iter()
        .map(|(student, status)| {
            counts[*status] = serde_json::json!(counts[*status].as_u64().unwrap_or(0) + 1);
            let mut item = serde_json::to_value(student).unwrap_or_default();
            item["status"] = serde_json::json!(status);
            item
        })
        .collect();
    Ok(Json(serde_json::json!({"items": items, "counts": counts})).into_response())
}

/// An admin imports a session's roster as CSV (`POST /api/sessions/{code}/roster`, `text/csv`),
/// replacing the one before; an empty body with only a header clears it.
pub(super) async fn import_roster(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&app, &headers, Some(client), Needs::Admin)?;
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !kind.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/csv") {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body.type",
            "the roster must be text/csv".into(),
        ));
    }
    if app.store.session(&code).map_err(internal)?.is_none() {
        return Err(not_found("session.unknown", "no such session"));
    }
    let text =
        std::str::from_utf8(&body).map_err(|_| bad("roster.invalid", "the roster is not UTF-8 text"))?;
    let students = super::roster::parse(text).map_err(|m| bad("roster.invalid", m))?;
    let imported = app.store.set_roster(&code, &students).map_err(internal)?;
    Ok(Json(serde_json::json!({"session": code, "imported": imported})).into_response())
}

/// Bytes written into a channel, sent on as a response body.
struct Pipe(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl std::io::Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was closed"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Deserialize)]
pub(super) struct AuditPage {
    limit: Option<u32>,
    before: Option<i64>,
}

pub(super) async fn audit(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<AuditPage>,
) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Any)?;
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let items = app.store.audit(limit, q.before).map_err(internal)?;
    let next = (items.len() == limit as usize).then(|| items.last().map(|d| d.seq)).flatten();
    Ok(Json(serde_json::json!({"items": items, "next": next})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    name: String,
    password: String,
}

/// A hash to verify against when the account does not exist, so that a wrong name takes as long
/// as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

pub(super) async fn sign_in(State(app): State<Shared>, request: Request) -> Result<Response, ApiError> {
    let address = guard::client(&request).map(|ip| format!("address {ip}"));
    let https = request.extensions().get::<Client>().is_some_and(|c| c.https);
    let headers = request.headers().clone();
    if !same_origin(&headers, https) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "request.cross_site",
            "sign in on the review page".into(),
        ));
    }
    let body = axum::body::to_bytes(request.into_body(), MAX_JSON).await.map_err(|_| {
        ApiError(StatusCode::PAYLOAD_TOO_LARGE, "body.too_large", format!("over {MAX_JSON} bytes"))
    })?;
    let form: SignIn = json_body(&headers, &body)?;
    let account = format!("account {}", form.name);
    let keys: Vec<&str> = [Some(account.as_str()), address.as_deref()].into_iter().flatten().collect();
    // Counted as failed before the password is checked, and taken back only when it was right:
    // attempts that arrive together cannot all pass the limit while the checks queue.
    if !app.sign_ins.reserve(&keys) {
        return Err(guard::too_many("failed sign-ins"));
    }
    let stored = app.store.staff_password(&form.name).map_err(internal)?;
    let (hash, role) = stored.clone().unwrap_or_else(|| (decoy_hash().to_string(), String::new()));
    let password = form.password;
    let right = verify_elsewhere(hash, password).await;
    if !right || stored.is_none() {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "staff.sign_in_failed",
            "wrong name or password".into(),
        ));
    }
    app.sign_ins.release(&keys);
    let cookie = start_session(&app, &form.name)?;
    let mut response = Json(serde_json::json!({"name": form.name, "role": role})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

pub(super) async fn sign_out(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !same_origin(&headers, client.https) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "request.cross_site",
            "sign out on the review page".into(),
        ));
    }
    if let Some(token) = cookie_token(&headers) {
        app.store.end_staff_session(token).map_err(internal)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let expired = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&expired).map_err(internal)?);
    Ok(response)
}

pub(super) async fn me(State(app): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let staff = require(&app, &headers, None, Needs::Any)?;
    Ok(Json(serde_json::json!({"name": staff.name, "role": staff.role})).into_response())
}

/// Whether `name` can be a staff account's name: 1–64 characters, no spaces or control
/// characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && !name.chars().any(|c| c.is_control() || c == ' ')
}

/// A JSON body of at most [`MAX_JSON`] bytes as `T`.
fn small_json<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if body.len() > MAX_JSON {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body.too_large",
            format!("over {MAX_JSON} bytes"),
        ));
    }
    json_body(headers, body)
}

fn short_password() -> ApiError {
    bad("staff.password", format!("a password needs at least {MIN_PASSWORD} characters"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    old: String,
    new: String,
}

/// A signed-in staff member changes their own password (`POST /api/staff/password`), the old one
/// required and counted like a sign-in; every session of the account ends and this one gets a
/// new cookie.
pub(super) async fn change_password(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let staff = require(&app, &headers, Some(client), Needs::Any)?;
    let change: PasswordChange = small_json(&headers, &body)?;
    if change.new.chars().count() < MIN_PASSWORD {
        return Err(short_password());
    }
    let account = format!("account {}", staff.name);
    let address = client.ip.map(|ip| format!("address {ip}"));
    let keys: Vec<&str> = [Some(account.as_str()), address.as_deref()].into_iter().flatten().collect();
    if !app.sign_ins.reserve(&keys) {
        return Err(guard::too_many("failed sign-ins"));
    }
    let stored = app.store.staff_password(&staff.name).map_err(internal)?;
    let right = match stored {
        Some((hash, _)) => verify_elsewhere(hash, change.old).await,
        None => false,
    };
    if !right {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "staff.sign_in_failed",
            "the old password is wrong".into(),
        ));
    }
    app.sign_ins.release(&keys);
    let hash = hash_password(&change.new).map_err(internal)?;
    app.store.change_staff(&staff.name, None, Some(&hash)).map_err(internal)?;
    let mut response = Json(serde_json::json!({"name": staff.name, "role": staff.role})).into_response();
    let cookie = start_session(&app, &staff.name)?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// A new session for `name`: its cookie.
fn start_session(app: &Shared, name: &str) -> Result<HeaderValue, ApiError> {
    let token = secret::token();
    app.store.start_staff_session(name, &token, unix_now() + SESSION_SECS).map_err(internal)?;
    let secure = if app.config.secure_cookies { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}{secure}");
    HeaderValue::from_str(&cookie).map_err(internal)
}

/// The staff accounts (admin): name, role, since when.
pub(super) async fn accounts(State(app): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    require(&app, &headers, None, Needs::Admin)?;
    let items = app.store.staff().map_err(internal)?;
    let items: Vec<_> = items
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "role": a.role, "createdAt": a.created_at}))
        .collect();
    Ok(Json(serde_json::json!({"items": items})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    role: String,
    password: String,
}

/// An admin adds an account (`POST /api/accounts`).
pub(super) async fn add_account(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&app, &headers, Some(client), Needs::Admin)?;
    let new: NewAccount = small_json(&headers, &body)?;
    if !valid_name(&new.name) {
        return Err(bad("staff.name", "a staff name is 1–64 characters without spaces"));
    }
    if !ROLES.contains(&new.role.as_str()) {
        return Err(bad("staff.role", "the role is admin, reviewer or viewer"));
    }
    if new.password.chars().count() < MIN_PASSWORD {
        return Err(short_password());
    }
    let hash = hash_password(&new.password).map_err(internal)?;
    if !app.store.add_staff(&new.name, &hash, &new.role).map_err(internal)? {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "staff.exists",
            format!("there is already an account {}", new.name),
        ));
    }
    Ok((StatusCode::CREATED, Json(serde_json::json!({"name": new.name, "role": new.role}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    role: Option<String>,
    /// A new password (its sessions end): for someone who forgot theirs.
    password: Option<String>,
    /// Remove the account (its sessions end).
    remove: Option<bool>,
}

/// An admin changes an account's role, resets its password or removes it
/// (`POST /api/accounts/{name}`); not their own role or account, so that a desk always keeps an
/// admin.
pub(super) async fn change_account(
    State(app): State<Shared>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let admin = require(&app, &headers, Some(client), Needs::Admin)?;
    let change: AccountChange = small_json(&headers, &body)?;
    let own = admin.name == name;
    if own && (change.remove == Some(true) || change.role.as_deref().is_some_and(|r| r != "admin")) {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "staff.self",
            "an admin cannot demote or remove themselves".into(),
        ));
    }
    if change.remove == Some(true) {
        if !app.store.remove_staff(&name).map_err(internal)? {
            return Err(not_found("staff.unknown", "no such account"));
        }
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if change.role.as_deref().is_some_and(|r| !ROLES.contains(&r)) {
        return Err(bad("staff.role", "the role is admin, reviewer or viewer"));
    }
    let hash = match &change.password {
        Some(p) if p.chars().count() < MIN_PASSWORD => return Err(short_password()),
        Some(p) => Some(hash_password(p).map_err(internal)?),
        None => None,
    };
    if !app.store.change_staff(&name, change.role.as_deref(), hash.as_deref()).map_err(internal)? {
        return Err(not_found("staff.unknown", "no such account"));
    }
    Ok(Json(serde_json::json!({"name": name, "role": change.role})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterz"));
        assert!(!verify_password("not a hash", "anything"));
        // The same memory serves check after check.
        let mut memory = Vec::new();
        assert!(verify_with(&mut memory, &hash, "correct horse battery"));
        assert!(!verify_with(&mut memory, &hash, "wrong"));
        assert!(verify_with(&mut memory, &hash, "correct horse battery"));
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")]), false), "not from a browser page");
        let own = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]);
        assert!(same_origin(&own, false));
        assert!(!same_origin(&own, true), "a plain-HTTP page of the host speaking to its HTTPS server");
        let secure = headers(&[("host", "a.example"), ("origin", "https://a.example")]);
        assert!(same_origin(&secure, true) && !same_origin(&secure, false));
        assert!(!same_origin(
            &headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]),
            true
        ));
        assert!(!same_origin(
            &headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(!same_origin(&headers(&[("host", "a.example"), ("origin", "null")]), false));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; gradcap_staff=abc; b=2"));
        assert_eq!(cookie_token(&h), Some("abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("gradcap_staffx=abc"));
        assert_eq!(cookie_token(&h), None);
    }
}
