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
        // As the target reads it now (1–64 a side), and as it did when the older inputs were
        // found (1–128).
        for cap in [64, 128] {
            let (w, h) = (u32::from(*w) % cap + 1, u32::from(*h) % cap + 1);
            let rgba: Vec<u8> = if pixels.is_empty() {
                vec![0; (w * h * 4) as usize]
            } else {
                pixels.iter().copied().cycle().take((w * h * 4) as usize).collect()
            };
            let frame = gradcap::FrameView::rgba(&rgba, w, h).unwrap();
            eprintln!("{name} at {w}×{h}: {} codes", gradcap::qr::decode(&frame).len());
        }
    }
}

#[test]
fn qr_grids() {
    for (name, data) in inputs("qr_grid") {
        let [first, rest @ ..] = &data[..] else { continue };
        let version = 1 + u32::from(first / 2) % 40;
        let read = if first % 2 == 0 {
            let n = 17 + 4 * version;
            let grey: Vec<f32> = if rest.is_empty() {
                vec![1.0; (n * n) as usize]
            } else {
                rest.iter().cycle().take((n * n) as usize).map(|&b| f32::from(b) / 255.0).collect()
            };
            gradcap::qr::read_module_grid(&grey, n)
        } else if let [level, codewords @ ..] = rest {
            gradcap::qr::parse_codewords(codewords, version, level % 4)
        } else {
            None
        };
        eprintln!("{name}: {read:?}");
        // The seeds are real codes (one with a glare patch over it): each must still read.
        if name.starts_with('v') || name.starts_with("codewords") {
            assert!(read.is_some(), "{name} no longer reads");
        }
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
