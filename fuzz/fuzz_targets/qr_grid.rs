//! The QR decoder's last stages, fed directly: a grid of module greys (thresholding, format,
//! codewords, Reed–Solomon with erasures, the bit-stream parser), or data codewords straight to
//! the bit-stream parser. Whole frames (`qr_frame`) spend most of each input finding a grid;
//! here every input is read as one, so a short run executes thousands.
//!
//! The first byte chooses: even, a grid of version `1 + (byte / 2) % 40` whose greys are the
//! rest of the bytes (repeated to fill it); odd, codewords for version `1 + (byte / 2) % 40` at
//! the level the second byte names.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [first, rest @ ..] = data else { return };
    let version = 1 + u32::from(first / 2) % 40;
    if first % 2 == 0 {
        let n = 17 + 4 * version;
        let grey: Vec<f32> = if rest.is_empty() {
            vec![1.0; (n * n) as usize]
        } else {
            rest.iter().cycle().take((n * n) as usize).map(|&b| f32::from(b) / 255.0).collect()
        };
        let _ = gradcap::qr::read_module_grid(&grey, n);
    } else if let [level, codewords @ ..] = rest {
        let _ = gradcap::qr::parse_codewords(codewords, version, level % 4);
    }
});
