//! Replays `fuzz/regressions/backend_request/` (inputs that once crashed the `backend_request`
//! fuzz target, and its seeds) through the backend's router: each answer must be a success or a
//! JSON 4xx error.

use gradcap_cli::backend::{probe, store::Session, Backend, Config};
use std::path::Path;
use tower::ServiceExt;

#[tokio::test]
async fn backend_requests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/backend_request");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    inputs.sort();
    assert!(inputs.len() >= 4, "the seeds and the regressions are in {}", dir.display());
    let data = std::env::temp_dir().join(format!("gradcap-fuzz-replay-{}", std::process::id()));
    let session =
        Session { code: "26050704".into(), name: "replay".into(), school: "replay".into(), open: true };
    let router =
        Backend::new(&data, &[session], Path::new("/nonexistent"), Config::default()).unwrap().router();
    for (n, input) in inputs.iter().enumerate() {
        let request = probe::request(&std::fs::read(input).unwrap(), &format!("replay-{n}")).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(probe::fault(response).await, None, "{}", input.display());
        eprintln!("{}: {status}", input.file_name().unwrap().to_string_lossy());
    }
    let _ = std::fs::remove_dir_all(&data);
}
