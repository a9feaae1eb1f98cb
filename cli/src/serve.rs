//! `gradcap serve`: the demo page and the built component over HTTP on a local address.

use axum::http::{header, HeaderValue};
use axum::Router;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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

/// The routes: `/pkg/…` from the build output, `/models/…` from the fetched face models, everything
/// else from `www/`.
pub fn router(root: &Path) -> Router {
    let header =
        |name, value: &'static str| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    Router::new()
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .nest_service("/models", ServeDir::new(root.join("models")))
        .fallback_service(ServeDir::new(root.join("www")))
        .layer(header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header(header::CACHE_CONTROL, "no-cache"))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// Serves until interrupted. Prints the address once listening, so scripts can read the port.
pub fn run(addr: SocketAddr, root: PathBuf) -> Result<(), String> {
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
        axum::serve(listener, router(&root))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}
