//! `gradcap serve`: the demo page and the built component over HTTP, with the reference backend
//! (`/api`, `/review`) over an SQLite database; its own accept loop bounds what a client may hold
//! (connections, time to send a header, pauses in a body, a connection's life).

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue};
use axum::Router;
use gradcap_cli::backend::{store::Session, Backend, Shared};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy the demo runs under: WebAssembly needs only `'wasm-unsafe-eval'`, never `eval`;
/// no other site may frame its pages.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once; more wait to be accepted.
    pub connections: usize,
    /// Connections open at once from one address; more are closed at once (a campus behind
    /// one NAT address needs room: a phone opens a handful).
    pub per_address: usize,
    /// Time to send a request's header (and, between requests, to start the next).
    pub header: Duration,
    /// Longest life of one connection.
    pub connection: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: 512,
            per_address: 64,
            header: Duration::from_secs(10),
            connection: Duration::from_secs(300),
        }
    }
}

/// Where `www/` and `pkg/` are: the given folder, else the current one if it has `www/`, else the
/// folder this binary was built from.
pub fn project_root(given: Option<PathBuf>) -> PathBuf {
    if let Some(root) = given {
        return root;
    }
    if Path::new("www").is_dir() && Path::new("Cargo.toml").is_file() {
        return PathBuf::from(".");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What is served besides the backend, and where its files are.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// The pages: `www/` of the project, or the given folder as it is (a bundled app's `dist/`).
    pub pages: PathBuf,
    /// The built component under `/pkg` (the project's `pkg/`); `None` for a bundled app, which
    /// carries its own.
    pub pkg: Option<PathBuf>,
    /// The face models, served under `/models` and used by the backend's re-check.
    pub models: PathBuf,
}

impl Site {
    /// The site at `root`: the project's layout (`www/`, `pkg/`, `models/`) when `root` has a
    /// `www/` folder, else `root` itself as the pages (an app built with the npm package), with the
    /// models from `models`, else `root/models`.
    pub fn at(root: &Path, models: Option<PathBuf>) -> Result<Site, String> {
        let models = models.unwrap_or_else(|| root.join("models"));
        if root.join("www").is_dir() {
            return Ok(Site { pages: root.join("www"), pkg: Some(root.join("pkg")), models });
        }
        if !root.join("index.html").is_file() {
            return Err(format!(
                "{} has neither a www/ folder (this project's layout) nor an index.html (a built app)",
                root.display()
            ));
        }
        Ok(Site { pages: root.to_path_buf(), pkg: None, models })
    }

    /// Refuses a data folder the pages would serve to anyone who asks.
    pub fn keeps_private(&self, data: &Path) -> Result<(), String> {
        let full = |p: &Path| std::path::absolute(p).map(|a| a.components().collect::<PathBuf>());
        let (Ok(pages), Ok(data_full)) = (full(&self.pages), full(data)) else {
            return Ok(());
        };
        if data_full.starts_with(&pages) {
            return Err(format!(
                "the data folder {} is inside the served folder {}: give --data outside it",
                data.display(),
                self.pages.display()
            ));
        }
        Ok(())
    }
}

/// The routes: the backend's `/api` and `/review`, `/pkg/…` from the build output, `/models/…`
/// from the face models, everything else from the pages.
pub fn router(site: &Site, backend: Router) -> Router {
    let overriding =
        |name, value: &'static str| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    let unless_set = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let mut routes = backend.nest_service("/models", ServeDir::new(&site.models));
    if let Some(pkg) = &site.pkg {
        routes = routes.nest_service("/pkg", ServeDir::new(pkg));
    }
    routes
        .fallback_service(ServeDir::new(&site.pages))
        .layer(overriding(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(overriding(header::X_FRAME_OPTIONS, "DENY"))
        .layer(unless_set(header::REFERRER_POLICY, "same-origin"))
        // The API marks its own answers private; the page and the component may be revalidated.
        .layer(unless_set(header::CACHE_CONTROL, "no-cache"))
        .layer(overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Gzip where the browser takes it: the .wasm and the models are half their size on the
        // wire (1.4 MB rather than 2.5), which is most of a first start on a phone's network.
        // Not what is compressed already: an export's ZIP is JPEG files.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/zip"))),
        )
}

/// Makes the allocator give a large buffer (an upload, a decoded original) back to the system
/// when it is freed. glibc raises its threshold for doing so to the size of each large block
/// freed, after which uploads' buffers stay in its arenas: measured, 50 uploads with 8 MB
/// originals at once left the server at 344 MB resident rather than within its budget.
pub fn return_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets a tunable of the allocator; called before any thread starts.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        }
    }
}

/// The demo's sample sessions (`--demo`).
pub fn demo_sessions() -> Vec<Session> {
    vec![
        Session {
            code: "26050704".into(),
            name: "示例大学2026届图像采集".into(),
            school: "示例大学".into(),
            open: true,
        },
        Session {
            code: "26050105".into(),
            name: "示例大学2025届图像采集".into(),
            school: "示例大学".into(),
            open: false,
        },
    ]
}

/// Reads sessions: a JSON file (`[{"code", "name", "school", "open"}]`) and `CODE=NAME` pairs
/// (`CODE=NAME=closed` for a closed one).
pub fn sessions(file: Option<&Path>, pairs: &[String]) -> Result<Vec<Session>, String> {
    let mut all: Vec<Session> = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    for pair in pairs {
        let mut parts = pair.splitn(3, '=');
        let (Some(code), Some(name)) = (parts.next(), parts.next()) else {
            return Err(format!("--session {pair:?}: expected CODE=NAME"));
        };
        let open = parts.next() != Some("closed");
        all.push(Session { code: code.into(), name: name.into(), school: String::new(), open });
    }
    for s in &all {
        gradcap_cli::backend::store::check_session_fields(&s.code, &s.name)?;
    }
    Ok(all)
}

