//! The server's own check of every uploaded photo, with the same core as the browser: a JPEG,
//! 480×640, 20–40 KB, and the photo checks of SPEC §2 judged on it as a still.

use gradcap::checks::{first_failure, judge, Rules, Scene};
use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::guide::PHOTO_SIZE;
use gradcap::photo::jpeg::SIZE_RANGE;
use serde_json::{json, Value};

/// Checks photos; without the face models only the format is checked (and the verdict says so).
pub struct Checker {
    finder: Option<FaceFinder>,
}

impl Checker {
    /// Loads the face models from `models`, if they are there.
    pub fn new(models: &std::path::Path) -> Checker {
        let read = |n: &str| std::fs::read(models.join(n)).ok();
        let finder = match (read("face_detection_short_range.tflite"), read("face_landmark.tflite")) {
            (Some(d), Some(m)) => FaceFinder::new(&d, &m).ok(),
            _ => None,
        };
        if finder.is_none() {
            eprintln!("gradcap: no face models in {}: uploads are checked for format only", models.display());
        }
        Checker { finder }
    }

    /// The verdict on `photo`; `Err` when it is not a JPEG at all.
    pub fn check(&mut self, photo: &[u8]) -> Result<Value, String> {
        if !photo.starts_with(&[0xff, 0xd8, 0xff]) {
            return Err("photo is not a JPEG file".into());
        }
        let frame = decode_image(photo, DecodeLimits::default()).map_err(|e| format!("photo: {e}"))?;
        let v = frame.view();
        let dimensions_ok = (v.width(), v.height()) == PHOTO_SIZE;
        let size_ok = (SIZE_RANGE[0]..=SIZE_RANGE[1]).contains(&photo.len());
        let mut verdict = json!({
            "width": v.width(),
            "height": v.height(),
            "bytes": photo.len(),
            "dimensionsOk": dimensions_ok,
            "sizeOk": size_ok,
        });
        let Some(finder) = self.finder.as_mut() else {
            verdict["facesChecked"] = json!(false);
            verdict["pass"] = json!(dimensions_ok && size_ok);
            return Ok(verdict);
        };
        let detections = finder.detect_all(&v).map_err(|e| e.to_string())?;
        let face = finder.still(&v).map_err(|e| e.to_string())?;
        let checks = judge(&Scene::still(v, &detections, face.as_ref()), &Rules::default());
        let failing = first_failure(&checks).map(|c| c.id.id());
        verdict["facesChecked"] = json!(true);
        verdict["checks"] = json!(checks
            .iter()
            .map(|c| json!({"id": c.id.id(), "pass": c.pass, "score": c.score}))
            .collect::<Vec<_>>());
        verdict["firstFailure"] = json!(failing);
        verdict["pass"] = json!(dimensions_ok && size_ok && face.is_some() && failing.is_none());
        Ok(verdict)
    }
}
