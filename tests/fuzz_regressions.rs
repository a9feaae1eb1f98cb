//! Replays `fuzz/regressions/` (inputs that crashed a fuzz target once, and small seeds) through
//! the code each target fuzzes, natively: none may panic.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    assert!(!all.is_empty(), "no inputs in {}", dir.display());
    all
}

#[test]
fn qr_frames() {
    for (name, data) in inputs("qr_frame") {
        let [w, h, pixels @ ..] = &data[..] else { continue };
        let (w, h) = (u32::from(*w % 128) + 1, u32::from(*h % 128) + 1);
        let rgba: Vec<u8> = if pixels.is_empty() {
            vec![0; (w * h * 4) as usize]
        } else {
            pixels.iter().copied().cycle().take((w * h * 4) as usize).collect()
        };
        let frame = gradcap::FrameView::rgba(&rgba, w, h).unwrap();
        eprintln!("{name}: {} codes", gradcap::qr::decode(&frame).len());
    }
}

#[test]
fn image_files() {
    for (name, data) in inputs("image_file") {
        let r = gradcap::frame::decode_image(&data, gradcap::frame::DecodeLimits::default());
        eprintln!("{name}: {:?}", r.map(|f| (f.view().width(), f.view().height())));
    }
}

#[test]
fn tflite_models() {
    for (name, data) in inputs("tflite_model") {
        if gradcap::face::tflite::Model::parse(&data).is_ok() {
            let _ = gradcap::face::engine::Engine::load(&data);
        }
        eprintln!("{name}: read");
    }
}
