//! The reference backend's input as a client controls it: multipart upload bodies (parts, their
//! names, types and sizes, the metadata JSON), review decisions (JSON) and the paths of lookups,
//! sent through the same router `gradcap serve` runs (see `gradcap_cli::backend::probe`). Besides
//! not crashing, every answer must be a success or a JSON error with a 4xx status.
#![no_main]

use axum::Router;
use gradcap_cli::backend::{probe, store::Session, Backend, Config};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let data = std::env::temp_dir().join(format!("gradcap-fuzz-backend-{}", std::process::id()));
        let session =
            Session { code: "26050704".into(), name: "fuzz".into(), school: "fuzz".into(), open: true };
        // Without the face models the re-check reads the photo's format only: the models are
        // not what this target parses, and they would make each input slow.
        let no_models = std::path::Path::new("/nonexistent");
        let backend = Backend::new(&data, &[session], no_models, Config::default()).expect("a backend");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        Harness { runtime, router: backend.router() }
    })
}

fuzz_target!(|data: &[u8]| {
    // A fresh key per input, so an earlier accepted body does not hide the parsing of the next.
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let key = format!("fuzz-{}", COUNT.fetch_add(1, Ordering::Relaxed));
    let Some(request) = probe::request(data, &key) else { return };
    let h = harness();
    h.runtime.block_on(async {
        let response = h.router.clone().oneshot(request).await.expect("the router never fails");
        if let Some(fault) = probe::fault(response).await {
            panic!("{fault}");
        }
    });
});
