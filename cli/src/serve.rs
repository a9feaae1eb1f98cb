//! `gradcap serve`: the demo page and the built component over HTTP on a local address, with the
//! reference backend (`/api`, `/review`) over an SQLite database.

use axum::http::{header, HeaderValue};
use axum::Router;
use gradcap_cli::backend::store::Session;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy the demo runs under: WebAssembly needs only `'wasm-unsafe-eval'`, never `eval`.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'";

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

/// The routes: the backend's `/api` and `/review`, `/pkg/…` from the build output, `/models/…`
/// from the fetched face models, everything else from `www/`.
pub fn router(root: &Path, backend: Router) -> Router {
    let header =
        |name, value: &'static str| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    backend
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .nest_service("/models", ServeDir::new(root.join("models")))
        .fallback_service(ServeDir::new(root.join("www")))
        .layer(header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header(header::CACHE_CONTROL, "no-cache"))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Gzip where the browser takes it: the .wasm and the models are half their size on the
        // wire (1.4 MB rather than 2.5), which is most of a first start on a phone's network.
        .layer(CompressionLayer::new().gzip(true))
}

/// The sessions the demo knows when none are configured.
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
/// (`CODE=NAME=closed` for a closed one); the demo's when there are none.
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
    Ok(if all.is_empty() { demo_sessions() } else { all })
}

/// Serves until interrupted. Prints the address once listening, so scripts can read the port.
pub fn run(addr: SocketAddr, root: PathBuf, backend: Router) -> Result<(), String> {
    if !root.join("www").is_dir() {
        return Err(format!("no www/ folder under {}", root.display()));
    }
    if !root.join("pkg").join("gradcap_bg.wasm").is_file() {
        eprintln!(
            "gradcap: warning: {} has no built component yet; run scripts/build-web",
            root.join("pkg").display()
        );
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        println!("gradcap serving http://{bound}/");
        axum::serve(listener, router(&root, backend))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}
