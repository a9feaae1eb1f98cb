//! The server's own check of every upload, with the same core as the browser. The photo must be
//! a JPEG of the standard's size (CHSI's: 480×640, 20–40 KB), judged at the working size by the
//! photo checks as a still and the self-check; the original must be a camera frame of bounded
//! size. Both are refused from their headers before anything is
//! allocated for pixels that could not be the right size.

use axum::http::StatusCode;
use gradcap::analysis::Still;
use gradcap::checks::{CheckId, Rules};
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

/// Whether a JPEG file is whole: its segments lead to a scan and an end marker follows it. A
/// decoder fills what a truncated file lacks with grey, so a file cut short (or a header alone
/// that claims 4096×4096) would otherwise be stored as a photo — and decoded at full size first.
/// Inside a scan a 0xFF byte is always followed by 0x00 or a restart marker, so the end marker
/// cannot appear there by chance.
pub fn jpeg_complete(bytes: &[u8]) -> bool {
    let mut at = 2;
    let mut scanned = false;
    while at + 1 < bytes.len() {
        if bytes[at] != 0xff {
            return false; // not at a marker where one must be
        }
        let marker = bytes[at + 1];
        match marker {
            0xff => at += 1, // fill byte
            0xd9 => return scanned,
            0xd0..=0xd7 | 0x01 => at += 2,
            _ => {
                let Some(length) =
                    bytes.get(at + 2..at + 4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
                else {
                    return false;
                };
                if length < 2 || at + 2 + length > bytes.len() {
                    return false;
                }
                at += 2 + length;
                if marker == 0xda {
                    scanned = true;
                    // The entropy-coded data runs to the next marker other than a stuffed byte or
                    // a restart.
                    let stuffed = |at: usize| matches!(bytes[at + 1], 0x00 | 0xd0..=0xd7 | 0xff);
                    while at + 1 < bytes.len() && (bytes[at] != 0xff || stuffed(at)) {
                        at += 1;
                    }
                }
            }
        }
    }
    false
}

fn truncated(what: &'static str, code: &'static str) -> Refusal {
    Refusal::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        format!("{what} is not a whole JPEG file (cut short?)"),
    )
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
    if !jpeg_complete(bytes) {
        return Err(truncated("original", "original.truncated"));
    }
    // Decoded as it is stored (no turn, no alpha): the check needs to know only that every pixel
    // the header promises is there, and a 4096² frame is 48 MiB this way rather than 112.
    use image::ImageDecoder;
    let refused = |code, e: image::ImageError| {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("original: {e}"))
    };
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes))
        .map_err(|e| refused("original.not_jpeg", e))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_ORIGINAL_SIDE || height > MAX_ORIGINAL_SIDE {
        let message = format!("original: {width}×{height} is over {MAX_ORIGINAL_SIDE} px a side");
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "original.too_large", message));
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(u64::from(MAX_ORIGINAL_SIDE).pow(2) * 4);
    decoder.set_limits(limits).map_err(|e| refused("original.too_large", e))?;
    let mut pixels = vec![0u8; usize::try_from(decoder.total_bytes()).unwrap_or(usize::MAX)];
    decoder.read_image(&mut pixels).map_err(|e| refused("original.not_jpeg", e))
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
        use gradcap::face::models::{DETECTOR, MESH, MESH_Q8, SEGMENTATION, SEGMENTATION_Q8};
        let read = |n: &str| std::fs::read(models.join(n)).ok();
        // The float models where `scripts/fetch-models` put them; else the browser's int8 ones
        // (the npm package gradcap-models), which the same engine runs.
        let finder = match (read(DETECTOR), read(MESH).or_else(|| read(MESH_Q8))) {
            (Some(d), Some(m)) => FaceFinder::new(&d, &m).ok(),
            _ => None,
        };
        if finder.is_none() {
            eprintln!("gradcap: no face models in {}: uploads are checked for format only", models.display());
        }
        let segmenter =
            read(SEGMENTATION).or_else(|| read(SEGMENTATION_Q8)).and_then(|m| Segmenter::new(&m).ok());
        Checker { finder, segmenter, standard }
    }

    /// The verdict on `photo`; refused when it is not a JPEG of the standard's size.
    pub fn check(&mut self, photo: &[u8]) -> Result<Value, Refusal> {
        if !is_jpeg(photo) {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, "photo.not_jpeg", "photo is not a JPEG file"));
        }
        if !jpeg_complete(photo) {
            return Err(truncated("photo", "photo.truncated"));
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
        // The photo is cut already: where the head sits on it is the self-check's geometry (the
        // crown the person mask shows). The placement checks ask whether a photo could be cut
        // from a frame, with the crown estimated from the mesh, and refused photos the program
        // had cut itself (the standard photo of obama.jpg: face.in_guide).
        let rules = Rules {
            standard: self.standard.clone(),
            disabled: vec![CheckId::FaceInGuide, CheckId::FaceSize],
            ..Rules::default()
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let frame =
            gradcap::Frame::from_rgba(vec![128; (width * height * 4) as usize], width, height).unwrap();
        Standard::default().encode(&frame.view()).unwrap().bytes
    }

    #[test]
    fn only_whole_jpeg_files_are_complete() {
        let whole = jpeg(480, 640);
        assert!(jpeg_complete(&whole));
        // Trailing bytes after the end (some cameras append data) do not matter.
        assert!(jpeg_complete(&[whole.as_slice(), b"trailer"].concat()));
        for cut in [whole.len() - 2, whole.len() / 2, 632, 20, 3] {
            assert!(!jpeg_complete(&whole[..cut]), "cut at {cut}");
        }
        // The header alone, its scan never sent.
        let sos = whole.windows(2).position(|w| w == [0xff, 0xda]).unwrap();
        assert!(!jpeg_complete(&whole[..sos + 14]));
        assert!(!jpeg_complete(b"\xff\xd8\xff\xd9"), "an end with no scan");
    }
}
