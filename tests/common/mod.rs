//! What the native tests share: the models from `models/` and the photos of `../shared/faces`
//! (or `GRADCAP_FACES`), each `None` with a "skipped" message when absent.

use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::Frame;
use std::path::{Path, PathBuf};

/// The bytes of `models/NAME`, or `None` with a message.
pub fn model(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name);
    let bytes = std::fs::read(&path).ok();
    if bytes.is_none() {
        eprintln!("skipped: no {} (run scripts/fetch-models)", path.display());
    }
    bytes
}

/// The face detector and mesh.
pub fn finder() -> Option<FaceFinder> {
    let (detector, mesh) = (model(gradcap::face::models::DETECTOR)?, model(gradcap::face::models::MESH)?);
    Some(FaceFinder::new(&detector, &mesh).expect("the pinned models load"))
}

/// `../shared/faces/NAME`, decoded.
pub fn photo(name: &str) -> Option<Frame> {
    let dir = std::env::var_os("GRADCAP_FACES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/faces"));
    let bytes = std::fs::read(dir.join(name)).ok()?;
    Some(decode_image(&bytes, DecodeLimits::default()).unwrap())
}
