//! What stands in front of every handler: the `Host` check (against DNS rebinding), the headers
//! that keep personal data out of caches and frames, one structured log line per request, and
//! the per-address rate limits.

use super::{ApiError, Shared};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whether `host` (a `Host` header: name or address, with or without a port) may be served: an
/// IP address (a rebinding attack needs a name it controls), `localhost`, or a configured name.
pub fn host_allowed(host: &str, names: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => return v6.split(']').next().is_some_and(|a| a.parse::<IpAddr>().is_ok()),
        None => {
            host.rsplit_once(':').filter(|(_, port)| port.parse::<u16>().is_ok()).map_or(host, |(n, _)| n)
        }
    };
    name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Refuses requests whose `Host` is not one of the server's names.
pub async fn check_host(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, &app.config.hosts) {
        return ApiError(
            StatusCode::MISDIRECTED_REQUEST,
            "request.host",
            "this server does not answer for that host".into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// The client's address, when the request came over a connection (not in the fuzz harness).
pub fn client(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// Marks every API answer as personal (never cached, never sent as a referrer) and logs one JSON
/// line per request: its id, method, route (the pattern, never the path: no codes or ids in the
/// log), status and time.
pub async fn private_and_logged(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("-", |p| p.as_str()).to_string();
    let id = super::store::hex(&super::secret::random::<6>());
    let spent = std::sync::Arc::new(std::sync::Mutex::new(super::db::Spent::default()));
    let mut response = super::db::SPENT.scope(spent.clone(), next.run(request)).await;
    let spent = spent.lock().map(|s| *s).unwrap_or_default();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    let line = serde_json::json!({
        "time": super::store::rfc3339(super::store::unix_now()),
        "id": id,
        "method": method,
        "route": route,
        "status": response.status().as_u16(),
        "ms": tenth(started.elapsed().as_secs_f64() * 1000.0),
        "dbMs": tenth(spent.database_ms),
        "storeMs": tenth(spent.photos_ms),
    });
    eprintln!("{line}");
    response
}

/// `ms` to a tenth.
fn tenth(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Counts events per key over a sliding minute.
pub struct Limiter {
    per_minute: usize,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(60);

/// Keys kept at most; past this, keys with nothing in the window are dropped.
const MAX_KEYS: usize = 50_000;

impl Limiter {
    /// A limit of `per_minute` events per key; 0: no limit.
    pub fn new(per_minute: usize) -> Limiter {
        Limiter { per_minute, seen: Mutex::new(HashMap::new()) }
    }

    /// How many events `key` had in the last minute.
    pub fn count(&self, key: &str) -> usize {
        let Ok(mut seen) = self.seen.lock() else { return 0 };
        seen.get_mut(key).map_or(0, |times| {
            prune(times);
            times.len()
        })
    }

    /// Whether `key` is at its limit.
    pub fn exhausted(&self, key: &str) -> bool {
        self.per_minute > 0 && self.count(key) >= self.per_minute
    }

    /// Records an event of `key`.
    pub fn record(&self, key: &str) {
        let Ok(mut seen) = self.seen.lock() else { return };
        if seen.len() >= MAX_KEYS {
            seen.retain(|_, times| {
                prune(times);
                !times.is_empty()
            });
        }
        seen.entry(key.to_string()).or_default().push_back(Instant::now());
    }

    /// Records an event of `key` if it is under its limit; `false` (nothing recorded) if not.
    pub fn admit(&self, key: &str) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        if self.exhausted(key) {
            return false;
        }
        self.record(key);
        true
    }
}

fn prune(times: &mut VecDeque<Instant>) {
    while times.front().is_some_and(|t| t.elapsed() > WINDOW) {
        times.pop_front();
    }
}

/// The refusal of a client over its limit.
pub fn too_many(what: &str) -> ApiError {
    ApiError(StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("too many {what}; try again in a minute"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_addresses_localhost_or_named() {
        let names = vec!["photos.example.edu.cn".to_string()];
        for ok in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:443",
            "localhost:3000",
            "192.168.1.20",
            "PHOTOS.example.edu.cn",
        ] {
            assert!(host_allowed(ok, &names), "{ok}");
        }
        for bad in
            ["", "attacker.example", "attacker.example:8080", "127.0.0.1.attacker.example", "[evil]:80"]
        {
            assert!(!host_allowed(bad, &names), "{bad}");
        }
    }

    #[test]
    fn a_limiter_counts_per_key() {
        let limit = Limiter::new(3);
        assert!(limit.admit("a") && limit.admit("a") && limit.admit("a"));
        assert!(!limit.admit("a"));
        assert!(limit.admit("b"));
        assert!(!Limiter::new(0).exhausted("a"));
    }
}
