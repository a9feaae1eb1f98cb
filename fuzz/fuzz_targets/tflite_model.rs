//! `.tflite` (and packed) model files: parsed and loaded into the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if gradcap::face::tflite::Model::parse(data).is_ok() {
        let _ = gradcap::face::engine::Engine::load(data);
    }
});
