//! The server's own check of every upload, with the same core as the browser. The photo must be
//! a JPEG of the standard's size (CHSI's: 480×640, 20–40 KB), judged at the working size by the
//! photo checks as a still and the self-check; the original must be a camera frame of bounded
//! size. Both are refused from their headers before anything is
//! allocated for pixels that could not be the right size.

use axum::http::StatusCode;
use gradcap::analysis::Still;
use gradcap::checks::Rules;
use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::photo::segment::Segmenter;
use gradcap::photo::selfcheck::SelfCheck;
use gradcap::photo::standard::Standard;
use serde_json::{json, Value};

/// The largest side of an original frame (a 12 MP phone camera is 4032×3024).
pub const MAX_ORIGINAL_SIDE: u32 = 4096;

/// Why an upload's image was refused.
#[derive(Debug)]
pub struct Refusal {
    /// The answer's status.
    pub status: StatusCode,
    /// The error's stable code.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { status, code, message: message.into() }
    }

    /// The checker could not run (it failed earlier).
    pub fn internal() -> Refusal {
        Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the checker failed earlier")
    }
}

fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// Decodes the original frame within [`MAX_ORIGINAL_SIDE`], refusing anything else.
pub fn original(bytes: &[u8]) -> Result<(), Refusal> {
    if !is_jpeg(bytes) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "original.not_jpeg",
            "original is not a JPEG file",
        ));
    }
    let side = u64::from(MAX_ORIGINAL_SIDE);
    let limits = DecodeLimits { max_side: MAX_ORIGINAL_SIDE, max_bytes: side * side * 4 };
    decode_image(bytes, limits).map(drop).map_err(|e| {
        let code = if e.code() == "image.too_large" { "original.too_large" } else { "original.not_jpeg" };
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("original: {e}"))
    })
}

/// Checks photos; without the face models only the format is checked (and the verdict says so);
/// with the segmentation model too, the photo's own self-check (background, leftovers, fringe,
/// head cut, layout) is part of the verdict.
pub struct Checker {
    finder: Option<FaceFinder>,
    segmenter: Option<Segmenter>,
    standard: Standard,
}

impl Checker {
    /// Loads the face models from `models`, if they are there; photos are held to `standard`.
    pub fn new(models: &std::path::Path, standard: Standard) -> Checker {
        let read = |n: &str| std::fs::read(models.join(n)).ok();
        let finder = match (read(gradcap::face::models::DETECTOR), read(gradcap::face::models::MESH)) {
            (Some(d), Some(m)) => FaceFinder::new(&d, &m).ok(),
            _ => None,
        };
        if finder.is_none() {
            eprintln!("gradcap: no face models in {}: uploads are checked for format only", models.display());
        }
        let segmenter = read(gradcap::face::models::SEGMENTATION).and_then(|m| Segmenter::new(&m).ok());
        Checker { finder, segmenter, standard }
    }

    /// The verdict on `photo`; refused when it is not a JPEG of the standard's size.
    pub fn check(&mut self, photo: &[u8]) -> Result<Value, Refusal> {
        if !is_jpeg(photo) {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, "photo.not_jpeg", "photo is not a JPEG file"));
        }
        let [w, h] = self.standard.size;
        let limits = DecodeLimits { max_side: w.max(h), max_bytes: u64::from(w * h * 4) };
        let frame = decode_image(photo, limits).map_err(|e| {
            let code = if e.code() == "image.too_large" { "photo.dimensions" } else { "photo.not_jpeg" };
            Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("photo: {e}"))
        })?;
        let v = frame.view();
        if (v.width(), v.height()) != (w, h) {
            let message = format!("the photo is {}×{}, not {w}×{h}", v.width(), v.height());
            return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "photo.dimensions", message));
        }
        let size_ok = self.standard.size_ok(photo.len());
        let mut verdict = json!({
            "width": v.width(),
            "height": v.height(),
            "bytes": photo.len(),
            "dimensionsOk": true,
            "sizeOk": size_ok,
        });
        let Some(finder) = self.finder.as_mut() else {
            verdict["facesChecked"] = json!(false);
            verdict["pass"] = json!(size_ok);
            return Ok(verdict);
        };
        let internal =
            |e: gradcap::Error| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
        let working = self.standard.at_working_size(&v);
        let v = working.view();
        let rules = Rules { standard: self.standard.clone(), ..Rules::default() };
        let still = Still::judge(finder, &v, &rules).map_err(internal)?;
        verdict["facesChecked"] = json!(true);
        verdict["checks"] = json!(still
            .checks
            .iter()
            .map(|c| json!({"id": c.id.id(), "pass": c.pass, "score": c.score}))
            .collect::<Vec<_>>());
        let self_check = match self.segmenter.as_mut() {
            Some(segmenter) => {
                let person = segmenter.mask(&v).map_err(internal)?;
                Some(SelfCheck::of(&v, still.face.as_ref(), &person, &self.standard))
            }
            None => None,
        };
        let first_fault = self_check.as_ref().and_then(|c| c.faults.first()).map(|f| f.id());
        verdict["firstFailure"] = json!(still.first_failure().map(|c| c.id.id()).or(first_fault));
        verdict["selfCheck"] = json!(self_check);
        verdict["pass"] = json!(size_ok && still.ready() && self_check.is_none_or(|c| c.pass()));
        Ok(verdict)
    }
}
