//! The library half of the `gradcap` command line: the reference backend of `gradcap serve`, so
//! that the fuzz target and the load test can drive the same router the server runs.
#![warn(missing_docs)]

pub mod backend;
pub mod eval;

use gradcap::photo::standard::Standard;

/// The photo standard a `--standard` option gives: JSON (starting with `{`) or the path of a JSON
/// file; CHSI's without one. A standard that cannot be made is refused with its reason.
pub fn standard(option: Option<&str>) -> Result<Standard, String> {
    let Some(option) = option else {
        return Ok(Standard::default());
    };
    let json = if option.trim_start().starts_with('{') {
        option.to_string()
    } else {
        std::fs::read_to_string(option).map_err(|e| format!("--standard {option}: {e}"))?
    };
    let standard: Standard = serde_json::from_str(&json).map_err(|e| format!("--standard: {e}"))?;
    standard.check().map_err(|e| format!("--standard: {e}"))?;
    Ok(standard)
}

/// The bytes of the model file `name` in the folder `models`.
pub fn read_model(models: &std::path::Path, name: &str) -> Result<Vec<u8>, String> {
    let path = models.join(name);
    std::fs::read(&path)
        .map_err(|e| format!("{}: {e} (scripts/fetch-models puts the models there)", path.display()))
}

/// Loads the face models (detector and mesh) from the folder `models`.
pub fn face_finder(models: &std::path::Path) -> Result<gradcap::face::FaceFinder, String> {
    gradcap::face::FaceFinder::new(
        &read_model(models, gradcap::face::models::DETECTOR)?,
        &read_model(models, gradcap::face::models::MESH)?,
    )
    .map_err(|e| e.to_string())
}
