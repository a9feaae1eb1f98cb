//! The QR decoder on arbitrary frames: the first two bytes give the size (1–64 × 1–64), the
//! rest the pixels (repeated to fill the frame).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [w, h, pixels @ ..] = data else { return };
    let (w, h) = (u32::from(*w % 64) + 1, u32::from(*h % 64) + 1);
    let rgba: Vec<u8> = if pixels.is_empty() {
        vec![0; (w * h * 4) as usize]
    } else {
        pixels.iter().copied().cycle().take((w * h * 4) as usize).collect()
    };
    let Ok(frame) = gradcap::FrameView::rgba(&rgba, w, h) else { return };
    let _ = gradcap::qr::decode(&frame);
});
