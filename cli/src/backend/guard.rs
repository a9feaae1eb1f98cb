//! What stands in front of every handler: the `Host` check (against DNS rebinding), the headers
//! that keep personal data out of caches and frames, one structured log line per request, and
//! the per-address rate limits.

use super::{ApiError, Shared};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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

/// Addresses whose requests are forwarded for others (`--trusted-proxy`): single addresses or
/// CIDR blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proxies(Vec<(IpAddr, u8)>);

impl Proxies {
    /// Reads `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8` …
    pub fn parse(blocks: &[String]) -> Result<Proxies, String> {
        let one = |text: &str| -> Option<(IpAddr, u8)> {
            let (address, bits) = text.split_once('/').unwrap_or((text, ""));
            let address: IpAddr = address.trim().parse().ok()?;
            let most = if address.is_ipv4() { 32 } else { 128 };
            let bits = if bits.is_empty() { most } else { bits.trim().parse().ok()? };
            (bits <= most).then_some((address, bits))
        };
        blocks
            .iter()
            .map(|b| {
                one(b).ok_or_else(|| format!("--trusted-proxy {b:?}: expected an address or a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Proxies)
    }

    /// Whether `ip` is one of them.
    pub fn contain(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(block, bits)| match (canonical(block), ip) {
            (IpAddr::V4(b), IpAddr::V4(a)) => {
                prefix(u128::from(u32::from(b)) << 96, u128::from(u32::from(a)) << 96, bits)
            }
            (IpAddr::V6(b), IpAddr::V6(a)) => prefix(u128::from(b), u128::from(a), bits),
            _ => false,
        })
    }

    /// The client a request from `peer` stands for: the peer itself unless it is a trusted
    /// proxy; then, walking `Forwarded` (else `X-Forwarded-For`) from the right, the first hop
    /// that is not one (a client can write anything at the left end, never at the right).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contain(peer) {
            return peer;
        }
        let hops = forwarded_hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop_address(hop) else { break };
            client = ip;
            if !self.contain(ip) {
                break;
            }
        }
        client
    }
}

/// An IPv4 address mapped into IPv6 as itself.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix(block: u128, address: u128, bits: u8) -> bool {
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
    block & mask == address & mask
}

/// The hops a request passed, leftmost (the client's claim) first: the `for=` of every
/// `Forwarded` element, else every entry of `X-Forwarded-For`.
fn forwarded_hops(headers: &HeaderMap) -> Vec<String> {
    let values = |name| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::to_string)
            .collect()
    };
    let forwarded: Vec<String> = values(header::FORWARDED.as_str())
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim().to_string())
            })
        })
        .collect();
    if forwarded.is_empty() {
        values("x-forwarded-for")
    } else {
        forwarded
    }
}

/// A hop's address: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

/// Who sent a request: the address every per-address limit counts, and whether the page it
/// came from was served over HTTPS (the scheme its `Origin` must have).
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// The client's address (none in the fuzz harness, which has no connection).
    pub ip: Option<IpAddr>,
    /// Whether the client reached the server over HTTPS (the server's own TLS, a `Secure`
    /// deployment, or a trusted proxy that says so).
    pub https: bool,
}

/// Works out [`Client`] once for every request.
pub async fn identify(State(app): State<Shared>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let proxies = &app.config.trusted_proxies;
    let headers = request.headers();
    let ip = peer.map(|peer| proxies.client(peer, headers));
    let proxied_https = peer.is_some_and(|p| proxies.contain(p)) && forwarded_https(headers);
    let https = app.config.secure_cookies || proxied_https;
    request.extensions_mut().insert(Client { ip, https });
    next.run(request).await
}

/// Whether the nearest proxy says the client used HTTPS (`X-Forwarded-Proto` or `Forwarded`'s
/// `proto`, its last value).
fn forwarded_https(headers: &HeaderMap) -> bool {
    let last = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .map(str::to_string)
    };
    let proto = last(header::FORWARDED.as_str())
        .and_then(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("proto").then(|| v.trim().trim_matches('"').to_string())
            })
        })
        .or_else(|| last("x-forwarded-proto").map(|v| v.trim().to_string()));
    proto.is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The client of a request that passed [`identify`].
pub fn client(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<Client>().and_then(|c| c.ip)
}

