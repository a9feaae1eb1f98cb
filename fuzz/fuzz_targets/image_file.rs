//! Image files as a student might pick them from the album: decoded within the memory bound.
#![no_main]

use gradcap::frame::{decode_image, DecodeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_image(data, DecodeLimits::default());
});
