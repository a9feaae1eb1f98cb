//! `gradcap decode` as a user runs it: one JSON object per file, errors as fields, never a crash.

use rxing::{BarcodeFormat, Writer};
use std::path::{Path, PathBuf};
use std::process::Command;

fn decode(files: &[PathBuf]) -> (Vec<serde_json::Value>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_gradcap")).arg("decode").args(files).output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (lines, out.status.code())
}

/// Writes a PNG of a QR code holding `text`, 4 px a module.
fn qr_png(dir: &Path, text: &str) -> PathBuf {
    let bits = rxing::qrcode::QRCodeWriter.encode(text, &BarcodeFormat::QR_CODE, 0, 0).unwrap();
    let img = image::GrayImage::from_fn(bits.getWidth() * 4, bits.getHeight() * 4, |x, y| {
        image::Luma([if bits.get(x / 4, y / 4) { 0 } else { 255 }])
    });
    let path = dir.join(format!("{}.png", text.len()));
    img.save(&path).unwrap();
    path
}

#[test]
fn prints_the_text_and_corners_of_each_code() {
    let dir = std::env::temp_dir().join(format!("gradcap-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let code = qr_png(&dir, "CHSI-CAPTURE-0123456789");
    let (lines, status) = decode(std::slice::from_ref(&code));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(status, Some(0));
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["file"], code.to_string_lossy().as_ref());
    assert_eq!(line["codes"][0]["text"], "CHSI-CAPTURE-0123456789");
    let corners = line["codes"][0]["corners"].as_array().unwrap();
    assert_eq!(corners.len(), 4);
    assert!(corners.iter().all(|c| c.as_array().unwrap().len() == 2));
    assert!(line["ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn hostile_files_give_errors_not_crashes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/should-not-panic");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.push(dir.join("no-such-file.png"));
    let (lines, status) = decode(&files);
    assert_eq!(status, Some(1), "unreadable files make the exit status 1 (a panic would be 101)");
    assert_eq!(lines.len(), files.len(), "one line per file, even after errors");
    for line in &lines {
        let name = line["file"].as_str().unwrap();
        if name.ends_with("one-pixel.png") {
            assert_eq!(line["codes"], serde_json::json!([]), "a readable image without a code");
        } else {
            assert!(line["error"].is_string(), "{name}: {line}");
        }
    }
    let huge: Vec<_> = lines.iter().filter(|l| l["file"].as_str().unwrap().contains("huge")).collect();
    assert!(huge.iter().all(|l| l["error"].as_str().unwrap().contains("too large")));
}