/// How the server runs: where, from which folder, within which limits, keeping data how long.
pub struct Serving {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The pages, the component and the models.
    pub site: Site,
    /// What one client may hold.
    pub limits: Limits,
    /// Delete captures' data this many days after their decision.
    pub keep_days: Option<u32>,
    /// Serve HTTPS with this certificate.
    pub tls: Option<crate::tls::Tls>,
}

/// Serves until interrupted. Prints the address once listening, so scripts can read the port.
pub fn run(serving: Serving, backend: Backend) -> Result<(), String> {
    let Serving { addr, site, limits, keep_days, tls } = serving;
    if let Some(pkg) = site.pkg.as_ref().filter(|pkg| !pkg.join("gradcap_bg.wasm").is_file()) {
        eprintln!("gradcap: warning: {} has no built component yet; run scripts/build-web", pkg.display());
    }
    let shared: Shared = Arc::new(backend);
    let app = router(&site, Backend::routes(shared.clone()));
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("gradcap serving {scheme}://{bound}/");
        if let Some(tls) = &tls {
            if bound.ip().is_unspecified() {
                if let Some(lan) = crate::tls::lan_address() {
                    println!("on the LAN: https://{}/", SocketAddr::new(lan, bound.port()));
                }
            }
            println!("certificate sha256 {}", tls.fingerprint);
            println!("public key sha256 (base64) {}", tls.spki);
        }
        if let Some(days) = keep_days {
            tokio::spawn(retention(shared.clone(), days));
        }
        let proxies = shared.clone();
        let trusted = move |peer| proxies.trusts(peer);
        accept(listener, app, limits, tls.map(|t| t.acceptor), trusted).await;
        Ok(())
    })
}

/// Deletes expired captures' data now and every hour.
async fn retention(backend: Shared, days: u32) {
    loop {
        let b = backend.clone();
        match tokio::task::spawn_blocking(move || b.purge_older_than(days)).await {
            Ok(Ok(n)) => {
                eprintln!("{}", serde_json::json!({"event": "retention", "keepDays": days, "purged": n}))
            }
            Ok(Err(e)) => eprintln!("gradcap: retention: {e}"),
            Err(e) => eprintln!("gradcap: retention: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Accepts connections until interrupted, at most `limits.connections` at once, each served
/// within the limits (over TLS with `tls`).
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    trusted: impl Fn(std::net::IpAddr) -> bool,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections.max(1)));
    let open = Arc::new(PerAddress::default());
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = &mut stop => return,
        };
        let Ok(slot) = slot else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was taken: wait a
                // moment rather than spin.
                eprintln!("gradcap: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // A trusted proxy carries many clients' connections: only the total bounds it.
        let share = if trusted(peer.ip()) { usize::MAX } else { limits.per_address };
        let Some(held) = open.take(peer.ip(), share) else {
            drop(stream); // over its address's share: closed before anything is read
            continue;
        };
        let (app, tls) = (app.clone(), tls.clone());
        tokio::spawn(async move {
            let _slot = (slot, held);
            match tls {
                None => serve_connection(stream, peer, app, limits).await,
                // The handshake is part of the header's time.
                Some(tls) => {
                    if !starts_tls(&stream, limits.header).await {
                        refuse_plain_http(stream).await;
                        return;
                    }
                    if let Ok(Ok(stream)) = tokio::time::timeout(limits.header, tls.accept(stream)).await {
                        serve_connection(stream, peer, app, limits).await;
                    }
                }
            }
        });
    }
}

/// Whether a connection to the HTTPS port opens with a TLS handshake (a record of type 22), as
/// far as its first byte, sent within `wait`, says. A browser sent to `http://` opens with a
/// request line instead.
async fn starts_tls(stream: &tokio::net::TcpStream, wait: Duration) -> bool {
    let mut first = [0u8; 1];
    match tokio::time::timeout(wait, stream.peek(&mut first)).await {
        Ok(Ok(1)) => first[0] == 0x16,
        _ => true, // nothing sent: the handshake's own timeout closes it
    }
}

/// Answers plain HTTP on the HTTPS port with a readable 400 instead of a TLS alert, and closes.
async fn refuse_plain_http(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = "This server speaks HTTPS only: open the same address with https:// in front.\n";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    // Read what came first, so the close does not reset the answer away.
    let mut head = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut head)).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(answer.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// How many connections each address has open.
#[derive(Default)]
struct PerAddress(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

/// One connection of an address, counted until dropped.
struct Held(Arc<PerAddress>, std::net::IpAddr);

impl PerAddress {
    /// Counts a connection of `ip` if it has fewer than `limit` open.
    fn take(self: &Arc<Self>, ip: std::net::IpAddr, limit: usize) -> Option<Held> {
        let mut open = self.0.lock().ok()?;
        let n = open.entry(ip).or_insert(0);
        if *n >= limit.max(1) {
            return None;
        }
        *n += 1;
        Some(Held(self.clone(), ip))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut open) = self.0 .0.lock() {
            if let Some(n) = open.get_mut(&self.1) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.1);
                }
            }
        }
    }
}

/// Serves HTTP/1.1 on one connection, within `limits`.
async fn serve_connection<I>(io: I, peer: SocketAddr, app: Router, limits: Limits)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let _ = tokio::time::timeout(limits.connection, connection).await;
}