/// Marks every API answer as personal (never cached, never sent as a referrer) and logs one JSON
/// line per request: its id, method, client address, route (the pattern, never the path: no codes
/// or ids in the log), status and time.
pub async fn private_and_logged(request: Request, next: Next) -> Response {
    let started = Instant::now();
    // The address the limits count (behind --trusted-proxy, the forwarded client's): who to
    // look at when something misbehaves.
    let address = client(&request).map(|ip| ip.to_string());
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("-", |p| p.as_str()).to_string();
    let id = super::store::hex(&super::secret::random::<6>());
    let spent = std::sync::Arc::new(std::sync::Mutex::new(super::db::Spent::default()));
    let mut response = super::db::SPENT.scope(spent.clone(), next.run(request)).await;
    let spent = spent.lock().map(|s| *s).unwrap_or_default();
    // What failed inside goes to the log; the client learns only that it did, and which request
    // to quote (a store's message can name the server's folders or its database).
    let mut detail = None;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        let body = std::mem::take(response.body_mut());
        let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
        detail = Some(String::from_utf8_lossy(&text).into_owned());
        let message = format!("the server failed; quote request {id} to its administrator");
        response = ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", message).into_response();
    }
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
        "client": address,
        "route": route,
        "status": response.status().as_u16(),
        "ms": tenth(started.elapsed().as_secs_f64() * 1000.0),
        "dbMs": tenth(spent.database_ms),
        "storeMs": tenth(spent.photos_ms),
    });
    let line = match detail {
        Some(detail) => {
            let mut line = line;
            line["error"] = serde_json::Value::String(detail);
            line
        }
        None => line,
    };
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
    #[cfg(test)]
    pub fn count(&self, key: &str) -> usize {
        let Ok(mut seen) = self.seen.lock() else { return 0 };
        seen.get_mut(key).map_or(0, |times| {
            prune(times);
            times.len()
        })
    }

    /// Whether `key` is under its limit.
    pub fn below(&self, key: &str) -> bool {
        let Ok(mut seen) = self.seen.lock() else { return false };
        self.per_minute == 0
            || seen.get_mut(key).is_none_or(|times| {
                prune(times);
                times.len() < self.per_minute
            })
    }

    /// Records an event of `key` if it is under its limit; `false` (nothing recorded) if not.
    pub fn admit(&self, key: &str) -> bool {
        self.reserve(&[key])
    }

    /// Records an event of every key in `keys` at once if none is at its limit; `false`
    /// (nothing recorded) if one is. Taken under one lock, so that requests arriving together
    /// cannot all pass a check made before any of them is recorded: an attempt is counted before
    /// it is tried, and [`Limiter::release`] takes it back if it turns out not to count.
    pub fn reserve(&self, keys: &[&str]) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let Ok(mut seen) = self.seen.lock() else { return false };
        let over = keys.iter().any(|key| {
            seen.get_mut(*key).is_some_and(|times| {
                prune(times);
                times.len() >= self.per_minute
            })
        });
        if over {
            return false;
        }
        if seen.len() >= MAX_KEYS {
            seen.retain(|_, times| {
                prune(times);
                !times.is_empty()
            });
        }
        let now = Instant::now();
        for key in keys {
            seen.entry(key.to_string()).or_default().push_back(now);
        }
        true
    }

    /// Takes back one event of each key in `keys` (a reserved attempt that succeeded).
    pub fn release(&self, keys: &[&str]) {
        if self.per_minute == 0 {
            return;
        }
        let Ok(mut seen) = self.seen.lock() else { return };
        for key in keys {
            if let Some(times) = seen.get_mut(*key) {
                times.pop_back();
                if times.is_empty() {
                    seen.remove(*key);
                }
            }
        }
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
    fn behind_trusted_proxies_the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into(), "192.0.2.7".into()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(*k, HeaderValue::from_static(v));
            }
            h
        };
        let xff = with(&[("x-forwarded-for", "6.6.6.6, 198.51.100.9, 10.1.2.3")]);
        // From a proxy: the rightmost hop it did not add itself.
        assert_eq!(proxies.client(ip("10.0.0.1"), &xff), ip("198.51.100.9"));
        // From anyone else the header is the client's own words.
        assert_eq!(proxies.client(ip("203.0.113.5"), &xff), ip("203.0.113.5"));
        let forwarded = with(&[("forwarded", r#"for=6.6.6.6;proto=https, for="[2001:db8::5]:4711""#)]);
        assert_eq!(proxies.client(ip("::1"), &forwarded), ip("2001:db8::5"));
        assert_eq!(proxies.client(ip("::ffff:10.9.9.9"), &with(&[])), ip("::ffff:10.9.9.9"));
        let garbage = with(&[("x-forwarded-for", "198.51.100.9, not-an-address")]);
        assert_eq!(proxies.client(ip("192.0.2.7"), &garbage), ip("192.0.2.7"));
        assert!(proxies.contain(ip("::ffff:10.200.0.1")) && !proxies.contain(ip("11.0.0.1")));
        assert!(
            Proxies::parse(&["10.0.0.0/33".into()]).is_err() && Proxies::parse(&["host".into()]).is_err()
        );
        assert!(!forwarded_https(&forwarded), "the last element says no proto");
        assert!(forwarded_https(&with(&[("x-forwarded-proto", "https")])));
    }

    #[test]
    fn a_limiter_counts_per_key() {
        let limit = Limiter::new(3);
        assert!(limit.admit("a") && limit.admit("a") && limit.admit("a"));
        assert!(!limit.admit("a"));
        assert!(limit.admit("b"));
        let unlimited = Limiter::new(0);
        assert!((0..100).all(|_| unlimited.admit("a")));
    }

    #[test]
    fn a_reservation_counts_every_key_or_none_and_can_be_taken_back() {
        let limit = Limiter::new(2);
        assert!(limit.reserve(&["account x", "address a"]));
        assert!(limit.reserve(&["account x", "address b"]));
        // The account is full: nothing is recorded for the new address either.
        assert!(!limit.reserve(&["account x", "address c"]));
        assert_eq!(limit.count("address c"), 0);
        limit.release(&["account x", "address b"]);
        assert_eq!((limit.count("account x"), limit.count("address b")), (1, 0));
        assert!(limit.reserve(&["account x", "address c"]));
    }
}
